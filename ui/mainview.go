package ui

import (
	"fmt"
	"math"
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// mainScreen is one number at a glance: the QueuePane above the CounterTable. It owns
// the table's cursor (on a callback type), sort and filter.
type mainScreen struct {
	screenBase
	filter
	cur   cursor
	sort  int
	chart chartCache // the queue pane's chart model, reused between frames
}

var mainSorts = []string{"type", "total", "rate", "fail%"}

func newMainScreen(ctx *Context) *mainScreen {
	return &mainScreen{screenBase: screenBase{ctx: ctx}, filter: newFilter()}
}

func (s *mainScreen) name() string { return "main" }

func (s *mainScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *mainScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.NextNumber, k.Enter, k.Info, k.Overview, k.Filter, k.Sort, k.ZoomIn, k.ZoomOut, s.ctx.pauseKey(), k.Refresh, k.Help, k.Quit}
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
		s.draw()
	case tea.KeyMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	}
	return nil
}

func (s *mainScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	ctx, k := s.ctx, s.ctx.Keys
	if s.filter.typing {
		cmd, _ := s.filter.update(msg)
		return cmd
	}
	if ctx.Engine.Len() == 0 {
		return nil
	}
	rows := s.rows(s.figures())
	switch {
	case key.Matches(msg, k.Enter):
		if i := s.cur.resolve(rowTypes(rows)); i >= 0 {
			ctx.nav.push(newSeriesScreen(ctx, rows[i].Type))
		}
	case key.Matches(msg, k.Info):
		ctx.nav.push(newNumberScreen(ctx))
	case key.Matches(msg, k.Raw):
		ctx.nav.push(newRawScreen(ctx))
	case key.Matches(msg, k.Filter):
		s.filter.start()
	case key.Matches(msg, k.Sort):
		s.sort = (s.sort + 1) % len(mainSorts)
	case key.Matches(msg, k.Refresh):
		ctx.Engine.PollNow(ctx.Active)
	case key.Matches(msg, k.Back):
		if !s.filter.clear() {
			ctx.nav.pop() // over the overview: back to it
		}
	default:
		s.cur.move(k, msg, rowTypes(rows), 5)
	}
	return nil
}

// figures of the number in view over the window.
func (s *mainScreen) figures() *monitor.Figures {
	return s.ctx.Engine.Figures(s.ctx.Active, s.ctx.WindowDur())
}

// rows are the counter table's rows after the filter and the sort.
func (s *mainScreen) rows(f *monitor.Figures) []monitor.CallbackRow {
	rows := make([]monitor.CallbackRow, 0, len(f.Rows))
	for _, r := range f.Rows {
		if s.filter.matches(r.Type) {
			rows = append(rows, r)
		}
	}
	desc := func(a, b float64) bool { return nanLow(a) > nanLow(b) }
	switch mainSorts[s.sort] {
	case "total":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].Total, rows[j].Total) })
	case "rate":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].Rate, rows[j].Rate) })
	case "fail%":
		sort.SliceStable(rows, func(i, j int) bool { return desc(rows[i].FailShare, rows[j].FailShare) })
	}
	return rows
}

func rowTypes(rows []monitor.CallbackRow) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.Type
	}
	return keys
}

// nanLow sorts "no value" below every value.
func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

func (s *mainScreen) draw() {
	ctx := s.ctx
	w, h := s.w, s.h
	if ctx.Engine.Len() == 0 {
		s.body = "no numbers configured"
		return
	}
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) {
		s.drew(v)
		if v.Last == nil {
			s.body = ctx.pane(w-2, h-2, lipgloss.NewStyle().Width(max(1, w-6)).Render(noAnswerYet(ctx, &v.Status)))
			return
		}
		f := v.Figures(ctx.WindowDur())
		rows := s.rows(f)
		// The table takes what its rows need (up to half the screen), the chart the rest.
		tableH := min(max(len(rows), 2)+6, h/2)
		if h < 16 {
			tableH = h / 2
		}
		s.body = lipgloss.JoinVertical(lipgloss.Left,
			queuePane(ctx, v, f, &s.chart, w, h-tableH),
			s.counterTable(f, rows, w, tableH))
	})
}

// noAnswerYet is what a number without a good poll says: waiting, or answering with
// errors only.
func noAnswerYet(ctx *Context, st *monitor.Status) string {
	if st.Err == nil {
		return "waiting for the first poll of " + st.Number + " …"
	}
	return fmt.Sprintf("%s has answered with errors only (%d polls, none good).\n\n%s %s\n\nRetrying with backoff. i shows the number's detail.",
		st.Number, st.Polls, ctx.Theme.Error.Render("ERR"), source.Sanitize(st.Err.Error()))
}
