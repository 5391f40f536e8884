// Package replay plays a recording back into an engine, on a clock of its own: at the
// recording's pace or faster, paused, and moved back and forth, so the console shows a
// past moment as it was shown then.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/source"
)

// Header is a recording's settings.
type Header = record.Header

// Recording is what a replay plays: its segments, the span of its entries, the numbers
// its segments watched and the settings they were recorded with.
type Recording struct {
	Files       []string
	Header      Header    // the newest segment's: interval, history, thresholds
	Numbers     []string  // every number a segment watched, first seen first
	First, Last time.Time // the first and last entries' times
	Warnings    []string  // what reading it skipped
}

// Open reads the segments of paths (files, or directories of segments) far enough to
// know their numbers, settings and span: the first line of each, and the last segment of
// each writer to its end.
func Open(paths ...string) (*Recording, error) {
	files, err := record.Segments(paths...)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no recording in %v (segments are named wamon-*.jsonl.zst)", paths)
	}
	rec := &Recording{Files: files}
	seen := map[string]bool{}
	var newest *record.Header
	for _, f := range files {
		r := record.NewReader([]string{f}, time.Time{})
		e, err := r.Next()
		r.Close()
		if h := r.Header(); h != nil {
			for _, n := range h.Numbers {
				if !seen[n] {
					seen[n] = true
					rec.Numbers = append(rec.Numbers, n)
				}
			}
			if newest == nil || !h.Started.Before(newest.Started) {
				newest = h
			}
		}
		if err == nil && (rec.First.IsZero() || e.At.Before(rec.First)) {
			rec.First = e.At
		}
		rec.Warnings = append(rec.Warnings, r.Warnings()...)
	}
	if newest == nil {
		if len(files) == 1 {
			// What reading it said names the file and what it is not.
			if len(rec.Warnings) > 0 {
				return nil, errors.New(rec.Warnings[0])
			}
			return nil, fmt.Errorf("%s: not a wamon recording (no header)", source.Sanitize(filepath.Base(files[0])))
		}
		return nil, fmt.Errorf("%d files, none of them a wamon recording: %s", len(files), first(rec.Warnings))
	}
	rec.Header = *newest
	if err := checkHeader(&rec.Header, len(rec.Numbers)); err != nil {
		return nil, err
	}
	// The end: read the newest segments through (those that start in the newest one's
	// hour or later), rather than the whole recording.
	r := record.NewReader(files, lastHour(files))
	defer r.Close()
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.At.After(rec.Last) {
			rec.Last = e.At
		}
		if e.Poll != nil && !seen[e.Number] {
			// A number polled but in no header (a header lost to a torn file).
			seen[e.Number] = true
			rec.Numbers = append(rec.Numbers, e.Number)
		}
	}
	rec.Warnings = slices.Compact(append(rec.Warnings, r.Warnings()...))
	if rec.First.IsZero() {
		return nil, errors.New("the recording holds no poll")
	}
	return rec, nil
}

// Bounds on what a recording may ask of the replaying process: a recording is a file
// someone handed over, and its header sizes the engine.
const (
	maxHistory      = 100_000
	maxNumbers      = 10_000
	maxHistoryTotal = 20_000_000 // points per series, summed over numbers: 160 MB of times
)

// checkHeader refuses settings no console would run with: they come from a file.
func checkHeader(h *Header, numbers int) error {
	switch {
	case h.History < 2 || h.History > maxHistory:
		return fmt.Errorf("the recording's header asks for a history of %d polls (2 to %d)", h.History, maxHistory)
	case numbers > maxNumbers || numbers*h.History > maxHistoryTotal:
		return fmt.Errorf("the recording holds %d numbers with a history of %d polls each: more than a replay holds (%d in all)", numbers, h.History, maxHistoryTotal)
	case h.Interval < time.Second || h.Interval > 24*time.Hour:
		return fmt.Errorf("the recording's header has a poll interval of %v (1s to 24h)", h.Interval)
	case h.Timeout < 0 || h.Timeout > time.Hour:
		return fmt.Errorf("the recording's header has a poll timeout of %v", h.Timeout)
	}
	return nil
}

func first(ws []string) string {
	if len(ws) == 0 {
		return "no header"
	}
	return ws[0]
}

// lastHour is the start of the newest segment less an hour of slack: the newest entries
// are in the segments from there on.
func lastHour(files []string) time.Time {
	var newest time.Time
	for _, f := range files {
		if t, ok := record.SegmentStart(f); ok && t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return time.Time{}
	}
	return newest.Add(-time.Hour)
}

// Clock is a replay's time: it moves as the player says, never by itself. It is the
// engine's monitor.Clock; a replayed engine is never started, so nothing waits on it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// AfterFunc never calls f: a replay's engine polls nothing.
func (c *Clock) AfterFunc(time.Duration, func()) monitor.Timer { return stopped{} }

type stopped struct{}

func (stopped) Stop() bool { return false }

