package record

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// fleetPolls are rounds of polls of n numbers at 5 s, the demo's payloads (each number
// its own, changing from poll to poll as a live API's do). Only what a recording keeps
// of a poll is kept, not the decoded metrics: a big fleet's rounds are held at once.
func fleetPolls(t testing.TB, n, rounds int) [][]outcome {
	t.Helper()
	numbers := make([]string, n)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+1202555%04d", i)
	}
	clock := &fakeNow{t: t0}
	demo := source.NewDemo(source.DemoOptions{Seed: 3, Numbers: numbers, Now: clock.now})
	all := make([][]outcome, rounds)
	for r := range all {
		for _, number := range numbers {
			snap, err := source.Poll(context.Background(), demo, number, 0, clock.now)
			kept := source.Snapshot{FetchedAt: snap.FetchedAt, Latency: snap.Latency, HTTPStatus: snap.HTTPStatus, Raw: snap.Raw}
			all[r] = append(all[r], outcome{number, kept, err})
		}
		clock.set(clock.now().Add(5 * time.Second))
	}
	return all
}

// feed hands the writer a poll as Poll does, but waits for room in the queue rather
// than drop it: the rounds come far faster than every 5 s.
func feed(w *Writer, o outcome) {
	l := pollLine(o.number, o.snap, o.err)
	w.lines <- &l
}

// liveHeap is the heap in use after two collections (the second empties what the
// first left to sync.Pools' victims): what is held, not garbage.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// resident is the process's resident memory with the free heap given back to the
// system first; false where /proc does not say.
func resident() (int64, bool) {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()), err == nil
}

// recordFleet records rounds (of fleetPolls) through a new Writer in dir, as a console
// watching their numbers does, and returns it open, every line taken from its queue.
func recordFleet(t testing.TB, dir string, rounds [][]outcome) *Writer {
	t.Helper()
	h := header()
	h.Numbers = nil
	for _, o := range rounds[0] {
		h.Numbers = append(h.Numbers, o.number)
	}
	w, err := Open(Options{Dir: dir, Now: func() time.Time { return t0 }}, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, round := range rounds {
		for _, o := range round {
			feed(w, o)
		}
	}
	for len(w.lines) > 0 {
		runtime.Gosched()
	}
	return w
}

// BenchmarkRecordCost records a fleet at 5 s through a Writer, as the engine hands it
// polls, and reports what that costs: the time to record a poll (the writer's work, on
// one core with -cpu 1) and the share of a core that makes at 5 s; the heap the open
// writer holds and the memory it keeps resident, measured on a run of their own after
// the timed ones (giving memory back to the system makes the next run fault it in
// again); the disk a number-hour takes. 2 numbers for an hour (a segment's life), 500
// for 5 minutes (far more than the compressor's window: as much as it ever holds).
func BenchmarkRecordCost(b *testing.B) {
	for _, c := range []struct{ numbers, rounds int }{{2, 720}, {500, 60}} {
		b.Run(fmt.Sprintf("%dnumbers", c.numbers), func(b *testing.B) {
			rounds := fleetPolls(b, c.numbers, c.rounds)
			polls := c.numbers * c.rounds
			var disk int64
			for b.Loop() {
				dir := b.TempDir()
				if err := recordFleet(b, dir, rounds).Close(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				disk = dirSize(b, dir)
				b.StartTimer()
			}
			perPoll := float64(b.Elapsed().Nanoseconds()) / float64(b.N*polls)
			b.ReportMetric(perPoll, "ns/poll")
			b.ReportMetric(100*perPoll*float64(c.numbers)/5e9, "%core@5s")
			b.ReportMetric(float64(disk)*720/float64(polls)/1000, "KB/number-hour")
			b.ReportMetric(0, "ns/op")

			heap0 := liveHeap()
			rss0, _ := resident()
			w := recordFleet(b, b.TempDir(), rounds)
			heap := liveHeap() - heap0
			if rss1, ok := resident(); ok {
				b.ReportMetric(float64(rss1-rss0)/(1<<20), "rss-MiB")
			}
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			runtime.KeepAlive(rounds) // held through both measures, not freed between them
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// Recording a poll allocates the little its line needs, never a copy of its body: a
// payload is kilobytes, 100 of them a second for 500 numbers, and every copy would be
// garbage for the collector to chase.
func TestRecordAllocatesLittlePerPoll(t *testing.T) {
	rounds := fleetPolls(t, 2, 220)
	w := recordFleet(t, t.TempDir(), rounds[:20]) // the segment open, the compressor's buffers made
	defer w.Close()
	polls := 0
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, round := range rounds[20:] {
		for _, o := range round {
			w.Poll(o.number, o.snap, o.err)
			polls++
		}
		for len(w.lines) > 0 {
			runtime.Gosched()
		}
	}
	runtime.ReadMemStats(&after)
	perPoll := (after.TotalAlloc - before.TotalAlloc) / uint64(polls)
	t.Logf("%d bytes in %.1f allocations a poll", perPoll, float64(after.Mallocs-before.Mallocs)/float64(polls))
	// 0.75 KB; a bound of half a body leaves room for the race detector, which empties
	// sync.Pools at random.
	if body := uint64(len(rounds[0][0].snap.Raw)); perPoll > body/2 {
		t.Errorf("recording a poll allocates %d bytes, want at most half its body's %d", perPoll, body)
	}
}

// An open writer holds what its fleet's recording needs, and a big fleet's recording
// still sees each number's previous poll: a small console's recording is not paid
// for at a big fleet's size (the best level held 52 MiB whatever the fleet), and a
// big fleet's compressor window reaches back a round.
func TestRecordCostsWhatTheFleetNeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: records a minute of 500 numbers")
	}
	for _, c := range []struct {
		numbers, rounds int
		heap            int64 // bytes held at most
		disk            int64 // bytes per number-hour at most; 0: not judged
	}{
		{2, 60, 3 << 19, 0},
		{500, 12, 12 << 20, 130_000},
	} {
		rounds := fleetPolls(t, c.numbers, c.rounds)
		dir := t.TempDir()
		before := liveHeap()
		w := recordFleet(t, dir, rounds)
		held := liveHeap() - before
		runtime.KeepAlive(rounds)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		disk := dirSize(t, dir) * 720 / int64(c.numbers*c.rounds)
		t.Logf("%d numbers: %.2f MiB held, %d bytes per number-hour", c.numbers, float64(held)/(1<<20), disk)
		if held > c.heap {
			t.Errorf("%d numbers: the writer holds %.2f MiB, want at most %.1f", c.numbers, float64(held)/(1<<20), float64(c.heap)/(1<<20))
		}
		if c.disk > 0 && disk > c.disk {
			t.Errorf("%d numbers: %d bytes per number-hour, want at most %d", c.numbers, disk, c.disk)
		}
	}
}
