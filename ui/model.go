package ui

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// view is one screen of the console.
type view int

const (
	viewMain     view = iota // queue chart and counter table of the active number
	viewOverview             // one row per number
	viewSeries               // one callback type: rates per result over time
	viewNumber               // the active number: last error, latency, warnings, every metric
	viewMetric               // one metric of the payload, series by series
	viewRaw                  // the newest payload as received, sanitised
)

// The smallest terminal the console draws in; it is designed for 80x24 and up.
const minWidth, minHeight = 40, 12

// windows are the time windows + and - step through; 0 is everything held.
var windows = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 0}

func windowName(d time.Duration) string {
	switch {
	case d == 0:
		return "all"
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// clockMsg ticks once a second, on the second, for the clock and the ages.
type clockMsg time.Time

// Model is the root of the console: it owns the poll loop, the numbers' state and the
// navigation, and composes the panes. It is used through a pointer so that View can
// keep the last frame: a frame is rebuilt only when something it shows has changed.
type Model struct {
	opts   Options
	now    func() time.Time
	loc    *time.Location
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	bell   io.Writer // where the bell is rung; nil in tests that do not care
	theme  Theme
	keys   keyMap
	help   help.Model

	numbers []*numberState
	active  int
	stack   []view // navigation; the last is in view
	paused  bool
	window  int // index into windows
	width   int
	height  int

	showHelp  bool
	filtering bool
	filter    textinput.Model
	flash     string // a one-off message in the footer ("screen saved to ...")

	mainCursor     int
	mainSort       int
	overCursor     int
	overSort       int
	seriesType     string
	numberCursor   int
	metricName     string
	metricCursor   int
	raw            viewport.Model
	rawFor         uint64 // the version of the number shown in raw
	lastTitle      string
	autoOverviewed bool

	frame      string    // the last frame drawn
	dirty      bool      // the frame must be rebuilt before it is shown
	dataDirty  bool      // polls brought data the frame does not show yet
	flushArmed bool      // a flushMsg is on its way
	lastFlush  time.Time // when poll results last redrew the frame

	mainKey, mainBody string     // the main view's body and what it was drawn from
	queueChart        chartCache // the queue pane's chart model, reused between frames

	manual bool // tests: no polls and no clock unless they send them
}

// newModel builds the console without starting anything.
func newModel(opts Options) *Model {
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.History < 2 {
		opts.History = 720
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		opts:   opts,
		now:    opts.Now,
		loc:    opts.Location,
		ctx:    ctx,
		cancel: cancel,
		sem:    make(chan struct{}, opts.Concurrency),
		theme:  NewTheme(opts.ASCII),
		keys:   newKeyMap(),
		help:   help.New(),
		stack:  []view{viewMain},
		window: 1,
		dirty:  true,
		width:  80,
		height: 24,
	}
	m.help.Styles.ShortKey = m.theme.Key
	m.help.Styles.FullKey = m.theme.Key
	m.help.Styles.ShortDesc = m.theme.Dim
	m.help.Styles.FullDesc = m.theme.Dim
	m.help.Styles.ShortSeparator = m.theme.Dim
	m.help.Styles.FullSeparator = m.theme.Dim
	m.help.Ellipsis = m.theme.Ellipsis
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.CharLimit = 64
	for _, n := range opts.Numbers {
		m.numbers = append(m.numbers, newNumberState(n, opts.History))
	}
	m.raw = viewport.New(0, 0)
	for !m.windowFits(m.window) { // a short history: start on the longest window it fills
		m.window++
	}
	return m
}

func (m *Model) Init() tea.Cmd {
	if m.manual {
		return m.setTitle()
	}
	return tea.Batch(m.initialPolls(), m.clockTick(), m.setTitle())
}

func (m *Model) clockTick() tea.Cmd {
	now := m.now()
	next := now.Truncate(time.Second).Add(time.Second).Sub(now)
	return tea.Tick(next, func(t time.Time) tea.Msg { return clockMsg(t) })
}

func (m *Model) current() view { return m.stack[len(m.stack)-1] }

func (m *Model) push(v view) {
	m.stack = append(m.stack, v)
	m.filter.SetValue("")
	m.dirty = true
}

func (m *Model) pop() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
		m.filter.SetValue("")
		m.dirty = true
	}
}

func (m *Model) activeNumber() *numberState {
	if len(m.numbers) == 0 {
		return nil
	}
	return m.numbers[m.active]
}

func (m *Model) windowDur() time.Duration { return windows[m.window] }

