package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// at is where text is drawn on the console's screen, as a person would find it: the
// column of its first cell and its line. Lines before from are not searched.
func (c *testConsole) at(text string, from int) (x, y int) {
	c.t.Helper()
	for y, l := range strings.Split(c.View(), "\n") {
		if i := strings.Index(l, text); i >= 0 && y >= from {
			return ansi.StringWidth(l[:i]), y
		}
	}
	c.t.Fatalf("%q is not on the screen:\n%s", text, c.View())
	return 0, 0
}

// clickOn clicks the left button on text (its second cell, well inside it).
func (c *testConsole) clickOn(text string, from int) tea.Cmd {
	x, y := c.at(text, from)
	return c.click(x+1, y)
}

func (c *testConsole) click(x, y int) tea.Cmd {
	_, cmd := c.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
	return cmd
}

func (c *testConsole) wheel(button tea.MouseButton, notches int) {
	for range notches {
		c.Update(tea.MouseWheelMsg{X: 10, Y: 10, Button: button})
	}
}

// cursorRow is the text of the row under the cursor (the line with ▸).
func (c *testConsole) cursorRow() string {
	for _, l := range strings.Split(c.View(), "\n") {
		if strings.Contains(l, "▸") {
			return l
		}
	}
	return ""
}

func TestMouseClickOnATabOpensItsNumber(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		c := sized(t, size[0], size[1])
		c.clickOn("3 ", 1)
		if c.ctx.Active != 2 || !strings.Contains(strings.Split(c.View(), "\n")[1], "[3 ") {
			t.Errorf("%v: a click on tab 3 left number %d active:\n%s", size, c.ctx.Active+1, c.View())
		}
		// From the overview and a drill-down too: the number's main view.
		c.key("o")
		c.clickOn("2 ", 1)
		if c.ctx.Active != 1 || c.screenName() != "main" {
			t.Errorf("%v: a click on tab 2 over the overview: number %d, screen %s", size, c.ctx.Active+1, c.screenName())
		}
		c.key("j", "enter")
		c.clickOn("1 ", 1)
		if c.ctx.Active != 0 || c.screenName() != "main" {
			t.Errorf("%v: a click on tab 1 over a counter's detail: number %d, screen %s", size, c.ctx.Active+1, c.screenName())
		}
		// Between tabs, on the separator: nothing.
		x, _ := c.at("│", 1)
		c.click(x, 1)
		if c.ctx.Active != 0 {
			t.Errorf("%v: a click on a separator opened number %d", size, c.ctx.Active+1)
		}
	}
}

// A click on a row moves the cursor there; a second click on it opens it, as enter does,
// on every screen with rows to open. The row clicked is the one under the cursor's.
func TestMouseClickOnARowMovesTheCursorAndASecondOpensIt(t *testing.T) {
	for _, v := range []struct {
		keys  []string
		opens string
	}{
		{nil, "series"},
		{[]string{"o"}, "main"},
		{[]string{"i"}, "metric"},
		{[]string{"R"}, "series"},
		{[]string{"e"}, "main"},
	} {
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			c := sized(t, size[0], size[1])
			c.key(v.keys...)
			before := c.screenName()
			x, y := c.at("▸", 0)
			next := strings.Split(c.View(), "\n")[y+1]
			c.click(x+4, y+1)
			if _, now := c.at("▸", 0); now != y+1 || c.screenName() != before {
				t.Errorf("%v %v: a click on %q: screen %s, cursor on %q", v.keys, size, next, c.screenName(), c.cursorRow())
				continue
			}
			c.click(x+4, y+1)
			if c.screenName() != v.opens {
				t.Errorf("%v %v: a second click on %q opened %s, want %s", v.keys, size, next, c.screenName(), v.opens)
			}
		}
	}
	// On the metric detail, a click charts the series clicked.
	c := sized(t, 160, 48)
	c.key("i", "/")
	for _, k := range "callback_requests_duration_ms_c" {
		c.key(string(k))
	}
	c.key("enter", "enter")
	if c.screenName() != "metric" {
		t.Fatalf("screen %s", c.screenName())
	}
	c.clickOn(`result="301",type="status_change"`, 5)
	if !strings.Contains(c.cursorRow(), `result="301",type="status_change"`) {
		t.Errorf("the click left the cursor on %q", c.cursorRow())
	}
}

