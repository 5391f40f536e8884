package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/wamon/wamon/config"
	"github.com/wamon/wamon/report"
)

// Flags spelled -name, as the standard flag package read them before cobra, still read
// the same; after "--" nothing is rewritten.
func TestSingleDashFlags(t *testing.T) {
	env := testEnv(t)
	cl, _, err := parse(t, "-once", "-json", "-interval=10s", "-number", "+12025550100", "-ascii=false", "-fail-on", "crit", "-demo")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Console, cl.given, env)
	if err != nil {
		t.Fatal(err)
	}
	if !cl.once || !cl.json || cfg.Interval != 10*time.Second || !slices.Equal(cfg.Numbers, []string{"+12025550100"}) ||
		cfg.ASCII || !cfg.Given("ascii") || cl.failOn != report.Crit {
		t.Errorf("read %+v, %+v", cl, cfg)
	}
	cl, _, err = parse(t, "serve", "-ssh-listen", ":2300", "-max-sessions=3", "-demo")
	if err == nil {
		cfg, err = config.Load(config.Serve, cl.given, env)
	}
	if err != nil || !cl.serve || cfg.SSHListen != ":2300" || cfg.MaxSessions != 3 {
		t.Errorf("serve: %+v, %v", cfg, err)
	}
	_, rl, err := parse(t, "replay", "-speed", "10", "--", "-once")
	if err != nil || !slices.Equal(rl.paths, []string{"-once"}) {
		t.Errorf("replay -- -once: %v, paths %q", err, rl.paths)
	}
	// An unknown name is left alone, for pflag to refuse.
	if _, _, err := parse(t, "-bogus"); err == nil || !strings.Contains(err.Error(), "-bogus") {
		t.Errorf("-bogus: %v", err)
	}
}

// Each command's help lists every flag it takes, spelled --name, on stdout, exit 0,
// however help is asked for.
func TestEveryCommandsHelp(t *testing.T) {
	root := NewRoot()
	for _, cmd := range append(root.Commands(), root) {
		for _, ask := range []string{"-h", "-help", "--help"} {
			args := []string{ask}
			if cmd != root {
				args = []string{cmd.Name(), ask}
			}
			code, out, errOut := runWamon(t, testEnv(t), args...)
			if code != ExitOK || errOut != "" || !strings.HasPrefix(out, "wamon "+cmd.Name()+":") && !strings.HasPrefix(out, "wamon:") {
				t.Errorf("%q: exit %d, stderr %q, help %q", args, code, errOut, out)
				continue
			}
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if !strings.Contains(out, "      --"+f.Name+" ") {
					t.Errorf("%q: help does not list --%s:\n%s", args, f.Name, out)
				}
			})
		}
	}
}

// A typo of a command is one line that names the command meant; exit 2.
func TestUnknownCommand(t *testing.T) {
	for args, want := range map[string]string{
		"serv":        "wamon: unknown command \"serv\" (did you mean serve?)\n",
		"replya":      "wamon: unknown command \"replya\" (did you mean replay?)\n",
		"--once x":    "wamon: unexpected argument \"x\" (see wamon --help)\n",
		"serve extra": "wamon: unexpected argument \"extra\" (see wamon serve --help)\n",
	} {
		code, out, errOut := runWamon(t, testEnv(t), strings.Fields(args)...)
		if code != ExitUsage || out != "" || errOut != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, out, errOut, want)
		}
	}
}

// What the shells are offered: cobra's __complete is what every completion script runs.
func TestCompletionCandidates(t *testing.T) {
	cfgPath := writeConfig(t, "numbers = [\"+12025550100\", \"+442071230101\"]\n", 0o600)
	for args, want := range map[string][]string{
		"se":                                    {"serve\tthe console over SSH, one poller for the team"},
		"--color ":                              {"auto", "truecolor", "256", "16", "none", ":4"},
		"serve --source ":                       {"kaleyra", "demo", "prometheus", ":4"},
		"--once --fail-on ":                     {"warn", "crit", ":4"},
		"replay --speed ":                       {"1", "10", "60", "max", ":4"},
		"replay ":                               {"zst", ":8"}, // directories and *.zst files
		"--interval ":                           {":4"},
		"--config " + cfgPath + " --number +44": {"+442071230101", ":4"},
	} {
		words := strings.Split(args, " ") // a trailing space is an empty word: complete a new one
		code, out, errOut := runWamon(t, testEnv(t), append([]string{"__complete"}, words...)...)
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if want[len(want)-1][0] != ':' {
			got = got[:len(got)-1] // the directive
		}
		if code != ExitOK || !slices.Equal(got, want) {
			t.Errorf("complete %q: exit %d, %q (stderr %q); want %q", args, code, got, errOut, want)
		}
	}
}

// A shell wamon writes no script for, a help topic that is no command, and two sources
// asked for at once are command lines wamon cannot run: one line, exit 2.
func TestUsageErrorsOfCompletionHelpAndSources(t *testing.T) {
	for args, want := range map[string]string{
		"completion tcsh":         "wamon: completion: want one shell of bash, zsh, fish, powershell, got \"tcsh\"\n",
		"completion":              "wamon: completion: want one shell of bash, zsh, fish, powershell, got none\n",
		"completion bash zsh":     "wamon: completion: want one shell of bash, zsh, fish, powershell, got \"bash zsh\"\n",
		"help bogus":              "wamon: no help for \"bogus\": no such command (see wamon --help)\n",
		"help serv":               "wamon: no help for \"serv\": no such command (did you mean serve?)\n",
		"--demo --source kaleyra": "wamon: --demo and --source kaleyra ask for two sources: give one\n",
	} {
		code, out, errOut := runWamon(t, testEnv(t), strings.Fields(args)...)
		if code != ExitUsage || out != "" || errOut != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, out, errOut, want)
		}
	}
	// The help of completion and help name what they take.
	for args, want := range map[string]string{
		"completion --help": "SHELL: bash, zsh, fish or powershell",
		"help completion":   "SHELL: bash, zsh, fish or powershell",
		"help serve":        "Usage: wamon serve [flags]",
		"help":              "Usage: wamon [flags]", // wamon help alone: wamon's own
	} {
		code, out, errOut := runWamon(t, testEnv(t), strings.Fields(args)...)
		if code != ExitOK || errOut != "" || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, stderr %q, help %q; want %q in it", args, code, errOut, out, want)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, out, _ := runWamon(t, testEnv(t), "completion", shell); code != ExitOK || !strings.Contains(out, "wamon") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(out))
		}
	}
}
