package monitor

import (
	"bytes"
	"math"
	"slices"
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
//
// The engine derives them at every poll of every number, so this is a hot path: series
// keys are those the history holds (no string built per series), each counter's
// increase and rate come from one walk through the window, and the breakdowns carve
// their cells, keys and labels out of one allocation each.
func Derive(snap *source.Snapshot, h *history.Number, window time.Duration, scope Scope) Figures {
	f := noFigures(window, scope)
	if snap == nil {
		return f
	}
	in := func(s *source.Sample) bool { return scope.Node == "" || s.Labels.Get("node") == scope.Node }
	f.Queue = sumIn(snap.Metric(source.QueueSize), in)

	// Pending, Pipeline and Health share one backing array, cut to length (and capacity)
	// each; a list with nothing in it stays nil.
	var vals [16]NamedValue
	nv := vals[:0]
	for _, name := range source.PendingMetrics {
		if v := sumIn(snap.Metric(name), in); !math.IsNaN(v) {
			nv = append(nv, NamedValue{name, v})
		}
	}
	pending := len(nv)
	for _, name := range pipelineMetrics {
		if v := rateIn(snap.Metric(name), h, window, in) * 60; !math.IsNaN(v) {
			nv = append(nv, NamedValue{name, v})
		}
	}
	pipeline := len(nv)
	if v := rateIn(snap.Metric(rateLimitedMetric), h, window, in) * 60; !math.IsNaN(v) {
		nv = append(nv, NamedValue{rateLimitedMetric, v})
	}
	for _, m := range healthMeans {
		if v := meanOf(snap, h, window, m.count, m.sum, in); !math.IsNaN(v) {
			nv = append(nv, NamedValue{m.prefix, v * m.scale})
		}
	}
	if len(nv) > 0 {
		all := slices.Clone(nv)
		cut := func(from, to int) []NamedValue {
			if from == to {
				return nil
			}
			return all[from:to:to]
		}
		f.Pending, f.Pipeline, f.Health = cut(0, pending), cut(pending, pipeline), cut(pipeline, len(all))
	}

	cb := CallbackMetric(snap)
	cbSum := ""
	if cb == source.CallbackCount {
		cbSum = source.CallbackSum
	}
	f.Callbacks = breakdown(snap, h, window, scope, cb, cb, cbSum, callbackRowBy)
	req := requestsMetric
	if snap.Metric(req) == nil {
		req = requestsCountPair
	}
	f.Requests = breakdown(snap, h, window, scope, req, requestsCountPair, requestsSumPair, requestRowBy)
	return f
}

// What Derive reads, in the order it lists them.
var (
	pipelineMetrics = [...]string{inboundFromServer, inboundDecoded, inboundPersisted}
	healthMeans     = [...]struct {
		prefix, count, sum string
		scale              float64 // to milliseconds
	}{
		{serverConnPrefix, serverConnPrefix + "_count", serverConnPrefix + "_sum", 1},
		{serverReqPrefix, serverReqPrefix + "_count", serverReqPrefix + "_sum", 1},
		{dbRequestUsPrefix, dbRequestUsPrefix + "_count", dbRequestUsPrefix + "_sum", 0.001},
		{dbRequestErrPrefix, dbRequestErrPrefix + "_count", dbRequestErrPrefix + "_sum", 0.001},
	}
	callbackRowBy = []string{"type"}
	requestRowBy  = []string{"endpoint", "method"}
)

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
		key, held := h.Key(m.Name, m.Samples[i].Labels)
		if !held {
			continue
		}
		if r, ok := h.Rate(key, window); ok {
			rate = nanAdd(rate, r)
		}
	}
	return rate
}

