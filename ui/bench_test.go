package ui

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Render and poll costs of a console at the project's scale: up to 500 numbers, each with
// a full hour of history. Run with
//
//	go test -run '^$' -bench . -benchmem ./ui/
//
// Targets: a frame at 160x48 under 2 ms; the cost of a frame must not grow with the
// numbers not in view (compare x1 with x500) nor with history beyond the window
// (BenchmarkViewMainHistory).

// synthNumber makes one number's snapshots without JSON, with the demo's metric names
// and label sets. The demo costs about 45 µs a poll, so an hour of history for 500
// numbers (360,000 polls) would take a quarter of a minute through it; this takes a few
// microseconds. The snapshot is updated in place, so a numberState's last snapshot is
// always this number's newest: nothing else may hold on to it.
type synthNumber struct {
	k    int
	snap source.Snapshot
	rng  uint64
	poll int

	gauges   []synthGauge
	counters []synthCounter
	renamed  int // how many times the callback types have been renamed (series churn)
}

type synthGauge struct {
	v         *float64
	base, amp float64
	period    float64 // in polls
}

type synthCounter struct {
	v    *float64
	rate float64 // mean increase per poll
}

var synthCallbacks = [...][2]string{{"inbound_message", "success"}, {"inbound_message", "99"},
	{"status_change", "success"}, {"status_change", "301"}, {"status_change", "1"}, {"status_change", "99"}}

var synthEndpoints = [...][3]string{{"messages", "post", "ok"}, {"messages", "post", "470"},
	{"contacts", "post", "ok"}, {"media", "post", "ok"}, {"media", "get", "ok"}, {"media", "get", "1006"}}

// newSynthNumber builds number k's snapshot. Like the demo, every third number is a
// multiconnect one (its app metrics carry a node label) and every third one fails a lot.
func newSynthNumber(number string, k int) *synthNumber {
	g := &synthNumber{k: k, rng: uint64(k)*0x9e3779b97f4a7c15 + 1}
	g.snap = source.Snapshot{Number: number, Code: "WS201", Message: "OK", Latency: 80 * time.Millisecond,
		Metrics: map[string]*source.Metric{}, Meta: map[string]string{"api_status": "ok", "version": "v2.53.1"}}
	g.build()
	return g
}

func (g *synthNumber) labels(kv ...string) source.Labels {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	if g.k%3 == 1 {
		m["node"] = "wa-core-1:3f2a9c1b"
	}
	return source.NewLabels(m)
}

