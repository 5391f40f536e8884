#!/usr/bin/env bash
# Measures what wamon costs while it watches: the demo in a 160x48 tmux pane for
# IDLE_SECONDS (default 60) at the default 5 s interval. Prints CPU (% of one core),
# resident memory, bytes written to the terminal per minute, and start-to-first-frame.
# Needs tmux. Usage: scripts/idle.sh [seconds]; IDLE_ENV="K=V ..." adds to its environment;
# WAMON_BIN=path measures that binary instead of building this tree (a build of main
# beside this one, for before and after).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-${IDLE_SECONDS:-60}}"
work="$(mktemp -d)"
trap 'tmux -S "$work/sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/xdg"
bin="${WAMON_BIN:-}"
if [ -z "$bin" ]; then
	go build -o "$work/bin/wamon" .
	bin="$work/bin/wamon"
fi
bin="$(realpath "$bin")"
tm() { tmux -S "$work/sock" "$@"; }

# Start to first frame: launch, then read the pane until the queue pane is drawn.
tm new-session -d -s idle -x 160 -y 48 "sleep 1; exec env ${IDLE_ENV:-} XDG_CONFIG_HOME=$work/xdg TERM=xterm-256color $bin"
start_ns=""
while :; do
	pid="$(pgrep -n -f "^$bin" || true)"
	if [ -n "$pid" ] && [ -z "$start_ns" ]; then start_ns="$(date +%s%N)"; fi
	if [ -n "$start_ns" ] && tm capture-pane -p -t idle | grep -q "callbacks by type"; then
		first_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
		break
	fi
	sleep 0.002
done

# Settle, then measure.
sleep 2
tm pipe-pane -t idle -o "cat > $work/out"
clk="$(getconf CLK_TCK)"
cpu0="$(awk '{print $14+$15}' "/proc/$pid/stat")"
t0="$(date +%s%N)"
sleep "$secs"
cpu1="$(awk '{print $14+$15}' "/proc/$pid/stat")"
t1="$(date +%s%N)"
tm pipe-pane -t idle
rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
bytes="$(wc -c < "$work/out")"
awk -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" -v clk="$clk" -v rss="$rss_kb" -v b="$bytes" -v f="$first_ms" 'BEGIN {
	wall = (t1 - t0) / 1e9
	printf "idle CPU        %.3f%% of one core over %.0f s\n", 100 * (c1 - c0) / clk / wall, wall
	printf "resident        %.1f MiB\n", rss / 1024
	printf "terminal output %.1f KB/min\n", b / 1000 / (wall / 60)
	printf "first frame     %d ms (pid seen to queue pane drawn, polled every 2 ms)\n", f
}'
