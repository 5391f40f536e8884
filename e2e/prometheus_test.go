package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
	"github.com/wamon/wamon/ui"
)

// promTools finds Debian's prometheus and promtool (needTools says what a missing one means).
func promTools(t testing.TB, names ...string) []string {
	t.Helper()
	return needTools(t, "prometheus", names...)
}

// promtoolRun runs promtool and fails the test on an exit status other than 0, showing
// what it said; ok is whether it exited 0.
func promtoolRun(t testing.TB, promtool string, stdin []byte, args ...string) (out string, ok bool) {
	t.Helper()
	cmd := exec.Command(promtool, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	b, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("promtool %s: %v", strings.Join(args, " "), err)
	}
	if err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return string(b), err == nil
}

// The examples are what an operator copies: the scrape config and the alert rules pass
// promtool's checks with every lint fatal, and the rules pass their unit tests, which
// cover every alert.
func TestPrometheusExamplesPassPromtool(t *testing.T) {
	promtool := promTools(t, "promtool")[0]
	promtoolRun(t, promtool, nil, "check", "config", "--lint=all", "--lint-fatal", "../examples/prometheus.yml")
	promtoolRun(t, promtool, nil, "check", "config", "--agent", "--lint=all", "--lint-fatal", "../examples/prometheus-agent.yml")
	if vm := needTools(t, "victoria-metrics", "victoria-metrics")[0]; true {
		if out, err := exec.Command(vm, "-promscrape.config=../examples/victoria-scrape.yml", "-promscrape.config.dryRun", "-loggerLevel=ERROR").CombinedOutput(); err != nil {
			t.Errorf("victoria-metrics -promscrape.config.dryRun examples/victoria-scrape.yml: %v\n%s", err, out)
		}
	}
	promtoolRun(t, promtool, nil, "check", "rules", "--lint=all", "--lint-fatal", "../examples/alerts.yml")
	if out, ok := promtoolRun(t, promtool, nil, "test", "rules", "../examples/alerts_test.yml"); ok && !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules did not say SUCCESS:\n%s", out)
	}

	// Every alert has a unit test, and the scrape config loads the rules.
	rules, err := os.ReadFile("../examples/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("../examples/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	alerts := regexp.MustCompile(`(?m)^\s*- alert: (\w+)\s*$`).FindAllStringSubmatch(string(rules), -1)
	if len(alerts) < 5 {
		t.Fatalf("examples/alerts.yml has %d alerts, want at least 5", len(alerts))
	}
	for _, a := range alerts {
		if !regexp.MustCompile(`(?m)^\s*alertname: ` + a[1] + `\s*$`).Match(tests) {
			t.Errorf("alert %s has no test in examples/alerts_test.yml", a[1])
		}
	}
	config, err := os.ReadFile("../examples/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^rule_files:\s*\n\s+- alerts\.yml\s*$`).Match(config) {
		t.Error("examples/prometheus.yml does not load alerts.yml")
	}
}

// promSample is one sample of an instant query's answer.
type promSample struct {
	labels map[string]string
	value  float64
}

// promAPI queries a running Prometheus.
type promAPI struct {
	t    testing.TB
	base string
}

// query runs an instant query and returns its vector (empty when it has no series).
func (p promAPI) query(q string) ([]promSample, error) {
	resp, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d, %v", q, resp.StatusCode, err)
	}
	if body.Status != "success" || body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: %s %s (%s)", q, body.Status, body.Error, body.Data.ResultType)
	}
	var out []promSample
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: value %v: %v", q, r.Value[1], err)
		}
		out = append(out, promSample{labels: r.Metric, value: v})
	}
	return out, nil
}

// one runs a query that must answer one series and returns its value.
func (p promAPI) one(q string) float64 {
	p.t.Helper()
	got, err := p.query(q)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(got) != 1 {
		p.t.Fatalf("%s: %d series, want 1: %v", q, len(got), got)
	}
	return got[0].value
}

// none checks a query answers no series.
func (p promAPI) none(q string) {
	p.t.Helper()
	got, err := p.query(q)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(got) != 0 {
		p.t.Errorf("%s: want no series, got %v", q, got)
	}
}

// waitFor polls until cond holds (an error is a not yet), failing after within.
func (p promAPI) waitFor(what string, within time.Duration, cond func() (bool, error)) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not within %v (last error: %v)", what, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// valueIs is a waitFor condition: the query answers one series of value want.
func (p promAPI) valueIs(q string, want float64) func() (bool, error) {
	return func() (bool, error) {
		got, err := p.query(q)
		if err != nil {
			return false, err
		}
		if len(got) != 1 || got[0].value != want {
			return false, fmt.Errorf("%s = %v", q, got)
		}
		return true, nil
	}
}

