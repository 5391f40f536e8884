package e2e

import (
	"testing"
	"time"

	"github.com/wamon/wamon/internal/tmuxtest"
)

// pane is one tmux session running a command, read back as a person sees it.
type pane struct {
	x       *tmuxtest.Server
	session string
}

// newPane starts cmd in a detached tmux session of the given size (the test skips
// without tmux); it is killed at the end of the test.
func newPane(t *testing.T, width, height, cmd string) *pane {
	t.Helper()
	p := &pane{x: tmuxtest.New(t), session: "wamon-" + width}
	p.x.Start(p.session, atoi(width), atoi(height), cmd)
	return p
}

func (p *pane) tmux(args ...string) string { return p.x.Run(args...) }
func (p *pane) screen() string             { return p.x.Screen(p.session) }
func (p *pane) keys(k ...string)           { p.x.Keys(p.session, k...) }

// waitFor waits for every want on screen, and returns the screen; the minute only keeps a
// broken run from hanging.
func (p *pane) waitFor(what string, want ...string) string {
	return p.x.WaitFor(p.session, what, time.Minute, want...)
}

// waitWithin is waitFor with its own limit.
func (p *pane) waitWithin(what string, within time.Duration, want ...string) string {
	return p.x.WaitFor(p.session, what, within, want...)
}
