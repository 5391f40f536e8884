package monitor

// The scheduler: Start, Stop, pause, poll now, the concurrency bound and the backoff.
// Each number has its own chain: a timer starts a poll, the poll's outcome arms the next
// timer. A chain is re-armed only from an outcome (or a resume), so a number is never
// polled twice at once; every arm and start bumps the number's seq, and a timer whose
// seq is not current does nothing, so timers never double.

import (
	"context"
	"errors"
	"time"

	"github.com/wamon/wamon/source"
)

// MaxBackoff caps the wait between polls of a failing number.
const MaxBackoff = 5 * time.Minute

// Start begins polling: the first polls are staggered over one interval, so a fleet does
// not arrive as one burst every tick forever after. The first number is polled at once.
// A source that is a source.Historian is first asked for the window before now (at most
// FillTimeout), which Backfill files; polling starts when that is in.
func (e *Engine) Start() {
	e.sched.Lock()
	defer e.sched.Unlock()
	if e.started || e.stopped {
		return
	}
	e.started = true
	// The window first, then polls: the history takes polls in time order.
	now := e.cfg.Clock.Now()
	from := now.Add(-time.Duration(e.cfg.History-1) * e.cfg.Interval)
	if h, ok := e.cfg.Source.(source.Historian); ok {
		e.filling, e.fillFrom, e.fillTo, e.fillName = true, from, now, e.cfg.Source.Name()
		go e.fill(h, from, now)
		return
	}
	if e.cfg.Memory != nil {
		e.filling, e.fillFrom, e.fillTo, e.fillName = true, from, now, e.cfg.Memory.Name()
		go e.recall(e.cfg.Memory, from, now)
		return
	}
	close(e.filledC)
	e.armAll()
	e.armSweep()
}

// armAll arms every number not in flight, staggered over one interval.
func (e *Engine) armAll() {
	step := e.cfg.Interval / time.Duration(max(1, len(e.numbers)))
	for i, n := range e.numbers {
		if !n.inFlight.Load() {
			e.arm(i, time.Duration(i)*step)
		}
	}
}

// Stop cancels the polls in flight and arms no more. Outcomes of cancelled polls are
// dropped.
func (e *Engine) Stop() {
	e.sched.Lock()
	e.stopped = true
	for _, n := range e.numbers {
		n.disarm()
	}
	e.armSweep()
	e.sched.Unlock()
	e.cancel()
	e.publish(nil)
}

// WaitIdle waits until no poll is in flight.
func (e *Engine) WaitIdle() {
	e.sched.Lock()
	defer e.sched.Unlock()
	for e.busy > 0 {
		e.idle.Wait()
	}
}

// Paused reports whether polling is paused.
func (e *Engine) Paused() bool { return e.paused.Load() }

// SetPaused pauses polling (polls in flight finish and are filed) or resumes it with a
// poll of every number, staggered over one interval.
func (e *Engine) SetPaused(paused bool) {
	e.sched.Lock()
	if paused == e.paused.Load() {
		e.sched.Unlock()
		return
	}
	e.paused.Store(paused)
	for _, n := range e.numbers {
		n.disarm()
	}
	if !paused && e.started && !e.stopped && !e.filling {
		e.armAll()
	}
	e.armSweep()
	e.sched.Unlock()
	what := "resumed"
	if paused {
		what = "paused"
	}
	e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventPause, Reason: what})
	e.publish(nil)
}

// PollNow polls the given numbers at once; a number with a poll in flight keeps it, and
// one whose poll started less than RequestSpacing ago has just been asked (the request
// is coalesced with it): however many viewers press r, and however long they hold it,
// the API sees at most one extra poll of a number per half interval. Paused or not.
// Before Start a poll is a one-off: nothing is scheduled after it.
func (e *Engine) PollNow(idxs ...int) {
	e.sched.Lock()
	defer e.sched.Unlock()
	if e.stopped || e.filling {
		return // while filling, polls start when the past is in
	}
	now, spacing := e.cfg.Clock.Now(), e.RequestSpacing()
	for _, i := range idxs {
		if i < 0 || i >= len(e.numbers) {
			continue
		}
		n := e.numbers[i]
		if !n.inFlight.Load() && (n.started.IsZero() || now.Sub(n.started) >= spacing) {
			e.start(i)
		}
	}
}