// Clicks on nothing in particular do nothing: the header's first line, a pane's border,
// the status line, the right button.
func TestMouseClickOnNothingDoesNothing(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("o")
	before := c.View()
	for _, xy := range [][2]int{{5, 0}, {0, 2}, {80, 3}, {5, 46}, {159, 47}} {
		c.click(xy[0], xy[1])
	}
	x, y := c.at("+12025550101", 3)
	c.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseRight})
	if c.View() != before || c.screenName() != "overview" {
		t.Errorf("clicks on nothing changed the screen:\n%s", c.View())
	}
	// Too small to be used: clicks are ignored.
	c.Update(tea.WindowSizeMsg{Width: 30, Height: 8})
	c.click(1, 1)
	if c.ctx.Active != 0 {
		t.Error("a click on the too-small screen switched numbers")
	}
}

// The wheel moves the cursor of a list a row a notch, and scrolls text (the raw payload,
// the help) three lines a notch.
func TestMouseWheelScrolls(t *testing.T) {
	var numbers []string
	for i := range 30 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", i))
	}
	c := newTestConsole(t, numbers...)
	c.poll(2)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if c.screenName() != "overview" {
		t.Fatalf("first screen %s", c.screenName())
	}
	c.wheel(tea.MouseWheelDown, 4)
	if got := c.top().(*overviewScreen).cur.pos; got != 4 {
		t.Errorf("four notches down put the cursor on row %d", got)
	}
	c.wheel(tea.MouseWheelUp, 1)
	if got := c.top().(*overviewScreen).cur.pos; got != 3 {
		t.Errorf("a notch up put the cursor on row %d", got)
	}

	c = sized(t, 160, 48)
	c.key("v")
	raw := c.top().(*rawScreen)
	c.wheel(tea.MouseWheelDown, 2)
	if got := raw.vp.YOffset(); got != 2*wheelLines {
		t.Errorf("two notches scrolled the payload %d lines", got)
	}
	c.key("esc")

	c = sized(t, 80, 16) // the keys do not fit: they scroll
	c.key("?")
	c.wheel(tea.MouseWheelDown, 1)
	if f := c.View(); !strings.Contains(f, "more keys above") {
		t.Errorf("a notch did not scroll the help:\n%s", f)
	}
}

// A click on a key in the footer does what the key does.
func TestMouseClickOnAFooterKey(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		c := sized(t, size[0], size[1])
		last := size[1] - 1
		c.clickOn("o fleet", last)
		if c.screenName() != "overview" {
			t.Errorf("%v: a click on o opened %s", size, c.screenName())
		}
		c.clickOn("? all keys", last)
		if c.screenName() != "help" {
			t.Errorf("%v: a click on ? opened %s", size, c.screenName())
		}
		c.clickOn("?/esc close", last)
		if c.screenName() != "overview" {
			t.Errorf("%v: a click on ?/esc left %s", size, c.screenName())
		}
		cmd := c.clickOn("q quit", last)
		quit := false
		for _, m := range flatten(cmd) {
			_, quit = m.(tea.QuitMsg)
			if quit {
				break
			}
		}
		if !quit {
			t.Errorf("%v: a click on q did not quit", size)
		}
	}
}

// The mouse is the console's when it is on, the terminal's when it is off.
func TestMouseModeFollowsTheOption(t *testing.T) {
	c := newTestConsole(t)
	for _, on := range []bool{true, false} {
		m := New(Options{Engine: c.eng, Mouse: on})
		if got := m.View().MouseMode != tea.MouseModeNone; got != on {
			t.Errorf("Mouse %v: mouse mode %v", on, m.View().MouseMode)
		}
	}
}

// With the mouse on, the help says what it does and how to select text all the same,
// and still shows every key at once from 80x24.
func TestHelpSpeaksOfTheMouse(t *testing.T) {
	for _, on := range []bool{true, false} {
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			c := newConsoleWith(t, consoleOpts{mouse: on})
			c.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			c.poll(2)
			c.key("?")
			f := c.View()
			if got := strings.Contains(f, "shift+drag selects text"); got != on {
				t.Errorf("mouse %v, %v: the help speaks of the mouse: %v\n%s", on, size, got, f)
			}
			if strings.Contains(f, "more keys") || !strings.Contains(f, "esc or ? closes this") {
				t.Errorf("mouse %v, %v: the help is not whole:\n%s", on, size, f)
			}
		}
	}
}

