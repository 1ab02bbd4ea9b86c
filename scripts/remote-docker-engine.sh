#!/usr/bin/env bash
# remote-docker-engine.sh runs, on this one machine, a second Docker Engine that
# behaves like a REMOTE one, so CI can prove that the emulator's docker runtime
# works against an engine it shares neither a file system nor a network
# namespace with:
#
#   DOCKER_HOST=tcp://10.203.0.2:2375 emulator up --runtime docker
#
# The engine (dockerd plus its own managed containerd) runs
#   * in its own network namespace "scfremote": a veth pair, host side
#     10.203.0.1/24, engine side eth0 10.203.0.2/24 (default route via
#     10.203.0.1); its bridge is 10.204.0.1/24, its networks come from
#     10.205.0.0/16 and its iptables rules live in that namespace only, so the
#     main daemon's rules are not touched. Containers reach the host at
#     10.203.0.1; ports they publish on 10.203.0.2 are reachable from the host.
#   * in its own mount namespace where /work, /tmp, /var/tmp, /home, /root,
#     /run, /var/lib/docker and /etc/docker are empty tmpfs: a bind mount of a
#     host path (the repository, a state dir) shows an empty directory there,
#     so code has to be copied into containers, never bind-mounted.
# State (data/exec roots, pidfile, socket, engine.log) is in REMOTE_ENGINE_DIR
# (default /var/lib/scf-remote-engine); `stop` removes it unless KEEP=1.
# `start` copies the emulator's local images into the engine (never pulls).
#
# SECURITY: the API listens on plain TCP without TLS. That is acceptable only
# because 10.203.0.2 sits on a host-local veth lab network; never reuse this
# setup on an address reachable from other machines.
#
# Usage: scripts/remote-docker-engine.sh start|stop|status|env
#   eval "$(scripts/remote-docker-engine.sh env)"   # export DOCKER_HOST
# Environment: REMOTE_ENGINE_DIR, KEEP=1 (stop keeps the dir), SKIP_IMAGES=1,
#   STORAGE_DRIVER (default: dockerd's choice, overlay2), MAIN_DOCKER_HOST
#   (the engine images are copied from; default unix:///var/run/docker.sock).
# Needs root, dockerd, containerd, docker CLI, iproute2, util-linux.
set -euo pipefail

