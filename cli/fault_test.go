package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wamon/wamon/source/faketest"
)

// Fault-injection runs of the headless mode: the real flags, config and HTTP client
// against faketest, one number per scenario, polled in a single run.

const (
	faultKey = "fault-secret-key-4242"
	// The polls' timeout: what the scenarios that never answer (Hang, Drip) wait for,
	// and far past what the slowest answer (ThousandsSeries' 400 KB, the first MiB of
	// Huge) takes on a loaded machine, so that a slow answer never reads as a timeout.
	faultTimeout = 5 * time.Second
	// Over ThousandsSeries (about 400 KB), far under Huge (40 MiB): only Huge trips it.
	faultMaxBody = 1 << 20
	// A table row holds short cells and a note cut to 120 characters; 400 leaves room
	// while catching a 5,000-character label that slipped through.
	maxTableWidth = 400
)

// faultWant is the outcome --once must report for each scenario: "" is ok:true,
// anything else the error kind.
var faultWant = map[faketest.Scenario]string{
	faketest.Healthy:         "",
	faketest.Wrapped:         "",
	faketest.Backwards:       "",
	faketest.OddValues:       "",
	faketest.MissingFields:   "",
	faketest.Hostile:         "",
	faketest.LongLabels:      "",
	faketest.ThousandsSeries: "",
	faketest.QueueCritical:   "",
	faketest.Burst429:        "",
	faketest.Multiconnect:    "",
	faketest.DB:              "",
	faketest.Unpaired:        "",
	faketest.WS406:           "api",
	faketest.WS500:           "api",
	faketest.WS500Status:     "api",
	faketest.LowerCase:       "api",
	faketest.HTML502:         "http",
	faketest.HTML503:         "http",
	faketest.HTML504:         "http",
	faketest.Empty:           "decode",
	faketest.Truncated:       "decode",
	faketest.Huge:            "too_large",
	faketest.Hang:            "transport",
	faketest.Drip:            "transport",
	faketest.ResetMidBody:    "transport",
	faketest.RedirectLoop:    "transport",
}

// faultFleet starts one server and gives every scenario its own number, in faketest.All's
// order, and writes the config that polls them all.
func faultFleet(t *testing.T) (srv *faketest.Server, numbers []string, scenarios []faketest.Scenario, cfgPath string) {
	t.Helper()
	srv = faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	for i, sc := range faketest.All {
		if _, ok := faultWant[sc]; !ok {
			t.Fatalf("scenario %q has no expected outcome in this test", sc)
		}
		number := fmt.Sprintf("+1202555%04d", i)
		srv.Set(number, sc)
		numbers = append(numbers, number)
		scenarios = append(scenarios, sc)
	}
	quoted := make([]string, len(numbers))
	for i, n := range numbers {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	// Concurrency above the fleet's size, so every poll is in flight at once and the run
	// lasts about one timeout whatever order the slots are taken in.
	cfgPath = writeConfig(t, fmt.Sprintf("base_url = %q\ntimeout = %q\nmax_body = %d\nconcurrency = %d\nnumbers = [%s]\n",
		srv.URL, faultTimeout.String(), faultMaxBody, len(numbers)+8, strings.Join(quoted, ", ")), 0o600)
	return srv, numbers, scenarios, cfgPath
}

// timedRun runs wamon and logs how long it took. Nothing is judged by the time: the
// report's own tests hold the polls to running at once (TestOnceBoundsConcurrencyAndKeepsOrder).
func timedRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	start := time.Now()
	code, stdout, stderr = runWamon(t, testEnv(t, "KALEYRA_API_KEY", faultKey), args...)
	t.Logf("%q took %v", args, time.Since(start).Round(time.Millisecond))
	return code, stdout, stderr
}

// faultOnce runs --once against the fault fleet and checks what holds for every output
// form: exit 1, nothing on stderr, no byte a terminal would act on, no key anywhere.
func faultOnce(t *testing.T, args ...string) (stdout string) {
	t.Helper()
	code, out, errOut := timedRun(t, args...)
	if code != ExitFailed {
		t.Errorf("exit %d with failing numbers, want %d", code, ExitFailed)
	}
	if errOut != "" {
		t.Errorf("stderr %q, want nothing", errOut)
	}
	checkTerminalSafe(t, "stdout", out)
	checkTerminalSafe(t, "stderr", errOut)
	checkNoKey(t, out, errOut)
	return out
}

// checkTerminalSafe fails on every byte or character in out that a terminal would act on:
// C0 controls other than newline (ESC, BEL, CR, backspace ...), DEL, C1 controls, and
// bidi or zero-width characters; and on invalid UTF-8, which some terminals read as C1.
func checkTerminalSafe(t *testing.T, name, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s is not valid UTF-8", name)
	}
	reported := 0
	for i, r := range out {
		bad := (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
			(r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
		if !bad {
			continue
		}
		if reported++; reported > 5 {
			t.Errorf("%s: more unsafe characters follow", name)
			return
		}
		from, to := max(i-60, 0), min(i+60, len(out))
		t.Errorf("%s: %U at byte %d, in %q", name, r, i, out[from:to])
	}
}

func checkNoKey(t *testing.T, stdout, stderr string) {
	t.Helper()
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.Contains(text, faultKey) {
			t.Errorf("the API key appears in %s", name)
		}
	}
}

