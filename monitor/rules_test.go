package monitor

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

var nan = math.NaN()

// sample is one labelled value; labels come as name, value pairs.
func sample(v float64, labels ...string) source.Sample {
	m := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[labels[i]] = labels[i+1]
	}
	return source.Sample{Labels: source.NewLabels(m), Value: v}
}

// mkSnap builds a snapshot from metric name -> samples.
func mkSnap(metrics map[string][]source.Sample) *source.Snapshot {
	s := &source.Snapshot{Metrics: map[string]*source.Metric{}}
	for name, samples := range metrics {
		s.Metrics[name] = &source.Metric{Name: name, Type: source.Counter, Samples: samples}
	}
	return s
}

// queueSnap is a snapshot whose callback queue holds q.
func queueSnap(q float64) *source.Snapshot {
	return mkSnap(map[string][]source.Sample{source.QueueSize: {sample(q)}})
}

// sameFloat compares with NaN equal to NaN.
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestThresholdsLevel(t *testing.T) {
	ts := Thresholds{
		"q":       {Warn: 100, Critical: 1000},
		"nowarn":  {Warn: 0, Critical: 10},
		"nocrit":  {Warn: 5, Critical: math.Inf(1)},
		"ratio":   {Warn: 0.01, Critical: 0.05},
		"neither": {Warn: 0, Critical: math.Inf(1)},
	}
	tests := []struct {
		name string
		v    float64
		want Level
	}{
		{"q", 99.99, LevelOK},
		{"q", 100, LevelWarn}, // at the threshold counts
		{"q", 999, LevelWarn},
		{"q", 1000, LevelCrit},
		{"q", 1e9, LevelCrit},
		{"q", nan, LevelOK}, // no value is never past a threshold
		{"q", math.Inf(1), LevelCrit},
		{"nowarn", 0, LevelOK}, // warn 0: no warn level, not "everything warns"
		{"nowarn", 9.9, LevelOK},
		{"nowarn", 10, LevelCrit},
		{"nocrit", 4, LevelOK},
		{"nocrit", 5, LevelWarn},
		{"nocrit", 1e300, LevelWarn}, // critical +Inf: never critical
		{"nocrit", nan, LevelOK},
		{"ratio", 0.01, LevelWarn},
		{"ratio", 0.05, LevelCrit},
		{"neither", 1e300, LevelOK},
		{"unknown", 1e300, LevelOK}, // no threshold by that name
	}
	for _, tt := range tests {
		if got := ts.Level(tt.name, tt.v); got != tt.want {
			t.Errorf("Level(%q, %v) = %v, want %v", tt.name, tt.v, got, tt.want)
		}
	}
}

func TestCrossings(t *testing.T) {
	ts := Thresholds{
		QueueThreshold:    {Warn: 100, Critical: 1000},
		FailureThreshold:  {Warn: 0.01, Critical: 0.05},
		EndpointThreshold: {Warn: 0.05, Critical: 0.25},
		"db_pending":      {Warn: 10, Critical: 50},
	}
	// The queue metric in the snapshot says 5000; the threshold must weigh the figure.
	bigQueueInSnap := mkSnap(map[string][]source.Sample{source.QueueSize: {sample(5000)}})
	nodes := func(a, b float64) *source.Snapshot {
		s := mkSnap(map[string][]source.Sample{"db_pending": {sample(a, "node", "n1"), sample(b, "node", "n2")}})
		s.Metrics["db_pending"].Type = source.Gauge
		return s
	}
	tests := []struct {
		name     string
		ts       Thresholds
		snap     *source.Snapshot
		queue    float64
		fail     float64
		endpoint float64
		want     []string // the crossings as reasons read, worst first
	}{
		{"nothing known", ts, nil, nan, nan, nan, nil},
		{"queue by its figure: warn", ts, nil, 150, nan, nan, []string{"callback_queue_size 150~"}},
		{"queue by its figure: crit", ts, nil, 1000, nan, nan, []string{"callback_queue_size 1k!"}},
		{"queue by its figure, not the snapshot", ts, bigQueueInSnap, 10, nan, nan, nil},
		{"failure ratio by its figure: warn", ts, nil, nan, 0.027, nan, []string{"failure_ratio 2.7%~"}},
		{"failure ratio by its figure: crit", ts, nil, 0, 0.5, nan, []string{"failure_ratio 50%!"}},
		{"endpoint ratio: warn", ts, nil, nan, nan, 0.12, []string{"endpoint_error_ratio 12%~"}},
		{"other metric: one node below warn", ts, nodes(6, 0), nan, nan, nan, nil},
		{"other metric: nodes summed past warn", ts, nodes(6, 6), nan, nan, nan, []string{"db_pending 12~"}},
		{"other metric: nodes summed past crit", ts, nodes(30, 25), nan, nan, nan, []string{"db_pending 55!"}},
		{"worst first: crit metric, warn queue", ts, nodes(40, 40), 200, 0, nan, []string{"db_pending 80!", "callback_queue_size 200~"}},
		{"worst first, then by name", ts, nodes(0, 0), 5000, 0.9, 0.3, []string{"callback_queue_size 5k!", "endpoint_error_ratio 30%!", "failure_ratio 90%!"}},
		{"no thresholds", Thresholds{}, nodes(1e9, 1e9), 1e9, 1, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := noFigures(0, Scope{})
			f.Queue, f.Callbacks.FailShare, f.Requests.FailShare = tt.queue, tt.fail, tt.endpoint
			cs := tt.ts.Crossings(tt.snap, history.NewNumber(2), &f)
			var got []string
			for _, c := range cs {
				got = append(got, c.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Crossings = %q, want %q", got, tt.want)
			}
			want := LevelOK
			if len(cs) > 0 {
				want = cs[0].Level
			}
			if Worst(cs) != want {
				t.Fatalf("Worst = %v, want %v", Worst(cs), want)
			}
		})
	}
}