// NewEngine builds the engine a recording plays into: its numbers, judged with the
// settings it was recorded with, on clock.
func NewEngine(rec *Recording, clock *Clock) *monitor.Engine {
	h := rec.Header
	return monitor.New(monitor.Config{
		Source:     named("replay of " + h.Source),
		Numbers:    rec.Numbers,
		Interval:   h.Interval,
		Timeout:    h.Timeout,
		History:    h.History,
		Thresholds: h.Thresholds,
		Clock:      clock,
	})
}

// Speed is how many seconds of the recording play in a second; Max plays as fast as
// entries can be filed.
type Speed float64

const Max Speed = 0

func (s Speed) String() string {
	if s == Max {
		return "max"
	}
	return fmt.Sprintf("×%g", float64(s))
}

// ParseSpeed reads --speed: a positive factor (1, 10, 60) or "max".
func ParseSpeed(s string) (Speed, error) {
	if s == "max" {
		return Max, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 1e6 || math.IsNaN(f) {
		return 0, fmt.Errorf("%q: want a factor such as 1, 10 or 60, or max", s)
	}
	return Speed(f), nil
}

// Player files a recording into an engine as its clock passes each entry's time.
type Player struct {
	rec    *Recording
	engine *monitor.Engine
	clock  *Clock
	from   time.Time // where playing starts
	to     time.Time // where it ends
	span   time.Duration

	ctl  chan func()
	wake chan struct{}

	// Owned by Run's goroutine.
	reader  *record.Reader
	next    *record.Entry // read, not yet filed
	swept   time.Time
	anchorW time.Time // the wall time pos was last anchored at
	anchorR time.Time // the replay time then

	mu     sync.Mutex // guards state, which readers (the console) look at
	state  State
	filed  int
	errors []string
}

// State is where a player stands.
type State struct {
	Speed  Speed
	Paused bool
	Ended  bool // at the end of what it plays
}

// NewPlayer plays rec into engine (built by NewEngine on clock) from from to to (zero:
// the recording's first and last entries), at speed.
func NewPlayer(rec *Recording, engine *monitor.Engine, clock *Clock, from, to time.Time, speed Speed) *Player {
	if from.IsZero() || from.Before(rec.First) {
		from = rec.First
	}
	if to.IsZero() || to.After(rec.Last) {
		to = rec.Last
	}
	if from.After(to) {
		from = to
	}
	span := time.Duration(engine.HistoryLen()-1) * engine.Interval()
	p := &Player{rec: rec, engine: engine, clock: clock, from: from, to: to, span: span,
		ctl: make(chan func(), 16), wake: make(chan struct{}, 1), state: State{Speed: speed}}
	return p
}

// From and To are the moments the player plays between.
func (p *Player) From() time.Time { return p.from }
func (p *Player) To() time.Time   { return p.to }

// State is where the player stands now.
func (p *Player) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Status is State as the console shows it (ui.Replay).
func (p *Player) Status() (speed string, paused, ended bool) {
	st := p.State()
	return st.Speed.String(), st.Paused, st.Ended
}

// Warnings are what reading skipped (torn tails), one line each.
func (p *Player) Warnings() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Concat(p.rec.Warnings, p.errors)
}

// FileTo files, at once, the window before t and everything up to t, and sets the clock
// to t: the engine then stands as the recording's console did at t. It is how --once
// replays, and how a seek lands.
func (p *Player) FileTo(t time.Time) {
	if t.Before(p.rec.First) {
		t = p.rec.First
	}
	p.clock.set(t.Add(-p.span))
	p.engine.Reset()
	if p.reader != nil {
		p.reader.Close()
	}
	p.reader = record.NewReader(p.rec.Files, t.Add(-p.span))
	p.next = nil
	p.swept = time.Time{}
	p.fileUntil(t, -1)
	p.land(t)
}

// fileUntil files entries up to t, at most limit of them (-1: all); it reports whether
// it reached t.
func (p *Player) fileUntil(t time.Time, limit int) bool {
	for n := 0; limit < 0 || n < limit; n++ {
		if p.next == nil {
			e, err := p.reader.Next()
			if errors.Is(err, io.EOF) {
				return true
			}
			if err != nil {
				p.mu.Lock()
				p.errors = append(p.errors, err.Error())
				p.mu.Unlock()
				return true
			}
			p.next = &e
		}
		if p.next.At.After(t) {
			return true
		}
		e := p.next
		p.next = nil
		if e.Event != nil {
			// Events are made again by the engine as the polls are filed, but for a
			// pause: while the console was paused its numbers were not stale.
			if e.Event.Kind == monitor.EventPause && e.Number == "" {
				if e.At.After(p.clock.Now()) {
					p.sweepTo(e.At)
				}
				p.engine.SetPaused(e.Event.Reason == "paused")
			}
			continue
		}
		if e.Poll == nil {
			continue
		}
		i, ok := p.engine.Index(e.Number)
		if !ok {
			continue
		}
		if e.At.After(p.clock.Now()) {
			p.sweepTo(e.At)
		}
		snap, err := e.Poll.Outcome(e.Number, e.At)
		p.engine.Record(i, snap, err)
		p.mu.Lock()
		p.filed++
		p.mu.Unlock()
	}
	return false
}

