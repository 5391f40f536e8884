package e2e

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// wamon replay as a person uses it: the shipped recording in a tmux pane, played,
// paused, moved back and forth with the keys, quit.
func TestReplayInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := wamonBin
	recording, _ := filepath.Abs("../examples/demo-recording")
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