// A threshold on a counter weighs its rate per minute over the window: its total since
// the client started says nothing about now.
func TestCrossingOfACounterIsItsRate(t *testing.T) {
	ts := Thresholds{"concurrent_rate_limit_triggered": {Warn: 10, Critical: 100}}
	h := history.NewNumber(10)
	var last *source.Snapshot
	for i, v := range []float64{1e6, 1e6 + 1, 1e6 + 2} { // a huge total, 12 a minute
		last = mkSnap(map[string][]source.Sample{"concurrent_rate_limit_triggered": {sample(v)}})
		last.Metrics["concurrent_rate_limit_triggered"].Type = source.Counter
		h.Record(t0.Add(time.Duration(i)*5*time.Second), last)
	}
	f := Derive(last, h, time.Minute, Scope{})
	cs := ts.Crossings(last, h, &f)
	if len(cs) != 1 || cs[0].String() != "concurrent_rate_limit_triggered 12/min~" {
		t.Fatalf("Crossings = %v, want the rate 12/min past warn", cs)
	}
}

func TestSumLatest(t *testing.T) {
	s := mkSnap(map[string][]source.Sample{
		"two":   {sample(2, "node", "a"), sample(3, "node", "b")},
		"empty": {},
	})
	tests := []struct {
		snap *source.Snapshot
		name string
		want float64
	}{
		{s, "two", 5},
		{s, "empty", nan}, // no samples: no value, not 0
		{s, "absent", nan},
		{nil, "two", nan},
	}
	for _, tt := range tests {
		if got := SumLatest(tt.snap, tt.name); !sameFloat(got, tt.want) {
			t.Errorf("SumLatest(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCallbacks(t *testing.T) {
	newer := []source.Sample{
		sample(90, "type", "inbound_message", "result", "success"),
		sample(6, "type", "inbound_message", "result", "99"),
		sample(4, "type", "status_change", "result", "OK"),
	}
	older := []source.Sample{
		sample(1000, "type", "inbound_message", "result", "success"),
		sample(500, "type", "inbound_message", "result", "timeout"),
	}
	tests := []struct {
		name       string
		snap       *source.Snapshot
		metric     string
		total      float64
		failed     float64
		ok         bool
		pending    float64
		pendingOK  bool
		pendingHas []string
	}{
		{
			name:   "count metric",
			snap:   mkSnap(map[string][]source.Sample{source.CallbackCount: newer}),
			metric: source.CallbackCount, total: 100, failed: 6, ok: true,
		},
		{
			name:   "old name when _count is absent",
			snap:   mkSnap(map[string][]source.Sample{source.CallbackCountOld: older}),
			metric: source.CallbackCountOld, total: 1500, failed: 500, ok: true,
		},
		{
			name:   "_count preferred when both are present",
			snap:   mkSnap(map[string][]source.Sample{source.CallbackCount: newer, source.CallbackCountOld: older}),
			metric: source.CallbackCount, total: 100, failed: 6, ok: true,
		},
		{
			name:   "neither",
			snap:   queueSnap(3),
			metric: "", total: 0, failed: 0, ok: false,
		},
		{
			name:   "nil snapshot",
			snap:   nil,
			metric: "", ok: false,
		},
		{
			name: "pending: all three, nodes summed",
			snap: mkSnap(map[string][]source.Sample{
				"db_pending_callbacks":           {sample(1, "node", "a"), sample(2, "node", "b")},
				"db_pending_messages":            {sample(10)},
				"in_messages_pending_processing": {sample(100)},
				"callback_queue_size":            {sample(5000)}, // not pending
			}),
			pending: 113, pendingOK: true,
		},
		{
			name:    "pending: one of them at zero",
			snap:    mkSnap(map[string][]source.Sample{"db_pending_messages": {sample(0)}}),
			pending: 0, pendingOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CallbackMetric(tt.snap); got != tt.metric {
				t.Errorf("CallbackMetric = %q, want %q", got, tt.metric)
			}
			total, failed, ok := CallbackTotals(tt.snap)
			if total != tt.total || failed != tt.failed || ok != tt.ok {
				t.Errorf("CallbackTotals = %v, %v, %v; want %v, %v, %v", total, failed, ok, tt.total, tt.failed, tt.ok)
			}
			if n, ok := PendingTotal(tt.snap); n != tt.pending || ok != tt.pendingOK {
				t.Errorf("PendingTotal = %v, %v; want %v, %v", n, ok, tt.pending, tt.pendingOK)
			}
		})
	}
}

func TestShare(t *testing.T) {
	tests := []struct{ part, whole, want float64 }{
		{1, 4, 0.25},
		{0, 10, 0},
		{3, 3, 1},
		{0, 0, nan},  // nothing happened: no share
		{1, -1, nan}, // nor for a negative whole
	}
	for _, tt := range tests {
		if got := Share(tt.part, tt.whole); !sameFloat(got, tt.want) {
			t.Errorf("Share(%v, %v) = %v, want %v", tt.part, tt.whole, got, tt.want)
		}
	}
}
