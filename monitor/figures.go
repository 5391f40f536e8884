package monitor

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// Figures are what a reader shows of one number over a time window, derived from its
// newest snapshot and its history. They are a pure function of the two, the window and
// the scope; the engine caches them per window, scope and poll, so readers must not
// change them.
type Figures struct {
	Window time.Duration
	Scope  Scope
	Queue  float64 // callback_queue_size, nodes in scope added up; NaN without it

	Pending   []NamedValue // gauges: what waits in the client
	Pipeline  []NamedValue // the inbound pipeline, per minute
	Health    []NamedValue // server health: rate limits per minute, mean durations in ms (by prefix)
	Callbacks Breakdown    // callbacks by type x result
	Requests  Breakdown    // API requests by endpoint and method x result
}

// Scope narrows figures to the series of one multiconnect node, or splits rows by node.
type Scope struct {
	Node  string // only the series with this node label; "" for all
	Split bool   // a row per node as well as per type (or endpoint)
}

// NamedValue is a figure shown by name, e.g. one of the pending counts.
type NamedValue struct {
	Name  string
	Value float64
}

// Breakdown is a counter split into rows (by callback type, or endpoint and method) and
// columns (by result), with rates, failure shares and mean durations over the window.
type Breakdown struct {
	Metric    string   // the counter counted ("" when the payload has none)
	Results   []string // success/ok first, then codes in a fixed order
	Rows      []Row    // by Key
	Rate      float64  // per minute, every row; NaN without a rate yet
	FailShare float64  // failed / all over the window; NaN when nothing happened
	MeanMs    float64  // mean duration over the window; NaN without the _sum pair
	Resets    int      // drops of its series within the window (restarts or others)
}

// Row is one callback type, or one endpoint and method: a cell per result.
type Row struct {
	Key       string        // "inbound_message", "/v1/messages post", then " @ node" when split
	Labels    source.Labels // the labels that make the row (type, or endpoint and method; node)
	Cells     map[string]*Cell
	Total     float64
	Rate      float64 // per minute, all results; NaN without a rate yet
	Delta     float64 // within the window, all results
	FailShare float64 // failed / all over the window; NaN when nothing happened in it
	MeanMs    float64 // Δsum / Δcount over the window; NaN without the _sum pair
	Resets    int     // drops of its series within the window
}

// Cell is one row x result, summed over the nodes in scope.
type Cell struct {
	Total  float64
	Rate   float64 // per minute over the window; NaN when the window has no rate yet
	Delta  float64 // increase over the window
	Move   int     // +1 / -1 when the rate rose / fell with the newest poll
	Series []string
}

// The metrics the figures read, beyond source's.
const (
	requestsMetric     = "endpoint_requests"
	requestsCountPair  = "endpoint_requests_duration_ms_count"
	requestsSumPair    = "endpoint_requests_duration_ms_sum"
	rateLimitedMetric  = "concurrent_rate_limit_triggered"
	inboundFromServer  = "in_message_from_server"
	inboundDecoded     = "in_message_decoded"
	inboundPersisted   = "in_message_persisted"
	serverConnPrefix   = "internal_server_conn_duration_ms"
	serverReqPrefix    = "internal_server_requests_duration_ms"
	dbRequestUsPrefix  = "db_request_duration_us"
	dbRequestErrPrefix = "db_request_error_duration_us"
)

// noFigures is the figures of a number without data.
func noFigures(window time.Duration, scope Scope) Figures {
	empty := Breakdown{Rate: math.NaN(), FailShare: math.NaN(), MeanMs: math.NaN()}
	return Figures{Window: window, Scope: scope, Queue: math.NaN(), Callbacks: empty, Requests: empty}
}

// Derive works out the figures of snap over the window ending at the newest poll of h,
// within scope.
func Derive(snap *source.Snapshot, h *history.Number, window time.Duration, scope Scope) Figures {
	f := noFigures(window, scope)
	if snap == nil {
		return f
	}
	in := func(s *source.Sample) bool { return scope.Node == "" || s.Labels.Get("node") == scope.Node }
	f.Queue = sumIn(snap.Metric(source.QueueSize), in)
	for _, name := range source.PendingMetrics {
		if v := sumIn(snap.Metric(name), in); !math.IsNaN(v) {
			f.Pending = append(f.Pending, NamedValue{name, v})
		}
	}
	perMinute := func(name string) float64 { return rateIn(snap.Metric(name), h, window, in) * 60 }
	for _, name := range []string{inboundFromServer, inboundDecoded, inboundPersisted} {
		if v := perMinute(name); !math.IsNaN(v) {
			f.Pipeline = append(f.Pipeline, NamedValue{name, v})
		}
	}
	if v := perMinute(rateLimitedMetric); !math.IsNaN(v) {
		f.Health = append(f.Health, NamedValue{rateLimitedMetric, v})
	}
	for _, m := range []struct {
		prefix string
		scale  float64 // to milliseconds
	}{{serverConnPrefix, 1}, {serverReqPrefix, 1}, {dbRequestUsPrefix, 0.001}, {dbRequestErrPrefix, 0.001}} {
		if v := meanOf(snap, h, window, m.prefix+"_count", m.prefix+"_sum", in); !math.IsNaN(v) {
			f.Health = append(f.Health, NamedValue{m.prefix, v * m.scale})
		}
	}

	cb := CallbackMetric(snap)
	cbSum := ""
	if cb == source.CallbackCount {
		cbSum = source.CallbackSum
	}
	f.Callbacks = breakdown(snap, h, window, scope, cb, cb, cbSum, "type")
	req := requestsMetric
	if snap.Metric(req) == nil {
		req = requestsCountPair
	}
	f.Requests = breakdown(snap, h, window, scope, req, requestsCountPair, requestsSumPair, "endpoint", "method")
	return f
}

