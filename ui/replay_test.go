package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/replay"
	"github.com/wamon/wamon/source"
)

// recordedConsole is a live test console whose polls are also recorded into dir, as
// wamon records them.
func recordedConsole(t *testing.T, dir string, rounds int) *testConsole {
	t.Helper()
	c := newTestConsole(t)
	c.sized = true
	w, err := record.Open(record.Options{Dir: dir, Now: c.clock.Now}, record.Header{
		Source: c.eng.SourceName(), Numbers: source.DemoNumbers(), Interval: c.eng.Interval(),
		Timeout: c.eng.Timeout(), History: c.eng.HistoryLen(), Thresholds: c.eng.Thresholds(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var seen uint64
	for range rounds {
		c.clock.Advance(5 * time.Second)
		for i := range c.eng.Len() {
			snap, err := c.demo.Fetch(context.Background(), c.eng.Number(i))
			c.eng.Record(i, snap, err)
			w.Poll(c.eng.Number(i), snap, err)
			// And the events it made, as the engine's recorder gets them.
			evs := c.eng.Events(monitor.EventFilter{})
			for k := len(evs) - 1; k >= 0; k-- {
				if evs[k].Seq > seen {
					w.Event(evs[k])
					seen = evs[k].Seq
				}
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Update(dataMsg{})
	return c
}

// replayedConsole is a console over a replay of dir, filed up to at.
func replayedConsole(t *testing.T, dir string, at time.Time) (*Model, *replay.Player) {
	t.Helper()
	rec, err := replay.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := &replay.Clock{}
	eng := replay.NewEngine(rec, clock)
	// The player plays the moment at alone: Run files up to it, and is at its end.
	p := replay.NewPlayer(rec, eng, clock, at, at, replay.Max)
	p.FileTo(at)
	m := New(Options{Engine: eng, Replay: p, Location: time.UTC, SaveDir: t.TempDir()})
	m.sized = true
	return m, p
}

// A recording played back shows what the live console showed at the same moment: every
// line of every screen but the header's first, which says REPLAY and the replayed time.
func TestReplayShowsWhatTheLiveConsoleShowed(t *testing.T) {
	dir := t.TempDir()
	live := recordedConsole(t, dir, 40)
	at := live.clock.Now()
	views := []struct {
		name string
		keys []string
	}{
		{"main", nil},
		{"overview", []string{"o"}},
		{"number-detail", []string{"i"}},
		{"counter-detail", []string{"j", "enter"}},
		{"failing-number", []string{"3"}},
		{"events", []string{"e"}},
		{"requests", []string{"R"}},
		{"raw", []string{"v"}},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, v := range views {
			t.Run(fmt.Sprintf("%s-%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				c := recordedConsole(t, t.TempDir(), 40) // a fresh live console per view
				played, _ := replayedConsole(t, dir, at)
				var frames [2]string
				for k, m := range []*Model{c.Model, played} {
					m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
					for _, key := range v.keys {
						m.Update(keyMsg(key))
					}
					frames[k] = plain(m)
				}
				liveLines, replayLines := strings.Split(frames[0], "\n"), strings.Split(frames[1], "\n")
				if len(liveLines) != len(replayLines) {
					t.Fatalf("live frame %d lines, replay %d", len(liveLines), len(replayLines))
				}
				if !strings.Contains(replayLines[0], "REPLAY 2026-11-24 10:03:20") {
					t.Errorf("replay header %q: want REPLAY and the replayed time", replayLines[0])
				}
				// The last line lists the keys: a replay's own pause key, and no r.
				keys := replayLines[len(replayLines)-1]
				if strings.Contains(keys, "poll now") || strings.Contains(liveLines[len(liveLines)-1], "pause") && !strings.Contains(keys, "pause replay") {
					t.Errorf("replay keys %q: want its own pause, and no poll now", keys)
				}
				for i := 1; i < len(liveLines)-1; i++ {
					if liveLines[i] != replayLines[i] {
						t.Errorf("line %d differs:\nlive   %q\nreplay %q", i+1, liveLines[i], replayLines[i])
					}
				}
			})
		}
	}
}

// fakeReplay is the console's side of a replay, without the player's goroutine: the
// golden screens are then drawn from a settled engine. (replay's own tests drive the
// real player.)
type fakeReplay struct {
	paused bool
	seeks  []time.Duration
	speed  int
}

func (f *fakeReplay) Status() (string, bool, bool) { return "×10", f.paused, false }
func (f *fakeReplay) TogglePause()                 { f.paused = !f.paused }
func (f *fakeReplay) Seek(d time.Duration)         { f.seeks = append(f.seeks, d) }
func (f *fakeReplay) ChangeSpeed(by int)           { f.speed += by }

// The replay's screens, pinned: the header with REPLAY, its clock and its state, at
// 80x24 and 160x48, paused a minute back; and the keys reach the replay. And its help.
func TestGoldenReplayScreens(t *testing.T) {
	dir := t.TempDir()
	live := recordedConsole(t, dir, 40)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("replay-%dx%d", size[0], size[1]), func(t *testing.T) {
			m, p := replayedConsole(t, dir, live.clock.Now())
			p.FileTo(live.clock.Now().Add(-time.Minute))
			fake := &fakeReplay{}
			m.ctx.Replay = fake
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
			for _, k := range []string{" ", "[", "]", "{", "}", "p", "r", ">", ">", "<"} {
				tm.Send(keyMsg(k))
			}
			tm.Send(keyMsg("q"))
			out := plain(tm.FinalModel(t, teatest.WithFinalTimeout(time.Minute)).(*Model))
			want := []time.Duration{-time.Minute, time.Minute, -10 * time.Minute, 10 * time.Minute}
			if fmt.Sprint(fake.seeks) != fmt.Sprint(want) || fake.paused || fake.speed != 1 {
				t.Errorf("seeks %v, paused %v, speed steps %d: want %v, space then p back to playing, two steps up and one down", fake.seeks, fake.paused, fake.speed, want)
			}
			assertFits(t, out, size[0], size[1])
			teatest.RequireEqualOutput(t, []byte(out))
		})
		// The replay's ? screen: its own keys in place of pause and poll now.
		t.Run(fmt.Sprintf("replay-help-%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := replayedConsole(t, dir, live.clock.Now())
			m.ctx.Replay = &fakeReplay{}
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
			tm.Send(keyMsg("?"))
			tm.Send(keyMsg("q"))
			out := plain(tm.FinalModel(t, teatest.WithFinalTimeout(time.Minute)).(*Model))
			assertFits(t, out, size[0], size[1])
			teatest.RequireEqualOutput(t, []byte(out))
		})
	}
}

var _ monitor.Recorder = (*record.Writer)(nil)

// A notice from the engine (a recording that stopped) shows in the footer once: a key
// clears it, and the next poll does not bring it back.
func TestNoticeShowsOnceInTheFooter(t *testing.T) {
	c := newTestConsole(t)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	c.poll(2)
	c.eng.Notify("recording stopped: open /rec/x: no space left on device (polling goes on)")
	c.Update(dataMsg{})
	footer := func() string {
		lines := strings.Split(c.View(), "\n")
		return lines[len(lines)-2]
	}
	if !strings.Contains(footer(), "recording stopped: open /rec/x: no space left on device") {
		t.Fatalf("footer %q: want the notice", footer())
	}
	c.key("j")
	c.poll(1)
	if strings.Contains(footer(), "recording stopped") {
		t.Errorf("footer %q: the notice came back", footer())
	}
	found := false
	for _, ev := range c.eng.Events(monitor.EventFilter{MinSeverity: 1}) {
		found = found || ev.Kind == monitor.EventNotice && strings.Contains(ev.Reason, "no space left")
	}
	if !found {
		t.Errorf("the notice is not on the timeline, as a warning")
	}
}
