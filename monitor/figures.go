package monitor

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// Figures are what a reader shows of one number over a time window, derived from its
// newest snapshot and its history. They are a pure function of the two and the window;
// the engine caches them per window and version, so readers must not change them.
type Figures struct {
	Window         time.Duration
	Queue          float64 // callback_queue_size, nodes added up; NaN without it
	Pending        []NamedValue
	CallbackMetric string   // the counter the table is built from ("" when absent)
	Results        []string // success/ok first, then codes in a fixed order
	Rows           []CallbackRow
	CallbackRate   float64 // callbacks per minute, all types; NaN without a rate yet
	FailShare      float64 // failed / all over the window; NaN when nothing happened
	MeanMs         float64 // mean callback duration over the window; NaN without the sums
}

// NamedValue is a gauge shown by name, e.g. one of the pending counts.
type NamedValue struct {
	Name  string
	Value float64
}

// CallbackRow is one callback type: a cell per result.
type CallbackRow struct {
	Type      string
	Cells     map[string]*Cell // by result
	Total     float64
	Rate      float64 // per minute, all results; NaN without a rate yet
	Delta     float64 // callbacks within the window, all results
	FailShare float64 // failed / all over the window; NaN when nothing happened in it
	MeanMs    float64 // Δsum / Δcount over the window; NaN without the _sum pair
}

// Cell is one callback type x result, summed over multiconnect nodes.
type Cell struct {
	Total  float64
	Rate   float64 // per minute over the window; NaN when the window has no rate yet
	Delta  float64 // increase over the window
	Move   int     // +1 / -1 when the rate rose / fell with the newest poll
	Series []string
}

// noFigures is the figures of a number without data.
func noFigures(window time.Duration) Figures {
	return Figures{Window: window, Queue: math.NaN(), CallbackRate: math.NaN(), FailShare: math.NaN(), MeanMs: math.NaN()}
}

// Derive works out the figures of snap over the window ending at the newest poll of h.
func Derive(snap *source.Snapshot, h *history.Number, window time.Duration) Figures {
	f := noFigures(window)
	if snap == nil {
		return f
	}
	f.Queue = SumLatest(snap, source.QueueSize)
	for _, name := range source.PendingMetrics {
		if v := SumLatest(snap, name); !math.IsNaN(v) {
			f.Pending = append(f.Pending, NamedValue{name, v})
		}
	}
	f.CallbackMetric = CallbackMetric(snap)
	counts := snap.Metric(f.CallbackMetric)
	if counts == nil {
		return f
	}
	var sums *source.Metric
	if f.CallbackMetric == source.CallbackCount {
		sums = snap.Metric(source.CallbackSum)
	}

	rows := map[string]*CallbackRow{}
	results := map[string]bool{}
	anyRate := false
	for _, s := range counts.Samples {
		typ, result := s.Labels.Get("type"), s.Labels.Get("result")
		if typ == "" {
			typ = "(none)"
		}
		r := rows[typ]
		if r == nil {
			r = &CallbackRow{Type: typ, Cells: map[string]*Cell{}}
			rows[typ] = r
		}
		c := r.Cells[result]
		if c == nil {
			c = &Cell{Rate: math.NaN()}
			r.Cells[result] = c
		}
		results[result] = true
		key := source.SeriesKey(f.CallbackMetric, s.Labels)
		c.Series = append(c.Series, key)
		c.Total += s.Value
		r.Total += s.Value
		if rate, ok := h.Rate(key, window); ok {
			c.Rate = nanAdd(c.Rate, rate*60)
			anyRate = true
		}
		if d, ok := h.Delta(key, window); ok {
			c.Delta += d
		}
	}
	var all, failed, sumDelta, countDelta float64
	for _, r := range rows {
		var rFailed, rSum, rCount float64
		r.Rate = math.NaN()
		for result, c := range r.Cells {
			r.Rate = nanAdd(r.Rate, c.Rate)
			r.Delta += c.Delta
			if source.IsFailure(result) {
				rFailed += c.Delta
			}
			if sums != nil {
				for _, key := range c.Series {
					labels := key[len(f.CallbackMetric):]
					if ds, ok := h.Delta(source.CallbackSum+labels, window); ok {
						dc, _ := h.Delta(key, window)
						rSum += ds
						rCount += dc
					}
				}
			}
			c.Move = move(h, c.Series, window, c.Rate)
		}
		r.FailShare = Share(rFailed, r.Delta)
		r.MeanMs = Share(rSum, rCount)
		all += r.Delta
		failed += rFailed
		sumDelta += rSum
		countDelta += rCount
		f.Rows = append(f.Rows, *r)
	}
	sort.Slice(f.Rows, func(i, j int) bool { return f.Rows[i].Type < f.Rows[j].Type })
	for result := range results {
		f.Results = append(f.Results, result)
	}
	sort.Slice(f.Results, func(i, j int) bool { return resultBefore(f.Results[i], f.Results[j]) })
	if anyRate {
		f.CallbackRate = 0
		for _, r := range f.Rows {
			f.CallbackRate = nanAdd(f.CallbackRate, r.Rate)
		}
	}
	f.FailShare = Share(failed, all)
	f.MeanMs = Share(sumDelta, countDelta)
	return f
}

// resultBefore orders result columns: successes first, then codes by number, then
// names. A fixed order, never by count: columns that swap places between polls cannot
// be read at a glance.
func resultBefore(a, b string) bool {
	if fa, fb := source.IsFailure(a), source.IsFailure(b); fa != fb {
		return !fa
	}
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	switch {
	case ea == nil && eb == nil:
		return na < nb
	case (ea == nil) != (eb == nil):
		return ea == nil
	}
	return a < b
}

// move compares a cell's rate now with its rate as the previous poll saw it.
func move(h *history.Number, keys []string, window time.Duration, now float64) int {
	before := math.NaN()
	for _, k := range keys {
		if r, ok := h.RateBefore(k, window, 1); ok {
			before = nanAdd(before, r*60)
		}
	}
	if math.IsNaN(before) || math.IsNaN(now) {
		return 0
	}
	// Below a hundredth of a callback per minute the change is rounding, not news.
	switch d := now - before; {
	case d > 0.01:
		return 1
	case d < -0.01:
		return -1
	}
	return 0
}

// nanAdd adds b to a, where NaN means "no value yet" rather than poison.
func nanAdd(a, b float64) float64 {
	switch {
	case math.IsNaN(b):
		return a
	case math.IsNaN(a):
		return b
	}
	return a + b
}

// NaNAdd is nanAdd for readers that add up figures (a chart of several series).
func NaNAdd(a, b float64) float64 { return nanAdd(a, b) }
