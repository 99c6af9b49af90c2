#!/usr/bin/env bash
# Container stages: `image` (scripts/container/image.ts) and `compose` (scripts/container/compose.ts). One Docker
# engine and one base image serve every stage given; an engine this script started is stopped at the end.
#   usage: bash scripts/container/run.sh image [compose]   (as root; npm run test:image, npm run test:compose)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/container/engine.sh
t0=$(date +%s)
trap engine_down EXIT
engine_up
node_base_image
if [[ " $* " == *" compose "* ]]; then
  compose_plugin
  temporal_cli_image
fi
for stage in "$@"; do
  npx tsx "scripts/container/$stage.ts"
done
elapsed "container stages done: $*" "$t0"
