//go:build soak

// The soak test runs a console for a long simulated time and checks that it does not
// grow: heap in use and goroutines at the end are about what they were a third of the
// way in, once every ring is full. It takes a minute or two, so it is behind a tag:
//
//	go test -tags soak -run Soak -v ./ui/
package ui

import (
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

type soakFigures struct {
	round      int
	heapInuse  uint64
	heapObjs   uint64
	goroutines int
	series     int
}

func TestSoak(t *testing.T) {
	const (
		numbers    = 200
		rounds     = 3000
		capacity   = 720 // full after 720 rounds, well before the first measurement
		frameEvery = 10
	)
	c := newSynthConsole(numbers, capacity, time.Second)
	// Failures come in runs, as outages do: a number fails for a few rounds now and then,
	// with an API error or a transport error; failing numbers (every third) more often.
	attempts := make([]int, numbers)
	c.src.next = func(g *synthNumber) error {
		attempts[g.k]++
		r := attempts[g.k] + g.k*7
		switch {
		case r%211 < 3:
			return &source.APIError{Code: "WS500", Message: "internal error", HTTPStatus: 500, Number: g.snap.Number}
		case g.k%3 == 2 && r%53 < 2:
			return &source.TransportError{Kind: source.Timeout, Detail: "no response within 2s"}
		case r%389 == 0:
			return &source.TransportError{Kind: source.Refused, Detail: "connection refused"}
		}
		return nil
	}
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})

	measure := func(round int) soakFigures {
		runtime.GC()
		runtime.GC() // the second cycle frees what the first one's finalisers released
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		f := soakFigures{round: round, heapInuse: ms.HeapInuse, heapObjs: ms.HeapObjects, goroutines: runtime.NumGoroutine()}
		for i := range c.eng.Len() {
			c.eng.Read(i, func(v *monitor.View) { f.series += len(v.History.Keys()) })
		}
		t.Logf("round %4d: heap in use %6.1f MiB, %7d objects, %d goroutines, %d series held",
			round, float64(f.heapInuse)/(1<<20), f.heapObjs, f.goroutines, f.series)
		return f
	}

	start := time.Now()
	var third soakFigures
	views := []func() screen{
		func() screen { return newMainScreen(c.ctx) },
		func() screen { return newOverview(c.ctx) },
		func() screen { return newNumberScreen(c.ctx) },
		func() screen { return newSeriesScreen(c.ctx, callbacksKind, "inbound_message", monitor.Scope{}) },
	}
	sub := c.eng.Subscribe() // a reader that never reads must not hold anything up
	defer sub.Close()
	defer c.eng.Stop()
	for round := 1; round <= rounds; round++ {
		for k, g := range c.gens {
			switch {
			case (round+k*13)%700 == 0:
				g.resetCounters() // a client restart
			case (round+k*17)%450 == 0:
				g.rename() // new callback types: new series; the old ones age out
			}
		}
		// The engine's own poll path (goroutines, the concurrency bound, filing), one poll
		// of every number a round; the scheduler's timing, backoff included, is left out
		// so that every number is polled every round.
		c.clock.Advance(time.Second)
		c.eng.PollAll()
		c.eng.WaitIdle()
		if round%frameEvery == 0 {
			c.ctx.Active = round / frameEvery % numbers
			c.show(views[round/frameEvery%len(views)](), 160, 48)
			frame := c.View()
			if len(frame) < 100 {
				t.Fatalf("round %d: frame %q", round, frame)
			}
		}
		if round == rounds/3 {
			third = measure(round)
		}
	}
	end := measure(rounds)
	t.Logf("%d rounds x %d numbers in %v", rounds, numbers, time.Since(start).Round(time.Millisecond))

	if limit := third.heapInuse + third.heapInuse/10 + 1<<20; end.heapInuse > limit {
		t.Errorf("heap in use grew from %d to %d bytes (limit %d)", third.heapInuse, end.heapInuse, limit)
	}
	if end.goroutines > third.goroutines {
		t.Errorf("goroutines grew from %d to %d", third.goroutines, end.goroutines)
	}
	// Churned series must age out: at most the live set plus one rename's worth each.
	if end.series > third.series+third.series/10 {
		t.Errorf("series held grew from %d to %d", third.series, end.series)
	}
	for i := range c.eng.Len() {
		if st := c.eng.Status(i); st.Polls != rounds {
			t.Fatalf("%s: %d polls filed, want %d", st.Number, st.Polls, rounds)
		}
	}
}
