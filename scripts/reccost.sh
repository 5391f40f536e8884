#!/usr/bin/env bash
# Measures what recording costs: two `wamon serve` (metrics only) poll the fake API
# (scripts/fakeapi) side by side for the same N numbers at 5 s, one recording and one
# with --record=false; after WARMUP seconds, their CPU is read over SECONDS and their
# memory at the end. Prints each one's figures and the difference. (The fake answers
# every number alike, so the recording's size here says nothing: BenchmarkRecordCost in
# record/ measures disk on the demo's payloads.)
# Usage: scripts/reccost.sh [numbers] [seconds]   (defaults 2 and 120)
# WAMON=path measures that binary instead of building this checkout (e.g. an older one);
# WARMUP (default 60) is how long both run before the measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2}"
secs="${2:-120}"
warmup="${WARMUP:-60}"
work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

go build -o "$work/fakeapi" ./scripts/fakeapi
bin="${WAMON:-}"
if [ -z "$bin" ]; then
	go build -o "$work/wamon" .
	bin="$work/wamon"
fi
"$work/fakeapi" >"$work/url" &
pids+=($!)
until [ -s "$work/url" ]; do sleep 0.05; done
url="$(head -n1 "$work/url")"

args=()
for ((i = 0; i < n; i++)); do args+=(--number "$(printf '+1202555%04d' "$i")"); done
start() { # name, extra flags...
	local name="$1"
	shift
	mkdir -p "$work/$name/xdg" "$work/$name/state"
	env XDG_CONFIG_HOME="$work/$name/xdg" XDG_STATE_HOME="$work/$name/state" \
		"$bin" serve --ssh-listen '' --metrics-listen 127.0.0.1:0 --base-url "$url" --interval 5s "${args[@]}" "$@" \
		>"$work/$name/out" 2>&1 &
	pids+=($!)
}
start rec --record --record-dir "$work/rec/recordings"
rec="${pids[-1]}"
start off --record=false
off="${pids[-1]}"

sleep "$warmup"
for p in "$rec" "$off"; do
	if ! kill -0 "$p" 2>/dev/null; then
		cat "$work"/*/out >&2
		exit 1
	fi
done
clk="$(getconf CLK_TCK)"
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
r0="$(cpu "$rec")" o0="$(cpu "$off")" t0="$(date +%s%N)"
sleep "$secs"
r1="$(cpu "$rec")" o1="$(cpu "$off")" t1="$(date +%s%N)"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
awk -v n="$n" -v clk="$clk" -v wall="$(((t1 - t0) / 1000000))" \
	-v rc="$((r1 - r0))" -v oc="$((o1 - o0))" \
	-v rr="$(rss "$rec")" -v or="$(rss "$off")" -v rp="$(pss "$rec")" -v op="$(pss "$off")" 'BEGIN {
	s = wall / 1000
	printf "%d numbers at 5 s, CPU over %.0f s\n", n, s
	printf "  --record        %6.3f%% of a core  resident %6.1f MiB  pss %6.1f MiB\n", 100*rc/clk/s, rr/1024, rp/1024
	printf "  --record=false  %6.3f%% of a core  resident %6.1f MiB  pss %6.1f MiB\n", 100*oc/clk/s, or/1024, op/1024
	printf "  recording costs %+6.3f%% of a core  resident %+6.1f MiB  pss %+6.1f MiB\n", 100*(rc-oc)/clk/s, (rr-or)/1024, (rp-op)/1024
}'
