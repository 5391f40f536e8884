package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wamon/wamon/source"
)

func TestRunVersion(t *testing.T) {
	code, out, errOut := runWamon(t, testEnv(t), "--version")
	if code != 0 || out != "wamon dev\n" || errOut != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestRunHelp(t *testing.T) {
	code, out, _ := runWamon(t, testEnv(t), "-h")
	if code != 0 || !strings.Contains(out, "\n      --once ") || !strings.Contains(out, "\n      --number +E164 ") ||
		strings.Contains(out, "\n  -o") {
		t.Errorf("-h: exit %d, usage %q; want every flag spelled --name", code, out)
	}
	// Errors name flags the way the help does.
	if _, _, errOut := runWamon(t, testEnv(t), "--interval", "5x"); errOut != "wamon: --interval: \"5x\" is not a duration (try \"5s\" or \"1m30s\")\n" {
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
		{"--fail-on", "warn"},
		{"--fail-on", "crit", "--json"},
		{"--once", "--fail-on"},
		{"--once", "--fail-on", "bogus"},
		{"--once", "--fail-on", "error"},
		{"--once", "--fail-on", "ok"},
		{"--once", "--fail-on", "WARN"},
		{"--once", "--fail-on="},
	} {
		code, out, errOut := runWamon(t, testEnv(t), args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "wamon: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", args, code, out, errOut)
		}
	}
}

// --fail-on says what is wrong with it in the words of the other flags' errors.
func TestRunFailOnUsageMessages(t *testing.T) {
	for args, want := range map[string]string{
		"--fail-on warn":         "wamon: --fail-on needs --once\n",
		"--once --fail-on bogus": "wamon: invalid argument \"bogus\" for \"--fail-on\" flag: want warn or crit\n",
	} {
		if _, _, errOut := runWamon(t, testEnv(t), strings.Fields(args)...); errOut != want {
			t.Errorf("%s: stderr %q, want %q", args, errOut, want)
		}
	}
	if _, out, _ := runWamon(t, testEnv(t), "-h"); !strings.Contains(out, "\n      --fail-on LEVEL ") {
		t.Errorf("-h does not list --fail-on LEVEL:\n%s", out)
	}
}

// failOnServer answers the API for four numbers: one fine, one past the queue's warn
// threshold (a multiconnect payload), one past critical, one failing with WS500.
const (
	fineNumber = "+12025550100"
	warnNumber = "+12025550105"
	critNumber = "+12025550106"
	failNumber = "+12025550101"
)

func failOnServer(t *testing.T) *httptest.Server {
	t.Helper()
	bodies := map[string][]byte{}
	for number, file := range map[string]string{fineNumber: "busy.json", warnNumber: "multiconnect.json", critNumber: "queue-crit.json"} {
		body, err := os.ReadFile(filepath.Join(onceData, file))
		if err != nil {
			t.Fatal(err)
		}
		bodies[number] = body
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if body, ok := bodies[strings.TrimPrefix(r.URL.Path, "/v1/wamonitor/stats/")]; ok {
			w.Write(body)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"code":"WS500","message":"Invalid FROM number","error":{}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The exit code of --once for each --fail-on against each outcome of the fleet: without
// it only a failed poll fails the run; warn also fails on WARN and CRIT; crit on CRIT.
func TestRunFailOnExitCodes(t *testing.T) {
	srv := failOnServer(t)
	cfgPath := writeConfig(t, fmt.Sprintf("base_url = %q\ntimeout = \"2s\"\n", srv.URL), 0o600)
	fleets := []struct {
		name    string
		numbers []string
		levels  []string // of the JSON lines
	}{
		{"all ok", []string{fineNumber}, []string{"ok"}},
		{"a warn", []string{fineNumber, warnNumber}, []string{"ok", "warn"}},
		{"a crit", []string{fineNumber, critNumber}, []string{"ok", "crit"}},
		{"an error", []string{fineNumber, failNumber}, []string{"ok", "error"}},
	}
	// want[failOn][fleet]: the exit code.
	want := map[string][]int{
		"":     {0, 0, 0, 1},
		"warn": {0, 1, 1, 1},
		"crit": {0, 0, 1, 1},
	}
	for _, failOn := range []string{"", "warn", "crit"} {
		for i, fleet := range fleets {
			for _, jsonLines := range []bool{false, true} {
				args := []string{"--config", cfgPath, "--once"}
				if failOn != "" {
					args = append(args, "--fail-on", failOn)
				}
				if jsonLines {
					args = append(args, "--json")
				}
				for _, n := range fleet.numbers {
					args = append(args, "--number", n)
				}
				code, out, errOut := runWamon(t, testEnv(t, "KALEYRA_API_KEY", "k"), args...)
				if code != want[failOn][i] {
					t.Errorf("--fail-on %q, %s, json %v: exit %d, want %d (stderr %q)\n%s",
						failOn, fleet.name, jsonLines, code, want[failOn][i], errOut, out)
				}
				if errOut != "" {
					t.Errorf("%q: stderr %q, want nothing", args, errOut)
				}
				if !jsonLines {
					continue
				}
				var levels []string
				for line := range strings.Lines(out) {
					obj := jsonObject(t, line)
					if _, has := obj["demo"]; has {
						t.Errorf("%q: a line from the API carries \"demo\": %s", args, line)
					}
					level, _ := obj["level"].(string)
					levels = append(levels, level)
				}
				if !slices.Equal(levels, fleet.levels) {
					t.Errorf("%q: levels %q, want %q", args, levels, fleet.levels)
				}
			}
		}
	}
}

// The thresholds --once judges by are the config's, not the defaults.
func TestRunFailOnThresholdsFromConfig(t *testing.T) {
	srv := failOnServer(t)
	cfgPath := writeConfig(t, fmt.Sprintf("base_url = %q\nnumbers = [%q]\n[thresholds]\ncallback_queue_size = { warn = 10, critical = 1000 }\n",
		srv.URL, fineNumber), 0o600)
	code, out, errOut := runWamon(t, testEnv(t, "KALEYRA_API_KEY", "k"), "--config", cfgPath, "--once", "--json", "--fail-on", "warn")
	obj := jsonObject(t, out)
	if code != 1 || obj["level"] != "warn" || !slices.Equal(stringList(obj["reasons"]), []string{"callback_queue_size 14~"}) {
		t.Errorf("queue 14 against a config's warn of 10: exit %d, level %v, reasons %v, want 1, warn and the queue (stderr %q)",
			code, obj["level"], obj["reasons"], errOut)
	}
	if code, _, _ := runWamon(t, testEnv(t), "--config", cfgPath, "--once", "--fail-on", "crit"); code != 0 {
		t.Errorf("--fail-on crit with only a warning: exit %d, want 0", code)
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
			Demo   *bool
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON Lines: %q", out)
		}
		numbers = append(numbers, obj.Number)
		allOK = allOK && obj.OK
		if obj.Demo == nil || !*obj.Demo {
			t.Errorf("a line of the demo's numbers lacks \"demo\": true: %s", line)
		}
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
	healthy, err := os.ReadFile(filepath.Join(onceData, "busy.json"))
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
