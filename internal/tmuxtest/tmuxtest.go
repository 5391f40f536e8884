// Package tmuxtest runs terminal programs in tmux for tests, as a person would use them:
// a detached session of a fixed size, keys sent, the pane read back.
package tmuxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a tmux server of the test's own, with no tmux config; it is killed when
// the test ends.
type Server struct {
	t    testing.TB
	sock string
}

// New starts nothing yet: the server comes with the first session. The test skips where
// tmux is not installed.
func New(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (.ci/run installs it)")
	}
	// A socket path must stay short (108 bytes): not under t.TempDir's long names.
	dir, err := os.MkdirTemp("", "wtmux")
	if err != nil {
		t.Fatal(err)
	}
	x := &Server{t: t, sock: filepath.Join(dir, "s")}
	t.Cleanup(func() {
		exec.Command("tmux", "-S", x.sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return x
}

// Run runs a tmux command against the server and returns its output.
func (x *Server) Run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Start opens a detached w x h session running cmd; the pane stays after cmd exits.
func (x *Server) Start(name string, w, h int, cmd string) {
	x.t.Helper()
	x.Run("new-session", "-d", "-s", name, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), cmd)
	x.Run("set-option", "-t", name, "remain-on-exit", "on")
}

// Screen is what the session's pane shows now.
func (x *Server) Screen(name string) string { return x.Run("capture-pane", "-p", "-t", name) }

// Keys sends keys to the session, as send-keys names them; a key may start with a dash.
func (x *Server) Keys(name string, keys ...string) {
	x.t.Helper()
	x.Run(append([]string{"send-keys", "-t", name, "--"}, keys...)...)
}

// WaitFor polls the pane until it shows every one of want, and returns what it shows.
func (x *Server) WaitFor(name, what string, within time.Duration, want ...string) string {
	x.t.Helper()
	return x.wait(name, what, within, want, func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// WaitForAny polls the pane until it shows one of want.
func (x *Server) WaitForAny(name, what string, within time.Duration, want ...string) string {
	x.t.Helper()
	return x.wait(name, what, within, want, func(s string) bool {
		for _, w := range want {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	})
}

func (x *Server) wait(name, what string, within time.Duration, want []string, ok func(string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := x.Screen(name)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: pane %s shows no %q in %v:\n%s", what, name, want, within, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
