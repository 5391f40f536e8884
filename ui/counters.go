package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wamon/wamon/monitor"
)

// The CounterTable: a counter broken down into rows (callback types, or endpoints and
// methods) and result columns, with rates, failure shares, durations and resets. The
// main view shows the callbacks; the requests screen the API requests.

// breakdownKind says which breakdown of the figures a table shows.
type breakdownKind int

const (
	callbacksKind breakdownKind = iota
	requestsKind
)

// of picks the breakdown out of a number's figures.
func (k breakdownKind) of(f *monitor.Figures) *monitor.Breakdown {
	if k == requestsKind {
		return &f.Requests
	}
	return &f.Callbacks
}

// threshold is the name of the threshold on the breakdown's failure share.
func (k breakdownKind) threshold() string {
	if k == requestsKind {
		return monitor.EndpointThreshold
	}
	return monitor.FailureThreshold
}

// rowWord names what a row is, for the first column and the sort.
func (k breakdownKind) rowWord() string {
	if k == requestsKind {
		return "endpoint"
	}
	return "type"
}

// counterTable is the table of a breakdown with its cursor (on a row, by key), sort and
// filter, as the main view and the requests screen own one.
type counterTable struct {
	kind breakdownKind
	filter
	cur  cursor
	sort int
	area rowArea // where its rows are on the screen, for a click
}

func newCounterTable(kind breakdownKind) counterTable {
	return counterTable{kind: kind, filter: newFilter()}
}

// sorts are the orders s steps through; the first is by the row's name.
func (t *counterTable) sorts() []string { return []string{t.kind.rowWord(), "total", "rate", "fail%"} }

// rows are the breakdown's rows after the filter and the sort.
func (t *counterTable) rows(b *monitor.Breakdown) []monitor.Row {
	rows := make([]monitor.Row, 0, len(b.Rows))
	for _, r := range b.Rows {
		if t.matches(r.Key) {
			rows = append(rows, r)
		}
	}
	desc := func(a, b float64) bool { return nanLow(a) > nanLow(b) }
	switch t.sorts()[t.sort] {
	case "total":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].Total, rows[j].Total) })
	case "rate":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].Rate, rows[j].Rate) })
	case "fail%":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].FailShare, rows[j].FailShare) })
	}
	return rows
}

func rowKeys(rows []monitor.Row) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.Key
	}
	return keys
}

// nanLow sorts "no value" below every value.
func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

// onKey handles the table's own keys (filter, sort, movement); it reports whether msg
// was one.
func (t *counterTable) onKey(ctx *Context, msg tea.KeyPressMsg, b *monitor.Breakdown) (tea.Cmd, bool) {
	k := ctx.Keys
	if t.typing {
		cmd, _ := t.update(msg)
		return cmd, true
	}
	switch {
	case key.Matches(msg, k.Filter):
		t.start()
	case key.Matches(msg, k.Sort):
		t.sort = (t.sort + 1) % len(t.sorts())
	default:
		return nil, t.cur.move(k, msg, rowKeys(t.rows(b)), 5)
	}
	return nil, true
}

// click takes a click on line y of the screen: a row gets the cursor; again says it had
// it already.
func (t *counterTable) click(b *monitor.Breakdown, y int) (hit, again bool) {
	return t.cur.click(t.area, rowKeys(t.rows(b)), y)
}

// selected is the row under the cursor, if any.
func (t *counterTable) selected(b *monitor.Breakdown) (monitor.Row, bool) {
	rows := t.rows(b)
	if i := t.cur.resolve(rowKeys(rows)); i >= 0 {
		return rows[i], true
	}
	return monitor.Row{}, false
}

// summary is the breakdown in one line: "all: 303/min · failed 0.5% · mean 180ms".
func (t *counterTable) summary(ctx *Context, b *monitor.Breakdown) string {
	return fmt.Sprintf("all: %s/min · failed %s · mean %s", compact(b.Rate),
		strings.TrimSpace(percent(b.FailShare)+mark(ctx.Level(t.kind.threshold(), b.FailShare))), millis(b.MeanMs))
}

// render draws the table (its header and the rows that fit in height lines).
func (t *counterTable) render(ctx *Context, b *monitor.Breakdown, width, height int) (string, rowArea) {
	th := &ctx.Theme
	rows := t.rows(b)
	nameW := 4
	for _, r := range rows {
		nameW = max(nameW, min(24, lipgloss.Width(r.Key))+resetWidth(th, r.Resets))
	}
	// Result columns as wide as their widest cell, success first, as many as fit; the
	// rest are added up in "other" (or, when only one column fits, in "all").
	const cellW, failW, meanW, cursorW = 22, 8, 9, 2
	budget := width - cursorW - (nameW + 2) - failW - meanW
	colW := func(res string) int {
		w := lipgloss.Width(res)
		for _, r := range rows {
			w = max(w, lipgloss.Width(cellText(th, r.Cells[res])))
		}
		return min(w, cellW) + 2
	}
	var results []string
	used := 0
	for _, res := range b.Results {
		if w := colW(res); used+w <= budget {
			results = append(results, res)
			used += w
			continue
		}
		break
	}
	other := len(results) < len(b.Results)
	if other && len(results) > 0 && budget-used < 16 {
		results = results[:len(results)-1] // room for "other"
	}
	headers := []string{strings.ToUpper(t.kind.rowWord())}
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
		name := ctx.cut(r.Key, nameW-resetWidth(th, r.Resets))
		if r.Resets > 0 {
			// The rates of a row whose counters went down are to be read with care.
			name += " " + th.Reset
		}
		line := []string{name}
		shown := map[string]bool{}
		for _, res := range results {
			shown[res] = true
			line = append(line, cellText(th, r.Cells[res]))
		}
		if other {
			agg := &monitor.Cell{Rate: math.NaN()}
			for res, c := range r.Cells {
				if !shown[res] {
					agg.Total += c.Total
					agg.Rate = monitor.NaNAdd(agg.Rate, c.Rate)
				}
			}
			line = append(line, cellText(th, agg))
		}
		fail := percent(r.FailShare) + mark(ctx.Level(t.kind.threshold(), r.FailShare))
		line = append(line, fail, millis(r.MeanMs))
		cells = append(cells, line)
	}
	cursor := t.cur.resolve(rowKeys(rows))
	if len(cells) == 0 {
		cells, cursor = [][]string{{"(no " + t.kind.rowWord() + " matches the filter)"}}, -1
	}
	return renderTable(th, tableSpec{
		headers: headers, rows: cells, cursor: cursor, height: max(1, height-2), right: right,
		style: func(row, col int, base lipgloss.Style) lipgloss.Style {
			if col == failCol && row < len(rows) {
				return base.Inherit(ctx.levelStyle(ctx.Level(t.kind.threshold(), rows[row].FailShare)))
			}
			return base
		},
	})
}

// resetWidth is what the reset mark adds to a row's name.
func resetWidth(th *Theme, resets int) int {
	if resets == 0 {
		return 0
	}
	return 1 + lipgloss.Width(th.Reset)
}

// cellText is a total with its rate: "545,780 312/m▲".
func cellText(th *Theme, c *monitor.Cell) string {
	if c == nil {
		return "-"
	}
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
