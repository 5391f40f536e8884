package ui

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui/history"
)

// The figures the console shows for one number, derived from its newest snapshot and
// its history once per poll (and again when the time window changes), never per frame.

// Metric names the console has panes for; everything else is listed in the detail view.
const (
	queueMetric       = source.QueueSize
	callbackCount     = source.CallbackCount
	callbackSum       = source.CallbackSum
	callbackOldCount  = source.CallbackCountOld
	failureRatioLimit = "failure_ratio" // the threshold on failure shares
)

// pendingMetrics are shown as "pending" beside the queue, where the payload has them.
var pendingMetrics = source.PendingMetrics

// cell is one callback type x result: a total and a rate, summed over multiconnect nodes.
type cell struct {
	total  float64
	rate   float64 // per minute over the window; NaN when the window has no rate yet
	delta  float64 // increase over the window
	move   int     // +1 / -1 when the rate rose / fell since the previous poll
	series []string
}

// callbackRow is one callback type.
type callbackRow struct {
	typ       string
	cells     map[string]*cell // by result
	total     float64
	rate      float64 // per minute, all results
	failShare float64 // failed / all over the window; NaN when nothing happened in it
	meanMs    float64 // Δsum / Δcount over the window; NaN without the _sum pair
}

// namedValue is a gauge shown by name, e.g. one of the pending counts.
type namedValue struct {
	name  string
	value float64
}

// figures is everything the main view and the overview need about one number.
type figures struct {
	queue     float64 // NaN without the metric
	pending   []namedValue
	cbMetric  string   // the counter the table is built from ("" when absent)
	results   []string // table columns: success/ok first, then by total, descending
	rows      []callbackRow
	cbRate    float64 // callbacks per minute, all types
	failShare float64 // over all types; NaN when nothing happened
	meanMs    float64
}

// sumLatest adds the latest values of every series of a metric (its nodes), NaN if none.
func sumLatest(snap *source.Snapshot, name string) float64 {
	m := snap.Metric(name)
	if m == nil || len(m.Samples) == 0 {
		return math.NaN()
	}
	return m.Sum()
}

func deriveFigures(snap *source.Snapshot, h *history.Number, window time.Duration, prev *figures) figures {
	f := figures{queue: math.NaN(), cbRate: math.NaN(), failShare: math.NaN(), meanMs: math.NaN()}
	if snap == nil {
		return f
	}
	f.queue = sumLatest(snap, queueMetric)
	for _, name := range pendingMetrics {
		if v := sumLatest(snap, name); !math.IsNaN(v) {
			f.pending = append(f.pending, namedValue{name, v})
		}
	}
	f.cbMetric = callbackCount
	if snap.Metric(f.cbMetric) == nil {
		f.cbMetric = callbackOldCount
	}
	counts := snap.Metric(f.cbMetric)
	if counts == nil {
		f.cbMetric = ""
		return f
	}
	sums := snap.Metric(callbackSum)
	if f.cbMetric != callbackCount {
		sums = nil
	}

	rows := map[string]*callbackRow{}
	resultTotals := map[string]float64{}
	var all, failed, sumDelta, countDelta float64
	var anyRate bool
	for _, s := range counts.Samples {
		typ, result := s.Labels.Get("type"), s.Labels.Get("result")
		if typ == "" {
			typ = "(none)"
		}
		r := rows[typ]
		if r == nil {
			r = &callbackRow{typ: typ, cells: map[string]*cell{}}
			rows[typ] = r
		}
		c := r.cells[result]
		if c == nil {
			c = &cell{rate: math.NaN()}
			r.cells[result] = c
		}
		key := source.SeriesKey(f.cbMetric, s.Labels)
		c.series = append(c.series, key)
		c.total += s.Value
		r.total += s.Value
		resultTotals[result] += s.Value
		if rate, ok := h.Rate(key, window); ok {
			c.rate = nanAdd(c.rate, rate*60)
			anyRate = true
		}
		if d, ok := h.Delta(key, window); ok {
			c.delta += d
		}
	}
	for _, r := range rows {
		var rAll, rFailed, rSum, rCount float64
		r.rate = math.NaN()
		for result, c := range r.cells {
			r.rate = nanAdd(r.rate, c.rate)
			rAll += c.delta
			if source.IsFailure(result) {
				rFailed += c.delta
			}
			if sums != nil {
				for _, key := range c.series {
					labels := key[len(f.cbMetric):]
					if ds, ok := h.Delta(callbackSum+labels, window); ok {
						dc, _ := h.Delta(key, window)
						rSum += ds
						rCount += dc
					}
				}
			}
			if prev != nil {
				c.move = prev.moveOf(r.typ, result, c.rate)
			}
		}
		r.failShare = ratio(rFailed, rAll)
		r.meanMs = ratio(rSum, rCount)
		all += rAll
		failed += rFailed
		sumDelta += rSum
		countDelta += rCount
		f.rows = append(f.rows, *r)
	}
	sort.Slice(f.rows, func(i, j int) bool { return f.rows[i].typ < f.rows[j].typ })
	for result := range resultTotals {
		f.results = append(f.results, result)
	}
	sort.Slice(f.results, func(i, j int) bool {
		a, b := f.results[i], f.results[j]
		if fa, fb := source.IsFailure(a), source.IsFailure(b); fa != fb {
			return !fa
		}
		// A fixed order (codes by number, then by name), never by count: columns that
		// swap places between polls cannot be read at a glance.
		na, ea := strconv.Atoi(a)
		nb, eb := strconv.Atoi(b)
		switch {
		case ea == nil && eb == nil:
			return na < nb
		case (ea == nil) != (eb == nil):
			return ea == nil
		}
		return a < b
	})
	if anyRate {
		f.cbRate = 0
		for _, r := range f.rows {
			f.cbRate = nanAdd(f.cbRate, r.rate)
		}
	}
	f.failShare = ratio(failed, all)
	f.meanMs = ratio(sumDelta, countDelta)
	return f
}

// moveOf compares a cell's new rate with the one this (previous) figures had.
func (f *figures) moveOf(typ, result string, rate float64) int {
	for i := range f.rows {
		if f.rows[i].typ != typ {
			continue
		}
		c := f.rows[i].cells[result]
		if c == nil || math.IsNaN(c.rate) || math.IsNaN(rate) {
			return 0
		}
		// Below a hundredth of a callback per minute the change is rounding, not news.
		switch d := rate - c.rate; {
		case d > 0.01:
			return 1
		case d < -0.01:
			return -1
		}
		return 0
	}
	return 0
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return a / b
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
