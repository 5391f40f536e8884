package ui

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// The header: the source, the interval, the window and the clock, then a tab per number.

// tabText is one number's tab: index, number, state word, queue size.
func (m *Model) tabText(i int, st *monitor.Status, s monitor.State) string {
	q := ""
	if queue := monitor.SumLatest(st.Last, source.QueueSize); !math.IsNaN(queue) {
		// Past a threshold the tab says so in a glyph, not only in colour.
		q = " q" + compact(queue) + strings.TrimSpace(mark(m.ctx.Level(monitor.QueueThreshold, queue)))
	}
	idx := " "
	if i < 9 {
		idx = fmt.Sprintf("%d", i+1)
	}
	number := st.Number
	if m.width < 120 {
		number = m.ctx.Labels[i]
	}
	return idx + " " + number + " " + m.ctx.stateSince(st, s) + tabReason(m.ctx, st, s, m.width >= 120) + q
}

// tabReason is why a number is not OK, short, for its tab: the error ("WS406",
// "timeout 10s") or, in a wide header, the worst threshold crossed, unless that is the
// queue, which the tab shows anyway.
func tabReason(ctx *Context, st *monitor.Status, s monitor.State, wide bool) string {
	switch {
	case s != st.State:
		return ""
	case s == monitor.StateError && wide:
		return " " + ctx.cut(st.Reason, 16)
	case s == monitor.StateError:
		return " " + ctx.cut(st.Reason, 10)
	case wide && (s == monitor.StateWarn || s == monitor.StateCrit) && len(st.Crossings) > 0 && st.Crossings[0].Name != monitor.QueueThreshold:
		return " " + ctx.cut(st.Crossings[0].String(), 24)
	}
	return ""
}

// tabsThatFit is how many tabs the header can show at the current width.
func (m *Model) tabsThatFit() int {
	used := 0
	for i := range m.ctx.Engine.Len() {
		st := m.ctx.Engine.Status(i)
		used += lipgloss.Width(m.tabText(i, &st, m.ctx.State(&st))) + 3
		if used > m.width-12 {
			return i
		}
	}
	return m.ctx.Engine.Len()
}

func (m *Model) renderHeader() string {
	ctx, w := m.ctx, m.width
	th := &ctx.Theme
	left := th.Key.Render("wamon") + " " + th.Dim.Render(ctx.cut(ctx.Engine.SourceName(), max(10, w/3)))
	// The clock, the only thing that changes every second, ends a short line: the
	// terminal gets a few dozen bytes a second, not a line padded to the full width.
	// Minutes, not seconds: an idle console then writes nothing between polls (the
	// footer gives the exact time of the last update).
	right := fmt.Sprintf("every %s · window %s · %s", ctx.Engine.Interval(), windowName(ctx.WindowDur()), ctx.Now().In(ctx.Loc).Format("15:04"))
	if ctx.paused() {
		right = th.Paused.Render("PAUSED") + " · " + right
	}
	if from, done := ctx.Engine.FillProgress(); from != "" {
		right = fmt.Sprintf("loading %d%% · %s", int(done*100), right)
	}
	if r := ctx.Replay; r != nil {
		// The replayed clock, to the second: what moment of the recording this is.
		speed, paused, ended := r.Status()
		how := speed
		switch {
		case ended:
			how = "end"
		case paused:
			how = "paused"
		}
		right = fmt.Sprintf("every %s · window %s · ", ctx.Engine.Interval(), windowName(ctx.WindowDur())) +
			th.Paused.Render("REPLAY") + " " + ctx.Now().In(ctx.Loc).Format("2006-01-02 15:04:05") + " " + how
	}
	line1 := ansi.Truncate(left+th.Dim.Render(" · ")+right, w, th.Ellipsis)

	// Tabs: the active one is always shown; the rest as many as fit, then "+N more".
	var tabs []string
	used, shown, start := 0, 0, 0
	if fit := m.tabsThatFit(); ctx.Active >= fit && fit > 0 {
		start = ctx.Active - fit + 1
	}
	overview := m.top().name() == "overview"
	m.tabSpans = m.tabSpans[:0]
	for i := start; i < ctx.Engine.Len(); i++ {
		st := ctx.Engine.Status(i)
		s := ctx.State(&st)
		t := m.tabText(i, &st, s)
		tw := lipgloss.Width(t) + 3
		if used+tw > w-12 && shown > 0 {
			break
		}
		style := ctx.stateStyle(s)
		if i == ctx.Active && !overview {
			// Brackets as well as reverse video: the active tab shows without colour too.
			tabs = append(tabs, style.Reverse(true).Render("["+t+"]"))
		} else {
			tabs = append(tabs, style.Render(" "+t+" "))
		}
		// Where the tab is, for a click: its text and the space (or bracket) each side;
		// each separator follows a tab.
		m.tabSpans = append(m.tabSpans, span{from: used, to: min(used+tw-1, w), index: i})
		used += tw
		shown++
	}
	line2 := strings.Join(tabs, th.Dim.Render(th.Sep))
	if hidden := ctx.Engine.Len() - shown; hidden > 0 {
		line2 += th.Dim.Render(fmt.Sprintf(" +%d more (o)", hidden))
	}
	return line1 + "\n" + ansi.Truncate(line2, w, th.Ellipsis)
}
