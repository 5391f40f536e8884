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

	tea "github.com/charmbracelet/bubbletea"

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
		p := tea.NewProgram(kt, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithFPS(frameRate))
		done := make(chan struct{})
		go func() {
			p.Run()
			close(done)
		}()
		p.Send(tea.WindowSizeMsg{Width: 160, Height: 48})
		cpu0, wall0 := cpuTime(), time.Now()
		deadline := time.Now().Add(runFor)
		for time.Now().Before(deadline) {
			time.Sleep(97 * time.Millisecond)
			kt.mu.Lock()
			kt.sent = append(kt.sent, time.Now())
			kt.mu.Unlock()
			p.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
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
