#!/usr/bin/env bash
# demo-grayscale.sh replays the SCF grayscale release scenario step by step
# against a RUNNING emulator started with the repository's emulator.yaml
# (function B behind service A, stages release -> release, prepub -> prepub,
# dev -> $DEFAULT):
#
#   1. aliases release and prepub on $LATEST; every stage answers $LATEST
#   2. four versions of B published from four different builds of the code
#   3. prepub on V3, with user Bob routed to V4 by a header rule
#   4. release moved from V1 to V2: 10%, 50%, 100%
#   5. rollback: release back to V1
#   6. the dev stage still serves $LATEST
#
# After every traffic shift and after the rollback it prints `emulator stats`
# over the last burst: each version's share, errors and latency (step 6 of the
# seed: watch version 2 rise and version 1 fall). The dashboard at the
# management address (GET /) shows the same live.
#
# Each step checks what the gateway answers (X-Scf-Version, X-Scf-Route) and
# the demo stops with a non-zero status at the first step that misbehaves.
# The source file of B is rewritten during step 2 and restored on exit.
#
# Environment:
#   EMULATOR           the emulator CLI (default: emulator on PATH, else ./emulator
#                      at the repository's root, where README's walkthrough builds it)
#   EMULATOR_ENDPOINT  its management API (default http://127.0.0.1:9001)
#   GATEWAY            the gateway (default http://127.0.0.1:8080)
#   DEMO_REQUESTS      requests per weighted step (default 400)
#   DEMO_PARALLEL      concurrent requests (default 8)
#   DEMO_SOURCE        B's handler file (default sample-functions/python-event/index.py)
#
# Needs bash, curl >= 7.84 and standard tools (awk, sed, grep, xargs).
#
# shellcheck disable=SC2016 # '$LATEST' and '$DEFAULT' are literal names, not expansions
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${EMULATOR:-}" ]; then
	EMULATOR=emulator
	if ! command -v emulator >/dev/null && [ -x "$repo/emulator" ]; then
		EMULATOR=$repo/emulator
	fi
