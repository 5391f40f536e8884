package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// helpScreen lists every key, and says which glyphs are drawn and why.
type helpScreen struct{ screenBase }

func newHelpScreen(ctx *Context) *helpScreen { return &helpScreen{screenBase{ctx: ctx}} }

func (s *helpScreen) name() string { return "help" }

func (s *helpScreen) ShortHelp() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help")), s.ctx.Keys.Quit}
}

// Update closes the help on ? or esc; every other key waits.
func (s *helpScreen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok && key.Matches(k, s.ctx.Keys.Help, s.ctx.Keys.Back) {
		s.ctx.nav.pop()
	}
	return nil
}

func (s *helpScreen) SetSize(w, h int) {
	ctx := s.ctx
	th := &ctx.Theme
	hm := ctx.Help
	hm.ShowAll = true
	hm.Width = 0 // measured below; help.Model would cut columns off instead
	groups := ctx.Keys.fullHelp()
	if ctx.Replay != nil {
		groups = ctx.Keys.replayHelp()
	}
	keys := hm.FullHelpView(groups)
	if lipgloss.Width(keys) > w-4 {
		// Narrow: two rows of two columns rather than cutting the last ones off.
		half := (len(groups) + 1) / 2
		keys = hm.FullHelpView(groups[:half]) + "\n\n" + hm.FullHelpView(groups[half:])
	}
	title := th.Title.Render("Keys")
	if ctx.Glyphs != "" {
		title += th.Dim.Render(" · glyphs: " + ctx.Glyphs)
	}
	content := title + "\n\n" + keys +
		"\n\n" + th.Dim.Render("Every key works on every screen where it makes sense. esc or ? closes this.")
	s.body = ctx.pane(w-2, h-2, content)
}
