package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// numberScreen is the number in view itself: state, polls, latency, the last error,
// decoder warnings, meta, and every metric of the newest payload, with a cursor on a
// metric and a filter.
type numberScreen struct {
	screenBase
	filter
	cur cursor // on a metric name
}

func newNumberScreen(ctx *Context) *numberScreen {
	return &numberScreen{screenBase: screenBase{ctx: ctx}, filter: newFilter()}
}

func (s *numberScreen) name() string { return "number" }

func (s *numberScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *numberScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Enter, k.Move, k.Raw, k.Filter, k.Back, k.Help, k.Quit}
}

func (s *numberScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg, clockMsg, contextMsg: // the ages of the last error change with the clock
		s.draw()
	case tea.KeyPressMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	case tea.MouseClickMsg:
		hit, again := s.cur.click(s.rowsAt, s.metricNames(), msg.Y)
		if again {
			return s.Update(keyPress("enter"))
		}
		if hit {
			s.draw()
		}
	}
	return nil
}

func (s *numberScreen) onKey(msg tea.KeyPressMsg) tea.Cmd {
	ctx, k := s.ctx, s.ctx.Keys
	if s.filter.typing {
		cmd, _ := s.filter.update(msg)
		return cmd
	}
	names := s.metricNames()
	switch {
	case key.Matches(msg, k.Enter):
		if i := s.cur.resolve(names); i >= 0 {
			ctx.nav.push(newMetricScreen(ctx, names[i]))
		}
	case key.Matches(msg, k.Filter):
		s.filter.start()
	case key.Matches(msg, k.Back):
		if !s.filter.clear() {
			ctx.nav.pop()
		}
	case key.Matches(msg, k.Info):
	default:
		if !s.cur.move(k, msg, names, 10) {
			numberKeys(ctx, msg)
		}
	}
	return nil
}

// metricNames are the newest payload's metrics, filtered, in name order.
func (s *numberScreen) metricNames() []string {
	var out []string
	s.ctx.Engine.Read(s.ctx.Active, func(v *monitor.View) { out = s.names(v.Last) })
	return out
}

func (s *numberScreen) names(last *source.Snapshot) []string {
	if last == nil {
		return nil
	}
	var out []string
	for _, name := range last.MetricNames() {
		if s.filter.matches(name) {
			out = append(out, name)
		}
	}
	return out
}

func (s *numberScreen) draw() {
	ctx := s.ctx
	s.rowsAt = rowArea{}
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) { s.body = s.render(v) })
}

