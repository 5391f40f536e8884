package history

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// at is the time of poll i at a 5 s interval.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Second) }

// snap builds a snapshot from series given as metric name -> samples.
func snap(metrics map[string][]source.Sample) *source.Snapshot {
	s := &source.Snapshot{Metrics: map[string]*source.Metric{}}
	for name, samples := range metrics {
		s.Metrics[name] = &source.Metric{Name: name, Type: source.Counter, Samples: samples}
	}
	return s
}

// one is a snapshot holding the single unlabelled series name = v.
func one(name string, v float64) *source.Snapshot {
	return snap(map[string][]source.Sample{name: {{Value: v}}})
}

func values(n *Number, key string) []float64 { return n.Values(key, time.Time{}, nil) }

// sameFloats compares with NaN equal to NaN.
func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool {
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	})
}

var nan = math.NaN()

func TestGapIsNaNNotZero(t *testing.T) {
	n := NewNumber(10)
	n.Record(at(0), one("c", 5))
	n.RecordGap(at(1))
	n.Record(at(2), one("c", 7))
	if got := values(n, "c"); !sameFloats(got, []float64{5, nan, 7}) {
		t.Fatalf("values = %v, want [5 NaN 7]", got)
	}
	pts := n.Points("c", time.Time{}, nil)
	if !pts[1].Gap() || pts[0].Gap() {
		t.Fatalf("Gap() wrong: %v", pts)
	}
	if n.LastPollOK() != true {
		t.Fatal("LastPollOK after Record = false")
	}
	n.RecordGap(at(3))
	if n.LastPollOK() {
		t.Fatal("LastPollOK after RecordGap = true")
	}
	// Latest skips the gaps.
	if p, ok := n.Latest("c"); !ok || p.V != 7 || !p.T.Equal(at(2)) {
		t.Fatalf("Latest = %v %v, want 7 at %v", p, ok, at(2))
	}
}

func TestAbsentSeriesIsGap(t *testing.T) {
	n := NewNumber(10)
	n.Record(at(0), snap(map[string][]source.Sample{"a": {{Value: 1}}, "b": {{Value: 2}}}))
	n.Record(at(1), one("a", 3))
	if got := values(n, "b"); !sameFloats(got, []float64{2, nan}) {
		t.Fatalf("b = %v, want [2 NaN]", got)
	}
}

func TestResetNeverNegative(t *testing.T) {
	n := NewNumber(10)
	for i, v := range []float64{100, 110, 4, 10} { // restart between 110 and 4
		n.Record(at(i), one("c", v))
	}
	rates := n.Rates("c", time.Time{}, nil)
	want := []float64{nan, 2, 0.8, 1.2} // 10/5, 4/5 (from zero), 6/5
	got := make([]float64, len(rates))
	for i, p := range rates {
		got[i] = p.V
		if !p.T.Equal(at(i)) {
			t.Errorf("rate %d at %v, want %v", i, p.T, at(i))
		}
	}
	if !sameFloats(got, want) {
		t.Fatalf("Rates = %v, want %v", got, want)
	}
	if d, ok := n.Delta("c", 0); !ok || d != 10+4+6 {
		t.Fatalf("Delta = %v %v, want 20", d, ok)
	}
	if r, ok := n.Rate("c", 0); !ok || math.Abs(r-20.0/15) > 1e-12 {
		t.Fatalf("Rate = %v %v, want %v", r, ok, 20.0/15)
	}
	if got := n.Resets("c"); got != 1 {
		t.Fatalf("Resets = %d, want 1", got)
	}
}

func TestResetsAcrossGap(t *testing.T) {
	n := NewNumber(10)
	n.Record(at(0), one("c", 50))
	n.RecordGap(at(1))
	n.Record(at(2), one("c", 3))
	n.Record(at(3), one("c", 2))
	if got := n.Resets("c"); got != 2 {
		t.Fatalf("Resets = %d, want 2", got)
	}
}