// PollNowSpacing is the least time between a poll of a number and one asked for by
// PollNow, whatever the interval.
const PollNowSpacing = time.Second

// RequestSpacing is the least time between a poll of a number and one asked for by
// PollNow: half the interval, PollNowSpacing at least.
func (e *Engine) RequestSpacing() time.Duration { return max(PollNowSpacing, e.cfg.Interval/2) }

// PollAll is PollNow for every number.
func (e *Engine) PollAll() {
	all := make([]int, len(e.numbers))
	for i := range all {
		all[i] = i
	}
	e.PollNow(all...)
}

// arm schedules the next poll of numbers[i] after d, superseding any armed before.
// e.sched is held.
func (e *Engine) arm(i int, d time.Duration) {
	n := e.numbers[i]
	n.seq++
	seq := n.seq
	if n.timer != nil {
		n.timer.Stop()
	}
	n.timer = e.cfg.Clock.AfterFunc(d, func() { e.due(i, seq) })
	n.setSched(false, e.cfg.Clock.Now().Add(d))
}

// due starts the poll a timer was armed for, unless the timer is stale, the number is
// busy, or polling is paused or stopped.
func (e *Engine) due(i int, seq uint64) {
	e.sched.Lock()
	defer e.sched.Unlock()
	n := e.numbers[i]
	if seq != n.seq || n.inFlight.Load() || e.paused.Load() || e.stopped {
		return
	}
	e.start(i)
}

// start marks numbers[i] in flight and fetches it in a goroutine, which waits for a slot
// of the concurrency bound itself. e.sched is held.
func (e *Engine) start(i int) {
	n := e.numbers[i]
	n.started = e.cfg.Clock.Now()
	n.seq++
	if n.timer != nil {
		n.timer.Stop()
	}
	n.setSched(true, time.Time{})
	e.busy++
	go e.poll(i)
}

func (e *Engine) poll(i int) {
	ctx := e.ctx
	var snap source.Snapshot
	var err error
	select {
	case e.sem <- struct{}{}:
		// Stop may have come while this poll waited: select picks the free slot as
		// readily as ctx.Done, and a cancelled poll must not fetch.
		if err = ctx.Err(); err == nil {
			snap, err = source.Poll(ctx, e.cfg.Source, e.numbers[i].name, e.cfg.Timeout, e.cfg.Clock.Now)
		}
		<-e.sem
	case <-ctx.Done():
		err = ctx.Err()
	}
	e.finish(i, snap, err)
}

// finish files an outcome and arms the next poll: after the interval, or after a backoff
// when the number is failing.
func (e *Engine) finish(i int, snap source.Snapshot, err error) {
	dropped := errors.Is(err, context.Canceled) && e.ctx.Err() != nil
	var st Status
	if !dropped {
		st = e.record(i, snap, err)
		if e.cfg.Recorder != nil {
			e.cfg.Recorder.Poll(e.numbers[i].name, snap, err)
		}
	}
	e.sched.Lock()
	defer e.sched.Unlock()
	n := e.numbers[i]
	n.setSched(false, time.Time{})
	if !dropped && e.started && !e.paused.Load() && !e.stopped {
		delay := e.cfg.Interval
		if st.Failures > 0 {
			delay = Backoff(e.cfg.Interval, st.Failures-1, e.cfg.Jitter())
		}
		e.arm(i, delay)
	}
	e.busy--
	e.idle.Broadcast()
}

// disarm cancels the number's armed poll, if any. e.sched is held.
func (n *number) disarm() {
	n.seq++ // a timer that fires anyway is now stale
	if n.timer != nil {
		n.timer.Stop()
	}
	n.nextPoll.Store(0)
}

// setSched records the scheduling fields readers see.
func (n *number) setSched(inFlight bool, next time.Time) {
	n.inFlight.Store(inFlight)
	var at int64
	if !next.IsZero() {
		at = next.UnixNano()
	}
	n.nextPoll.Store(at)
}

// Backoff is the wait after failures: the interval doubled per consecutive failure,
// capped at MaxBackoff (or the interval, when that is longer: a failing number is never
// polled more often than a healthy one), with ±20% jitter (jitter in [0, 1)) so that
// many failing numbers do not hammer a recovering server in step; enough to spread
// retries, not enough to confuse an operator reading ages.
func Backoff(interval time.Duration, failures int, jitter float64) time.Duration {
	limit := max(MaxBackoff, interval)
	d := interval
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}
