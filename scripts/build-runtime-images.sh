#!/usr/bin/env bash
# build-runtime-images.sh builds, without any image registry, the local images
# the emulator's docker runtime uses. It is a thin wrapper around
# `emulator images --build` (cmd/emulator/images.go, runtime/docker/images_build.go):
#
#   scf-emulator/debian-runtime:bookworm
#       Debian bookworm (debootstrap --variant=minbase) with python3, nodejs,
#       php-cli, bash, curl and ca-certificates. The default image of
#       CustomRuntime functions (bash + curl bootstraps), of Go1 binaries that
#       are not static, and the stand-in for Python, Node.js and PHP functions
#       when their default image (python:3.9-slim, node:16-slim,
#       php:8.0-cli, ...) cannot be pulled. An image built before PHP was
#       added lacks php: rebuild it with --force.
#   scf-emulator/static:latest
#       An empty file system (scratch) with CA certificates and /tmp, for
#       static binaries: the default of Go1 functions. `emulator up` also
#       creates this one by itself when it is missing (no network needed).
#
# Images that exist are kept unless --force is given, so running the script
# again is cheap. Nothing is pulled: Debian packages come from the mirror in
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
#
# Usage: scripts/build-runtime-images.sh [--force] [--only debian|static]
#
# Needs: go, docker (a running daemon), and for the Debian image debootstrap
# (`apt-get install debootstrap`) run as root (or through sudo), tar.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
args=()
while (($#)); do
  case $1 in
    --force) args+=(--force) ;;
    --only)
      [[ $# -ge 2 ]] || { echo "--only needs debian or static" >&2; exit 2; }
      args+=(--only "$2")
      shift
      ;;
    --only=*) args+=(--only "${1#--only=}") ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
exec go run ./cmd/emulator images --build "${args[@]}"
