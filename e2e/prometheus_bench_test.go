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
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/wamon/wamon/export"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// BenchmarkPrometheusFill measures the Prometheus source's start-up: a console of 50
// numbers opening with a one-hour window (15 s steps) that a real Prometheus holds. The
// hour is the demo's, as wamon serve would have exported it every 15 s, written as
// OpenMetrics with timestamps and loaded with promtool tsdb create-blocks-from; Prometheus
// then starts on those blocks. One op is Start to the window filed. The README's
// start-up figure comes from here (target: under 2 s).
func BenchmarkPrometheusFill(b *testing.B) {
	tools := promTools(b, "prometheus", "promtool")
	const (
		numbers = 50
		every   = 15 * time.Second
		steps   = 240 // an hour
	)
	dir := b.TempDir()
	var nums []string
	for i := range numbers {
		nums = append(nums, fmt.Sprintf("+1202555%04d", i))
	}
	end := time.Now().Truncate(every)
	from := end.Add(-steps * every)
	om := filepath.Join(dir, "hour.om")
	samples, err := writeHour(om, nums, from, steps, every)
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
	base := "http://127.0.0.1:" + port
	api := promAPI{t: b, base: base}
	api.waitFor("prometheus ready with the hour", 60*time.Second, func() (bool, error) {
		got, err := api.query(fmt.Sprintf(`count(count_over_time(wamon_up[2h] @ %d))`, end.Unix()))
		return err == nil && len(got) == 1 && got[0].value == numbers, fmt.Errorf("%v %v", got, err)
	})
	b.Logf("%d samples over %d numbers in Prometheus", samples, numbers)

	b.ResetTimer()
	for b.Loop() {
		src, err := source.NewPrometheus(source.PrometheusOptions{URL: base, Timeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		// The window ends at the hour's end, as if the console opened then.
		clock := monitor.NewManualClock(end)
		eng := monitor.New(monitor.Config{Source: src, Numbers: nums, Interval: every, History: steps + 1, Clock: clock})
		sub := eng.Subscribe()
		eng.Start()
		for eng.Filling() {
			<-sub.C()
		}
		b.StopTimer()
		for i := range numbers {
			eng.Read(i, func(v *monitor.View) {
				if v.History.Len() < steps-1 {
					b.Fatalf("%s holds %d polls after the fill, want %d", v.Number, v.History.Len(), steps)
				}
			})
		}
		sub.Close()
		eng.Stop()
		b.StartTimer()
	}
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
