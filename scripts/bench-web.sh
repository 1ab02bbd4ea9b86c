#!/usr/bin/env bash
# bench-web.sh measures, side by side in one run, a hello-world web function
# (scripts/benchweb, a static Go server) served three ways:
#
#   direct   the server itself
#   nginx    nginx (1 worker, keep-alive upstream) in front of the server
#   nginx, platform headers
#            the same nginx, also doing what the gateway must do on every
#            request: the nine X-Scf-* headers of the platform and
#            X-Forwarded-* to the function, the five X-Scf-*/X-Api-Requestid
#            answer headers back (the function parses 12 more headers per
#            request, which costs it CPU on the same two cores)
#   gateway  the emulator's gateway in front of instances of the same
#            binary, run by `emulator up --runtime process`: one instance
#            per concurrent request (the platform's default, concurrency 1)
#   gateway, concurrency 32
#            a second emulator whose web function has `concurrency: 32`
#            and `--max-instances 1`: one instance takes every request, as
#            nginx's one upstream server does
#
# and a Python event function (sample-functions/python-event) through the
# gateway. It prints req/s (wrk -t1 -c$CONNS) and p50 at one connection
# (wrk -t1 -c1) for each, and the ratios the performance goals are stated in:
# gateway/nginx throughput and the p50 the gateway adds over direct. It also
# prints the CPU time (user + system, from /proc) each proxy spent per
# request in its throughput run: the figure least moved by what else runs
# on the machine.
#
# Everything listens on 127.0.0.1 only and every load run is bounded by
# BENCH_SECONDS. wrk is required and nginx optional: as root the script
# installs a missing one with apt-get; otherwise it says how, and runs
# without nginx.
#
# Environment:
#   BENCH_SECONDS     seconds per wrk run (default 5)
#   BENCH_ROUNDS      rounds over all paths (default 3); figures are the
#                     rounds' medians, ratios are per round and their median
#   BENCH_CONNS       connections for the throughput runs (default 32)
#   BENCH_EVENT_CONNS connections for the event function run (default 8)
#   BENCH_INSTANCES   --max-instances for the emulator (default 32)
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-32}
EVENT_CONNS=${BENCH_EVENT_CONNS:-8}
INSTANCES=${BENCH_INSTANCES:-32}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

die() {
	echo "bench-web: $*" >&2
	exit 1
}
for v in "$SECONDS_PER_RUN" "$ROUNDS" "$CONNS" "$EVENT_CONNS" "$INSTANCES"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNS, BENCH_EVENT_CONNS and BENCH_INSTANCES must be positive integers"
done
for tool in go curl python3 awk; do
	command -v "$tool" >/dev/null || die "$tool is required"
done

# ensure CMD PACKAGE installs PACKAGE with apt-get when CMD is missing and we
# are root; it fails (status 1) when CMD still cannot be had.
ensure() {
	command -v "$1" >/dev/null && return 0
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "installing $2 with apt-get"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1; } || true
	fi
	command -v "$1" >/dev/null
}
ensure wrk wrk || die "wrk is required: install the Debian package wrk (sudo apt-get install wrk)"
nginx_bin=''
if ensure nginx nginx-light; then
	nginx_bin=$(command -v nginx)
else
	echo "bench-web: nginx is not installed and cannot be installed here (sudo apt-get install nginx-light); skipping the nginx row" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-web.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# await URL PID waits up to 30 s for URL to answer 200 while PID lives.
