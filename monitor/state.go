package monitor

import (
	"time"

	"github.com/wamon/wamon/source"
)

// State is what a number's badge says.
type State int

const (
	StateWaiting State = iota // no poll answered yet
	StateOK
	StateWarn  // polls fine, a value past its warn threshold
	StateCrit  // polls fine, a value past its critical threshold
	StateStale // the newest data is older than it should be
	StateError // the newest poll failed
)

// Word is the state as the console and --once print it.
func (s State) Word() string {
	return [...]string{"WAIT", "OK", "WARN", "CRIT", "STALE", "ERR"}[s]
}

// ParseState reads a state's Word back.
func ParseState(word string) (State, bool) {
	for s := StateWaiting; s <= StateError; s++ {
		if s.Word() == word {
			return s, true
		}
	}
	return 0, false
}

// Severity orders states worst first (higher is worse): a failing number before a
// critical one, before a stale one, a warning, one not heard from yet, one that is fine.
func (s State) Severity() int {
	return [...]int{1, 0, 2, 3, 3, 4}[s]
}

// ByWorst lists every state, worst first: the order of the title and the fleet tally.
var ByWorst = []State{StateError, StateCrit, StateStale, StateWarn, StateWaiting, StateOK}

// Status is a copy of what the engine knows about one number, apart from its history:
// cheap to take, consistent, and the reader's to keep.
type Status struct {
	Index  int
	Number string

	Last      *source.Snapshot // newest successful poll; nil before the first
	Err       error            // of the newest poll; nil when it succeeded
	ErrAt     time.Time
	SeenErr   error // the newest error of any poll, kept after recovery
	SeenErrAt time.Time
	LastOK    time.Time // when the newest successful poll was made
	LastPoll  time.Time
	Failures  int // consecutive
	Polls     int
	Errors    int
	// ErrorsBy counts the failed polls by kind, in source.ErrorKinds' order.
	ErrorsBy [6]int
	Warnings []string // the newest snapshot's decoder warnings

	InFlight bool
	NextPoll time.Time

	Level     Level      // the newest data against every threshold, over the engine's window
	Crossings []Crossing // the thresholds it is at or past, worst first
	Version   uint64     // grows with every poll filed; a reader redraws when it changed

	// The state as the engine last settled it (at a poll, or when data went stale), since
	// when, and why: "WS406", "timeout 10s", "db_pending_callbacks 31!".
	State  State
	Since  time.Time
	Reason string
}

// staleAfter: data is stale when no poll has succeeded for two intervals plus the
// timeout. One slow poll is not news, two missed ones are.
func staleAfter(interval, timeout time.Duration) time.Duration { return 2*interval + timeout }

// StateAt is the number's state at now. While polling is paused data cannot be fresh,
// so it is not called stale: the console says PAUSED once, in its header.
func (st *Status) StateAt(now time.Time, interval, timeout time.Duration, paused bool) State {
	switch {
	case st.Err != nil:
		return StateError
	case st.Last == nil:
		return StateWaiting
	case !paused && now.Sub(st.LastOK) > staleAfter(interval, timeout):
		return StateStale
	case st.Level == LevelCrit:
		return StateCrit
	case st.Level == LevelWarn:
		return StateWarn
	}
	return StateOK
}

// critical: past a critical threshold and still worth ringing for. A failed poll or two
// does not end it (the bell would ring again at the next good poll); data gone stale
// does.
func (st *Status) critical(now time.Time, interval, timeout time.Duration) bool {
	if st.Last == nil || st.Err != nil && now.Sub(st.LastOK) > staleAfter(interval, timeout) {
		return false
	}
	return st.Level == LevelCrit
}
