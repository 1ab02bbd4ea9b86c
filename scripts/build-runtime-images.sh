#!/usr/bin/env bash
# build-runtime-images.sh builds, without any image registry, the local images
# the emulator's docker runtime uses (`emulator up --runtime docker`):
#
#   scf-emulator/debian-runtime:bookworm
#       Debian bookworm (debootstrap --variant=minbase) with python3, nodejs,
#       bash, curl and ca-certificates. The default image of CustomRuntime
#       functions (bash + curl bootstraps), of Go1 binaries that are not
#       static, and the fallback for Python and Node.js functions when their
#       default image (python:3.9-slim, node:16-slim, ...) is not present.
#   scf-emulator/static:latest
#       An empty file system (scratch) with CA certificates and /tmp, for
#       static binaries: the default image of Go1 functions. The runtime also
#       creates this one by itself when it is missing.
#
# Images that exist are kept unless --force is given, so running the script
# again is cheap. Nothing is pulled: Debian packages come from the mirror in
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
#
# Usage: scripts/build-runtime-images.sh [--force] [--only debian|static]
#
# Needs: docker (a running daemon), and for the Debian image debootstrap
# (`apt-get install debootstrap`) run as root (or sudo), tar.
set -euo pipefail

DEBIAN_IMAGE=scf-emulator/debian-runtime:bookworm
STATIC_IMAGE=scf-emulator/static:latest
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3-minimal,python3,nodejs,bash,curl,ca-certificates
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

force=0
only=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --force) force=1 ;;
    --only)
      [[ $# -ge 2 ]] || { echo "--only needs debian or static" >&2; exit 2; }
      only=$2
      shift
      ;;
    --only=*) only=${1#--only=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $only in "" | debian | static) ;; *) echo "--only takes debian or static, not $only" >&2; exit 2 ;; esac

step() { printf '==> %s\n' "$*"; }

if ! docker info > /dev/null 2>&1; then
  echo "no docker daemon answers: start it (sudo systemctl start docker, or Docker Desktop) and run again" >&2
  exit 1
fi

# have IMAGE reports whether the image exists locally.
have() { docker image inspect "$1" > /dev/null 2>&1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/scf-runtime-images.XXXXXX")
cleanup() {
  # debootstrap leaves root-owned files (and, if interrupted, mounts of /proc).
  if [[ -d $work/rootfs/proc ]]; then
    ${SUDO:-} umount "$work/rootfs/proc" 2> /dev/null || true
  fi
  ${SUDO:-} rm -rf "$work"
}
trap cleanup EXIT

build_static() {
  if [[ $force -eq 0 ]] && have "$STATIC_IMAGE"; then
    step "$STATIC_IMAGE exists (use --force to rebuild)"
    return
  fi
  step "building $STATIC_IMAGE (scratch + CA certificates + /tmp)"
  local root=$work/static
  mkdir -p "$root/tmp" "$root/etc/ssl/certs"
  chmod 1777 "$root/tmp"
  for ca in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    if [[ -r $ca ]]; then
      cp "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
      break
    fi
  done
  printf 'root:x:0:0:root:/tmp:/nonexistent\nnobody:x:65534:65534:nobody:/tmp:/nonexistent\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    docker import -c "ENV PATH=$IMAGE_PATH" -c "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
      -m "scf-emulator static runtime" - "$STATIC_IMAGE" > /dev/null
  step "built $STATIC_IMAGE"
}

build_debian() {
  if [[ $force -eq 0 ]] && have "$DEBIAN_IMAGE"; then
    step "$DEBIAN_IMAGE exists (use --force to rebuild)"
    return
  fi
  if ! command -v debootstrap > /dev/null 2>&1 && [[ ! -x /usr/sbin/debootstrap ]]; then
    echo "debootstrap is not installed: apt-get install -y debootstrap (or run with --only static)" >&2
    exit 1
  fi
  local debootstrap
  debootstrap=$(command -v debootstrap || echo /usr/sbin/debootstrap)
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo > /dev/null 2>&1 || { echo "debootstrap must run as root and sudo is missing" >&2; exit 1; }
    SUDO=sudo
  fi
  local root=$work/rootfs
  step "debootstrap $SUITE (minbase + $PACKAGES) from $MIRROR: about a minute"
  local started=$SECONDS
  # Progress: debootstrap prints one line per phase (I: Retrieving..., I: Unpacking...).
  ${SUDO:-} "$debootstrap" --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" 2>&1 |
    while IFS= read -r line; do
      case $line in
        I:\ Retrieving* | I:\ Validating* | I:\ Checking\ component* | I:\ Unpacking\ the\ base* | I:\ Configuring\ the\ base* | I:\ Base\ system\ installed*)
          printf '    [%3ds] %s\n' $((SECONDS - started)) "${line#I: }"
          ;;
        E:* | W:*) printf '    %s\n' "$line" ;;
      esac
    done
  if [[ ${PIPESTATUS[0]} -ne 0 || ! -x $root/usr/bin/python3 || ! -x $root/usr/bin/node ]]; then
    echo "debootstrap failed (see the messages above); nothing was imported" >&2
    exit 1
  fi
  step "trimming apt caches and docs"
  ${SUDO:-} rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  step "importing into docker as $DEBIAN_IMAGE"
  ${SUDO:-} tar --numeric-owner -C "$root" -c . |
    docker import -c "ENV PATH=$IMAGE_PATH" -c "ENV LANG=C.UTF-8" -c 'CMD ["/bin/bash"]' \
      -m "scf-emulator debian runtime ($SUITE: python3, nodejs, bash, curl)" - "$DEBIAN_IMAGE" > /dev/null
  step "built $DEBIAN_IMAGE in $((SECONDS - started))s: $(docker run --rm --network none "$DEBIAN_IMAGE" sh -c 'python3 --version; echo node $(node --version)' | tr '\n' ' ')"
}

[[ $only == debian ]] || build_static
[[ $only == static ]] || build_debian
step "done"
