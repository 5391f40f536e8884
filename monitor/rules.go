package monitor

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// The domain rules every reader of the engine shares: what a level is, which figures
// the thresholds are weighed against, how callbacks are added up. --once, the console
// and (later) the exporter all use these, so that they never disagree.

// Defaults of the engine. The client's own (timeout, body cap) live in source.
const (
	DefaultInterval    = 5 * time.Second
	DefaultTimeout     = source.DefaultTimeout
	DefaultHistory     = 720 // points per series: one hour at the default interval
	DefaultConcurrency = 16
	DefaultWindow      = 5 * time.Minute // the window levels and alerts are judged over
)

// Names of the thresholds with a figure of their own; any other threshold name is a
// metric: a counter weighed by its rate per minute over the window (its total since the
// client started says nothing), any other metric by the sum of its samples.
const (
	QueueThreshold    = source.QueueSize       // the callback queue
	FailureThreshold  = "failure_ratio"        // the share of failed callbacks over the window
	EndpointThreshold = "endpoint_error_ratio" // the share of failed API requests over the window
)

// IsRatio reports whether a threshold is a share from 0 to 1.
func IsRatio(name string) bool { return name == FailureThreshold || name == EndpointThreshold }

// Level is how a value stands against its threshold.
type Level int

const (
	LevelOK   Level = iota // below warn, or no threshold
	LevelWarn              // at or past warn
	LevelCrit              // at or past critical
)

// Threshold: Warn colours a value; Critical also raises an alert (the bell) once.
type Threshold struct {
	Warn, Critical float64
}

// Thresholds by name: a metric name, QueueThreshold or FailureThreshold.
type Thresholds map[string]Threshold

// DefaultThresholds are the thresholds when the config names none.
func DefaultThresholds() Thresholds {
	return Thresholds{
		QueueThreshold:    {Warn: 100, Critical: 1000},
		FailureThreshold:  {Warn: 0.01, Critical: 0.05},
		EndpointThreshold: {Warn: 0.05, Critical: 0.25},
	}
}

// Level weighs v against the named threshold; a NaN (no value) is never past one.
func (ts Thresholds) Level(name string, v float64) Level {
	t, ok := ts[name]
	switch {
	case !ok || math.IsNaN(v):
		return LevelOK
	case v >= t.Critical:
		return LevelCrit
	case t.Warn > 0 && v >= t.Warn:
		return LevelWarn
	}
	return LevelOK
}

// Crossing is one threshold a number's newest data is at or past.
type Crossing struct {
	Name  string  // the threshold's name
	Value float64 // what was weighed: a share, a rate per minute, a sum
	Rate  bool    // Value is a counter's rate per minute
	Level Level
}

// String is the crossing as a reason reads: "db_pending_callbacks 31!",
// "failure_ratio 2.7%~", "concurrent_rate_limit_triggered 12/min~".
func (c Crossing) String() string {
	var buf [96]byte
	return string(c.append(buf[:0]))
}

// append appends String() to dst.
func (c Crossing) append(dst []byte) []byte {
	dst = append(append(dst, c.Name...), ' ')
	switch {
	case IsRatio(c.Name):
		dst = appendPercent(dst, c.Value)
	case c.Rate:
		dst = append(appendCompact(dst, c.Value), "/min"...)
	default:
		dst = appendCompact(dst, c.Value)
	}
	return append(dst, [...]string{"", "~", "!"}[c.Level]...)
}

// Crossings weighs a number's newest data against every threshold and returns those it
// is at or past, worst first (then by name): the queue and the failure shares by their
// figures, a counter by its rate per minute over the figures' window, any other metric by
// the sum of its samples (its nodes added up).
func (ts Thresholds) Crossings(snap *source.Snapshot, h *history.Number, f *Figures) []Crossing {
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
				c.Value, c.Rate = rateIn(m, h, f.Window, func(*source.Sample) bool { return true })*60, true
			} else {
				c.Value = SumLatest(snap, name)
			}
		}
		if c.Level = ts.Level(name, c.Value); c.Level > LevelOK {
			if out == nil {
				out = make([]Crossing, 0, len(ts))
			}
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Crossing) int {
		if a.Level != b.Level {
			return int(b.Level - a.Level)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Worst is the level of the worst crossing, LevelOK for none.
func Worst(cs []Crossing) Level {
	if len(cs) == 0 {
		return LevelOK
	}
	return cs[0].Level
}

// SumLatest adds the values of every sample of a metric (its nodes), NaN when the
// snapshot has no such metric or it has no samples.
func SumLatest(snap *source.Snapshot, name string) float64 {
	m := snap.Metric(name)
	if m == nil || len(m.Samples) == 0 {
		return math.NaN()
	}
	return m.Sum()
}

// CallbackMetric is the counter callbacks are counted by: the summary's _count, or on
// older clients callback_requests. "" when the payload has neither.
func CallbackMetric(snap *source.Snapshot) string {
	for _, name := range []string{source.CallbackCount, source.CallbackCountOld} {
		if snap.Metric(name) != nil {
			return name
		}
	}
	return ""
}

// CallbackTotals adds up the callbacks since the client started and those whose result
// was a failure. ok is false when the payload reports no callbacks at all.
func CallbackTotals(snap *source.Snapshot) (total, failed float64, ok bool) {
	m := snap.Metric(CallbackMetric(snap))
	if m == nil {
		return 0, 0, false
	}
	for _, s := range m.Samples {
		total += s.Value
		if source.IsFailure(s.Labels.Get("result")) {
			failed += s.Value
		}
	}
	return total, failed, true
}

// PendingTotal adds up what waits inside the client (source.PendingMetrics); ok is false
// when the payload reports none of it.
func PendingTotal(snap *source.Snapshot) (n float64, ok bool) {
	for _, name := range source.PendingMetrics {
		if m := snap.Metric(name); m != nil {
			n += m.Sum()
			ok = true
		}
	}
	return n, ok
}

// Share is part over whole, NaN when the whole is not positive (nothing happened).
func Share(part, whole float64) float64 {
	if whole <= 0 {
		return math.NaN()
	}
	return part / whole
}

// JudgeOne weighs a single snapshot, as --once does: without history nothing has a rate,
// so the failure shares and counter thresholds are not judged; the queue and gauges are.
func (ts Thresholds) JudgeOne(snap *source.Snapshot) []Crossing {
	h := history.NewNumber(2)
	h.Record(snap.FetchedAt, snap)
	f := Derive(snap, h, 0, Scope{})
	return ts.Crossings(snap, h, &f)
}