type faultLine struct {
	Number  string
	OK      bool
	Code    string
	Metrics map[string]struct {
		Type    string
		Samples []struct {
			Labels map[string]string
			Value  *float64
		}
	}
	Warnings []string
	Error    struct{ Kind, Code, Message string }
}

func TestFaultOnceJSON(t *testing.T) {
	srv, numbers, scenarios, cfgPath := faultFleet(t)
	out := faultOnce(t, "--config", cfgPath, "--once", "--json")
	if got := srv.LastHeaders().Get("api-key"); got != faultKey {
		t.Errorf("the server saw api-key %q, want the one from KALEYRA_API_KEY", got)
	}

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(numbers) {
		t.Fatalf("%d lines for %d numbers:\n%s", len(lines), len(numbers), out)
	}
	for i, line := range lines {
		sc, want := scenarios[i], faultWant[scenarios[i]]
		var obj faultLine
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Errorf("%s: line %d is not JSON (%v): %.300s", sc, i+1, err, line)
			continue
		}
		if obj.Number != numbers[i] {
			t.Errorf("%s: line %d is for %s, want %s (the configured order)", sc, i+1, obj.Number, numbers[i])
		}
		if obj.OK != (want == "") || obj.Error.Kind != want {
			t.Errorf("%s: ok %v, error kind %q, want %s: %.300s", sc, obj.OK, obj.Error.Kind, describe(want), line)
			continue
		}
		if !obj.OK {
			if obj.Error.Message == "" {
				t.Errorf("%s: error without a message: %s", sc, line)
			}
			if (obj.Error.Code != "") != (want == "api") {
				t.Errorf("%s: error code %q; only API errors carry one", sc, obj.Error.Code)
			}
			continue
		}
		if obj.Code != "WS201" || len(obj.Metrics) == 0 {
			t.Errorf("%s: code %q and %d metrics, want WS201 and some: %.300s", sc, obj.Code, len(obj.Metrics), line)
		}
	}
	checkFaultDetails(t, lines, scenarios)
}

