package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/wamon/wamon/source"
)

// The CounterTable: callbacks by type x result, with rates, failure shares and durations.

var mainSorts = []string{"type", "total", "rate", "fail%"}

// mainRows are the counter table's rows after the filter and the sort.
func (m *Model) mainRows() []callbackRow {
	n := m.activeNumber()
	if n == nil {
		return nil
	}
	f := strings.ToLower(m.filter.Value())
	rows := make([]callbackRow, 0, len(n.fig.rows))
	for _, r := range n.fig.rows {
		if f == "" || strings.Contains(strings.ToLower(r.typ), f) {
			rows = append(rows, r)
		}
	}
	desc := func(a, b float64) bool { return nanLow(a) > nanLow(b) }
	switch mainSorts[m.mainSort] {
	case "total":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].total, rows[j].total) })
	case "rate":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].rate, rows[j].rate) })
	case "fail%":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].failShare, rows[j].failShare) })
	}
	return rows
}

// nanLow sorts "no value" below every value.
func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

func (m *Model) renderCounterTable(n *numberState, w, h int) string {
	iw, ih := w-2, h-2
	fig := n.fig
	title := m.theme.Title.Render("callbacks by type × result")
	if m.theme.ASCII {
		title = m.theme.Title.Render("callbacks by type x result")
	}
	title += m.theme.Dim.Render(fmt.Sprintf(" · rates over %s · sort %s", windowName(m.windowDur()), mainSorts[m.mainSort]))
	if fig.cbMetric == "" {
		msg := m.theme.Dim.Render("this payload has no callback counters (" + callbackCount + "); i lists every metric it has")
		return m.pane(iw, ih, title+"\n\n"+msg)
	}
	summary := fmt.Sprintf("all: %s/min · failed %s · mean %s", compact(fig.cbRate),
		strings.TrimSpace(percent(fig.failShare)+marks[m.level(failureRatioLimit, fig.failShare)]), millis(fig.meanMs))

	rows := m.mainRows()
	typeW := 4
	for _, r := range rows {
		typeW = max(typeW, min(24, lipgloss.Width(r.typ)))
	}
	// Result columns as wide as their widest cell, success first, as many as fit; the
	// rest are added up in "other" (or, when only one column fits, in "all").
	const cellW, failW, meanW, cursorW = 22, 8, 9, 2
	budget := iw - cursorW - (typeW + 2) - failW - meanW
	colW := func(res string) int {
		w := lipgloss.Width(res)
		for _, r := range rows {
			w = max(w, lipgloss.Width(m.cellText(r.cells[res])))
		}
		return min(w, cellW) + 2
	}
	var results []string
	used := 0
	for _, res := range fig.results {
		if w := colW(res); used+w <= budget {
			results = append(results, res)
			used += w
			continue
		}
		break
	}
	other := len(results) < len(fig.results)
	if other && len(results) > 0 && budget-used < 16 {
		results = results[:len(results)-1] // room for "other"
	}
	headers := []string{"TYPE"}
	for _, r := range results {
		headers = append(headers, source.Truncate(r, cellW-2))
	}
	if other {
		if len(results) == 0 {
			headers = append(headers, "all")
		} else {
			headers = append(headers, "other")
		}
	}
	headers = append(headers, "FAIL", "MEAN")
	right := map[int]bool{}
	for i := 1; i < len(headers); i++ {
		right[i] = true
	}
	failCol := len(headers) - 2
	var cells [][]string
	for _, r := range rows {
		line := []string{source.Truncate(r.typ, typeW)}
		shown := map[string]bool{}
		for _, res := range results {
			shown[res] = true
			line = append(line, m.cellText(r.cells[res]))
		}
		if other {
			agg := &cell{rate: math.NaN()}
			for res, c := range r.cells {
				if !shown[res] {
					agg.total += c.total
					agg.rate = nanAdd(agg.rate, c.rate)
				}
			}
			line = append(line, m.cellText(agg))
		}
		fail := percent(r.failShare) + marks[m.level(failureRatioLimit, r.failShare)]
		line = append(line, fail, millis(r.meanMs))
		cells = append(cells, line)
	}
	m.mainCursor = max(0, min(m.mainCursor, len(rows)-1))
	cursor := m.mainCursor
	if len(cells) == 0 {
		cells, cursor = [][]string{{"(no type matches the filter)"}}, -1
	}
	table := renderTable(&m.theme, tableSpec{
		headers: headers, rows: cells, cursor: cursor, height: max(1, ih-4), right: right,
		style: func(row, col int, base lipgloss.Style) lipgloss.Style {
			if col == failCol && row < len(rows) {
				return base.Inherit(m.levelStyle(m.level(failureRatioLimit, rows[row].failShare)))
			}
			return base
		},
	})
	return m.pane(iw, ih, title+"\n"+m.theme.Dim.Render(summary)+"\n"+table)
}

// cellText is a total with its rate: "545,780 312/m▲".
func (m *Model) cellText(c *cell) string {
	if c == nil {
		return "-"
	}
	s := thousands(c.total)
	if !math.IsNaN(c.rate) {
		s += " " + compact(c.rate) + "/m"
	}
	switch c.move {
	case 1:
		s += m.theme.Up
	case -1:
		s += m.theme.Down
	default:
		s += " "
	}
	return s
}
