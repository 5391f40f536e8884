package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui/history"
)

// The main view of one number: the QueuePane above the CounterTable.

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

var pendingLabels = map[string]string{
	"db_pending_callbacks":           "db callbacks",
	"db_pending_messages":            "db messages",
	"in_messages_pending_processing": "inbound",
}

// seriesPoints sums the given series of a number pointwise (multiconnect nodes), over
// the polls since from. A poll where every series is a gap stays a gap.
func seriesPoints(h *history.Number, keys []string, since time.Time, rates bool) []history.Point {
	var out []history.Point
	var buf []history.Point
	for i, k := range keys {
		if rates {
			buf = h.Rates(k, since, buf[:0])
		} else {
			buf = h.Points(k, since, buf[:0])
		}
		if i == 0 {
			out = append(out, buf...)
			continue
		}
		for j := range min(len(out), len(buf)) {
			out[j].V = nanAdd(out[j].V, buf[j].V)
		}
	}
	return out
}

func metricKeys(snap *source.Snapshot, name string) []string {
	mt := snap.Metric(name)
	if mt == nil {
		return nil
	}
	keys := make([]string, 0, len(mt.Samples))
	for _, s := range mt.Samples {
		keys = append(keys, source.SeriesKey(mt.Name, s.Labels))
	}
	return keys
}

// span is the time range of the window, ending at the newest poll (not at the clock, so
// that a chart changes only when data arrives).
func (m *Model) span(n *numberState) (from, to time.Time) {
	oldest, newest := n.hist.Times()
	to = newest
	if to.IsZero() {
		to = m.now()
	}
	if oldest.IsZero() || !oldest.Before(to) {
		oldest = to.Add(-m.opts.Interval)
	}
	d := m.windowDur()
	if d <= 0 {
		return oldest, to
	}
	// While less than the window is held, the line grows from the left edge.
	if to.Sub(oldest) <= d {
		return oldest, oldest.Add(d)
	}
	// A full window moves in steps of a sixth of it, not with every poll: between steps
	// a poll only adds to the right end of the line, so the terminal redraws a few
	// lines instead of the whole chart (a ~5x saving in bytes written per minute).
	step := d / 6
	end := to.Truncate(step)
	if end.Before(to) {
		end = end.Add(step)
	}
	return end.Add(-d), end
}

func (m *Model) renderQueuePane(n *numberState, w, h int) string {
	iw, ih := w-2, h-2
	from, to := m.span(n)
	pts := seriesPoints(n.hist, metricKeys(n.last, queueMetric), from, false)

	lo, hi, sum, cnt := math.Inf(1), math.Inf(-1), 0.0, 0
	for _, p := range pts {
		if !p.Gap() {
			lo, hi, sum = min(lo, p.V), max(hi, p.V), sum+p.V
			cnt++
		}
	}
	t, hasT := m.threshold(queueMetric)
	var side []string
	lvl := m.levelStyle(m.level(queueMetric, n.fig.queue))
	if math.IsNaN(n.fig.queue) {
		side = append(side, m.theme.Dim.Render("no "+queueMetric))
	} else {
		trend := ""
		if len(pts) >= 2 && !pts[len(pts)-1].Gap() && !pts[len(pts)-2].Gap() {
			switch d := pts[len(pts)-1].V - pts[len(pts)-2].V; {
			case d > 0:
				trend = " " + m.theme.Up
			case d < 0:
				trend = " " + m.theme.Down
			}
		}
		word := ""
		switch m.level(queueMetric, n.fig.queue) {
		case 2:
			word = " CRIT"
		case 1:
			word = " WARN"
		}
		side = append(side, "now "+lvl.Render(thousands(n.fig.queue)+trend+word))
	}
	if cnt > 0 {
		side = append(side,
			"min "+thousands(lo)+"  max "+thousands(hi),
			"avg "+thousands(sum/float64(cnt)))
	}
	var thresholds []float64
	if hasT {
		if t.Warn > 0 {
			thresholds = append(thresholds, t.Warn)
		}
		if !math.IsInf(t.Critical, 1) {
			thresholds = append(thresholds, t.Critical)
		}
		side = append(side, m.theme.Dim.Render(fmt.Sprintf("warn %s  crit %s", compact(t.Warn), compact(t.Critical))))
	}
	if len(n.fig.pending) > 0 {
		side = append(side, "", m.theme.Title.Render("pending"))
		for _, p := range n.fig.pending {
			side = append(side, fmt.Sprintf("%-13s%s", pendingLabels[p.name], thousands(p.value)))
		}
	}
	sideW := 24
	if iw < 70 {
		sideW = 20
	}
	title := m.theme.Title.Render("callback queue") + m.theme.Dim.Render(" · "+windowName(m.windowDur()))
	chart := renderChart(chartSpec{
		width: iw - sideW - 1, height: ih - 1, from: from, to: to,
		lines:      []chartLine{{points: pts, style: m.theme.Line}},
		thresholds: thresholds, loc: m.loc, theme: &m.theme, cache: &m.queueChart,
	})
	body := besides(chart, iw-sideW, side, sideW-1)
	return m.pane(iw, ih, title+"\n"+body)
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
	summary := fmt.Sprintf("all: %s/min · failed %s · mean %s", compact(fig.cbRate), percent(fig.failShare), millis(fig.meanMs))

	rows := m.mainRows()
	typeW := 4
	for _, r := range rows {
		typeW = max(typeW, min(24, lipgloss.Width(r.typ)))
	}
	const cellW, failW, meanW = 19, 8, 9
	results := fig.results
	maxCols := max(1, (iw-typeW-2-failW-meanW)/cellW)
	other := false
	if len(results) > maxCols {
		results = results[:maxCols-1]
		other = true
	}
	headers := []string{"TYPE"}
	for _, r := range results {
		headers = append(headers, source.Truncate(r, cellW-2))
	}
	if other {
		headers = append(headers, "other")
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
		fail := percent(r.failShare)
		switch m.level(failureRatioLimit, r.failShare) {
		case 2:
			fail = "!" + fail
		case 1:
			fail = "~" + fail
		}
		line = append(line, fail, millis(r.meanMs))
		cells = append(cells, line)
	}
	if len(cells) == 0 {
		cells = [][]string{{"(no type matches the filter)"}}
	}
	m.mainCursor = max(0, min(m.mainCursor, len(rows)-1))
	table := renderTable(&m.theme, tableSpec{
		headers: headers, rows: cells, cursor: m.mainCursor, height: max(1, ih-4), right: right,
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

// besides puts the lines of right next to left, left padded to leftW columns and right
// cut to rightW: the chart and its side panel, without a lipgloss box per frame.
func besides(left string, leftW int, right []string, rightW int) string {
	ll := strings.Split(left, "\n")
	n := max(len(ll), len(right))
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('\n')
		}
		l := ""
		if i < len(ll) {
			l = ll[i]
		}
		b.WriteString(l)
		if pad := leftW - ansi.StringWidth(l); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		if i < len(right) {
			b.WriteByte(' ')
			b.WriteString(ansi.Truncate(right[i], rightW, ""))
		}
	}
	return b.String()
}
