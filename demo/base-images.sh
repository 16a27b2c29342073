#!/usr/bin/env bash
# Provide the base images that the demo and the tests build FROM, when the engine
# has them neither locally nor from a registry.
#
#   golang:1.19-bookworm  Debian's golang-go in a debootstrap root file system
#   busybox:1.35          Debian's busybox-static with one link per applet
#
# Each image is first looked up locally, then pulled; only when both fail is it made
# from Debian packages here (root and debootstrap needed for the Go image).
set -euo pipefail

GO_IMAGE=golang:1.19-bookworm
BUSYBOX_IMAGE=busybox:1.35
GO_IMAGE_PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

have_image() {
  docker image inspect "$1" >/dev/null 2>&1
}

pull_image() {
  timeout 120 docker pull -q "$1" >/dev/null 2>&1
}

# The first Debian mirror named in the apt sources of this machine.
debian_mirror() {
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "$uri"
}

install_packages() {
  local missing=()
  for command_and_package in "$@"; do
    command -v "${command_and_package%%:*}" >/dev/null 2>&1 || missing+=("${command_and_package#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "base-images: installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

make_go_image() {
  install_packages debootstrap:debootstrap
  local mirror workdir
  mirror=$(debian_mirror)
  if [ -z "$mirror" ]; then
    echo "base-images: no Debian mirror found in the apt sources" >&2
    exit 1
  fi
  workdir=$(mktemp -d /tmp/weld-golang-rootfs.XXXXXX)
  echo "base-images: making $GO_IMAGE with debootstrap (about a minute)"
  debootstrap --variant=minbase --include=golang-go,ca-certificates bookworm "$workdir" "$mirror" >"$workdir.log" 2>&1 || {
    tail -n 20 "$workdir.log" >&2
    exit 1
  }
  rm -f "$workdir.log"
  rm -rf "$workdir"/var/cache/apt/archives/*.deb "$workdir"/var/lib/apt/lists/*
  mkdir -p "$workdir/go"
  tar -C "$workdir" -c . | docker import \
    --change "ENV PATH=$GO_IMAGE_PATH" \
    --change 'ENV GOPATH=/go' \
    --change 'WORKDIR /go' \
    --change 'CMD ["bash"]' \
    - "$GO_IMAGE" >/dev/null
  rm -rf "$workdir"
}

make_busybox_image() {
  install_packages busybox:busybox-static
  local busybox_binary workdir
  busybox_binary=$(command -v busybox)
  if ! file -L "$busybox_binary" 2>/dev/null | grep -q 'statically linked' && [ -x /bin/busybox ]; then
    busybox_binary=/bin/busybox
  fi
  workdir=$(mktemp -d /tmp/weld-busybox-rootfs.XXXXXX)
  echo "base-images: making $BUSYBOX_IMAGE from busybox-static"
  mkdir -p "$workdir/bin" "$workdir/tmp" "$workdir/etc" "$workdir/root"
  cp "$busybox_binary" "$workdir/bin/busybox"
  for applet in $("$workdir/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$workdir/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$workdir/etc/passwd"
  echo 'root:x:0:' >"$workdir/etc/group"
  chmod 1777 "$workdir/tmp"
  tar -C "$workdir" -c . | docker import \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["sh"]' \
    - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$workdir"
}

provide() {
  local image=$1 maker=$2
  if have_image "$image"; then
    echo "base-images: $image is present"
  elif pull_image "$image"; then
    echo "base-images: pulled $image"
  else
    "$maker"
  fi
}

wanted=${1:-all}
case "$wanted" in
  all) provide "$BUSYBOX_IMAGE" make_busybox_image; provide "$GO_IMAGE" make_go_image ;;
  go) provide "$GO_IMAGE" make_go_image ;;
  busybox) provide "$BUSYBOX_IMAGE" make_busybox_image ;;
  *) echo "usage: $0 [all|go|busybox]" >&2; exit 2 ;;
esac
