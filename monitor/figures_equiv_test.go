package monitor

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// sameDeep compares two values field by field: floats equal to a billionth (sums are
// added up in another order) with NaN equal to NaN, and slices and maps nil only where
// the other is.
func sameDeep(a, b reflect.Value, path string) error {
	if a.Kind() != b.Kind() {
		return fmt.Errorf("%s: kind %v vs %v", path, a.Kind(), b.Kind())
	}
	switch a.Kind() {
	case reflect.Float64:
		x, y := a.Float(), b.Float()
		if x == y || math.IsNaN(x) && math.IsNaN(y) || math.Abs(x-y) <= 1e-9*max(1, math.Abs(x), math.Abs(y)) {
			return nil
		}
		return fmt.Errorf("%s: %v vs %v", path, x, y)
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Errorf("%s: nil %v vs %v", path, a.IsNil(), b.IsNil())
			}
			return nil
		}
		return sameDeep(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Errorf("%s: len %d (nil %v) vs %d (nil %v)", path, a.Len(), a.IsNil(), b.Len(), b.IsNil())
		}
		for i := range a.Len() {
			if err := sameDeep(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Errorf("%s: map len %d vs %d", path, a.Len(), b.Len())
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return fmt.Errorf("%s: key %v missing", path, k)
			}
			if err := sameDeep(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if err := sameDeep(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); err != nil {
				return err
			}
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Errorf("%s: %v vs %v", path, a.Interface(), b.Interface())
		}
	}
	return nil
}

// stir makes a demo poll harder: health means per node, a lagging reading now and then,
// a restart, samples that read NaN, a new series first seen as NaN, and one series
// twice.
func stir(s *source.Snapshot, p int) {
	node := func(n string, v float64) source.Sample {
		return source.Sample{Labels: source.NewLabels(map[string]string{"node": n}), Value: v}
	}
	for _, m := range []struct {
		prefix string
		mean   float64
	}{{serverConnPrefix, 12}, {dbRequestUsPrefix, 4000}} {
		c, sum := float64(100*p), float64(100*p)*m.mean
		s.Metrics[m.prefix+"_count"] = &source.Metric{Name: m.prefix + "_count", Type: source.Counter,
			Samples: []source.Sample{node("a", c), node("b", 2*c)}}
		s.Metrics[m.prefix+"_sum"] = &source.Metric{Name: m.prefix + "_sum", Type: source.Counter,
			Samples: []source.Sample{node("a", sum), node("b", 3*sum)}}
	}
	for _, m := range s.Metrics {
		if !m.IsCounter() {
			continue
		}
		for k := range m.Samples {
			v := &m.Samples[k].Value
			switch {
			case p%13 == 0:
				*v *= 0.97 // another replica, a little behind
			case p == 90:
				*v *= 0.01 // a restart
			case p%31 == 0 && k == 0:
				*v = math.NaN()
			}
		}
	}
	if m := s.Metric(source.CallbackCount); m != nil && p%17 == 0 {
		late := source.Sample{Labels: source.NewLabels(map[string]string{"type": fmt.Sprintf("late_%d", p), "result": "success"}), Value: math.NaN()}
		m.Samples = append(m.Samples, late, m.Samples[0])
	}
	if m := s.Metric(requestsMetric); m != nil {
		if p%19 == 0 {
			m.Samples[0].Value = math.NaN() // its duration pair still has the series
		}
		// Rows whose labels are missing: " post" is "post", and nothing is "(none)".
		m.Samples = append(m.Samples,
			source.Sample{Labels: source.NewLabels(map[string]string{"method": "post", "result": "ok"}), Value: float64(10 * p)},
			source.Sample{Labels: source.NewLabels(map[string]string{"result": "500"}), Value: float64(p)})
	}
}

// Derive, Crossings and the reasons give what they gave before they were made cheaper
// (figures_ref_test.go), on the demo's numbers (calm, multiconnect, failing) stirred
// with drops, restarts, gaps and NaNs, over every window and scope, as the ring wraps.
func TestDeriveAsBefore(t *testing.T) {
	clock := NewManualClock(t0)
	demo := source.NewDemo(source.DemoOptions{Seed: 3, Now: clock.Now})
	numbers := source.DemoNumbers()
	th := DefaultThresholds()
	th["concurrent_rate_limit_triggered"] = Threshold{Warn: 0.0001, Critical: 1}
	th["db_pending_callbacks"] = Threshold{Warn: 1, Critical: 40}
	th["in_message_decoded"] = Threshold{Warn: 1, Critical: 1e9}
	e := New(Config{Source: demo, Numbers: numbers, Clock: clock, Thresholds: th})
	hs := make([]*history.Number, len(numbers))
	for i := range hs {
		hs[i] = history.NewNumber(48)
	}
	windows := []time.Duration{0, 12 * time.Second, time.Minute, 5 * time.Minute}
	scopes := []Scope{{}, {Split: true}, {Node: "wa-core-1:3f2a9c1b"}, {Node: "b"}, {Node: "b", Split: true}}
	compared := 0
	for p := 1; p <= 120; p++ {
		clock.Advance(5 * time.Second)
		for i, number := range numbers {
			snap, err := demo.Fetch(context.Background(), number)
			if err != nil || p%23 == 7 {
				hs[i].RecordGap(clock.Now())
				continue
			}
			stir(&snap, p)
			hs[i].Record(snap.FetchedAt, &snap)
			for _, w := range windows {
				for _, sc := range scopes {
					got, want := Derive(&snap, hs[i], w, sc), refDerive(&snap, hs[i], w, sc)
					if err := sameDeep(reflect.ValueOf(got), reflect.ValueOf(want), "Figures"); err != nil {
						t.Fatalf("poll %d, %s, window %v, scope %+v: %v", p, number, w, sc, err)
					}
					cg, cw := th.Crossings(&snap, hs[i], &got), th.refCrossings(&snap, hs[i], &want)
					if err := sameDeep(reflect.ValueOf(cg), reflect.ValueOf(cw), "Crossings"); err != nil {
						t.Fatalf("poll %d, %s, window %v: %v", p, number, w, err)
					}
					st := Status{Crossings: cg, Err: err, LastOK: t0}
					for _, state := range []State{StateOK, StateWarn, StateCrit, StateStale} {
						if g, w := e.reason(&st, state, clock.Now()), e.refReason(&st, state, clock.Now()); g != w {
							t.Fatalf("poll %d, %s: reason %q, was %q", p, number, g, w)
						}
					}
					compared++
				}
			}
		}
	}
	if compared < 2000 {
		t.Fatalf("only %d figures compared", compared)
	}
}
