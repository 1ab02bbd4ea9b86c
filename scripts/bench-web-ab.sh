#!/usr/bin/env bash
# bench-web-ab.sh compares the CPU per web request of emulator builds side by
# side, on a shared machine: every build runs at once, each an `emulator up
# --runtime process` in front of bench-web's Go server (scripts/benchweb) at
# `concurrency: 32` on one instance (bench-web's "gateway, concurrency 32"
# row), and every round runs `wrk -t1 -c32` on each in turn, so the builds
# see the same machine within seconds. It prints, per run and as medians,
# req/s and the emulator's CPU per request (user + system, and user alone,
# from /proc/PID/stat).
#
#   scripts/bench-web-ab.sh old=/tmp/emulator-old new=/tmp/emulator-new 'gc100=/tmp/emulator-new:GOGC=100'
#
# An argument is LABEL=BINARY, optionally :VAR=VALUE (environment for that
# emulator). Everything listens on 127.0.0.1; each run is BENCH_SECONDS (4)
# long, BENCH_ROUNDS (8) rounds. wrk, curl, go and python3 are required.
set -euo pipefail
ROUNDS=${BENCH_ROUNDS:-8}
SECS=${BENCH_SECONDS:-4}
[[ $# -ge 1 ]] || { echo "usage: $0 LABEL=BINARY[:VAR=VALUE] ..." >&2; exit 2; }
for tool in wrk curl go python3; do
	command -v "$tool" >/dev/null || { echo "bench-web-ab: $tool is required" >&2; exit 1; }
done
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
d=$(mktemp -d "${TMPDIR:-/tmp}/bench-web-ab.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$d"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
(cd "$repo" && CGO_ENABLED=0 go build -o "$d/fn/server" ./scripts/benchweb)
printf '#!/bin/sh\nexec "$(dirname "$0")/server"\n' >"$d/fn/scf_bootstrap"
chmod +x "$d/fn/scf_bootstrap"
cat >"$d/emulator.yaml" <<EOF2
functions:
  web: {source: $d/fn, runtime: CustomRuntime, type: http, memorySize: 128, timeout: 3, concurrency: 32}
services:
  S:
    stages: {release: \$LATEST}
    apis:
      - {path: /web, method: ANY, function: web}
EOF2
labels=() ports=() epids=()
for spec in "$@"; do
	label=${spec%%=*} rest=${spec#*=}
	bin=${rest%%:*} envs=()
	[[ $rest == *:* ]] && envs=("${rest#*:}")
	port=$(freeport) aport=$(freeport)
	mkdir -p "$d/$label"
	env "${envs[@]}" "$bin" up -f "$d/emulator.yaml" --runtime process --state-dir "$d/$label/state" \
		--gateway-addr "127.0.0.1:$port" --admin-addr "127.0.0.1:$aport" --max-instances 1 --log-level error >"$d/$label/log" 2>&1 &
	pids+=($!) epids+=($!) labels+=("$label") ports+=("$port")
done
for i in "${!labels[@]}"; do
	ok=''
	for _ in $(seq 300); do
		curl -sS --noproxy '*' --max-time 1 -o /dev/null "http://127.0.0.1:${ports[i]}/release/web" 2>/dev/null && ok=1 && break
		sleep 0.1
	done
	[[ -n $ok ]] || { echo "bench-web-ab: ${labels[i]} never answered: $(tail -5 "$d/${labels[i]}/log")" >&2; exit 1; }
	wrk -t1 -c32 -d2s "http://127.0.0.1:${ports[i]}/release/web" >/dev/null
done
hz=$(getconf CLK_TCK)
for ((r = 1; r <= ROUNDS; r++)); do
	for i in "${!labels[@]}"; do
		read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/${epids[i]}/stat")
		out=$(wrk -t1 -c32 -d"${SECS}s" "http://127.0.0.1:${ports[i]}/release/web")
		read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/${epids[i]}/stat")
		n=$(awk '/requests in/ { print $1 }' <<<"$out")
		rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
		awk -v l="${labels[i]}" -v t=$((u1 - u0 + s1 - s0)) -v u=$((u1 - u0)) -v hz="$hz" -v n="$n" -v rps="$rps" \
			-v load="$(cut -d' ' -f1 /proc/loadavg)" \
			'BEGIN { printf "%-10s req/s %8.0f  cpu/req %6.1f us  user %6.1f us  load %s\n", l, rps, t / hz / n * 1e6, u / hz / n * 1e6, load }' |
			tee -a "$d/results"
	done
done
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "medians over $ROUNDS rounds:"
for l in "${labels[@]}"; do
	printf '%-10s cpu/req %s us  user %s us  req/s %s\n' "$l" \
		"$(awk -v l="$l" '$1 == l { print $5 }' "$d/results" | median)" \
		"$(awk -v l="$l" '$1 == l { print $8 }' "$d/results" | median)" \
		"$(awk -v l="$l" '$1 == l { print $3 }' "$d/results" | median)"
done
