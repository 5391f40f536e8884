package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// mainScreen is one number at a glance: the QueuePane above the CounterTable of its
// callbacks, with a line on its API requests. It owns the table's cursor (on a callback
// type), sort and filter, and the node scope of a multiconnect number (n: their sum, a
// line and a row per node, or one node alone).
type mainScreen struct {
	screenBase
	table counterTable
	scope monitor.Scope
	chart chartCache // the queue pane's chart model, reused between frames
}

func newMainScreen(ctx *Context) *mainScreen {
	return &mainScreen{screenBase: screenBase{ctx: ctx}, table: newCounterTable(callbacksKind)}
}

func (s *mainScreen) name() string         { return "main" }
func (s *mainScreen) capturing() bool      { return s.table.capturing() }
func (s *mainScreen) paste(m tea.PasteMsg) { s.table.paste(m) }
func (s *mainScreen) statusLine() string   { return s.table.statusLine() }

func (s *mainScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *mainScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.NextNumber, k.Enter, s.ctx.copyKey(), k.Overview, k.Info, k.Events, k.Requests, k.Nodes,
		k.Filter, k.Sort, k.ZoomIn, k.ZoomOut, s.ctx.pauseKey(), s.ctx.refreshKey(), k.Help, k.Quit}
}

func (s *mainScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		// Nothing on this screen depends on the clock or on other numbers: it draws again
		// only when the number in view has news.
		if s.newData() {
			s.draw()
		}
	case contextMsg:
		if s.drawnAt != s.ctx.Active {
			s.scope = monitor.Scope{} // another number's nodes are not this one's
		}
		s.draw()
	case tea.KeyPressMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	case tea.MouseClickMsg:
		if s.ctx.Engine.Len() == 0 {
			return nil
		}
		hit, again := s.table.click(&s.figures().Callbacks, msg.Y)
		if again {
			return s.Update(keyPress("enter"))
		}
		if hit {
			s.draw()
		}
	}
	return nil
}

func (s *mainScreen) onKey(msg tea.KeyPressMsg) tea.Cmd {
	ctx, k := s.ctx, s.ctx.Keys
	if ctx.Engine.Len() == 0 {
		return nil
	}
	b := &s.figures().Callbacks
	if cmd, ok := s.table.onKey(ctx, msg, b); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Enter):
		if r, ok := s.table.selected(b); ok {
			ctx.nav.push(newSeriesScreen(ctx, callbacksKind, r.Key, s.scope))
		}
	case key.Matches(msg, k.Nodes):
		s.scope = nextScope(s.scope, activeNodes(ctx))
	case key.Matches(msg, k.Back):
		if !s.table.clear() {
			ctx.nav.pop() // over the overview: back to it
		}
	default:
		numberKeys(ctx, msg)
	}
	return nil
}

// figures of the number in view over the window, within the node scope.
func (s *mainScreen) figures() *monitor.Figures {
	var f *monitor.Figures
	s.ctx.Engine.Read(s.ctx.Active, func(v *monitor.View) { f = v.FiguresIn(s.ctx.WindowDur(), s.scope) })
	return f
}

// activeNodes are the nodes of the number in view that answer (not standby).
func activeNodes(ctx *Context) []string {
	var nodes []string
	st := ctx.Engine.Status(ctx.Active)
	if st.Last != nil {
		for _, n := range st.Last.Nodes {
			if !n.Standby {
				nodes = append(nodes, n.Name)
			}
		}
	}
	return nodes
}

// nextScope steps the node scope: their sum, split by node, then each node alone.
func nextScope(s monitor.Scope, nodes []string) monitor.Scope {
	switch {
	case len(nodes) == 0:
		return monitor.Scope{}
	case s.Node == "" && !s.Split:
		return monitor.Scope{Split: true}
	case s.Split:
		return monitor.Scope{Node: nodes[0]}
	}
	for i, n := range nodes {
		if n == s.Node && i+1 < len(nodes) {
			return monitor.Scope{Node: nodes[i+1]}
		}
	}
	return monitor.Scope{}
}