// sweepTo moves the clock to t, letting the engine notice numbers going stale on the way
// as it would have each second.
func (p *Player) sweepTo(t time.Time) {
	if !p.swept.IsZero() {
		// Each second of a gap, up to 15 minutes of it: by then every number that
		// stopped answering is stale, and the rest of a long gap changes nothing.
		end := t
		if limit := p.swept.Add(15 * time.Minute); limit.Before(end) {
			end = limit
		}
		for s := p.swept.Add(time.Second); s.Before(end); s = s.Add(time.Second) {
			p.clock.set(s)
			p.engine.Sweep()
		}
	}
	p.clock.set(t)
	p.swept = t
}

// land sets the clock to t after filing up to it.
func (p *Player) land(t time.Time) {
	p.sweepTo(t)
	p.engine.Sweep()
	p.anchorR, p.anchorW = t, time.Now()
}

// Run plays until stop is closed: the window before From at once, then on.
func (p *Player) Run(stop <-chan struct{}) {
	p.FileTo(p.from)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		more := p.play()
		if more {
			select {
			case f := <-p.ctl:
				f()
			case <-stop:
				return
			default:
			}
			continue
		}
		select {
		case f := <-p.ctl:
			f()
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

// play files what the clock has reached; more says there is more to file at once (at
// the max speed, a chunk at a time, so that controls get in between).
func (p *Player) play() (more bool) {
	st := p.State()
	if st.Paused || st.Ended {
		return false
	}
	now := p.clock.Now()
	target := p.to
	limit := 500
	if st.Speed != Max {
		target = p.anchorR.Add(time.Duration(float64(time.Since(p.anchorW)) * float64(st.Speed)))
		limit = -1
	}
	if target.After(p.to) {
		target = p.to
	}
	if !target.After(now) {
		return false
	}
	if reached := p.fileUntil(target, limit); !reached {
		return true
	}
	p.sweepTo(target)
	if !target.Before(p.to) {
		p.mu.Lock()
		p.state.Ended = true
		p.mu.Unlock()
	}
	return false
}

// speeds are the steps ChangeSpeed goes through.
var speeds = []Speed{1, 2, 5, 10, 30, 60, 300, Max}

// ChangeSpeed steps the speed up (by > 0) or down (by < 0) through 1, 2, 5, 10, 30, 60,
// 300 and max; a speed between steps moves to the next step that way.
func (p *Player) ChangeSpeed(by int) {
	p.do(func() {
		p.mu.Lock()
		cur := p.state.Speed
		p.mu.Unlock()
		rank := func(s Speed) float64 { // max ranks last
			if s == Max {
				return math.Inf(1)
			}
			return float64(s)
		}
		next := cur
		if by > 0 {
			for _, s := range speeds {
				if rank(s) > rank(cur) {
					next = s
					break
				}
			}
		} else {
			for _, s := range slices.Backward(speeds) {
				if rank(s) < rank(cur) {
					next = s
					break
				}
			}
		}
		// The clock goes on from where it is, at the new pace.
		p.anchorR, p.anchorW = p.clock.Now(), time.Now()
		p.mu.Lock()
		p.state.Speed = next
		p.mu.Unlock()
	})
}

// do runs f on the player's goroutine.
func (p *Player) do(f func()) {
	select {
	case p.ctl <- f:
	default: // a burst of keys beyond the queue: the rest are dropped
	}
}

// TogglePause stops or restarts the clock.
func (p *Player) TogglePause() {
	p.do(func() {
		p.mu.Lock()
		p.state.Paused = !p.state.Paused
		p.mu.Unlock()
		p.anchorR, p.anchorW = p.clock.Now(), time.Now()
	})
}

// Seek moves the clock by d (back when negative), within the recording and no later
// than To (back before From too: what led up to it): forward, the entries in between
// are filed at once; back, the engine is filled again from the window before the new
// moment.
func (p *Player) Seek(d time.Duration) {
	p.do(func() {
		now := p.clock.Now()
		t := now.Add(d)
		if t.Before(p.rec.First) {
			t = p.rec.First
		}
		if t.After(p.to) {
			t = p.to
		}
		if t.Before(now) {
			p.FileTo(t)
		} else {
			p.fileUntil(t, -1)
			p.land(t)
		}
		p.mu.Lock()
		p.state.Ended = !t.Before(p.to)
		p.mu.Unlock()
		p.anchorR, p.anchorW = t, time.Now()
	})
}

// named is a source that only has a name: a replayed engine never fetches.
type named string

func (n named) Name() string { return string(n) }

func (n named) Fetch(context.Context, string) (source.Snapshot, error) {
	return source.Snapshot{}, errors.New("a replay does not poll")
}
