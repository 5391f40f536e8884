package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The mouse: a click on a tab opens its number, a click on a row moves the cursor there
// and a second click on it opens it (as enter does), the wheel scrolls what the keys
// scroll, and a click on a key in the footer does what the key does.
//
// The console knows where it drew each of these, so it finds what was clicked from its
// own layout: the root keeps the columns of the tabs and of the footer's keys as it
// draws them, and each screen keeps the lines of its table's rows. (bubblezone would mark
// them with escape sequences and find them again in every frame, on a goroutine of its
// own: a cost on every frame for what a click needs now and then, and a click just after
// a redraw could find the zones of the frame before.)

// span is a run of columns on a line of the screen, and what is there: a number's tab
// (index) or a key of the footer (key).
type span struct {
	from, to int // columns from and up to (not including) to
	index    int
	key      string
}

// spanAt is the span of spans at column x.
func spanAt(spans []span, x int) (span, bool) {
	for _, s := range spans {
		if x >= s.from && x < s.to {
			return s, true
		}
	}
	return span{}, false
}

// rowArea is where the rows of a table are on a screen's body: the line of the first row
// shown, which row that is, and how many are shown.
type rowArea struct{ top, first, count int }

// at is the row drawn on line y, if any.
func (a rowArea) at(y int) (int, bool) {
	if y < a.top || y >= a.top+a.count {
		return 0, false
	}
	return a.first + y - a.top, true
}

// under places a table's rows in a bordered pane: the table follows prefix (the lines
// above it in the pane), in a pane whose top border is on the body's line top.
func (a rowArea) under(prefix string, top int) rowArea {
	a.top += top + 1 + strings.Count(prefix, "\n")
	return a
}

// click moves the cursor to the row on line y of area; again says the row was already
// under the cursor (a second click opens it). It reports whether y held a row.
func (c *cursor) click(area rowArea, keys []string, y int) (hit, again bool) {
	row, ok := area.at(y)
	if !ok || row >= len(keys) {
		return false, false
	}
	again = c.resolve(keys) == row
	c.moveTo(keys, row)
	return true, again
}

// wheelKey is the key a notch of the wheel stands for: up or down.
func wheelKey(msg tea.MouseWheelMsg) (tea.KeyPressMsg, bool) {
	switch msg.Button {
	case tea.MouseWheelUp:
		return keyPress("up"), true
	case tea.MouseWheelDown:
		return keyPress("down"), true
	}
	return tea.KeyPressMsg{}, false
}

// wheelLines is how many lines a notch scrolls text (the raw payload, the help); a list
// moves its cursor a row a notch.
const wheelLines = 3

// textScroller is a screen of text that the wheel scrolls by lines, not rows.
type textScroller interface{ scrollsText() bool }

// onMouse takes a click or a notch of the wheel: on a tab, on a key of the footer, or in
// the body, where the screen on top takes it in its own coordinates.
func (m *Model) onMouse(msg tea.MouseMsg) tea.Cmd {
	mouse := msg.Mouse()
	_, bodyH := m.bodySize()
	switch msg := msg.(type) {
	case tea.MouseClickMsg:
		if msg.Button != tea.MouseLeft || m.width < MinWidth || m.height < MinHeight {
			return nil
		}
		m.flash = ""
		switch {
		case mouse.Y == 1: // the tabs
			if s, ok := spanAt(m.tabSpans, mouse.X); ok {
				m.switchNumber(s.index)
			}
		case mouse.Y == m.height-1: // the footer's keys
			if s, ok := spanAt(m.keySpans, mouse.X); ok {
				return m.onKey(keyPress(s.key))
			}
		case mouse.Y >= 2 && mouse.Y < 2+bodyH:
			msg.Y -= 2
			return m.top().Update(msg)
		}
	case tea.MouseWheelMsg:
		k, ok := wheelKey(msg)
		if !ok {
			return nil
		}
		n := 1
		if t, ok := m.top().(textScroller); ok && t.scrollsText() {
			n = wheelLines
		}
		var cmds []tea.Cmd
		for range n {
			cmds = append(cmds, m.onKey(k))
		}
		return tea.Batch(cmds...)
	}
	return nil
}

// keyPress is the key press of a key as key bindings name it ("enter", "ctrl+s", "j").
func keyPress(k string) tea.KeyPressMsg {
	if key, ok := namedKeys[k]; ok {
		return tea.KeyPressMsg(key)
	}
	if ctrl, ok := strings.CutPrefix(k, "ctrl+"); ok && len(ctrl) == 1 {
		return tea.KeyPressMsg{Code: rune(ctrl[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

var namedKeys = map[string]tea.Key{
	"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "backspace": {Code: tea.KeyBackspace},
	"up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd},
	"pgup": {Code: tea.KeyPgUp}, "pgdown": {Code: tea.KeyPgDown}, "space": {Code: tea.KeySpace, Text: " "},
}

// firstKey is the key a click on a binding in the footer presses.
func firstKey(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return ks[0]
	}
	return ""
}
