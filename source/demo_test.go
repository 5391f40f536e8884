package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var demoStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// demoPoll is one Fetch of a run.
type demoPoll struct {
	at   time.Time
	snap Snapshot
	err  error
}

// runDemo polls number n times, step apart, from demoStart, and checks what every poll
// must satisfy: valid JSON, no decoder warning, the caller's fields filled in, and only
// WS500 API errors.
func runDemo(t *testing.T, d *Demo, clk *fakeClock, number string, n int, step time.Duration) []demoPoll {
	t.Helper()
	polls := make([]demoPoll, 0, n)
	for i := range n {
		if i > 0 {
			clk.Add(step)
		}
		snap, err := d.Fetch(context.Background(), number)
		if !json.Valid(snap.Raw) {
			t.Fatalf("%s poll %d: invalid JSON: %s", number, i, snap.Raw)
		}
		if len(snap.Warnings) > 0 {
			t.Fatalf("%s poll %d: decoder warnings %q", number, i, snap.Warnings)
		}
		if snap.Number != number || !snap.FetchedAt.Equal(clk.Now()) ||
			snap.Latency < 40*time.Millisecond || snap.Latency > 200*time.Millisecond {
			t.Fatalf("%s poll %d: number %q fetched at %v latency %v", number, i, snap.Number, snap.FetchedAt, snap.Latency)
		}
		var apiErr *APIError
		if err != nil && (!errors.As(err, &apiErr) || apiErr.Code != "WS500" || apiErr.Number != number) {
			t.Fatalf("%s poll %d: unexpected error %v", number, i, err)
		}
		if err == nil && (snap.Code != "WS201" || snap.Meta["version"] != "v2.45.2") {
			t.Fatalf("%s poll %d: code %q meta %v", number, i, snap.Code, snap.Meta)
		}
		polls = append(polls, demoPoll{at: clk.Now(), snap: snap, err: err})
	}
	return polls
}

func newTestDemo(seed int64) (*Demo, *fakeClock) {
	clk := &fakeClock{t: demoStart}
	return NewDemo(DemoOptions{Seed: seed, Now: clk.Now}), clk
}

// series returns the value of metric{labels...}, and whether it is there.
func series(s *Snapshot, metric string, kv ...string) (float64, bool) {
	m := s.Metric(metric)
	if m == nil {
		return 0, false
	}
next:
	for _, smp := range m.Samples {
		for i := 0; i+1 < len(kv); i += 2 {
			if smp.Labels.Get(kv[i]) != kv[i+1] {
				continue next
			}
		}
		return smp.Value, true
	}
	return 0, false
}

// statusFailShare is the failure share of status_change callbacks between two snapshots.
func statusFailShare(a, b *Snapshot) float64 {
	var all, failed float64
	for _, smp := range b.Metric("callback_requests_duration_ms_count").Samples {
		if smp.Labels.Get("type") != "status_change" {
			continue
		}
		before, _ := series(a, "callback_requests_duration_ms_count", "type", "status_change", "result", smp.Labels.Get("result"))
		all += smp.Value - before
		if IsFailure(smp.Labels.Get("result")) {
			failed += smp.Value - before
		}
	}
	return failed / all
}

// okAt returns the first successful poll at or after t.
func okAt(t *testing.T, polls []demoPoll, at time.Time) *Snapshot {
	t.Helper()
	for i := range polls {
		if polls[i].err == nil && !polls[i].at.Before(at) {
			return &polls[i].snap
		}
	}
	t.Fatalf("no successful poll at or after %v", at)
	return nil
}

func TestDemoBasics(t *testing.T) {
	d, _ := newTestDemo(1)
	if d.Name() != "demo" {
		t.Errorf("Name() = %q", d.Name())
	}
	if got := DemoNumbers(); len(got) != 3 || got[0] != "+12025550100" || got[2] != "+12025550102" {
		t.Errorf("DemoNumbers() = %q", got)
	}
	// A number outside the list is simulated too.
	snap, err := d.Fetch(context.Background(), "+447700900123")
	if err != nil || snap.Metric("callback_queue_size") == nil {
		t.Errorf("unknown number: %v, metrics %v", err, snap.MetricNames())
	}
}

