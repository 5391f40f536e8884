package ui

import (
	"math"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// metricScreen is one metric of the newest payload, series by series, with a chart of
// the series under the cursor. A counter shows rates and resets; a gauge its value and
// its low, high and mean over the window.
type metricScreen struct {
	screenBase
	metric string
	cur    cursor // on a series, by its labels
}

func newMetricScreen(ctx *Context, metric string) *metricScreen {
	return &metricScreen{screenBase: screenBase{ctx: ctx}, metric: metric}
}

func (s *metricScreen) name() string { return "metric" }

func (s *metricScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *metricScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Back, k.Move, k.ZoomIn, k.ZoomOut, k.NextNumber, s.ctx.pauseKey(), k.Help, k.Quit}
}

func (s *metricScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		if s.newData() {
			s.draw()
		}
	case contextMsg:
		s.draw()
	case tea.KeyPressMsg:
		if !s.cur.move(s.ctx.Keys, msg, s.seriesKeys(), 5) {
			numberKeys(s.ctx, msg)
			return nil
		}
		s.draw()
	case tea.MouseClickMsg: // the series clicked is charted
		if hit, _ := s.cur.click(s.rowsAt, s.seriesKeys(), msg.Y); hit {
			s.draw()
		}
	}
	return nil
}

// isCounter: a metric whose rate means something. The payload types most, but a
// summary's halves and Prometheus-style names say so too.
func isCounter(mt *source.Metric) bool {
	return mt.Type == source.Counter || strings.HasSuffix(mt.Name, "_count") ||
		strings.HasSuffix(mt.Name, "_sum") || strings.HasSuffix(mt.Name, "_total")
}

// seriesLabel is how a series is named in the table, and the cursor's key.
func seriesLabel(ls source.Labels) string {
	if l := ls.String(); l != "" {
		return l
	}
	return "(no labels)"
}

func (s *metricScreen) seriesKeys() []string {
	var keys []string
	s.ctx.Engine.Read(s.ctx.Active, func(v *monitor.View) {
		if mt := v.Last.Metric(s.metric); mt != nil {
			for _, smp := range mt.Samples {
				keys = append(keys, seriesLabel(smp.Labels))
			}
		}
	})
	return keys
}

func (s *metricScreen) draw() {
	ctx := s.ctx
	s.rowsAt = rowArea{}
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) {
		s.drew(v)
		s.body = s.render(v)
	})
}

func (s *metricScreen) render(v *monitor.View) string {
	ctx := s.ctx
	th := &ctx.Theme
	mt := v.Last.Metric(s.metric)
	if mt == nil {
		return ctx.noData(s.w, s.h, "the newest payload has no metric "+ctx.cut(s.metric, 60))
	}
	iw, ih := s.w-2, s.h-2
	counter := isCounter(mt)
	from, to := ctx.span(v.History)
	head := []string{
		th.Title.Render(ctx.cut(mt.Name, iw-30)) + th.Dim.Render(" · "+string(mt.Type)+" · group "+ctx.cut(mt.Group, 20)+" · "+v.Number),
		ctx.cut(mt.Help, iw),
	}
	keys := make([]string, len(mt.Samples))
	for i, smp := range mt.Samples {
		keys[i] = seriesLabel(smp.Labels)
	}
	cursor := s.cur.resolve(keys)
	headers := []string{"LABELS", "VALUE", "MIN", "MAX", "AVG"}
	if counter {
		headers = []string{"LABELS", "VALUE", "PER MIN", "RESETS"}
	}
	var pts []history.Point
	rows := make([][]string, 0, len(mt.Samples))
	for i, smp := range mt.Samples {
		key := source.SeriesKey(mt.Name, smp.Labels)
		row := []string{ctx.cut(keys[i], max(20, iw-40)), thousands(smp.Value)}
		if counter {
			rate := "-"
			if r, ok := v.History.Rate(key, ctx.WindowDur()); ok {
				rate = compact(r * 60)
			}
			row = append(row, rate, itoa(v.History.Resets(key)))
		} else {
			pts = v.History.Points(key, from, pts[:0])
			lo, hi, avg := pointStats(pts)
			// In VALUE's own format: a value must never read lower than its own low.
			row = append(row, thousands(lo), thousands(hi), thousands(avg))
		}
		rows = append(rows, row)
	}
	var chart string
	if cursor >= 0 {
		smp := mt.Samples[cursor]
		pts := seriesPoints(v.History, []string{source.SeriesKey(mt.Name, smp.Labels)}, from, counter)
		what := "value"
		if counter {
			what = "rate per minute"
			for j := range pts {
				pts[j].V *= 60
			}
		}
		chartH := max(4, (ih-len(head))/2)
		chart = th.Dim.Render(what+" of the selected series over "+windowName(ctx.WindowDur())) + "\n" +
			renderChart(chartSpec{width: iw, height: chartH - 1, from: from, to: to, lines: []chartLine{{points: pts, style: th.Line}}, loc: ctx.Loc, theme: th})
	}
	used := len(head) + lipgloss.Height(chart) + 3
	right := map[int]bool{}
	for i := 1; i < len(headers); i++ {
		right[i] = true
	}
	tbl, area := renderTable(th, tableSpec{
		headers: headers, rows: rows, cursor: cursor, height: max(1, ih-used), width: iw, right: right,
	})
	above := strings.Join(head, "\n") + "\n" + chart + "\n"
	s.rowsAt = area.under(above, 0)
	return ctx.pane(iw, ih, above+tbl)
}

// pointStats are the low, high and mean of the points that are not gaps (NaN for none).
func pointStats(pts []history.Point) (lo, hi, avg float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	var sum float64
	n := 0
	for _, p := range pts {
		if p.Gap() {
			continue
		}
		lo, hi, sum = min(lo, p.V), max(hi, p.V), sum+p.V
		n++
	}
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return lo, hi, sum / float64(n)
}
