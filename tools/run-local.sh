#!/usr/bin/env bash
# The main job against the local stack: bring the stand-ins for MCR, ECR and Teams up, then run the
# whole chain for every platform image, as the scheduled pipeline does. Extra arguments go to nx
# (e.g. --projects=net6-runtime). PLATFORM_IMAGES_FORCE_UPDATE=true forces a republish.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/local-stack/up.sh
eval "$(bash tools/local-stack/env.sh)"
export NX_DAEMON="${NX_DAEMON:-false}"
# The plugin is this workspace's own: loading it in-process saves a worker process per nx start.
export NX_ISOLATE_PLUGINS="${NX_ISOLATE_PLUGINS:-false}"
npx nx run-many -t publish --outputStyle=stream "$@"
echo
echo "Published images (ECR stand-in):"
for repo in runtime aspnet sdk; do
  /usr/bin/aws ecr describe-images --repository-name "$repo" --endpoint-url http://localhost:5003 \
    --query 'imageDetails[].imageTags' --output text 2>/dev/null | tr '\t' ' ' | sed "s|^|  $repo: |" || true
done
