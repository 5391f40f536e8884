package monitor

import (
	"math"
	"time"

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
// metric, weighed by the sum of its samples.
const (
	QueueThreshold   = source.QueueSize // the callback queue
	FailureThreshold = "failure_ratio"  // the share of failed callbacks over the window
)

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
		QueueThreshold:   {Warn: 100, Critical: 1000},
		FailureThreshold: {Warn: 0.01, Critical: 0.05},
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

// NumberLevel is the worst level of a number's newest data over every threshold: the
// queue and the failure share by their figures, any other name by the sum of that
// metric's samples (its nodes added up).
func (ts Thresholds) NumberLevel(snap *source.Snapshot, f *Figures) Level {
	lvl := LevelOK
	for name := range ts {
		var v float64
		switch name {
		case QueueThreshold:
			v = f.Queue
		case FailureThreshold:
			v = f.FailShare
		default:
			v = SumLatest(snap, name)
		}
		lvl = max(lvl, ts.Level(name, v))
	}
	return lvl
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
