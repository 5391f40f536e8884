package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wamon/wamon/monitor"
)

// seriesScreen is one row of a breakdown of the number in view (a callback type, or an
// endpoint and method): its rate per result over the window, and a row per result with
// totals, rates, resets and shares.
type seriesScreen struct {
	screenBase
	kind  breakdownKind
	key   string // the row's key
	scope monitor.Scope
}

func newSeriesScreen(ctx *Context, kind breakdownKind, key string, scope monitor.Scope) *seriesScreen {
	return &seriesScreen{screenBase: screenBase{ctx: ctx}, kind: kind, key: key, scope: scope}
}

func (s *seriesScreen) name() string { return "series" }

func (s *seriesScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *seriesScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Back, k.ZoomIn, k.ZoomOut, k.NextNumber, k.Info, s.ctx.pauseKey(), k.Help, k.Quit}
}

func (s *seriesScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		if s.newData() {
			s.draw()
		}
	case contextMsg:
		s.draw()
	case tea.KeyPressMsg:
		numberKeys(s.ctx, msg)
	}
	return nil
}

// numberKeys are the keys every screen of one number shares: back, refresh, and the
// number's detail, raw payload and API requests.
func numberKeys(ctx *Context, msg tea.KeyPressMsg) {
	k := ctx.Keys
	switch {
	case key.Matches(msg, k.Back):
		ctx.nav.pop()
	case key.Matches(msg, k.Refresh):
		ctx.Engine.PollNow(ctx.Active)
	case key.Matches(msg, k.Info):
		ctx.nav.push(newNumberScreen(ctx))
	case key.Matches(msg, k.Raw):
		ctx.nav.push(newRawScreen(ctx))
	case key.Matches(msg, k.Requests):
		ctx.nav.push(newRequestsScreen(ctx))
	}
}

func (s *seriesScreen) draw() {
	ctx := s.ctx
	th := &ctx.Theme
	w, h := s.w, s.h
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) {
		s.drew(v)
		if v.Last == nil {
			s.body = ctx.noData(w, h, "no data yet")
			return
		}
		fig := s.kind.of(v.FiguresIn(ctx.WindowDur(), s.scope))
		var row *monitor.Row
		for i := range fig.Rows {
			if fig.Rows[i].Key == s.key {
				row = &fig.Rows[i]
			}
		}
		what := "callbacks of type "
		if s.kind == requestsKind {
			what = "requests to "
		}
		if row == nil {
			s.body = ctx.noData(w, h, "the newest payload has no "+what+ctx.cut(s.key, 60))
			return
		}
		iw, ih := w-2, h-2
		metric := v.Last.Metric(fig.Metric)
		from, to := ctx.span(v.History)
		header := []string{
			th.Title.Render(what+ctx.cut(row.Key, 40)) + th.Dim.Render(" · "+v.Number+" · rates per minute over "+windowName(ctx.WindowDur())),
			th.Dim.Render("metric ") + fig.Metric + th.Dim.Render(" · "+string(metric.Type)+" · ") + ctx.cut(metric.Help, max(10, iw-40)),
		}
		var results []string
		for _, r := range fig.Results {
			if row.Cells[r] != nil {
				results = append(results, r)
			}
		}
		var lines []chartLine
		var legend []string
		for i, r := range results {
			st := th.Series[i%len(th.Series)]
			pts := seriesPoints(v.History, row.Cells[r].Series, from, true)
			for j := range pts {
				pts[j].V *= 60
			}
			lines = append(lines, chartLine{points: pts, style: st})
			legend = append(legend, st.Render(th.Legend+" "+ctx.cut(r, 16)))
		}
		// Shares over the window, like the failure share above: lifetime totals would hide
		// what is happening now.
		tableRows := [][]string{}
		for _, r := range results {
			c := row.Cells[r]
			resets := 0
			for _, k := range c.Series {
				resets += v.History.Resets(k)
			}
			tableRows = append(tableRows, []string{ctx.cut(r, 20), thousands(c.Total), compact(c.Rate), thousands(c.Delta),
				percent(monitor.Share(c.Delta, row.Delta)), itoa(resets), itoa(len(c.Series))})
		}
		tbl, _ := renderTable(th, tableSpec{
			headers: []string{"RESULT", "TOTAL", "PER MIN", "IN WINDOW", "SHARE OF WINDOW", "RESETS", "SERIES"},
			rows:    tableRows, cursor: -1, height: len(tableRows),
			right: map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true},
		})
		summary := fmt.Sprintf("failed %s · mean %s · %s/min", percent(row.FailShare), millis(row.MeanMs), compact(row.Rate))
		chartH := max(4, ih-len(header)-lipgloss.Height(tbl)-3)
		chart := renderChart(chartSpec{width: iw, height: chartH, from: from, to: to, lines: lines, loc: ctx.Loc, theme: th})
		body := strings.Join(header, "\n") + "\n" + strings.Join(legend, "  ") + "\n" + chart + "\n" + th.Dim.Render(summary) + "\n" + tbl
		s.body = ctx.pane(iw, ih, body)
	})
}

func (c *Context) noData(w, h int, what string) string {
	return c.pane(w-2, h-2, c.Theme.Dim.Render(what))
}
