package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// overviewScreen is the FleetOverview: one row per number, worst first. It must stay
// usable with hundreds of numbers, so only the rows in view are drawn (sparklines
// included). Its cursor follows a number, not a row: when a poll re-sorts the fleet,
// enter still opens the number that was under it.
type overviewScreen struct {
	screenBase
	filter
	cur         cursor // on a number
	sort        int
	drawnAtWall time.Time
	// shown are the rows as last drawn: keys move over them and the footer speaks of
	// the one under the cursor, without reading the fleet again at every message.
	shown []*overviewRow
}

var overSorts = []string{"worst", "number", "queue", "fail%", "rate"}

func newOverview(ctx *Context) *overviewScreen {
	return &overviewScreen{screenBase: screenBase{ctx: ctx}, filter: newFilter()}
}

func (s *overviewScreen) name() string { return "overview" }

func (s *overviewScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *overviewScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Enter, k.Move, k.Filter, k.Sort, s.ctx.refreshKey(), s.ctx.pauseKey(), k.Back, k.Help, k.Quit}
}

func (s *overviewScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		// Any number's poll changes the fleet: with hundreds of numbers that is every
		// flush. The fleet is drawn again at most once a second (the ages tick at that
		// pace anyway), at once after a quiet second.
		if time.Since(s.drawnAtWall) >= time.Second {
			s.draw()
		}
	case clockMsg, contextMsg:
		s.draw()
	case tea.KeyMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	}
	return nil
}

func (s *overviewScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	ctx, k := s.ctx, s.ctx.Keys
	if s.filter.typing {
		cmd, _ := s.filter.update(msg)
		return cmd
	}
	rows := s.shown
	open := func(next func(*Context) screen) {
		if i := s.cur.resolve(rowNumbers(rows)); i >= 0 {
			ctx.nav.setActive(rows[i].st.Index)
			ctx.nav.push(next(ctx))
		}
	}
	switch {
	case key.Matches(msg, k.Enter):
		open(func(c *Context) screen { return newMainScreen(c) })
	case key.Matches(msg, k.Info):
		open(func(c *Context) screen { return newNumberScreen(c) })
	case key.Matches(msg, k.Raw):
		open(func(c *Context) screen { return newRawScreen(c) })
	case key.Matches(msg, k.Filter):
		s.filter.start()
	case key.Matches(msg, k.Sort):
		s.sort = (s.sort + 1) % len(overSorts)
	case key.Matches(msg, k.Refresh):
		ctx.Engine.PollAll()
	case key.Matches(msg, k.Back):
		if !s.filter.clear() {
			ctx.nav.pop()
		}
	default:
		s.cur.move(k, msg, rowNumbers(rows), s.tableHeight())
	}
	return nil
}

// overviewRow is one number as the overview sorts and shows it.
type overviewRow struct {
	st    monitor.Status
	state monitor.State
	fig   *monitor.Figures
}

func rowNumbers(rows []*overviewRow) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.st.Number
	}
	return keys
}

