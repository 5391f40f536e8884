// Package monitor is wamon's engine: it polls the watched numbers, keeps their state and
// history, derives their figures, weighs them against the thresholds and raises alerts.
// It knows no terminal. The console, and any other reader, read it:
//
//   - Status(i) copies a number's state; Read(i, f) lends f a consistent view of one
//     number (its state, history and figures) while polls of other numbers land.
//   - Subscribe gives a coalesced change signal and the alerts raised since the last
//     look. Publishing never waits for a reader.
//
// Polls of one number are filed one at a time (Record), under that number's locks only:
// a slow reader of one number holds up the polls of that number, never another's. Time
// comes from a Clock, so tests drive the scheduler with a ManualClock and no sleeps.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// Config is what the engine watches and how.
type Config struct {
	Source      source.Source
	Numbers     []string
	Interval    time.Duration // between polls of a number (default 5s)
	Timeout     time.Duration // per poll (default 10s)
	History     int           // points kept per series (default 720)
	Concurrency int           // polls in flight at most (default 16)
	Thresholds  Thresholds
	// Window is what levels and alerts are judged over (the failure share over it).
	// Default: 5 minutes, or everything held when the history is shorter.
	Window time.Duration
	Clock  Clock          // default: the wall clock
	Logger *slog.Logger   // default: discard; events and failed polls are logged
	Jitter func() float64 // in [0, 1), spreads retries; default math/rand
	Events int            // events the timeline keeps (default 4096)
	// Recorder, when set, is given every live poll's outcome and every event as they
	// happen (not what Backfill or Recall files). It must not block.
	Recorder Recorder
	// Memory, when set, is asked at Start for the window before now (Recall): the
	// console's own recordings. Polling starts when that is filed.
	Memory Memory
}

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

// Recorder keeps what the engine sees, as it happens: a recording.
type Recorder interface {
	Poll(number string, snap source.Snapshot, err error)
	Event(ev Event)
}

// MaxBackoff caps the wait between polls of a failing number.
const MaxBackoff = 5 * time.Minute

// Alert is a number crossing a critical threshold: raised once per crossing, again only
// after the number has recovered and crossed again.
type Alert struct {
	Index  int
	Number string
	At     time.Time
}

// Engine watches a fixed list of numbers. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	numbers []*number
	index   map[string]int

	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{} // the concurrency bound

	// sched guards the fields below and each number's seq and timer. It is taken before
	// a number's lock, never inside it: readers (inside Read) must not call into the
	// scheduler, which is why paused is an atomic.
	sched   sync.Mutex
	idle    *sync.Cond // signalled when busy drops
	busy    int        // polls started and not yet filed
	started bool
	filling bool // reading a Historian's past: nothing is armed meanwhile
	stopped bool
	paused  atomic.Bool

	events   *timeline
	sweep    Timer  // notices numbers going stale; armed while polling runs (e.sched)
	sweepSeq uint64 // bumped by every arm: a sweep timer with an older one is stale

	subsMu sync.Mutex
	subs   map[*Subscription]struct{}

	noticeMu sync.Mutex
	notice   struct {
		seq  uint64
		text string
	}
	filledC          chan struct{} // closed when polling starts: the past (if any) is in
	fillFrom, fillTo time.Time     // the span a fill reads (e.sched)
	fillName         string        // what it reads from (e.sched)
	fillAt           atomic.Int64  // the newest time filed so far, in Unix ms
}

// number is one watched number.
//
// Its writers (Record, Backfill, Sweep, Reset) take write, then mu; readers take mu only.
// write is held from a change to the events and alert it makes, so that one number's
// events reach the timeline in the order of its changes, and it is the only lock a
// writer holds while it waits for mu: a writer waiting behind a slow reader of this
// number holds up nothing of any other number. No writer holds two numbers' write locks,
// but Reset, which takes them all in index order.
type number struct {
	name     string
	write    sync.Mutex   // one writer of this number at a time; taken before mu
	mu       sync.RWMutex // guards st, hist, lat, critical, and figs against the writer
	st       Status
	hist     *history.Number
	lat      latencyRing
	critical bool

	// figs caches Figures per window for st.Version. Readers fill it under mu.RLock and
	// figMu; the writer resets it under mu.Lock, which no reader can hold meanwhile.
	figMu sync.Mutex
	figs  []*Figures

	// reasoned is the st.Version st.Reason was worked out at (settle), under mu.
	reasoned uint64

	seq     uint64 // bumped by every arm and start: a timer with an older seq is stale
	timer   Timer
	started time.Time // when its newest poll started

	// The scheduler's fields readers see (Status.InFlight and NextPoll), written under
	// e.sched and never under mu: the scheduler must not wait for a reader, or one slow
	// reader of a number would hold up the polls of all.
	inFlight atomic.Bool
	nextPoll atomic.Int64 // UnixNano; 0: none armed
}