// mouseRun drives a console in a real Bubble Tea program (teatest) with the mouse: a
// twin console, on the same data, finds where to click as a person would, on the screen
// in view; both take the same clicks.
type mouseRun struct {
	twin *testConsole
	tm   *teatest.TestModel
}

func (r *mouseRun) send(msg tea.Msg) {
	r.twin.Update(msg)
	r.tm.Send(msg)
}

func (r *mouseRun) key(k string) { r.send(keyMsg(k)) }

func (r *mouseRun) clickOn(text string, from int) {
	x, y := r.twin.at(text, from)
	r.send(tea.MouseClickMsg{X: x + 1, Y: y, Button: tea.MouseLeft})
}

// clickBelowCursor clicks the row under the cursor's.
func (r *mouseRun) clickBelowCursor() {
	x, y := r.twin.at("▸", 0)
	r.send(tea.MouseClickMsg{X: x + 4, Y: y + 1, Button: tea.MouseLeft})
}

// clickCursor clicks the row under the cursor: a second click on the row a first one
// chose, which opens it.
func (r *mouseRun) clickCursor() {
	x, y := r.twin.at("▸", 0)
	r.send(tea.MouseClickMsg{X: x + 4, Y: y, Button: tea.MouseLeft})
}

func (r *mouseRun) wheel(button tea.MouseButton, notches int) {
	for range notches {
		r.send(tea.MouseWheelMsg{X: 20, Y: 10, Button: button})
	}
}

// The golden screens the mouse leads to, at 80x24 and 160x48: each screen clicked or
// scrolled.
func TestGoldenMouseScreens(t *testing.T) {
	views := []struct {
		name string
		do   func(r *mouseRun, h int)
	}{
		{"tab", func(r *mouseRun, h int) { r.clickOn("3 ", 1) }},
		{"row", func(r *mouseRun, h int) { r.clickBelowCursor() }},
		{"row-open", func(r *mouseRun, h int) { r.clickBelowCursor(); r.clickCursor() }},
		{"overview", func(r *mouseRun, h int) { r.key("o"); r.wheel(tea.MouseWheelDown, 1); r.clickBelowCursor() }},
		{"overview-open", func(r *mouseRun, h int) { r.key("o"); r.clickBelowCursor(); r.clickCursor() }},
		{"number", func(r *mouseRun, h int) { r.key("i"); r.wheel(tea.MouseWheelDown, 2) }},
		{"metric", func(r *mouseRun, h int) { r.key("i"); r.clickBelowCursor(); r.clickCursor(); r.clickBelowCursor() }},
		{"raw", func(r *mouseRun, h int) { r.key("v"); r.wheel(tea.MouseWheelDown, 2) }},
		{"help", func(r *mouseRun, h int) { r.clickOn("? all keys", h-1); r.wheel(tea.MouseWheelDown, 1) }},
		{"events", func(r *mouseRun, h int) { r.key("e"); r.clickBelowCursor() }},
		{"requests", func(r *mouseRun, h int) { r.key("R"); r.clickBelowCursor() }},
		{"footer", func(r *mouseRun, h int) { r.clickOn("o fleet", h-1) }},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, v := range views {
			t.Run(fmt.Sprintf("%s-%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				c, twin := newConsoleWith(t, consoleOpts{mouse: true}), newConsoleWith(t, consoleOpts{mouse: true})
				for _, x := range []*testConsole{c, twin} {
					x.sized = true // the golden of each view, not the first-screen rule
					x.poll(40)
				}
				twin.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				r := &mouseRun{twin: twin, tm: teatest.NewTestModel(t, c.Model, teatest.WithInitialTermSize(size[0], size[1]))}
				v.do(r, size[1])
				want := twin.View()
				r.tm.Send(keyMsg("q"))
				out := plain(r.tm.FinalModel(t, teatest.WithFinalTimeout(time.Minute)).(*Model))
				if out != want {
					t.Errorf("the program's screen is not its twin's:\n%s\n---\n%s", out, want)
				}
				assertFits(t, out, size[0], size[1])
				teatest.RequireEqualOutput(t, []byte(out))
			})
		}
	}
}
