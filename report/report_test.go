package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wamon/wamon/internal/oncetest"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// updating reports -update: rewrite the golden files under testdata/. teatest, which
// this package's tests import too, defines the flag, and a second definition panics.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

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
// page, a timeout, a payload the decoder had to drop part of, a multiconnect payload
// with a standby node past the queue's warn threshold, one past critical thresholds (with
// a decoder warning too), and an API error no HTTP answer carried (as the demo gives).
func mixedFleet(t *testing.T) (fakeSource, []string) {
	numbers := []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103", "+12025550104",
		"+12025550105", "+12025550106", "+12025550107"}
	return fakeSource{
		numbers[0]: payload(t, "busy.json", 84*time.Millisecond),
		numbers[1]: failure(&source.APIError{Code: "WS500", Message: "Internal\x1b[2J error", HTTPStatus: 500, Number: numbers[1]}, 120*time.Millisecond),
		numbers[2]: failure(&source.HTTPError{Status: 502, Found: `HTML page "502 Bad Gateway"`}, 31*time.Millisecond),
		numbers[3]: hang,
		numbers[4]: payload(t, "quiet.json", 1500*time.Microsecond),
		numbers[5]: payload(t, "multiconnect.json", 47*time.Millisecond),
		numbers[6]: payload(t, "queue-crit.json", 212*time.Millisecond),
		numbers[7]: failure(&source.APIError{Code: "WS406", Number: numbers[7]}, 3*time.Millisecond),
	}, numbers
}

// mixedWant is what --once must say of each of mixedFleet's numbers.
var mixedWant = []struct {
	kind       string // "" for ok:true, else error.kind
	level      string
	reasons    []string
	httpStatus float64 // error.http_status; 0: absent
	nodes      []string
	standby    []string
}{
	{level: "ok", reasons: []string{}},
	{kind: "api", level: "error", reasons: []string{"WS500"}, httpStatus: 500},
	{kind: "http", level: "error", reasons: []string{"HTTP 502"}, httpStatus: 502},
	{kind: "transport", level: "error", reasons: []string{"timeout 20ms"}},
	{level: "ok", reasons: []string{}},
	{level: "warn", reasons: []string{"callback_queue_size 250~"},
		nodes: []string{"wa-core-1:3f2a9c1b"}, standby: []string{"wa-core-2:7d41e0aa"}},
	{level: "crit", reasons: []string{"callback_queue_size 1.5k!", "db_pending_callbacks 31~"}},
	{kind: "api", level: "error", reasons: []string{"WS406"}},
}

// onceThresholds are the defaults and one of a gauge of the db group, as a config
// would give them.
func onceThresholds() monitor.Thresholds {
	ts := monitor.DefaultThresholds()
	ts["db_pending_callbacks"] = monitor.Threshold{Warn: 20, Critical: 100}
	return ts
}

func onceOutput(t *testing.T, src source.Source, numbers []string, jsonLines bool) (string, bool) {
	t.Helper()
	return onceRun(t, src, numbers, Options{JSON: jsonLines})
}

// onceRun is runOnce with the tests' timeout, concurrency, clock and thresholds.
func onceRun(t *testing.T, src source.Source, numbers []string, opts Options) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	opts.Timeout, opts.Concurrency, opts.Now, opts.Thresholds = 20*time.Millisecond, 4, clock, onceThresholds()
	ok, err := Run(context.Background(), &out, src, numbers, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), ok
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
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
		t.Error("allOK with four failing numbers")
	}
	checkGolden(t, "once.jsonl.golden", out)

	// Beyond the golden: the contract's shape, line by line, in the configured order.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(numbers) {
		t.Fatalf("%d lines for %d numbers", len(lines), len(numbers))
	}
	for i, line := range lines {
		want := mixedWant[i]
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		if obj["number"] != numbers[i] {
			t.Errorf("line %d is %v, want %s", i+1, obj["number"], numbers[i])
		}
		ok, _ := obj["ok"].(bool)
		if ok != (want.kind == "") {
			t.Errorf("line %d: ok = %v", i+1, ok)
		}
		checkOnceLineCommon(t, i+1, obj, want.level, want.reasons)
		if _, has := obj["demo"]; has {
			t.Errorf("line %d carries \"demo\" though the numbers are not the demo's", i+1)
		}
		if ok {
			for _, k := range []string{"code", "metrics"} {
				if _, has := obj[k]; !has {
					t.Errorf("line %d lacks %q", i+1, k)
				}
			}
			if got := stringList(obj["nodes"]); !slices.Equal(got, want.nodes) {
				t.Errorf("line %d: nodes %q, want %q", i+1, got, want.nodes)
			}
			if got := stringList(obj["standby"]); !slices.Equal(got, want.standby) {
				t.Errorf("line %d: standby %q, want %q", i+1, got, want.standby)
			}
			continue
		}
		e, _ := obj["error"].(map[string]any)
		if e["kind"] != want.kind || e["message"] == "" {
			t.Errorf("line %d: error = %v, want kind %q and a message", i+1, e, want.kind)
		}
		if _, has := e["code"]; has != (want.kind == "api") {
			t.Errorf("line %d: error code present = %v; only API errors carry one", i+1, has)
		}
		status, has := e["http_status"]
		if has != (want.httpStatus != 0) || has && status != want.httpStatus {
			t.Errorf("line %d: error.http_status %v (present %v), want %v", i+1, status, has, want.httpStatus)
		}
	}
	// The multiconnect payload's meta, as received beside its stats.
	var multi struct{ Meta map[string]string }
	if err := json.Unmarshal([]byte(lines[5]), &multi); err != nil || multi.Meta["version"] != "v2.53.2" || multi.Meta["api_status"] != "ok" {
		t.Errorf("multiconnect line: meta %v (%v), want api_status ok and version v2.53.2", multi.Meta, err)
	}
	if _, has := jsonObject(t, lines[4])["meta"]; has {
		t.Error("a payload without meta gave a \"meta\" key; want it left out")
	}
	if strings.ContainsRune(out, '\x1b') {
		t.Error("an escape sequence from the server reached the output")
	}
}

