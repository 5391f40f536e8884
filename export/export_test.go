package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// engineOf is an engine of the given numbers whose polls the test files itself.
func engineOf(t testing.TB, numbers ...string) (*monitor.Engine, *monitor.ManualClock) {
	t.Helper()
	clock := monitor.NewManualClock(t0)
	eng := monitor.New(monitor.Config{Source: source.NewDemo(source.DemoOptions{Seed: 1}), Numbers: numbers,
		Interval: 5 * time.Second, Thresholds: monitor.DefaultThresholds(), Clock: clock})
	return eng, clock
}

func decode(t testing.TB, body string) source.Snapshot {
	t.Helper()
	snap, err := source.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// A payload with a gauge, a callback summary in milliseconds, a counter, an untyped
// metric, a multiconnect node, and a number whose last poll failed.
const payload = `{"code":"WS201","data":{"stats":{"app":{"wa-1:aaaa":{
"callback_queue_size":{"help":"Current callback queue size","type":"gauge","data":[{"value":14}]},
"callback_requests_duration_ms_count":{"help":"Callback requests","type":"counter","data":[
 {"labels":{"type":"inbound_message","result":"success"},"value":1000},
 {"labels":{"type":"inbound_message","result":"99"},"value":10}]},
"callback_requests_duration_ms_sum":{"help":"Callback requests, total ms","type":"counter","data":[
 {"labels":{"type":"inbound_message","result":"success"},"value":120000},
 {"labels":{"type":"inbound_message","result":"99"},"value":9000}]},
"endpoint_requests":{"help":"Requests","type":"counter","data":[{"labels":{"endpoint":"/v1/messages","method":"post","result":"429"},"value":12}]},
"db_request_duration_us_count":{"type":"counter","data":[{"value":4}]},
"db_request_duration_us_sum":{"type":"counter","data":[{"value":2000}]},
"odd_thing":{"help":"h","data":[{"value":3}]}},"wa-2:bbbb":{}},
"db":{"db_pending_callbacks":{"help":"Pending callbacks","type":"gauge","data":[{"value":31}]}}}}}`

func TestCollectorExportsEveryMetricByPrometheusConventions(t *testing.T) {
	eng, clock := engineOf(t, "+12025550100", "+12025550101")
	clock.Advance(5 * time.Second)
	snap := decode(t, payload)
	snap.Latency = 84 * time.Millisecond
	eng.Record(0, snap, nil)
	eng.Record(1, decode(t, payload), nil)
	eng.Record(1, source.Snapshot{}, &source.APIError{Code: "WS500", Message: "x"})

	want := `
# HELP wamon_up 1 when wamon's last poll of the number succeeded, 0 when it failed or none has answered yet.
# TYPE wamon_up gauge
wamon_up{number="+12025550100"} 1
wamon_up{number="+12025550101"} 0
# HELP wamon_level The number's level: 0 ok, 1 warn, 2 crit (its last poll against wamon's thresholds), 3 error (its last poll failed); absent until a poll of it answers.
# TYPE wamon_level gauge
wamon_level{number="+12025550100"} 0
wamon_level{number="+12025550101"} 3
# HELP wamon_metric_info What each exported payload series carries: the payload metric, stats group, type, unit and help it comes from, for whoever reads the series back (wamon --source prometheus).
# TYPE wamon_metric_info gauge
wamon_metric_info{group="app",help="",metric="whatsapp_db_request_duration_seconds_count",number="",payload="db_request_duration_us_count",type="counter",unit=""} 1
wamon_metric_info{group="app",help="",metric="whatsapp_db_request_duration_seconds_sum",number="",payload="db_request_duration_us_sum",type="counter",unit="us"} 1
wamon_metric_info{group="app",help="Callback requests",metric="whatsapp_callback_requests_duration_seconds_count",number="",payload="callback_requests_duration_ms_count",type="counter",unit=""} 1
wamon_metric_info{group="app",help="Callback requests, total ms",metric="whatsapp_callback_requests_duration_seconds_sum",number="",payload="callback_requests_duration_ms_sum",type="counter",unit="ms"} 1
wamon_metric_info{group="app",help="Current callback queue size",metric="whatsapp_callback_queue_size",number="",payload="callback_queue_size",type="gauge",unit=""} 1
wamon_metric_info{group="app",help="Requests",metric="whatsapp_endpoint_requests_total",number="",payload="endpoint_requests",type="counter",unit=""} 1
wamon_metric_info{group="app",help="h",metric="whatsapp_odd_thing",number="",payload="odd_thing",type="untyped",unit=""} 1
wamon_metric_info{group="db",help="Pending callbacks",metric="whatsapp_db_pending_callbacks",number="",payload="db_pending_callbacks",type="gauge",unit=""} 1
# HELP whatsapp_callback_queue_size Current callback queue size (wamon: payload callback_queue_size, group app, unit -; as of wamon's last poll, a scrape does not call the API)
# TYPE whatsapp_callback_queue_size gauge
whatsapp_callback_queue_size{node="wa-1:aaaa",number="+12025550100"} 14
# HELP whatsapp_callback_requests_duration_seconds Callback requests (wamon: payload callback_requests_duration_ms, group app, unit ms; as of wamon's last poll, a scrape does not call the API)
# TYPE whatsapp_callback_requests_duration_seconds summary
whatsapp_callback_requests_duration_seconds_sum{node="wa-1:aaaa",number="+12025550100",result="99",type="inbound_message"} 9
whatsapp_callback_requests_duration_seconds_count{node="wa-1:aaaa",number="+12025550100",result="99",type="inbound_message"} 10
whatsapp_callback_requests_duration_seconds_sum{node="wa-1:aaaa",number="+12025550100",result="success",type="inbound_message"} 120
whatsapp_callback_requests_duration_seconds_count{node="wa-1:aaaa",number="+12025550100",result="success",type="inbound_message"} 1000
# HELP whatsapp_db_pending_callbacks Pending callbacks (wamon: payload db_pending_callbacks, group db, unit -; as of wamon's last poll, a scrape does not call the API)
# TYPE whatsapp_db_pending_callbacks gauge
whatsapp_db_pending_callbacks{number="+12025550100"} 31
# HELP whatsapp_db_request_duration_seconds (wamon: payload db_request_duration_us, group app, unit us; as of wamon's last poll, a scrape does not call the API)
# TYPE whatsapp_db_request_duration_seconds summary
whatsapp_db_request_duration_seconds_sum{node="wa-1:aaaa",number="+12025550100"} 0.002
whatsapp_db_request_duration_seconds_count{node="wa-1:aaaa",number="+12025550100"} 4
# HELP whatsapp_endpoint_requests_total Requests (wamon: payload endpoint_requests, group app, unit -; as of wamon's last poll, a scrape does not call the API)
# TYPE whatsapp_endpoint_requests_total counter
whatsapp_endpoint_requests_total{endpoint="/v1/messages",method="post",node="wa-1:aaaa",number="+12025550100",result="429"} 12
# HELP whatsapp_odd_thing h (wamon: payload odd_thing, group app, unit -; as of wamon's last poll, a scrape does not call the API)
# TYPE whatsapp_odd_thing untyped
whatsapp_odd_thing{node="wa-1:aaaa",number="+12025550100"} 3
`
	names := []string{"wamon_up", "wamon_level", "wamon_metric_info", "whatsapp_callback_queue_size", "whatsapp_callback_requests_duration_seconds",
		"whatsapp_db_pending_callbacks", "whatsapp_db_request_duration_seconds", "whatsapp_endpoint_requests_total", "whatsapp_odd_thing"}
	if err := testutil.CollectAndCompare(NewCollector(eng, nil), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// wamon's own: polls and errors by kind, the last success, how long the last poll took.
	reg := Registry(eng, nil)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			key := mf.GetName()
			for _, l := range m.Label {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				got[key] = m.Gauge.GetValue()
			}
		}
	}
	for key, want := range map[string]float64{
		"wamon_polls_total,number=+12025550101":                      2,
		"wamon_poll_errors_total,kind=api,number=+12025550101":       1,
		"wamon_poll_errors_total,kind=transport,number=+12025550101": 0,
		"wamon_last_error_info,kind=api,message=WS500: x (invalid or incorrect FROM number, or server failure),number=+12025550101,reason=WS500": 1,
		"wamon_poll_duration_seconds,number=+12025550100":                 0.084,
		"wamon_last_success_timestamp_seconds,number=+12025550100":        float64(t0.Add(5 * time.Second).Unix()),
		"wamon_last_success_timestamp_seconds,number=+12025550101":        float64(t0.Add(5 * time.Second).Unix()),
		"whatsapp_callback_queue_size,node=wa-1:aaaa,number=+12025550100": 14,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	// The failing number exports no payload series at all.
	for key := range got {
		if strings.HasPrefix(key, "whatsapp_") && strings.Contains(key, "+12025550101") {
			t.Errorf("the failing number exports %s", key)
		}
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("no Go collector")
	}
}

// promtool's lint says exactly what the README says it does: nothing of the metrics the
// WhatsApp client is documented to carry (rich.json, db-meta.json, multiconnect.json),
// of the demo's, or of the halves of a pair exported apart; and, of each row of the
// README's table of odd payload names, the warning the row gives.
func TestPromtoolSaysWhatTheReadmeSays(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" && !strings.Contains(os.Getenv("WAMON_CI_UNINSTALLABLE"), "prometheus") {
			t.Fatal("promtool not installed: .ci/run installs Debian's prometheus")
		}
		t.Skip("promtool not installed (Debian's prometheus package has it)")
	}
	rows := readmePromtoolRows(t)
	numbers := append(source.DemoNumbers(), "+12025550190", "+12025550191", "+12025550192", "+12025550193", "+12025550194")
	eng, clock := engineOf(t, numbers...)
	demo := source.NewDemo(source.DemoOptions{Seed: 1, Numbers: source.DemoNumbers(), Now: clock.Now})
	for range 5 {
		clock.Advance(5 * time.Second)
		for i, n := range source.DemoNumbers() {
			snap, err := demo.Fetch(context.Background(), n)
			eng.Record(i, snap, err)
		}
	}
	k := len(source.DemoNumbers())
	for _, name := range []string{"rich.json", "db-meta.json", "multiconnect.json"} {
		body, err := os.ReadFile("../source/testdata/decode/" + name)
		if err != nil {
			t.Fatal(err)
		}
		eng.Record(k, decode(t, string(body)), nil)
		k++
	}
	eng.Record(k, decode(t, unpaired), nil)
	k++
	// The table's rows, one payload.
	var odd []string
	want := map[string]bool{}
	for _, r := range rows {
		for i, name := range r.payload {
			labels := "{}"
			if r.label != "" {
				labels = `{"` + r.label + `":"x"}`
			}
			odd = append(odd, fmt.Sprintf(`%q:{"help":"h","type":%q,"data":[{"labels":%s,"value":1}]}`, name, r.typ, labels))
			want[r.exported[i]+" "+r.says] = true
		}
	}
	eng.Record(k, decode(t, `{"code":"WS201","data":{"stats":{"app":{`+strings.Join(odd, ",")+`}}}}`), nil)

	srv := httptest.NewServer(Handler(Registry(eng, nil)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	for _, name := range []string{"whatsapp_callback_requests_duration_seconds_count", "whatsapp_endpoint_requests_total", "whatsapp_db_messages", "wamon_metric_info"} {
		if !strings.Contains(body.String(), name) {
			t.Fatalf("no %s exported:\n%.2000s", name, body.String())
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body.Bytes())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			got[line] = true
		}
	}
	for w := range want {
		if !got[w] {
			t.Errorf("the README says promtool says %q; it does not", w)
		}
	}
	for g := range got {
		if !want[g] {
			t.Errorf("promtool says %q; the README does not", g)
		}
	}
	if len(rows) < 6 {
		t.Errorf("the README's table has %d rows", len(rows))
	}
	// /healthz answers.
	h, err := http.Get(srv.URL + "/healthz")
	if err != nil || h.StatusCode != 200 {
		t.Errorf("/healthz: %v %v", h, err)
	}
}

