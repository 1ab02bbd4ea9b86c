#!/usr/bin/env bash
# bench-gateway.sh measures what the emulator's gateway adds to a request.
#
# It needs a RUNNING emulator started with the repository's emulator.yaml (the
# web function hello-web on $GATEWAY/release/web). It starts the same web
# function's app.py directly on a free loopback port, warms both, runs
# scripts/loadgen against each with the same request count and concurrency,
# and prints p50, p99 and req/s for both, the latency the gateway adds
# (gateway minus direct) and the ratios.
#
# Environment:
#   GATEWAY            the gateway (default http://127.0.0.1:8080)
#   BENCH_PATH         path on the gateway (default /release/web)
#   BENCH_REQUESTS     requests per measurement (default 5000)
#   BENCH_CONCURRENCY  concurrent requests (default 8)
#   BENCH_WARMUP       warm-up requests per target (default 200)
#   BENCH_TIMEOUT      time budget per loadgen run (default 60s)
set -euo pipefail

GATEWAY=${GATEWAY:-http://127.0.0.1:8080}
GATEWAY=${GATEWAY%/}
BENCH_PATH=${BENCH_PATH:-/release/web}
REQUESTS=${BENCH_REQUESTS:-5000}
CONCURRENCY=${BENCH_CONCURRENCY:-8}
WARMUP=${BENCH_WARMUP:-200}
TIMEOUT=${BENCH_TIMEOUT:-60s}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
web=$repo/sample-functions/web-function

die() {
	echo "bench-gateway: $*" >&2
	exit 1
}

for tool in go curl python3 awk sed; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
for v in "$REQUESTS" "$CONCURRENCY" "$WARMUP"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "BENCH_REQUESTS, BENCH_CONCURRENCY and BENCH_WARMUP must be positive integers"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-gateway.XXXXXX")
direct_pid=''
cleanup() {
	if [[ -n $direct_pid ]] && kill -0 "$direct_pid" 2>/dev/null; then
		kill "$direct_pid" 2>/dev/null || true
		wait "$direct_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gateway_url=$GATEWAY$BENCH_PATH
status=$(curl -sS --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "$gateway_url" 2>"$tmp/curl.err") ||
	die "gateway $gateway_url does not answer ($(<"$tmp/curl.err")); is 'emulator up' running with the root emulator.yaml?"
[[ $status == 200 ]] || die "gateway $gateway_url answered $status, want 200 (is hello-web on $BENCH_PATH?)"

echo "building loadgen"
(cd "$repo" && go build -o "$tmp/loadgen" ./scripts/loadgen)

# The direct server gets the environment the emulator's process runtime gives
# the web function, on a free loopback port.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# shellcheck disable=SC2016 # '$LATEST' is a literal version name
PORT=$port BIND_HOST=127.0.0.1 SCF_FUNCTIONNAME=hello-web SCF_FUNCTIONVERSION='$LATEST' SCF_NAMESPACE=default \
	SCF_RUNTIME=Python3.9 TENCENTCLOUD_RUNENV=SCF USER_CODE_ROOT=$web \
	"$web/scf_bootstrap" >"$tmp/direct.log" 2>&1 &
direct_pid=$!
direct_url=http://127.0.0.1:$port/web
for _ in $(seq 100); do
	curl -sS --noproxy '*' --max-time 1 -o /dev/null "$direct_url" 2>/dev/null && break
	kill -0 "$direct_pid" 2>/dev/null || die "the direct web server exited: $(cat "$tmp/direct.log")"
	sleep 0.1
done
curl -sS --noproxy '*' --max-time 1 -o /dev/null "$direct_url" || die "the direct web server never answered on port $port"

loadgen() { "$tmp/loadgen" -c "$CONCURRENCY" -timeout "$TIMEOUT" "$@"; }

echo "warming up: $WARMUP requests to each"
loadgen -url "$gateway_url" -n "$WARMUP" >/dev/null
loadgen -url "$direct_url" -n "$WARMUP" >/dev/null

echo "measuring: $REQUESTS requests, concurrency $CONCURRENCY"
loadgen -url "$gateway_url" -n "$REQUESTS" -json >"$tmp/gateway.json"
loadgen -url "$direct_url" -n "$REQUESTS" -json >"$tmp/direct.json"

# field FILE KEY prints a top-level number of loadgen's -json output.
field() { sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" "$1"; }
# object FILE KEY prints a top-level flat object, e.g. {"200":5000}.
object() { sed -n "s/.*\"$2\":\({[^}]*}\).*/\1/p" "$1"; }

for side in gateway direct; do
	f=$tmp/$side.json
	printf '%-8s %s: completed %s/%s, errors %s, status %s, X-Scf-Version %s\n' "$side" \
		"$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$f")" "$(field "$f" completed)" "$REQUESTS" \
		"$(field "$f" errors)" "$(object "$f" status)" "$(object "$f" versions)"
done
echo

awk -v gp50="$(field "$tmp/gateway.json" p50_ms)" -v gp99="$(field "$tmp/gateway.json" p99_ms)" \
	-v grps="$(field "$tmp/gateway.json" rps)" \
	-v dp50="$(field "$tmp/direct.json" p50_ms)" -v dp99="$(field "$tmp/direct.json" p99_ms)" \
	-v drps="$(field "$tmp/direct.json" rps)" '
	function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
	BEGIN {
		printf "%-22s %10s %10s %10s\n", "", "p50 ms", "p99 ms", "req/s"
		printf "%-22s %10.2f %10.2f %10.1f\n", "gateway", gp50, gp99, grps
		printf "%-22s %10.2f %10.2f %10.1f\n", "direct", dp50, dp99, drps
		printf "%-22s %10.2f %10.2f %10s\n", "added by gateway", gp50 - dp50, gp99 - dp99, ""
		printf "%-22s %10s %10s %10s\n", "ratio gateway/direct", ratio(gp50, dp50), ratio(gp99, dp99), ratio(grps, drps)
	}'

if [[ $(field "$tmp/gateway.json" errors) != 0 || $(object "$tmp/gateway.json" status) != "{\"200\":$(field "$tmp/gateway.json" completed)}" ]]; then
	echo "bench-gateway: warning: the gateway run had errors or non-200 answers (see above)" >&2
fi
