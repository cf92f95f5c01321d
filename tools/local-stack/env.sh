#!/usr/bin/env bash
# The environment a local run needs. Either
#   eval "$(bash tools/local-stack/env.sh)"
# or
#   source tools/local-stack/env.sh
# The credentials are placeholders: the ECR stand-in accepts any signature, but the AWS SDK wants some.
# AWS_DATA_PATH lets Debian's awscli (/usr/bin/aws) send and show ECR's tag mutability exclusion filters
# (up.sh writes the model there); the AWS SDK for JavaScript ignores it.

LOCAL_STACK_ENV=(
  AWS_ACCESS_KEY_ID=local-stack
  AWS_SECRET_ACCESS_KEY=local-stack-secret
  AWS_REGION=eu-west-1
  "AWS_DATA_PATH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.state/aws-models"
  TEAMS_WEBHOOK_URI=http://localhost:5004/webhook/platform-images
  # The .NET 8 and 10 stand-in bases carry real .NET where this machine has the .NET SDK (up.sh), and the
  # real test apps run on them; without it, the busybox stand-ins of the test apps do.
  "PLATFORM_IMAGES_PROFILE=$(command -v dotnet >/dev/null 2>&1 && echo local || echo local-without-dotnet)"
)

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  for pair in "${LOCAL_STACK_ENV[@]}"; do export "${pair?}"; done
  unset pair LOCAL_STACK_ENV
else
  for pair in "${LOCAL_STACK_ENV[@]}"; do printf 'export %s\n' "$pair"; done
fi