// rows are the numbers in display order, after the filter, and how many of the whole
// fleet are in each state.
func (s *overviewScreen) rows() ([]*overviewRow, map[monitor.State]int) {
	ctx := s.ctx
	window := ctx.WindowDur()
	// Pointers into one array: a sort moves pointers, not the rows' statuses.
	all := make([]overviewRow, ctx.Engine.Len())
	rows := make([]*overviewRow, 0, len(all))
	matches := s.filter.matcher()
	counts := map[monitor.State]int{}
	for i := range all {
		r := &all[i]
		ctx.Engine.Read(i, func(v *monitor.View) {
			r.st = v.Status
			r.fig = v.Figures(window)
		})
		r.state = ctx.State(&r.st)
		counts[r.state]++
		if matches(r.st.Number, r.state.Word()) {
			rows = append(rows, r)
		}
	}
	var less func(a, b *overviewRow) bool
	by := func(v func(r *overviewRow) float64) func(a, b *overviewRow) bool {
		return func(a, b *overviewRow) bool { return nanLow(v(a)) > nanLow(v(b)) }
	}
	switch overSorts[s.sort] {
	case "worst":
		less = worse
	case "number":
		less = func(a, b *overviewRow) bool { return a.st.Number < b.st.Number }
	case "queue":
		less = by(func(r *overviewRow) float64 { return r.fig.Queue })
	case "fail%":
		less = by(func(r *overviewRow) float64 { return r.fig.Callbacks.FailShare })
	case "rate":
		less = by(func(r *overviewRow) float64 { return r.fig.Callbacks.Rate })
	}
	slices.SortStableFunc(rows, func(a, b *overviewRow) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
	return rows, counts
}

// worse orders the fleet worst first: by state, then level, then as configured. Not by
// the figures within a level: they move with every poll, and a table whose rows swap
// places four times a second can neither be read nor sent over SSH cheaply. A row moves
// when its number's state does.
func worse(a, b *overviewRow) bool {
	if sa, sb := a.state.Severity(), b.state.Severity(); sa != sb {
		return sa > sb
	}
	if a.st.Level != b.st.Level {
		return a.st.Level > b.st.Level
	}
	return a.st.Index < b.st.Index
}

// tableHeight is how far pgup and pgdn move: about the rows in view.
func (s *overviewScreen) tableHeight() int { return max(1, s.h-4) }

func (s *overviewScreen) draw() {
	s.drawnAtWall = time.Now()
	ctx := s.ctx
	th := &ctx.Theme
	iw, ih := s.w-2, s.h-2
	now := ctx.Now()
	rows, counts := s.rows()
	s.shown = rows
	var tally []string
	for _, st := range monitor.ByWorst {
		if counts[st] > 0 {
			tally = append(tally, ctx.stateStyle(st).Render(strings.ToLower(st.Word()))+" "+itoa(counts[st]))
		}
	}
	title := th.Title.Render("fleet") + th.Dim.Render(" · "+itoa(ctx.Engine.Len())+" numbers · sort "+overSorts[s.sort]+" · ") + strings.Join(tally, " ")

	sparkW := 20
	if iw < 100 {
		sparkW = 10
	}
	headers := []string{"#", "NUMBER", "STATE", "QUEUE", "TREND " + windowName(ctx.WindowDur()), "CB/MIN", "FAIL", "MEAN", "AGE"}
	if iw < 76 {
		headers = []string{"#", "NUMBER", "STATE", "QUEUE", "TREND", "CB/MIN", "FAIL", "AGE"}
		sparkW = 8
	}
	compactCols := len(headers) == 8
	height := max(1, ih-3)
	cursor := s.cur.resolve(rowNumbers(rows))
	from, to := visibleRange(len(rows), max(cursor, 0), height)
	cells := make([][]string, 0, len(rows))
	var vals []float64
	for pos := range rows {
		r := rows[pos]
		if pos < from || pos >= to {
			// Off-screen rows are never drawn: a placeholder keeps positions.
			cells = append(cells, nil)
			continue
		}
		ctx.Engine.Read(r.st.Index, func(v *monitor.View) {
			f0, t0 := ctx.span(v.History)
			vals = bucketMax(seriesPoints(v.History, metricKeys(v.Last, source.QueueSize), f0, false), f0, t0, sparkW, vals[:0])
		})
		pollAge := "-"
		if !r.st.LastPoll.IsZero() {
			pollAge = pollAgeText(now.Sub(r.st.LastPoll), ctx.Engine.Interval())
		}
		cb := &r.fig.Callbacks
		rate := compact(cb.Rate)
		if cb.Resets > 0 {
			rate += " " + th.Reset // counters went down: read the rate with care
		}
		row := []string{itoa(r.st.Index + 1), r.st.Number, ctx.stateSinceCoarse(&r.st, r.state),
			compact(r.fig.Queue) + mark(ctx.Level(monitor.QueueThreshold, r.fig.Queue)), sparkline(vals, sparkW, th.Spark),
			rate, percent(cb.FailShare) + mark(ctx.Level(monitor.FailureThreshold, cb.FailShare))}
		if !compactCols {
			row = append(row, millis(cb.MeanMs))
		}
		cells = append(cells, append(row, pollAge))
	}
	// The reason gets the width the other columns leave.
	used := 2 // the cursor's column
	for col := range headers {
		w := lipgloss.Width(headers[col])
		for _, c := range cells {
			if col < len(c) {
				w = max(w, lipgloss.Width(c[col]))
			}
		}
		used += w + 2
	}
	if reasonW := iw - used - 2; reasonW >= 6 {
		headers = append(headers, "REASON")
		for pos, c := range cells {
			if c != nil {
				cells[pos] = append(c, ctx.cut(reasonOf(&rows[pos].st, rows[pos].state), reasonW))
			}
		}
	}
	if len(rows) == 0 {
		cells, cursor = [][]string{{"", "(no number matches the filter)"}}, -1
	}
	table := renderTable(th, tableSpec{
		headers: headers, rows: cells, cursor: cursor, height: height,
		right: map[int]bool{0: true, 3: true, 5: true, 6: true, 7: !compactCols},
		style: func(row, col int, base lipgloss.Style) lipgloss.Style {
			if row >= len(rows) {
				return base
			}
			r := rows[row]
			switch col {
			case 2:
				return base.Inherit(ctx.stateStyle(r.state))
			case 3:
				return base.Inherit(ctx.levelStyle(ctx.Level(monitor.QueueThreshold, r.fig.Queue)))
			case 6:
				return base.Inherit(ctx.levelStyle(ctx.Level(monitor.FailureThreshold, r.fig.Callbacks.FailShare)))
			}
			return base
		},
	})
	s.body = ctx.pane(iw, ih, title+"\n"+table)
}

// pollAgeText is how long ago a number was polled, as the overview says it: "<5s"
// while it is polled on time (within an interval), the age once it is late. Ages that
// tick every second in every row would redraw the whole table every second.
func pollAgeText(d, interval time.Duration) string {
	if d < interval {
		return "<" + age(interval)
	}
	return age(d)
}

// reasonOf is why a number is in its state, as the overview and the copied summary say
// it: the engine's reason once it has settled the state, else (the clock moved on since)
// what the state says by itself.
func reasonOf(st *monitor.Status, state monitor.State) string {
	if state == st.State {
		return st.Reason
	}
	if state == monitor.StateStale {
		return "no good poll since " + st.LastOK.Format("15:04:05")
	}
	return ""
}

// selectedNumber is the number under the cursor: the footer and y speak of it.
func (s *overviewScreen) selectedNumber() (int, bool) {
	rows := s.shown
	if i := s.cur.resolve(rowNumbers(rows)); i >= 0 {
		return rows[i].st.Index, true
	}
	return 0, false
}

func itoa(i int) string { return strconv.Itoa(i) }
