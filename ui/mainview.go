package ui

import (
	"fmt"

	"github.com/charmbracelet/lipgloss"
	"github.com/wamon/wamon/source"
)

// The main view of one number: the QueuePane above the CounterTable.

func (m *Model) renderMain(w, h int) string {
	n := m.activeNumber()
	if n == nil {
		return "no numbers configured"
	}
	// Nothing on this screen depends on the clock: between polls of this number (the
	// clock ticks every second) the last rendering stands.
	key := fmt.Sprintf("%p|%d|%d|%d|%d|%d|%d|%q", n, n.version, w, h, m.window, m.mainSort, m.mainCursor, m.filter.Value())
	if key != m.mainKey {
		m.mainKey, m.mainBody = key, m.renderMainBody(n, w, h)
	}
	return m.mainBody
}

func (m *Model) renderMainBody(n *numberState, w, h int) string {
	if n.last == nil {
		msg := "waiting for the first poll of " + n.number + " …"
		if n.lastErr != nil {
			msg = n.number + " has not answered yet.\n\n" + m.theme.Error.Render("ERR") + " " +
				source.Sanitize(n.lastErr.Error()) + fmt.Sprintf("\n\n%d polls failed; retrying with backoff. i shows the number's detail.", n.failures)
		}
		return m.pane(w-2, h-2, lipgloss.NewStyle().Width(w-6).Render(msg))
	}
	// The table takes what its rows need (up to half the screen), the chart the rest.
	rows := len(m.mainRows())
	tableH := min(max(rows, 2)+6, h/2)
	if h < 16 {
		tableH = h / 2
	}
	queueH := h - tableH
	return lipgloss.JoinVertical(lipgloss.Left, m.renderQueuePane(n, w, queueH), m.renderCounterTable(n, w, tableH))
}
