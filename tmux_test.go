package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The console as a person uses it: the real binary in a tmux pane, keys typed, the pane
// read back. Skipped where tmux is absent; CI installs it.
func TestConsoleInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wamon")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, size := range [][2]string{{"80", "24"}, {"160", "48"}} {
		t.Run(size[0]+"x"+size[1], func(t *testing.T) {
			session := "wamon-test-" + size[0]
			sock := filepath.Join(dir, "tmux-"+size[0])
			tmux := func(args ...string) string {
				out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
				if err != nil {
					t.Fatalf("tmux %v: %v\n%s", args, err, out)
				}
				return string(out)
			}
			// TERM=screen without -256color: the case where colour detection fails.
			cmd := "env -u NO_COLOR -u KALEYRA_API_KEY TERM=screen XDG_CONFIG_HOME=" + t.TempDir() + " " + bin + " --interval 1s --log " + filepath.Join(dir, "log") + "; echo WAMON-EXITED $?; sleep 30"
			tmux("new-session", "-d", "-s", session, "-x", size[0], "-y", size[1], cmd)
			defer exec.Command("tmux", "-S", sock, "kill-server").Run()

			screen := func() string { return tmux("capture-pane", "-p", "-t", session) }
			waitFor := func(what string, want ...string) string {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for {
					s := screen()
					ok := true
					for _, w := range want {
						ok = ok && strings.Contains(s, w)
					}
					if ok {
						return s
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s: no %q on screen:\n%s", what, want, s)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			keys := func(k ...string) { tmux(append([]string{"send-keys", "-t", session}, k...)...) }

			s := waitFor("start", "callback queue", "callbacks by type", "OK")
			for i, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
				if w := len([]rune(line)); w > atoi(size[0]) {
					t.Errorf("line %d is %d wide", i+1, w)
				}
			}
			// The chart moves: two captures a few polls apart differ.
			first := screen()
			time.Sleep(2500 * time.Millisecond)
			if screen() == first {
				t.Error("the screen did not change in 2.5 s of 1 s polls")
			}
			keys("o")
			waitFor("overview", "fleet", "3 numbers")
			keys("Enter")
			waitFor("open a number", "callback queue")
			keys("3")
			waitFor("number 3", "[3 ")
			keys("j")
			keys("Enter")
			waitFor("counter detail", "callbacks of type")
			keys("Escape")
			waitFor("back", "callbacks by type")
			keys("i")
			waitFor("number detail", "metrics (15)", "latency")
			keys("Enter")
			waitFor("metric detail", "LABELS")
			// A key right after esc would arrive as alt+key: wait for each screen first,
			// as a person does.
			keys("Escape")
			waitFor("back to the number", "metrics (15)")
			keys("v")
			waitFor("raw", "raw payload of", `"code"`)
			keys("Escape")
			waitFor("back to the number", "metrics (15)")
			keys("Escape")
			waitFor("back to main", "callbacks by type")
			keys("?")
			waitFor("help", "Keys", "save screen")
			keys("?")
			keys("p")
			waitFor("pause", "PAUSED")
			keys("p")
			// 720 polls at 1 s hold 12 minutes: - skips 15m and 1h, which it cannot fill.
			keys("-")
			waitFor("zoom", "window all")
			keys("+")
			waitFor("zoom back", "window 5m")
			keys("q")
			waitFor("quit", "WAMON-EXITED 0")
			if log, _ := os.ReadFile(filepath.Join(dir, "log")); len(log) == 0 {
				t.Error("--log wrote nothing")
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