// scopeText names the node scope for a title: "", "nodes split", "node wa-core-1:…".
func scopeText(ctx *Context, s monitor.Scope) string {
	switch {
	case s.Split:
		return " · nodes split"
	case s.Node != "":
		return " · node " + ctx.cut(s.Node, 24)
	}
	return ""
}

func (s *mainScreen) draw() {
	ctx := s.ctx
	w, h := s.w, s.h
	s.table.area = rowArea{}
	if ctx.Engine.Len() == 0 {
		s.body = "no numbers configured"
		return
	}
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) {
		s.drew(v)
		if v.Last == nil {
			s.body = ctx.pane(w-2, h-2, ctx.Theme.Style().Width(max(1, w-6)).Render(noAnswerYet(ctx, &v.Status)))
			return
		}
		f := v.FiguresIn(ctx.WindowDur(), s.scope)
		rows := len(s.table.rows(&f.Callbacks))
		extra := 0
		if f.Requests.Metric != "" {
			extra = 1
		}
		// The table takes what its rows need (up to half the screen), the chart the rest.
		tableH := min(max(rows, 2)+6+extra, h/2)
		if h < 16 {
			tableH = h / 2
		}
		s.body = lipgloss.JoinVertical(lipgloss.Left,
			queuePane(ctx, v, f, &s.chart, w, h-tableH),
			s.callbacksPane(f, w, tableH))
	})
}

// callbacksPane is the callbacks' table in its pane, with a line on the requests.
func (s *mainScreen) callbacksPane(f *monitor.Figures, w, h int) string {
	ctx := s.ctx
	th := &ctx.Theme
	iw, ih := w-2, h-2
	title := th.Title.Render("callbacks by type × result")
	if th.ASCII {
		title = th.Title.Render("callbacks by type x result")
	}
	title += th.Dim.Render(fmt.Sprintf(" · rates over %s · sort %s", windowName(ctx.WindowDur()), s.table.sorts()[s.table.sort]) + scopeText(ctx, s.scope))
	lines := []string{title}
	if f.Callbacks.Metric == "" {
		lines = append(lines, "", th.Dim.Render("this payload has no callback counters ("+source.CallbackCount+"); i lists every metric it has"))
	} else {
		lines = append(lines, th.Dim.Render(s.table.summary(ctx, &f.Callbacks)))
	}
	if f.Requests.Metric != "" {
		lines = append(lines, requestsLine(ctx, &f.Requests))
	}
	if f.Callbacks.Metric != "" {
		tbl, area := s.table.render(ctx, &f.Callbacks, iw, ih-len(lines))
		s.table.area = area.under(strings.Join(lines, "\n")+"\n", s.h-h)
		lines = append(lines, tbl)
	}
	return ctx.pane(iw, ih, lipgloss.JoinVertical(lipgloss.Left, lines...))
}

// requestsLine sums up the API requests in a line, naming the worst failing result of
// any endpoint: "requests 305/min · failed 9.6%~ · worst /v1/messages post 429 12% (R)".
func requestsLine(ctx *Context, b *monitor.Breakdown) string {
	th := &ctx.Theme
	level := ctx.Level(monitor.EndpointThreshold, b.FailShare)
	text := "requests " + compact(b.Rate) + "/min · failed " + ctx.levelStyle(level).Render(strings.TrimSpace(percent(b.FailShare)+mark(level)))
	worst, share := "", 0.0
	for _, r := range b.Rows {
		for result, c := range r.Cells {
			if sh := monitor.Share(c.Delta, r.Delta); source.IsFailure(result) && sh > share {
				worst, share = r.Key+" "+result, sh
			}
		}
	}
	if worst != "" {
		text += " · worst " + ctx.cut(worst, 40) + " " + percent(share)
	}
	return text + th.Dim.Render(" (R)")
}

// noAnswerYet is what a number without a good poll says: waiting, or answering with
// errors only.
func noAnswerYet(ctx *Context, st *monitor.Status) string {
	if st.Err == nil {
		return "waiting for the first poll of " + st.Number + " …"
	}
	return fmt.Sprintf("%s has answered with errors only (%s, none good).\n\n%s %s\n\nRetrying with backoff. i shows the number's detail.",
		st.Number, source.Count(int(st.Polls), "poll"), ctx.Theme.Error.Render("ERR"), source.Sanitize(st.Err.Error()))
}
