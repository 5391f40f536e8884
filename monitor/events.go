package monitor

import (
	"fmt"
	"sync"
	"time"

	"github.com/wamon/wamon/source"
)

// The timeline: what happened to the fleet, newest last, bounded.

// EventKind says what an event records.
type EventKind int

const (
	EventState         EventKind = iota // a number changed state (From -> To)
	EventReset                          // counters of a number went down
	EventWarnings                       // the decoder dropped parts of a number's payload
	EventPause                          // polling was paused or resumed (the fleet's, Index -1)
	EventHistory                        // the source's past filled the history at start (the fleet's)
	EventHistoryFailed                  // it could not (the fleet's)
	EventNotice                         // something the operator should know once: a recording that failed (the fleet's)
)

// eventNames name the kinds in recordings and logs, in EventKind's order.
var eventNames = [...]string{"state", "reset", "warnings", "pause", "history", "history_failed", "notice"}

// Name is the kind's name in recordings: "state", "reset" ...
func (k EventKind) Name() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// ParseEventKind reads a kind's Name back.
func ParseEventKind(name string) (EventKind, bool) {
	for k, n := range eventNames {
		if n == name {
			return EventKind(k), true
		}
	}
	return 0, false
}

// Event is one entry of the timeline.
type Event struct {
	Seq    uint64 // 1 for the first event, counting up
	At     time.Time
	Index  int    // the number's index, -1 for the fleet
	Number string // "" for the fleet
	Kind   EventKind
	From   State         // EventState
	To     State         // EventState
	Lasted time.Duration // EventState: how long From lasted
	Reason string        // one line: why
}

// Severity is how much an event matters, for filtering: 2 for a number going
// critical or failing, 1 for a warning, stale data, counters that went down or decoder
// warnings, 0 for the rest (recoveries, a first answer, pauses).
func (ev *Event) Severity() int {
	switch ev.Kind {
	case EventReset, EventWarnings, EventHistoryFailed, EventNotice:
		return 1
	case EventState:
		switch ev.To {
		case StateCrit, StateError:
			return 2
		case StateWarn, StateStale:
			return 1
		}
	}
	return 0
}

// What is the event in a few words: "OK → CRIT", "counters went down", "paused".
func (ev *Event) What() string {
	switch ev.Kind {
	case EventState:
		return ev.From.Word() + " → " + ev.To.Word()
	case EventReset:
		return "counters went down"
	case EventWarnings:
		return "decoder warnings"
	case EventHistory:
		return "history loaded"
	case EventHistoryFailed:
		return "history not loaded"
	case EventNotice:
		return "notice"
	}
	return "polling " + ev.Reason
}

// DefaultEvents is how many events the timeline keeps.
const DefaultEvents = 4096

// timeline is a ring of events.
type timeline struct {
	mu     sync.Mutex
	events []Event
	next   int  // where the next event goes
	full   bool // the ring has wrapped
	seq    uint64
}

func newTimeline(capacity int) *timeline {
	return &timeline{events: make([]Event, max(capacity, 1))}
}

// reset empties the timeline; sequence numbers go on counting.
func (t *timeline) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.events)
	t.next, t.full = 0, false
}

func (t *timeline) add(ev Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	ev.Seq = t.seq
	t.events[t.next] = ev
	t.next = (t.next + 1) % len(t.events)
	t.full = t.full || t.next == 0
}

// EventFilter picks events: of one number (Number; the fleet's own events always pass),
// at or above a severity, at most Limit. The zero filter passes everything.
type EventFilter struct {
	Number      string
	MinSeverity int
	Limit       int
}

// newestFirst lists the events that pass f, newest first.
func (t *timeline) newestFirst(f EventFilter) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.next
	if t.full {
		n = len(t.events)
	}
	var out []Event
	for k := 1; k <= n; k++ {
		ev := &t.events[(t.next-k+len(t.events))%len(t.events)]
		if f.Number != "" && ev.Index >= 0 && ev.Number != f.Number || ev.Severity() < f.MinSeverity {
			continue
		}
		out = append(out, *ev)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out
}

// Events lists the timeline's events that pass f, newest first.
func (e *Engine) Events(f EventFilter) []Event { return e.events.newestFirst(f) }

// event records ev on the timeline, in the log and in the recording.
func (e *Engine) event(ev Event) {
	e.events.add(ev)
	if e.cfg.Recorder != nil {
		e.cfg.Recorder.Event(ev)
	}
	attrs := []any{"kind", ev.What(), "reason", ev.Reason}
	if ev.Index >= 0 {
		attrs = append(attrs, "number", ev.Number)
	}
	if ev.Kind == EventState {
		attrs = append(attrs, "from", ev.From.Word(), "to", ev.To.Word(), "lasted_s", ev.Lasted.Seconds())
	}
	e.cfg.Logger.Info("event", attrs...)
}

// resetReason says what a poll's counter drops were.
func resetReason(restarts, others int, first string) string {
	n := restarts + others
	more := ""
	if n > 1 {
		more = fmt.Sprintf(" (and %d more)", n-1)
	}
	if restarts > 0 && others == 0 {
		return "restarted from zero: " + first + more
	}
	if restarts == 0 {
		return "went back a little (another node or replica answered?): " + first + more
	}
	return fmt.Sprintf("%d restarted, %d went back a little: %s%s", restarts, others, first, more)
}

// Notify tells the operator something once: it goes on the timeline (and in the log) as
// a notice, and Notice returns it until a newer one comes. A recording that cannot be
// written says so here, once.
func (e *Engine) Notify(msg string) {
	msg = source.Sanitize(msg)
	e.noticeMu.Lock()
	e.notice.seq++
	e.notice.text = msg
	e.noticeMu.Unlock()
	e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventNotice, Reason: msg})
	e.publish(nil)
}

// Notice is the newest notice and its sequence number (0 for none), so a reader shows
// each one once.
func (e *Engine) Notice() (seq uint64, text string) {
	e.noticeMu.Lock()
	defer e.noticeMu.Unlock()
	return e.notice.seq, e.notice.text
}
