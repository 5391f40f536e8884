package ui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

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
	return []key.Binding{k.Enter, s.ctx.copyKey(), k.Move, k.Filter, k.Sort, s.ctx.refreshKey(), s.ctx.pauseKey(), k.Back, k.Help, k.Quit}
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
	case tea.KeyPressMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	case tea.MouseClickMsg:
		hit, again := s.cur.click(s.rowsAt, rowNumbers(s.shown), msg.Y)
		if again {
			return s.Update(keyPress("enter"))
		}
		if hit {
			s.draw()
		}
	}
	return nil
}

func (s *overviewScreen) onKey(msg tea.KeyPressMsg) tea.Cmd {
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
	order := worse
	// Figures sort highest first (NaN last).
	by := func(v func(r *overviewRow) float64) func(a, b *overviewRow) int {
		return func(a, b *overviewRow) int { return cmp.Compare(nanLow(v(b)), nanLow(v(a))) }
	}
	switch overSorts[s.sort] {
	case "number":
		order = func(a, b *overviewRow) int { return strings.Compare(a.st.Number, b.st.Number) }
	case "queue":
		order = by(func(r *overviewRow) float64 { return r.fig.Queue })
	case "fail%":
		order = by(func(r *overviewRow) float64 { return r.fig.Callbacks.FailShare })
	case "rate":
		order = by(func(r *overviewRow) float64 { return r.fig.Callbacks.Rate })
	}
	slices.SortStableFunc(rows, order)
	return rows, counts
}

