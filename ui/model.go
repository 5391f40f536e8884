package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// The smallest terminal the console draws in; it is designed for 80x24 and up.
const MinWidth, MinHeight = 40, 12

// Model is the root of the console. It routes messages (global keys itself, the rest to
// the screen on top of its stack), follows the engine, and composes header, body and
// footer into the frame. It draws in Update; View returns the frame.
type Model struct {
	ctx   *Context
	opts  Options
	sub   *monitor.Subscription
	stack []screen

	width, height int
	sized         bool   // the first usable size has come (and chose the first screen)
	flash         string // a one-off note in the footer ("screen saved to ..."); a key clears it
	noticed       uint64 // the engine's notices shown so far
	title         string // the terminal title: the worst state first
	stopping      string // the server is stopping: the last screen says so
	frame         string
	// Where the tabs and the footer's keys are in the frame, for the mouse.
	tabSpans, keySpans []span
}

// StoppingMsg tells a console its server is stopping: it shows the text and quits.
type StoppingMsg string

// New builds the console over an engine. It polls nothing itself: whoever owns the
// engine starts and stops it.
func New(opts Options) *Model {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	theme := NewTheme(opts.Profile, opts.ASCII)
	ctx := &Context{
		Engine: opts.Engine,
		Theme:  theme,
		Keys:   newKeyMap(),
		Help:   newHelp(theme),
		Loc:    opts.Location,
		Window: 1,
		Glyphs: opts.Glyphs,
		Mouse:  opts.Mouse,
		Replay: opts.Replay,
	}
	ctx.Keys.noSave = opts.NoSave
	for !ctx.windowFits(ctx.Window) { // a short history: start on the longest window it fills
		ctx.Window++
	}
	numbers := make([]string, opts.Engine.Len())
	for i := range numbers {
		numbers[i] = opts.Engine.Number(i)
	}
	ctx.Labels = shortLabels(numbers, theme.Ellipsis)
	m := &Model{ctx: ctx, opts: opts, width: 80, height: 24}
	ctx.nav = m
	if len(opts.Warnings) > 0 {
		m.flash = "warning: " + source.Sanitize(opts.Warnings[0])
	}
	m.stack = []screen{newMainScreen(ctx)}
	m.layout()
	m.title = m.titleText()
	return m
}

func newHelp(th Theme) help.Model {
	h := help.New()
	h.Styles.ShortKey = th.Key
	h.Styles.FullKey = th.Key
	h.Styles.ShortDesc = th.Dim
	h.Styles.FullDesc = th.Dim
	h.Styles.ShortSeparator = th.Dim
	h.Styles.FullSeparator = th.Dim
	h.Ellipsis = th.Ellipsis
	return h
}

func (m *Model) Init() tea.Cmd {
	m.sub = m.ctx.Engine.Subscribe()
	return tea.Batch(m.waitForData(0), m.clockTick())
}

func (m *Model) top() screen { return m.stack[len(m.stack)-1] }

// dataFlushEvery bounds how often polls alone redraw the console: once a second, as the
// clock does. 500 numbers at 5 s are 100 polls a second, and a frame of the overview
// costs about 4 ms to compose, and as much again for Bubble Tea v2 to lay it out in
// cells and diff it: at four frames a second (250 ms), 50 viewers of the overview took
// 76% of a 2-vCPU server and keys came back in 59 ms at p99; at one, 59% and 45 ms.
// Nobody reads a poll's figures in the first second. A change after a quiet spell shows
// at once; keys and resizes always redraw at once.
const dataFlushEvery = time.Second

// waitForData waits (in its own goroutine, never in Update) for the engine's next change
// signal, no sooner than after.
func (m *Model) waitForData(after time.Duration) tea.Cmd {
	sub := m.sub
	if sub == nil {
		return nil
	}
	return func() tea.Msg {
		if after > 0 {
			select {
			case <-time.After(after):
			case <-sub.Done():
				return nil
			}
		}
		select {
		case <-sub.C():
			return dataMsg{}
		case <-sub.Done():
			return nil
		}
	}
}

func (m *Model) clockTick() tea.Cmd {
	return tea.Tick(untilTick(m.ctx.Now(), m.opts.ClockPhase), func(time.Time) tea.Msg { return clockMsg{} })
}