// sumIn adds the latest values of a metric's samples in scope, NaN when none is.
func sumIn(m *source.Metric, in func(*source.Sample) bool) float64 {
	if m == nil {
		return math.NaN()
	}
	v, any := 0.0, false
	for i := range m.Samples {
		if in(&m.Samples[i]) {
			v += m.Samples[i].Value
			any = true
		}
	}
	if !any {
		return math.NaN()
	}
	return v
}

// rateIn adds the per-second rates over the window of a counter's series in scope, NaN
// when none has a rate.
func rateIn(m *source.Metric, h *history.Number, window time.Duration, in func(*source.Sample) bool) float64 {
	if m == nil {
		return math.NaN()
	}
	rate := math.NaN()
	for i := range m.Samples {
		if !in(&m.Samples[i]) {
			continue
		}
		if r, ok := h.Rate(source.SeriesKey(m.Name, m.Samples[i].Labels), window); ok {
			rate = nanAdd(rate, r)
		}
	}
	return rate
}

// meanOf is Δsum / Δcount over the window, every series of the pair in scope added up.
func meanOf(snap *source.Snapshot, h *history.Number, window time.Duration, count, sum string, in func(*source.Sample) bool) float64 {
	cm, sm := snap.Metric(count), snap.Metric(sum)
	if cm == nil || sm == nil {
		return math.NaN()
	}
	var dc, ds float64
	for i := range cm.Samples {
		s := &cm.Samples[i]
		if !in(s) {
			continue
		}
		c, okc := h.Delta(source.SeriesKey(count, s.Labels), window)
		d, oks := h.Delta(source.SeriesKey(sum, s.Labels), window)
		if okc && oks {
			dc += c
			ds += d
		}
	}
	return Share(ds, dc)
}

// breakdown splits the counter metric into rows by the rowBy labels (and the node when
// the scope splits) and columns by result. Mean durations come from the meanSum and
// meanCount pair, series by series.
func breakdown(snap *source.Snapshot, h *history.Number, window time.Duration, scope Scope, metric, meanCount, meanSum string, rowBy ...string) Breakdown {
	b := Breakdown{Rate: math.NaN(), FailShare: math.NaN(), MeanMs: math.NaN()}
	counts := snap.Metric(metric)
	if counts == nil {
		return b
	}
	b.Metric = metric
	if snap.Metric(meanSum) == nil || snap.Metric(meanCount) == nil {
		meanSum = ""
	}
	rows := map[string]*Row{}
	results := map[string]bool{}
	anyRate := false
	var since time.Time
	if _, newest := h.Times(); window > 0 && !newest.IsZero() {
		since = newest.Add(-window)
	}
	for _, s := range counts.Samples {
		node := s.Labels.Get("node")
		if scope.Node != "" && node != scope.Node {
			continue
		}
		var parts []string
		rowLabels := map[string]string{}
		for _, l := range rowBy {
			v := s.Labels.Get(l)
			parts = append(parts, v)
			rowLabels[l] = v
		}
		key := strings.TrimSpace(strings.Join(parts, " "))
		if key == "" {
			key = "(none)"
		}
		if scope.Split && node != "" {
			key += " @ " + node
			rowLabels["node"] = node
		}
		r := rows[key]
		if r == nil {
			r = &Row{Key: key, Labels: source.NewLabels(rowLabels), Cells: map[string]*Cell{}}
			rows[key] = r
		}
		result := s.Labels.Get("result")
		c := r.Cells[result]
		if c == nil {
			c = &Cell{Rate: math.NaN()}
			r.Cells[result] = c
		}
		results[result] = true
		series := source.SeriesKey(metric, s.Labels)
		c.Series = append(c.Series, series)
		c.Total += s.Value
		r.Total += s.Value
		if rate, ok := h.Rate(series, window); ok {
			c.Rate = nanAdd(c.Rate, rate*60)
			anyRate = true
		}
		if d, ok := h.Delta(series, window); ok {
			c.Delta += d
		}
		r.Resets += h.ResetsSince(series, since)
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
			if meanSum != "" {
				for _, key := range c.Series {
					labels := key[len(metric):]
					ds, oks := h.Delta(meanSum+labels, window)
					dc, okc := h.Delta(meanCount+labels, window)
					if oks && okc {
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
		b.Resets += r.Resets
		b.Rows = append(b.Rows, *r)
	}
	sort.Slice(b.Rows, func(i, j int) bool { return b.Rows[i].Key < b.Rows[j].Key })
	for result := range results {
		b.Results = append(b.Results, result)
	}
	sort.Slice(b.Results, func(i, j int) bool { return resultBefore(b.Results[i], b.Results[j]) })
	if anyRate {
		b.Rate = 0
		for _, r := range b.Rows {
			b.Rate = nanAdd(b.Rate, r.Rate)
		}
	}
	b.FailShare = Share(failed, all)
	b.MeanMs = Share(sumDelta, countDelta)
	return b
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
