package cli

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/config"
)

func TestServeUnitDoesNotRestartARefusal(t *testing.T) {
	unit, err := os.ReadFile("../examples/wamon-serve.service")
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			settings[k] = append(settings[k], strings.Fields(v)...)
		}
	}
	if !slices.Contains(settings["Restart"], "on-failure") {
		t.Errorf("Restart=%v, want on-failure", settings["Restart"])
	}
	if !slices.Contains(settings["RestartPreventExitStatus"], strconv.Itoa(ExitUsage)) {
		t.Errorf("RestartPreventExitStatus=%v, want it to hold %d (a refused command line or config)", settings["RestartPreventExitStatus"], ExitUsage)
	}
}

// What the README says of serve's command line: the console's flags apply, but for
// --once, --json, --fail-on and --version, which serve refuses.
func TestServeCommandLine(t *testing.T) {
	cfgPath := writeConfig(t, "", 0o600)
	cl, _, err := parse(t, "serve", "--config", cfgPath, "--source", "kaleyra", "--base-url", "http://127.0.0.1:1",
		"--number", "+12025550100", "--interval", "7s", "--concurrency", "3", "--history", "50", "--record=false",
		"--record-dir", "rec", "--color", "16", "--ascii", "--log", "wamon.log")
	if err != nil || !cl.serve {
		t.Fatalf("serve with the console's flags: %v (serve %v)", err, cl.serve)
	}
	cfg, err := config.Load(config.Serve, cl.given, testEnv(t, "KALEYRA_API_KEY", "k"))
	if err != nil || cfg.Interval != 7*time.Second || cfg.Color != "16" || !cfg.ASCII || cfg.LogPath != "wamon.log" || len(cfg.Numbers) != 1 ||
		cfg.Record || cfg.History != 50 || cfg.Concurrency != 3 {
		t.Errorf("serve read %+v (%v)", cfg, err)
	}
	for _, args := range [][]string{{"--once"}, {"--json"}, {"--fail-on", "warn"}, {"--version"}} {
		_, _, err := parse(t, append([]string{"serve"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "unknown flag") {
			t.Errorf("serve %v: %v, want an unknown flag", args, err)
		}
	}
}
