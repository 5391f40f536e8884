package monitor

// A number's state and its reason, settled from its figures after a poll or a fill
// (reassess, settle) and with time alone (Sweep, every second while polling runs).

import (
	"time"

	"github.com/wamon/wamon/source"
)

// reassess derives n's figures over the engine's window from its new history, the
// crossings and level they make, and settles its state at now; the caller holds n.mu.
func (e *Engine) reassess(n *number, st *Status, now time.Time) *Event {
	fig := Derive(st.Last, n.hist, e.cfg.Window, Scope{})
	n.figs = append(n.figs[:0], &fig)
	st.Crossings = e.cfg.Thresholds.Crossings(st.Last, n.hist, &fig)
	st.Level = Worst(st.Crossings)
	return e.settle(n, now)
}

// settle works out the number's state at now, and its reason, and returns the event of
// a change of state (nil for none). n.mu is held.
func (e *Engine) settle(n *number, now time.Time) *Event {
	st := &n.st
	state := st.StateAt(now, e.cfg.Interval, e.cfg.Timeout, e.paused.Load())
	// The reason is worked out again only when it may have changed: in a new state, after
	// a poll was filed (every change of the error or the crossings comes with a new
	// Version), or with time (a stale one says for how long). A sweep every second finds
	// most numbers as they were. When its text is the same, the string is kept.
	if state != st.State || n.reasoned != st.Version || state == StateStale {
		var buf [256]byte
		if r := e.appendReason(buf[:0], st, state, now); string(r) != st.Reason {
			st.Reason = string(r)
		}
		n.reasoned = st.Version
	}
	if state == st.State {
		return nil
	}
	ev := &Event{At: now, Index: st.Index, Number: st.Number, Kind: EventState,
		From: st.State, To: state, Lasted: now.Sub(st.Since), Reason: st.Reason}
	if state == StateOK {
		switch st.State {
		case StateError, StateStale:
			ev.Reason = "recovered"
		case StateWarn, StateCrit:
			ev.Reason = "back under every threshold"
		default:
			ev.Reason = "first answer"
		}
	}
	st.State, st.Since = state, now
	return ev
}

// reason is why a number is in state: the error, the thresholds crossed, how long
// without a good poll. "" for OK and WAIT.
func (e *Engine) reason(st *Status, state State, now time.Time) string {
	return string(e.appendReason(nil, st, state, now))
}

// appendReason appends reason's text to dst.
func (e *Engine) appendReason(dst []byte, st *Status, state State, now time.Time) []byte {
	switch state {
	case StateError:
		return append(dst, source.Reason(st.Err)...)
	case StateStale:
		return append(append(dst, "no good poll for "...), now.Sub(st.LastOK).Round(time.Second).String()...)
	case StateWarn, StateCrit:
		for i, c := range st.Crossings {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = c.append(dst)
		}
	}
	return dst
}

// settle1 works out numbers[i]'s level and state after a fill filed its past in parts.
func (e *Engine) settle1(i int) {
	n := e.numbers[i]
	n.write.Lock()
	defer n.write.Unlock()
	n.mu.Lock()
	n.st.Version++
	change := e.reassess(n, &n.st, e.cfg.Clock.Now())
	n.mu.Unlock()
	if change != nil {
		e.event(*change)
	}
	e.publish(nil)
}

// Sweep notices the numbers whose state changed with time alone (data gone stale) and
// records the changes. Polling runs it every second; a reader may call it too.
func (e *Engine) Sweep() {
	now := e.cfg.Clock.Now()
	changed := false
	for _, n := range e.numbers {
		// One number at a time: a sweep waiting behind a slow reader of one number
		// holds up no poll of another.
		n.write.Lock()
		n.mu.Lock()
		ev := e.settle(n, now)
		n.mu.Unlock()
		if ev != nil {
			e.event(*ev)
			changed = true
		}
		n.write.Unlock()
	}
	if changed {
		e.publish(nil)
	}
}

// armSweep keeps Sweep running every second while polling runs (paused, no number can
// go stale). e.sched is held.
func (e *Engine) armSweep() {
	e.sweepSeq++
	if e.sweep != nil {
		e.sweep.Stop()
		e.sweep = nil
	}
	if !e.started || e.stopped || e.paused.Load() || e.filling {
		return
	}
	seq := e.sweepSeq
	e.sweep = e.cfg.Clock.AfterFunc(time.Second, func() {
		e.Sweep()
		e.sched.Lock()
		defer e.sched.Unlock()
		if seq == e.sweepSeq {
			e.armSweep()
		}
	})
}