// checkOnceLineCommon checks the keys every --once --json line carries, success or not.
func checkOnceLineCommon(t *testing.T, n int, obj map[string]any, level string, reasons []string) {
	t.Helper()
	fetched, _ := obj["fetched_at"].(string)
	if at, err := time.Parse(time.RFC3339, fetched); err != nil || at.Location() != time.UTC || !strings.HasSuffix(fetched, "Z") {
		t.Errorf("line %d: fetched_at %q, want RFC 3339 in UTC (%v)", n, fetched, err)
	}
	if _, isNumber := obj["latency_ms"].(float64); !isNumber {
		t.Errorf("line %d: latency_ms %v, want a number", n, obj["latency_ms"])
	}
	if obj["level"] != level {
		t.Errorf("line %d: level %v, want %s", n, obj["level"], level)
	}
	got, isList := obj["reasons"].([]any)
	if !isList || !slices.Equal(stringList(got), reasons) {
		t.Errorf("line %d: reasons %v, want the list %q", n, obj["reasons"], reasons)
	}
}

// jsonObject and stringList: oncetest's, shared with the cli tests.
var (
	jsonObject = oncetest.JSONObject
	stringList = oncetest.StringList
)

// With numbers from the demo, every line says so, success or failure.
func TestOnceDemoJSONGolden(t *testing.T) {
	src, numbers := mixedFleet(t)
	numbers = []string{numbers[0], numbers[1]}
	out, _ := onceRun(t, src, numbers, Options{JSON: true, Demo: true})
	checkGolden(t, "once-demo.jsonl.golden", out)
	for line := range strings.Lines(out) {
		if demo, has := jsonObject(t, line)["demo"]; !has || demo != true {
			t.Errorf("demo = %v (present %v), want true: %s", demo, has, line)
		}
	}
}

func TestOnceTableGolden(t *testing.T) {
	src, numbers := mixedFleet(t)
	out, allOK := onceOutput(t, src, numbers, false)
	if allOK {
		t.Error("allOK with four failing numbers")
	}
	checkGolden(t, "once-table.golden", out)

	// Beyond the golden: LEVEL right after STATE, and the note led by the reasons.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(numbers)+1 {
		t.Fatalf("%d lines for a header and %d numbers", len(lines), len(numbers))
	}
	if head := strings.Fields(lines[0]); len(head) < 3 || head[1] != "STATE" || head[2] != "LEVEL" {
		t.Errorf("header %q, want LEVEL right after STATE", lines[0])
	}
	noteAt := strings.Index(lines[0], "NOTE")
	for i, line := range lines[1:] {
		if fields := strings.Fields(line); len(fields) < 3 || fields[2] != mixedWant[i].level {
			t.Errorf("row %d: %q, want level %s", i+1, line, mixedWant[i].level)
		}
		if mixedWant[i].kind != "" || mixedWant[i].level == "ok" {
			continue
		}
		note := ""
		if len(line) > noteAt {
			note = line[noteAt:]
		}
		if want := strings.Join(mixedWant[i].reasons, ", "); !strings.HasPrefix(note, want) {
			t.Errorf("row %d: note %q, want it to start with %q", i+1, note, want)
		}
	}
	if crit := lines[7]; !strings.HasSuffix(crit, "db_pending_callbacks 31~; decoder warning: dropped: sample 1: value \"n/a\" is not a number") {
		t.Errorf("crit row %q: want the reasons, then the decoder's warning", crit)
	}
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
	allOK, err := Run(context.Background(), &out, src, numbers, Options{JSON: true, Timeout: time.Second, Concurrency: 3, Now: clock})
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
