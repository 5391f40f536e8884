package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/wamon/wamon/export"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

// hourInPrometheus starts a real Prometheus holding an hour of what wamon serve would
// have exported for 50 numbers every 15 s (the demo's figures), written as OpenMetrics
// with timestamps and loaded with promtool tsdb create-blocks-from. It returns its base
// URL, the numbers, and the hour's end.
func hourInPrometheus(b *testing.B) (base string, nums []string, end time.Time) {
	tools := promTools(b, "prometheus", "promtool")
	dir := b.TempDir()
	for i := range fillNumbers {
		nums = append(nums, fmt.Sprintf("+1202555%04d", i))
	}
	end = time.Now().Truncate(fillEvery)
	from := end.Add(-fillSteps * fillEvery)
	om := filepath.Join(dir, "hour.om")
	samples, err := writeHour(om, nums, from, fillSteps, fillEvery)
	if err != nil {
		b.Fatal(err)
	}
	tsdb := filepath.Join(dir, "tsdb")
	if out, err := execOutput(tools[1], "tsdb", "create-blocks-from", "openmetrics", om, tsdb); err != nil {
		b.Fatalf("promtool tsdb create-blocks-from: %v\n%s", err, out)
	}
	port := freePort(b)
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte("global:\n  scrape_interval: 15s\n"), 0o644)
	start(b, filepath.Join(dir, "prometheus.log"), os.Environ(), tools[0],
		"--config.file="+cfg, "--storage.tsdb.path="+tsdb, "--storage.tsdb.retention.time=10y",
		"--web.listen-address=127.0.0.1:"+port, "--log.level=warn")
	base = "http://127.0.0.1:" + port
	api := promAPI{t: b, base: base}
	api.waitFor("prometheus ready with the hour", 60*time.Second, func() (bool, error) {
		got, err := api.query(fmt.Sprintf(`count(count_over_time(wamon_up[2h] @ %d))`, end.Unix()))
		return err == nil && len(got) == 1 && got[0].value == fillNumbers, fmt.Errorf("%v %v", got, err)
	})
	b.Logf("%d samples over %d numbers in Prometheus", samples, fillNumbers)
	return base, nums, end
}

// The hour hourInPrometheus holds.
const (
	fillNumbers = 50
	fillEvery   = 15 * time.Second
	fillSteps   = 240 // an hour
)

// fillEngine is a console's engine over the Prometheus at base, its window ending at
// end, as if the console opened then; not started.
func fillEngine(b *testing.B, base string, nums []string, end time.Time) *monitor.Engine {
	src, err := source.NewPrometheus(source.PrometheusOptions{URL: base, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	return monitor.New(monitor.Config{Source: src, Numbers: nums, Interval: fillEvery, History: fillSteps + 1,
		Clock: monitor.NewManualClock(end)})
}

// BenchmarkPrometheusFill measures the Prometheus source's start-up: a console of 50
// numbers opening with a one-hour window (15 s steps) that a real Prometheus holds. One
// op is Start to the window filed. The README's start-up figure comes from here
// (target: under 2 s).
func BenchmarkPrometheusFill(b *testing.B) {
	base, nums, end := hourInPrometheus(b)
	b.ResetTimer()
	for b.Loop() {
		eng := fillEngine(b, base, nums, end)
		sub := eng.Subscribe()
		eng.Start()
		for eng.Filling() {
			<-sub.C()
		}
		b.StopTimer()
		for i := range fillNumbers {
			eng.Read(i, func(v *monitor.View) {
				if v.History.Len() < fillSteps-1 {
					b.Fatalf("%s holds %d polls after the fill, want %d", v.Number, v.History.Len(), fillSteps)
				}
			})
		}
		sub.Close()
		eng.Stop()
		b.StartTimer()
	}
}

// keyClock wraps a console to time each j from its sending to the end of the View that
// shows it.
type keyClock struct {
	*ui.Model
	mu    sync.Mutex
	sent  []time.Time
	shown time.Time // the sending of the key Update saw last, until a View shows it
	waits []time.Duration
}

func (k *keyClock) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyPressMsg); ok && km.String() == "j" {
		k.mu.Lock()
		if len(k.sent) > 0 && k.shown.IsZero() {
			k.shown, k.sent = k.sent[0], k.sent[1:]
		}
		k.mu.Unlock()
	}
	_, cmd := k.Model.Update(msg)
	return k, cmd
}

func (k *keyClock) View() tea.View {
	v := k.Model.View()
	k.mu.Lock()
	if !k.shown.IsZero() {
		k.waits = append(k.waits, time.Since(k.shown))
		k.shown = time.Time{}
	}
	k.mu.Unlock()
	return v
}

