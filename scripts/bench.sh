#!/usr/bin/env bash
# The performance harness: every Go benchmark with allocations, the 500-number polling
# run, and the idle cost of the demo in a tmux pane. The README's table comes from it.
# Usage: scripts/bench.sh   (about 3 minutes; needs tmux for the idle part)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== decoder, history, frames, recordings, scrapes (go test -bench -benchmem)"
go test -run '^$' -bench . -benchmem -skip Poll500 ./source/ ./monitor/history/ ./ui/ ./record/ ./export/ | grep -E '^(Benchmark|ok|---)'

echo "== 500 numbers against a 50 ms server at 5 s, concurrency 16"
go test -run '^$' -bench Poll500 -benchtime 1x ./ui/ | grep -E '^Benchmark'

if command -v tmux >/dev/null 2>&1; then
	echo "== idle: the demo in a 160x48 tmux pane"
	scripts/idle.sh "${IDLE_SECONDS:-60}"
else
	echo "== idle: skipped (no tmux)"
fi
