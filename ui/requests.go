package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
)

// requestsScreen is the API requests of the number in view (endpoint_requests): a row
// per endpoint and method, a column per result, with rates, failure shares and mean
// durations; enter opens a row's rates over time.
type requestsScreen struct {
	screenBase
	table counterTable
}

func newRequestsScreen(ctx *Context) *requestsScreen {
	return &requestsScreen{screenBase: screenBase{ctx: ctx}, table: newCounterTable(requestsKind)}
}

func (s *requestsScreen) name() string         { return "requests" }
func (s *requestsScreen) capturing() bool      { return s.table.capturing() }
func (s *requestsScreen) paste(m tea.PasteMsg) { s.table.paste(m) }
func (s *requestsScreen) statusLine() string   { return s.table.statusLine() }

func (s *requestsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *requestsScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Enter, k.Move, k.Filter, k.Sort, k.Back, k.ZoomIn, k.ZoomOut, k.NextNumber, k.Help, k.Quit}
}

func (s *requestsScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		if s.newData() {
			s.draw()
		}
	case contextMsg:
		s.draw()
	case tea.KeyPressMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	case tea.MouseClickMsg:
		b := &s.ctx.Engine.Figures(s.ctx.Active, s.ctx.WindowDur()).Requests
		hit, again := s.table.click(b, msg.Y)
		if again {
			return s.Update(keyPress("enter"))
		}
		if hit {
			s.draw()
		}
	}
	return nil
}

func (s *requestsScreen) onKey(msg tea.KeyPressMsg) tea.Cmd {
	ctx, k := s.ctx, s.ctx.Keys
	b := &ctx.Engine.Figures(ctx.Active, ctx.WindowDur()).Requests
	if cmd, ok := s.table.onKey(ctx, msg, b); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Enter):
		if r, ok := s.table.selected(b); ok {
			ctx.nav.push(newSeriesScreen(ctx, requestsKind, r.Key, monitor.Scope{}))
		}
	case key.Matches(msg, k.Back):
		if !s.table.clear() {
			ctx.nav.pop()
		}
	case key.Matches(msg, k.Requests):
	default:
		numberKeys(ctx, msg)
	}
	return nil
}

func (s *requestsScreen) draw() {
	ctx := s.ctx
	th := &ctx.Theme
	iw, ih := s.w-2, s.h-2
	s.table.area = rowArea{}
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) {
		s.drew(v)
		b := &v.Figures(ctx.WindowDur()).Requests
		title := th.Title.Render("API requests of "+v.Number) +
			th.Dim.Render(fmt.Sprintf(" · by endpoint and method × result · rates over %s · sort %s", windowName(ctx.WindowDur()), s.table.sorts()[s.table.sort]))
		if th.ASCII {
			title = asciiGlyphs.Replace(title)
		}
		if b.Metric == "" {
			s.body = ctx.pane(iw, ih, title+"\n\n"+th.Dim.Render("this payload has no endpoint_requests; i lists every metric it has"))
			return
		}
		above := title + "\n" + th.Dim.Render(s.table.summary(ctx, b)+" · metric "+b.Metric) + "\n"
		tbl, area := s.table.render(ctx, b, iw, ih-2)
		s.table.area = area.under(above, 0)
		s.body = ctx.pane(iw, ih, above+tbl)
	})
}
