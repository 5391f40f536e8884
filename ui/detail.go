package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/wamon/wamon/source"
)

// The drill-down screens: a callback type (viewSeries), the number (viewNumber), one
// metric of its payload (viewMetric) and the raw payload (viewRaw).

func (m *Model) noData(w, h int, what string) string {
	return m.pane(w-2, h-2, m.theme.Dim.Render(what))
}

// renderSeries shows one callback type: its rate per result over the window, and a row
// per result with totals, rates, resets and shares.
func (m *Model) renderSeries(w, h int) string {
	n := m.activeNumber()
	if n == nil || n.last == nil {
		return m.noData(w, h, "no data yet")
	}
	var row *callbackRow
	for i := range n.fig.rows {
		if n.fig.rows[i].typ == m.seriesType {
			row = &n.fig.rows[i]
		}
	}
	if row == nil {
		return m.noData(w, h, "the newest payload has no callbacks of type "+m.seriesType)
	}
	iw, ih := w-2, h-2
	metric := n.last.Metric(n.fig.cbMetric)
	from, to := m.span(n)
	header := []string{
		m.theme.Title.Render("callbacks of type "+source.Truncate(row.typ, 40)) + m.theme.Dim.Render(" · "+n.number+" · rates per minute over "+windowName(m.windowDur())),
		m.theme.Dim.Render("metric ") + n.fig.cbMetric + m.theme.Dim.Render(" · "+string(metric.Type)+" · ") + source.Truncate(metric.Help, max(10, iw-40)),
	}
	var results []string
	for _, r := range n.fig.results {
		if row.cells[r] != nil {
			results = append(results, r)
		}
	}
	var lines []chartLine
	var legend []string
	for i, r := range results {
		st := m.theme.Series[i%len(m.theme.Series)]
		pts := seriesPoints(n.hist, row.cells[r].series, from, true)
		for j := range pts {
			pts[j].V *= 60
		}
		lines = append(lines, chartLine{points: pts, style: st})
		mark := "■ "
		if m.theme.ASCII {
			mark = "# "
		}
		legend = append(legend, st.Render(mark+source.Truncate(r, 16)))
	}
	// Shares over the window, like the failure share above: lifetime totals would hide
	// what is happening now.
	var inWindow float64
	for _, c := range row.cells {
		inWindow += c.delta
	}
	tableRows := [][]string{}
	for _, r := range results {
		c := row.cells[r]
		resets := 0
		for _, k := range c.series {
			resets += n.hist.Resets(k)
		}
		share := ratio(c.delta, inWindow)
		tableRows = append(tableRows, []string{source.Truncate(r, 20), thousands(c.total), compact(c.rate), thousands(c.delta), percent(share), itoa(resets), itoa(len(c.series))})
	}
	tbl := renderTable(&m.theme, tableSpec{
		headers: []string{"RESULT", "TOTAL", "PER MIN", "IN WINDOW", "SHARE OF WINDOW", "RESETS", "SERIES"},
		rows:    tableRows, cursor: -1, height: len(tableRows),
		right: map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true},
	})
	summary := fmt.Sprintf("failed %s · mean %s · %s/min", percent(row.failShare), millis(row.meanMs), compact(row.rate))
	chartH := max(4, ih-len(header)-lipgloss.Height(tbl)-3)
	chart := renderChart(chartSpec{width: iw, height: chartH, from: from, to: to, lines: lines, loc: m.loc, theme: &m.theme})
	body := strings.Join(header, "\n") + "\n" + strings.Join(legend, "  ") + "\n" + chart + "\n" + m.theme.Dim.Render(summary) + "\n" + tbl
	return m.pane(iw, ih, body)
}

// metricNames are the active number's metrics, filtered, in name order.
func (m *Model) metricNames() []string {
	n := m.activeNumber()
	if n == nil || n.last == nil {
		return nil
	}
	f := strings.ToLower(m.filter.Value())
	var out []string
	for _, name := range n.last.MetricNames() {
		if f == "" || strings.Contains(strings.ToLower(name), f) {
			out = append(out, name)
		}
	}
	return out
}