// untilTick is how long from now until the clock's next tick: phase after a second.
func untilTick(now time.Time, phase time.Duration) time.Duration {
	at := now.Truncate(time.Second).Add(phase % time.Second)
	if !at.After(now) {
		at = at.Add(time.Second)
	}
	return at.Sub(now)
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case StoppingMsg:
		m.stopping = string(msg)
		m.compose()
		return m, tea.Tick(700*time.Millisecond, func(time.Time) tea.Msg { return tea.QuitMsg{} })
	case dataMsg:
		if m.ctx.Frozen {
			// A frozen screen changes only under the viewer's keys; alerts still ring.
			return m, tea.Batch(m.bell(), m.waitForData(dataFlushEvery))
		}
		cmd = tea.Batch(m.onData(), m.waitForData(dataFlushEvery))
	case clockMsg:
		if m.ctx.Frozen {
			return m, m.clockTick()
		}
		m.setTitle()
		cmd = tea.Batch(m.top().Update(msg), m.clockTick())
	case flashMsg:
		m.flash = string(msg)
	case tea.KeyPressMsg:
		cmd = m.onKey(msg)
	case tea.MouseClickMsg, tea.MouseWheelMsg:
		cmd = m.onMouse(msg.(tea.MouseMsg))
	case tea.PasteMsg:
		// A paste is text for a filter being typed, never keys.
		if c, ok := m.top().(capturer); ok && c.capturing() {
			c.paste(msg)
			cmd = m.top().Update(contextMsg{})
		}
	default:
		cmd = m.top().Update(msg)
	}
	m.compose()
	return m, cmd
}

// onData follows the engine: alerts ring the bell, the title is recounted, and the
// screen in view draws again if its data changed.
func (m *Model) onData() tea.Cmd {
	if seq, text := m.ctx.Engine.Notice(); seq > m.noticed {
		// A notice (a recording that stopped) is shown once, until a key clears it.
		m.noticed, m.flash = seq, text
	}
	m.setTitle()
	return tea.Batch(m.bell(), m.top().Update(dataMsg{}))
}

// bell rings once for the alerts raised since the last look (a number crossing a
// critical threshold). Bubble Tea has no bell of its own: the BEL goes out raw, through
// the program's output, after the frame drawn before it.
func (m *Model) bell() tea.Cmd {
	if m.sub == nil || len(m.sub.Alerts()) == 0 {
		return nil
	}
	return tea.Raw("\a")
}

// resize lays the console out for a new terminal size. The first usable size picks the
// first screen: the fleet overview when the numbers do not fit as tabs. Later sizes
// never change screens: a pane shrunk for a moment and grown back is where it was.
func (m *Model) resize(w, h int) {
	m.width, m.height = w, h
	if !m.sized && w >= MinWidth && h >= MinHeight {
		m.sized = true
		if m.ctx.Engine.Len() > m.tabsThatFit() {
			m.stack = []screen{newOverview(m.ctx)}
		}
	}
	m.layout()
}

// bodySize is what the screens get: the terminal less the header and the footer.
func (m *Model) bodySize() (int, int) { return m.width, max(0, m.height-4) }

func (m *Model) layout() {
	w, h := m.bodySize()
	for _, s := range m.stack {
		s.SetSize(w, h)
	}
}

