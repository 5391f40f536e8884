package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exporter is wamon serve polling an API and exporting metrics, as it runs on the
// whitelisted host.
type exporter struct {
	*process
	target string // host:port of its /metrics
	log    string // its --log file
}

// startExporter starts wamon serve, metrics only, polling the API at baseURL for numbers
// every interval with an API key, its config where wamon looks for it; and waits until
// it says where it serves metrics.
func startExporter(t testing.TB, dir, baseURL string, numbers []string, interval time.Duration, args ...string) *exporter {
	t.Helper()
	xdg := filepath.Join(dir, "config")
	if err := os.MkdirAll(filepath.Join(xdg, "wamon"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(xdg, "wamon", "config.toml")
	quoted := make([]string, len(numbers))
	for i, n := range numbers {
		quoted[i] = strconv.Quote(n)
	}
	cfg := fmt.Sprintf("base_url = %q\ninterval = %q\ntimeout = \"2s\"\nnumbers = [%s]\n", baseURL, interval.String(), strings.Join(quoted, ", "))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &exporter{log: filepath.Join(dir, "wamon-serve.log")}
	e.process = start(t, filepath.Join(dir, "wamon-serve.stderr"), cleanEnv(dir, "KALEYRA_API_KEY=e2e-test-key"), wamonBin,
		append([]string{"serve", "--config", cfgPath, "--ssh-listen", "", "--metrics-listen", "127.0.0.1:0", "--log", e.log}, args...)...)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(e.log)
			t.Logf("wamon serve's log:\n%.6000s", log)
		}
	})
	waitFor(t, "wamon serve says where it serves metrics", 30*time.Second, func() (bool, error) {
		if m := regexp.MustCompile(`metrics on http://(127\.0\.0\.1:\d+)/metrics`).FindStringSubmatch(e.output()); m != nil {
			e.target = m[1]
			return true, nil
		}
		select {
		case <-e.exited:
			t.Fatalf("wamon serve exited: %v\n%s", e.err, e.output())
		default:
		}
		return false, fmt.Errorf("it said: %q", e.output())
	})
	return e
}
