package monitor

// The past filed at Start, before the first poll: a source.Historian's (fill) or a
// Memory's, a recording (recall), through Backfill; Filling and FillProgress while it
// runs, Filled when it is in.

import (
	"context"
	"fmt"
	"time"

	"github.com/wamon/wamon/source"
)

// Memory is a store of the engine's own past: what a recording kept of the numbers'
// polls and events.
type Memory interface {
	// Name says where it is, for people: "recordings in /var/lib/wamon".
	Name() string
	// Recall gives what it holds of numbers between from and to: each number's
	// outcomes through file, oldest first (in as many calls as it likes, each number's
	// in time order), and those numbers' events through event, oldest first; never
	// two calls at once. An event with no number is the Memory's own notice (what it
	// had to skip), news of now.
	Recall(ctx context.Context, numbers []string, from, to time.Time, file func(i int, outs []source.Outcome), event func(Event)) error
}

// Backfill files what the source knew of numbers[i] before this engine polled it (a
// source.Historian's outcomes, oldest first): into the history, and the newest as the
// number's last snapshot or error, as if polled then. It counts no poll, raises no
// alert (the first live poll past critical does), and adds to the timeline only the
// counter resets it shows and the state the number is in after it. An outcome no newer than what is filed is skipped, so a number
// polled already keeps its history in order. It returns how many outcomes it filed.
func (e *Engine) Backfill(i int, outs []source.Outcome) int {
	return e.backfill(i, outs, true)
}

// backfill is Backfill. whole says outs are all there is: the number's level and state
// are then worked out, and counter resets go on the timeline. A recording's reload
// comes in batches and brings its own events: it files them with whole false, and
// settles each number once at the end (settle), so that an hour-old first batch does
// not make the number STALE and the next one "recovered".
func (e *Engine) backfill(i int, outs []source.Outcome, whole bool) int {
	resets := whole
	n := e.numbers[i]
	n.write.Lock()
	defer n.write.Unlock()
	n.mu.Lock()
	st := &n.st
	_, newest := n.hist.Times()
	held := n.hist.Len() > 0
	var dropEvents []Event
	filed := 0
	for k := range outs {
		o := &outs[k]
		at := o.Snap.FetchedAt
		if at.IsZero() || held && !at.After(newest) {
			continue
		}
		newest, held = at, true
		filed++
		if o.Err != nil {
			st.Err, st.SeenErr = o.Err, o.Err
			st.ErrAt, st.SeenErrAt = at, at
			n.hist.RecordGap(at)
			continue
		}
		snap := o.Snap
		st.Err = nil
		st.LastOK = at
		st.Last = &snap
		st.Warnings = snap.Warnings
		if snap.Latency > 0 {
			n.lat.push(snap.Latency)
		}
		if d := n.hist.Record(at, &snap); resets && d.Restarts+d.Others > 0 {
			dropEvents = append(dropEvents, Event{At: at, Index: i, Number: st.Number, Kind: EventReset,
				Reason: resetReason(d.Restarts, d.Others, d.First)})
		}
	}
	if filed == 0 {
		n.mu.Unlock()
		return 0
	}
	st.Version++
	var change *Event
	if whole {
		change = e.reassess(n, st, e.cfg.Clock.Now())
	} else {
		n.figs = n.figs[:0] // the history changed under them
	}
	// No alert for the past. The first live poll past critical rings, as the first poll
	// of any console does, however long the number has been critical.
	n.mu.Unlock()
	for at := newest.UnixMilli(); ; {
		// The newest time filed by any number: fills of several numbers go on at once.
		old := e.fillAt.Load()
		if old >= at || e.fillAt.CompareAndSwap(old, at) {
			break
		}
	}
	for _, ev := range dropEvents {
		e.event(ev)
	}
	if change != nil {
		e.event(*change)
	}
	e.publish(nil)
	return filed
}

// FillTimeout bounds how long Start waits for a Historian's past before polling.
const FillTimeout = time.Minute

