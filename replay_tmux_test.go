package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
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

// newPane starts cmd in a detached tmux session of the given size; it is killed at the
// end of the test.
func newPane(t *testing.T, width, height, cmd string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (.ci/run installs it)")
	}
	p := &pane{t: t, sock: filepath.Join(t.TempDir(), "tmux"), session: "wamon-" + width}
	p.tmux("new-session", "-d", "-s", p.session, "-x", width, "-y", height, cmd)
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...).CombinedOutput()
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
	deadline := time.Now().Add(10 * time.Second)
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
			p.t.Fatalf("%s: no %q on screen:\n%s", what, want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wamon replay as a person uses it: the shipped recording in a tmux pane, played,
// paused, moved back and forth with the keys, quit.
func TestReplayInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := buildWamon(t)
	recording, _ := filepath.Abs(demoRecording)
	p := newPane(t, "160", "48", "env -u NO_COLOR TERM=screen "+bin+" replay --speed 60 "+recording+"; echo WAMON-EXITED $?; sleep 30")
	clockAt := regexp.MustCompile(`REPLAY 2026-11-24 (\d\d:\d\d:\d\d) (\S+)`)
	clock := func() (string, string) {
		m := clockAt.FindStringSubmatch(p.screen())
		if m == nil {
			t.Fatalf("no replay clock in the header:\n%s", p.screen())
		}
		return m[1], m[2]
	}
	p.waitFor("start", "wamon replay of demo", "REPLAY 2026-11-24 10:0", "×60", "callback queue")
	first, _ := clock()
	time.Sleep(1500 * time.Millisecond)
	if now, _ := clock(); now <= first {
		t.Errorf("at ×60 the clock went from %s to %s in 1.5 s", first, now)
	}
	p.keys(">")
	p.waitFor("faster", "×300")
	p.keys("<", "<")
	p.waitFor("slower", "×30")
	p.keys("Space")
	p.waitFor("pause", " paused")
	paused, _ := clock()
	time.Sleep(1200 * time.Millisecond)
	if now, _ := clock(); now != paused {
		t.Errorf("paused at %s, the clock moved on to %s", paused, now)
	}
	p.keys("}")
	p.waitFor("ten minutes on", "REPLAY 2026-11-24 "+addClock(t, paused, 10*time.Minute))
	p.keys("[")
	p.waitFor("a minute back", "REPLAY 2026-11-24 "+addClock(t, paused, 9*time.Minute))
	p.keys("{", "{", "{", "{")
	p.waitFor("back to the start", "REPLAY 2026-11-24 10:00:01 paused")
	p.keys("}", "}", "}", "}")
	p.waitFor("the end", "REPLAY 2026-11-24 10:29:59 end")
	p.keys("e")
	p.waitFor("events", "events · newest first", "WS500")
	p.keys("r")
	p.waitFor("r", "a replay does not poll")
	p.keys("q")
	p.waitFor("quit", "WAMON-EXITED 0")
}

// addClock is the "15:04:05" clock c plus d.
func addClock(t *testing.T, c string, d time.Duration) string {
	t.Helper()
	at, err := time.Parse("15:04:05", c)
	if err != nil {
		t.Fatal(err)
	}
	return at.Add(d).Format("15:04:05")
}