func TestDisappearingSeriesKeepsHistory(t *testing.T) {
	n := NewNumber(4)
	n.Record(at(0), snap(map[string][]source.Sample{"a": {{Value: 1}}, "b": {{Value: 2}}}))
	for i := 1; i < 4; i++ {
		n.Record(at(i), one("a", float64(i)))
	}
	if !n.Has("b") || !slices.Equal(n.Keys(), []string{"a", "b"}) {
		t.Fatalf("Keys = %v, want [a b]", n.Keys())
	}
	if got := values(n, "b"); !sameFloats(got, []float64{2, nan, nan, nan}) {
		t.Fatalf("b = %v", got)
	}
	if p, ok := n.Latest("b"); !ok || p.V != 2 || !p.T.Equal(at(0)) {
		t.Fatalf("Latest(b) = %v %v", p, ok)
	}
	// Its last value rolls out: only then does it go.
	n.Record(at(4), one("a", 4))
	if n.Has("b") || !slices.Equal(n.Keys(), []string{"a"}) {
		t.Fatalf("after roll-out Keys = %v, want [a]", n.Keys())
	}
	if _, ok := n.Latest("b"); ok {
		t.Fatal("Latest(b) still found")
	}
}

func TestNewSeriesBackFilledWithGaps(t *testing.T) {
	n := NewNumber(5)
	n.Record(at(0), one("a", 1))
	n.Record(at(1), one("a", 2))
	n.Record(at(2), snap(map[string][]source.Sample{"a": {{Value: 3}}, "b": {{Value: 9}}}))
	if got := values(n, "b"); !sameFloats(got, []float64{nan, nan, 9}) {
		t.Fatalf("b = %v, want [NaN NaN 9]", got)
	}
	if got := len(n.Points("b", time.Time{}, nil)); got != n.Len() {
		t.Fatalf("len(Points) = %d, want Len %d", got, n.Len())
	}
}

func TestRingWrapKeepsNewestInOrder(t *testing.T) {
	n := NewNumber(5)
	for i := range 13 {
		n.Record(at(i), one("c", float64(i)))
	}
	if n.Len() != 5 || n.Capacity() != 5 {
		t.Fatalf("Len %d Capacity %d, want 5 5", n.Len(), n.Capacity())
	}
	pts := n.Points("c", time.Time{}, nil)
	for k, p := range pts {
		if i := 8 + k; p.V != float64(i) || !p.T.Equal(at(i)) {
			t.Fatalf("point %d = %v, want %d at %v", k, p, i, at(i))
		}
	}
	old, nw := n.Times()
	if !old.Equal(at(8)) || !nw.Equal(at(12)) {
		t.Fatalf("Times = %v %v", old, nw)
	}
}

func TestRateAcrossGap(t *testing.T) {
	n := NewNumber(10)
	n.Record(at(0), one("c", 0))
	n.Record(at(1), one("c", 10))
	n.RecordGap(at(2))
	n.Record(at(3), one("c", 1000)) // the jump across the gap is not counted
	n.Record(at(4), one("c", 1020))
	r, ok := n.Rate("c", 0)
	if !ok || r != 30.0/10 { // (10 + 20) over two 5 s pairs
		t.Fatalf("Rate = %v %v, want 3", r, ok)
	}
	if d, _ := n.Delta("c", 0); d != 30 {
		t.Fatalf("Delta = %v, want 30", d)
	}
	rates := n.Rates("c", time.Time{}, nil)
	if !rates[2].Gap() || !rates[3].Gap() || rates[4].V != 4 {
		t.Fatalf("Rates = %v", rates)
	}
}

func TestRateWindowEdges(t *testing.T) {
	n := NewNumber(10)
	for i, v := range []float64{0, 100, 110, 130} {
		n.Record(at(i), one("c", v))
	}
	// 10 s back from the latest (at 15 s) reaches the poll at 5 s exactly: pairs 5-10, 10-15.
	if d, ok := n.Delta("c", 10*time.Second); !ok || d != 30 {
		t.Fatalf("Delta(10s) = %v %v, want 30", d, ok)
	}
	// Just under: only the last pair.
	if d, _ := n.Delta("c", 10*time.Second-1); d != 20 {
		t.Fatalf("Delta(10s-1ns) = %v, want 20", d)
	}
	if r, ok := n.Rate("c", 5*time.Second); !ok || r != 4 {
		t.Fatalf("Rate(5s) = %v %v, want 4", r, ok)
	}
	// A window shorter than one interval holds one point: no rate.
	if _, ok := n.Rate("c", time.Second); ok {
		t.Fatal("Rate(1s) ok with a single point")
	}
	// The window ends at the latest value, not the latest poll.
	n.RecordGap(at(4))
	n.RecordGap(at(5))
	if r, ok := n.Rate("c", 5*time.Second); !ok || r != 4 {
		t.Fatalf("Rate(5s) after gaps = %v %v, want 4", r, ok)
	}
	if _, ok := n.Rate("missing", 0); ok {
		t.Fatal("Rate of unknown key ok")
	}
	m := NewNumber(10)
	m.Record(at(0), one("c", 1))
	if _, ok := m.Rate("c", 0); ok {
		t.Fatal("Rate with one point ok")
	}
}