// deltaOf is the increase over the window of the series name with labels ls.
func deltaOf(h *history.Number, name string, ls source.Labels, window time.Duration) (float64, bool) {
	key, held := h.Key(name, ls)
	if !held {
		return 0, false
	}
	return h.Delta(key, window)
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
		c, okc := deltaOf(h, count, s.Labels, window)
		d, oks := deltaOf(h, sum, s.Labels, window)
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
func breakdown(snap *source.Snapshot, h *history.Number, window time.Duration, scope Scope, metric, meanCount, meanSum string, rowBy []string) Breakdown {
	b := Breakdown{Rate: math.NaN(), FailShare: math.NaN(), MeanMs: math.NaN()}
	counts := snap.Metric(metric)
	if counts == nil {
		return b
	}
	b.Metric = metric
	if snap.Metric(meanSum) == nil || snap.Metric(meanCount) == nil {
		meanSum = ""
	}
	var since time.Time
	if _, newest := h.Times(); window > 0 && !newest.IsZero() {
		since = newest.Add(-window)
	}
	samples := counts.Samples
	// At most a row, a cell and a series key per sample: each comes out of one slab
	// sized for that, so that the pointers taken into them stay put.
	rows := make([]Row, 0, len(samples))
	cells := make([]Cell, 0, len(samples))
	keys := make([]string, len(samples))
	labels := make(source.Labels, 0, len(samples)*(len(rowBy)+1))
	// Working lists, on the stack while they are short.
	type rowMeans struct{ sum, count float64 }
	var meansBuf [16]rowMeans
	var resultsBuf [16]string
	means, results := meansBuf[:0], resultsBuf[:0]
	anyRate := false
	var kb [128]byte
	for k := range samples {
		s := &samples[k]
		node := s.Labels.Get("node")
		if scope.Node != "" && node != scope.Node {
			continue
		}
		key := rowKey(kb[:0], s.Labels, rowBy)
		split := scope.Split && node != ""
		if split {
			key = append(append(key, " @ "...), node...)
		}
		ri := -1
		for j := range rows {
			if rows[j].Key == string(key) {
				ri = j
				break
			}
		}
		if ri < 0 {
			ri = len(rows)
			from := len(labels)
			for _, l := range rowBy {
				labels = append(labels, source.Label{Name: l, Value: s.Labels.Get(l)})
			}
			if split {
				labels = append(labels, source.Label{Name: "node", Value: node})
			}
			ls := labels[from:len(labels):len(labels)]
			slices.SortFunc(ls, func(a, b source.Label) int { return strings.Compare(a.Name, b.Name) })
			rows = append(rows, Row{Key: rowKeyString(key, s.Labels, rowBy, split), Labels: ls, Cells: map[string]*Cell{}})
			means = append(means, rowMeans{})
		}
		r := &rows[ri]
		result := s.Labels.Get("result")
		c := r.Cells[result]
		if c == nil {
			cells = append(cells, Cell{Rate: math.NaN()})
			c = &cells[len(cells)-1]
			r.Cells[result] = c
			if !slices.Contains(results, result) {
				results = append(results, result)
			}
		}
		series, held := h.Key(metric, s.Labels)
		if !held {
			series = source.SeriesKey(metric, s.Labels) // no history: it is only listed
		}
		if c.Series == nil {
			keys[k] = series
			c.Series = keys[k : k+1 : k+1]
		} else {
			c.Series = append(c.Series, series) // nodes summed: a second series
		}
		c.Total += s.Value
		r.Total += s.Value
		var d float64
		var ok bool
		if held {
			var rate float64
			if d, rate, ok = h.Increase(series, window); ok {
				c.Rate = nanAdd(c.Rate, rate*60)
				anyRate = true
				c.Delta += d
			}
			r.Resets += h.ResetsSince(series, since)
		}
		if meanSum != "" {
			dc, okc := d, ok
			if meanCount != metric {
				dc, okc = deltaOf(h, meanCount, s.Labels, window)
			}
			if ds, oks := deltaOf(h, meanSum, s.Labels, window); oks && okc {
				means[ri].sum += ds
				means[ri].count += dc
			}
		}
	}
	var all, failed, sumDelta, countDelta float64
	for ri := range rows {
		r := &rows[ri]
		var rFailed float64
		r.Rate = math.NaN()
		for result, c := range r.Cells {
			r.Rate = nanAdd(r.Rate, c.Rate)
			r.Delta += c.Delta
			if source.IsFailure(result) {
				rFailed += c.Delta
			}
			c.Move = move(h, c.Series, window, c.Rate)
		}
		rSum, rCount := means[ri].sum, means[ri].count
		r.FailShare = Share(rFailed, r.Delta)
		r.MeanMs = Share(rSum, rCount)
		all += r.Delta
		failed += rFailed
		sumDelta += rSum
		countDelta += rCount
		b.Resets += r.Resets
	}
	if len(rows) > 0 {
		slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Key, b.Key) })
		b.Rows = rows
	}
	if len(results) > 0 {
		b.Results = slices.Clone(results)
		slices.SortFunc(b.Results, func(a, b string) int {
			switch {
			case resultBefore(a, b):
				return -1
			case resultBefore(b, a):
				return 1
			}
			return 0
		})
	}
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

// rowKey appends a sample's row key to dst: its rowBy labels' values joined by spaces,
// trimmed, "(none)" when that leaves nothing.
func rowKey(dst []byte, ls source.Labels, rowBy []string) []byte {
	for i, l := range rowBy {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, ls.Get(l)...)
	}
	if t := bytes.TrimSpace(dst); len(t) != len(dst) {
		dst = append(dst[:0], t...)
	}
	if len(dst) == 0 {
		dst = append(dst, "(none)"...)
	}
	return dst
}

// rowKeyString is the string of a new row's key: the label's own value when the row is
// by one label that is the key as it stands, so that no string is built for it.
func rowKeyString(key []byte, ls source.Labels, rowBy []string, split bool) string {
	if len(rowBy) == 1 && !split {
		if v := ls.Get(rowBy[0]); v == string(key) {
			return v
		}
	}
	return string(key)
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