await() {
	for _ in $(seq 300); do
		[[ $(curl -sS --noproxy '*' --max-time 1 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null) == 200 ]] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

echo "building the emulator and the hello-world server"
(cd "$repo" && go build -o "$tmp/emulator" ./cmd/emulator && CGO_ENABLED=0 go build -o "$tmp/fn/server" ./scripts/benchweb)
printf '#!/bin/sh\nexec "$(dirname "$0")/server"\n' >"$tmp/fn/scf_bootstrap"
chmod +x "$tmp/fn/scf_bootstrap"

gw_port=$(freeport)
admin_port=$(freeport)
direct_port=$(freeport)
nginx_port=$(freeport)
nginx_hdr_port=$(freeport)
gw1_port=$(freeport)
admin1_port=$(freeport)
cat >"$tmp/emulator.yaml" <<EOF
functions:
  web:
    source: $tmp/fn
    runtime: CustomRuntime
    type: http
    memorySize: 128
    timeout: 3
  event:
    source: $repo/sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    memorySize: 128
    timeout: 3
services:
  S:
    stages:
      release: \$LATEST
    apis:
      - {path: /web, method: ANY, function: web}
      - {path: /event, method: ANY, function: event}
EOF

"$tmp/emulator" up -f "$tmp/emulator.yaml" --runtime process --state-dir "$tmp/state" \
	--gateway-addr "127.0.0.1:$gw_port" --admin-addr "127.0.0.1:$admin_port" \
	--max-instances "$INSTANCES" --log-level error >"$tmp/emulator.log" 2>&1 &
pids+=($!)
emu_pid=$!
# The same web function with one instance serving 32 requests at once.
mkdir -p "$tmp/one"
cat >"$tmp/one/emulator.yaml" <<EOF
functions:
  web:
    source: $tmp/fn
    runtime: CustomRuntime
    type: http
    memorySize: 128
    timeout: 3
    concurrency: 32
services:
  S:
    stages:
      release: \$LATEST
    apis:
      - {path: /web, method: ANY, function: web}
EOF
"$tmp/emulator" up -f "$tmp/one/emulator.yaml" --runtime process --state-dir "$tmp/one/state" \
	--gateway-addr "127.0.0.1:$gw1_port" --admin-addr "127.0.0.1:$admin1_port" \
	--max-instances 1 --log-level error >"$tmp/one/emulator.log" 2>&1 &
pids+=($!)
emu1_pid=$!
PORT=$direct_port BIND_HOST=127.0.0.1 "$tmp/fn/server" >"$tmp/direct.log" 2>&1 &
pids+=($!)
await "http://127.0.0.1:$direct_port/" "$!" || die "the server never answered: $(cat "$tmp/direct.log")"
await "http://127.0.0.1:$gw_port/release/web" "$emu_pid" || die "the gateway never answered: $(tail -20 "$tmp/emulator.log")"
await "http://127.0.0.1:$gw_port/release/event" "$emu_pid" || die "the event function never answered: $(tail -20 "$tmp/emulator.log")"
await "http://127.0.0.1:$gw1_port/release/web" "$emu1_pid" || die "the concurrency-32 gateway never answered: $(tail -20 "$tmp/one/emulator.log")"

if [[ -n $nginx_bin ]]; then
	mkdir -p "$tmp/nginx/logs"
	cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log error;
events { worker_connections 1024; }
http {
	access_log off;
	upstream fn { server 127.0.0.1:$direct_port; keepalive 64; }
	server {
		listen 127.0.0.1:$nginx_port;
		location / {
			proxy_pass http://fn;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
	server {
		listen 127.0.0.1:$nginx_hdr_port;
		location / {
			proxy_pass http://fn;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header X-Forwarded-For \$remote_addr;
			proxy_set_header X-Forwarded-Host \$host;
			proxy_set_header X-Forwarded-Proto http;
			proxy_set_header X-Scf-Request-Id \$request_id;
			proxy_set_header X-Scf-Memory 128;
			proxy_set_header X-Scf-Timeout 3;
			proxy_set_header X-Scf-Version LATEST;
			proxy_set_header X-Scf-Name web;
			proxy_set_header X-Scf-Namespace default;
			proxy_set_header X-Scf-Region ap-guangzhou;
			proxy_set_header X-Scf-Appid 1250000000;
			proxy_set_header X-Scf-Uin 100000000001;
			add_header X-Api-Requestid \$request_id always;
			add_header X-Scf-Request-Id \$request_id always;
			add_header X-Scf-Version LATEST always;
			add_header X-Scf-Route primary always;
			add_header X-Scf-Status 200 always;
		}
	}
}
EOF
	"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx/out.log" 2>&1 &
	pids+=($!)
	await "http://127.0.0.1:$nginx_port/" "$!" || die "nginx never answered: $(cat "$tmp/nginx/out.log" "$tmp/nginx/logs/error.log")"
	# The worker, whose CPU time is nginx's per request.
	nginx_worker=''
	for _ in $(seq 50); do
		nginx_worker=$(pgrep -P "${pids[-1]}" | head -n 1) && [[ -n $nginx_worker ]] && break
		sleep 0.1
	done
fi

hz=$(getconf CLK_TCK)
# ticks PID: the CPU time of PID so far, in clock ticks (user + system).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A proxy_pid proxy_cpu
# run NAME URL CONNS: one bounded wrk run; keeps its output in $tmp/NAME.wrk,
# and the proxy's CPU ticks over it in proxy_cpu[NAME] when it has a pid.
run() {
	local pid=${proxy_pid[${1%.r*}]:-} t0=0
	[[ -n $pid ]] && t0=$(ticks "$pid")
	wrk -t1 -c"$3" -d"${SECONDS_PER_RUN}s" --timeout 5s --latency "$2" >"$tmp/$1.wrk" 2>&1 || die "wrk $2: $(cat "$tmp/$1.wrk")"
	[[ -n $pid ]] && proxy_cpu[$1]=$(($(ticks "$pid") - t0))
	if grep -q 'Non-2xx\|Socket errors' "$tmp/$1.wrk"; then
		echo "bench-web: warning: $1 had errors: $(grep 'Non-2xx\|Socket errors' "$tmp/$1.wrk")" >&2
	fi
}
rps() { awk '/^Requests\/sec:/ { print $2 }' "$tmp/$1.wrk"; }
# p50 prints wrk's median latency in microseconds.
p50() {
	awk '$1 == "50%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : 0; printf "%.0f", v * f }' "$tmp/$1.wrk"
}

# cpu_per_request NAME: the proxy's CPU µs per request in NAME's run, or -.
cpu_per_request() {
	local n
	n=$(awk '/requests in/ { print $1 }' "$tmp/$1.wrk")
	if [[ -n ${proxy_cpu[$1]:-} && -n $n && $n -gt 0 ]]; then
		awk -v t="${proxy_cpu[$1]}" -v hz="$hz" -v n="$n" 'BEGIN { printf "%.0f", t / hz / n * 1e6 }'
	else
		echo -
	fi
}
# median prints the median of its numeric arguments ("-" are skipped).
median() {
	printf '%s\n' "$@" | grep -v '^-\?$' | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		if (m == int(m)) printf "%d\n", m; else printf "%.2f\n", m }'
}
# over FN NAME: FN of NAME's run in every round.
over() {
	local r
	for ((r = 1; r <= ROUNDS; r++)); do printf '%s\n' "$("$1" "$2.r$r")"; done
}
# ratio A B: A/B per round, two decimals, with the rounds' median last.
ratio() {
	local r list=()
	for ((r = 1; r <= ROUNDS; r++)); do
		list+=("$(awk -v a="$("$1" "$2.r$r")" -v b="$("$1" "$3.r$r")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')")
	done
	echo "${list[*]} (median $(median "${list[@]}"))"
}
# added A B: A-B per round in µs (p50 at c=1), with the median last.
added() {
	local r list=()
	for ((r = 1; r <= ROUNDS; r++)); do
		list+=("$(($(p50 "$1.r$r") - $(p50 "$2.r$r")))")
	done
	echo "${list[*]} (median $(median "${list[@]}"))"
}

targets=(direct "http://127.0.0.1:$direct_port/web")
if [[ -n $nginx_bin ]]; then
	targets+=(nginx "http://127.0.0.1:$nginx_port/web")
	targets+=(nginx-hdr "http://127.0.0.1:$nginx_hdr_port/web")
	proxy_pid[nginx]=$nginx_worker proxy_pid[nginx-hdr]=$nginx_worker
fi
proxy_pid[gateway]=$emu_pid proxy_pid[gateway-c32]=$emu1_pid
targets+=(gateway "http://127.0.0.1:$gw_port/release/web")
targets+=(gateway-c32 "http://127.0.0.1:$gw1_port/release/web")
echo "warming up, then $ROUNDS rounds of ${SECONDS_PER_RUN}s per run: wrk -t1 -c$CONNS (req/s), wrk -t1 -c1 (p50)"
for ((i = 0; i < ${#targets[@]}; i += 2)); do
	wrk -t1 -c"$CONNS" -d1s "${targets[i + 1]}" >/dev/null 2>&1 || true
done
# Every path runs once per round, one after the other, so a ratio compares
# runs seconds apart: this machine's speed drifts over minutes (other
# processes, the host), which moved single-run ratios by ±0.1.
for ((r = 1; r <= ROUNDS; r++)); do
	for ((i = 0; i < ${#targets[@]}; i += 2)); do
		name=${targets[i]} url=${targets[i + 1]}
		run "$name.r$r" "$url" "$CONNS"
		run "$name-c1.r$r" "$url" 1
	done
done
event_url="http://127.0.0.1:$gw_port/release/event"
wrk -t1 -c"$EVENT_CONNS" -d1s "$event_url" >/dev/null 2>&1 || true
# The emulator's CPU time (user + system, from /proc) over the event run,
# per request: what the event path costs the emulator itself.
t0=$(ticks "$emu_pid")
run event "$event_url" "$EVENT_CONNS"
t1=$(ticks "$emu_pid")
run event-c1 "$event_url" 1
event_requests=$(awk '/requests in/ { print $1 }' "$tmp/event.wrk")

echo
echo "medians over $ROUNDS rounds"
printf '%-44s %10s %12s %14s\n' "" "req/s" "p50 c=1 µs" "proxy CPU µs"
for ((i = 0; i < ${#targets[@]}; i += 2)); do
	name=${targets[i]}
	label=$name
	[[ $name == gateway-c32 ]] && label='gateway, concurrency 32'
	[[ $name == nginx-hdr ]] && label='nginx, platform headers'
	printf '%-44s %10s %12s %14s\n' "web function, $label" "$(median $(over rps "$name"))" \
		"$(median $(over p50 "$name-c1"))" "$(median $(over cpu_per_request "$name"))"
done
printf '%-44s %10s %12s\n' "python event function, gateway" "$(rps event)" "$(p50 event-c1)"
awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$event_requests" 'BEGIN {
	if (n > 0) printf "emulator CPU per event invocation  %.0f µs (c=%d)\n", t / hz / n * 1e6, '"$EVENT_CONNS"'
}'
echo
echo "per round, then the median:"
if [[ -n $nginx_bin ]]; then
	echo "gateway / nginx throughput                 $(ratio rps gateway nginx) (goal >= 0.8x)"
	echo "gateway, concurrency 32 / nginx throughput $(ratio rps gateway-c32 nginx) (goal >= 0.8x)"
	echo "the same, like for like (nginx with the platform headers): $(ratio rps gateway-c32 nginx-hdr)"
fi
echo "gateway, concurrency 32 / direct throughput $(ratio rps gateway-c32 direct)"
echo "p50 the gateway adds at c=1, µs: $(added gateway-c1 direct-c1); concurrency 32: $(added gateway-c32-c1 direct-c1) (goal <= 100 µs)"