// BenchmarkKeysDuringPrometheusFill is the console of 50 numbers opening on the hour a
// real Prometheus holds, its keys timed while the window fills beside it: j every 20 ms
// (the overview's cursor), from sending to the frame that shows it. It reports the
// median, p99 and longest wait, and how long the fill took. Target: every key within
// 100 ms.
func BenchmarkKeysDuringPrometheusFill(b *testing.B) {
	base, nums, end := hourInPrometheus(b)
	b.ResetTimer()
	var all []time.Duration
	var filled time.Duration
	for b.Loop() {
		eng := fillEngine(b, base, nums, end)
		kc := &keyClock{Model: ui.New(ui.Options{Engine: eng})}
		// The size as the program's own (a size sent could be undone by the 0x0 it sends
		// itself for an output that is not a terminal).
		p := tea.NewProgram(kc, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithFPS(15), tea.WithWindowSize(160, 48))
		done := make(chan struct{})
		go func() {
			p.Run()
			close(done)
		}()
		p.Send(tea.KeyPressMsg{Code: 'o', Text: "o"})
		began := time.Now()
		eng.Start()
		for eng.Filling() {
			time.Sleep(20 * time.Millisecond)
			kc.mu.Lock()
			kc.sent = append(kc.sent, time.Now())
			kc.mu.Unlock()
			p.Send(tea.KeyPressMsg{Code: 'j', Text: "j"})
		}
		filled += time.Since(began)
		time.Sleep(200 * time.Millisecond) // the last keys' frames
		p.Quit()
		<-done
		eng.Stop()
		kc.mu.Lock()
		all = append(all, kc.waits...)
		kc.mu.Unlock()
	}
	if len(all) == 0 {
		b.Fatal("no key was timed")
	}
	slices.Sort(all)
	at := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / 1e6 }
	b.ReportMetric(at(0.5), "key-p50-ms")
	b.ReportMetric(at(0.99), "key-p99-ms")
	b.ReportMetric(float64(all[len(all)-1])/1e6, "key-max-ms")
	b.ReportMetric(float64(filled.Milliseconds())/float64(b.N), "fill-ms")
	b.ReportMetric(float64(len(all))/float64(b.N), "keys/op")
}

// writeHour writes what wamon serve would have exported for numbers (the demo's
// figures), every `every` for steps, as OpenMetrics with timestamps: each family's
// samples together, as the format wants. It returns how many samples it wrote.
func writeHour(path string, numbers []string, from time.Time, steps int, every time.Duration) (int, error) {
	now := from
	demo := source.NewDemo(source.DemoOptions{Seed: 1, Numbers: numbers, Now: func() time.Time { return now }})
	clock := monitor.NewManualClock(from)
	eng := monitor.New(monitor.Config{Source: demo, Numbers: numbers, Interval: every, Clock: clock})
	reg := prometheus.NewRegistry()
	reg.MustRegister(export.NewCollector(eng, nil))

	// One file per family, joined at the end: the samples of a family stay together
	// without holding the hour in memory.
	dir := filepath.Dir(path)
	parts := map[string]*bufio.Writer{}
	files := map[string]*os.File{}
	heads := map[string]string{}
	samples := 0
	for k := range steps + 1 {
		now = from.Add(time.Duration(k) * every)
		clock.Set(now)
		for i, n := range numbers {
			snap, err := demo.Fetch(context.Background(), n)
			snap.FetchedAt = now
			eng.Record(i, snap, err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			return 0, err
		}
		for _, mf := range mfs {
			ms := now.UnixMilli()
			for _, m := range mf.Metric {
				m.TimestampMs = &ms
			}
			var buf bytes.Buffer
			if _, err := expfmt.MetricFamilyToOpenMetrics(&buf, mf); err != nil {
				return 0, err
			}
			name := mf.GetName()
			w := parts[name]
			if w == nil {
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%d", len(files))))
				if err != nil {
					return 0, err
				}
				files[name], w = f, bufio.NewWriter(f)
				parts[name] = w
			}
			var head strings.Builder
			for _, line := range strings.SplitAfter(buf.String(), "\n") {
				if strings.HasPrefix(line, "#") {
					head.WriteString(line)
					continue
				}
				if line != "" {
					samples++
					w.WriteString(line)
				}
			}
			if heads[name] == "" {
				heads[name] = head.String()
			}
		}
	}
	out, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := parts[name].Flush(); err != nil {
			return 0, err
		}
		f := files[name]
		out.WriteString(heads[name])
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		if _, err := io.Copy(out, f); err != nil {
			return 0, err
		}
		f.Close()
		os.Remove(f.Name())
	}
	_, err = out.WriteString("# EOF\n")
	return samples, err
}

func execOutput(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
