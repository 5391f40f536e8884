package ui

import (
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Theme is every style and glyph the console draws with, built once and passed down, so
// that no pane picks a colour of its own. Colours are CompleteColors: each names its
// truecolor, 256 and 16-colour form, and lipgloss uses the one the profile allows. No
// state is told by colour alone: each also has a word or a symbol.
type Theme struct {
	ASCII bool // no braille, no box drawing, no arrows: plain ASCII glyphs

	// r is the renderer every style is made with: it knows the colour profile of the
	// terminal drawn on (each SSH session has its own). Style makes more.
	r *lipgloss.Renderer

	Border   lipgloss.Border
	Pane     lipgloss.Style // a bordered pane
	Title    lipgloss.Style // a pane's title
	Dim      lipgloss.Style
	Header   lipgloss.Style // table headers
	Selected lipgloss.Style // the row under the cursor
	Key      lipgloss.Style // the source name and other emphasis

	OK, Stale, Error, Paused, Waiting lipgloss.Style // number states
	Warn, Critical                    lipgloss.Style // a value past a threshold

	Line      lipgloss.Style   // the chart's line
	Threshold lipgloss.Style   // the chart's threshold line
	Series    []lipgloss.Style // lines of a multi-series chart, in order

	Up, Down, NoMove string // after a rate that rose, fell, or neither (as wide)
	Ellipsis, Sep    string // marks a cut; separates tabs
	Legend           string // a chart line's colour in its legend
	Reset            string // after a row whose counters went down in the window
	Spark            []rune // sparkline levels, lowest first
}

func color(truecolor, c256, c16 string) lipgloss.CompleteColor {
	return lipgloss.CompleteColor{TrueColor: truecolor, ANSI256: c256, ANSI: c16}
}

// Style is a new style of the theme's renderer; styles of different renderers must not
// be mixed, or a colour comes out in the wrong profile.
func (t *Theme) Style() lipgloss.Style { return t.r.NewStyle() }

// NewTheme builds the theme with the styles of renderer r (the default renderer when
// nil). ascii swaps every non-ASCII glyph for an ASCII one.
func NewTheme(r *lipgloss.Renderer, ascii bool) Theme {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	var (
		green  = color("#5fd787", "78", "2")
		yellow = color("#ffd75f", "221", "3")
		red    = color("#ff5f5f", "203", "1")
		blue   = color("#5fafff", "75", "4")
		cyan   = color("#5fd7d7", "80", "6")
		grey   = color("#8a8a8a", "245", "8")
		purple = color("#af87ff", "141", "5")
	)
	t := Theme{
		ASCII:     ascii,
		r:         r,
		Border:    lipgloss.RoundedBorder(),
		Title:     r.NewStyle().Bold(true),
		Dim:       r.NewStyle().Foreground(grey),
		Header:    r.NewStyle().Bold(true).Foreground(cyan),
		Selected:  r.NewStyle().Reverse(true),
		Key:       r.NewStyle().Bold(true).Foreground(cyan),
		OK:        r.NewStyle().Foreground(green),
		Stale:     r.NewStyle().Foreground(yellow).Bold(true),
		Error:     r.NewStyle().Foreground(red).Bold(true),
		Paused:    r.NewStyle().Foreground(blue).Bold(true),
		Waiting:   r.NewStyle().Foreground(grey),
		Warn:      r.NewStyle().Foreground(yellow),
		Critical:  r.NewStyle().Foreground(red).Bold(true),
		Line:      r.NewStyle().Foreground(cyan),
		Threshold: r.NewStyle().Foreground(red),
		Series: []lipgloss.Style{
			r.NewStyle().Foreground(green), r.NewStyle().Foreground(red),
			r.NewStyle().Foreground(yellow), r.NewStyle().Foreground(purple),
			r.NewStyle().Foreground(blue), r.NewStyle().Foreground(cyan),
		},
		Up: "▲", Down: "▼", NoMove: " ", Ellipsis: "…", Sep: "│", Legend: "■", Reset: "↺",
		Spark: []rune("▁▂▃▄▅▆▇█"),
	}
	if ascii {
		t.Border = lipgloss.ASCIIBorder()
		// A marker apart from its figure: "95/mv" reads as a unit. ".." marks a cut, as git
		// does: "+" reads as part of a phone number and as the + key, "~" means warn.
		t.Up, t.Down, t.NoMove, t.Ellipsis, t.Sep, t.Legend, t.Reset = " ^", " v", "  ", "..", "|", "#", "(reset)"
		t.Spark = []rune("_.-=+*#@")
	}
	t.Pane = r.NewStyle().Border(t.Border).BorderForeground(grey)
	return t
}

// ColorProfile turns the --color setting ("auto", "truecolor", "256", "16", "none")
// into a termenv profile for this process's terminal on out (see Profile). NO_COLOR is
// applied by the config before this point.
func ColorProfile(mode string, out *os.File) termenv.Profile {
	detected := termenv.Ascii
	if !slices.Contains(forcedModes, mode) {
		detected = termenv.NewOutput(out).EnvColorProfile()
	}
	return Profile(mode, detected, os.Getenv("TERM"), os.Getenv("TMUX") != "", os.Getenv("NO_COLOR") != "")
}

// forcedModes are the --color settings that name a profile outright.
var forcedModes = []string{"truecolor", "256", "16", "none"}

// Profile is the colour profile of a terminal for the --color mode: the one it names,
// or for "auto" what detection found, but for its blind spot: inside tmux or screen
// without a "-256color" TERM (and with COLORTERM lost over SSH) it detects no colour at
// all, though every such terminal shows 16 colours. A terminal where NO_COLOR is set
// keeps none. The console and every SSH session (with the session's TERM) use it.
func Profile(mode string, detected termenv.Profile, term string, inTmux, noColor bool) termenv.Profile {
	switch mode {
	case "truecolor":
		return termenv.TrueColor
	case "256":
		return termenv.ANSI256
	case "16":
		return termenv.ANSI
	case "none":
		return termenv.Ascii
	}
	if detected == termenv.Ascii && !noColor &&
		(strings.HasPrefix(term, "screen") || strings.HasPrefix(term, "tmux") || inTmux) {
		return termenv.ANSI
	}
	return detected
}
