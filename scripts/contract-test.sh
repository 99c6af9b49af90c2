#!/bin/sh
# The contract test: schemathesis (PyPI) with every check, against the service started here on the local stack
# (embedded Temporal dev server and Cloud Ops emulator) with API tokens on; configuration in schemathesis.toml.
# Seed: fixed in CI (CONTRACT_SEED, default 20), random locally unless `--seed N` or CONTRACT_SEED is given.
# CONTRACT_BASE_URL points it at a service already running instead (then CONTRACT_TOKEN is its token); any other
# argument goes to `schemathesis run`.
set -eu
cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
ST=.tools/schemathesis/bin/schemathesis

if [ ! -x "$ST" ] || ! "$ST" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "contract-test: installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into .tools/schemathesis" >&2
  python3 -m venv .tools/schemathesis
  .tools/schemathesis/bin/pip install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}" >&2
fi

SEED="${CONTRACT_SEED:-}"
if [ "${1:-}" = --seed ]; then SEED="$2"; shift 2; fi
if [ -z "$SEED" ] && [ "${CI:-}" = true ]; then SEED=20; fi
if [ -z "$SEED" ]; then SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); fi

mkdir -p .tools/contract
if [ -z "${CONTRACT_BASE_URL:-}" ]; then
  PORT="${CONTRACT_PORT:-18480}"
  CONTRACT_TOKEN=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  TOKENS_FILE=$(mktemp -d)/tokens.json
  HASH=$(printf %s "$CONTRACT_TOKEN" | sha256sum | cut -d' ' -f1)
  printf '[{"name":"contract-test","scopes":["capacity:read","capacity:write"],"sha256":"%s"}]' "$HASH" >"$TOKENS_FILE"
  chmod 600 "$TOKENS_FILE"
  sh scripts/bootstrap.sh
  # Ports of their own, so that the run does not meet `npm start` or the tests on this machine. No rate limit and
  # no failed-auth throttle: the run sends thousands of requests, many without a token, all from 127.0.0.1.
  PORT="$PORT" TEMPORAL_DEV_SERVER_PORT="${CONTRACT_TEMPORAL_PORT:-17480}" TEMPORAL_DEV_SERVER_UI_PORT=$((PORT + 1)) \
    EMULATOR_CONTROL_PORT=$((PORT + 2)) SDK_METRICS_PORT=0 API_TOKENS_FILE="$TOKENS_FILE" RATE_LIMIT_PER_MINUTE=0 \
    AUTH_FAILURES_PER_MINUTE=0     EMULATOR_APPLY_DELAY_MS=200 LOG_LEVEL=warn \
    node_modules/.bin/tsx src/main.ts >.tools/contract/service.log 2>&1 &
  SERVICE=$!
  trap 'kill "$SERVICE" 2>/dev/null; wait "$SERVICE" 2>/dev/null || true' EXIT INT TERM
  CONTRACT_BASE_URL="http://127.0.0.1:${PORT}"
fi
export CONTRACT_BASE_URL CONTRACT_TOKEN

echo "contract-test: schemathesis against ${CONTRACT_BASE_URL}, seed ${SEED}" >&2
"$ST" --config-file schemathesis.toml run "${CONTRACT_BASE_URL}/openapi.json" --wait-for-schema 120 \
  --seed "$SEED" --no-color "$@"