func TestPointsSinceFilter(t *testing.T) {
	n := NewNumber(10)
	for i := range 6 {
		n.Record(at(i), one("c", float64(i)))
	}
	pts := n.Points("c", at(3), nil)
	if len(pts) != 3 || pts[0].V != 3 || !pts[0].T.Equal(at(3)) {
		t.Fatalf("Points since at(3) = %v", pts)
	}
	if got := n.Points("c", at(3).Add(time.Nanosecond), nil); len(got) != 2 {
		t.Fatalf("Points since just after at(3): %d points, want 2", len(got))
	}
	if got := n.Points("c", at(99), nil); len(got) != 0 {
		t.Fatalf("Points since the future = %v", got)
	}
	if got := n.Values("c", at(4), []float64{-1}); !sameFloats(got, []float64{-1, 4, 5}) {
		t.Fatalf("Values appends wrong: %v", got)
	}
	if got := len(n.Rates("c", at(4), nil)); got != 2 {
		t.Fatalf("Rates since at(4): %d, want 2", got)
	}
}

func TestKeysSortedAndMatchSeriesKey(t *testing.T) {
	ls := func(kv ...string) source.Labels {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return source.NewLabels(m)
	}
	samples := []source.Sample{
		{Labels: ls("type", "outbound", "result", "success"), Value: 1},
		{Labels: ls("type", "inbound", "result", "failed"), Value: 2},
	}
	n := NewNumber(3)
	n.Record(at(0), snap(map[string][]source.Sample{
		"zeta":             {{Value: 1}},
		"callbacks_total":  samples,
		"alpha_queue_size": {{Value: 0}},
	}))
	want := []string{
		"alpha_queue_size",
		source.SeriesKey("callbacks_total", samples[1].Labels),
		source.SeriesKey("callbacks_total", samples[0].Labels),
		"zeta",
	}
	slices.Sort(want)
	if got := n.Keys(); !slices.Equal(got, want) {
		t.Fatalf("Keys = %q, want %q", got, want)
	}
	if p, ok := n.Latest(source.SeriesKey("callbacks_total", samples[1].Labels)); !ok || p.V != 2 {
		t.Fatalf("Latest by SeriesKey = %v %v", p, ok)
	}
	// Key finds the same series by name and labels, without building the key.
	for _, s := range samples {
		if k, ok := n.Key("callbacks_total", s.Labels); !ok || k != source.SeriesKey("callbacks_total", s.Labels) {
			t.Errorf("Key(callbacks_total, %v) = %q %v", s.Labels, k, ok)
		}
	}
	if k, ok := n.Key("zeta", nil); !ok || k != "zeta" {
		t.Errorf("Key(zeta) = %q %v", k, ok)
	}
	if k, ok := n.Key("callbacks_total", ls("type", "nope")); ok || k != "" {
		t.Errorf("Key of a series not held = %q %v", k, ok)
	}
	if a := testing.AllocsPerRun(100, func() { n.Key("callbacks_total", samples[0].Labels) }); a != 0 {
		t.Errorf("Key allocates %v times", a)
	}
}