// renderNumber shows the number itself: state, polls, latency, last error, decoder
// warnings, meta, and every metric of the newest payload.
func (m *Model) renderNumber(w, h int) string {
	n := m.activeNumber()
	if n == nil {
		return m.noData(w, h, "no numbers")
	}
	iw, ih := w-2, h-2
	now := m.now()
	st := m.stateOf(n, now)
	lines := []string{
		m.theme.Title.Render(n.number) + " " + m.stateStyle(st).Render(st.word()) +
			m.theme.Dim.Render(fmt.Sprintf(" · %d polls, %d failed · %d series held, %s", n.polls, n.errors, len(n.hist.Keys()), source.FormatBytes(int64(n.hist.MemBytes())))),
	}
	lat := n.latency.values()
	if len(lat) > 0 {
		var sum, hi float64
		for _, v := range lat {
			sum += v
			hi = max(hi, v)
		}
		lines = append(lines, fmt.Sprintf("latency  last %s  avg %s  max %s  ", millis(lat[len(lat)-1]), millis(sum/float64(len(lat))), millis(hi))+
			m.theme.Line.Render(sparkline(lat, max(0, min(60, iw-50)), m.theme.Spark)))
	}
	if n.seenErr != nil {
		// The newest error ever, even after recovery: "16 failed" must be explainable.
		when := n.seenErrAt.In(m.loc).Format("15:04:05") + " (" + age(now.Sub(n.seenErrAt)) + " ago"
		if n.lastErr == nil {
			when += ", recovered"
		}
		lines = append(lines, m.theme.Error.Render("last error")+" "+when+"): "+source.Truncate(source.Sanitize(n.seenErr.Error()), max(10, iw-40)))
	} else {
		lines = append(lines, m.theme.Dim.Render("last error: none"))
	}
	if n.last != nil {
		var meta []string
		keys := make([]string, 0, len(n.last.Meta))
		for k := range n.last.Meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			meta = append(meta, k+"="+source.Truncate(n.last.Meta[k], 40))
		}
		lines = append(lines, m.theme.Dim.Render("code ")+n.last.Code+m.theme.Dim.Render(" · message ")+source.Truncate(n.last.Message, 50)+
			m.theme.Dim.Render(" · meta ")+strings.Join(meta, " "))
	}
	if k := len(n.warnings); k > 0 {
		lines = append(lines, m.theme.Warn.Render(fmt.Sprintf("%d decoder warning(s):", k)))
		for i, wr := range n.warnings {
			if i == 3 {
				lines = append(lines, m.theme.Dim.Render(fmt.Sprintf("  … %d more", k-3)))
				break
			}
			lines = append(lines, "  "+source.Truncate(wr, iw-4))
		}
	}
	if n.last == nil {
		return m.pane(iw, ih, strings.Join(lines, "\n"))
	}
	names := m.metricNames()
	// The name column is as wide as the longest name held (not only those in view), so
	// it does not shift while scrolling; help gets what is left, and goes first when
	// the screen is narrow, so that names are never cut into lookalikes.
	nameW := 6
	for _, name := range names {
		nameW = max(nameW, min(60, lipgloss.Width(name)))
	}
	helpW := iw - nameW - 40
	headers := []string{"METRIC", "GROUP", "TYPE", "SERIES", "SUM", "HELP"}
	if helpW < 12 {
		headers = headers[:5]
	}
	rows := make([][]string, 0, len(names))
	for _, name := range names {
		mt := n.last.Metrics[name]
		val := "-"
		if len(mt.Samples) > 0 {
			val = compact(mt.Sum()) + strings.TrimSpace(marks[m.level(name, mt.Sum())])
		}
		row := []string{padRight(source.Truncate(name, nameW), nameW), mt.Group, string(mt.Type), itoa(len(mt.Samples)), val}
		if len(headers) == 6 {
			row = append(row, source.Truncate(mt.Help, helpW))
		}
		rows = append(rows, row)
	}
	m.numberCursor = max(0, min(m.numberCursor, len(names)-1))
	cursor := m.numberCursor
	if len(rows) == 0 {
		rows = [][]string{{"(no metric matches the filter)"}}
		cursor = -1
	}
	title := m.theme.Title.Render(fmt.Sprintf("metrics (%d) · enter opens one · v raw payload", len(n.last.Metrics)))
	tbl := renderTable(&m.theme, tableSpec{
		headers: headers,
		rows:    rows, cursor: cursor, height: max(1, ih-len(lines)-4), width: iw,
		right: map[int]bool{3: true, 4: true},
	})
	return m.pane(iw, ih, strings.Join(lines, "\n")+"\n\n"+title+"\n"+tbl)
}

func (m *Model) metricSeriesCount() int {
	n := m.activeNumber()
	if n == nil || n.last == nil || n.last.Metric(m.metricName) == nil {
		return 0
	}
	return len(n.last.Metric(m.metricName).Samples)
}