// worse orders the fleet worst first: by state, then level, then as configured. Not by
// the figures within a level: they move with every poll, and a table whose rows swap
// places four times a second can neither be read nor sent over SSH cheaply. A row moves
// when its number's state does.
func worse(a, b *overviewRow) int {
	if c := cmp.Compare(b.state.Severity(), a.state.Severity()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.st.Level, a.st.Level); c != 0 {
		return c
	}
	return cmp.Compare(a.st.Index, b.st.Index)
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

	// The columns but TREND and REASON, for the rows in view; the layout is chosen once
	// their widths are known.
	height := max(1, ih-3)
	cursor := s.cur.resolve(rowNumbers(rows))
	from, to := visibleRange(len(rows), max(cursor, 0), height)
	cells := make([][]string, len(rows)) // off-screen rows stay nil: positions are kept
	reasons := make([]string, len(rows))
	widths := make([]int, overColumns)
	for col, h := range overHeaders {
		widths[col] = lipgloss.Width(h)
	}
	reasonW, fullW := 0, 0 // REASON's width uncut, and with every crossing
	for pos := from; pos < to; pos++ {
		r := rows[pos]
		pollAge := "-"
		if !r.st.LastPoll.IsZero() {
			pollAge = pollAgeText(now.Sub(r.st.LastPoll), ctx.Engine.Interval())
		}
		cb := &r.fig.Callbacks
		rate := compact(cb.Rate)
		if cb.Resets > 0 {
			rate += " " + th.Reset // counters went down: read the rate with care
		}
		row := make([]string, overColumns)
		row[colIndex], row[colNumber], row[colState] = itoa(r.st.Index+1), r.st.Number, ctx.stateSinceCoarse(&r.st, r.state)
		row[colQueue] = compact(r.fig.Queue) + mark(ctx.Level(monitor.QueueThreshold, r.fig.Queue))
		row[colRate] = rate
		row[colFail] = percent(cb.FailShare) + mark(ctx.Level(monitor.FailureThreshold, cb.FailShare))
		row[colMean] = millis(cb.MeanMs)
		row[colAge] = pollAge
		for col, c := range row {
			widths[col] = max(widths[col], lipgloss.Width(c))
		}
		cells[pos] = row
		reasons[pos] = source.Sanitize(reasonOf(&r.st, r.state))
		reasonW = max(reasonW, reasonNeed(&r.st, reasons[pos]))
		fullW = max(fullW, lipgloss.Width(reasons[pos]))
	}
	if reasonW > 0 {
		reasonW = max(reasonW, lipgloss.Width("REASON"))
		fullW = max(fullW, reasonW)
	}
	trendHeader := "TREND " + windowName(ctx.WindowDur())
	lay := chooseOverLayout(iw, widths, reasonW, fullW, lipgloss.Width(trendHeader))
	if lay.spark < 10 {
		trendHeader = "TREND"
	}

	// The columns of this layout, in order, and which are right-aligned.
	var cols []int
	for col := range overColumns {
		switch {
		case col == colTrend && lay.spark == 0, col == colMean && !lay.mean:
			continue
		}
		cols = append(cols, col)
	}
	headers := make([]string, 0, len(cols)+1)
	right := map[int]bool{}
	for i, col := range cols {
		h := overHeaders[col]
		if col == colTrend {
			h = trendHeader
		}
		headers = append(headers, h)
		right[i] = overRight[col]
	}
	if lay.reason > 0 {
		headers = append(headers, "REASON")
	}
	out := make([][]string, len(rows))
	var vals []float64
	for pos := from; pos < to; pos++ {
		r, row := rows[pos], make([]string, 0, len(headers))
		for _, col := range cols {
			if col == colTrend {
				ctx.Engine.Read(r.st.Index, func(v *monitor.View) {
					f0, t0 := ctx.span(v.History)
					vals = bucketMax(seriesPoints(v.History, metricKeys(v.Last, source.QueueSize), f0, false), f0, t0, lay.spark, vals[:0])
				})
				row = append(row, sparkline(vals, lay.spark, th.Spark))
				continue
			}
			row = append(row, cells[pos][col])
		}
		if lay.reason > 0 {
			row = append(row, ctx.fitReason(&r.st, reasons[pos], lay.reason))
		}
		out[pos] = row
	}
	if len(rows) == 0 {
		out, cursor = [][]string{{"", "(no number matches the filter)"}}, -1
	}
	table, area := renderTable(th, tableSpec{
		headers: headers, rows: out, cursor: cursor, height: height, right: right,
		style: func(row, i int, base lipgloss.Style) lipgloss.Style {
			if row >= len(rows) || i >= len(cols) {
				return base
			}
			r := rows[row]
			switch cols[i] {
			case colState:
				return base.Inherit(ctx.stateStyle(r.state))
			case colQueue:
				return base.Inherit(ctx.levelStyle(ctx.Level(monitor.QueueThreshold, r.fig.Queue)))
			case colFail:
				return base.Inherit(ctx.levelStyle(ctx.Level(monitor.FailureThreshold, r.fig.Callbacks.FailShare)))
			}
			return base
		},
	})
	s.rowsAt = area.under(title+"\n", 0)
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

// The overview's columns but REASON, in order.
const (
	colIndex = iota
	colNumber
	colState
	colQueue
	colTrend
	colRate
	colFail
	colMean
	colAge
	overColumns
)

var (
	overHeaders = [overColumns]string{"#", "NUMBER", "STATE", "QUEUE", "TREND", "CB/MIN", "FAIL", "MEAN", "AGE"}
	overRight   = [overColumns]bool{colIndex: true, colQueue: true, colRate: true, colFail: true, colMean: true}
)

// overLayout is which of the overview's optional columns are drawn: the sparkline's
// width (0: no TREND), MEAN, and the width of REASON (0: none).
type overLayout struct {
	spark  int
	mean   bool
	reason int
}

// overLayouts are the overview's layouts from the widest. The reason is the point of
// triage: as the width shrinks the sparkline narrows, then MEAN goes, then TREND, and
// only then is the reason cut.
var overLayouts = []overLayout{{spark: 20, mean: true}, {spark: 10, mean: true}, {spark: 10}, {spark: 8}, {}}

// minReasonW is the narrowest REASON worth a column: a figure such as "1.5k!" or WS406.
const minReasonW = 5

// chooseOverLayout is the widest layout that fits iw cells with the reason uncut
// (reasonW cells, 0 when no row in view has one), else the narrowest with the reason
// cut to what is left. REASON takes what the layout leaves, up to fullW (every
// crossing). widths are the columns' widths (TREND's aside), trendW the width of
// TREND's header with the window.
func chooseOverLayout(iw int, widths []int, reasonW, fullW, trendW int) overLayout {
	width := func(l overLayout) int {
		w := 1 // the cursor's column; each column has a cell of padding either side
		for col, cw := range widths {
			switch {
			case col == colTrend && l.spark == 0, col == colMean && !l.mean:
				continue
			case col == colTrend && l.spark >= 10:
				cw = max(l.spark, trendW)
			case col == colTrend:
				cw = max(l.spark, cw)
			}
			w += cw + 2
		}
		return w
	}
	need := 0
	if reasonW > 0 {
		need = reasonW + 2
	}
	for _, l := range overLayouts {
		if width(l)+need <= iw {
			if reasonW > 0 {
				l.reason = max(reasonW, min(fullW, iw-width(l)-2))
			}
			return l
		}
	}
	l := overLayouts[len(overLayouts)-1]
	if room := iw - width(l) - 2; reasonW > 0 && room >= minReasonW {
		l.reason = room
	}
	return l
}

// reasonParts splits a reason to be cut: the name that gives way, the figure that
// stays (with its leading space), and how many crossings follow the first. ok is false
// for a reason with no figure at its end (WS406, an API's message).
func reasonParts(st *monitor.Status, full string) (name, value string, more int, ok bool) {
	if len(st.Crossings) > 0 && strings.HasPrefix(full, st.Crossings[0].String()) {
		cr := st.Crossings[0]
		return cr.Name, strings.TrimPrefix(cr.String(), cr.Name), len(st.Crossings) - 1, true
	}
	if i := strings.LastIndexByte(full, ' '); i > 0 && strings.ContainsAny(full[i:], "0123456789") {
		return full[:i], full[i:], 0, true // "timeout 10s", "no good poll since 10:02:05"
	}
	return "", "", 0, false
}

// reasonNeed is how wide REASON must be to show a reason uncut: its first crossing
// whole, and how many more ("db_pending_callbacks 31! +1").
func reasonNeed(st *monitor.Status, full string) int {
	if name, value, more, ok := reasonParts(st, full); ok && more > 0 {
		return lipgloss.Width(name+value) + len(" +"+itoa(more))
	}
	return lipgloss.Width(full)
}

// fitReason is a number's reason (full, as reasonOf says it) in at most w cells. Cut,
// it keeps what makes it a reason, the figure: of several crossings the first stays,
// with how many more ("+1") while there is room, and the metric's name gives way
// ("callback_q… 1.5k!").
func (c *Context) fitReason(st *monitor.Status, full string, w int) string {
	if lipgloss.Width(full) <= w {
		return full
	}
	name, value, more, ok := reasonParts(st, full)
	if !ok {
		return c.cut(full, w)
	}
	if more > 0 {
		if tail := value + " +" + itoa(more); w-lipgloss.Width(tail) >= 8 {
			return c.cut(name, w-lipgloss.Width(tail)) + tail
		}
	}
	if room := w - lipgloss.Width(value); room >= lipgloss.Width(c.Theme.Ellipsis)+1 {
		return c.cut(name, room) + value // an ellipsis and a letter of the name at least
	}
	return c.cut(strings.TrimSpace(value), w)
}
