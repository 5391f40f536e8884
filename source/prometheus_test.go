package source_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/export"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// The Prometheus source against the real exporter: what wamon serve exports, a
// Prometheus keeps (the fake, fed by the exporter's own registry), and the source reads
// back must be the payload the exporter polled, in the payload's names and units.

const (
	rich  = "+12025550100"
	multi = "+12025550101"
	down  = "+12025550102"
)

func fixture(t testing.TB, name string) source.Snapshot {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "decode", name))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := source.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// exporter is an engine of the three numbers (rich.json, multiconnect.json, and one whose
// poll failed) with its registry, as wamon serve --metrics-listen runs it.
func exporter(t testing.TB, polled time.Time) (*monitor.Engine, map[string]source.Snapshot) {
	t.Helper()
	clock := monitor.NewManualClock(polled)
	eng := monitor.New(monitor.Config{Source: source.NewDemo(source.DemoOptions{Seed: 1}),
		Numbers: []string{rich, multi, down}, Interval: 5 * time.Second, Clock: clock})
	want := map[string]source.Snapshot{rich: fixture(t, "rich.json"), multi: fixture(t, "multiconnect.json")}
	// Labels wamon (number) and Prometheus (job, instance) take for themselves.
	want[rich].Metrics["odd_labels"] = &source.Metric{Name: "odd_labels", Group: "app", Type: source.Gauge, Help: "taken",
		Samples: []source.Sample{{Labels: source.NewLabels(map[string]string{"number": "7", "job": "x", "instance": "y"}), Value: 1}}}
	for i, n := range []string{rich, multi} {
		s := want[n]
		s.FetchedAt = polled.Add(time.Duration(i) * 123456 * time.Microsecond)
		s.Latency = 84 * time.Millisecond
		want[n] = s
		eng.Record(i, s, nil)
	}
	eng.Record(2, source.Snapshot{FetchedAt: polled}, &source.APIError{Code: "WS500", Message: "\x1b[31minvalid number"})
	return eng, want
}

// history is what History hands over, by number, and the first error with its number.
func history(p *source.Prometheus, numbers []string, from, to time.Time, step time.Duration) ([][]source.Outcome, error) {
	past := make([][]source.Outcome, len(numbers))
	var first error
	p.History(context.Background(), numbers, from, to, step, func(i int, outs []source.Outcome, err error) {
		past[i] = outs
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", numbers[i], err)
		}
	})
	return past, first
}

