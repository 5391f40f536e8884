package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// The CounterTable: callbacks by type x result, with rates, failure shares and durations.

func (s *mainScreen) counterTable(fig *monitor.Figures, rows []monitor.CallbackRow, w, h int) string {
	ctx := s.ctx
	th := &ctx.Theme
	iw, ih := w-2, h-2
	title := th.Title.Render("callbacks by type × result")
	if th.ASCII {
		title = th.Title.Render("callbacks by type x result")
	}
	title += th.Dim.Render(fmt.Sprintf(" · rates over %s · sort %s", windowName(ctx.WindowDur()), mainSorts[s.sort]))
	if fig.CallbackMetric == "" {
		msg := th.Dim.Render("this payload has no callback counters (" + source.CallbackCount + "); i lists every metric it has")
		return ctx.pane(iw, ih, title+"\n\n"+msg)
	}
	summary := fmt.Sprintf("all: %s/min · failed %s · mean %s", compact(fig.CallbackRate),
		strings.TrimSpace(percent(fig.FailShare)+mark(ctx.Level(monitor.FailureThreshold, fig.FailShare))), millis(fig.MeanMs))

	typeW := 4
	for _, r := range rows {
		typeW = max(typeW, min(24, lipgloss.Width(r.Type)))
	}
	// Result columns as wide as their widest cell, success first, as many as fit; the
	// rest are added up in "other" (or, when only one column fits, in "all").
	const cellW, failW, meanW, cursorW = 22, 8, 9, 2
	budget := iw - cursorW - (typeW + 2) - failW - meanW
	colW := func(res string) int {
		w := lipgloss.Width(res)
		for _, r := range rows {
			w = max(w, lipgloss.Width(s.cellText(r.Cells[res])))
		}
		return min(w, cellW) + 2
	}
	var results []string
	used := 0
	for _, res := range fig.Results {
		if w := colW(res); used+w <= budget {
			results = append(results, res)
			used += w
			continue
		}
		break
	}
	other := len(results) < len(fig.Results)
	if other && len(results) > 0 && budget-used < 16 {
		results = results[:len(results)-1] // room for "other"
	}
	headers := []string{"TYPE"}
	for _, r := range results {
		headers = append(headers, ctx.cut(r, cellW-2))
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
		line := []string{ctx.cut(r.Type, typeW)}
		shown := map[string]bool{}
		for _, res := range results {
			shown[res] = true
			line = append(line, s.cellText(r.Cells[res]))
		}
		if other {
			agg := &monitor.Cell{Rate: math.NaN()}
			for res, c := range r.Cells {
				if !shown[res] {
					agg.Total += c.Total
					agg.Rate = monitor.NaNAdd(agg.Rate, c.Rate)
				}
			}
			line = append(line, s.cellText(agg))
		}
		fail := percent(r.FailShare) + mark(ctx.Level(monitor.FailureThreshold, r.FailShare))
		line = append(line, fail, millis(r.MeanMs))
		cells = append(cells, line)
	}
	cursor := s.cur.resolve(rowTypes(rows))
	if len(cells) == 0 {
		cells, cursor = [][]string{{"(no type matches the filter)"}}, -1
	}
	table := renderTable(th, tableSpec{
		headers: headers, rows: cells, cursor: cursor, height: max(1, ih-4), right: right,
		style: func(row, col int, base lipgloss.Style) lipgloss.Style {
			if col == failCol && row < len(rows) {
				return base.Inherit(ctx.levelStyle(ctx.Level(monitor.FailureThreshold, rows[row].FailShare)))
			}
			return base
		},
	})
	return ctx.pane(iw, ih, title+"\n"+th.Dim.Render(summary)+"\n"+table)
}

// cellText is a total with its rate: "545,780 312/m▲".
func (s *mainScreen) cellText(c *monitor.Cell) string {
	if c == nil {
		return "-"
	}
	th := &s.ctx.Theme
	t := thousands(c.Total)
	if !math.IsNaN(c.Rate) {
		t += " " + compact(c.Rate) + "/m"
	}
	switch c.Move {
	case 1:
		t += th.Up
	case -1:
		t += th.Down
	default:
		t += th.NoMove
	}
	return t
}
