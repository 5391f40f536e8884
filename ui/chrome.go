package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/source"
)

// The header and the footer: on every screen.

func (m *Model) stateStyle(s state) lipgloss.Style {
	switch s {
	case stateOK:
		return m.theme.OK
	case stateStale:
		return m.theme.Stale
	case stateError:
		return m.theme.Error
	case statePaused:
		return m.theme.Paused
	}
	return m.theme.Waiting
}

// tabText is one number's tab: index, number, state word, queue size.
func (m *Model) tabText(i int) string {
	n := m.numbers[i]
	s := n.stateAt(m.now(), m.opts.Interval, m.opts.Timeout, m.paused)
	q := ""
	if !math.IsNaN(n.fig.queue) {
		q = " q" + compact(n.fig.queue)
		// Past a threshold the tab says so in a glyph, not only in colour.
		q += [...]string{"", "~", "!"}[m.level(queueMetric, n.fig.queue)]
	}
	idx := " "
	if i < 9 {
		idx = fmt.Sprintf("%d", i+1)
	}
	number := n.number
	if m.width < 120 && len(number) > 6 {
		// Narrow: the last four digits tell a company's numbers apart.
		number = m.theme.Ellipsis + number[len(number)-4:]
	}
	return idx + " " + number + " " + s.word() + q
}

// tabsThatFit is how many tabs the header can show at the current width.
func (m *Model) tabsThatFit() int {
	used := 0
	for i := range m.numbers {
		used += lipgloss.Width(m.tabText(i)) + 3
		if used > m.width-12 {
			return i
		}
	}
	return len(m.numbers)
}

func (m *Model) renderHeader(w int) string {
	now := m.now()
	left := m.theme.Key.Render("wamon") + " " + m.theme.Dim.Render(source.Truncate(m.opts.Source.Name(), max(10, w/3)))
	// The clock, the only thing that changes every second, ends a short line: the
	// terminal gets a few dozen bytes a second, not a line padded to the full width.
	// Minutes, not seconds: an idle console then writes nothing between polls (the
	// footer gives the exact time of the last update).
	right := fmt.Sprintf("every %s · window %s · %s", m.opts.Interval, windowName(m.windowDur()), now.In(m.loc).Format("15:04"))
	if m.paused {
		right = m.theme.Paused.Render("PAUSED") + " · " + right
	}
	line1 := ansi.Truncate(left+m.theme.Dim.Render(" · ")+right, w, m.theme.Ellipsis)

	// Tabs: the active one is always shown; the rest as many as fit, then "+N more".
	var tabs []string
	used := 0
	shown := 0
	start := 0
	fit := m.tabsThatFit()
	if m.active >= fit && fit > 0 {
		start = m.active - fit + 1
	}
	for i := start; i < len(m.numbers); i++ {
		t := m.tabText(i)
		tw := lipgloss.Width(t) + 3
		if used+tw > w-12 && shown > 0 {
			break
		}
		s := m.numbers[i].stateAt(now, m.opts.Interval, m.opts.Timeout, m.paused)
		st := m.stateStyle(s)
		if i == m.active && m.current() != viewOverview {
			// Brackets as well as reverse video: the active tab shows without colour too.
			tabs = append(tabs, st.Reverse(true).Render("["+t+"]"))
		} else {
			tabs = append(tabs, st.Render(" "+t+" "))
		}
		used += tw
		shown++
	}
	line2 := strings.Join(tabs, m.theme.Dim.Render(m.theme.Sep))
	if hidden := len(m.numbers) - shown; hidden > 0 {
		line2 += m.theme.Dim.Render(fmt.Sprintf(" +%d more (o)", hidden))
	}
	return line1 + "\n" + ansi.Truncate(line2, w, m.theme.Ellipsis)
}

// shortKeys is the footer's help for the view in focus.
func (m *Model) shortKeys() []key.Binding {
	k := m.keys
	if m.filtering {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}
	}
	switch m.current() {
	case viewOverview:
		return []key.Binding{k.Enter, k.Up, k.Filter, k.Sort, k.Refresh, k.Pause, k.Back, k.Help, k.Quit}
	case viewSeries, viewMetric:
		return []key.Binding{k.Back, k.Up, k.ZoomIn, k.ZoomOut, k.NextNumber, k.Pause, k.Help, k.Quit}
	case viewNumber:
		return []key.Binding{k.Enter, k.Up, k.Raw, k.Filter, k.Back, k.Help, k.Quit}
	case viewRaw:
		return []key.Binding{k.Up, k.PageDown, k.Back, k.Help, k.Quit}
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

// pane draws content in a bordered box of inner size w x h. Every line is cut to the
// width and the content to the height first: a pane never wraps or grows.
func (m *Model) pane(w, h int, content string) string {
	lines := strings.Split(content, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	// The box is drawn here rather than by a lipgloss border: a border re-measures and
	// re-wraps every line, a third of a frame's cost, for lines already cut to fit.
	b := m.theme.Border
	edge := func(s string) string { return m.theme.Dim.Render(s) }
	var out strings.Builder
	out.WriteString(edge(b.TopLeft + strings.Repeat(b.Top, w) + b.TopRight))
	left, right := edge(b.Left), edge(b.Right)
	for _, l := range lines {
		lw := ansi.StringWidth(l)
		if lw > w {
			l, lw = ansi.Truncate(l, w, m.theme.Ellipsis), w
		}
		out.WriteByte('\n')
		out.WriteString(left)
		out.WriteString(l)
		out.WriteString(strings.Repeat(" ", w-lw))
		out.WriteString(right)
	}
	out.WriteByte('\n')
	out.WriteString(edge(b.BottomLeft + strings.Repeat(b.Bottom, w) + b.BottomRight))
	return out.String()
}
