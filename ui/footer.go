package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"
	"github.com/wamon/wamon/source"
)

// The footer: the active number's last update and last error, and the keys in view.

// shortKeys is the footer's help for the view in focus.
func (m *Model) shortKeys() []key.Binding {
	k := m.keys
	if m.filtering {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}
	}
	if m.showHelp {
		return []key.Binding{key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help")), k.Quit}
	}
	pause := k.Pause
	if m.paused {
		pause = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "resume"))
	}
	k.Pause = pause
	switch m.current() {
	case viewOverview:
		return []key.Binding{k.Enter, k.Move, k.Filter, k.Sort, k.Refresh, k.Pause, k.Back, k.Help, k.Quit}
	case viewSeries, viewMetric:
		return []key.Binding{k.Back, k.Move, k.ZoomIn, k.ZoomOut, k.NextNumber, k.Pause, k.Help, k.Quit}
	case viewNumber:
		return []key.Binding{k.Enter, k.Move, k.Raw, k.Filter, k.Back, k.Help, k.Quit}
	case viewRaw:
		return []key.Binding{k.Move, k.PageDown, k.Back, k.Help, k.Quit}
	}
	return []key.Binding{k.NextNumber, k.Enter, k.Info, k.Overview, k.Filter, k.Sort, k.ZoomIn, k.ZoomOut, k.Pause, k.Refresh, k.Help, k.Quit}
}

func (m *Model) renderFooter(w int) string {
	var status string
	n := m.activeNumber()
	switch {
	case m.filtering:
		status = m.filter.View()
	case m.flash != "":
		status = m.flash
	case n != nil:
		var parts []string
		if m.paused {
			parts = append(parts, m.theme.Paused.Render("PAUSED")+" (p resumes)")
		}
		if f := m.filter.Value(); f != "" {
			parts = append(parts, "filter /"+f)
		}
		switch {
		case n.last == nil && n.lastErr == nil:
			parts = append(parts, "waiting for the first poll of "+n.number)
		case !n.lastOK.IsZero():
			// A time, not an age: an age would redraw the footer every second for
			// nothing (a number that stops answering turns STALE in its tab).
			parts = append(parts, "updated "+n.lastOK.In(m.loc).Format("15:04:05"))
		}
		if n.lastErr != nil {
			e := source.Sanitize(n.lastErr.Error())
			parts = append(parts, m.theme.Error.Render("ERR "+n.lastErrAt.In(m.loc).Format("15:04:05"))+": "+e)
			if n.failures > 1 {
				parts[len(parts)-1] += fmt.Sprintf(" (%d in a row)", n.failures)
			}
		}
		status = strings.Join(parts, m.theme.Dim.Render(" · "))
	}
	hm := m.help
	hm.Width = w
	keys := ansi.Truncate(hm.ShortHelpView(m.shortKeys()), w, m.theme.Ellipsis)
	return ansi.Truncate(status, w, m.theme.Ellipsis) + "\n" + keys
}
