package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pane is a tmux pane running a command, read back as a person sees it.
type pane struct {
	t       *testing.T
	sock    string
	session string
}

// newPane starts cmd in a detached tmux session of the given size, with no tmux config;
// it is killed at the end of the test.
func newPane(t *testing.T, width, height, cmd string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (.ci/run installs it)")
	}
	dir, err := os.MkdirTemp("", "wtmux") // a socket path must stay short
	if err != nil {
		t.Fatal(err)
	}
	p := &pane{t: t, sock: filepath.Join(dir, "s"), session: "wamon-" + width}
	t.Cleanup(func() {
		exec.Command("tmux", "-S", p.sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	p.tmux("new-session", "-d", "-s", p.session, "-x", width, "-y", height, cmd)
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (p *pane) screen() string { return p.tmux("capture-pane", "-p", "-t", p.session) }

func (p *pane) keys(k ...string) { p.tmux(append([]string{"send-keys", "-t", p.session}, k...)...) }

// waitFor waits up to 10 s for every want on screen, and returns the screen.
func (p *pane) waitFor(what string, want ...string) string {
	p.t.Helper()
	return p.waitWithin(what, 10*time.Second, want...)
}

// waitWithin is waitFor with its own limit.
func (p *pane) waitWithin(what string, within time.Duration, want ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := p.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no %q on screen in %v:\n%s", what, want, within, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