// Increase, the windowed ResetsSince and Key agree with what they stand for (Delta and
// Rate; a walk through everything held; SeriesKey) on a counter with gaps, drops, restarts
// and a ring that wrapped, for every window and every since.
func TestQueriesAgree(t *testing.T) {
	n := NewNumber(24)
	rng := uint64(7)
	rnd := func(k uint64) uint64 { rng = rng*6364136223846793005 + 1442695040888963407; return (rng >> 33) % k }
	v := 1000.0
	for i := range 60 {
		switch r := rnd(10); {
		case r == 0:
			n.RecordGap(at(i))
			continue
		case r == 1:
			v *= 0.8 // a lagging reading
		case r == 2:
			v = float64(rnd(50)) // a restart
		default:
			v += float64(rnd(100))
		}
		n.Record(at(i), one("c", v))
		// ResetsSince as it was: every held point, drops onto one at or after since.
		naive := func(since time.Time) int {
			count, prev := 0, math.NaN()
			for _, p := range n.Points("c", time.Time{}, nil) {
				if p.Gap() {
					continue
				}
				if p.V < prev && (since.IsZero() || !p.T.Before(since)) {
					count++
				}
				prev = p.V
			}
			return count
		}
		// Every window from none to past the ring's span (24 polls, 2 minutes), in
		// half-intervals: on polls and between them.
		for w := time.Duration(0); w <= 130*time.Second; w += 2500 * time.Millisecond {
			d, dok := n.Delta("c", w)
			r, rok := n.Rate("c", w)
			gd, gr, ok := n.Increase("c", w)
			if ok != dok || ok != rok || gd != d || ok && gr != r {
				t.Fatalf("poll %d, window %v: Increase = %v %v %v, Delta %v %v, Rate %v %v", i, w, gd, gr, ok, d, dok, r, rok)
			}
			var since time.Time
			if w > 0 {
				since = at(i).Add(-w)
			}
			if got, want := n.ResetsSince("c", since), naive(since); got != want {
				t.Fatalf("poll %d: ResetsSince(%v) = %d, want %d", i, since, got, want)
			}
		}
	}
	if _, _, ok := n.Increase("nope", 0); ok {
		t.Fatal("Increase of an unknown series is ok")
	}
}

func TestEmpty(t *testing.T) {
	n := NewNumber(0)
	if n.Capacity() != 2 || n.Len() != 0 || n.LastPollOK() || len(n.Keys()) != 0 {
		t.Fatal("empty Number not empty")
	}
	if o, w := n.Times(); !o.IsZero() || !w.IsZero() {
		t.Fatal("Times of empty not zero")
	}
	if _, ok := n.Latest("x"); ok || n.Resets("x") != 0 || n.Points("x", time.Time{}, nil) != nil {
		t.Fatal("unknown key answered")
	}
	n.Record(at(0), nil) // nil snapshot counts as a failed poll
	if n.Len() != 1 || n.LastPollOK() {
		t.Fatal("nil snapshot not a gap")
	}
}

// steady builds a full Number of 50 labelled series and a snapshot for its next poll.
func steady(capacity int) (*Number, *source.Snapshot) {
	s := &source.Snapshot{Metrics: map[string]*source.Metric{}}
	types := []string{"inbound_message", "outbound_status", "template", "media", "account"}
	results := []string{"success", "failed", "timeout", "rejected", "retry"}
	for _, name := range []string{"whatsapp_callbacks_total", "whatsapp_endpoint_calls_total"} {
		m := &source.Metric{Name: name, Type: source.Counter}
		for _, ty := range types {
			for _, r := range results {
				m.Samples = append(m.Samples, source.Sample{
					Labels: source.Labels{{Name: "result", Value: r}, {Name: "type", Value: ty}},
				})
			}
		}
		s.Metrics[name] = m
	}
	n := NewNumber(capacity)
	for i := range capacity + 1 {
		bump(s, i)
		n.Record(at(i), s)
	}
	return n, s
}

func bump(s *source.Snapshot, i int) {
	for _, m := range s.Metrics {
		for k := range m.Samples {
			m.Samples[k].Value = float64(i * (k + 1))
		}
	}
}