// windowFits: a window no longer than the history can hold (History polls at the
// interval); "all" always fits. Longer ones would be mostly empty, and would come
// before "all" though they show less.
func (m *Model) windowFits(i int) bool {
	return windows[i] == 0 || windows[i] <= time.Duration(m.opts.History)*m.opts.Interval
}

// touch notes that numbers[idx] has new data: its figures are derived again, and the
// frame will be rebuilt at the next data flush.
func (m *Model) touch(idx int) {
	n := m.numbers[idx]
	prev := n.fig
	n.fig = deriveFigures(n.last, n.hist, m.windowDur(), &prev)
	n.level = m.numberLevel(n)
	m.dataDirty = true
}

// numberLevel weighs a number's newest data against every configured threshold: the
// queue and the failure share by their own names, any other name against the sum of
// that metric's samples (its nodes added up), as config.toml.example promises.
func (m *Model) numberLevel(n *numberState) int {
	lvl := 0
	for name := range m.opts.Thresholds {
		var v float64
		switch name {
		case queueMetric:
			v = n.fig.queue
		case failureRatioLimit:
			v = n.fig.failShare
		default:
			v = sumLatest(n.last, name)
		}
		lvl = max(lvl, m.level(name, v))
	}
	return lvl
}

// flushMsg rebuilds the frame for data that arrived since the last one.
type flushMsg struct{}

// dataFlushEvery bounds how often poll results alone rebuild the frame. Bubble Tea v1
// calls View after every message: 500 numbers at 5 s are 100 replies a second, and a
// frame of the overview costs about 4 ms, so drawing each would take 40% of a core.
// Keys and resizes still redraw at once.
const dataFlushEvery = 250 * time.Millisecond

// scheduleFlush arms one flush for data that has changed, unless one is armed.
func (m *Model) scheduleFlush() tea.Cmd {
	if !m.dataDirty {
		return nil
	}
	if m.manual { // tests: every poll shows at once
		m.dirty, m.dataDirty = true, false
		return nil
	}
	if m.flushArmed {
		return nil
	}
	// Leading edge: a reply after a quiet spell shows at once (a few numbers never wait);
	// replies in a burst wait for the one flush armed here.
	if now := time.Now(); now.Sub(m.lastFlush) >= dataFlushEvery {
		m.lastFlush = now
		m.dirty, m.dataDirty = true, false
		return nil
	}
	m.flushArmed = true
	return tea.Tick(dataFlushEvery, func(time.Time) tea.Msg { return flushMsg{} })
}

func (m *Model) rederiveAll() {
	for _, n := range m.numbers {
		n.fig = deriveFigures(n.last, n.hist, m.windowDur(), nil)
		n.level = m.numberLevel(n)
	}
	m.dirty = true
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.dirty = true
		if !m.autoOverviewed && msg.Width > 0 && len(m.numbers) > m.tabsThatFit() {
			// More numbers than tabs: the fleet is the first screen.
			m.autoOverviewed = true
			m.stack = []view{viewOverview}
		}
		return m, nil
	case clockMsg:
		m.dirty = true
		if m.manual {
			return m, m.checkAlerts()
		}
		return m, tea.Batch(m.clockTick(), m.checkAlerts())
	case pollDueMsg:
		return m, m.onPollDue(msg)
	case pollDoneMsg:
		before := m.numberWord(msg.idx)
		cmd := m.onPollDone(msg)
		cmds := []tea.Cmd{cmd, m.checkAlerts(msg.idx), m.scheduleFlush()}
		if m.numberWord(msg.idx) != before {
			cmds = append(cmds, m.setTitle()) // the title counts states: one changed
		}
		return m, tea.Batch(cmds...)
	case flushMsg:
		m.flushArmed = false
		if m.dataDirty {
			m.dirty, m.dataDirty = true, false
			m.lastFlush = time.Now()
		}
		return m, nil
	case flashMsg:
		m.flash = string(msg)
		m.dirty = true
		return m, nil
	case tea.KeyMsg:
		cmd := m.onKey(msg)
		m.dirty = true
		return m, cmd
	}
	return m, nil
}

type flashMsg string

