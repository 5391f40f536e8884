package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wamon/wamon/source"
)

// waitingFixture is a waiting screen on a manual clock whose asks are answered by the
// test: each Discover waits for a reply on replies.
type waitingFixture struct {
	w       *Waiting
	now     time.Time
	asked   chan struct{}
	replies chan error
	console *testConsole
}

func newWaitingFixture(t *testing.T) *waitingFixture {
	f := &waitingFixture{now: testStart, asked: make(chan struct{}, 8), replies: make(chan error, 8)}
	f.console = newTestConsole(t)
	f.w = NewWaiting(WaitingOptions{
		Whom:  "Prometheus at http://prom:9090",
		Retry: 15 * time.Second,
		Now:   func() time.Time { return f.now },
		Discover: func(ctx context.Context) ([]string, []string, error) {
			f.asked <- struct{}{}
			if err := <-f.replies; err != nil {
				return nil, nil, err
			}
			return source.DemoNumbers(), []string{"2 numbers that are not E.164, left out"}, nil
		},
		Console: func(numbers, warnings []string) (*Model, error) {
			f.console.Model.flash = "warning: " + warnings[0]
			return f.console.Model, nil
		},
	})
	return f
}

// The first screen of a console that waits for its numbers says whom it waits for and
// how long, and, after a failure, the failure in one line and when it asks again.
func TestGoldenWaitingScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, state := range []string{"waiting", "failed"} {
			t.Run(fmt.Sprintf("%s-%dx%d", state, size[0], size[1]), func(t *testing.T) {
				f := newWaitingFixture(t)
				f.w.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				cmd := f.w.ask()
				f.now = f.now.Add(7 * time.Second)
				if state == "failed" {
					f.replies <- errors.New("cannot list the numbers: timeout: no complete response within 10s\x1b]0;pwned\x07 (or name them with --number)")
					f.w.Update(cmd())
					f.now = f.now.Add(3 * time.Second)
				}
				out := plain(f.w)
				assertFits(t, out, size[0], size[1])
				if strings.ContainsAny(out, "\x1b\x07") {
					t.Errorf("escape sequences on the screen: %q", out)
				}
				teatest.RequireEqualOutput(t, []byte(out))
			})
		}
	}
}

// A failure is asked again after the retry pause (or at once with r), and the answer
// opens the console over the numbers, at the screen's size, with the warnings found.
// The pause's own end is askAgain; TestWaitingPauseEndsInAnAsk has it.
func TestWaitingAsksAgainThenOpensTheConsole(t *testing.T) {
	f := newWaitingFixture(t)
	var model tea.Model = f.w
	model, _ = model.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	f.replies <- errors.New("refused: connection refused by prom:9090")
	model, pause := model.Update(f.w.ask()())
	if pause == nil {
		t.Fatal("no pause after a failure")
	}
	if v := plain(model); !strings.Contains(v, "asking Prometheus at http://prom:9090 again in 15s") ||
		!strings.Contains(v, "refused: connection refused by prom:9090") || !strings.Contains(v, "r ask now") {
		t.Fatalf("after a failure:\n%s", v)
	}
	// r asks at once; the pause's end, after, asks nothing more, nor does r while asking.
	f.replies <- nil
	model, ask := model.Update(keyMsg("r"))
	if v := plain(model); ask == nil || !strings.Contains(v, "waiting for Prometheus at http://prom:9090 (0s)") {
		t.Fatalf("asking again:\n%s", v)
	}
	if _, cmd := model.Update(askAgain{ask: 1}); cmd != nil {
		t.Error("a pause an ask replaced asked again")
	}
	if _, cmd := model.Update(keyMsg("r")); cmd != nil {
		t.Error("r asked while asking")
	}
	model, _ = model.Update(ask())
	m, ok := model.(*Model)
	if !ok {
		t.Fatalf("the answer did not open the console: %T\n%s", model, plain(model))
	}
	if m.width != 160 || m.height != 48 || !strings.Contains(plain(m), "2 numbers that are not E.164") {
		t.Errorf("the console is %dx%d:\n%s", m.width, m.height, plain(m))
	}
	if len(f.asked) != 2 {
		t.Errorf("asked %d times, want 2", len(f.asked))
	}
}

// q leaves at once, even while an ask hangs.
func TestWaitingQuitsWhileAsking(t *testing.T) {
	f := newWaitingFixture(t)
	f.w.ask()
	_, cmd := f.w.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q did nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q does not quit")
	}
	if f.w.ctx.Err() == nil {
		t.Error("the ask was not cancelled")
	}
}

// The end of the pause after a failure asks again.
func TestWaitingPauseEndsInAnAsk(t *testing.T) {
	f := newWaitingFixture(t)
	f.replies <- errors.New("refused")
	f.w.Update(f.w.ask()())
	if _, cmd := f.w.Update(askAgain{ask: 1}); cmd == nil || !f.w.asking {
		t.Error("the pause's end did not ask again")
	}
}