// sched lays the scheduler's fields over a copy of st.
func (n *number) sched(st *Status) {
	st.InFlight = n.inFlight.Load()
	st.NextPoll = time.Time{}
	if at := n.nextPoll.Load(); at != 0 {
		st.NextPoll = time.Unix(0, at)
	}
}

// New builds an engine. It polls nothing before Start; Record files outcomes anyway.
func New(cfg Config) *Engine {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.History < 2 {
		cfg.History = DefaultHistory
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
		if time.Duration(cfg.History)*cfg.Interval < cfg.Window {
			cfg.Window = 0 // everything held
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Events <= 0 {
		cfg.Events = DefaultEvents
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg:     cfg,
		index:   make(map[string]int, len(cfg.Numbers)),
		ctx:     ctx,
		cancel:  cancel,
		sem:     make(chan struct{}, cfg.Concurrency),
		subs:    map[*Subscription]struct{}{},
		events:  newTimeline(cfg.Events),
		filledC: make(chan struct{}),
	}
	born := cfg.Clock.Now()
	e.idle = sync.NewCond(&e.sched)
	for i, num := range cfg.Numbers {
		e.index[num] = i
		e.numbers = append(e.numbers, &number{
			name: num,
			st:   Status{Index: i, Number: num, State: StateWaiting, Since: born},
			hist: history.NewNumber(cfg.History),
		})
	}
	return e
}

// Len is how many numbers are watched.
func (e *Engine) Len() int { return len(e.numbers) }

// Number is the i-th watched number.
func (e *Engine) Number(i int) string { return e.numbers[i].name }

// Index finds a watched number.
func (e *Engine) Index(number string) (int, bool) {
	i, ok := e.index[number]
	return i, ok
}

func (e *Engine) Interval() time.Duration { return e.cfg.Interval }
func (e *Engine) Timeout() time.Duration  { return e.cfg.Timeout }

// HistoryLen is the most polls a number's history holds.
func (e *Engine) HistoryLen() int { return e.cfg.History }

// Window is the window levels and alerts are judged over; 0 is everything held.
func (e *Engine) Window() time.Duration { return e.cfg.Window }

func (e *Engine) Thresholds() Thresholds { return e.cfg.Thresholds }
func (e *Engine) SourceName() string     { return e.cfg.Source.Name() }
func (e *Engine) Now() time.Time         { return e.cfg.Clock.Now() }

// Status copies the state of numbers[i].
func (e *Engine) Status(i int) Status {
	n := e.numbers[i]
	n.mu.RLock()
	st := n.st
	n.mu.RUnlock()
	n.sched(&st)
	return st
}

// State is the badge of a status at now, with the engine's interval, timeout and pause.
func (e *Engine) State(st *Status, now time.Time) State {
	return st.StateAt(now, e.cfg.Interval, e.cfg.Timeout, e.Paused())
}

// View is one number as a reader sees it inside Read: consistent while f runs, and not
// to be kept after. History must only be read.
type View struct {
	Status
	History *history.Number
	n       *number
}

// Read calls f with a consistent view of numbers[i]. Polls of the number wait until f
// returns, so f should do its reading and drawing and nothing slow, and must not call
// the engine (Status, Read, PollNow ...) itself: only View's methods, State and Paused.
func (e *Engine) Read(i int, f func(v *View)) {
	n := e.numbers[i]
	n.mu.RLock()
	defer n.mu.RUnlock()
	v := View{Status: n.st, History: n.hist, n: n}
	n.sched(&v.Status)
	f(&v)
}

// Figures of the number over window, derived once per poll and window.
func (v *View) Figures(window time.Duration) *Figures { return v.FiguresIn(window, Scope{}) }

// FiguresIn is Figures within a scope (one node, or a row per node), derived once per
// poll, window and scope.
func (v *View) FiguresIn(window time.Duration, scope Scope) *Figures {
	n := v.n
	n.figMu.Lock()
	defer n.figMu.Unlock()
	for _, f := range n.figs {
		if f.Window == window && f.Scope == scope {
			return f
		}
	}
	f := Derive(v.Last, v.History, window, scope)
	n.figs = append(n.figs, &f)
	return &f
}

// Latencies are the newest poll latencies, oldest first, in milliseconds.
func (v *View) Latencies() []float64 { return v.n.lat.values() }

// Figures of numbers[i] over window.
func (e *Engine) Figures(i int, window time.Duration) *Figures {
	var f *Figures
	e.Read(i, func(v *View) { f = v.Figures(window) })
	return f
}

// Record files one poll's outcome for numbers[i]: a success adds to every series, a
// failure is a gap in each and keeps the last good snapshot, so nothing gathered before
// is lost. The figures and the level are worked out again and readers are told. The
// scheduler files its polls here; tests and recordings may too.
func (e *Engine) Record(i int, snap source.Snapshot, err error) {
	e.record(i, snap, err)
}

// record is Record, returning the number's status after it.
func (e *Engine) record(i int, snap source.Snapshot, err error) Status {
	n := e.numbers[i]
	n.write.Lock()
	defer n.write.Unlock()
	at := snap.FetchedAt
	if at.IsZero() {
		at = e.cfg.Clock.Now()
	}

	n.mu.Lock()
	st := &n.st
	st.Polls++
	st.LastPoll = at
	st.Version++
	if snap.Latency > 0 {
		n.lat.push(snap.Latency)
	}
	var drops history.Drops
	hadWarnings := len(st.Warnings) > 0
	if err != nil {
		st.Errors++
		st.ErrorsBy[slices.Index(source.ErrorKinds, source.ErrorKind(err))]++
		st.Failures++
		st.Err, st.SeenErr = err, err
		st.ErrAt, st.SeenErrAt = at, at
		n.hist.RecordGap(at)
	} else if st.Last != nil && !snap.FetchedAt.IsZero() && !at.After(st.LastOK) {
		// The source answered with a poll already filed: the Prometheus source reads an
		// exporter's polls, which may come slower than this engine asks. The source is
		// fine, but there is nothing new for the history, and the data is as old as it is.
		st.Failures = 0
		st.Err = nil
		st.LastPoll = e.cfg.Clock.Now()
	} else {
		st.Failures = 0
		st.Err = nil
		st.LastOK = at
		st.Last = &snap
		st.Warnings = snap.Warnings
		drops = n.hist.Record(at, &snap)
	}
	now := e.cfg.Clock.Now()
	change := e.reassess(n, st, now)
	crit := st.critical(now, e.cfg.Interval, e.cfg.Timeout)
	raise := crit && !n.critical
	n.critical = crit
	done := *st
	latency := n.lat.last()
	n.mu.Unlock()

	e.logPoll(&done, latency, err)
	if drops.Restarts+drops.Others > 0 {
		e.event(Event{At: at, Index: i, Number: done.Number, Kind: EventReset,
			Reason: resetReason(drops.Restarts, drops.Others, drops.First)})
	}
	if err == nil && len(snap.Warnings) > 0 && !hadWarnings {
		e.event(Event{At: at, Index: i, Number: done.Number, Kind: EventWarnings,
			Reason: fmt.Sprintf("%d dropped from the payload, first: %s", len(snap.Warnings), snap.Warnings[0])})
	}
	if change != nil {
		e.event(*change)
	}
	var alert *Alert
	if raise {
		alert = &Alert{Index: i, Number: done.Number, At: at}
		e.cfg.Logger.Warn("critical threshold crossed", "number", done.Number)
	}
	e.publish(alert)
	return done
}

// Reset forgets everything filed: every number is waiting again with an empty history,
// and the timeline is empty. A replay that seeks back files the recording again from
// before the new moment. Versions keep counting up, so readers see the change.
func (e *Engine) Reset() {
	// Every number's writer at once, so that no poll is filed half before and half
	// after: taken in index order, the only place that holds more than one.
	for _, n := range e.numbers {
		n.write.Lock()
	}
	defer func() {
		for _, n := range e.numbers {
			n.write.Unlock()
		}
	}()
	born := e.cfg.Clock.Now()
	for i, n := range e.numbers {
		n.mu.Lock()
		n.st = Status{Index: i, Number: n.name, State: StateWaiting, Since: born, Version: n.st.Version + 1}
		n.hist = history.NewNumber(e.cfg.History)
		n.lat = latencyRing{}
		n.critical = false
		n.figs = n.figs[:0]
		n.mu.Unlock()
	}
	e.events.reset()
	e.paused.Store(false)
	e.publish(nil)
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
			what = fmt.Sprintf("%d numbers, the first %s", failed, what)
		}
		e.cfg.Logger.Warn("history not loaded", "numbers", failed, "error", firstErr.Error())
		e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventHistoryFailed,
			Reason: fmt.Sprintf("%s (%d polls filed, in %v)", what, filed, took)})
	default:
		e.cfg.Logger.Info("history loaded", "polls", filed, "span", span, "took", took)
		reason := fmt.Sprintf("none in the last %v, in %v", span, took)
		if filed > 0 {
			reason = fmt.Sprintf("%d polls of %d numbers, back %v (of %v asked), in %v",
				filed, numbers, start.Sub(oldest).Round(time.Second), span, took)
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
			Reason: fmt.Sprintf("%s (%d polls reloaded, in %v)", source.Truncate(err.Error(), 160), filed, took)})
	case filed > 0:
		e.cfg.Logger.Info("recordings reloaded", "polls", filed, "numbers", numbers, "took", took)
		e.event(Event{At: e.cfg.Clock.Now(), Index: -1, Kind: EventHistory,
			Reason: fmt.Sprintf("%d polls of %d numbers reloaded from %s, back %v, in %v",
				filed, numbers, m.Name(), start.Sub(oldest).Round(time.Second), took)})
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