NS=scfremote
VETH=scfremote0                       # host side; the namespace side is eth0
HOST_IP=10.203.0.1 ENGINE_IP=10.203.0.2
REMOTE=tcp://$ENGINE_IP:2375
MAIN=${MAIN_DOCKER_HOST:-unix:///var/run/docker.sock}
DIR=${REMOTE_ENGINE_DIR:-/var/lib/scf-remote-engine}
CGROUP=scf-remote-engine              # --cgroup-parent, under every hierarchy
HIDE="/work /tmp /var/tmp /home /root /run /var/lib/docker /etc/docker"
IMAGES=(scf-emulator/debian-runtime:bookworm scf-emulator/static:latest)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

step() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
rdocker() { docker -H "$REMOTE" "$@"; }
alive() { [[ $(ps -o stat= -p "$1" 2>/dev/null) == [^Z]* ]]; }   # running, not a zombie
engine_pid() { local p; p=$(cat "$DIR/dockerd.pid" 2>/dev/null) && alive "$p" && echo "$p"; }
answers() { timeout 5 docker -H "$REMOTE" info > /dev/null 2>&1; }

preflight() {
  [[ $(id -u) == 0 ]] || die "must run as root (network and mount namespaces)"
  for c in dockerd containerd docker ip unshare nsenter findmnt iptables; do
    command -v "$c" > /dev/null || die "$c is missing"
  done
  DIR=$(realpath -m "$DIR")
  for p in $HIDE; do
    [[ $DIR == "$p" || $DIR == "$p"/* ]] && die "REMOTE_ENGINE_DIR=$DIR is under $p, which the engine's mount namespace hides"
  done
  return 0
}

setup_network() {
  step "network namespace $NS: $VETH $HOST_IP/24 <-> eth0 $ENGINE_IP/24"
  ip netns add "$NS"
  ip link add "$VETH" type veth peer name eth0 netns "$NS"
  ip addr add "$HOST_IP/24" dev "$VETH"; ip link set "$VETH" up
  ip -n "$NS" addr add "$ENGINE_IP/24" dev eth0; ip -n "$NS" link set eth0 up
  ip -n "$NS" link set lo up
  ip -n "$NS" route add default via "$HOST_IP"
}

# Runs inside the new mount namespace (and network namespace $NS), then execs dockerd.
# /sys is remounted so it describes $NS (the host's cgroup tree is kept), and
# inherited mounts under the hidden paths (main engine's container rootfs and
# netns files) are detached first so this namespace pins none of them.
INNER='set -eu
mkdir -p "$DIR/cgroup"
mount --rbind /sys/fs/cgroup "$DIR/cgroup"
mount -t sysfs sysfs /sys
mount --move "$DIR/cgroup" /sys/fs/cgroup
for p in $HIDE; do
  [ -d "$p" ] || continue
  findmnt -rn -o TARGET | awk -v p="$p" "\$0 == p || index(\$0, p \"/\") == 1" | sort -r |
    while read -r m; do umount -l "$m"; done
  mount -t tmpfs -o mode=755 scf-remote-hidden "$p"
done
exec "$@"'

start() {
  preflight
  if pid=$(engine_pid) && answers; then
    step "remote engine already up (dockerd pid $pid) at $REMOTE"; exit 0
  fi
  if [[ -e /run/netns/$NS ]] || [[ -e $DIR/dockerd.pid ]]; then
    step "leftovers of an earlier engine found: cleaning up first"; KEEP=1 stop
  fi
  local t0; t0=$(now)
  mkdir -p "$DIR/data" "$DIR/exec"
  setup_network
  local args=(--host "$REMOTE" --host "unix://$DIR/docker.sock" --tls=false
    --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/dockerd.pid"
    --bip 10.204.0.1/24 --default-address-pool base=10.205.0.0/16,size=24
    --iptables=true --ip-forward=true --cgroup-parent "/$CGROUP")
  [[ -n ${STORAGE_DRIVER:-} ]] && args+=(--storage-driver "$STORAGE_DRIVER")
  step "starting dockerd (own containerd, mount namespace), log: $DIR/engine.log"
  rm -f "$DIR/dockerd.pid"
  DIR=$DIR HIDE=$HIDE setsid nsenter --net="/run/netns/$NS" unshare --mount --propagation private \
    bash -c "$INNER" inner dockerd "${args[@]}" >> "$DIR/engine.log" 2>&1 < /dev/null &
  local launcher=$! i why
  for ((i = 0; i < 120; i++)); do
    answers && break
    alive "$launcher" || break
    sleep 0.5
  done
  if ! answers; then
    alive "$launcher" && why="did not answer within 60s" || why="exited"
    echo "remote engine $why ($REMOTE); run stop to clean up. Last lines of $DIR/engine.log:" >&2
    tail -n 40 "$DIR/engine.log" >&2
    exit 1
  fi
  step "engine up in $(since "$t0"): $(rdocker version -f 'dockerd {{.Server.Version}}') (pid $(engine_pid)), storage $(rdocker info -f '{{.Driver}}')"
  [[ ${SKIP_IMAGES:-0} == 1 ]] || load_images
  step "ready in $(since "$t0") total; use: export DOCKER_HOST=$REMOTE"
}

load_images() {
  local missing=() img t
  for img in "${IMAGES[@]}"; do
    docker -H "$MAIN" image inspect "$img" > /dev/null 2>&1 || missing+=("$img")
  done
  if ((${#missing[@]})); then
    step "main engine lacks ${missing[*]}: running scripts/build-runtime-images.sh"
    DOCKER_HOST=$MAIN bash "$HERE/build-runtime-images.sh"
  fi
  for img in "${IMAGES[@]}"; do
    if [[ $(rdocker image inspect -f '{{.Id}}' "$img" 2>/dev/null) == "$(docker -H "$MAIN" image inspect -f '{{.Id}}' "$img")" ]]; then
      step "image $img already in the remote engine"; continue
    fi
    t=$(now)
    step "copying $img ($(docker -H "$MAIN" image inspect -f '{{.Size}}' "$img" | numfmt --to=iec)) into the remote engine"
    docker -H "$MAIN" save "$img" | rdocker load
    step "  $img loaded in $(since "$t")"
  done
}

stop() {
  preflight
  local pid i t0; t0=$(now)
  if pid=$(engine_pid); then
    # The state is thrown away: kill containers instead of waiting out their stop timeout.
    local ids; ids=$(timeout 10 docker -H "$REMOTE" ps -q 2>/dev/null || true)
    [[ -n $ids ]] && { step "killing $(wc -w <<< "$ids") container(s)"; rdocker kill $ids > /dev/null || true; }
    step "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < 60; i++)); do alive "$pid" || break; sleep 0.5; done
  fi
  # Whatever survived: containerd, shims, docker-proxy (all in $NS) and the
  # containers' processes (in the engine's cgroups).
  local left; left=$( { ip netns pids "$NS" || true; cat /sys/fs/cgroup/*/"$CGROUP"/*/cgroup.procs || true; } 2>/dev/null | sort -u)
  if [[ -n $left ]]; then
    step "killing leftover processes: $(echo $left)"
    kill -KILL $left 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      [[ -z $(ip netns pids "$NS" 2>/dev/null) ]] && break; sleep 0.25
    done
  fi
  if [[ -e /run/netns/$NS ]]; then step "removing network namespace $NS"; ip netns del "$NS"; fi
  ip link del "$VETH" 2>/dev/null || true
  find /sys/fs/cgroup/*/"$CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
  rm -f "$DIR/dockerd.pid"
  if [[ -d $DIR && ${KEEP:-0} != 1 ]]; then
    step "removing $DIR"
    findmnt -rn -o TARGET | awk -v p="$DIR" 'index($0, p "/") == 1' | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$DIR"
  fi
  step "remote engine stopped ($(since "$t0"))"
}

status() {
  local pid
  if pid=$(engine_pid) && answers; then
    echo "up: dockerd pid $pid at $REMOTE (unix://$DIR/docker.sock), state in $DIR"
    rdocker info -f '  {{.ServerVersion}} storage={{.Driver}} cgroup={{.CgroupDriver}} containers={{.Containers}} running={{.ContainersRunning}} images={{.Images}}'
  else
    echo "down${pid:+ (dockerd pid $pid does not answer)}"
    [[ -e /run/netns/$NS ]] && echo "  network namespace $NS exists (run stop to clean up)"
    [[ -d $DIR ]] && echo "  state dir $DIR exists"
    return 3
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export DOCKER_HOST=$REMOTE" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 2 ;;
esac
