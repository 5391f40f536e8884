package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// filingAllocsBound is what filing one poll may allocate, on average, in a warm engine:
// the demo's numbers (calm, multiconnect, failing one poll in 25) with their ring full.
// Measured at 30.3 when it was set, about a fifth under this; it was 211 before the
// figures, crossings and reasons stopped building strings, maps and sorters at every poll.
const filingAllocsBound = 36

func TestFilingAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation budget")
	}
	const (
		warm     = 720 // a full ring at the default history
		measured = 300
	)
	// The demo's polls are made first, on a clock of their own: the engine's follows
	// them as they are filed, as it would have.
	demoClock := NewManualClock(t0)
	demo := source.NewDemo(source.DemoOptions{Seed: 1, Now: demoClock.Now})
	numbers := source.DemoNumbers()
	type outcome struct {
		snap source.Snapshot
		err  error
	}
	var polls [][]outcome // by poll, then number
	for range warm + measured + 1 {
		demoClock.Advance(DefaultInterval)
		row := make([]outcome, len(numbers))
		for i, n := range numbers {
			row[i].snap, row[i].err = demo.Fetch(context.Background(), n)
		}
		polls = append(polls, row)
	}

	clock := NewManualClock(t0)
	e := New(Config{Source: demo, Numbers: numbers, Clock: clock, Thresholds: DefaultThresholds()})
	sub := e.Subscribe() // publishing to a reader is part of filing
	defer sub.Close()
	next := 0
	file := func() {
		clock.Set(t0.Add(time.Duration(next+1) * DefaultInterval))
		for i, o := range polls[next] {
			e.Record(i, o.snap, o.err)
		}
		next++
	}
	for range warm {
		file()
	}
	allocs := testing.AllocsPerRun(measured, file) / float64(len(numbers))
	t.Logf("%.1f allocations per poll filed", allocs)
	if allocs > filingAllocsBound {
		t.Errorf("filing a poll allocates %.1f times, over the bound of %d", allocs, filingAllocsBound)
	}
	if st := e.Status(1); st.Polls != next || st.Last == nil || st.Last.Nodes == nil {
		t.Fatalf("the multiconnect number: %d polls of %d, %v", st.Polls, next, st.Last)
	}
	if st := e.Status(0); st.State != StateOK && st.State != StateWarn && st.State != StateCrit {
		t.Fatalf("the calm number is %s: the clock did not follow the polls", st.State.Word())
	}
}