// promtoolRow is a row of the README's table of what promtool says of odd payload names.
type promtoolRow struct {
	payload  []string // payload metric names
	typ      string   // their type
	label    string   // a label they carry, or ""
	exported []string // their exported names, in the same order
	says     string
}

// readmePromtoolRows reads the README's table under "What `promtool check metrics` says".
func readmePromtoolRows(t *testing.T) []promtoolRow {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "**What `promtool check metrics` says.**")
	if !ok {
		t.Fatal("the README has no section on what promtool says")
	}
	ticked := regexp.MustCompile("`([^`]+)`")
	var rows []promtoolRow
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 3 {
			if len(rows) > 0 && !strings.HasPrefix(line, "|") {
				break // the table's end
			}
			continue
		}
		r := promtoolRow{says: cells[2]}
		payload, label, _ := strings.Cut(cells[0], " with a label ")
		for _, m := range ticked.FindAllStringSubmatch(payload, -1) {
			r.payload = append(r.payload, m[1])
		}
		if m := ticked.FindStringSubmatch(label); m != nil {
			r.label = m[1]
		}
		r.typ = regexp.MustCompile(`\((\w+)s?\)`).FindStringSubmatch(payload)[1]
		r.typ = strings.TrimSuffix(r.typ, "s")
		for _, m := range ticked.FindAllStringSubmatch(cells[1], -1) {
			r.exported = append(r.exported, m[1])
		}
		if len(r.payload) == 0 || len(r.payload) != len(r.exported) {
			t.Fatalf("README row %q: %d payload names, %d exported", line, len(r.payload), len(r.exported))
		}
		rows = append(rows, r)
	}
	return rows
}
