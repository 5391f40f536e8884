package ui

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

// keyTimer wraps the console to time how long a key waits before Update sees it.
type keyTimer struct {
	*Model
	mu    sync.Mutex
	sent  []time.Time
	waits []time.Duration
}

func (k *keyTimer) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok && km.String() == "j" {
		k.mu.Lock()
		if len(k.sent) > 0 {
			k.waits = append(k.waits, time.Since(k.sent[0]))
			k.sent = k.sent[1:]
		}
		k.mu.Unlock()
	}
	_, cmd := k.Model.Update(msg)
	return k, cmd
}

// BenchmarkPoll500Numbers runs the real console (engine, HTTP client, renderer to a
// discarded output) for 500 numbers against a local server that answers in 50 ms, at
// the default 5 s interval and concurrency 16, for 16 s. It reports the longest gap
// between two polls of one number (a missed tick shows as a gap near 10 s), the most
// requests in flight, how long a key waited while polls were in flight, and the CPU the
// whole process used (the fake server's share included) with the overview in view.
// Run it alone: go test ./ui/ -run '^$' -bench Poll500 -benchtime 1x
func BenchmarkPoll500Numbers(b *testing.B) {
	const (
		numbers  = 500
		interval = 5 * time.Second
		latency  = 50 * time.Millisecond
		runFor   = 16 * time.Second
	)
	for b.Loop() {
		var inFlight, maxInFlight atomic.Int64
		var mu sync.Mutex
		starts := map[string][]time.Time{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			number := strings.TrimPrefix(r.URL.Path, "/v1/wamonitor/stats/")
			mu.Lock()
			starts[number] = append(starts[number], time.Now())
			polls := len(starts[number])
			mu.Unlock()
			time.Sleep(latency)
			w.Write(faketest.Payload(polls, false))
		}))
		client, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, Timeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		var list []string
		for i := range numbers {
			list = append(list, fmt.Sprintf("+1202555%04d", i))
		}
		eng := monitor.New(monitor.Config{Source: client, Numbers: list, Interval: interval, Timeout: 2 * time.Second, Concurrency: 16})
		eng.Start()
		kt := &keyTimer{Model: New(Options{Engine: eng})}
		// The size as the program's own (a size sent could be undone by the 0x0 it sends
		// itself for an output that is not a terminal).
		p := tea.NewProgram(kt, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithFPS(frameRate), tea.WithWindowSize(160, 48))
		done := make(chan struct{})
		go func() {
			p.Run()
			close(done)
		}()
		cpu0, wall0 := cpuTime(), time.Now()
		deadline := time.Now().Add(runFor)
		for time.Now().Before(deadline) {
			time.Sleep(97 * time.Millisecond)
			kt.mu.Lock()
			kt.sent = append(kt.sent, time.Now())
			kt.mu.Unlock()
			p.Send(keyMsg("j"))
		}
		cpuShare := (cpuTime() - cpu0).Seconds() / time.Since(wall0).Seconds()
		p.Quit()
		<-done
		eng.Stop()
		srv.Close()

		var maxGap time.Duration
		var polls int
		mu.Lock()
		for _, ts := range starts {
			polls += len(ts)
			for i := 1; i < len(ts); i++ {
				maxGap = max(maxGap, ts[i].Sub(ts[i-1]))
			}
		}
		missing := numbers - len(starts)
		mu.Unlock()
		kt.mu.Lock()
		waits := slices.Clone(kt.waits)
		kt.mu.Unlock()
		slices.Sort(waits)
		if len(waits) == 0 || missing > 0 {
			b.Fatalf("%d keys timed, %d numbers never polled", len(waits), missing)
		}
		b.ReportMetric(100*cpuShare, "cpu-%")
		b.ReportMetric(float64(polls)/numbers, "polls/number")
		b.ReportMetric(maxGap.Seconds(), "max-gap-s")
		b.ReportMetric(float64(maxInFlight.Load()), "max-in-flight")
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "key-p50-ms")
		b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "key-p99-ms")
	}
}

// cpuTime is the CPU time this process has used (the fake server's included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingWriter counts the bytes a console writes to its terminal.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// BenchmarkViewerBytes is what one viewer's terminal receives a minute, with 500 numbers
// polled every 5 s (100 polls a second, filed in real time) and the given screen open at
// 160x48, in colour: the cost of a console over an SSH link (overview-served: at the
// frame rate wamon serve draws at). Run it alone:
//
//	go test ./ui/ -run '^$' -bench ViewerBytes -benchtime 1x
func BenchmarkViewerBytes(b *testing.B) {
	for _, v := range []struct {
		screen string
		fps    int
	}{{"main", frameRate}, {"overview", frameRate}, {"overview-served", ServedFrameRate}} {
		screenKey, fps := strings.TrimSuffix(v.screen, "-served"), v.fps
		b.Run(v.screen, func(b *testing.B) {
			for b.Loop() {
				const numbers, interval, runFor = 500, 5 * time.Second, 20 * time.Second
				var names []string
				gens := make([]*synthNumber, numbers)
				for k := range numbers {
					names = append(names, fmt.Sprintf("+1202555%04d", k))
					gens[k] = newSynthNumber(names[k], k)
				}
				eng := monitor.New(monitor.Config{Source: &synthSource{}, Numbers: names, Interval: interval, Thresholds: testThresholds})
				m := New(Options{Engine: eng})
				out := &countingWriter{}
				// The size as the program's own: one sent to it could come before the 0x0 it
				// sends itself for an output that is not a terminal, and be undone by it.
				p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(out), tea.WithFPS(fps), tea.WithWindowSize(160, 48))
				done := make(chan struct{})
				go func() { p.Run(); close(done) }()
				// 500 numbers open on the overview; enter opens the first number's main view.
				if screenKey == "main" {
					p.Send(keyMsg("enter"))
				}
				// A minute of history first, so that charts and rates are drawn as in use.
				start := time.Now().Add(-time.Minute)
				for i := range 12 * numbers {
					k := i % numbers
					at := start.Add(time.Duration(i) * interval / numbers)
					gens[k].step(at)
					eng.Record(k, gens[k].snap, nil)
				}
				time.Sleep(time.Second)
				out.n.Store(0)
				t0 := time.Now()
				tick := time.NewTicker(interval / numbers)
				for k := 0; time.Since(t0) < runFor; k = (k + 1) % numbers {
					<-tick.C
					gens[k].step(time.Now())
					eng.Record(k, gens[k].snap, nil)
				}
				tick.Stop()
				perMin := float64(out.n.Load()) / time.Since(t0).Minutes()
				p.Quit()
				<-done
				b.ReportMetric(perMin/1000, "KB/min")
			}
		})
	}
}
