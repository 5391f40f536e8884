package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
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
			out[j].V = monitor.NaNAdd(out[j].V, buf[j].V)
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

func queuePane(ctx *Context, v *monitor.View, f *monitor.Figures, cache *chartCache, w, h int) string {
	th := &ctx.Theme
	iw, ih := w-2, h-2
	from, to := ctx.span(v.History)
	pts := seriesPoints(v.History, metricKeys(v.Last, source.QueueSize), from, false)

	lo, hi, sum, cnt := math.Inf(1), math.Inf(-1), 0.0, 0
	for _, p := range pts {
		if !p.Gap() {
			lo, hi, sum = min(lo, p.V), max(hi, p.V), sum+p.V
			cnt++
		}
	}
	t, hasT := ctx.Engine.Thresholds()[monitor.QueueThreshold]
	var side []string
	level := ctx.Level(monitor.QueueThreshold, f.Queue)
	if math.IsNaN(f.Queue) {
		side = append(side, th.Dim.Render("no "+source.QueueSize))
	} else {
		trend := ""
		if len(pts) >= 2 && !pts[len(pts)-1].Gap() && !pts[len(pts)-2].Gap() {
			switch d := pts[len(pts)-1].V - pts[len(pts)-2].V; {
			case d > 0:
				trend = " " + th.Up
			case d < 0:
				trend = " " + th.Down
			}
		}
		word := ""
		switch level {
		case monitor.LevelCrit:
			word = " CRIT"
		case monitor.LevelWarn:
			word = " WARN"
		}
		side = append(side, "now "+ctx.levelStyle(level).Render(thousands(f.Queue)+trend+word))
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
		side = append(side, th.Dim.Render(fmt.Sprintf("warn %s  crit %s", compact(t.Warn), compact(t.Critical))))
	}
	if len(f.Pending) > 0 {
		side = append(side, "", th.Title.Render("pending"))
		for _, p := range f.Pending {
			l := ctx.Level(p.Name, p.Value)
			side = append(side, fmt.Sprintf("%-13s%s", pendingLabels[p.Name], ctx.levelStyle(l).Render(thousands(p.Value)+strings.TrimSpace(mark(l)))))
		}
	}
	sideW := 24
	if iw < 70 {
		sideW = 20
	}
	title := th.Title.Render("callback queue") + th.Dim.Render(" · "+windowName(ctx.WindowDur()))
	chart := renderChart(chartSpec{
		width: iw - sideW - 1, height: ih - 1, from: from, to: to,
		lines:      []chartLine{{points: pts, style: th.Line}},
		thresholds: thresholds, loc: ctx.Loc, theme: th, cache: cache,
	})
	body := besides(chart, iw-sideW, side, sideW-1)
	return ctx.pane(iw, ih, title+"\n"+body)
}