func TestDemoDeterministic(t *testing.T) {
	d1, c1 := newTestDemo(42)
	d2, c2 := newTestDemo(42)
	d3, c3 := newTestDemo(43)
	for _, number := range DemoNumbers() {
		a := runDemo(t, d1, c1, number, 150, 5*time.Second)
		b := runDemo(t, d2, c2, number, 150, 5*time.Second)
		c := runDemo(t, d3, c3, number, 150, 5*time.Second)
		differs := false
		for i := range a {
			if !bytes.Equal(a[i].snap.Raw, b[i].snap.Raw) || (a[i].err == nil) != (b[i].err == nil) {
				t.Fatalf("%s poll %d: same seed, different bodies:\n%s\n%s", number, i, a[i].snap.Raw, b[i].snap.Raw)
			}
			differs = differs || !bytes.Equal(a[i].snap.Raw, c[i].snap.Raw)
		}
		if !differs {
			t.Errorf("%s: seeds 42 and 43 gave the same bodies", number)
		}
	}
}

func TestDemoCountersGrowUntilARestart(t *testing.T) {
	d, clk := newTestDemo(1)
	restarts := 0
	for _, number := range DemoNumbers() {
		polls := runDemo(t, d, clk, number, 24*60, time.Minute) // a day, a minute apart
		var prev *Snapshot
		for i := range polls {
			cur := &polls[i].snap
			if polls[i].err != nil {
				continue
			}
			for _, name := range cur.MetricNames() {
				if m := cur.Metrics[name]; m.Type == Counter {
					for _, smp := range m.Samples {
						if smp.Value <= 0 && name != "concurrent_rate_limit_triggered" && !strings.HasSuffix(name, "_sum") && prev == nil {
							t.Errorf("%s: first poll starts %s at %v", number, SeriesKey(name, smp.Labels), smp.Value)
						}
					}
				}
			}
			if prev != nil {
				from, _ := series(cur, "in_message_from_server")
				before, _ := series(prev, "in_message_from_server")
				restart := from < before
				if restart {
					restarts++
					if from > 1000 {
						t.Errorf("%s at %v: restart left in_message_from_server at %v", number, polls[i].at, from)
					}
				}
				for _, name := range cur.MetricNames() {
					m := cur.Metrics[name]
					if m.Type != Counter {
						continue
					}
					for _, smp := range m.Samples {
						old, _ := series(prev, name, flatten(smp.Labels)...)
						if smp.Value < old && !restart {
							t.Errorf("%s at %v: %s went down %v -> %v without a restart", number, polls[i].at, SeriesKey(name, smp.Labels), old, smp.Value)
						}
						if restart && smp.Value >= old && old > 1000 {
							t.Errorf("%s at %v: %s survived a restart", number, polls[i].at, SeriesKey(name, smp.Labels))
						}
					}
				}
			}
			checkPipeline(t, number, cur)
			prev = cur
		}
	}
	if restarts == 0 || restarts > 40 {
		t.Errorf("%d restarts in three simulated days, want a few", restarts)
	}
	t.Logf("%d restarts in three simulated days", restarts)
}

func flatten(ls Labels) []string {
	kv := make([]string, 0, 2*len(ls))
	for _, l := range ls {
		kv = append(kv, l.Name, l.Value)
	}
	return kv
}

// checkPipeline: the three inbound pipeline counters are all there, and
// decoded <= from_server, persisted <= decoded.
func checkPipeline(t *testing.T, number string, s *Snapshot) {
	t.Helper()
	var vals [3]float64
	for i, name := range [...]string{"in_message_from_server", "in_message_decoded", "in_message_persisted"} {
		v, ok := series(s, name)
		if !ok {
			t.Fatalf("%s: %s missing from the snapshot (metrics %v)", number, name, s.MetricNames())
		}
		vals[i] = v
	}
	from, dec, per := vals[0], vals[1], vals[2]
	if dec > from || per > dec {
		t.Errorf("%s: inbound pipeline from %v decoded %v persisted %v", number, from, dec, per)
	}
}