func (e *Engine) logPoll(st *Status, latency time.Duration, err error) {
	if err != nil {
		e.cfg.Logger.Warn("poll failed", "number", st.Number, "kind", source.ErrorKind(err),
			"error", err.Error(), "failures", st.Failures)
		return
	}
	if !e.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return // its arguments would be boxed for nothing at every poll
	}
	e.cfg.Logger.Debug("poll", "number", st.Number, "latency_ms", latency.Milliseconds(),
		"metrics", len(st.Last.Metrics), "warnings", len(st.Last.Warnings))
}

// The scheduler. Each number has its own chain: a timer starts a poll, the poll's
// outcome arms the next timer. A chain is re-armed only from an outcome (or a resume),
// so a number is never polled twice at once; every arm and start bumps the number's
// seq, and a timer whose seq is not current does nothing, so timers never double.

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

// Filled is closed once Start has filed the past it reads (a Historian's or a Memory's)
// and polling has begun; at once after Start when there is none.
func (e *Engine) Filled() <-chan struct{} { return e.filledC }

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

// Subscription tells a reader that something changed, and which alerts were raised.
// Signals are coalesced: one waiting signal stands for any number of changes.
type Subscription struct {
	e      *Engine
	c      chan struct{}
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	alerts []Alert
}

// maxPendingAlerts bounds what a reader that never looks can make the engine hold.
const maxPendingAlerts = 64

// Subscribe starts a subscription; Close ends it.
func (e *Engine) Subscribe() *Subscription {
	s := &Subscription{e: e, c: make(chan struct{}, 1), done: make(chan struct{})}
	e.subsMu.Lock()
	e.subs[s] = struct{}{}
	e.subsMu.Unlock()
	return s
}

// C receives a value after changes, at most one waiting at a time.
func (s *Subscription) C() <-chan struct{} { return s.c }

// Done is closed by Close.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Alerts returns the alerts raised since the last call, oldest first.
func (s *Subscription) Alerts() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alerts
	s.alerts = nil
	return a
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.e.subsMu.Lock()
		delete(s.e.subs, s)
		s.e.subsMu.Unlock()
		close(s.done)
	})
}

// publish signals every subscriber without waiting for any.
func (e *Engine) publish(alert *Alert) {
	e.subsMu.Lock()
	defer e.subsMu.Unlock()
	for s := range e.subs {
		if alert != nil {
			s.mu.Lock()
			if len(s.alerts) == maxPendingAlerts {
				s.alerts = s.alerts[1:]
			}
			s.alerts = append(s.alerts, *alert)
			s.mu.Unlock()
		}
		select {
		case s.c <- struct{}{}:
		default:
		}
	}
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