// checkFaultDetails looks past ok/kind at what a few scenarios must carry through.
func checkFaultDetails(t *testing.T, lines []string, scenarios []faketest.Scenario) {
	t.Helper()
	for i, sc := range scenarios {
		var obj faultLine
		if json.Unmarshal([]byte(lines[i]), &obj) != nil {
			continue // reported already
		}
		switch sc {
		case faketest.WS500Status, faketest.LowerCase:
			// The code is upper-cased whatever the server's case; the status is kept.
			if obj.Error.Code != "WS500" || !strings.Contains(obj.Error.Message, "HTTP") {
				t.Errorf("%s: error %+v, want code WS500 and the HTTP status in the message", sc, obj.Error)
			}
		case faketest.Hang, faketest.Drip:
			if !strings.HasPrefix(obj.Error.Message, "timeout") {
				t.Errorf("%s: message %q, want a timeout", sc, obj.Error.Message)
			}
		case faketest.RedirectLoop:
			if !strings.Contains(obj.Error.Message, "redirect") {
				t.Errorf("%s: message %q, want it to name the redirects", sc, obj.Error.Message)
			}
		case faketest.ResetMidBody:
			if !strings.HasPrefix(obj.Error.Message, "reset") {
				t.Errorf("%s: message %q, want a reset", sc, obj.Error.Message)
			}
		case faketest.LongLabels:
			// JSON is for machines: the label arrives whole.
			var longest int
			for _, m := range obj.Metrics {
				for _, s := range m.Samples {
					longest = max(longest, len(s.Labels["type"]))
				}
			}
			if longest != 5000 {
				t.Errorf("%s: longest type label %d characters, want 5000", sc, longest)
			}
		case faketest.ThousandsSeries:
			if n := len(obj.Metrics["endpoint_requests"].Samples); n != 5000 {
				t.Errorf("%s: %d series, want 5000", sc, n)
			}
		case faketest.OddValues:
			// NaN and infinity have no JSON form: a sample may be dropped with a warning
			// or printed as null, never written as a bare NaN or lost without a word.
			m, ok := obj.Metrics["nan_like"]
			if !ok {
				t.Errorf("%s: nan_like metric missing: %.300s", sc, lines[i])
			}
			for _, s := range m.Samples {
				if s.Value != nil {
					t.Errorf("%s: nan_like %v = %v, want null or dropped", sc, s.Labels, *s.Value)
				}
			}
			if len(m.Samples) < 2 && !slices.ContainsFunc(obj.Warnings, func(w string) bool { return strings.HasPrefix(w, "nan_like:") }) {
				t.Errorf("%s: nan_like samples dropped without a warning: %q", sc, obj.Warnings)
			}
			if v := obj.Metrics["as_string"].Samples; len(v) != 2 || v[0].Value == nil || *v[0].Value != 4353 {
				t.Errorf("%s: numeric strings not read as numbers: %.300s", sc, lines[i])
			}
		case faketest.MissingFields:
			if len(obj.Warnings) == 0 {
				t.Errorf("%s: broken metrics dropped without a warning: %.300s", sc, lines[i])
			}
			if _, ok := obj.Metrics["callback_queue_size"]; !ok {
				t.Errorf("%s: the sound metric was lost with the broken ones: %.300s", sc, lines[i])
			}
		case faketest.QueueCritical:
			if q := obj.Metrics["callback_queue_size"].Samples; len(q) != 1 || q[0].Value == nil || *q[0].Value != faketest.CriticalQueue {
				t.Errorf("%s: want the queue at %d: %.300s", sc, faketest.CriticalQueue, lines[i])
			}
		case faketest.Burst429:
			refused := slices.ContainsFunc(obj.Metrics["endpoint_requests"].Samples, func(s struct {
				Labels map[string]string
				Value  *float64
			}) bool {
				return s.Labels["endpoint"] == "/v1/messages" && s.Labels["result"] == "429"
			})
			if n := len(obj.Metrics["endpoint_requests"].Samples); n != 3 || !refused {
				t.Errorf("%s: %d endpoint_requests series, 429 on /v1/messages %v; want 3 and true", sc, n, refused)
			}
		case faketest.Multiconnect:
			// The node is a label of the app metrics; the db group has none.
			q, db := obj.Metrics["callback_queue_size"].Samples, obj.Metrics["db_pending_callbacks"].Samples
			if len(q) != 1 || q[0].Labels["node"] != faketest.ActiveNode || len(db) != 1 || db[0].Labels["node"] != "" {
				t.Errorf("%s: want the queue on node %s and db without one: %.300s", sc, faketest.ActiveNode, lines[i])
			}
		case faketest.DB:
			if m := obj.Metrics["db_messages"]; m.Type != "gauge" || len(m.Samples) != 2 || obj.Metrics["db_request_duration_us_sum"].Type != "counter" {
				t.Errorf("%s: want db_messages by type and the db request durations: %.300s", sc, lines[i])
			}
		case faketest.Unpaired:
			// Kept as the payload has them: the two halves differ in one label set.
			if c, s := len(obj.Metrics["callback_requests_duration_ms_count"].Samples), len(obj.Metrics["callback_requests_duration_ms_sum"].Samples); c != 3 || s != 3 {
				t.Errorf("%s: %d counts and %d sums, want 3 each: %.300s", sc, c, s, lines[i])
			}
		case faketest.Hostile:
			// Sanitised, not dropped: the metrics stay, minus what a terminal would act on.
			if len(obj.Metrics) != 3 || obj.Metrics["callback_queue_size"].Type != "gauge" {
				t.Errorf("%s: want the 3 metrics, cleaned: %.300s", sc, lines[i])
			}
		}
	}
}

func describe(kind string) string {
	if kind == "" {
		return "ok"
	}
	return "error kind " + kind
}

func TestFaultOnceTable(t *testing.T) {
	_, numbers, scenarios, cfgPath := faultFleet(t)
	out := faultOnce(t, "--config", cfgPath, "--once")

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(numbers)+1 {
		t.Fatalf("%d lines for a header and %d numbers:\n%s", len(lines), len(numbers), out)
	}
	if !strings.HasPrefix(lines[0], "NUMBER") {
		t.Errorf("first line %q, want the header", lines[0])
	}
	for i, line := range lines {
		if w := utf8.RuneCountInString(line); w > maxTableWidth {
			t.Errorf("line %d is %d columns wide, want at most %d: %.200s...", i+1, w, maxTableWidth, line)
		}
		if i == 0 {
			continue
		}
		sc, want := scenarios[i-1], faultWant[scenarios[i-1]]
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != numbers[i-1] {
			t.Errorf("%s: row %d %q, want it to start with %s (the configured order)", sc, i, line, numbers[i-1])
			continue
		}
		wantState := map[bool]string{true: "OK", false: "ERR"}[want == ""]
		if fields[1] != wantState {
			t.Errorf("%s: state %s, want %s: %s", sc, fields[1], wantState, line)
		}
	}
}

func TestFaultRefusedConnection(t *testing.T) {
	const number = "+12025550100"
	cfgPath := writeConfig(t, fmt.Sprintf("base_url = %q\ntimeout = %q\nnumbers = [%q]\n",
		faketest.RefusedURL(), faultTimeout.String(), number), 0o600)
	out := faultOnce(t, "--config", cfgPath, "--once", "--json")
	var obj faultLine
	if err := json.Unmarshal([]byte(out), &obj); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("want one JSON line, got %q (%v)", out, err)
	}
	if obj.Number != number || obj.OK || obj.Error.Kind != "transport" || !strings.Contains(obj.Error.Message, "refused") {
		t.Errorf("got %s, want a transport error for %s that says refused", strings.TrimSpace(out), number)
	}
}
