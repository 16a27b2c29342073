#!/usr/bin/env bash
# Make sure a Docker engine answers, starting one on this machine when none does.
#
# Order: the engine at DOCKER_HOST (or the default socket) if it answers; otherwise,
# as root on Debian, install docker.io and start dockerd without bridge networking
# (builds then use no network or host networking); otherwise explain what to install.
set -euo pipefail

WAIT_SECONDS=60
DOCKERD_LOG=/var/log/weld-dockerd.log

engine_answers() {
  command -v docker >/dev/null 2>&1 && docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

if engine_answers; then
  echo "engine-up: Docker engine $(docker version --format '{{.Server.Version}}') answers"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  echo "engine-up: no Docker engine answers at DOCKER_HOST=$DOCKER_HOST" >&2
  echo "hint: start that engine, or unset DOCKER_HOST to use a local one" >&2
  exit 1
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "engine-up: no Docker engine answers on the default socket" >&2
  echo "hint: install and start Docker (https://docs.docker.com/engine/install/), then run this again" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "engine-up: installing docker.io from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

echo "engine-up: starting dockerd (no bridge network; log in $DOCKERD_LOG)"
nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$DOCKERD_LOG" 2>&1 &

for _ in $(seq "$WAIT_SECONDS"); do
  if engine_answers; then
    echo "engine-up: Docker engine $(docker version --format '{{.Server.Version}}') answers"
    exit 0
  fi
  sleep 1
done

echo "engine-up: dockerd did not answer within ${WAIT_SECONDS}s; last lines of $DOCKERD_LOG:" >&2
tail -n 20 "$DOCKERD_LOG" >&2
exit 1
