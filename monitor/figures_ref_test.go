package monitor

// The figures, crossings and reasons as they were worked out before they were made
// cheaper (commit 18fdc4d), kept verbatim as the reference the equivalence test holds
// the engine's to.

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// Derive works out the figures of snap over the window ending at the newest poll of h,
// within scope.
func refDerive(snap *source.Snapshot, h *history.Number, window time.Duration, scope Scope) Figures {
	f := noFigures(window, scope)
	if snap == nil {
		return f
	}
	in := func(s *source.Sample) bool { return scope.Node == "" || s.Labels.Get("node") == scope.Node }
	f.Queue = refSumIn(snap.Metric(source.QueueSize), in)
	for _, name := range source.PendingMetrics {
		if v := refSumIn(snap.Metric(name), in); !math.IsNaN(v) {
			f.Pending = append(f.Pending, NamedValue{name, v})
		}
	}
	perMinute := func(name string) float64 { return refRateIn(snap.Metric(name), h, window, in) * 60 }
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
		if v := refMeanOf(snap, h, window, m.prefix+"_count", m.prefix+"_sum", in); !math.IsNaN(v) {
			f.Health = append(f.Health, NamedValue{m.prefix, v * m.scale})
		}
	}

	cb := CallbackMetric(snap)
	cbSum := ""
	if cb == source.CallbackCount {
		cbSum = source.CallbackSum
	}
	f.Callbacks = refBreakdown(snap, h, window, scope, cb, cb, cbSum, "type")
	req := requestsMetric
	if snap.Metric(req) == nil {
		req = requestsCountPair
	}
	f.Requests = refBreakdown(snap, h, window, scope, req, requestsCountPair, requestsSumPair, "endpoint", "method")
	return f
}

// sumIn adds the latest values of a metric's samples in scope, NaN when none is.
func refSumIn(m *source.Metric, in func(*source.Sample) bool) float64 {
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
func refRateIn(m *source.Metric, h *history.Number, window time.Duration, in func(*source.Sample) bool) float64 {
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
func refMeanOf(snap *source.Snapshot, h *history.Number, window time.Duration, count, sum string, in func(*source.Sample) bool) float64 {
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
func refBreakdown(snap *source.Snapshot, h *history.Number, window time.Duration, scope Scope, metric, meanCount, meanSum string, rowBy ...string) Breakdown {
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
			c.Move = refMove(h, c.Series, window, c.Rate)
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

// move compares a cell's rate now with its rate as the previous poll saw it.
func refMove(h *history.Number, keys []string, window time.Duration, now float64) int {
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

// Crossings weighs a number's newest data against every threshold and returns those it
// is at or past, worst first (then by name): the queue and the failure shares by their
// figures, a counter by its rate per minute over the figures' window, any other metric by
// the sum of its samples (its nodes added up).
func (ts Thresholds) refCrossings(snap *source.Snapshot, h *history.Number, f *Figures) []Crossing {
	var out []Crossing
	for name := range ts {
		c := Crossing{Name: name}
		switch name {
		case QueueThreshold:
			c.Value = f.Queue
		case FailureThreshold:
			c.Value = f.Callbacks.FailShare
		case EndpointThreshold:
			c.Value = f.Requests.FailShare
		default:
			m := snap.Metric(name)
			if m != nil && m.IsCounter() {
				c.Value, c.Rate = refRateIn(m, h, f.Window, func(*source.Sample) bool { return true })*60, true
			} else {
				c.Value = SumLatest(snap, name)
			}
		}
		if c.Level = ts.Level(name, c.Value); c.Level > LevelOK {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level > out[j].Level
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// reason is why a number is in state: the error, the thresholds crossed, how long
// without a good poll. "" for OK and WAIT.
func (e *Engine) refReason(st *Status, state State, now time.Time) string {
	switch state {
	case StateError:
		return source.Reason(st.Err)
	case StateStale:
		return "no good poll for " + now.Sub(st.LastOK).Round(time.Second).String()
	case StateWarn, StateCrit:
		parts := make([]string, 0, len(st.Crossings))
		for _, c := range st.Crossings {
			parts = append(parts, refCrossingString(c))
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

func refCrossingString(c Crossing) string {
	v := Compact(c.Value)
	switch {
	case IsRatio(c.Name):
		v = Percent(c.Value)
	case c.Rate:
		v += "/min"
	}
	return c.Name + " " + v + [...]string{"", "~", "!"}[c.Level]
}
