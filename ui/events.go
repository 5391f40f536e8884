package ui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wamon/wamon/monitor"
)

// eventsScreen is the fleet's timeline, newest first: each change of state with its
// reason and how long the state before lasted, counters that went down, decoder
// warnings, pauses. / filters by number or reason, w by severity; enter goes to the
// event's number.
type eventsScreen struct {
	screenBase
	filter
	cur      cursor // on an event, by its sequence number
	severity int    // the least severity shown: 0 all, 1 warnings and worse, 2 critical
}

var severityNames = []string{"all", "warnings and worse", "critical and failing"}

func newEventsScreen(ctx *Context) *eventsScreen {
	return &eventsScreen{screenBase: screenBase{ctx: ctx}, filter: newFilter()}
}

func (s *eventsScreen) name() string { return "events" }

func (s *eventsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.draw()
}

func (s *eventsScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Enter, k.Move, k.Filter, k.Severity, k.Back, k.Help, k.Quit}
}

func (s *eventsScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg, contextMsg:
		s.draw()
	case tea.KeyPressMsg:
		cmd := s.onKey(msg)
		s.draw()
		return cmd
	case tea.MouseClickMsg:
		hit, again := s.cur.click(s.rowsAt, eventKeys(s.events()), msg.Y)
		if again {
			return s.Update(keyPress("enter"))
		}
		if hit {
			s.draw()
		}
	}
	return nil
}

func (s *eventsScreen) onKey(msg tea.KeyPressMsg) tea.Cmd {
	ctx, k := s.ctx, s.ctx.Keys
	if s.typing {
		cmd, _ := s.update(msg)
		return cmd
	}
	events := s.events()
	switch {
	case key.Matches(msg, k.Enter):
		if i := s.cur.resolve(eventKeys(events)); i >= 0 && events[i].Index >= 0 {
			ctx.nav.pop()
			ctx.nav.switchNumber(events[i].Index)
		}
	case key.Matches(msg, k.Filter):
		s.start()
	case key.Matches(msg, k.Severity):
		s.severity = (s.severity + 1) % len(severityNames)
	case key.Matches(msg, k.Back):
		if !s.clear() {
			ctx.nav.pop()
		}
	default:
		s.cur.move(k, msg, eventKeys(events), max(1, s.h-6))
	}
	return nil
}

// events are the timeline's events that pass the filters, newest first.
func (s *eventsScreen) events() []monitor.Event {
	all := s.ctx.Engine.Events(monitor.EventFilter{MinSeverity: s.severity})
	out := all[:0]
	for _, ev := range all {
		if s.matches(ev.Number, ev.Reason, ev.What()) {
			out = append(out, ev)
		}
	}
	return out
}

func eventKeys(events []monitor.Event) []string {
	keys := make([]string, len(events))
	for i, ev := range events {
		keys[i] = strconv.FormatUint(ev.Seq, 10)
	}
	return keys
}

func (s *eventsScreen) draw() {
	ctx := s.ctx
	th := &ctx.Theme
	iw, ih := s.w-2, s.h-2
	events := s.events()
	title := th.Title.Render("events") + th.Dim.Render(" · newest first · "+severityNames[s.severity]+" · "+itoa(len(events))+" shown")
	height := max(1, ih-3)
	cursor := s.cur.resolve(eventKeys(events))
	from, to := visibleRange(len(events), max(cursor, 0), height)
	today := ctx.Now().In(ctx.Loc).Format("2006-01-02")
	cells := make([][]string, len(events))
	for i := from; i < to; i++ {
		ev := &events[i]
		at := ev.At.In(ctx.Loc)
		when := at.Format("15:04:05")
		if at.Format("2006-01-02") != today {
			when = at.Format("01-02 15:04")
		}
		number := ev.Number
		if ev.Index < 0 {
			number = "(fleet)"
		}
		lasted := ""
		if ev.Kind == monitor.EventState && ev.From != monitor.StateWaiting {
			lasted = age(ev.Lasted)
		}
		cells[i] = []string{when, number, ev.What(), lasted, ev.Reason}
	}
	headers := []string{"TIME", "NUMBER", "WHAT", "LASTED", "REASON"}
	// The reason gets the width the other columns leave, cut, never wrapped.
	used := 2
	for col := range 4 {
		w := lipgloss.Width(headers[col])
		for _, c := range cells[from:to] {
			w = max(w, lipgloss.Width(c[col]))
		}
		used += w + 2
	}
	for i := from; i < to; i++ {
		cells[i][4] = ctx.cut(cells[i][4], max(6, iw-used-2))
	}
	if len(events) == 0 {
		cells, cursor = [][]string{{"", "(no event matches)"}}, -1
	}
	table, area := renderTable(th, tableSpec{
		headers: headers, rows: cells, cursor: cursor, height: height, right: map[int]bool{3: true},
		style: func(row, col int, base lipgloss.Style) lipgloss.Style {
			if row < len(events) && col == 2 && events[row].Kind == monitor.EventState {
				return base.Inherit(ctx.stateStyle(events[row].To))
			}
			if row < len(events) && col == 2 && events[row].Severity() > 0 {
				return base.Inherit(th.Warn)
			}
			return base
		},
	})
	s.rowsAt = area.under(title+"\n", 0)
	s.body = ctx.pane(iw, ih, title+"\n"+table)
}
