#!/usr/bin/env bash
# The environment a local run needs. Either
#   eval "$(bash tools/local-stack/env.sh)"
# or
#   source tools/local-stack/env.sh
# The credentials are placeholders: the ECR stand-in accepts any signature, but the AWS SDK wants some.

LOCAL_STACK_ENV=(
  AWS_ACCESS_KEY_ID=local-stack
  AWS_SECRET_ACCESS_KEY=local-stack-secret
  AWS_REGION=eu-west-1
  TEAMS_WEBHOOK_URI=http://localhost:5004/webhook/platform-images
  PLATFORM_IMAGES_PROFILE=local
)

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  for pair in "${LOCAL_STACK_ENV[@]}"; do export "${pair?}"; done
  unset pair LOCAL_STACK_ENV
else
  for pair in "${LOCAL_STACK_ENV[@]}"; do printf 'export %s\n' "$pair"; done
fi
