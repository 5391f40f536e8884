package monitor

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// cb is a callback sample of the given type and result, with more labels as pairs.
func cb(typ, result string, v float64, more ...string) source.Sample {
	return sample(v, append([]string{"type", typ, "result", result}, more...)...)
}

// wantCell is what a test expects of one cell (type x result).
type wantCell struct {
	total, rate, delta float64
	move, series       int
}

// wantRow is what a test expects of one row.
type wantRow struct {
	total, rate, delta, failShare, meanMs float64
}

func TestDerive(t *testing.T) {
	const minute = time.Minute
	type figs struct {
		metric    string
		queue     float64
		pending   []NamedValue
		results   []string
		rate      float64
		failShare float64
		meanMs    float64
		rows      map[string]wantRow  // by type; the row order is checked to be by type
		cells     map[string]wantCell // by "type/result"
	}
	tests := []struct {
		name   string
		polls  []*source.Snapshot // one a minute, the last is the newest
		last   *source.Snapshot   // the newest good snapshot; nil means the last of polls
		nilArg bool               // Derive(nil, ...)
		window time.Duration
		want   figs
	}{
		{
			name: "multiconnect nodes summed, rates per minute, mean from sum/count",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{
					source.CallbackCount: {
						cb("inbound_message", "success", 100, "node", "a"),
						cb("inbound_message", "success", 200, "node", "b"),
						cb("inbound_message", "99", 0, "node", "a"),
						cb("status_change", "success", 50),
					},
					source.CallbackSum: {
						cb("inbound_message", "success", 1000, "node", "a"),
						cb("inbound_message", "success", 2000, "node", "b"),
						cb("inbound_message", "99", 0, "node", "a"),
						cb("status_change", "success", 500),
					},
					source.QueueSize: {sample(3, "node", "a"), sample(4, "node", "b")},
				}),
				mkSnap(map[string][]source.Sample{
					source.CallbackCount: {
						cb("inbound_message", "success", 160, "node", "a"), // +60
						cb("inbound_message", "success", 230, "node", "b"), // +30
						cb("inbound_message", "99", 10, "node", "a"),       // +10
						cb("status_change", "success", 50),                 // +0
					},
					source.CallbackSum: {
						cb("inbound_message", "success", 7000, "node", "a"), // +6000
						cb("inbound_message", "success", 5000, "node", "b"), // +3000
						cb("inbound_message", "99", 2000, "node", "a"),      // +2000
						cb("status_change", "success", 500),
					},
					source.QueueSize:       {sample(3, "node", "a"), sample(4, "node", "b")},
					"db_pending_messages":  {sample(2, "node", "a"), sample(5, "node", "b")},
					"db_pending_callbacks": {sample(1)},
				}),
			},
			window: 5 * minute,
			want: figs{
				metric:    source.CallbackCount,
				queue:     7,
				pending:   []NamedValue{{"db_pending_callbacks", 1}, {"db_pending_messages", 7}}, // PendingMetrics order
				results:   []string{"success", "99"},
				rate:      100,
				failShare: 0.1,
				meanMs:    110, // 11000 ms over 100 callbacks
				rows: map[string]wantRow{
					"inbound_message": {total: 400, rate: 100, delta: 100, failShare: 0.1, meanMs: 110},
					"status_change":   {total: 50, rate: 0, delta: 0, failShare: nan, meanMs: nan},
				},
				cells: map[string]wantCell{
					"inbound_message/success": {total: 390, rate: 90, delta: 90, series: 2},
					"inbound_message/99":      {total: 10, rate: 10, delta: 10, series: 1},
					"status_change/success":   {total: 50, rate: 0, delta: 0, series: 1},
				},
			},
		},
		{
			name: "failure share: only success and ok (any case) are not failures",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{source.CallbackCount: {
					cb("t", "ok", 0), cb("t", "success", 0), cb("t", "SUCCESS", 0), cb("t", "OK", 0),
					cb("t", "error", 0), cb("t", "1", 0),
				}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {
					cb("t", "ok", 10), cb("t", "success", 20), cb("t", "SUCCESS", 5), cb("t", "OK", 5),
					cb("t", "error", 6), cb("t", "1", 4),
				}}),
			},
			window: 5 * minute,
			want: figs{
				metric: source.CallbackCount, queue: nan,
				results:   []string{"OK", "SUCCESS", "ok", "success", "1", "error"},
				rate:      50,
				failShare: 0.2,
				meanMs:    nan, // no _sum
				rows:      map[string]wantRow{"t": {total: 50, rate: 50, delta: 50, failShare: 0.2, meanMs: nan}},
			},
		},
		{
			name: "result columns: successes, then codes by number, then names",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{source.CallbackCount: {
					cb("a", "timeout", 1), cb("a", "301", 1), cb("b", "success", 1), cb("a", "99", 1),
					cb("b", "1", 1), cb("a", "ok", 1), cb("b", "error", 1), cb("b", "1000", 1),
				}}),
			},
			window: 5 * minute,
			want: figs{
				metric: source.CallbackCount, queue: nan,
				results:   []string{"ok", "success", "1", "99", "301", "1000", "error", "timeout"},
				rate:      nan, // one poll: no rate yet
				failShare: nan, // nothing happened within the window
				meanMs:    nan,
				rows: map[string]wantRow{
					"a": {total: 4, rate: nan, delta: 0, failShare: nan, meanMs: nan},
					"b": {total: 4, rate: nan, delta: 0, failShare: nan, meanMs: nan},
				},
				cells: map[string]wantCell{"a/301": {total: 1, rate: nan, delta: 0, series: 1}},
			},
		},
		{
			name: "old counter name: no durations even with a _sum",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{
					source.CallbackCountOld: {cb("t", "success", 0), cb("t", "500", 0)},
					source.CallbackSum:      {cb("t", "success", 0), cb("t", "500", 0)},
				}),
				mkSnap(map[string][]source.Sample{
					source.CallbackCountOld: {cb("t", "success", 30), cb("t", "500", 30)},
					source.CallbackSum:      {cb("t", "success", 300), cb("t", "500", 300)},
				}),
			},
			window: 5 * minute,
			want: figs{
				metric: source.CallbackCountOld, queue: nan,
				results: []string{"success", "500"},
				rate:    60, failShare: 0.5, meanMs: nan,
				rows: map[string]wantRow{"t": {total: 60, rate: 60, delta: 60, failShare: 0.5, meanMs: nan}},
			},
		},
		{
			name: "window: only pairs within it count",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 0), cb("t", "500", 0)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 100), cb("t", "500", 100)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 200), cb("t", "500", 100)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 260), cb("t", "500", 100)}}),
			},
			window: minute,
			want: figs{
				metric: source.CallbackCount, queue: nan,
				results: []string{"success", "500"},
				rate:    60, failShare: 0, meanMs: nan,
				rows: map[string]wantRow{"t": {total: 360, rate: 60, delta: 60, failShare: 0, meanMs: nan}},
				cells: map[string]wantCell{
					"t/success": {total: 260, rate: 60, delta: 60, move: -1, series: 1},
					"t/500":     {total: 100, rate: 0, delta: 0, move: 0, series: 1},
				},
			},
		},
		{
			name: "window 0: everything held",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 0), cb("t", "500", 0)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 100), cb("t", "500", 100)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 200), cb("t", "500", 100)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {cb("t", "success", 260), cb("t", "500", 100)}}),
			},
			window: 0,
			want: figs{
				metric: source.CallbackCount, queue: nan,
				results: []string{"success", "500"},
				rate:    120, failShare: 100.0 / 360, meanMs: nan,
				rows: map[string]wantRow{"t": {total: 360, rate: 120, delta: 360, failShare: 100.0 / 360, meanMs: nan}},
			},
		},
		{
			name: "move: rose, fell, stayed against the previous poll",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{source.CallbackCount: {
					cb("t", "success", 0), cb("t", "99", 0), cb("t", "1", 0)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {
					cb("t", "success", 60), cb("t", "99", 60), cb("t", "1", 60), cb("t", "2", 0)}}),
				mkSnap(map[string][]source.Sample{source.CallbackCount: {
					cb("t", "success", 180), cb("t", "99", 90), cb("t", "1", 120), cb("t", "2", 7)}}),
			},
			window: minute,
			want: figs{
				metric: source.CallbackCount, queue: nan,
				results: []string{"success", "1", "2", "99"},
				rate:    217, failShare: 97.0 / 217, meanMs: nan,
				cells: map[string]wantCell{
					"t/success": {total: 180, rate: 120, delta: 120, move: +1, series: 1},
					"t/99":      {total: 90, rate: 30, delta: 30, move: -1, series: 1},
					"t/1":       {total: 120, rate: 60, delta: 60, move: 0, series: 1},
					"t/2":       {total: 7, rate: 7, delta: 7, move: 0, series: 1}, // no rate before: no move
				},
			},
		},
		{
			name: "no callback metric",
			polls: []*source.Snapshot{
				mkSnap(map[string][]source.Sample{source.QueueSize: {sample(5)}, "in_messages_pending_processing": {sample(9)}}),
				mkSnap(map[string][]source.Sample{source.QueueSize: {sample(12)}, "in_messages_pending_processing": {sample(3)}}),
			},
			window: 5 * minute,
			want: figs{
				metric: "", queue: 12,
				pending: []NamedValue{{"in_messages_pending_processing", 3}},
				rate:    nan, failShare: nan, meanMs: nan,
			},
		},
		{
			name:   "nil snapshot",
			polls:  []*source.Snapshot{queueSnap(1)},
			nilArg: true,
			window: 5 * minute,
			want:   figs{metric: "", queue: nan, rate: nan, failShare: nan, meanMs: nan},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := history.NewNumber(10)
			for i, s := range tt.polls {
				h.Record(t0.Add(time.Duration(i)*time.Minute), s)
			}
			last := tt.polls[len(tt.polls)-1]
			if tt.nilArg {
				last = nil
			}
			full := Derive(last, h, tt.window, Scope{})
			f := &full.Callbacks
			w := tt.want
			if full.Window != tt.window {
				t.Errorf("Window = %v, want %v", full.Window, tt.window)
			}
			if f.Metric != w.metric {
				t.Errorf("CallbackMetric = %q, want %q", f.Metric, w.metric)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"Queue", full.Queue, w.queue},
				{"CallbackRate", f.Rate, w.rate},
				{"FailShare", f.FailShare, w.failShare},
				{"MeanMs", f.MeanMs, w.meanMs},
			} {
				if !near(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if !slices.Equal(full.Pending, w.pending) {
				t.Errorf("Pending = %v, want %v", full.Pending, w.pending)
			}
			if !slices.Equal(f.Results, w.results) {
				t.Errorf("Results = %q, want %q", f.Results, w.results)
			}
			if !slices.IsSorted(rowTypes(f.Rows)) {
				t.Errorf("rows not ordered by type: %v", rowTypes(f.Rows))
			}
			if w.rows != nil && len(f.Rows) != len(w.rows) {
				t.Errorf("rows %v, want %d", rowTypes(f.Rows), len(w.rows))
			}
			if w.metric == "" && len(f.Rows) != 0 {
				t.Errorf("rows %v without a callback metric", rowTypes(f.Rows))
			}
			for _, r := range f.Rows {
				if want, ok := w.rows[r.Key]; ok {
					for _, c := range []struct {
						name      string
						got, want float64
					}{
						{"Total", r.Total, want.total},
						{"Rate", r.Rate, want.rate},
						{"Delta", r.Delta, want.delta},
						{"FailShare", r.FailShare, want.failShare},
						{"MeanMs", r.MeanMs, want.meanMs},
					} {
						if !near(c.got, c.want) {
							t.Errorf("row %s: %s = %v, want %v", r.Key, c.name, c.got, c.want)
						}
					}
				} else if w.rows != nil {
					t.Errorf("unexpected row %q", r.Key)
				}
				for result := range r.Cells {
					if !slices.Contains(f.Results, result) {
						t.Errorf("row %s: cell %q not among the result columns %q", r.Key, result, f.Results)
					}
				}
			}
			for key, want := range w.cells {
				c := findCell(f.Rows, key)
				if c == nil {
					t.Errorf("no cell %s", key)
					continue
				}
				if !near(c.Total, want.total) || !near(c.Rate, want.rate) || !near(c.Delta, want.delta) ||
					c.Move != want.move || len(c.Series) != want.series {
					t.Errorf("cell %s = {Total %v Rate %v Delta %v Move %d Series %q}, want {%v %v %v %d, %d series}",
						key, c.Total, c.Rate, c.Delta, c.Move, c.Series, want.total, want.rate, want.delta, want.move, want.series)
				}
			}
		})
	}
}

// near compares floats to a relative 1e-9, NaN equal to NaN.
func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func rowTypes(rows []Row) []string {
	var ts []string
	for _, r := range rows {
		ts = append(ts, r.Key)
	}
	return ts
}

// findCell finds "type/result" among rows.
func findCell(rows []Row, key string) *Cell {
	for _, r := range rows {
		for result, c := range r.Cells {
			if r.Key+"/"+result == key {
				return c
			}
		}
	}
	return nil
}

func TestNaNAdd(t *testing.T) {
	tests := []struct{ a, b, want float64 }{
		{1, 2, 3},
		{nan, 2, 2},
		{1, nan, 1},
		{nan, nan, nan},
	}
	for _, tt := range tests {
		if got := NaNAdd(tt.a, tt.b); !sameFloat(got, tt.want) {
			t.Errorf("NaNAdd(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
