package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// Context is what every screen of one console shares: the engine it reads, the theme
// and keys, the clock and zone, and the viewer's own choices (the number in view, the
// time window). Like soft-serve's Common and gh-dash's ProgramContext it is passed down
// to each component, which keeps no globals. Each console (each SSH session, later) has
// its own.
type Context struct {
	Engine *monitor.Engine
	Theme  Theme
	Keys   KeyMap
	Help   help.Model
	Loc    *time.Location

	Active int  // the number in view, an index into the engine's numbers
	Window int  // index into windows
	Frozen bool // this viewer paused its screen (served consoles: polling goes on)

	// Labels are the numbers as the tabs show them when the header is narrow: the last
	// digits, as many as it takes to tell every watched number apart.
	Labels []string
	// Glyphs says which glyphs are drawn and why ("Unicode: LANG=en_US.UTF-8").
	Glyphs string
	// Mouse says the console takes clicks and the wheel (the help says how to select text).
	Mouse bool
	// Replay is the recording played back, or nil for a live console.
	Replay Replay

	nav navigator
}

// navigator is what screens may ask of the console: the root model implements it.
type navigator interface {
	push(s screen)
	pop()
	setActive(i int)
	switchNumber(i int) // go to a number's main view
}

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

// paused: polling is paused, or this viewer froze its screen.
func (c *Context) paused() bool { return c.Frozen || c.Engine.Paused() }

// Now is the engine's clock.
func (c *Context) Now() time.Time { return c.Engine.Now() }

// WindowDur is the time window in view.
func (c *Context) WindowDur() time.Duration { return windows[c.Window] }

// windowFits: a window no longer than the history can hold (History polls at the
// interval); "all" always fits. Longer ones would be mostly empty, and would come
// before "all" though they show less.
func (c *Context) windowFits(i int) bool {
	return windows[i] == 0 || windows[i] <= time.Duration(c.Engine.HistoryLen())*c.Engine.Interval()
}

// zoom moves the window one step shorter (dir -1) or longer (+1), skipping windows the
// history cannot fill. It reports whether the window changed.
func (c *Context) zoom(dir int) bool {
	for w := c.Window + dir; w >= 0 && w < len(windows); w += dir {
		if c.windowFits(w) {
			c.Window = w
			return true
		}
	}
	return false
}

// State is the badge of a status now.
func (c *Context) State(st *monitor.Status) monitor.State {
	return c.Engine.State(st, c.Now())
}

// stateSince is a state with how long it has held: "CRIT 4m". The engine knows since
// when once it has settled the state (at a poll, or within a second for stale data).
func (c *Context) stateSince(st *monitor.Status, state monitor.State) string {
	if state != st.State || state == monitor.StateWaiting {
		return state.Word()
	}
	return state.Word() + " " + age(c.Now().Sub(st.Since))
}

// stateSinceCoarse is stateSince in steps of ten seconds under a minute ("WARN <10s",
// "WARN 20s"): for tables of many rows, which must not all change every second.
func (c *Context) stateSinceCoarse(st *monitor.Status, state monitor.State) string {
	if state != st.State || state == monitor.StateWaiting {
		return state.Word()
	}
	d := c.Now().Sub(st.Since)
	if d < 10*time.Second {
		return state.Word() + " <10s"
	}
	if d < time.Minute {
		d = d.Truncate(10 * time.Second)
	}
	return state.Word() + " " + age(d)
}

// Level weighs a value against the named threshold.
func (c *Context) Level(name string, v float64) monitor.Level {
	return c.Engine.Thresholds().Level(name, v)
}

// mark is a value's glyph past its warn (~) or critical (!) threshold: a glyph as well as
// a colour, so that --color none still shows it. A space when it is fine, so columns
// stay aligned.
func mark(l monitor.Level) string { return [...]string{" ", "~", "!"}[l] }

func (c *Context) levelStyle(l monitor.Level) lipgloss.Style {
	switch l {
	case monitor.LevelCrit:
		return c.Theme.Critical
	case monitor.LevelWarn:
		return c.Theme.Warn
	}
	return c.Theme.Style()
}

func (c *Context) stateStyle(s monitor.State) lipgloss.Style {
	switch s {
	case monitor.StateOK:
		return c.Theme.OK
	case monitor.StateStale:
		return c.Theme.Stale
	case monitor.StateError:
		return c.Theme.Error
	case monitor.StateWarn:
		return c.Theme.Warn
	case monitor.StateCrit:
		return c.Theme.Critical
	}
	return c.Theme.Waiting
}

// cut sanitises text from the network and cuts it to width cells with the theme's cut
// mark.
func (c *Context) cut(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(source.Sanitize(s), width, c.Theme.Ellipsis)
}

// span is the time range of the window for a history, ending at its newest poll (not at
// the clock, so that a chart changes only when data arrives).
func (c *Context) span(h *history.Number) (from, to time.Time) {
	oldest, newest := h.Times()
	to = newest
	if to.IsZero() {
		to = c.Now()
	}
	if oldest.IsZero() || !oldest.Before(to) {
		oldest = to.Add(-c.Engine.Interval())
	}
	d := c.WindowDur()
	if d <= 0 {
		return oldest, to
	}
	// The window ends at the newest poll, rounded up to a quarter of the window: it moves
	// in steps, not with every poll, so between steps a poll only adds to the right end
	// of the line and the terminal redraws a few lines instead of the whole chart.
	step := d / 4
	end := to.Truncate(step)
	if end.Before(to) {
		end = end.Add(step)
	}
	return end.Add(-d), end
}

// shortLabels are the numbers cut to their last digits, as few as tell them all apart
// (at least four): +12025550101 and +442071230101 both end in 0101, so they show as
// …50101 and …30101.
func shortLabels(numbers []string, cut string) []string {
	longest := 0
	for _, n := range numbers {
		longest = max(longest, len(n))
	}
	for k := 4; k < longest; k++ {
		labels := make([]string, len(numbers))
		seen := map[string]bool{}
		unique := true
		for i, n := range numbers {
			labels[i] = n
			if len(n) > k+1 { // cutting one character saves nothing
				labels[i] = cut + n[len(n)-k:]
			}
			unique = unique && !seen[labels[i]]
			seen[labels[i]] = true
		}
		if unique {
			return labels
		}
	}
	return append([]string(nil), numbers...)
}

// wrapNote fits a note into w x h: the longest of the given forms that fits, hard-wrapped
// to the width, else as much of the last as fits.
func wrapNote(w, h int, forms ...string) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	for _, f := range forms {
		wrapped := ansi.Hardwrap(ansi.Wordwrap(f, w, ""), w, true)
		if strings.Count(wrapped, "\n") < h {
			return wrapped
		}
	}
	lines := strings.Split(ansi.Hardwrap(forms[len(forms)-1], w, true), "\n")
	return strings.Join(lines[:min(h, len(lines))], "\n")
}
