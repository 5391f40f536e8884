package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// Flags spelled -name, as the standard flag package read them before cobra, still read
// the same; after "--" nothing is rewritten.
func TestSingleDashFlags(t *testing.T) {
	cl, err := parseCommandLine([]string{"-once", "-json", "-interval=10s", "-number", "+12025550100", "-ascii=false", "-fail-on", "crit"}, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	if !cl.once || !cl.json || cl.interval != 10*time.Second || !slices.Equal(cl.numbers, []string{"+12025550100"}) ||
		cl.ascii || !cl.set["ascii"] || cl.failOn != levelCrit {
		t.Errorf("read %+v", cl)
	}
	cl, err = parseCommandLine([]string{"serve", "-ssh-listen", ":2300", "-max-sessions=3"}, os.Stdout)
	if err != nil || !cl.serve || cl.sshListen != ":2300" || cl.maxSessions != 3 {
		t.Errorf("serve: %+v, %v", cl, err)
	}
	var paths []string
	code, err := execute([]string{"replay", "-speed", "10", "--", "-once"}, testEnv(t), os.Stdout, os.Stderr, actions{
		replay: func(rl replayLine) int { paths = rl.paths; return 7 },
	})
	if code != 7 || err != nil || !slices.Equal(paths, []string{"-once"}) {
		t.Errorf("replay -- -once: exit %d, %v, paths %q", code, err, paths)
	}
	// An unknown name is left alone, for pflag to refuse.
	if _, err := parseCommandLine([]string{"-bogus"}, os.Stdout); err == nil || !strings.Contains(err.Error(), "-bogus") {
		t.Errorf("-bogus: %v", err)
	}
}

// Each command's help lists every flag it takes, spelled --name, on stdout, exit 0,
// however help is asked for.
func TestEveryCommandsHelp(t *testing.T) {
	root := newRootCommand(testEnv(t), actions{}, new(int))
	for _, cmd := range append(root.Commands(), root) {
		for _, ask := range []string{"-h", "-help", "--help"} {
			args := []string{ask}
			if cmd != root {
				args = []string{cmd.Name(), ask}
			}
			code, out, errOut := runWamon(t, testEnv(t), args...)
			if code != exitOK || errOut != "" || !strings.HasPrefix(out, "wamon "+cmd.Name()+":") && !strings.HasPrefix(out, "wamon:") {
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
		if code != exitUsage || out != "" || errOut != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, out, errOut, want)
		}
	}
}

// What the shells are offered: cobra's __complete is what every completion script runs.
func TestCompletionCandidates(t *testing.T) {
	config := writeConfig(t, "numbers = [\"+12025550100\", \"+442071230101\"]\n", 0o600)
	for args, want := range map[string][]string{
		"se":                                   {"serve\tthe console over SSH, one poller for the team"},
		"--color ":                             {"auto", "truecolor", "256", "16", "none", ":4"},
		"serve --source ":                      {"kaleyra", "demo", "prometheus", ":4"},
		"--once --fail-on ":                    {"warn", "crit", ":4"},
		"replay --speed ":                      {"1", "10", "60", "max", ":4"},
		"replay ":                              {"zst", ":8"}, // directories and *.zst files
		"--interval ":                          {":4"},
		"--config " + config + " --number +44": {"+442071230101", ":4"},
	} {
		words := strings.Split(args, " ") // a trailing space is an empty word: complete a new one
		code, out, errOut := runWamon(t, testEnv(t), append([]string{"__complete"}, words...)...)
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if want[len(want)-1][0] != ':' {
			got = got[:len(got)-1] // the directive
		}
		if code != exitOK || !slices.Equal(got, want) {
			t.Errorf("complete %q: exit %d, %q (stderr %q); want %q", args, code, got, errOut, want)
		}
	}
}

// Bash, as a person uses it: the script wamon completion bash writes, sourced in an
// interactive bash in tmux, completes a command and a flag's value on tab.
func TestBashCompletionInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds wamon and runs bash in tmux")
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		// cobra's bash script stands on the bash-completion package, as every user's does.
		if os.Getenv("CI") != "" && !strings.Contains(os.Getenv("WAMON_CI_UNINSTALLABLE"), "bash-completion") {
			t.Fatalf("bash-completion is not installed, and .ci/run did not report failing to install it: %v", err)
		}
		t.Skipf("bash-completion is not installed (.ci/run installs it with apt where it can): %v", err)
	}
	bin := buildWamon(t)
	dir := filepath.Dir(bin)
	script, err := exec.Command(bin, "completion", "bash").Output()
	if err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "bashrc")
	if err := os.WriteFile(rc, []byte("PS1='ready$ '\nsource "+bashCompletion+"\nsource "+filepath.Join(dir, "wamon.bash")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wamon.bash"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	p := newPane(t, "100", "20", "env PATH="+dir+":/usr/bin:/bin HOME="+dir+" bash --noprofile --rcfile "+rc+" -i")
	p.waitFor("the prompt", "ready$")
	p.keys("wamon se", "Tab")
	p.waitFor("the command completed", "ready$ wamon serve")
	p.keys("--col", "Tab")
	p.waitFor("the flag completed", "ready$ wamon serve --color")
	p.keys("Tab", "Tab")
	p.waitFor("the colour modes offered", "truecolor", "256", "none")
}

// parseCommandLine reads wamon's or wamon serve's command line without running it.
func parseCommandLine(args []string, stdout io.Writer) (commandLine, error) {
	var cl commandLine
	_, err := execute(args, os.Getenv, stdout, io.Discard, actions{
		console: func(read commandLine) int { cl = read; return exitOK },
		replay:  func(replayLine) int { return exitOK },
	})
	return cl, err
}

// parseFlags reads the command line, minus what only main reads.
func parseFlags(args []string, stdout io.Writer) (cliFlags, error) {
	cl, err := parseCommandLine(args, stdout)
	return cl.cliFlags, err
}