// The bursty number's queue starts low, climbs past 1,000 within the first ten minutes and
// drains back under 100 (with seed 1: past 1,000 at about 1 min 10 s, back under 100 at
// about 2 min 20 s). Each of the three is asserted on its own.
func TestDemoBurstyQueue(t *testing.T) {
	const step = 5 * time.Second
	d, clk := newTestDemo(1)
	polls := runDemo(t, d, clk, DemoNumbers()[1], 6*60, step) // 30 minutes
	queue := make([]float64, len(polls))
	for i, p := range polls {
		if p.err != nil {
			t.Fatalf("poll %d at %v: %v; the bursty number never answers WS500", i, p.at.Sub(demoStart), p.err)
		}
		q, ok := series(&p.snap, "callback_queue_size")
		if !ok {
			t.Fatalf("poll %d at %v: no callback_queue_size in %v", i, p.at.Sub(demoStart), p.snap.MetricNames())
		}
		queue[i] = q
	}
	// Low to start with: the first burst comes 20 s at the earliest.
	const firstPolls = 4 // 0 s to 15 s
	for i := range firstPolls {
		if queue[i] >= 100 {
			t.Fatalf("queue %v at %v: want it under 100 in every poll up to %v", queue[i], polls[i].at.Sub(demoStart), (firstPolls-1)*step)
		}
	}
	over := -1
	for i, q := range queue {
		if q > 1000 {
			over = i
			break
		}
	}
	if over < 0 {
		t.Fatalf("queue never passed 1000 in 30 minutes (peak %v)", highest(queue))
	}
	overAt := polls[over].at.Sub(demoStart)
	if overAt > 10*time.Minute {
		t.Fatalf("queue passed 1000 only after %v, want within the first 10 minutes", overAt)
	}
	back := -1
	for i := over + 1; i < len(queue); i++ {
		if queue[i] < 100 {
			back = i
			break
		}
	}
	if back < 0 {
		t.Fatalf("queue passed 1000 after %v and never drained back under 100 (last %v)", overAt, queue[len(queue)-1])
	}
	backAt := polls[back].at.Sub(demoStart)
	t.Logf("queue %v at the start, passed 1000 after %v (%v), peaked at %v, back under 100 after %v (%v)",
		queue[0], overAt, queue[over], highest(queue[over:back]), backAt, queue[back])
}

func highest(qs []float64) float64 {
	var m float64
	for _, q := range qs {
		m = max(m, q)
	}
	return m
}

func TestDemoMulticonnect(t *testing.T) {
	d, clk := newTestDemo(1)
	for _, p := range runDemo(t, d, clk, DemoNumbers()[1], 20, 5*time.Second) {
		if !bytes.HasPrefix(p.snap.Raw, []byte(`{"RESPONSE":{"code":"WS201"`)) ||
			!bytes.Contains(p.snap.Raw, []byte(`"wa-core-2:7d41e0aa":{}`)) {
			t.Fatalf("bursty body is not a wrapped multiconnect payload: %.120s", p.snap.Raw)
		}
		wantNodes := []Node{{Name: "wa-core-1:3f2a9c1b"}, {Name: "wa-core-2:7d41e0aa", Standby: true}}
		if !slices.Equal(p.snap.Nodes, wantNodes) {
			t.Fatalf("bursty nodes %+v, want %+v", p.snap.Nodes, wantNodes)
		}
		for _, m := range p.snap.Metrics {
			want := "wa-core-1:3f2a9c1b"
			if m.Group == "db" {
				want = ""
			}
			for _, smp := range m.Samples {
				if got := smp.Labels.Get("node"); got != want {
					t.Fatalf("%s: node %q, want %q", SeriesKey(m.Name, smp.Labels), got, want)
				}
			}
		}
	}
	d, clk = newTestDemo(1)
	calm := runDemo(t, d, clk, DemoNumbers()[0], 1, 0)[0].snap
	if bytes.HasPrefix(calm.Raw, []byte(`{"RESPONSE"`)) || strings.Contains(calm.Metrics["callback_queue_size"].Samples[0].Labels.String(), "node") {
		t.Errorf("calm body is wrapped or has nodes: %.80s", calm.Raw)
	}
	if calm.Nodes != nil {
		t.Errorf("calm snapshot lists nodes %+v, want none", calm.Nodes)
	}
}

