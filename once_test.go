package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixedNow is the clock of every headless test.
var fixedNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// fakeSource answers each number with a function of its own.
type fakeSource map[string]func(ctx context.Context) (source.Snapshot, error)

func (f fakeSource) Name() string { return "fake" }

func (f fakeSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	fetch, ok := f[number]
	if !ok {
		return source.Snapshot{Number: number}, fmt.Errorf("no reply for %s", number)
	}
	snap, err := fetch(ctx)
	snap.Number = number
	return snap, err
}

// payload answers with a decoded testdata file, as the HTTP client would.
func payload(t *testing.T, file string, latency time.Duration) func(context.Context) (source.Snapshot, error) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "once", file))
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context) (source.Snapshot, error) {
		snap, err := source.Decode(body)
		snap.FetchedAt = fixedNow.Add(-latency)
		snap.Latency = latency
		return snap, err
	}
}

func failure(err error, latency time.Duration) func(context.Context) (source.Snapshot, error) {
	return func(context.Context) (source.Snapshot, error) {
		return source.Snapshot{FetchedAt: fixedNow, Latency: latency}, err
	}
}

// hang never answers: only the poll's timeout ends it.
func hang(ctx context.Context) (source.Snapshot, error) {
	<-ctx.Done()
	return source.Snapshot{}, ctx.Err()
}

// mixedFleet is one of each outcome --once must print: healthy, API error, a proxy's HTML
// page, a timeout, and a payload the decoder had to drop part of.
func mixedFleet(t *testing.T) (fakeSource, []string) {
	numbers := []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103", "+12025550104"}
	return fakeSource{
		numbers[0]: payload(t, "busy.json", 84*time.Millisecond),
		numbers[1]: failure(&source.APIError{Code: "WS500", Message: "Internal\x1b[2J error", HTTPStatus: 500, Number: numbers[1]}, 120*time.Millisecond),
		numbers[2]: failure(&source.HTTPError{Status: 502, Found: `HTML page "502 Bad Gateway"`}, 31*time.Millisecond),
		numbers[3]: hang,
		numbers[4]: payload(t, "quiet.json", 1500*time.Microsecond),
	}, numbers
}

func onceOutput(t *testing.T, src source.Source, numbers []string, jsonLines bool) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	allOK, err := runOnce(context.Background(), &out, src, numbers, onceOptions{
		JSON: jsonLines, Timeout: 20 * time.Millisecond, Concurrency: 4, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), allOK
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is right)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestOnceJSONGolden(t *testing.T) {
	src, numbers := mixedFleet(t)
	out, allOK := onceOutput(t, src, numbers, true)
	if allOK {
		t.Error("allOK with three failing numbers")
	}
	checkGolden(t, "once.jsonl.golden", out)

	// Beyond the golden: the contract's shape, line by line, in the configured order.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(numbers) {
		t.Fatalf("%d lines for %d numbers", len(lines), len(numbers))
	}
	wantKinds := []string{"", "api", "http", "transport", ""}
	for i, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		if obj["number"] != numbers[i] {
			t.Errorf("line %d is %v, want %s", i+1, obj["number"], numbers[i])
		}
		ok, _ := obj["ok"].(bool)
		if ok != (wantKinds[i] == "") {
			t.Errorf("line %d: ok = %v", i+1, ok)
		}
		if ok {
			for _, k := range []string{"code", "fetched_at", "latency_ms", "metrics"} {
				if _, has := obj[k]; !has {
					t.Errorf("line %d lacks %q", i+1, k)
				}
			}
			if _, err := time.Parse(time.RFC3339, obj["fetched_at"].(string)); err != nil {
				t.Errorf("line %d: fetched_at: %v", i+1, err)
			}
			continue
		}
		e, _ := obj["error"].(map[string]any)
		if e["kind"] != wantKinds[i] || e["message"] == "" {
			t.Errorf("line %d: error = %v, want kind %q and a message", i+1, e, wantKinds[i])
		}
		if _, has := e["code"]; has != (wantKinds[i] == "api") {
			t.Errorf("line %d: error code present = %v; only API errors carry one", i+1, has)
		}
	}
	if strings.ContainsRune(out, '\x1b') {
		t.Error("an escape sequence from the server reached the output")
	}
}