// build (re)creates every metric; renamed > 0 gives the callback types new label values,
// the way a client upgrade brings new callback types.
func (g *synthNumber) build() {
	g.gauges, g.counters = g.gauges[:0], g.counters[:0]
	ms := g.snap.Metrics
	clear(ms)
	add := func(name, group string, typ source.MetricType, samples ...source.Sample) *source.Metric {
		m := &source.Metric{Name: name, Group: group, Type: typ, Help: name, Samples: samples}
		ms[name] = m
		return m
	}
	gauge := func(m *source.Metric, base, amp, period float64) {
		for i := range m.Samples {
			g.gauges = append(g.gauges, synthGauge{v: &m.Samples[i].Value, base: base, amp: amp, period: period + float64(i)})
		}
	}
	counter := func(m *source.Metric, rates ...float64) {
		for i := range m.Samples {
			g.counters = append(g.counters, synthCounter{v: &m.Samples[i].Value, rate: rates[i%len(rates)]})
		}
	}
	one := func() source.Sample { return source.Sample{Labels: g.labels()} }
	local := func(kv ...string) source.Sample { return source.Sample{Labels: source.NewLabels(pairs(kv))} }

	fail := 0.01
	if g.k%3 == 2 {
		fail = 0.08 // past the critical failure share: the overview has something to sort
	}
	cbRates := make([]float64, len(synthCallbacks))
	for i, s := range synthCallbacks {
		r := 60.0
		if s[0] == "status_change" {
			r = 150
		}
		if source.IsFailure(s[1]) {
			r *= fail
		}
		cbRates[i] = r * (1 + float64(g.k%7)/10)
	}
	cb := func() []source.Sample {
		out := make([]source.Sample, len(synthCallbacks))
		for i, s := range synthCallbacks {
			typ := s[0]
			if g.renamed > 0 && typ == "status_change" {
				typ = fmt.Sprintf("status_change_v%d", g.renamed)
			}
			out[i] = source.Sample{Labels: g.labels("result", s[1], "type", typ)}
		}
		return out
	}
	ep := func() []source.Sample {
		out := make([]source.Sample, len(synthEndpoints))
		for i, e := range synthEndpoints {
			out[i] = source.Sample{Labels: g.labels("endpoint", e[0], "method", e[1], "result", e[2])}
		}
		return out
	}
	epRates := []float64{10, 0.05, 1.5, 0.75, 2, 0.02}

	gauge(add(source.QueueSize, "app", source.Gauge, one()), 40+float64(g.k%5)*30, 35, 90)
	counter(add(source.CallbackCount, "app", source.Counter, cb()...), cbRates...)
	sums := make([]float64, len(cbRates))
	for i, r := range cbRates {
		sums[i] = r * 120 // mean 120 ms
	}
	counter(add(source.CallbackSum, "app", source.Counter, cb()...), sums...)
	counter(add("concurrent_rate_limit_triggered", "app", source.Counter, one()), 0.01)
	gauge(add("db_contacts", "db", source.Gauge, local("type", "valid"), local("type", "invalid")), 5000, 50, 700)
	gauge(add("db_messages", "db", source.Gauge, local("type", "incoming"), local("type", "outgoing")), 90000, 900, 500)
	gauge(add("db_pending_callbacks", "db", source.Gauge, local()), 12, 10, 40)
	gauge(add("db_pending_messages", "db", source.Gauge, local()), 4, 4, 30)
	counter(add("endpoint_requests", "app", source.Counter, ep()...), epRates...)
	counter(add("endpoint_requests_duration_ms_count", "app", source.Counter, ep()...), epRates...)
	counter(add("endpoint_requests_duration_ms_sum", "app", source.Counter, ep()...), 700, 2, 135, 180, 320, 0.6)
	counter(add("in_message_decoded", "app", source.Counter, one()), 60)
	counter(add("in_message_from_server", "app", source.Counter, one()), 60)
	counter(add("in_message_persisted", "app", source.Counter, one()), 60)
	gauge(add("in_messages_pending_processing", "app", source.Gauge, one()), 3, 3, 25)
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// rand is xorshift64*: cheap and allocation-free, in [0, 1).
func (g *synthNumber) rand() float64 {
	g.rng ^= g.rng >> 12
	g.rng ^= g.rng << 25
	g.rng ^= g.rng >> 27
	return float64((g.rng*2685821657736338717)>>11) / (1 << 53)
}

// step advances the number by one poll at t: counters grow by their rate ± 50%, gauges
// wander around their base. It allocates nothing.
func (g *synthNumber) step(t time.Time) {
	g.poll++
	for _, c := range g.counters {
		*c.v += math.Round(c.rate * (0.5 + g.rand()))
	}
	p := float64(g.poll)
	for _, gg := range g.gauges {
		*gg.v = math.Max(0, math.Round(gg.base+gg.amp*math.Sin(2*math.Pi*p/gg.period)+gg.amp/4*(g.rand()-0.5)))
	}
	g.snap.FetchedAt = t
}

// resetCounters is a client restart: every counter back to zero.
func (g *synthNumber) resetCounters() {
	for _, c := range g.counters {
		*c.v = 0
	}
}

// rename changes the series set: new callback type label values, counters from zero.
func (g *synthNumber) rename() {
	g.renamed++
	g.build()
}

// synthSource serves synthNumbers' snapshots through the real poll path; next, when set,
// decides each poll's outcome.
type synthSource struct {
	gens map[string]*synthNumber
	now  func() time.Time
	next func(g *synthNumber) error
}

func (s *synthSource) Name() string { return "synthetic" }

func (s *synthSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	g := s.gens[number]
	t := s.now()
	if s.next != nil {
		if err := s.next(g); err != nil {
			return source.Snapshot{Number: number, FetchedAt: t, Latency: 2 * time.Second}, err
		}
	}
	g.step(t)
	return g.snap, nil
}

// synthConsole is a console of synthNumbers on a manual clock, polls filed by the caller.
type synthConsole struct {
	*Model
	clock *monitor.ManualClock
	eng   *monitor.Engine
	src   *synthSource
	gens  []*synthNumber
}

func newSynthConsole(numbers, capacity int, interval time.Duration) *synthConsole {
	clock := monitor.NewManualClock(testStart)
	src := &synthSource{gens: map[string]*synthNumber{}, now: clock.Now}
	c := &synthConsole{clock: clock, src: src}
	var names []string
	for k := range numbers {
		name := fmt.Sprintf("+1202555%04d", k)
		names = append(names, name)
		g := newSynthNumber(name, k)
		c.gens = append(c.gens, g)
		src.gens[name] = g
	}
	c.eng = monitor.New(monitor.Config{
		Source: src, Numbers: names, Interval: interval, Timeout: 2 * time.Second,
		History: capacity, Thresholds: testThresholds, Clock: clock,
	})
	c.Model = New(Options{Engine: c.eng, Location: time.UTC})
	c.sized = true // each benchmark picks its screen
	return c
}

// fill gives every number polls polls, interval apart and staggered across the interval
// as the engine staggers them, about one in a hundred failed, filed as the engine files
// its own polls.
func (c *synthConsole) fill(polls int) {
	interval := c.eng.Interval()
	start := c.clock.Now()
	for p := range polls {
		for k, g := range c.gens {
			at := start.Add(time.Duration(p)*interval + time.Duration(k)*interval/time.Duration(len(c.gens)))
			if (p+k)%97 == 96 && p < polls-1 {
				c.eng.Record(k, source.Snapshot{FetchedAt: at}, &source.TransportError{Kind: source.Timeout, Detail: "no response within 2s"})
				continue
			}
			g.step(at)
			c.eng.Record(k, g.snap, nil)
		}
	}
	c.clock.Set(start.Add(time.Duration(polls)*interval - time.Second))
	c.Update(dataMsg{})
}

// The consoles are built once and shared by every sub-benchmark: an hour of history for
// 500 numbers is about 250 MB and a few seconds to build. Each is built on first use, so
// the single-number frames (run first) are measured without the big console's heap,
// whose garbage collection is part of what a 500-number console costs per frame.
var (
	benchMu       sync.Mutex
	benchConsoles = map[int]*synthConsole{}
)

func benchConsole(b *testing.B, numbers int) *synthConsole {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	c := benchConsoles[numbers]
	if c == nil {
		c = newSynthConsole(numbers, 720, 5*time.Second)
		c.fill(720)
		benchConsoles[numbers] = c
		runtime.GC() // the build's garbage is not the frames' cost
	}
	return c
}

// show puts the console on a screen for numbers[0] at w x h.
func (c *synthConsole) show(s screen, w, h int) {
	c.ctx.Active = 0
	c.stack = []screen{s}
	c.Update(tea.WindowSizeMsg{Width: w, Height: h})
}

// benchFrames measures one redraw. afterPoll: the frame that follows a poll of the number
// in view (the screen draws again: contextMsg makes it, as new data would); otherwise the
// frame of a clock tick (the main view keeps its drawing, the header is drawn again).
func benchFrames(b *testing.B, c *synthConsole, afterPoll bool) {
	b.Helper()
	if f := plain(c); len(f) < 100 {
		b.Fatalf("frame: %q", f)
	}
	var msg tea.Msg = clockMsg{}
	if afterPoll {
		msg = contextMsg{}
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Update(msg)
		_ = c.View()
	}
}

// The window is 5 minutes (60 polls at 5 s): a frame over 720 polls held must cost about
// what it costs over 60.
func BenchmarkViewMainHistory(b *testing.B) {
	for _, polls := range []int{60, 720} {
		b.Run(fmt.Sprintf("%dpolls", polls), func(b *testing.B) {
			c := newSynthConsole(1, 720, 5*time.Second)
			c.fill(polls)
			c.show(newMainScreen(c.ctx), 160, 48)
			benchFrames(b, c, true)
		})
	}
}

func BenchmarkViewMain(b *testing.B) {
	for _, numbers := range []int{1, 500} {
		for _, size := range [][2]int{{160, 48}, {300, 80}} {
			for _, afterPoll := range []bool{true, false} {
				name := fmt.Sprintf("%dx%dx%d/tick", size[0], size[1], numbers)
				if afterPoll {
					name = fmt.Sprintf("%dx%dx%d/poll", size[0], size[1], numbers)
				}
				b.Run(name, func(b *testing.B) {
					c := benchConsole(b, numbers)
					c.show(newMainScreen(c.ctx), size[0], size[1])
					benchFrames(b, c, afterPoll)
				})
			}
		}
	}
}

func BenchmarkViewOverview500(b *testing.B) {
	c := benchConsole(b, 500)
	c.show(newOverview(c.ctx), 160, 48)
	benchFrames(b, c, false)
}

// BenchmarkPollDone500 is the cost of filing one poll in a 500-number engine whose rings
// are full (history, figures, level, alert edge, publishing to a subscribed console):
// the numbers answer in turn, as the staggered loop delivers them. The synthetic step (a
// few dozen float updates, no allocation) is inside the loop. Drawing is not: frames are
// BenchmarkView*.
func BenchmarkPollDone500(b *testing.B) {
	c := benchConsole(b, 500)
	sub := c.eng.Subscribe()
	defer sub.Close()
	step := c.eng.Interval() / time.Duration(c.eng.Len())
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k := i % c.eng.Len()
		i++
		c.clock.Advance(step)
		g := c.gens[k]
		g.step(c.clock.Now())
		c.eng.Record(k, g.snap, nil)
	}
	if st := c.eng.Status(0); st.Polls < 720 {
		b.Fatalf("%d polls filed, want at least 720", st.Polls)
	}
}