func TestDemoFailing(t *testing.T) {
	d, clk := newTestDemo(1)
	polls := runDemo(t, d, clk, DemoNumbers()[2], 200, 5*time.Second)
	ws500 := 0
	for _, p := range polls {
		if p.err != nil {
			ws500++
			if !bytes.Contains(p.snap.Raw, []byte(`"data":[]`)) || p.snap.Code != "WS500" {
				t.Errorf("WS500 body %s, code %q", p.snap.Raw, p.snap.Code)
			}
		}
	}
	if ws500 == 0 || ws500 > 30 {
		t.Errorf("%d WS500 in 200 polls, want about 8", ws500)
	}
	early := statusFailShare(okAt(t, polls, demoStart), okAt(t, polls, demoStart.Add(2*time.Minute)))
	late := statusFailShare(okAt(t, polls, demoStart.Add(8*time.Minute)), okAt(t, polls, demoStart.Add(10*time.Minute)))
	if early > 0.05 || late < 0.1 || late < 3*early {
		t.Errorf("status_change failure share %.3f in minutes 0-2, %.3f in minutes 8-10: want it rising from ~1%% to ~20%%", early, late)
	}
	t.Logf("%d WS500 in 200 polls; failure share %.3f then %.3f", ws500, early, late)
}

func TestDemoMeanDurations(t *testing.T) {
	d, clk := newTestDemo(1)
	for _, number := range DemoNumbers() {
		polls := runDemo(t, d, clk, number, 120, 5*time.Second)
		var a, b *Snapshot
		for i := range polls {
			if polls[i].err == nil {
				if a == nil {
					a = &polls[i].snap
				}
				b = &polls[i].snap
			}
		}
		for _, base := range []string{"callback_requests_duration_ms", "endpoint_requests_duration_ms"} {
			for _, smp := range b.Metric(base + "_count").Samples {
				kv := flatten(smp.Labels)
				sum, _ := series(b, base+"_sum", kv...)
				oldCount, _ := series(a, base+"_count", kv...)
				oldSum, _ := series(a, base+"_sum", kv...)
				if mean := sum / smp.Value; mean < 20 || mean > 450 {
					t.Errorf("%s %s: lifetime mean %.0f ms", number, SeriesKey(base, smp.Labels), mean)
				}
				if dc := smp.Value - oldCount; dc >= 20 {
					if mean := (sum - oldSum) / dc; mean < 20 || mean > 450 {
						t.Errorf("%s %s: mean %.0f ms over 10 minutes", number, SeriesKey(base, smp.Labels), mean)
					}
				}
			}
		}
	}
}

// The simulated dynamics do not depend on the poll interval.
func TestDemoPollIntervalIndependent(t *testing.T) {
	for _, step := range []time.Duration{time.Second, 5 * time.Second, time.Minute} {
		d, clk := newTestDemo(3)
		polls := runDemo(t, d, clk, DemoNumbers()[0], int(30*time.Minute/step)+1, step)
		first, last := &polls[0].snap, &polls[len(polls)-1].snap
		rate := (sumOf(last, "callback_requests_duration_ms_count") - sumOf(first, "callback_requests_duration_ms_count")) / 1800
		if rate < 4 || rate > 6 {
			t.Errorf("calm at %v polls: %.2f callbacks/s, want about 5", step, rate)
		}
	}
}

func sumOf(s *Snapshot, metric string) float64 { return s.Metric(metric).Sum() }

func TestDemoHonoursContext(t *testing.T) {
	d, _ := newTestDemo(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var te *TransportError
	snap, err := d.Fetch(ctx, DemoNumbers()[0])
	if !errors.As(err, &te) || te.Kind != Network || !errors.Is(err, context.Canceled) || snap.Number != DemoNumbers()[0] {
		t.Errorf("canceled: %v (%T)", err, err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), demoStart)
	defer cancel()
	if _, err := d.Fetch(ctx, DemoNumbers()[0]); !errors.As(err, &te) || te.Kind != Timeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v (%T)", err, err)
	}
}

func TestDemoConcurrentNumbers(t *testing.T) {
	d, clk := newTestDemo(1)
	numbers := append(DemoNumbers(), "+12025550199", "+12025550198")
	var wg sync.WaitGroup
	for range 4 {
		for _, n := range numbers {
			wg.Go(func() {
				for range 25 {
					if _, err := d.Fetch(context.Background(), n); err != nil && ErrorKind(err) != "api" {
						t.Error(err)
					}
					clk.Add(time.Second)
				}
			})
		}
	}
	wg.Wait()
}
