package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
)

// screen is one component of the console: the main view, the fleet overview, a
// drill-down, the help. It owns its cursor, sort, filter and viewport; the root model
// routes messages to the screen on top of its stack and composes its View between the
// header and the footer.
//
// A screen draws in Update and SetSize, when what it shows has changed, and View only
// returns that drawing: View changes nothing.
type screen interface {
	// Update handles a key the root did not take, or one of the messages below.
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int)
	help.KeyMap
	// name says what the screen is: main, overview, series, number, metric, raw, help.
	name() string
}

// Messages the root sends to the screen on top.
type (
	// dataMsg: the engine has new data (polls filed, pause toggled).
	dataMsg struct{}
	// clockMsg ticks once a second, on the second, for the clock and the ages.
	clockMsg struct{}
	// contextMsg: the shared context changed (the window, the number in view), or the
	// screen is back on top: draw again.
	contextMsg struct{}
)

// screenBase is what every screen keeps: the shared context, its size, its drawing, and
// which number and version of its data the drawing is of.
type screenBase struct {
	ctx      *Context
	w, h     int
	body     string
	drawnAt  int
	drawnFor uint64
	rowsAt   rowArea // where the rows of its table are drawn, for a click
}

func (b *screenBase) View() string              { return b.body }
func (b *screenBase) FullHelp() [][]key.Binding { return b.ctx.Keys.fullHelp() }

// drew notes which number and version a drawing shows.
func (b *screenBase) drew(v *monitor.View) { b.drawnAt, b.drawnFor = v.Index, v.Version }

// newData reports whether the number in view has news since the last drawing.
func (b *screenBase) newData() bool {
	return b.ctx.Engine.Len() > 0 &&
		(b.drawnAt != b.ctx.Active || b.ctx.Engine.Status(b.ctx.Active).Version != b.drawnFor)
}

// capturer is a screen that takes every key while the user types (a filter), and what
// is pasted then.
type capturer interface {
	capturing() bool
	paste(msg tea.PasteMsg)
}

// statusLiner is a screen with something to say in the footer's status line.
type statusLiner interface {
	statusLine() string
}

// cursor points at a row by its key (a callback type, a number, a metric, a series), so
// that when a re-sort or a new poll moves rows, it stays on what it pointed at. When its
// row is gone (filtered out, or the series disappeared) it keeps its position and takes
// the row there.
type cursor struct {
	key string
	pos int
}

// resolve finds the cursor's row among keys and returns its position, -1 when there
// are no rows.
func (c *cursor) resolve(keys []string) int {
	if len(keys) == 0 {
		c.pos = 0
		return -1
	}
	for i, k := range keys {
		if k == c.key {
			c.pos = i
			return i
		}
	}
	c.pos = max(0, min(c.pos, len(keys)-1))
	c.key = keys[c.pos]
	return c.pos
}

// moveTo puts the cursor on row i, clamped.
func (c *cursor) moveTo(keys []string, i int) {
	if len(keys) == 0 {
		return
	}
	c.pos = max(0, min(i, len(keys)-1))
	c.key = keys[c.pos]
}

// move handles the movement keys; it reports whether msg was one.
func (c *cursor) move(k KeyMap, msg tea.KeyPressMsg, keys []string, page int) bool {
	i := c.resolve(keys)
	switch {
	case key.Matches(msg, k.Up):
		i--
	case key.Matches(msg, k.Down):
		i++
	case key.Matches(msg, k.PageUp):
		i -= max(1, page)
	case key.Matches(msg, k.PageDown):
		i += max(1, page)
	case key.Matches(msg, k.Top):
		i = 0
	case key.Matches(msg, k.Bottom):
		i = len(keys) - 1
	default:
		return false
	}
	c.moveTo(keys, i)
	return true
}

// filter is the `/` filter of a list screen: typed in the footer, kept after enter,
// cleared by esc. A screen embeds it, and so is a capturer and a statusLiner.
type filter struct {
	input  textinput.Model
	typing bool
}

func newFilter() filter {
	in := textinput.New()
	in.Prompt = "/"
	in.CharLimit = 64
	return filter{input: in}
}

// value is the filter in lower case, "" for none.
func (f *filter) value() string { return strings.ToLower(f.input.Value()) }

// matches reports whether any of the texts contains the filter, ignoring case.
func (f *filter) matches(texts ...string) bool { return f.matcher()(texts...) }

// matcher is matches for many rows: the filter is read once.
func (f *filter) matcher() func(texts ...string) bool {
	v := f.value()
	return func(texts ...string) bool { return contains(v, texts) }
}

func contains(v string, texts []string) bool {
	if v == "" {
		return true
	}
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), v) {
			return true
		}
	}
	return false
}

// start begins typing. The cursor does not blink: an idle console sends no messages.
func (f *filter) start() {
	f.typing = true
	f.input.Focus()
}

// update takes a key while typing; changed says the filter's value changed.
func (f *filter) update(msg tea.KeyPressMsg) (cmd tea.Cmd, changed bool) {
	switch msg.String() {
	case "esc":
		f.typing = false
		f.input.Blur()
		f.input.SetValue("")
		return nil, true
	case "enter":
		f.typing = false
		f.input.Blur()
		return nil, false
	}
	before := f.input.Value()
	f.input, cmd = f.input.Update(msg)
	return cmd, f.input.Value() != before
}

// clear empties a kept filter; it reports whether there was one.
func (f *filter) clear() bool {
	if f.input.Value() == "" {
		return false
	}
	f.input.SetValue("")
	return true
}

func (f *filter) capturing() bool { return f.typing }

// paste types text pasted while typing; the input keeps one line and its limit.
func (f *filter) paste(msg tea.PasteMsg) { f.input, _ = f.input.Update(msg) }

// statusLine is the footer's status line for the filter: the input while typing, the
// kept filter after.
func (f *filter) statusLine() string {
	if f.typing {
		return f.input.View()
	}
	if v := f.input.Value(); v != "" {
		return "filter /" + v
	}
	return ""
}

// typingKeys is the footer's help while a filter is typed.
var typingKeys = []key.Binding{
	key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
	key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
}
