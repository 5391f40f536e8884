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

// The QueuePane: callback_queue_size over the window (one line per node when split),
// thresholds, and beside it what waits in the client, the inbound pipeline and the
// server's health.

// sideLabels name the figures beside the chart.
var sideLabels = map[string]string{
	"db_pending_callbacks":                 "db callbacks",
	"db_pending_messages":                  "db messages",
	"in_messages_pending_processing":       "inbound",
	"in_message_from_server":               "from server",
	"in_message_decoded":                   "decoded",
	"in_message_persisted":                 "persisted",
	"concurrent_rate_limit_triggered":      "rate limited",
	"internal_server_conn_duration_ms":     "server conn",
	"internal_server_requests_duration_ms": "server reqs",
	"db_request_duration_us":               "db requests",
	"db_request_error_duration_us":         "db errors",
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
	keys, _ := nodeKeys(snap, name, monitor.Scope{})
	return keys
}

// nodeKeys are the series keys of a metric within a node scope, and each one's node.
func nodeKeys(snap *source.Snapshot, name string, scope monitor.Scope) (keys, nodes []string) {
	mt := snap.Metric(name)
	if mt == nil {
		return nil, nil
	}
	for _, s := range mt.Samples {
		node := s.Labels.Get("node")
		if scope.Node != "" && node != scope.Node {
			continue
		}
		keys = append(keys, source.SeriesKey(mt.Name, s.Labels))
		nodes = append(nodes, node)
	}
	return keys, nodes
}

func queuePane(ctx *Context, v *monitor.View, f *monitor.Figures, cache *chartCache, w, h int) string {
	th := &ctx.Theme
	iw, ih := w-2, h-2
	from, to := ctx.span(v.History)
	keys, nodes := nodeKeys(v.Last, source.QueueSize, f.Scope)
	pts := seriesPoints(v.History, keys, from, false)
	lines := []chartLine{{points: pts, style: th.Line}}
	legend := ""
	if f.Scope.Split && len(keys) > 1 {
		// A line per node, each in its own colour, named in the title.
		lines = lines[:0]
		for i, k := range keys {
			st := th.Series[i%len(th.Series)]
			lines = append(lines, chartLine{points: seriesPoints(v.History, []string{k}, from, false), style: st})
			legend += "  " + st.Render(th.Legend+" "+ctx.cut(nodes[i], 24))
		}
	}

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
	group := func(title string, values []monitor.NamedValue, format func(monitor.NamedValue) string) {
		if len(values) == 0 {
			return
		}
		side = append(side, "", th.Title.Render(title))
		for _, p := range values {
			l := ctx.Level(p.Name, p.Value)
			side = append(side, fmt.Sprintf("%-13s%s", sideLabels[p.Name], ctx.levelStyle(l).Render(format(p)+strings.TrimSpace(mark(l)))))
		}
	}
	group("pending", f.Pending, func(p monitor.NamedValue) string { return thousands(p.Value) })
	group("inbound /min", f.Pipeline, func(p monitor.NamedValue) string { return compact(p.Value) })
	group("health", f.Health, func(p monitor.NamedValue) string {
		if p.Name == "concurrent_rate_limit_triggered" {
			return compact(p.Value) + "/m" // a rate; the others are mean durations
		}
		return millis(p.Value)
	})
	sideW := 24
	if iw < 70 {
		sideW = 20
	}
	title := th.Title.Render("callback queue") + th.Dim.Render(" · "+windowName(ctx.WindowDur())+scopeText(ctx, f.Scope)) + legend
	chart := renderChart(chartSpec{
		width: iw - sideW - 1, height: ih - 1, from: from, to: to,
		lines:      lines,
		thresholds: thresholds, loc: ctx.Loc, theme: th, cache: cache,
	})
	body := besides(chart, iw-sideW, side, sideW-1)
	return ctx.pane(iw, ih, title+"\n"+body)
}
