#!/usr/bin/env bash
# bench-startup.sh measures how long `emulator up` takes to be ready with many
# functions, and the emulator's idle memory once they have many versions.
#
# It builds the emulator, writes a project of FUNCTIONS tiny Python event
# functions in a temporary folder and runs, on the process runtime:
#   1. `up` on an empty state: ready time (every function is snapshotted);
#      then publishes VERSIONS versions of each function through the CLI;
#   2. `up` again on that state: ready time, and after SETTLE the idle RSS
#      (VmRSS) and its peak (VmHWM) from /proc/PID/status.
# "Ready" is the first answer of the management API (GET /emulator/info),
# timed from the exec of `emulator up`. No instance is started.
#
# Environment:
#   FUNCTIONS  functions in the generated config (default 100)
#   VERSIONS   published versions per function (default 20)
#   SETTLE     wait before reading the idle RSS (default 3s)
#   PUBLISH_JOBS  publishes in parallel (default 4)
set -euo pipefail

FUNCTIONS=${FUNCTIONS:-100}
VERSIONS=${VERSIONS:-20}
SETTLE=${SETTLE:-3}
JOBS=${PUBLISH_JOBS:-4}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

die() {
	echo "bench-startup: $*" >&2
	exit 1
}
for tool in go curl python3 xargs; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
for v in "$FUNCTIONS" "$VERSIONS"; do
	[[ $v =~ ^[0-9]+$ ]] || die "FUNCTIONS and VERSIONS must be integers"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-startup.XXXXXX")
emu_pid=''
stop_emu() {
	if [[ -n $emu_pid ]] && kill -0 "$emu_pid" 2>/dev/null; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	emu_pid=''
}
cleanup() {
	stop_emu
	[[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "building emulator"
(cd "$repo" && go build -o "$tmp/emulator" ./cmd/emulator)

echo "writing $FUNCTIONS functions"
python3 - "$tmp" "$FUNCTIONS" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
lines = ["functions:"]
for i in range(n):
    d = os.path.join(root, "fns", f"f{i}")
    os.makedirs(d)
    with open(os.path.join(d, "index.py"), "w") as f:
        f.write(f"def main_handler(event, context):\n    return {i}\n")
    lines += [f"  f{i}:", f"    source: ./fns/f{i}", "    runtime: Python3.9", "    handler: index.main_handler"]
with open(os.path.join(root, "emulator.yaml"), "w") as f:
    f.write("\n".join(lines) + "\n")
PY

admin_port=$(free_port)
gw_port=$(free_port)
endpoint=http://127.0.0.1:$admin_port

# start_emu starts `up` and sets ready_ms to the milliseconds until it
# answers (not in a subshell: emu_pid must stay set for stop_emu).
start_emu() {
	local t0 t1
	t0=$(date +%s%N)
	"$tmp/emulator" up -f "$tmp/emulator.yaml" --runtime process --state-dir "$tmp/state" \
		--gateway-addr "127.0.0.1:$gw_port" --admin-addr "127.0.0.1:$admin_port" >"$tmp/up.log" 2>&1 &
	emu_pid=$!
	for _ in $(seq 1 3000); do
		if curl -s --noproxy '*' --max-time 1 -o /dev/null "$endpoint/emulator/info"; then
			t1=$(date +%s%N)
			ready_ms=$(((t1 - t0) / 1000000))
			return 0
		fi
		kill -0 "$emu_pid" 2>/dev/null || die "emulator exited: $(tail -5 "$tmp/up.log")"
		sleep 0.005
	done
	die "emulator not ready after 15 s"
}

rss_of() { awk -v k="$2:" '$1 == k { print int($2 / 1024 + 0.5) }' "/proc/$1/status"; }

start_emu
first_ms=$ready_ms
echo "up on an empty state: ready in $first_ms ms"
if ((VERSIONS > 0)); then
	echo "publishing $VERSIONS versions of each function ($((FUNCTIONS * VERSIONS)) in all)"
	for i in $(seq 0 $((FUNCTIONS - 1))); do
		for _ in $(seq 1 "$VERSIONS"); do echo "f$i"; done
	done | xargs -P "$JOBS" -n 1 "$tmp/emulator" --endpoint "$endpoint" publish >/dev/null
fi
stop_emu

start_emu
second_ms=$ready_ms
sleep "$SETTLE"
rss=$(rss_of "$emu_pid" VmRSS)
hwm=$(rss_of "$emu_pid" VmHWM)
threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/$emu_pid/status")
stop_emu

echo
printf '%-44s %s\n' "functions x versions" "$FUNCTIONS x $VERSIONS"
printf '%-44s %s ms\n' "up to ready, empty state" "$first_ms"
printf '%-44s %s ms\n' "up to ready, with the versions" "$second_ms"
printf '%-44s %s MB (peak %s MB, %s threads)\n' "idle RSS after ${SETTLE}s" "$rss" "$hwm" "$threads"
