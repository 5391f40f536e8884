package ui

import (
	"math"
	"time"

	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui/history"
)

// numberState is everything the console knows about one watched number.
type numberState struct {
	number string
	hist   *history.Number

	last      *source.Snapshot // newest successful poll; nil before the first
	lastErr   error            // of the newest poll; nil when it succeeded
	lastErrAt time.Time
	seenErr   error // the newest error of any poll, kept after recovery for the detail
	seenErrAt time.Time
	lastOK    time.Time // when the newest successful poll was made
	lastPoll  time.Time
	failures  int // consecutive
	polls     int
	errors    int
	latency   latencyRing
	warnings  []string // the newest snapshot's decoder warnings

	inFlight bool
	seq      uint64
	nextPoll time.Time

	fig      figures
	level    int  // the newest data against every threshold: 0 fine, 1 warn, 2 critical
	critical bool // past a critical threshold at the newest poll (for the bell)
	version  uint64
}

func newNumberState(number string, capacity int) *numberState {
	return &numberState{number: number, hist: history.NewNumber(capacity), fig: figures{queue: math.NaN(), cbRate: math.NaN(), failShare: math.NaN(), meanMs: math.NaN()}}
}

// record files one poll's outcome. A failed poll is a gap in every series and keeps the
// last good snapshot, so nothing gathered before is lost.
func (n *numberState) record(at time.Time, snap source.Snapshot, err error) {
	n.polls++
	n.lastPoll = at
	n.version++
	if snap.Latency > 0 {
		n.latency.push(snap.Latency)
	}
	if err != nil {
		n.errors++
		n.failures++
		n.lastErr, n.seenErr = err, err
		n.lastErrAt, n.seenErrAt = at, at
		n.hist.RecordGap(at)
		return
	}
	n.failures = 0
	n.lastErr = nil
	n.lastOK = at
	n.last = &snap
	n.warnings = snap.Warnings
	n.hist.Record(at, &snap)
}

// state is what a number's badge says.
type state int

const (
	stateWaiting state = iota // no poll answered yet
	stateOK
	stateStale // the newest data is older than it should be
	stateError // the newest poll failed
	statePaused
	stateWarn // polls fine, a value past its warn threshold
	stateCrit // polls fine, a value past its critical threshold
)

func (s state) word() string {
	return [...]string{"WAIT", "OK", "STALE", "ERR", "PAUSED", "WARN", "CRIT"}[s]
}

// severity orders states worst first for the overview and the title.
func (s state) severity() int {
	return [...]int{1, 0, 3, 4, 1, 2, 3}[s]
}

// stateAt tells the number's state at now. Data is stale when no poll has succeeded for
// two intervals plus the timeout: one slow poll is not news, two missed ones are.
func (n *numberState) stateAt(now time.Time, interval, timeout time.Duration, paused bool) state {
	switch {
	case paused:
		return statePaused
	case n.lastErr != nil:
		return stateError
	case n.last == nil:
		return stateWaiting
	case now.Sub(n.lastOK) > 2*interval+timeout:
		return stateStale
	}
	return stateOK
}

// latencyRing keeps the newest poll latencies for the number detail.
type latencyRing struct {
	vals [120]time.Duration
	n    int // total pushed
}

func (r *latencyRing) push(d time.Duration) {
	r.vals[r.n%len(r.vals)] = d
	r.n++
}

func (r *latencyRing) last() time.Duration {
	if r.n == 0 {
		return 0
	}
	return r.vals[(r.n-1)%len(r.vals)]
}

// values returns the held latencies, oldest first, in milliseconds.
func (r *latencyRing) values() []float64 {
	k := min(r.n, len(r.vals))
	out := make([]float64, 0, k)
	for i := r.n - k; i < r.n; i++ {
		out = append(out, float64(r.vals[i%len(r.vals)])/float64(time.Millisecond))
	}
	return out
}