// fill asks the Historian for the window before now and files each number's past as it
// comes (the console draws meanwhile, number by number), and then starts polling.
func (e *Engine) fill(h source.Historian, from, start time.Time) {
	span := start.Sub(from)
	ctx, cancel := context.WithTimeout(e.ctx, FillTimeout)
	filed, numbers, failed := 0, 0, 0
	var firstErr error
	var oldest time.Time
	h.History(ctx, e.names(), from, start, e.cfg.Interval, func(i int, outs []source.Outcome, err error) {
		if i < 0 || i >= len(e.numbers) {
			return
		}
		if err != nil {
			if failed++; firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", e.numbers[i].name, err)
			}
		}
		if n := e.Backfill(i, outs); n > 0 {
			filed += n
			numbers++
			if at := outs[0].Snap.FetchedAt; oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
		}
	})
	cancel()
	took := e.cfg.Clock.Now().Sub(start).Round(time.Millisecond)
	switch {
	case e.ctx.Err() != nil:
		// Stopped meanwhile: nothing to say.
	case firstErr != nil:
		what := source.Truncate(firstErr.Error(), 160)
		if failed > 1 {
			what = fmt.Sprintf("%s, the first %s", source.Count(failed, "number"), what)
		}
		e.cfg.Logger.Warn("history not loaded", "numbers", failed, "error", firstErr.Error())
		e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventHistoryFailed,
			Reason: fmt.Sprintf("%s (%s filed, in %v)", what, source.Count(filed, "poll"), took)})
	default:
		e.cfg.Logger.Info("history loaded", "polls", filed, "span", span, "took", took)
		reason := fmt.Sprintf("none in the last %v, in %v", span, took)
		if filed > 0 {
			reason = fmt.Sprintf("%s of %s, back %v (of %v asked), in %v",
				source.Count(filed, "poll"), source.Count(numbers, "number"), start.Sub(oldest).Round(time.Second), span, took)
		}
		e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventHistory, Reason: reason})
	}
	e.filled()
}

// names are the watched numbers, in order.
func (e *Engine) names() []string {
	names := make([]string, len(e.numbers))
	for i, n := range e.numbers {
		names[i] = n.name
	}
	return names
}

// filled ends a fill: polling starts.
func (e *Engine) filled() {
	e.sched.Lock()
	e.filling = false
	close(e.filledC)
	if !e.stopped && !e.paused.Load() {
		e.armAll()
	}
	e.armSweep()
	e.sched.Unlock()
	e.publish(nil)
}

// recall asks the Memory for the window before now, files it with its events, and then
// starts polling.
func (e *Engine) recall(m Memory, from, start time.Time) {
	filed := 0
	seen := make([]bool, len(e.numbers))
	var oldest time.Time
	ctx, cancel := context.WithTimeout(e.ctx, FillTimeout)
	err := m.Recall(ctx, e.names(), from, start, func(i int, outs []source.Outcome) {
		if i < 0 || i >= len(e.numbers) {
			return
		}
		if k := e.backfill(i, outs, false); k > 0 {
			filed += k
			seen[i] = true
			if at := outs[0].Snap.FetchedAt; oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
		}
	}, func(ev Event) {
		if ev.Number == "" {
			// The Memory's own notice (what it skipped): news of now.
			ev.At, ev.Index = e.cfg.Clock.Now(), -1
			e.event(ev)
			return
		}
		// The recording's own timeline, as it was; not recorded again.
		if i, ok := e.index[ev.Number]; ok {
			ev.Index = i
			e.events.add(ev)
		}
	})
	cancel()
	numbers := 0
	for i, s := range seen {
		if s {
			numbers++
			e.settle1(i)
		}
	}
	took := e.cfg.Clock.Now().Sub(start).Round(time.Millisecond)
	switch {
	case e.ctx.Err() != nil:
	case err != nil:
		e.cfg.Logger.Warn("recordings not reloaded", "error", err.Error())
		e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventHistoryFailed,
			Reason: fmt.Sprintf("%s (%s reloaded, in %v)", source.Truncate(err.Error(), 160), source.Count(filed, "poll"), took)})
	case filed > 0:
		e.cfg.Logger.Info("recordings reloaded", "polls", filed, "numbers", numbers, "took", took)
		e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventHistory,
			Reason: fmt.Sprintf("%s of %s reloaded from %s, back %v, in %v",
				source.Count(filed, "poll"), source.Count(numbers, "number"), m.Name(), start.Sub(oldest).Round(time.Second), took)})
	}
	e.filled()
}

// Filling reports whether the engine is still reading its source's past (polling
// starts after).
func (e *Engine) Filling() bool {
	e.sched.Lock()
	defer e.sched.Unlock()
	return e.filling
}

// FillProgress says, while Filling, what the past is read from and how far through its
// span filing has come, from 0 to 1 (by the newest time filed).
func (e *Engine) FillProgress() (from string, done float64) {
	e.sched.Lock()
	defer e.sched.Unlock()
	if !e.filling {
		return "", 1
	}
	span := e.fillTo.Sub(e.fillFrom)
	at := e.fillAt.Load()
	if span <= 0 || at == 0 {
		return e.fillName, 0
	}
	return e.fillName, min(1, max(0, float64(time.UnixMilli(at).Sub(e.fillFrom))/float64(span)))
}

// Filled is closed once Start has filed the past it reads (a Historian's or a Memory's)
// and polling has begun; at once after Start when there is none.
func (e *Engine) Filled() <-chan struct{} { return e.filledC }
