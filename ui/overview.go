package ui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// The FleetOverview: one row per number, worst first. It must stay usable with hundreds
// of numbers, so only the rows in view are drawn (sparklines included).

var overSorts = []string{"worst", "number", "queue", "fail%", "rate"}

// overviewOrder is the indexes of the numbers in display order, after the filter.
func (m *Model) overviewOrder() []int {
	now := m.now()
	f := strings.ToLower(m.filter.Value())
	order := make([]int, 0, len(m.numbers))
	states := make([]state, len(m.numbers))
	for i, n := range m.numbers {
		states[i] = m.stateOf(n, now)
		if f == "" || strings.Contains(n.number, f) || strings.Contains(strings.ToLower(states[i].word()), f) {
			order = append(order, i)
		}
	}
	worse := func(a, b int) bool {
		na, nb := m.numbers[a], m.numbers[b]
		if sa, sb := states[a].severity(), states[b].severity(); sa != sb {
			return sa > sb
		}
		if na.level != nb.level {
			return na.level > nb.level
		}
		if fa, fb := nanLow(na.fig.failShare), nanLow(nb.fig.failShare); fa != fb {
			return fa > fb
		}
		return nanLow(na.fig.queue) > nanLow(nb.fig.queue)
	}
	by := func(v func(*numberState) float64) func(a, b int) bool {
		return func(a, b int) bool { return nanLow(v(m.numbers[a])) > nanLow(v(m.numbers[b])) }
	}
	var less func(a, b int) bool
	switch overSorts[m.overSort] {
	case "worst":
		less = worse
	case "number":
		less = func(a, b int) bool { return m.numbers[a].number < m.numbers[b].number }
	case "queue":
		less = by(func(n *numberState) float64 { return n.fig.queue })
	case "fail%":
		less = by(func(n *numberState) float64 { return n.fig.failShare })
	case "rate":
		less = by(func(n *numberState) float64 { return n.fig.cbRate })
	}
	sort.SliceStable(order, func(i, j int) bool { return less(order[i], order[j]) })
	return order
}

func (m *Model) renderOverview(w, h int) string {
	iw, ih := w-2, h-2
	now := m.now()
	order := m.overviewOrder()
	c := m.counts()
	var tally []string
	for _, s := range []state{stateError, stateCrit, stateStale, stateWarn, stateOK, stateWaiting, statePaused} {
		if c[s] > 0 {
			tally = append(tally, m.stateStyle(s).Render(strings.ToLower(s.word()))+" "+itoa(c[s]))
		}
	}
	title := m.theme.Title.Render("fleet") + m.theme.Dim.Render(" · "+itoa(len(m.numbers))+" numbers · sort "+overSorts[m.overSort]+" · ") + strings.Join(tally, " ")

	sparkW := 20
	if iw < 100 {
		sparkW = 10
	}
	headers := []string{"#", "NUMBER", "STATE", "QUEUE", "TREND " + windowName(m.windowDur()), "CB/MIN", "FAIL", "MEAN", "AGE"}
	if iw < 76 {
		headers = []string{"#", "NUMBER", "STATE", "QUEUE", "TREND", "CB/MIN", "FAIL", "AGE"}
		sparkW = 8
	}
	compactCols := len(headers) == 8
	height := max(1, ih-3)
	m.overCursor = max(0, min(m.overCursor, len(order)-1))
	from, to := visibleRange(len(order), m.overCursor, height)
	rows := make([][]string, 0, len(order))
	var vals []float64
	for pos, i := range order {
		n := m.numbers[i]
		if pos < from || pos >= to {
			// Off-screen rows are never drawn: a placeholder keeps positions.
			rows = append(rows, nil)
			continue
		}
		st := m.stateOf(n, now)
		word := st.word()
		if (st == stateError || st == stateStale) && !n.lastOK.IsZero() {
			word += " " + age(now.Sub(n.lastOK))
		}
		f0, t0 := m.span(n)
		vals = bucketMax(seriesPoints(n.hist, metricKeys(n.last, queueMetric), f0, false), f0, t0, sparkW, vals[:0])
		pollAge := "-"
		if !n.lastPoll.IsZero() {
			pollAge = age(now.Sub(n.lastPoll))
		}
		row := []string{itoa(i + 1), n.number, padRight(word, 9),
			compact(n.fig.queue) + marks[m.level(queueMetric, n.fig.queue)], sparkline(vals, sparkW, m.theme.Spark),
			compact(n.fig.cbRate), percent(n.fig.failShare) + marks[m.level(failureRatioLimit, n.fig.failShare)]}
		if !compactCols {
			row = append(row, millis(n.fig.meanMs))
		}
		rows = append(rows, append(row, pollAge))
	}
	cursor := m.overCursor
	if len(order) == 0 {
		rows, cursor = [][]string{{"", "(no number matches the filter)"}}, -1
	}
	table := renderTable(&m.theme, tableSpec{
		headers: headers, rows: rows, cursor: cursor, height: height,
		right: map[int]bool{0: true, 3: true, 5: true, 6: true, 7: !compactCols},
		style: func(row, col int, base lipgloss.Style) lipgloss.Style {
			if row >= len(order) {
				return base
			}
			n := m.numbers[order[row]]
			switch col {
			case 2:
				return base.Inherit(m.stateStyle(m.stateOf(n, now)))
			case 3:
				return base.Inherit(m.levelStyle(m.level(queueMetric, n.fig.queue)))
			case 6:
				return base.Inherit(m.levelStyle(m.level(failureRatioLimit, n.fig.failShare)))
			}
			return base
		},
	})
	return m.pane(iw, ih, title+"\n"+table)
}

func itoa(i int) string { return strconv.Itoa(i) }

// marks follow a value past its warn (~) or critical (!) threshold: a glyph as well as a
// colour, so that --color none still shows it.
var marks = [...]string{" ", "~", "!"}