fi
GATEWAY=${GATEWAY:-http://127.0.0.1:8080}
GATEWAY=${GATEWAY%/}
export EMULATOR_ENDPOINT=${EMULATOR_ENDPOINT:-http://127.0.0.1:9001}
REQUESTS=${DEMO_REQUESTS:-400}
PARALLEL=${DEMO_PARALLEL:-8}
FUNCTION=B
TOLERANCE=7 # percentage points allowed around an expected weight
SOURCE=${DEMO_SOURCE:-$repo/sample-functions/python-event/index.py}

if [[ -t 1 ]]; then
	green=$'\e[32m' red=$'\e[31m' bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
else
	green='' red='' bold='' dim='' reset=''
fi

step_no=0
step_name=''
summary=()       # one line per passed step
summary_share=() # one line per weighted step
started=$(date +%s)
burst_started=$(date +%s%N)

step() {
	step_no=$((step_no + 1))
	step_name=$*
	printf '\n%s%d. %s%s\n' "$bold" "$step_no" "$*" "$reset"
}
ok() { printf '  %sOK%s   %s\n' "$green" "$reset" "$*"; }
info() { printf '  %s%s%s\n' "$dim" "$*" "$reset"; }
fail() {
	printf '  %sFAIL%s %s\n' "$red" "$reset" "$*"
	printf '\n%sdemo stopped at step %d (%s)%s\n' "$red" "$step_no" "$step_name" "$reset" >&2
	exit 1
}
done_step() { summary+=("$(printf '%d. %s' "$step_no" "$step_name")"); }

# --- preflight ------------------------------------------------------------------

for tool in curl awk sed grep xargs cmp mktemp; do
	command -v "$tool" >/dev/null || {
		echo "demo-grayscale: $tool is required" >&2
		exit 2
	}
done
if ! command -v "$EMULATOR" >/dev/null; then
	echo "demo-grayscale: emulator CLI '$EMULATOR' not found (set EMULATOR=/path/to/emulator)" >&2
	exit 2
fi
curl_version=$(curl --version | awk 'NR == 1 { print $2 }')
if [[ $(printf '%s\n7.84.0\n' "$curl_version" | sort -V | head -n1) != 7.84.0 ]]; then
	echo "demo-grayscale: curl $curl_version is too old, 7.84 or newer is needed (for %header{})" >&2
	exit 2
fi
if [[ ! -f $SOURCE ]] || [[ $(grep -c '^MESSAGE = ' "$SOURCE") != 1 ]]; then
	echo "demo-grayscale: $SOURCE must exist and hold exactly one line starting with 'MESSAGE = '" >&2
	exit 2
fi
if ! [[ $REQUESTS =~ ^[1-9][0-9]*$ && $PARALLEL =~ ^[1-9][0-9]*$ ]]; then
	echo "demo-grayscale: DEMO_REQUESTS and DEMO_PARALLEL must be positive integers" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/demo-grayscale.XXXXXX")
cp -p "$SOURCE" "$tmp/index.py.orig"
restore() {
	# Write only when changed: every write is a hot reload.
	if [[ -f $tmp/index.py.orig ]] && ! cmp -s "$tmp/index.py.orig" "$SOURCE"; then
		cat "$tmp/index.py.orig" >"$SOURCE"
		echo "restored $SOURCE"
	fi
	rm -rf "$tmp"
}
trap restore EXIT
trap 'exit 130' INT TERM

# The gateway is local: never send it through a proxy from the environment.
CURL=(curl -sS --noproxy '*' --connect-timeout 3 --max-time 15)
# One line per response: status|version|route (curl writes it after each transfer).
WRITE_OUT='%{http_code}|%header{x-scf-version}|%header{x-scf-route}\n'

if ! "${CURL[@]}" -o /dev/null "$GATEWAY/dev/hello" 2>"$tmp/stderr"; then
	echo "demo-grayscale: the gateway $GATEWAY does not answer ($(<"$tmp/stderr")); is 'emulator up' running?" >&2
	exit 2
fi

# --- helpers --------------------------------------------------------------------

# emu runs the emulator CLI; stdout lands in EMU_OUT, stderr in EMU_ERR.
# It returns the CLI's status and never exits the demo by itself.
emu() {
	local rc=0
	EMU_OUT=$("$EMULATOR" "$@" 2>"$tmp/stderr") || rc=$?
	EMU_ERR=$(<"$tmp/stderr")
	return "$rc"
}

# emu_ok runs the CLI and fails the demo when it fails.
emu_ok() {
	emu "$@" || fail "emulator $*: ${EMU_ERR:-$EMU_OUT}"
}

# set_alias NAME ARGS... creates the alias or, when it exists, replaces its
# routing with ARGS.
set_alias() {
	local name=$1
	shift
	if emu alias create "$FUNCTION" "$name" "$@"; then
		info "emulator alias create $FUNCTION $name $*"
	elif [[ "$EMU_OUT $EMU_ERR" == *ResourceInUse.Alias* ]]; then
		emu_ok alias update "$FUNCTION" "$name" "$@"
		info "emulator alias update $FUNCTION $name $*"
	else
		fail "emulator alias create $FUNCTION $name $*: ${EMU_ERR:-$EMU_OUT}"
	fi
}

# burst N PATH [HEADER] sends N GET requests to the gateway, PARALLEL at a
# time, and leaves one line per response in $tmp/burst: status|version|route.
burst() {
	local n=$1 path=$2 header=${3:-} per i
	local -a hdr=()
	[[ -n $header ]] && hdr=(-H "$header")
	per=$(((n + PARALLEL - 1) / PARALLEL))
	burst_started=$(date +%s%N)
	# One curl per batch of URLs (connections are reused within a batch); each
	# input line is "-o /dev/null URL" so no body reaches stdout.
	for ((i = 0; i < n; i++)); do
		printf -- '-o /dev/null %s\n' "$GATEWAY$path"
	done | xargs -P "$PARALLEL" -L "$per" "${CURL[@]}" "${hdr[@]}" -w "$WRITE_OUT" >"$tmp/burst" 2>"$tmp/burst.err" || true
}

# describe prints the statuses, versions and routes seen in $tmp/burst, e.g.
# "status 200 x20, version 4 x20, route rule x20".
describe() {
	awk -F'|' '
		{ s[$1]++; v[($2 == "" ? "(none)" : $2)]++; r[($3 == "" ? "(none)" : $3)]++ }
		END {
			out = ""
			for (k in s) out = out sprintf("%sstatus %s x%d", (out == "" ? "" : ", "), k, s[k])
			for (k in v) out = out sprintf(", version %s x%d", k, v[k])
			for (k in r) out = out sprintf(", route %s x%d", k, r[k])
			print out
		}' "$tmp/burst"
}

# expect_all N PATH HEADER VERSION [ROUTE] sends N requests and fails unless
# every one answers 200 from VERSION (through ROUTE when given).
expect_all() {
	local n=$1 path=$2 header=$3 version=$4 route=${5:-} good label
	burst "$n" "$path" "$header"
	good=$(awk -F'|' -v v="$version" -v r="$route" \
		'$1 == 200 && $2 == v && (r == "" || $3 == r) { c++ } END { print c + 0 }' "$tmp/burst")
	label="GET $path${header:+ ($header)}"
	if [[ $good != "$n" ]]; then
		fail "$label: $good/$n answered version $version${route:+ via $route}; seen: $(describe)$(errors_seen)"
	fi
	ok "$label: $n/$n -> version $version${route:+ (route $route)}"
}

# errors_seen prints the first transport error of the last burst, if any
# (parallel curls may interleave their messages: only the first line is kept).
errors_seen() {
	if [[ -s $tmp/burst.err ]]; then
		printf '; first error: %s' "$(head -n1 "$tmp/burst.err" | cut -c1-200)"
	fi
}

# expect_share PRIMARY EXTRA PERCENT sends REQUESTS requests to /release/hello
# and fails unless they all answer 200 from PRIMARY or EXTRA, with EXTRA's
# share within TOLERANCE points of PERCENT.
expect_share() {
	local primary=$1 extra=$2 want=$3 line
	burst "$REQUESTS" /release/hello ''
	line=$(awk -F'|' -v p="$primary" -v x="$extra" -v n="$REQUESTS" -v want="$want" -v tol="$TOLERANCE" '
		$1 == 200 && $2 == p { np++; next }
		$1 == 200 && $2 == x { nx++; next }
		{ bad++ }
		END {
			share = 100 * nx / n
			verdict = (bad == 0 && share >= want - tol && share <= want + tol) ? "ok" : "bad"
			printf "%s version %s: %d, version %s: %d, other: %d -> %.1f%% on version %s (expected %d%% +/- %d)\n",
				verdict, p, np, x, nx, bad, share, x, want, tol
		}' "$tmp/burst")
	if [[ $line != ok* ]]; then
		fail "${line#bad }; seen: $(describe)$(errors_seen)"
	fi
	ok "${line#ok }"
	summary_share+=("$want%: ${line#ok }")
}

# show_stats prints `emulator stats` over the seconds since the last burst
# began, so the table is what that burst did: each version's share, errors
# and latency. It only shows; the checks are the bursts' own.
show_stats() {
	# Whole seconds from the one the burst began in to now (the metrics window
	# counts whole seconds); the sleep before each burst keeps earlier traffic out.
	local secs=$(($(date +%s) - burst_started / 1000000000 + 1))
	if emu stats "$FUNCTION" --window "${secs}s"; then
		sed 's/^/      /' <<<"$EMU_OUT"
	else
		info "emulator stats $FUNCTION: ${EMU_ERR:-$EMU_OUT}"
	fi
}

# body_of PATH fetches one response body into $tmp/body; prints the status.
body_of() {
	"${CURL[@]}" -o "$tmp/body" -w '%{http_code}' "$GATEWAY$1" 2>/dev/null || echo 000
}

# set_message TEXT rewrites B's MESSAGE line (from the pristine copy).
set_message() {
	awk -v msg="$1" '/^MESSAGE = / { print "MESSAGE = \"" msg "\""; next } { print }' \
		"$tmp/index.py.orig" >"$tmp/index.py.new"
	cat "$tmp/index.py.new" >"$SOURCE"
}

# wait_message TEXT polls /dev/hello ($LATEST) for up to 30 s (a hang guard) until it
# answers with TEXT; prints the milliseconds it took.
wait_message() {
	local text=$1 t0 now status
	t0=$(date +%s%N)
	while :; do
		status=$(body_of /dev/hello)
		if [[ $status == 200 ]] && grep -qF "\"$text\"" "$tmp/body"; then
			now=$(date +%s%N)
			echo $(((now - t0) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		if ((now - t0 > 30000000000)); then
			return 1
		fi
		sleep 0.05
	done
}

# version_in TEXT prints the "version" field of the body JSON inside an
# integration response (the body is an escaped JSON string).
version_in() {
	tr -d '\\\n' <<<"$1" | grep -o '"version" *: *"[^"]*"' | head -n1 | sed 's/.*: *"\(.*\)"/\1/'
}

# --- the scenario ---------------------------------------------------------------

printf '%sSCF grayscale release demo%s: function %s, gateway %s, management API %s\n' \
	"$bold" "$reset" "$FUNCTION" "$GATEWAY" "$EMULATOR_ENDPOINT"
info "$SOURCE is edited in step 2 and restored on exit (backup: $tmp/index.py.orig)"

step 'Aliases release and prepub point at $LATEST; every stage serves $LATEST'
set_alias release --version '$LATEST'
set_alias prepub --version '$LATEST'
# The dev stage calls $DEFAULT; an earlier `emulator deploy --traffic` may have moved it.
if emu alias update "$FUNCTION" '$DEFAULT' --version '$LATEST'; then
	info "emulator alias update $FUNCTION \$DEFAULT --version \$LATEST"
else
	info "could not reset \$DEFAULT (${EMU_ERR:-$EMU_OUT}); checking it as it is"
fi
for stage in release prepub dev; do
	expect_all 5 "/$stage/hello" '' '$LATEST'
done
done_step

step 'Publish versions 1-4, each from different code'
V=()
for n in 1 2 3 4; do
	msg="hello from B, build $n"
	set_message "$msg"
	if ! ms=$(wait_message "$msg"); then
		fail "/dev/hello did not serve \"$msg\" within 30 s of saving $SOURCE (hot reload)"
	fi
	emu_ok publish "$FUNCTION" -d "build $n"
	v=$(tr -d '[:space:]' <<<"$EMU_OUT")
	[[ $v =~ ^[1-9][0-9]*$ ]] || fail "emulator publish printed '$EMU_OUT', not a version number"
	for prev in "${V[@]}"; do
		((v > prev)) || fail "publish returned version $v after version $prev: versions must grow"
	done
	V+=("$v")
	ok "\"$msg\" served by \$LATEST after ${ms} ms; published as version $v"
done
V1=${V[0]} V2=${V[1]} V3=${V[2]} V4=${V[3]}
done_step

step "prepub -> version $V3, user Bob -> version $V4 (rule invoke.headers.User exact Bob)"
set_alias prepub --version "$V3" --rule "$V4:invoke.headers.User exact Bob"
expect_all 20 /prepub/hello 'User: Bob' "$V4" rule
expect_all 20 /prepub/hello 'User: Alice' "$V3"
expect_all 20 /prepub/hello '' "$V3"
emu_ok invoke "$FUNCTION" -q prepub --routing-key '{"User":"Bob"}'
got=$(version_in "$EMU_OUT")
[[ $got == "$V4" ]] || fail "emulator invoke $FUNCTION -q prepub --routing-key {\"User\":\"Bob\"} ran version '${got}', want $V4: $EMU_OUT"
ok "emulator invoke -q prepub --routing-key {\"User\":\"Bob\"} -> version $V4"
done_step

step "release: version $V1, then 10%, 50% and 100% of traffic to version $V2"
set_alias release --version "$V1"
expect_all 50 /release/hello '' "$V1"
sleep 1 # a fresh second, so each stats table below holds one burst only
set_alias release --version "$V1" --weight "$V2=0.1"
expect_share "$V1" "$V2" 10
show_stats
sleep 1
set_alias release --version "$V1" --weight "$V2=0.5"
expect_share "$V1" "$V2" 50
show_stats
sleep 1
set_alias release --version "$V2"
expect_all "$REQUESTS" /release/hello '' "$V2"
show_stats
done_step

step "Rollback: release -> version $V1"
sleep 1
emu_ok alias update "$FUNCTION" release --version "$V1"
info "emulator alias update $FUNCTION release --version $V1"
expect_all 50 /release/hello '' "$V1"
show_stats
emu_ok alias get "$FUNCTION" release
info "alias get: $(tr -s ' \n' ' ' <<<"$EMU_OUT")"
done_step

step 'The dev stage still serves $LATEST'
expect_all 20 /dev/hello '' '$LATEST'
done_step

# --- summary --------------------------------------------------------------------

printf '\n%sAll %d steps passed in %ds%s\n' "$green$bold" "$step_no" "$(($(date +%s) - started))" "$reset"
printf '  %s\n' "${summary[@]}"
printf '  versions published: V1=%s V2=%s V3=%s V4=%s\n' "$V1" "$V2" "$V3" "$V4"
printf '  weighted steps (%d requests each):\n' "$REQUESTS"
printf '    %s\n' "${summary_share[@]}"
printf '  release -> %s, prepub -> %s (Bob -> %s), dev -> $LATEST\n' "$V1" "$V3" "$V4"
