package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/source"
)

// Waiting is the console's first screen while it asks its source which numbers to watch
// (the Prometheus source without --number lists those its store has): it says whom it
// waits for and for how long, and a failure in one line, and asks again until it gets
// an answer. A store that hangs never leaves a blank screen. Once the numbers come, the
// console over them takes its place.
type Waiting struct {
	opts   WaitingOptions
	theme  Theme
	ctx    context.Context
	cancel context.CancelFunc

	width, height int
	since         time.Time // when the current ask began
	asks          int       // asks so far; a reply of an older one is dropped
	asking        bool      // an ask is out
	err           error     // the last ask's failure
	errAt         time.Time
	next          time.Time // when to ask again after a failure
}

// WaitingOptions shape the waiting screen.
type WaitingOptions struct {
	Whom     string // whom the console waits for: "Prometheus at http://prom:9090"
	Discover func(ctx context.Context) (numbers []string, warnings []string, err error)
	Retry    time.Duration // how long after a failure to ask again
	// Console is the console over the numbers found, with the warnings Discover gave; it
	// starts the engine it builds. An error ends the program with it.
	Console func(numbers, warnings []string) (*Model, error)
	ASCII   bool
	Profile colorprofile.Profile // the terminal's colour profile (see Options.Profile)
	Now     func() time.Time     // default time.Now
}

// discovered is the reply of one ask.
type discovered struct {
	ask               int
	numbers, warnings []string
	err               error
}

// waitTick redraws the seconds waited; askAgain asks after a failure's pause.
type (
	waitTick struct{}
	askAgain struct{ ask int }
)

// NewWaiting builds the waiting screen; it asks when the program starts it.
func NewWaiting(opts WaitingOptions) *Waiting {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retry <= 0 {
		opts.Retry = 15 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Waiting{opts: opts, theme: NewTheme(opts.Profile, opts.ASCII), ctx: ctx, cancel: cancel, width: 80, height: 24}
}

func (w *Waiting) Init() tea.Cmd { return tea.Batch(w.ask(), w.tick()) }

// ask asks the source, in a goroutine of the program's.
func (w *Waiting) ask() tea.Cmd {
	w.asks++
	w.since, w.asking = w.opts.Now(), true
	ask, ctx := w.asks, w.ctx
	return func() tea.Msg {
		numbers, warnings, err := w.opts.Discover(ctx)
		return discovered{ask: ask, numbers: numbers, warnings: warnings, err: err}
	}
}

func (w *Waiting) tick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return waitTick{} })
}

func (w *Waiting) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.width, w.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			w.cancel()
			return w, tea.Quit
		case "r":
			if !w.asking {
				return w, w.ask()
			}
		}
	case waitTick:
		return w, w.tick()
	case askAgain:
		if msg.ask == w.asks {
			return w, w.ask()
		}
	case discovered:
		if msg.ask != w.asks {
			return w, nil
		}
		w.asking = false
		if msg.err != nil {
			w.err, w.errAt = msg.err, w.opts.Now()
			w.next = w.errAt.Add(w.opts.Retry)
			ask := w.asks
			return w, tea.Tick(w.opts.Retry, func(time.Time) tea.Msg { return askAgain{ask} })
		}
		console, err := w.opts.Console(msg.numbers, msg.warnings)
		if err != nil {
			w.cancel()
			return w, tea.Sequence(tea.Println("wamon: "+err.Error()), tea.Quit)
		}
		model, cmd := console.Update(tea.WindowSizeMsg{Width: w.width, Height: w.height})
		return model, tea.Batch(console.Init(), cmd)
	}
	return w, nil
}

// View is the waiting screen, on the alternate screen as the console that follows it.
func (w *Waiting) View() tea.View {
	v := tea.NewView(w.screen())
	v.AltScreen = true
	return v
}

// screen is the waiting screen: the source in the header, whom it waits for and since
// when in the middle, a failure in one line under it, and the keys in the footer.
func (w *Waiting) screen() string {
	th := &w.theme
	now := w.opts.Now()
	header := th.Key.Render("wamon") + " " + th.Dim.Render("· "+w.opts.Whom)
	lines := []string{fmt.Sprintf("waiting for %s (%s)", w.opts.Whom, waited(now.Sub(w.since)))}
	keys := "q quit"
	if !w.asking {
		lines[0] = fmt.Sprintf("asking %s again in %s", w.opts.Whom, waited(w.next.Sub(now)))
		keys = "r ask now • q quit"
	}
	if w.err != nil {
		// The failure whole, on as many lines as it takes (three at most): there is room.
		text := "ERR " + w.errAt.Format("15:04:05") + ": " + source.Sanitize(w.err.Error())
		wrapped := strings.Split(ansi.Wordwrap(text, max(20, w.width-4), ""), "\n")
		if len(wrapped) > 3 {
			wrapped = wrapped[:3]
			wrapped[2] = ansi.Truncate(wrapped[2]+" "+th.Ellipsis, max(20, w.width-4), th.Ellipsis)
		}
		wrapped[0] = th.Error.Render(wrapped[0][:len("ERR 15:04:05")]) + wrapped[0][len("ERR 15:04:05"):]
		lines = append(lines, wrapped...)
	}
	body := make([]string, 0, w.height)
	top := max(0, (w.height-2-len(lines))/2)
	for range top {
		body = append(body, "")
	}
	for _, l := range lines {
		l = ansi.Truncate(l, w.width, th.Ellipsis)
		pad := max(0, (w.width-ansi.StringWidth(l))/2)
		body = append(body, strings.Repeat(" ", pad)+l)
	}
	for len(body) < max(0, w.height-2) {
		body = append(body, "")
	}
	return ansi.Truncate(header, w.width, th.Ellipsis) + "\n" + strings.Join(body, "\n") + "\n" + th.Dim.Render(keys)
}

// waited is a wait in whole seconds: "0s", "12s", "2m5s".
func waited(d time.Duration) string {
	return max(0, d).Truncate(time.Second).String()
}