// Callbacks one poll of a healthy fault-server number adds up, over its three callback
// series (faketest's healthy payload: +10, +1 and +50), and the share of 429s among its
// Burst429 number's /v1/messages requests (120 of every 1,000).
const (
	promCallbacksPerPoll = 10 + 1 + 50
	promShare429         = 0.12
)

// wamon serve --metrics-listen as Prometheus sees it: the real binary polling the fault
// server every second, a real Prometheus (Debian's) scraping it every second with the
// example alert rules loaded, and PromQL over what it stored.
func TestPrometheusScrapesServe(t *testing.T) {
	promtool := promTools(t, "prometheus", "promtool")[1]
	if testing.Short() {
		t.Skip("-short")
	}
	start := time.Now()
	dir := t.TempDir()
	bin := wamonBin

	const (
		healthy  = "+12025550100"
		queue    = "+12025550101"
		burst    = "+12025550102"
		multi    = "+12025550103"
		failing  = "+12025550104" // WS406 from the first poll
		flipping = "+12025550105" // healthy, then WS406 once Prometheus has its series
	)
	srv := faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	srv.Set(healthy, faketest.Healthy)
	srv.Set(queue, faketest.QueueCritical)
	srv.Set(burst, faketest.Burst429)
	srv.Set(multi, faketest.Multiconnect)
	srv.Set(failing, faketest.WS406)
	srv.Set(flipping, faketest.Healthy)
	numbers := []string{healthy, queue, burst, multi, failing, flipping}
	succeeding := []string{healthy, queue, burst, multi}

	// wamon serve, metrics only, on a port it picks and says.
	wamon := startExporter(t, dir, srv.URL, numbers, time.Second)
	target := wamon.target

	// Prometheus, scraping wamon every second and evaluating the example rules every
	// second.
	rules, err := os.ReadFile("../examples/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "alerts.yml"), string(rules))
	config := strings.Replace(scrapeConfig([]string{target}, ""), "scrape_configs:", "  evaluation_interval: 1s\nrule_files:\n  - alerts.yml\nscrape_configs:", 1)
	writeFile(t, filepath.Join(dir, "check.yml"), config)
	promtoolRun(t, promtool, nil, "check", "config", filepath.Join(dir, "check.yml"))
	prom := startPrometheus(t, dir, "prometheus", config)
	api := promAPI{t: t, base: prom.base}
	t.Logf("wamon and prometheus up after %v", time.Since(start).Round(time.Millisecond))

	api.waitFor(`up{job="wamon"} is 1`, 15*time.Second, api.valueIs(`up{job="wamon"}`, 1))
	api.waitFor("the flipping number's payload in Prometheus", time.Minute, func() (bool, error) {
		got, err := api.query(`count({__name__=~"whatsapp_.+", number="` + flipping + `"})`)
		return err == nil && len(got) == 1 && got[0].value > 0, fmt.Errorf("%v %v", got, err)
	})

	// A number that answered and then fails: its payload series go at the next scrape
	// (Prometheus marks them stale), never repeated as if fresh.
	srv.Set(flipping, faketest.WS406)
	failedAt := srv.Polls(flipping)
	// How fast the fault server's counters grow, measured from here to the rates.
	polled, polledAt := srv.Polls(healthy), time.Now()

	// Polls of the WS406 number counted as API errors so far, to see them grow.
	var errorsBefore float64
	api.waitFor("wamon_poll_errors_total of the WS406 number", time.Minute, func() (bool, error) {
		got, err := api.query(`wamon_poll_errors_total{number="` + failing + `",kind="api"}`)
		if err != nil || len(got) != 1 {
			return false, fmt.Errorf("%v %v", got, err)
		}
		errorsBefore = got[0].value
		return errorsBefore >= 1, fmt.Errorf("%v", got)
	})

	// The rates need a full 10 s window of one-second scrapes, and a scrape before it:
	// a window that starts before the first scrape is extrapolated short.
	api.waitFor("12 s of scrapes", 90*time.Second, func() (bool, error) {
		got, err := api.query(`count_over_time(up{job="wamon"}[13s])`)
		return err == nil && len(got) == 1 && got[0].value >= 12, fmt.Errorf("%v %v", got, err)
	})
	if polls := srv.Polls(flipping) - failedAt; polls < 2 {
		t.Fatalf("the flipping number was polled %d times since it fails, want at least 2", polls)
	}

	// wamon_up: 1 for the numbers that answer, 0 for the failing ones.
	for _, n := range succeeding {
		if v := api.one(`wamon_up{number="` + n + `"}`); v != 1 {
			t.Errorf("wamon_up{number=%q} = %v, want 1", n, v)
		}
	}
	for _, n := range []string{failing, flipping} {
		if v := api.one(`wamon_up{number="` + n + `"}`); v != 0 {
			t.Errorf("wamon_up{number=%q} = %v, want 0", n, v)
		}
		api.none(`count({__name__=~"whatsapp_.+", number="` + n + `"})`)
		// wamon's own series go on.
		if v := api.one(`count({__name__=~"wamon_.+", number="` + n + `"})`); v < 5 {
			t.Errorf("%s has %v wamon_* series, want wamon's own series", n, v)
		}
	}

	// Values: the queue past critical, the multiconnect number's active node.
	if v := api.one(`whatsapp_callback_queue_size{number="` + queue + `"}`); v != faketest.CriticalQueue {
		t.Errorf("whatsapp_callback_queue_size of the QueueCritical number = %v, want %d", v, faketest.CriticalQueue)
	}
	if v := api.one(`count({__name__=~"whatsapp_callback_.+", number="` + multi + `", node="` + faketest.ActiveNode + `"})`); v < 3 {
		t.Errorf("the multiconnect number has %v callback series on node %s, want every one", v, faketest.ActiveNode)
	}
	api.none(`{__name__=~"whatsapp_callback_.+", number="` + multi + `", node!="` + faketest.ActiveNode + `"}`)
	api.none(`{__name__=~"whatsapp_.+", node="` + faketest.StandbyNode + `"}`)

	// Rates: each poll adds promCallbacksPerPoll callbacks, and wamon polls each number
	// about every second (the interval after the poll's end). Over the same samples,
	// callbacks grow by exactly that much per poll.
	growth := promCallbacksPerPoll * float64(srv.Polls(healthy)-polled) / time.Since(polledAt).Seconds()
	t.Logf("the fault server's callback counters grow by %.1f/s", growth)
	rates := map[string]float64{}
	got, err := api.query(`sum by (number) (rate(whatsapp_callback_requests_duration_seconds_count[10s]))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		rates[s.labels["number"]] = s.value
	}
	for _, n := range succeeding {
		r := rates[n]
		if r <= 0 || math.Abs(r-growth) > 0.3*growth || math.Abs(r-promCallbacksPerPoll) > 0.3*promCallbacksPerPoll {
			t.Errorf("callbacks of %s grow by %.1f/s in Prometheus, want about %.1f/s as on the fault server (%d a poll, a poll a second)",
				n, r, growth, promCallbacksPerPoll)
		}
		// Instant values now and 5 s ago come from the same scrapes: no extrapolation.
		cb := `sum(whatsapp_callback_requests_duration_seconds_count{number="` + n + `"}`
		polls := `sum(wamon_polls_total{number="` + n + `"}`
		perPoll := api.one(`(` + cb + `) - ` + cb + ` offset 5s)) / (` + polls + `) - ` + polls + ` offset 5s))`)
		if math.Abs(perPoll-promCallbacksPerPoll) > 0.01*promCallbacksPerPoll {
			t.Errorf("callbacks of %s grow by %.2f per poll, want %d", n, perPoll, promCallbacksPerPoll)
		}
	}
	if len(rates) != len(succeeding) {
		t.Errorf("callback rates of %d numbers, want %d: %v", len(rates), len(succeeding), rates)
	}
	t.Logf("callback rates by number: %v", rates)
	share := api.one(`sum(rate(whatsapp_endpoint_requests_total{number="` + burst + `", endpoint="/v1/messages", result="429"}[10s]))` +
		` / sum(rate(whatsapp_endpoint_requests_total{number="` + burst + `", endpoint="/v1/messages"}[10s]))`)
	if math.Abs(share-promShare429) > 0.03 {
		t.Errorf("429 share on /v1/messages = %.3f, want %.2f ± 0.03", share, promShare429)
	}
	t.Logf("429 share on /v1/messages: %.4f", share)

	// The WS406 number's polls keep failing, each counted as an API error.
	api.waitFor("more API errors of the WS406 number", time.Minute, func() (bool, error) {
		got, err := api.query(`wamon_poll_errors_total{number="` + failing + `",kind="api"}`)
		return err == nil && len(got) == 1 && got[0].value > errorsBefore, fmt.Errorf("%v %v, was %v", got, err, errorsBefore)
	})
	if v := api.one(`wamon_poll_errors_total{number="` + failing + `",kind="transport"}`); v != 0 {
		t.Errorf("transport errors of the WS406 number = %v, want 0", v)
	}

	// The example rules, evaluated by Prometheus over these series: the queue and the
	// failing numbers' alerts are pending (their "for" has not passed), nothing else is.
	var active []string
	api.waitFor("the example alerts", 45*time.Second, func() (bool, error) {
		got, err := api.query(`ALERTS`)
		if err != nil {
			return false, err
		}
		active = active[:0]
		for _, s := range got {
			active = append(active, s.labels["alertname"]+" "+s.labels["number"]+" "+s.labels["alertstate"])
		}
		sort.Strings(active)
		return len(active) == 3, fmt.Errorf("ALERTS: %q", active)
	})
	want := []string{"CallbackQueuePastCritical " + queue + " pending", "WamonNoStats " + failing + " pending", "WamonNoStats " + flipping + " pending"}
	if strings.Join(active, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(active, "\n"), strings.Join(want, "\n"))
	}
	var rulesBody struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	resp, err := http.Get(api.base + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&rulesBody)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	nrules := 0
	for _, g := range rulesBody.Data.Groups {
		for _, r := range g.Rules {
			nrules++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	if nrules < 5 {
		t.Errorf("prometheus loaded %d rules, want the examples' every one", nrules)
	}

	// The exposition wamon serves passes promtool's lint.
	resp, err = http.Get("http://" + target + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %v %v", resp.Status, err)
	}
	if !bytes.Contains(body, []byte("whatsapp_endpoint_requests_total{")) {
		t.Fatalf("no endpoint requests in /metrics:\n%.3000s", body)
	}
	if out, ok := promtoolRun(t, promtool, body, "check", "metrics"); ok && strings.TrimSpace(out) != "" {
		t.Errorf("promtool check metrics:\n%s", out)
	}

	// The last hop: consoles elsewhere read it all back from Prometheus.
	consoleReadsPrometheus(t, bin, api, dir, queue, []string{failing, flipping}, succeeding)

	// SIGTERM stops wamon serve cleanly.
	if err := wamon.stop(5 * time.Second); err != nil {
		t.Errorf("wamon serve after SIGTERM: %v (want exit 0)", err)
	}
	if log, _ := os.ReadFile(wamon.log); !bytes.Contains(log, []byte(`"msg":"stopping"`)) {
		t.Errorf("wamon's log does not say it stopped:\n%.3000s", log)
	}
	stderr := []byte(wamon.output())
	for lines := bufio.NewScanner(bytes.NewReader(stderr)); lines.Scan(); {
		if !strings.HasPrefix(lines.Text(), "wamon serve: ") {
			t.Errorf("wamon serve's stderr: %q", lines.Text())
		}
	}
	t.Logf("took %v", time.Since(start).Round(time.Millisecond))
}

// consoleReadsPrometheus is the Prometheus source against the real Prometheus of
// TestPrometheusScrapesServe: wamon --once --json run as a user would, with no config and
// no key, and a console (its engine and its screens, through teatest) that opens with the
// window filled from query_range and goes on with instant queries. Both must show what
// Prometheus holds: the queue past critical, the failing numbers' reason, the callback
// rates and mean durations in the payload's units.
func consoleReadsPrometheus(t *testing.T, bin string, api promAPI, dir, queue string, failing, succeeding []string) {
	t.Helper()
	home := filepath.Join(dir, "elsewhere")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KALEYRA_API_KEY=") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin, "--once", "--json", "--prometheus-url", api.base)
	cmd.Env = append(env, "HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("wamon --once --prometheus-url: exit %d (%v), want 1 for the failing numbers\n%s", code, err, stderr.String())
	}
	lines := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("--once --json line %q: %v", line, err)
		}
		lines[l["number"].(string)] = l
	}
	if len(lines) != len(failing)+len(succeeding) {
		t.Errorf("--once found %d numbers in Prometheus, want %d", len(lines), len(failing)+len(succeeding))
	}
	if q := lines[queue]; q == nil || fmt.Sprint(q["metrics"].(map[string]any)[source.QueueSize]) != fmt.Sprintf("map[help:Current callback queue size samples:[map[labels:map[] value:%d]] type:gauge]", faketest.CriticalQueue) ||
		q["level"] != "crit" {
		t.Errorf("--once of the queue number: %v", q)
	}
	for _, n := range failing {
		if l := lines[n]; l == nil || l["ok"] != false || fmt.Sprint(l["reasons"]) != "[WS406]" ||
			l["error"].(map[string]any)["kind"] != "api" {
			t.Errorf("--once of failing %s: %v", n, l)
		}
	}

	// The console.
	src, err := source.NewPrometheus(source.PrometheusOptions{URL: api.base, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	numbers, _, err := src.Numbers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	eng := monitor.New(monitor.Config{Source: src, Numbers: numbers, Interval: time.Second, Timeout: 5 * time.Second,
		History: 120, Thresholds: monitor.DefaultThresholds()})
	sub := eng.Subscribe()
	defer sub.Close()
	started := time.Now()
	eng.Start()
	defer eng.Stop()
	for eng.Filling() {
		select {
		case <-sub.C():
		case <-time.After(90 * time.Second):
			t.Fatal("the console's history did not load in 90 s")
		}
	}
	t.Logf("the console loaded its window from Prometheus in %v", time.Since(started).Round(time.Millisecond))
	for _, n := range succeeding {
		i, _ := eng.Index(n)
		// Polling starts the moment the fill is in (the first number at once), so a live
		// poll may already be filed: the fill's polls are the history less those.
		eng.Read(i, func(v *monitor.View) {
			// Prometheus holds more than 12 s of one-second scrapes, wamon polls every second.
			if v.Last == nil || v.History.Len()-int(v.Polls) < 8 {
				t.Errorf("%s after the fill: the window holds %d polls, %d of them live, want a dozen from Prometheus", n, v.History.Len(), v.Polls)
			}
		})
	}
	loaded := false
	for _, ev := range eng.Events(monitor.EventFilter{}) {
		loaded = loaded || ev.Kind == monitor.EventHistory
	}
	if !loaded {
		t.Errorf("no history-loaded event: %v", eng.Events(monitor.EventFilter{}))
	}

	tm := teatest.NewTestModel(t, ui.New(ui.Options{Engine: eng, Location: time.UTC}), teatest.WithInitialTermSize(160, 48))
	// Live polls go on: two more of every succeeding number.
	deadline := time.Now().Add(time.Minute)
	for _, n := range succeeding {
		i, _ := eng.Index(n)
		for eng.Status(i).Polls < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d polls of Prometheus in a minute", n, eng.Status(i).Polls)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, n := range succeeding {
		i, _ := eng.Index(n)
		fig := eng.Figures(i, 10*time.Second)
		rate := api.one(`sum(rate(whatsapp_callback_requests_duration_seconds_count{number="` + n + `"}[10s]))`)
		if got := fig.Callbacks.Rate / 60; math.Abs(got-rate) > 0.3*rate {
			t.Errorf("%s: the console's callback rate %.1f/s, Prometheus' %.1f/s", n, got, rate)
		}
		mean := 1000 * api.one(`sum(rate(whatsapp_callback_requests_duration_seconds_sum{number="`+n+`"}[10s]))`) / rate
		if math.Abs(fig.Callbacks.MeanMs-mean) > 0.1*mean {
			t.Errorf("%s: the console's mean callback %.1f ms, Prometheus' %.1f ms", n, fig.Callbacks.MeanMs, mean)
		}
	}
	tm.Send(tea.KeyPressMsg{Code: 'o', Text: "o"})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	frame := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(time.Minute)).View().Content)
	row := func(n string) string {
		for _, l := range strings.Split(frame, "\n") {
			if strings.Contains(l, n+" ") && strings.Contains(l, "│") && !strings.Contains(l, "╭") {
				if f := strings.Fields(l); len(f) > 3 && (f[2] == n || f[3] == n) {
					return l
				}
			}
		}
		return ""
	}
	if r := row(queue); !strings.Contains(r, "CRIT") || !strings.Contains(r, "1.5k") {
		t.Errorf("the overview's row of the queue number: %q\n%s", r, frame)
	}
	for _, n := range failing {
		if r := row(n); !strings.Contains(r, "ERR") || !strings.Contains(r, "WS406") {
			t.Errorf("the overview's row of failing %s: %q\n%s", n, r, frame)
		}
	}
	if !strings.Contains(frame, "prometheus "+api.base) {
		t.Errorf("the header does not say where the stats come from:\n%s", frame)
	}
}
