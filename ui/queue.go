package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui/history"
)

// The QueuePane: callback_queue_size over the window, thresholds, and pending counts.

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
	// The window ends at the newest poll, rounded up to a quarter of the window: it moves
	// in steps, not with every poll, so between steps a poll only adds to the right end
	// of the line and the terminal redraws a few lines instead of the whole chart.
	step := d / 4
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
			l := m.level(p.name, p.value)
			side = append(side, fmt.Sprintf("%-13s%s", pendingLabels[p.name], m.levelStyle(l).Render(thousands(p.value)+strings.TrimSpace(marks[l]))))
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