// onReplayKey works the replay: pause, seek a minute or ten, change speed.
func (m *Model) onReplayKey(msg tea.KeyPressMsg) {
	k, r := m.ctx.Keys, m.ctx.Replay
	switch {
	case key.Matches(msg, k.ReplayPause):
		r.TogglePause()
	case key.Matches(msg, k.SeekBack):
		r.Seek(-time.Minute)
	case key.Matches(msg, k.SeekForward):
		r.Seek(time.Minute)
	case key.Matches(msg, k.SeekBack10):
		r.Seek(-10 * time.Minute)
	case key.Matches(msg, k.SeekForward10):
		r.Seek(10 * time.Minute)
	case key.Matches(msg, k.Slower):
		r.ChangeSpeed(-1)
	case key.Matches(msg, k.Faster):
		r.ChangeSpeed(+1)
	}
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	m.flash = ""
	top := m.top()
	if c, ok := top.(capturer); ok && c.capturing() && msg.String() != "ctrl+c" {
		return top.Update(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case top.name() == "help":
		return top.Update(msg)
	case key.Matches(msg, k.Help):
		m.push(newHelpScreen(m.ctx))
	case key.Matches(msg, k.Save):
		return m.saveScreen()
	case m.ctx.Replay != nil && key.Matches(msg, k.ReplayPause, k.SeekBack, k.SeekForward, k.SeekBack10, k.SeekForward10, k.Slower, k.Faster):
		m.onReplayKey(msg)
		return top.Update(dataMsg{})
	case m.ctx.Replay != nil && key.Matches(msg, k.Refresh):
		m.flash = "a replay does not poll: space pauses, [ ] and { } move it"
	case key.Matches(msg, k.Pause):
		if m.opts.ViewPause {
			m.ctx.Frozen = !m.ctx.Frozen
		} else {
			m.ctx.Engine.SetPaused(!m.ctx.Engine.Paused())
		}
		m.setTitle()
		return top.Update(dataMsg{})
	case key.Matches(msg, k.ZoomIn):
		if m.ctx.zoom(-1) {
			return top.Update(contextMsg{})
		}
	case key.Matches(msg, k.ZoomOut):
		if m.ctx.zoom(+1) {
			return top.Update(contextMsg{})
		}
	case key.Matches(msg, k.NextNumber):
		m.switchNumber(m.ctx.Active + 1)
	case key.Matches(msg, k.PrevNumber):
		m.switchNumber(m.ctx.Active - 1 + m.ctx.Engine.Len())
	case key.Matches(msg, k.Jump):
		if i := int(msg.String()[0] - '1'); i < m.ctx.Engine.Len() {
			m.switchNumber(i)
		}
	case key.Matches(msg, k.Overview):
		if top.name() != "overview" {
			m.push(newOverview(m.ctx))
		}
	case key.Matches(msg, k.Events):
		if top.name() != "events" {
			m.push(newEventsScreen(m.ctx))
		}
	case key.Matches(msg, k.Copy):
		return m.copySummary()
	default:
		return top.Update(msg)
	}
	return nil
}

// Close lets go of the engine: the console follows it no more. Quitting closes it too;
// a console whose program ended otherwise (an SSH client that dropped) must be closed.
func (m *Model) Close() {
	if m.sub != nil {
		m.sub.Close()
	}
}

// quit stops following the engine and ends the program; Bubble Tea clears the title it
// set (it would outlive the program in a tmux window list). The owner of the engine
// stops its polls.
func (m *Model) quit() tea.Cmd {
	m.Close()
	return tea.Quit
}

// push puts a screen on top, sized.
func (m *Model) push(s screen) {
	w, h := m.bodySize()
	s.SetSize(w, h)
	m.stack = append(m.stack, s)
}

// pop goes back one screen; the one below draws again, as the window or the number may
// have changed while it was covered.
func (m *Model) pop() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
		m.top().Update(contextMsg{})
	}
}

func (m *Model) setActive(i int) {
	if i >= 0 && i < m.ctx.Engine.Len() {
		m.ctx.Active = i
	}
}

// switchNumber makes number i active. A detail of a callback type or metric the new
// number may not have gives way to its main view, and the overview to the number.
func (m *Model) switchNumber(i int) {
	if m.ctx.Engine.Len() == 0 {
		return
	}
	m.ctx.Active = i % m.ctx.Engine.Len()
	for len(m.stack) > 1 && (m.top().name() == "series" || m.top().name() == "metric" || m.top().name() == "overview") {
		m.stack = m.stack[:len(m.stack)-1]
	}
	if m.top().name() == "overview" { // the overview was the first screen
		m.push(newMainScreen(m.ctx))
	}
	m.top().Update(contextMsg{})
}

type flashMsg string

// selection is a screen with a number under its cursor (the overview): the footer and y
// speak of that number rather than of the one in view.
type selection interface {
	selectedNumber() (int, bool)
}

// focus is the number the footer and y speak of.
func (m *Model) focus() int {
	if s, ok := m.top().(selection); ok {
		if i, ok := s.selectedNumber(); ok {
			return i
		}
	}
	return m.ctx.Active
}