func TestRecordSteadyStateAllocs(t *testing.T) {
	n, s := steady(100)
	if len(n.Keys()) != 50 {
		t.Fatalf("%d series, want 50", len(n.Keys()))
	}
	i := 1000
	allocs := testing.AllocsPerRun(200, func() {
		i++
		n.Record(at(i), s)
		n.RecordGap(at(i).Add(time.Second))
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %v times per run at steady state", allocs)
	}
}

func TestMemBytesPlausible(t *testing.T) {
	n, _ := steady(720)
	got := n.MemBytes()
	raw := 51 * 720 * 8
	if got < raw || got > raw*11/10 {
		t.Fatalf("MemBytes = %d, want about %d", got, raw)
	}
}

// A counter that reads negative is no reading: no rate, and no negative increase.
func TestNegativeCounterGivesNoRate(t *testing.T) {
	h := NewNumber(10)
	for i, v := range []float64{10, -5, 20} {
		h.Record(at(i), one("c", v))
	}
	if d, ok := h.Delta("c", 0); ok && d < 0 {
		t.Fatalf("delta %v", d)
	}
	for _, p := range h.Rates("c", time.Time{}, nil) {
		if p.V < 0 {
			t.Fatalf("negative rate %v", p.V)
		}
	}
}

// RateBefore is the rate as the previous poll saw it: it tells a rise from a fall.
func TestRateBeforeIsThePreviousPollsRate(t *testing.T) {
	n := NewNumber(10)
	for i, v := range []float64{0, 10, 20, 50} {
		n.Record(at(i), one("c", v))
	}
	// A 10 s window: now pairs 10-20 and 20-50 (40 over 10 s); one poll back, 0-10 and
	// 10-20 (20 over 10 s).
	if r, ok := n.Rate("c", 10*time.Second); !ok || r != 4 {
		t.Fatalf("Rate = %v %v, want 4", r, ok)
	}
	if r, ok := n.RateBefore("c", 10*time.Second, 1); !ok || r != 2 {
		t.Fatalf("RateBefore(1) = %v %v, want 2", r, ok)
	}
	// After a failed poll the newest value is still the one at 15 s: one poll back is the
	// same window as now.
	n.RecordGap(at(4))
	now, _ := n.Rate("c", 10*time.Second)
	if r, ok := n.RateBefore("c", 10*time.Second, 1); !ok || r != now {
		t.Fatalf("RateBefore(1) after a gap = %v %v, want %v", r, ok, now)
	}
	// Back past every value: no rate.
	if _, ok := n.RateBefore("c", 0, 4); ok {
		t.Fatal("RateBefore(4) of a series with one value before it is ok")
	}
}

// A counter that drops by less than nine tenths was read from another node or replica:
// the increase across the drop is unknown (a gap in rates), never the whole new value.
// A drop below a tenth is a restart, whose increase is the new value.
func TestCounterDropIsUnknownUnlessARestart(t *testing.T) {
	n := NewNumber(10)
	vals := []float64{767000, 767500, 767300, 767800, 50, 550}
	var drops []Drops
	for i, v := range vals {
		drops = append(drops, n.Record(at(i), one("c", v)))
	}
	rates := n.Rates("c", time.Time{}, nil)
	// 500/5, unknown, 300 over the 10 s since 767500, 50/5 (a restart), 500/5.
	want := []float64{nan, 100, nan, 30, 10, 100}
	got := make([]float64, len(rates))
	for i, p := range rates {
		got[i] = p.V
	}
	if !sameFloats(got, want) {
		t.Fatalf("Rates = %v, want %v", got, want)
	}
	// 500 + 300 + 50 + 500 over the 25 s they took.
	if r, ok := n.Rate("c", 0); !ok || r != 1350.0/25 {
		t.Fatalf("Rate = %v %v, want %v", r, ok, 1350.0/25)
	}
	if d, _ := n.Delta("c", 0); d != 1350 {
		t.Fatalf("Delta = %v, want 1350", d)
	}
	if got := n.Resets("c"); got != 2 {
		t.Fatalf("Resets = %d, want 2 (a drop and a restart)", got)
	}
	if got := n.ResetsSince("c", at(3)); got != 1 {
		t.Fatalf("ResetsSince(poll 3) = %d, want 1", got)
	}
	wantDrops := []Drops{{}, {}, {Others: 1, First: "c"}, {}, {Restarts: 1, First: "c"}, {}}
	if !slices.Equal(drops, wantDrops) {
		t.Fatalf("Record's drops = %+v, want %+v", drops, wantDrops)
	}
}

// Record reports drops of counters only: a gauge goes down as a matter of course. It
// looks across a failed poll.
func TestRecordReportsCounterDropsOnly(t *testing.T) {
	n := NewNumber(10)
	mk := func(q, c float64) *source.Snapshot {
		return &source.Snapshot{Metrics: map[string]*source.Metric{
			"q":         {Name: "q", Type: source.Gauge, Samples: []source.Sample{{Value: q}}},
			"req_count": {Name: "req_count", Type: source.Untyped, Samples: []source.Sample{{Value: c}}},
		}}
	}
	n.Record(at(0), mk(100, 1000))
	if d := n.Record(at(1), mk(5, 1010)); d != (Drops{}) {
		t.Fatalf("a falling gauge reported %+v", d)
	}
	n.RecordGap(at(2))
	if d := n.Record(at(3), mk(5, 3)); d != (Drops{Restarts: 1, First: "req_count"}) {
		t.Fatalf("a counter restarted across a gap: %+v", d)
	}
}

// Two replicas answering in turn, one 200 behind: the lagging readings are no increase,
// and the climb back is counted once, over the time it took: the rate is the counter's.
func TestReplicasAnsweringInTurn(t *testing.T) {
	n := NewNumber(32)
	for i := range 20 {
		v := 100000 + float64(i)*10 // 2 a second at 5 s
		if i%2 == 1 {
			v -= 200
		}
		n.Record(at(i), one("c", v))
	}
	for _, w := range []time.Duration{0, 30 * time.Second, 25 * time.Second} {
		if r, ok := n.Rate("c", w); !ok || math.Abs(r-2) > 1e-9 {
			t.Errorf("Rate over %v = %v %v, want 2", w, r, ok)
		}
	}
	for _, p := range n.Rates("c", time.Time{}, nil) {
		if !p.Gap() && p.V != 2 {
			t.Fatalf("Rates = %v, want 2 or unknown", n.Rates("c", time.Time{}, nil))
		}
	}
	if got := n.Resets("c"); got != 10 {
		t.Errorf("Resets = %d, want 10", got)
	}
}

// The restart rule's boundary: a counter read at 1000 and then lower restarted from zero
// only when the new reading is below a tenth of 1000; any smaller drop (to 150, to half,
// to exactly a tenth) is a lagging reading whose increase is unknown, and the climb back
// is counted from 1000. The third poll reads 1100.
func TestCounterDropRestartBoundary(t *testing.T) {
	for _, tc := range []struct {
		to      float64
		restart bool
	}{
		{0, true},
		{50, true},
		{99, true},
		{99.99, true},
		{100, false}, // exactly a tenth: not below it
		{101, false},
		{150, false},
		{499, false},
		{500, false},
		{999, false},
	} {
		n := NewNumber(10)
		n.Record(at(0), one("c", 1000))
		d := n.Record(at(1), one("c", tc.to))
		n.Record(at(2), one("c", 1100))

		want := Drops{Others: 1, First: "c"}
		// At the drop: a restart's increase is the new value over the 5 s from the
		// reading before; a lagging reading's is unknown. Then: from the new value, or
		// from 1000 over the 10 s since it was read.
		rates := []float64{nan, nan, 100.0 / 10}
		delta := 100.0
		if tc.restart {
			want = Drops{Restarts: 1, First: "c"}
			rates = []float64{nan, tc.to / 5, (1100 - tc.to) / 5}
			delta = 1100
		}
		if d != want {
			t.Errorf("1000 -> %v: Record's drops = %+v, want %+v", tc.to, d, want)
		}
		var got []float64
		for _, p := range n.Rates("c", time.Time{}, nil) {
			got = append(got, p.V)
		}
		if !sameFloats(got, rates) {
			t.Errorf("1000 -> %v: Rates = %v, want %v", tc.to, got, rates)
		}
		if dl, ok := n.Delta("c", 0); !ok || math.Abs(dl-delta) > 1e-9 {
			t.Errorf("1000 -> %v: Delta = %v %v, want %v", tc.to, dl, ok, delta)
		}
		// A window that begins at the low reading: whether it lags is judged against the
		// reading before the window (start), as the walk through everything judges it.
		w := 5 * time.Second
		wantW := 100.0
		if tc.restart {
			wantW = 1100 - tc.to
		}
		if dl, ok := n.Delta("c", w); !ok || math.Abs(dl-wantW) > 1e-9 {
			t.Errorf("1000 -> %v: Delta over %v = %v %v, want %v", tc.to, w, dl, ok, wantW)
		}
		if got := n.Resets("c"); got != 1 {
			t.Errorf("1000 -> %v: Resets = %d, want 1", tc.to, got)
		}
	}
}