func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	m.flash = ""
	if key.Matches(msg, k.Quit) && (msg.String() == "ctrl+c" || !m.filtering) {
		m.cancel() // in-flight requests stop now; Bubble Tea does not wait for them
		// The title would outlive the program in a tmux window list: clear it first.
		return tea.Sequence(m.titleCmd(""), tea.Quit)
	}
	if m.filtering {
		switch msg.String() {
		case "esc":
			m.filtering = false
			m.filter.SetValue("")
			m.filter.Blur()
		case "enter":
			m.filtering = false
			m.filter.Blur()
		default:
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			m.resetCursors()
			return cmd
		}
		return nil
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Save):
		return m.saveScreen()
	case key.Matches(msg, k.Pause):
		return m.togglePause()
	case key.Matches(msg, k.Refresh):
		if m.current() == viewOverview {
			all := make([]int, len(m.numbers))
			for i := range all {
				all[i] = i
			}
			return m.pollNow(all...)
		}
		if len(m.numbers) > 0 {
			return m.pollNow(m.active)
		}
	case key.Matches(msg, k.ZoomIn):
		for w := m.window - 1; w >= 0; w-- {
			if m.windowFits(w) {
				m.window = w
				m.rederiveAll()
				break
			}
		}
	case key.Matches(msg, k.ZoomOut):
		for w := m.window + 1; w < len(windows); w++ {
			if m.windowFits(w) {
				m.window = w
				m.rederiveAll()
				break
			}
		}
	case key.Matches(msg, k.NextNumber):
		m.switchNumber(m.active + 1)
	case key.Matches(msg, k.PrevNumber):
		m.switchNumber(m.active - 1 + len(m.numbers))
	case key.Matches(msg, k.Jump):
		if i := int(msg.String()[0] - '1'); i < len(m.numbers) {
			m.switchNumber(i)
		}
	case key.Matches(msg, k.Overview):
		if m.current() != viewOverview {
			m.push(viewOverview)
			m.overCursor = 0
		}
	case key.Matches(msg, k.Info):
		m.selectFromOverview()
		if m.current() != viewNumber && len(m.numbers) > 0 {
			m.push(viewNumber)
			m.numberCursor = 0
		}
	case key.Matches(msg, k.Raw):
		m.selectFromOverview()
		if m.current() != viewRaw && len(m.numbers) > 0 {
			m.push(viewRaw)
			m.rawFor = 0
			m.raw.GotoTop()
		}
	case key.Matches(msg, k.Filter):
		if m.current() == viewMain || m.current() == viewOverview || m.current() == viewNumber {
			m.filtering = true
			m.filter.Focus()
			return textinput.Blink
		}
	case key.Matches(msg, k.Sort):
		switch m.current() {
		case viewMain:
			m.mainSort = (m.mainSort + 1) % len(mainSorts)
		case viewOverview:
			m.overSort = (m.overSort + 1) % len(overSorts)
		}
	case key.Matches(msg, k.Back):
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			return nil
		}
		m.pop()
	case key.Matches(msg, k.Enter):
		m.enter()
	default:
		m.move(msg)
	}
	return nil
}

// selectFromOverview makes the overview's selected row the active number, so that i and
// v on the overview open the number under the cursor.
func (m *Model) selectFromOverview() {
	if m.current() != viewOverview {
		return
	}
	if order := m.overviewOrder(); m.overCursor < len(order) {
		m.active = order[m.overCursor]
	}
}

// switchNumber makes numbers[i] active. A detail of a series or metric the new number
// may not have gives way to its main view.
func (m *Model) switchNumber(i int) {
	if len(m.numbers) == 0 {
		return
	}
	m.active = i % len(m.numbers)
	for m.current() == viewSeries || m.current() == viewMetric {
		m.pop()
	}
	if m.current() == viewOverview {
		m.pop()
		if m.current() == viewOverview { // the overview was the first screen
			m.stack = []view{viewOverview, viewMain}
		}
	}
	m.mainCursor, m.numberCursor = 0, 0
	m.rawFor = 0
}

func (m *Model) enter() {
	switch m.current() {
	case viewMain:
		rows := m.mainRows()
		if m.mainCursor < len(rows) {
			m.seriesType = rows[m.mainCursor].typ
			m.push(viewSeries)
		}
	case viewOverview:
		order := m.overviewOrder()
		if m.overCursor < len(order) {
			m.active = order[m.overCursor]
			m.push(viewMain)
			m.mainCursor = 0
		}
	case viewNumber:
		names := m.metricNames()
		if m.numberCursor < len(names) {
			m.metricName = names[m.numberCursor]
			m.metricCursor = 0
			m.push(viewMetric)
		}
	}
}