func TestOnceTableGolden(t *testing.T) {
	src, numbers := mixedFleet(t)
	out, allOK := onceOutput(t, src, numbers, false)
	if allOK {
		t.Error("allOK with three failing numbers")
	}
	checkGolden(t, "once-table.golden", out)
	if strings.ContainsRune(out, '\x1b') {
		t.Error("an escape sequence from the server reached the output")
	}
}

func TestOnceAllHealthy(t *testing.T) {
	src := fakeSource{"+12025550100": payload(t, "busy.json", time.Millisecond)}
	if _, allOK := onceOutput(t, src, []string{"+12025550100"}, false); !allOK {
		t.Error("a healthy poll was reported as a failure")
	}
}

func TestOnceTimeoutIsATransportError(t *testing.T) {
	res := pollOne(context.Background(), fakeSource{"+12025550100": hang}, "+12025550100", 10*time.Millisecond, time.Now)
	if kind := source.ErrorKind(res.err); kind != "transport" || !strings.HasPrefix(res.err.Error(), "timeout") {
		t.Errorf("a poll past its timeout gave %q: %v", kind, res.err)
	}
}

func TestOnceBoundsConcurrencyAndKeepsOrder(t *testing.T) {
	var inFlight, most atomic.Int32
	src := fakeSource{}
	var numbers []string
	for i := range 12 {
		number := fmt.Sprintf("+1202555%04d", i)
		numbers = append(numbers, number)
		// Later numbers answer sooner, so completion order is the reverse of the list.
		delay := time.Duration(12-i) * time.Millisecond
		src[number] = func(ctx context.Context) (source.Snapshot, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(delay)
			return source.Snapshot{Code: "WS201", FetchedAt: fixedNow}, nil
		}
	}
	var out bytes.Buffer
	allOK, err := runOnce(context.Background(), &out, src, numbers, onceOptions{JSON: true, Timeout: time.Second, Concurrency: 3, Now: clock})
	if err != nil || !allOK {
		t.Fatalf("allOK %v, err %v", allOK, err)
	}
	if m := most.Load(); m > 3 || m < 2 {
		t.Errorf("%d polls in flight at most, want 2 or 3 with --concurrency 3", m)
	}
	var got []string
	for line := range strings.Lines(out.String()) {
		var obj struct{ Number string }
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.Number)
	}
	if !slices.Equal(got, numbers) {
		t.Errorf("printed in order %q, want the configured order %q", got, numbers)
	}
}