func (s *numberScreen) render(v *monitor.View) string {
	ctx := s.ctx
	th := &ctx.Theme
	iw, ih := s.w-2, s.h-2
	now := ctx.Now()
	st := ctx.State(&v.Status)
	state := ctx.stateStyle(st).Render(st.Word())
	if st == v.State && st != monitor.StateWaiting {
		state += fmt.Sprintf(" since %s (%s)", v.Since.In(ctx.Loc).Format("15:04:05"), now.Sub(v.Since).Round(time.Second))
	}
	if r := reasonOf(&v.Status, st); r != "" {
		state += ": " + ctx.cut(r, max(10, iw-40))
	}
	lines := []string{
		th.Title.Render(v.Number) + " " + state,
		th.Dim.Render(fmt.Sprintf("%s, %d failed · %s · %s held, %s", source.Count(int(v.Polls), "poll"), v.Errors, heldSince(ctx, v),
			source.Count(len(v.History.Keys()), "series"), source.FormatBytes(int64(v.History.MemBytes())))),
	}
	if lat := v.Latencies(); len(lat) > 0 {
		var sum, hi float64
		for _, l := range lat {
			sum += l
			hi = max(hi, l)
		}
		lines = append(lines, fmt.Sprintf("latency  last %s  avg %s  max %s  ", millis(lat[len(lat)-1]), millis(sum/float64(len(lat))), millis(hi))+
			th.Line.Render(sparkline(lat, max(0, min(60, iw-50)), th.Spark)))
	}
	if v.SeenErr != nil {
		// The newest error ever, even after recovery: "16 failed" must be explainable.
		when := v.SeenErrAt.In(ctx.Loc).Format("15:04:05") + " (" + age(now.Sub(v.SeenErrAt)) + " ago"
		if v.Err == nil {
			when += ", recovered"
		}
		lines = append(lines, th.Error.Render("last error")+" "+when+"): "+ctx.cut(v.SeenErr.Error(), max(10, iw-40)))
	} else {
		lines = append(lines, th.Dim.Render("last error: none"))
	}
	if v.Last != nil {
		line := th.Dim.Render("code ") + v.Last.Code + th.Dim.Render(" · message ") + ctx.cut(v.Last.Message, 50)
		if len(v.Last.Meta) > 0 {
			keys := make([]string, 0, len(v.Last.Meta))
			for k := range v.Last.Meta {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var meta []string
			for _, k := range keys {
				meta = append(meta, ctx.cut(k, 20)+"="+ctx.cut(v.Last.Meta[k], 40))
			}
			line += th.Dim.Render(" · meta ") + strings.Join(meta, " ")
		}
		lines = append(lines, line)
		if len(v.Last.Nodes) > 0 {
			var nodes []string
			for _, n := range v.Last.Nodes {
				role := "active"
				if n.Standby {
					role = "standby"
				}
				nodes = append(nodes, ctx.cut(n.Name, 40)+" ("+role+")")
			}
			lines = append(lines, th.Dim.Render("nodes ")+strings.Join(nodes, ", "))
		}
	}
	if k := len(v.Warnings); k > 0 {
		lines = append(lines, th.Warn.Render(fmt.Sprintf("%d decoder warning(s):", k)))
		for i, wr := range v.Warnings {
			if i == 3 {
				lines = append(lines, th.Dim.Render(fmt.Sprintf("  … %d more", k-3)))
				break
			}
			lines = append(lines, "  "+ctx.cut(wr, iw-4))
		}
	}
	if v.Last == nil {
		return ctx.pane(iw, ih, strings.Join(lines, "\n"))
	}
	names := s.names(v.Last)
	// The name column is as wide as the longest name held (not only those in view), so
	// it does not shift while scrolling; help gets what is left, and goes first when
	// the screen is narrow, so that names are never cut into lookalikes.
	// It never makes the table wider than the pane: the table would then shrink every
	// column, and cut each padded name, short ones too, into "name   …". A name longer
	// than the room is cut at its own end instead.
	nameW := 6
	for _, name := range names {
		nameW = max(nameW, min(60, lipgloss.Width(name)))
	}
	nameW = min(nameW, max(12, iw-otherMetricColumns))
	helpW := iw - nameW - otherMetricColumns
	headers := []string{"METRIC", "GROUP", "TYPE", "SERIES", "SUM", "HELP"}
	if helpW < 12 {
		headers = headers[:5]
	}
	rows := make([][]string, 0, len(names))
	for _, name := range names {
		mt := v.Last.Metrics[name]
		val := "-"
		if len(mt.Samples) > 0 {
			val = compact(mt.Sum()) + strings.TrimSpace(mark(crossingLevel(v.Crossings, name)))
		}
		row := []string{padRight(ctx.cut(name, nameW), nameW), ctx.cut(mt.Group, 20), string(mt.Type), itoa(len(mt.Samples)), val}
		if len(headers) == 6 {
			row = append(row, ctx.cut(mt.Help, helpW))
		}
		rows = append(rows, row)
	}
	cursor := s.cur.resolve(names)
	if len(rows) == 0 {
		rows = [][]string{{"(no metric matches the filter)"}}
	}
	title := th.Title.Render(fmt.Sprintf("metrics (%d) · enter opens one · v raw payload", len(v.Last.Metrics)))
	tbl, area := renderTable(th, tableSpec{
		headers: headers,
		rows:    rows, cursor: cursor, height: max(1, ih-len(lines)-4), width: iw,
		right: map[int]bool{3: true, 4: true},
	})
	above := strings.Join(lines, "\n") + "\n\n" + title + "\n"
	s.rowsAt = area.under(above, 0)
	return ctx.pane(iw, ih, above+tbl)
}

// otherMetricColumns is how wide the metrics table is without its METRIC and HELP
// columns: the cursor, GROUP (cut to 20), TYPE, SERIES and SUM, and their padding.
const otherMetricColumns = 40

// padRight pads s with spaces to width columns.
func padRight(s string, width int) string {
	if w := lipgloss.Width(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// crossingLevel is how far past its threshold a metric is, as the engine judged it (a
// counter by its rate, a gauge by its sum).
func crossingLevel(cs []monitor.Crossing, name string) monitor.Level {
	for _, c := range cs {
		if c.Name == name {
			return c.Level
		}
	}
	return monitor.LevelOK
}

// heldSince is how many polls the history holds and since when: reloaded polls (from
// recordings or Prometheus) count, which Polls, this run's own, does not.
func heldSince(ctx *Context, v *monitor.View) string {
	n := v.History.Len()
	if n == 0 {
		return "history empty"
	}
	oldest, _ := v.History.Times()
	return fmt.Sprintf("history %d since %s", n, oldest.In(ctx.Loc).Format("15:04:05"))
}