// move handles the cursor keys for the view in focus.
func (m *Model) move(msg tea.KeyMsg) {
	k := m.keys
	if m.current() == viewRaw {
		switch {
		case key.Matches(msg, k.Top):
			m.raw.GotoTop()
		case key.Matches(msg, k.Bottom):
			m.raw.GotoBottom()
		default:
			m.raw, _ = m.raw.Update(msg)
		}
		return
	}
	var cur *int
	var n, page int
	switch m.current() {
	case viewMain:
		cur, n, page = &m.mainCursor, len(m.mainRows()), 5
	case viewOverview:
		cur, n, page = &m.overCursor, len(m.overviewOrder()), max(1, m.height-8)
	case viewNumber:
		cur, n, page = &m.numberCursor, len(m.metricNames()), 10
	case viewMetric:
		cur, n, page = &m.metricCursor, m.metricSeriesCount(), 5
	default:
		return
	}
	switch {
	case key.Matches(msg, k.Up):
		*cur--
	case key.Matches(msg, k.Down):
		*cur++
	case key.Matches(msg, k.PageUp):
		*cur -= page
	case key.Matches(msg, k.PageDown):
		*cur += page
	case key.Matches(msg, k.Top):
		*cur = 0
	case key.Matches(msg, k.Bottom):
		*cur = n - 1
	}
	*cur = max(0, min(*cur, n-1))
}

func (m *Model) resetCursors() {
	m.mainCursor, m.overCursor, m.numberCursor = 0, 0, 0
}

// togglePause stops polling (in-flight polls finish and are recorded) or resumes it
// with a poll of every number at once.
func (m *Model) togglePause() tea.Cmd {
	m.paused = !m.paused
	if m.paused {
		for _, n := range m.numbers {
			n.seq++ // armed ticks are now stale
		}
		return m.setTitle()
	}
	cmds := []tea.Cmd{m.setTitle()}
	for i, n := range m.numbers {
		if !n.inFlight {
			cmds = append(cmds, m.armPoll(i, time.Duration(i)*m.opts.Interval/time.Duration(len(m.numbers))))
		}
	}
	return tea.Batch(cmds...)
}

// counts tallies the numbers by state.
func (m *Model) counts() map[state]int {
	now := m.now()
	c := map[state]int{}
	for _, n := range m.numbers {
		c[m.stateOf(n, now)]++
	}
	return c
}

// titleText is the terminal title: the worst state first, so a tmux window list says
// what is wrong without switching to it.
func (m *Model) titleText() string {
	c := m.counts()
	var parts []string
	for _, s := range []state{stateError, stateCrit, stateStale, stateWarn, statePaused, stateWaiting, stateOK} {
		if c[s] == 0 {
			continue
		}
		w := strings.ToLower(s.word())
		switch s {
		case stateError:
			w = "ERROR"
		case stateCrit, stateStale, stateWarn:
			w = s.word()
		}
		parts = append(parts, fmt.Sprintf("%d %s", c[s], w))
	}
	return "wamon: " + strings.Join(parts, ", ")
}

func (m *Model) setTitle() tea.Cmd {
	t := m.titleText()
	if t == m.lastTitle {
		return nil
	}
	m.lastTitle = t
	return m.titleCmd(t)
}

// titleCmd sets the terminal title. Bubble Tea v1.3 writes a title outside its renderer's
// lock; on a real terminal that is one write to the tty, but teatest's compressing writer
// is not safe for it (the race detector flags it), so tests check titleText instead.
func (m *Model) titleCmd(t string) tea.Cmd {
	if m.manual {
		return nil
	}
	return tea.SetWindowTitle(t)
}

// checkAlerts rings the bell once for each number that has just crossed a critical
// threshold (it rings again only after the number recovers and crosses again), and sets
// the title. Without arguments it looks at every number (the clock tick); after a poll
// only at the number polled, so a poll costs the same in a fleet of 500 as of 5.
func (m *Model) checkAlerts(idxs ...int) tea.Cmd {
	ring := false
	check := func(n *numberState) {
		crit := m.isCritical(n)
		if crit && !n.critical {
			ring = true
			m.opts.Logger.Warn("critical threshold crossed", "number", n.number)
		}
		n.critical = crit
	}
	var cmds []tea.Cmd
	if len(idxs) == 0 {
		for _, n := range m.numbers {
			check(n)
		}
		cmds = append(cmds, m.setTitle())
	} else {
		for _, i := range idxs {
			check(m.numbers[i])
		}
	}
	if ring && m.bell != nil {
		w := m.bell
		cmds = append(cmds, func() tea.Msg {
			io.WriteString(w, "\a")
			return nil
		})
	}
	return tea.Batch(cmds...)
}

// stateOf is what a number's badge says: its poll state, and for a number whose polls
// are fine, WARN or CRIT when its queue or failure share is past a threshold.
func (m *Model) stateOf(n *numberState, now time.Time) state {
	s := n.stateAt(now, m.opts.Interval, m.opts.Timeout, m.paused)
	if s == stateOK {
		switch n.level {
		case 2:
			return stateCrit
		case 1:
			return stateWarn
		}
	}
	return s
}