func newSource(t testing.TB, url string) *source.Prometheus {
	t.Helper()
	p, err := source.NewPrometheus(source.PrometheusOptions{URL: url, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrometheusReadsBackWhatTheExporterPolled(t *testing.T) {
	polled := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	eng, want := exporter(t, polled)
	fake, srv := newFakeProm(t)
	fake.scrape(t, export.Registry(eng, nil), time.Now().Add(-10*time.Second), "poller:9464")
	p := newSource(t, srv.URL)

	for _, n := range []string{rich, multi} {
		got, err := p.Fetch(context.Background(), n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		orig := want[n]
		if got.Number != n || !got.FetchedAt.Equal(orig.FetchedAt.Truncate(time.Microsecond)) && got.FetchedAt.Sub(orig.FetchedAt).Abs() > time.Microsecond {
			t.Errorf("%s: number %q, fetched at %v, want the exporter's poll at %v", n, got.Number, got.FetchedAt, orig.FetchedAt)
		}
		if got.Latency != orig.Latency {
			t.Errorf("%s: latency %v, want the exporter's %v", n, got.Latency, orig.Latency)
		}
		if len(got.Metrics) != len(orig.Metrics) {
			t.Errorf("%s: %d metrics, want %d: %v", n, len(got.Metrics), len(orig.Metrics), got.MetricNames())
		}
		for name, om := range orig.Metrics {
			gm := got.Metric(name)
			if gm == nil {
				t.Errorf("%s: %s missing", n, name)
				continue
			}
			// Every fact of the metric comes back from the info series, though the store
			// keeps no metadata.
			if gm.Type != om.Type || gm.Group != om.Group || gm.Help != om.Help {
				t.Errorf("%s: %s is %s in %q with help %q, want %s in %q with %q", n, name, gm.Type, gm.Group, gm.Help, om.Type, om.Group, om.Help)
			}
			values := map[string]float64{}
			for _, s := range gm.Samples {
				values[s.Labels.String()] = s.Value
			}
			kept := 0
			for _, s := range om.Samples {
				if math.IsNaN(s.Value) || s.Value < 0 && om.IsCounter() {
					continue // the exporter drops these
				}
				kept++
				v, ok := values[s.Labels.String()]
				if !ok || v != s.Value {
					t.Errorf("%s: %s{%s} = %v (%v), want %v", n, name, s.Labels, v, ok, s.Value)
				}
			}
			if kept != len(gm.Samples) {
				t.Errorf("%s: %s has %d samples, want %d", n, name, len(gm.Samples), kept)
			}
		}
		if !strings.HasPrefix(string(got.Raw), "# prometheus query: {") {
			t.Errorf("%s: raw %q", n, got.Raw)
		}
	}
	got, _ := p.Fetch(context.Background(), multi)
	if len(got.Nodes) != 2 || got.Nodes[0].Name != "wa-node-1:3f2a9c1b7d4e" || got.Nodes[1].Name != "wa-node-3:0a1b2c3d4e5f" {
		t.Errorf("nodes %v, want the two that had metrics", got.Nodes)
	}
	if p.Name() != "prometheus "+srv.URL {
		t.Errorf("name %q", p.Name())
	}
}

func TestPrometheusFailedExporterPollIsTheNumbersError(t *testing.T) {
	eng, _ := exporter(t, time.Now().Add(-time.Minute))
	fake, srv := newFakeProm(t)
	fake.scrape(t, export.Registry(eng, nil), time.Now().Add(-5*time.Second), "poller:9464")
	_, err := newSource(t, srv.URL).Fetch(context.Background(), down)
	var up *source.UpstreamError
	if !errors.As(err, &up) {
		t.Fatalf("error %T %v, want an UpstreamError", err, err)
	}
	if got := err.Error(); got != "WS500: invalid number (invalid or incorrect FROM number, or server failure)" {
		t.Errorf("error %q", got)
	}
	if source.Reason(err) != "WS500" || source.ErrorKind(err) != "api" {
		t.Errorf("reason %q, kind %q", source.Reason(err), source.ErrorKind(err))
	}
}

func TestPrometheusPrefersTheFreshestOfTwoExporters(t *testing.T) {
	// Two wamons watch the same number (a pair for high availability): one polled a
	// minute ago and failed since, one polled just now.
	old := time.Now().Add(-time.Minute)
	a, _ := exporter(t, old)
	b, want := exporter(t, time.Now().Add(-2*time.Second))
	fake, srv := newFakeProm(t)
	fake.scrape(t, export.Registry(a, nil), time.Now().Add(-3*time.Second), "a:9464")
	fake.scrape(t, export.Registry(b, nil), time.Now().Add(-1*time.Second), "b:9464")
	got, err := newSource(t, srv.URL).Fetch(context.Background(), rich)
	if err != nil {
		t.Fatal(err)
	}
	if got.FetchedAt.Sub(want[rich].FetchedAt).Abs() > time.Microsecond {
		t.Errorf("read the poll of %v, want the fresher one of %v", got.FetchedAt, want[rich].FetchedAt)
	}
	// Each series once: the other target's are not mixed in.
	if q := got.Metric(source.QueueSize); q == nil || len(q.Samples) != 1 {
		t.Errorf("queue %+v", q)
	}
}

func TestPrometheusListsTheNumbersItHas(t *testing.T) {
	eng, _ := exporter(t, time.Now().Add(-time.Minute))
	fake, srv := newFakeProm(t)
	p := newSource(t, srv.URL)
	_, _, err := p.Numbers(context.Background())
	var none *source.NoDataError
	if !errors.As(err, &none) || !strings.Contains(err.Error(), "is wamon serve --metrics-listen scraped?") {
		t.Errorf("an empty Prometheus: %v", err)
	}
	fake.scrape(t, export.Registry(eng, nil), time.Now().Add(-5*time.Second), "poller:9464")
	numbers, skipped, err := p.Numbers(context.Background())
	if err != nil || strings.Join(numbers, ",") != rich+","+multi+","+down || len(skipped) != 0 {
		t.Errorf("numbers %v, skipped %v, err %v", numbers, skipped, err)
	}
	// A number Prometheus does not have is no data, said in one line.
	_, err = p.Fetch(context.Background(), "+442071838750")
	if !errors.As(err, &none) || source.Reason(err) != "no data" || strings.Contains(err.Error(), "\n") {
		t.Errorf("unknown number: %v (reason %q)", err, source.Reason(err))
	}
}

func TestPrometheusHistoryIsEveryPollInTheWindowOnce(t *testing.T) {
	// The exporter polls every 10 s and is scraped every 15 s; the console asks in
	// steps of 5 s. Each poll comes back once, in order; while the exporter's poll
	// failed, its steps are failures; before Prometheus knew anything, nothing.
	fake, srv := newFakeProm(t)
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	clock := monitor.NewManualClock(base)
	eng := monitor.New(monitor.Config{Source: source.NewDemo(source.DemoOptions{Seed: 1}), Numbers: []string{rich}, Interval: 10 * time.Second, Clock: clock})
	var polls []time.Time
	scrapeAt := base.Add(5 * time.Second)
	for k := range 12 {
		at := base.Add(time.Duration(k) * 10 * time.Second)
		clock.Set(at)
		if k == 6 || k == 7 {
			eng.Record(0, source.Snapshot{FetchedAt: at}, &source.TransportError{Kind: source.Timeout, Timeout: 10 * time.Second})
		} else {
			s := fixture(t, "seed-success.json")
			s.FetchedAt = at
			s.Metric(source.CallbackCount).Samples[0].Value = float64(1000 + 50*k)
			eng.Record(0, s, nil)
			polls = append(polls, at)
		}
		for ; scrapeAt.Before(at.Add(10 * time.Second)); scrapeAt = scrapeAt.Add(15 * time.Second) {
			if !scrapeAt.Before(at) {
				fake.scrape(t, export.Registry(eng, nil), scrapeAt, "poller:9464")
			}
		}
	}
	p := newSource(t, srv.URL)
	past, err := history(p, []string{rich}, base.Add(-time.Minute), base.Add(2*time.Minute), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var okAt []time.Time
	failures := 0
	for k, o := range past[0] {
		if k > 0 && !o.Snap.FetchedAt.After(past[0][k-1].Snap.FetchedAt) {
			t.Errorf("outcome %d at %v is not after the one before", k, o.Snap.FetchedAt)
		}
		if o.Err != nil {
			failures++
			if source.Reason(o.Err) != "timeout 10s" {
				t.Errorf("failure %v, reason %q", o.Err, source.Reason(o.Err))
			}
			continue
		}
		okAt = append(okAt, o.Snap.FetchedAt)
	}
	// Every poll that Prometheus scraped before the window closed.
	var want []time.Time
	for _, at := range polls {
		if scraped := at.Add(15 * time.Second); !at.After(base.Add(2*time.Minute)) && scraped.Before(base.Add(2*time.Minute+15*time.Second)) {
			want = append(want, at)
		}
	}
	if len(okAt) == 0 || len(okAt) > len(want) {
		t.Fatalf("%d good outcomes, want at most %d: %v", len(okAt), len(want), okAt)
	}
	for _, at := range okAt {
		found := false
		for _, w := range want {
			found = found || w.Sub(at).Abs() < time.Microsecond
		}
		if !found {
			t.Errorf("an outcome of a poll at %v that was never made", at)
		}
	}
	if failures == 0 {
		t.Error("the exporter's failing polls did not come back as failures")
	}
	if past[0][0].Err != nil {
		t.Errorf("the first outcome is a failure: %v (before Prometheus knew anything, there is nothing)", past[0][0].Err)
	}
}

// failures of Prometheus itself, each one line.
func TestPrometheusFailuresAreOneClearLineEach(t *testing.T) {
	jsonErr := func(status int, typ, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(`{"status":"error","errorType":"` + typ + `","error":"` + msg + `"}`))
		}
	}
	page := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	tests := []struct {
		name       string
		fail       http.HandlerFunc
		want       string
		reason     string
		kind       string
		timeoutOpt time.Duration
	}{
		{"422 execution", jsonErr(422, "execution", "expanding series: too many samples"),
			"prometheus HTTP 422 execution: expanding series: too many samples", "prometheus 422", "http", 0},
		{"400 bad data", jsonErr(400, "bad_data", "invalid parameter \\\"query\\\": 1:2: parse error"),
			`prometheus HTTP 400 bad_data: invalid parameter "query": 1:2: parse error`, "prometheus 400", "http", 0},
		{"503 query timeout", jsonErr(503, "timeout", "query timed out in query execution"),
			"prometheus HTTP 503 timeout: query timed out in query execution", "query timeout", "http", 0},
		{"503 unavailable", jsonErr(503, "unavailable", "TSDB not ready"),
			"prometheus HTTP 503 unavailable: TSDB not ready", "prometheus 503", "http", 0},
		{"502 proxy page", page(502, "<html><head><title>502 Bad Gateway</title></head></html>"),
			"prometheus HTTP 502: not Prometheus' API: HTML page", "prometheus 502", "http", 0},
		{"404 not Prometheus", page(404, "404 page not found\n"),
			"prometheus HTTP 404: not Prometheus' API: 404 page not found", "prometheus 404", "http", 0},
		{"200 not JSON", page(200, "<!DOCTYPE html><title>Grafana</title>"),
			"prometheus: not Prometheus' API: ", "prometheus", "http", 0},
		{"escape sequences", jsonErr(422, "execution", "\\u001b]0;pwned\\u0007bad\\u001b[2J"),
			"prometheus HTTP 422 execution: bad", "prometheus 422", "http", 0},
		{"slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			"timeout: no complete response within 200ms", "timeout 200ms", "transport", 200 * time.Millisecond},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[` + strings.Repeat(" ", 2<<20)))
		}, "response body over the 1 MiB cap", "too large", "too_large", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeProm(t)
			fake.fail = tt.fail
			opts := source.PrometheusOptions{URL: srv.URL, Timeout: 2 * time.Second, MaxBody: 1 << 20}
			if tt.timeoutOpt > 0 {
				opts.Timeout = tt.timeoutOpt
			}
			p, err := source.NewPrometheus(opts)
			if err != nil {
				t.Fatal(err)
			}
			for what, call := range map[string]func() error{
				"fetch": func() error { _, err := p.Fetch(context.Background(), rich); return err },
				"history": func() error {
					_, err := history(p, []string{rich}, time.Now().Add(-time.Hour), time.Now(), time.Minute)
					return err
				},
				"numbers": func() error { _, _, err := p.Numbers(context.Background()); return err },
			} {
				err := call()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				line := err.Error()
				if what == "history" {
					line = strings.TrimPrefix(line, rich+": ")
				}
				if !strings.HasPrefix(line, tt.want) || strings.ContainsAny(line, "\n\x1b\x07") {
					t.Errorf("%s: %q, want %q", what, line, tt.want)
				}
				if source.Reason(err) != tt.reason || source.ErrorKind(err) != tt.kind {
					t.Errorf("%s: reason %q kind %q, want %q %q", what, source.Reason(err), source.ErrorKind(err), tt.reason, tt.kind)
				}
			}
		})
	}
}

func TestPrometheusUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = newSource(t, "http://"+addr).Fetch(context.Background(), rich)
	if source.Reason(err) != "refused" || err.Error() != "refused: connection refused by "+addr {
		t.Errorf("%v (reason %q)", err, source.Reason(err))
	}
}

func TestPrometheusCredentialsAreSentNeverShown(t *testing.T) {
	fake, srv := newFakeProm(t)
	fake.fail = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }
	url := strings.Replace(srv.URL, "http://", "http://ops:s3cr3t-pw@", 1)
	p := newSource(t, url)
	_, err := p.Fetch(context.Background(), rich)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(p.Name(), "s3cr3t") {
		t.Errorf("error %v, name %q", err, p.Name())
	}
	if fake.auth[0] != "ops:s3cr3t-pw" {
		t.Errorf("basic auth sent: %q", fake.auth[0])
	}
	if _, err := source.NewPrometheus(source.PrometheusOptions{URL: "ftp://ops:s3cr3t-pw@host"}); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("a bad URL: %v", err)
	}
}
