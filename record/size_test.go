package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// demoHour records an hour of the demo's three numbers at 5 s (2,160 polls) into dir.
func demoHour(t testing.TB, dir string) []outcome {
	t.Helper()
	outs := realOutcomes(t, 720)
	record(t, dir, outs, Options{})
	return outs
}

func dirSize(t testing.TB, dir string) int64 {
	t.Helper()
	files, err := Segments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// An hour of a number polled at 5 s takes at most 80 KB on disk: consecutive payloads
// differ in a few digits, and the compressor sees the previous ones (74 KB at zstd's
// fastest level; its best level kept 63, for 34 MiB of match tables: encoderOptions).
func TestRecordDiskPerNumberHour(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: records an hour of the demo")
	}
	dir := t.TempDir()
	demoHour(t, dir)
	perNumberHour := dirSize(t, dir) / 3
	t.Logf("%d bytes per number-hour", perNumberHour)
	if perNumberHour > 80_000 {
		t.Errorf("%d bytes per number-hour of the demo at 5 s, want at most 80 KB", perNumberHour)
	}
}

// BenchmarkReplayDecode reads an hour of the demo's recording and interprets every poll
// through the real decoder, as a replay does: polls per second on one core.
func BenchmarkReplayDecode(b *testing.B) {
	dir := b.TempDir()
	outs := demoHour(b, dir)
	files, _ := Segments(dir)
	b.ResetTimer()
	polls := 0
	for b.Loop() {
		r := NewReader(files, time.Time{})
		for {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if e.Poll != nil {
				e.Poll.Outcome(e.Number, e.At)
				polls++
			}
		}
	}
	if polls != b.N*len(outs) {
		b.Fatalf("%d polls read, want %d", polls, b.N*len(outs))
	}
	b.ReportMetric(float64(polls)/b.Elapsed().Seconds(), "polls/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRecall50x1h reloads an hour of 50 numbers polled at 5 s (36,000 polls, the
// demo's payloads) into a fresh engine, as a restart does: read, decode, file.
func BenchmarkRecall50x1h(b *testing.B) {
	dir := b.TempDir()
	numbers := make([]string, 50)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+1202555%04d", i)
	}
	clock := &fakeNow{t: t0}
	demo := source.NewDemo(source.DemoOptions{Seed: 3, Numbers: numbers, Now: clock.now})
	w, err := Open(Options{Dir: dir, Now: clock.now}, Header{Source: "demo", Numbers: numbers, Interval: 5 * time.Second, History: 720})
	if err != nil {
		b.Fatal(err)
	}
	for range 720 {
		for _, n := range numbers {
			snap, err := demo.Fetch(context.Background(), n)
			w.Poll(n, snap, err)
		}
		clock.set(clock.now().Add(5 * time.Second))
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	end := clock.now()
	mem := &Memory{Dir: dir}
	runtime.GC() // the recording's making is not the reload's garbage
	b.ResetTimer()
	for b.Loop() {
		e := monitor.New(monitor.Config{Source: demo, Numbers: numbers, Interval: 5 * time.Second, History: 720})
		filed := 0
		err := mem.Recall(context.Background(), numbers, end.Add(-time.Hour), end, func(i int, outs []source.Outcome) {
			filed += e.Backfill(i, outs)
		}, func(monitor.Event) {})
		if err != nil || filed != 36000 {
			b.Fatalf("filed %d polls, %v", filed, err)
		}
	}
}
