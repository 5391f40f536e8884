package ui

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// helpExpected is every binding of the key map that the ? screen must list, live or in a
// replay: each field of KeyMap, so that a binding added to it and not to the help fails
// here. Left out: Move (the footers' short form of Up and Down); in a replay, Pause and
// Refresh (a replay polls nothing: its own pause takes p); live, the replay's keys; Save
// where the console saves nothing (served).
func helpExpected(t *testing.T, km KeyMap, replay bool) []key.Binding {
	t.Helper()
	var out []key.Binding
	v := reflect.ValueOf(km)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if !v.Type().Field(i).IsExported() {
			continue
		}
		b, ok := v.Field(i).Interface().(key.Binding)
		if !ok {
			t.Fatalf("KeyMap.%s is not a key.Binding", name)
		}
		replayKey := strings.HasPrefix(name, "Replay") || strings.HasPrefix(name, "Seek") || name == "Slower" || name == "Faster"
		switch {
		case name == "Move":
		case name == "Save" && km.noSave:
		case replay && (name == "Pause" || name == "Refresh"):
		case !replay && replayKey:
		default:
			out = append(out, b)
		}
	}
	return out
}

// Every key binding's help shows on the ? screen, live and in a replay, at 80x24 and
// 160x48: its key, then its words, on one line.
func TestHelpListsEveryKey(t *testing.T) {
	dir := t.TempDir()
	live := recordedConsole(t, dir, 10)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, replay := range []bool{false, true} {
			m := live.Model
			if replay {
				m, _ = replayedConsole(t, dir, live.clock.Now())
				m.ctx.Replay = &fakeReplay{}
			}
			m.ctx.Mouse = true // as the console runs by default: its line must fit too
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m.Update(keyMsg("?"))
			frame := plain(m)
			if m.top().name() != "help" {
				t.Fatalf("? opened %s", m.top().name())
			}
			assertFits(t, frame, size[0], size[1])
			expected := helpExpected(t, m.ctx.Keys, replay)
			if len(expected) < 25 {
				t.Fatalf("only %d bindings expected", len(expected))
			}
			for _, b := range expected {
				h := b.Help()
				if !regexp.MustCompile(`(?m)(^|[│ ])` + regexp.QuoteMeta(h.Key) + ` +` + regexp.QuoteMeta(h.Desc) + `( |$)`).MatchString(frame) {
					t.Errorf("%dx%d, replay %v: the help lacks %q %q:\n%s", size[0], size[1], replay, h.Key, h.Desc, frame)
				}
			}
			if !strings.Contains(frame, "Every key works") || !strings.Contains(frame, "shift+drag") || strings.Contains(frame, "more keys") {
				t.Errorf("%dx%d, replay %v: the help is not whole:\n%s", size[0], size[1], replay, frame)
			}
			m.Update(keyMsg("?"))
		}
	}
}

// Below 80x24 the keys scroll: a marker says more are hidden, j and pgdn bring them
// into view, and every one of them can be reached.
func TestHelpScrollsWhenTooSmall(t *testing.T) {
	c := sized(t, 60, 16)
	under := c.screenName()
	c.key("?")
	seen := c.View()
	if !strings.Contains(seen, "more keys below") {
		t.Fatalf("no marker of more keys:\n%s", seen)
	}
	for range 40 {
		c.key("j")
		seen += c.View()
	}
	c.key("g")
	if !strings.Contains(c.View(), "more keys below") {
		t.Errorf("g did not go back to the top:\n%s", c.View())
	}
	c.key("pgdown", "pgdown", "pgdown", "pgdown", "pgdown")
	if f := c.View(); !strings.Contains(f, "more keys above") || strings.Contains(f, "below") {
		t.Errorf("pgdn did not reach the end:\n%s", f)
	}
	for _, b := range helpExpected(t, c.ctx.Keys, false) {
		if !strings.Contains(seen, b.Help().Desc) {
			t.Errorf("scrolling never showed %q", b.Help().Desc)
		}
	}
	c.key("esc")
	if c.screenName() != under {
		t.Errorf("esc went to %s", c.screenName())
	}
}

// y copies a one-line summary: the footers of the main view and the overview (where it
// copies the number under the cursor) show it at 80 columns as at 160.
func TestFootersShowTheCopyKey(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		c := sized(t, size[0], size[1])
		for _, screen := range []string{"main", "overview"} {
			if screen == "overview" {
				c.key("o")
			}
			if c.screenName() != screen {
				t.Fatalf("on %s, want %s", c.screenName(), screen)
			}
			lines := strings.Split(c.View(), "\n")
			if keys := lines[len(lines)-1]; !regexp.MustCompile(`• y copy( •| …|$)`).MatchString(keys) {
				t.Errorf("%dx%d %s footer %q: no y", size[0], size[1], screen, keys)
			}
		}
	}
}

// Whatever a screen's footer must cut, ? (which lists what was cut) and q stay on it.
func TestEveryFooterEndsWithHelpAndQuit(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {160, 48}} {
		c := sized(t, size[0], size[1])
		for _, keys := range [][]string{nil, {"o"}, {"enter"}, {"i"}, {"i", "enter"}, {"v"}, {"e"}, {"R"}, {"R", "enter"}} {
			c.key(keys...)
			lines := strings.Split(c.View(), "\n")
			if footer := lines[len(lines)-1]; !strings.HasSuffix(footer, "? all keys • q quit") {
				t.Errorf("%dx%d on %s after %q: footer %q", size[0], size[1], c.screenName(), keys, footer)
			}
			c.key("esc", "esc", "esc")
		}
	}
}

// A served console saves nothing: its help leaves ctrl+s out, and ctrl+s says why.
func TestServedHelpLeavesSaveOut(t *testing.T) {
	c := newTestConsole(t)
	for _, noSave := range []bool{false, true} {
		m := New(Options{Engine: c.eng, NoSave: noSave, Location: time.UTC})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		m.Update(keyMsg("?"))
		if got := strings.Contains(plain(m), "save screen"); got == noSave {
			t.Errorf("NoSave %v: the help lists ctrl+s: %v\n%s", noSave, got, plain(m))
		}
		if !noSave {
			continue
		}
		m.Update(keyMsg("esc"))
		m.Update(keyMsg("ctrl+s"))
		if f := plain(m); !strings.Contains(f, "saves on the local console only") {
			t.Errorf("a served ctrl+s does not say why it saves nothing:\n%s", f)
		}
	}
}