// renderMetric shows one metric: its series with value, rate and resets, and a chart of
// the selected series (the value of a gauge, the rate of a counter).
func (m *Model) renderMetric(w, h int) string {
	n := m.activeNumber()
	if n == nil || n.last == nil || n.last.Metric(m.metricName) == nil {
		return m.noData(w, h, "the newest payload has no metric "+m.metricName)
	}
	iw, ih := w-2, h-2
	mt := n.last.Metric(m.metricName)
	counter := mt.Type == source.Counter || strings.HasSuffix(mt.Name, "_count") || strings.HasSuffix(mt.Name, "_sum")
	m.metricCursor = max(0, min(m.metricCursor, len(mt.Samples)-1))
	from, to := m.span(n)
	head := []string{
		m.theme.Title.Render(source.Truncate(mt.Name, iw-30)) + m.theme.Dim.Render(" · "+string(mt.Type)+" · group "+mt.Group+" · "+n.number),
		source.Truncate(mt.Help, iw),
	}
	rows := make([][]string, 0, len(mt.Samples))
	for _, s := range mt.Samples {
		key := source.SeriesKey(mt.Name, s.Labels)
		rate := "-"
		if r, ok := n.hist.Rate(key, m.windowDur()); ok {
			rate = compact(r * 60)
		}
		labels := s.Labels.String()
		if labels == "" {
			labels = "(no labels)"
		}
		rows = append(rows, []string{source.Truncate(labels, max(20, iw-40)), thousands(s.Value), rate, itoa(n.hist.Resets(key))})
	}
	var chart string
	what := "value"
	if len(mt.Samples) > 0 {
		s := mt.Samples[m.metricCursor]
		pts := seriesPoints(n.hist, []string{source.SeriesKey(mt.Name, s.Labels)}, from, counter)
		if counter {
			what = "rate per minute"
			for j := range pts {
				pts[j].V *= 60
			}
		}
		chartH := max(4, (ih-len(head))/2)
		chart = m.theme.Dim.Render(what+" of the selected series over "+windowName(m.windowDur())) + "\n" +
			renderChart(chartSpec{width: iw, height: chartH - 1, from: from, to: to, lines: []chartLine{{points: pts, style: m.theme.Line}}, loc: m.loc, theme: &m.theme})
	}
	used := len(head) + lipgloss.Height(chart) + 3
	tbl := renderTable(&m.theme, tableSpec{
		headers: []string{"LABELS", "VALUE", "PER MIN", "RESETS"},
		rows:    rows, cursor: m.metricCursor, height: max(1, ih-used), width: iw,
		right: map[int]bool{1: true, 2: true, 3: true},
	})
	return m.pane(iw, ih, strings.Join(head, "\n")+"\n"+chart+"\n"+tbl)
}

// renderRaw shows the newest payload as received: indented when it is JSON, every line
// sanitised, in a scrollable viewport. Headers are never shown, so the key cannot be.
func (m *Model) renderRaw(w, h int) string {
	n := m.activeNumber()
	if n == nil {
		return m.noData(w, h, "no numbers")
	}
	iw, ih := w-2, h-2
	m.raw.Width, m.raw.Height = iw, ih-1
	if m.rawFor != n.version || m.rawFor == 0 {
		m.rawFor = n.version
		m.raw.SetContent(rawText(n, iw))
	}
	what := "no payload yet"
	if n.last != nil {
		what = fmt.Sprintf("raw payload of %s · %s · fetched %s", n.number, source.FormatBytes(int64(len(n.last.Raw))), n.last.FetchedAt.In(m.loc).Format("15:04:05"))
	}
	pct := fmt.Sprintf(" · %3.0f%%", m.raw.ScrollPercent()*100)
	return m.pane(iw, ih, m.theme.Title.Render(what)+m.theme.Dim.Render(pct)+"\n"+m.raw.View())
}

// rawText formats a payload for the raw view. Long lines are cut to the width: a label
// of thousands of characters must not turn one line into a screenful.
func rawText(n *numberState, width int) string {
	if n.last == nil {
		return ""
	}
	body := n.last.Raw
	var buf bytes.Buffer
	if json.Indent(&buf, body, "", "  ") == nil {
		body = buf.Bytes()
	}
	const maxLines = 20000
	var b strings.Builder
	for i, line := range strings.Split(string(body), "\n") {
		if i == maxLines {
			b.WriteString("… (cut)\n")
			break
		}
		b.WriteString(source.Truncate(source.Sanitize(line), max(10, width)))
		b.WriteByte('\n')
	}
	return b.String()
}

// padRight pads s with spaces to width columns.
func padRight(s string, width int) string {
	if w := lipgloss.Width(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}
