package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// helpScreen lists every key, and says which glyphs are drawn and why. The keys are laid
// out in as few lines as the width allows, whole groups to a column; at 80x24 every key
// shows. A smaller terminal scrolls them (j/k, pgdn), with a marker while more are hidden.
type helpScreen struct {
	screenBase
	vp      viewport.Model
	keys    string // laid out for the width
	closing string // the last lines, wrapped to the width
	scroll  bool   // the keys do not fit: they scroll in the viewport
}

func newHelpScreen(ctx *Context) *helpScreen {
	return &helpScreen{screenBase: screenBase{ctx: ctx}, vp: viewport.New()}
}

func (s *helpScreen) name() string { return "help" }

func (s *helpScreen) ShortHelp() []key.Binding {
	close := key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help"))
	if s.scroll {
		k := s.ctx.Keys
		return []key.Binding{close, k.Move, k.PageDown, k.Quit}
	}
	return []key.Binding{close, s.ctx.Keys.Quit}
}

// Update closes the help on ? or esc and scrolls the keys when they do not fit; every
// other key waits.
func (s *helpScreen) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	switch {
	case !ok:
	case key.Matches(k, s.ctx.Keys.Help, s.ctx.Keys.Back):
		s.ctx.nav.pop()
	case s.scroll && key.Matches(k, s.ctx.Keys.Top):
		s.vp.GotoTop()
		s.draw()
	case s.scroll && key.Matches(k, s.ctx.Keys.Bottom):
		s.vp.GotoBottom()
		s.draw()
	case s.scroll:
		s.vp, _ = s.vp.Update(msg)
		s.draw()
	}
	return nil
}

func (s *helpScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	iw, ih := max(0, w-2), max(0, h-2)
	ctx := s.ctx
	groups := ctx.Keys.fullHelp()
	if ctx.Replay != nil {
		groups = ctx.Keys.replayHelp()
	}
	s.keys = helpColumns(&ctx.Help, groups, iw)
	s.closing = wrapNote(iw, 3, helpClosing(ctx.Mouse), helpClosing(false))
	// The title, a blank line, the keys, a blank line and the closing lines.
	room := ih - 3 - strings.Count(s.closing, "\n") - 1
	s.scroll = strings.Count(s.keys, "\n")+1 > room
	s.vp.SetWidth(iw)
	s.vp.SetHeight(max(1, room-1)) // a line for the marker
	s.vp.SetContent(s.keys)
	s.draw()
}

func (s *helpScreen) draw() {
	ctx := s.ctx
	th := &ctx.Theme
	title := th.Title.Render("Keys")
	if ctx.Glyphs != "" {
		title += th.Dim.Render(" · glyphs: " + ctx.Glyphs)
	}
	keys := s.keys
	if s.scroll {
		keys = s.vp.View()
		more := strings.TrimSpace(th.Down) + " more keys below: j/k, pgdn"
		switch {
		case s.vp.AtBottom():
			more = strings.TrimSpace(th.Up) + " more keys above: k, pgup, g"
		case !s.vp.AtTop():
			more = strings.TrimSpace(th.Up+th.Down) + " more keys above and below: j/k, pgup/pgdn"
		}
		keys += "\n" + th.Key.Render(more)
	}
	content := title + "\n\n" + keys +
		"\n\n" + th.Dim.Render(s.closing)
	s.body = ctx.pane(s.w-2, s.h-2, content)
}

// helpColumns lays the groups of keys out in columns no wider together than w, in as
// few lines as that allows: a column per group where they fit side by side, else each
// group whole under an earlier one (after a blank line) where it fits, else in a column
// of its own. Past the narrowest (every group in one column) lines are cut where drawn.
func helpColumns(hm *help.Model, groups [][]key.Binding, w int) string {
	var enabled [][]key.Binding
	tallest, total := 0, -1
	for _, g := range groups {
		var keep []key.Binding
		for _, b := range g {
			if b.Enabled() {
				keep = append(keep, b)
			}
		}
		if len(keep) > 0 {
			enabled = append(enabled, keep)
			tallest, total = max(tallest, len(keep)), total+len(keep)+1
		}
	}
	// A column per group where they fit side by side: as few lines as can be.
	out := renderHelpColumns(hm, enabled)
	if lipgloss.Width(out) <= w {
		return out
	}
	for height := tallest + 1; height <= total; height++ {
		// First fit: each group under the first column that has room for it.
		var cols [][]key.Binding
		for _, g := range enabled {
			placed := false
			for c := range cols {
				if len(cols[c])+1+len(g) <= height {
					cols[c] = append(append(cols[c], key.Binding{}), g...) // a blank line, then g
					placed = true
					break
				}
			}
			if !placed {
				cols = append(cols, g)
			}
		}
		out = renderHelpColumns(hm, cols)
		if lipgloss.Width(out) <= w {
			break
		}
	}
	return out
}

// renderHelpColumns draws columns of bindings side by side, a zero binding as a blank
// line: each column's keys aligned, then their descriptions, as help.Model draws them.
func renderHelpColumns(hm *help.Model, cols [][]key.Binding) string {
	blocks := make([]string, 0, 2*len(cols))
	for c, col := range cols {
		keyW := 0
		for _, b := range col {
			keyW = max(keyW, lipgloss.Width(b.Help().Key))
		}
		lines := make([]string, len(col))
		for i, b := range col {
			if b.Help().Key == "" {
				continue
			}
			pad := strings.Repeat(" ", keyW-lipgloss.Width(b.Help().Key))
			lines[i] = hm.Styles.FullKey.Render(b.Help().Key) + pad + " " + hm.Styles.FullDesc.Render(b.Help().Desc)
		}
		if c > 0 {
			blocks = append(blocks, hm.Styles.FullSeparator.Render(hm.FullSeparator))
		}
		blocks = append(blocks, lipgloss.JoinVertical(lipgloss.Left, lines...))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, blocks...)
}

// helpClosing is the help's last word: where keys work, and with the mouse on, what it
// does and how to select text all the same.
func helpClosing(mouse bool) string {
	c := "Every key works on every screen where it makes sense. esc or ? closes this."
	if mouse {
		c += "\nMouse: click tabs, rows (twice: open), footer keys; shift+drag selects text."
	}
	return c
}

// scrollsText: the wheel scrolls the keys by lines, where they do not fit.
func (s *helpScreen) scrollsText() bool { return true }
