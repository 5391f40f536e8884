package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/wamon/wamon/source"
)

// The header: the source, a tab per number, the interval, the window and the clock.

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
	case stateWarn:
		return m.theme.Warn
	case stateCrit:
		return m.theme.Critical
	}
	return m.theme.Waiting
}

// tabText is one number's tab: index, number, state word, queue size.
func (m *Model) tabText(i int) string {
	n := m.numbers[i]
	s := m.stateOf(n, m.now())
	q := ""
	if !math.IsNaN(n.fig.queue) {
		q = " q" + compact(n.fig.queue)
		// Past a threshold the tab says so in a glyph, not only in colour.
		q += strings.TrimSpace(marks[m.level(queueMetric, n.fig.queue)])
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
		s := m.stateOf(m.numbers[i], now)
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