// numberWord is the state of numbers[idx] now, or "" for an index out of range.
func (m *Model) numberWord(idx int) string {
	if idx < 0 || idx >= len(m.numbers) {
		return ""
	}
	return m.stateOf(m.numbers[idx], m.now()).word()
}

func (m *Model) threshold(name string) (Threshold, bool) {
	t, ok := m.opts.Thresholds[name]
	return t, ok
}

// isCritical: the queue or the failure share is at or past its critical threshold.
func (m *Model) isCritical(n *numberState) bool {
	if n.last == nil || n.lastErr != nil && n.failures > 0 && m.now().Sub(n.lastOK) > 2*m.opts.Interval+m.opts.Timeout {
		return false
	}
	return n.level == 2
}

// level tells how a value stands against the named threshold: 0 fine, 1 warn, 2 critical.
func (m *Model) level(name string, v float64) int {
	t, ok := m.threshold(name)
	switch {
	case !ok || math.IsNaN(v):
		return 0
	case v >= t.Critical:
		return 2
	case t.Warn > 0 && v >= t.Warn:
		return 1
	}
	return 0
}

func (m *Model) levelStyle(l int) lipgloss.Style {
	switch l {
	case 2:
		return m.theme.Critical
	case 1:
		return m.theme.Warn
	}
	return lipgloss.NewStyle()
}

// saveScreen writes the frame in view, as plain text, to a file for a ticket.
func (m *Model) saveScreen() tea.Cmd {
	text := ansi.Strip(m.render())
	stamp := m.now().In(m.loc).Format("20060102-150405")
	return func() tea.Msg {
		name := "wamon-screen-" + stamp + ".txt"
		dir := m.opts.SaveDir
		if dir == "" {
			dir, _ = os.Getwd()
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
			path = filepath.Join(os.TempDir(), name)
			if err2 := os.WriteFile(path, []byte(text+"\n"), 0o644); err2 != nil {
				return flashMsg("cannot save the screen: " + err2.Error())
			}
		}
		return flashMsg("screen saved to " + path)
	}
}

// View returns the frame, rebuilding it only when something on it changed.
func (m *Model) View() string {
	if m.dirty || m.frame == "" {
		m.frame = m.render()
		m.dirty = false
	}
	return m.frame
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if w < minWidth || h < minHeight {
		return fmt.Sprintf("wamon: the terminal is too small (%dx%d; %dx%d at least)", w, h, minWidth, minHeight)
	}
	header := m.renderHeader(w)
	footer := m.renderFooter(w)
	bodyH := h - lipgloss.Height(header) - lipgloss.Height(footer)
	var body string
	if m.showHelp {
		body = m.renderHelp(w, bodyH)
	} else {
		switch m.current() {
		case viewMain:
			body = m.renderMain(w, bodyH)
		case viewOverview:
			body = m.renderOverview(w, bodyH)
		case viewSeries:
			body = m.renderSeries(w, bodyH)
		case viewNumber:
			body = m.renderNumber(w, bodyH)
		case viewMetric:
			body = m.renderMetric(w, bodyH)
		case viewRaw:
			body = m.renderRaw(w, bodyH)
		}
	}
	// Every pane is cut to its box: nothing may wrap or push the footer off screen.
	frame := header + "\n" + fitBlock(body, w, bodyH, m.theme.Ellipsis) + "\n" + footer
	if m.theme.ASCII {
		// The last non-ASCII glyphs (separators, help bullets, text from the server) for
		// a terminal that cannot show them; each keeps its width of one column.
		frame = asciiGlyphs.Replace(frame)
	}
	return frame
}

func (m *Model) renderHelp(w, h int) string {
	hm := m.help
	hm.ShowAll = true
	hm.Width = 0 // measured below; help.Model would cut columns off instead
	groups := m.keys.fullHelp()
	keys := hm.FullHelpView(groups)
	if lipgloss.Width(keys) > w-4 {
		// Narrow: two rows of two columns rather than cutting the last ones off.
		half := (len(groups) + 1) / 2
		keys = hm.FullHelpView(groups[:half]) + "\n\n" + hm.FullHelpView(groups[half:])
	}
	content := m.theme.Title.Render("Keys") + "\n\n" + keys +
		"\n\n" + m.theme.Dim.Render("Every key works on every screen where it makes sense. esc or ? closes this.")
	return m.pane(w-2, h-2, content)
}

var asciiGlyphs = strings.NewReplacer("·", "-", "•", "|", "▸", ">", "×", "x", "…", "+", "▲", "^", "▼", "v", "■", "#", "│", "|", "─", "-", "↑", "^", "↓", "v")