// summary is a number in one line, for a ticket or a chat: number, state and since,
// reason, queue, failure share, time.
func (m *Model) summary(i int) string {
	ctx := m.ctx
	st := ctx.Engine.Status(i)
	state := ctx.State(&st)
	parts := []string{st.Number, ctx.stateSince(&st, state)}
	if state == st.State && !st.Since.IsZero() {
		parts[1] += " (since " + st.Since.In(ctx.Loc).Format("15:04:05") + ")"
	}
	if r := reasonOf(&st, state); r != "" {
		parts = append(parts, r)
	}
	f := ctx.Engine.Figures(i, ctx.WindowDur())
	parts = append(parts, "queue "+compact(f.Queue), "callbacks failed "+percent(f.Callbacks.FailShare)+" over "+windowName(ctx.WindowDur()),
		ctx.Now().In(ctx.Loc).Format("2006-01-02 15:04:05 MST"))
	return "wamon: " + strings.Join(parts, " · ")
}

// copySummary puts the focused number's summary on the clipboard with OSC 52, which
// reaches the operator's own terminal through SSH and tmux (set-clipboard on).
func (m *Model) copySummary() tea.Cmd {
	if m.ctx.Engine.Len() == 0 {
		return nil
	}
	text := m.summary(m.focus())
	m.flash = "copied: " + text
	return tea.SetClipboard(text)
}

// saveScreen writes the frame in view, as plain text, to a file for a ticket.
func (m *Model) saveScreen() tea.Cmd {
	if m.opts.NoSave {
		m.flash = "ctrl+s saves on the local console only: here, y copies a summary"
		return nil
	}
	text := ansi.Strip(m.frame)
	stamp := m.ctx.Now().In(m.ctx.Loc).Format("20060102-150405")
	dir := m.opts.SaveDir
	return func() tea.Msg {
		name := "wamon-screen-" + stamp + ".txt"
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

// titleText is the terminal title: the worst state first, so a tmux window list says
// what is wrong without switching to it. Pausing does not hide it.
func (m *Model) titleText() string {
	c := m.counts()
	var parts []string
	for _, s := range monitor.ByWorst {
		if c[s] == 0 {
			continue
		}
		w := strings.ToLower(s.Word())
		switch s {
		case monitor.StateError:
			w = "ERROR"
		case monitor.StateCrit, monitor.StateStale, monitor.StateWarn:
			w = s.Word()
		}
		parts = append(parts, fmt.Sprintf("%d %s", c[s], w))
	}
	t := "wamon: " + strings.Join(parts, ", ")
	if m.ctx.paused() {
		t += " (paused)"
	}
	return t
}

// counts tallies the numbers by state.
func (m *Model) counts() map[monitor.State]int {
	c := map[monitor.State]int{}
	for i := range m.ctx.Engine.Len() {
		st := m.ctx.Engine.Status(i)
		c[m.ctx.State(&st)]++
	}
	return c
}

// setTitle counts the states again for the title.
func (m *Model) setTitle() { m.title = m.titleText() }

// View is the frame drawn by the last Update, on the alternate screen, with the title.
func (m *Model) View() tea.View {
	v := tea.NewView(m.frame)
	v.AltScreen = true
	v.WindowTitle = m.title
	if m.opts.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// compose draws the frame from the header, the screen on top and the footer.
func (m *Model) compose() {
	w, h := m.width, m.height
	if m.stopping != "" {
		m.frame = wrapNote(max(w, 1), max(h, 1), m.stopping)
		return
	}
	if w < MinWidth || h < MinHeight {
		m.frame = wrapNote(w, h,
			fmt.Sprintf("wamon: the terminal is too small (%dx%d); it needs %dx%d at least.", w, h, MinWidth, MinHeight),
			fmt.Sprintf("too small: %dx%d at least", MinWidth, MinHeight),
			fmt.Sprintf("%dx%d", MinWidth, MinHeight))
		return
	}
	_, bodyH := m.bodySize()
	frame := m.renderHeader() + "\n" + fitBlock(m.top().View(), w, bodyH, m.ctx.Theme.Ellipsis) + "\n" + m.renderFooter()
	if m.ctx.Theme.ASCII {
		// The last non-ASCII glyphs (separators, help bullets, text from the server) for
		// a terminal that cannot show them; each keeps its width of one column.
		frame = asciiGlyphs.Replace(frame)
	}
	m.frame = frame
}

var asciiGlyphs = strings.NewReplacer("·", "-", "•", "|", "▸", ">", "×", "x", "…", ".", "▲", "^", "▼", "v", "■", "#", "│", "|", "─", "-", "↑", "^", "↓", "v", "→", ">", "↺", "r")