// The headless path as the binary runs it: flags, config, source, output into a buffer
// that is no terminal.
func runWamon(t *testing.T, env func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunVersion(t *testing.T) {
	code, out, errOut := runWamon(t, testEnv(t), "--version")
	if code != 0 || out != "wamon dev\n" || errOut != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestRunHelp(t *testing.T) {
	code, out, _ := runWamon(t, testEnv(t), "-h")
	if code != 0 || !strings.Contains(out, "\n  --once\n") || !strings.Contains(out, "\n  --number +E164") ||
		strings.Contains(out, "\n  -o") {
		t.Errorf("-h: exit %d, usage %q; want every flag spelled --name", code, out)
	}
	// Errors name flags the way the help does.
	if _, _, errOut := runWamon(t, testEnv(t), "--interval", "5x"); !strings.Contains(errOut, "flag --interval") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestRunUsageErrors(t *testing.T) {
	bad := writeConfig(t, "intervall = \"5s\"\n", 0o600)
	for _, args := range [][]string{
		{"--bogus"},
		{"--json"},
		{"--interval", "5x"},
		{"--number", "+1202", "--once"},
		{"--config", bad, "--once"},
		{"--once", "extra"},
	} {
		code, out, errOut := runWamon(t, testEnv(t), args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "wamon: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", args, code, out, errOut)
		}
	}
}

func TestRunOnceDemoHeadless(t *testing.T) {
	code, out, errOut := runWamon(t, testEnv(t), "--once", "--json", "--demo")
	if strings.ContainsRune(out, '\x1b') || strings.ContainsRune(errOut, '\x1b') {
		t.Errorf("headless output carries escape sequences: %q %q", out, errOut)
	}
	var numbers []string
	allOK := true
	for line := range strings.Lines(out) {
		var obj struct {
			Number string
			OK     bool
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON Lines: %q", out)
		}
		numbers = append(numbers, obj.Number)
		allOK = allOK && obj.OK
	}
	if !slices.Equal(numbers, source.DemoNumbers()) {
		t.Errorf("demo polled %q, want %q", numbers, source.DemoNumbers())
	}
	// Simulated figures say so, where a script's log will show it.
	if !strings.HasPrefix(errOut, "wamon: demo data: ") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q, want the one demo line", errOut)
	}
	if want := map[bool]int{true: 0, false: 1}[allOK]; code != want {
		t.Errorf("exit %d with all ok = %v, want %d", code, allOK, want)
	}
}

func TestRunWarnsAndLogsWithoutTheKey(t *testing.T) {
	const key = "very-secret-key-789"
	cfgPath := writeConfig(t, fmt.Sprintf("api_key = %q\nnumbers = [\"+12025550100\"]\n", key), 0o644)
	logPath := filepath.Join(t.TempDir(), "wamon.log")
	_, out, errOut := runWamon(t, testEnv(t, "KALEYRA_API_KEY", key), "--config", cfgPath, "--demo", "--once", "--log", logPath)

	if !strings.HasPrefix(errOut, "wamon: warning: "+cfgPath) || strings.Count(errOut, "\n") != 2 ||
		!strings.Contains(errOut, "\nwamon: demo data: ") {
		t.Errorf("stderr %q, want a warning line about %s and the demo line", errOut, cfgPath)
	}
	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logged), `"level":"WARN"`) || !strings.Contains(string(logged), `"msg":"start"`) {
		t.Errorf("log lacks the warning or the start record:\n%s", logged)
	}
	if fi, err := os.Stat(logPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("log file mode %04o, want it private", fi.Mode().Perm())
	}
	for name, text := range map[string]string{"stdout": out, "stderr": errOut, "log": string(logged)} {
		if strings.Contains(text, key) {
			t.Errorf("the API key appears in %s", name)
		}
	}
}

// The real client against a server that fails in the ways a proxy and the API do: one
// healthy number, a WS500 envelope, a proxy's HTML 502 page, and a reply that never comes.
func TestRunOnceAgainstFailingServer(t *testing.T) {
	const key = "very-secret-key-789"
	healthy, err := os.ReadFile(filepath.Join("testdata", "once", "busy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var keysSeen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("api-key") == key {
			keysSeen.Add(1)
		}
		switch r.URL.Path {
		case "/v1/wamonitor/stats/+12025550100":
			w.Header().Set("Content-Type", "application/json")
			w.Write(healthy)
		case "/v1/wamonitor/stats/+12025550101":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"code":"WS500","message":"Invalid FROM number","error":{}}`)
		case "/v1/wamonitor/stats/+12025550102":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")
		default:
			<-r.Context().Done()
		}
	}))
	defer srv.Close()

	numbers := []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103"}
	cfgPath := writeConfig(t, fmt.Sprintf("base_url = %q\ntimeout = \"300ms\"\nnumbers = [%q, %q, %q, %q]\n",
		srv.URL, numbers[0], numbers[1], numbers[2], numbers[3]), 0o600)
	code, out, errOut := runWamon(t, testEnv(t, "KALEYRA_API_KEY", key), "--config", cfgPath, "--once", "--json")
	if code != 1 {
		t.Errorf("exit %d with three failing numbers, want 1 (stderr %q)", code, errOut)
	}
	wantKinds := []string{"", "api", "http", "transport"}
	var i int
	for line := range strings.Lines(out) {
		var obj struct {
			Number string
			OK     bool
			Error  struct{ Kind, Code string }
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON Lines: %q", out)
		}
		if i >= len(numbers) || obj.Number != numbers[i] || obj.OK != (wantKinds[i] == "") || obj.Error.Kind != wantKinds[i] {
			t.Errorf("line %d: %s", i+1, line)
		}
		i++
	}
	if i != len(numbers) {
		t.Errorf("%d lines for %d numbers", i, len(numbers))
	}
	if keysSeen.Load() == 0 {
		t.Error("the server never saw the api-key header")
	}
	if strings.Contains(out+errOut, key) {
		t.Error("the API key reached the output")
	}
}
