package ui

import (
	"image/color"
	"os"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// Theme is every style and glyph the console draws with, built once and passed down, so
// that no pane picks a colour of its own. Colours are CompleteColors: each names its
// truecolor, 256 and 16-colour form, and lipgloss uses the one the profile allows. No
// state is told by colour alone: each also has a word or a symbol.
type Theme struct {
	ASCII bool // no braille, no box drawing, no arrows: plain ASCII glyphs

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

// palette picks a colour's form for the terminal's profile: its truecolor, 256 or
// 16-colour form, or none. Lip Gloss v2 styles carry no profile; the program would
// downsample a truecolor on its own, but the 16 colours chosen by hand read better in
// tmux than the nearest ones found by arithmetic.
type palette func(truecolor, c256, c16 string) color.Color

func paletteFor(profile colorprofile.Profile) palette {
	if profile == colorprofile.Unknown {
		profile = colorprofile.TrueColor // not told: the program downsamples
	}
	complete := lipgloss.Complete(profile)
	return func(truecolor, c256, c16 string) color.Color {
		return complete(lipgloss.Color(c16), lipgloss.Color(c256), lipgloss.Color(truecolor))
	}
}

// Style is a new, plain style.
func (t *Theme) Style() lipgloss.Style { return lipgloss.NewStyle() }

// NewTheme builds the theme for a terminal of the colour profile given (each SSH
// session has its own). ascii swaps every non-ASCII glyph for an ASCII one.
func NewTheme(profile colorprofile.Profile, ascii bool) Theme {
	color := paletteFor(profile)
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
		Border:    lipgloss.RoundedBorder(),
		Title:     lipgloss.NewStyle().Bold(true),
		Dim:       lipgloss.NewStyle().Foreground(grey),
		Header:    lipgloss.NewStyle().Bold(true).Foreground(cyan),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Key:       lipgloss.NewStyle().Bold(true).Foreground(cyan),
		OK:        lipgloss.NewStyle().Foreground(green),
		Stale:     lipgloss.NewStyle().Foreground(yellow).Bold(true),
		Error:     lipgloss.NewStyle().Foreground(red).Bold(true),
		Paused:    lipgloss.NewStyle().Foreground(blue).Bold(true),
		Waiting:   lipgloss.NewStyle().Foreground(grey),
		Warn:      lipgloss.NewStyle().Foreground(yellow),
		Critical:  lipgloss.NewStyle().Foreground(red).Bold(true),
		Line:      lipgloss.NewStyle().Foreground(cyan),
		Threshold: lipgloss.NewStyle().Foreground(red),
		Series: []lipgloss.Style{
			lipgloss.NewStyle().Foreground(green), lipgloss.NewStyle().Foreground(red),
			lipgloss.NewStyle().Foreground(yellow), lipgloss.NewStyle().Foreground(purple),
			lipgloss.NewStyle().Foreground(blue), lipgloss.NewStyle().Foreground(cyan),
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
	t.Pane = lipgloss.NewStyle().Border(t.Border).BorderForeground(grey)
	return t
}

// ColorProfile turns the --color setting ("auto", "truecolor", "256", "16", "none")
// into the colour profile of this process's terminal on out (see Profile). NO_COLOR is
// applied by the config before this point.
func ColorProfile(mode string, out *os.File) colorprofile.Profile {
	detected := colorprofile.Ascii
	if !slices.Contains(forcedModes, mode) {
		detected = colorprofile.Detect(out, os.Environ())
	}
	return Profile(mode, detected, os.Getenv("TERM"), os.Getenv("TMUX") != "", os.Getenv("NO_COLOR") != "")
}

// forcedModes are the --color settings that name a profile outright.
var forcedModes = []string{"truecolor", "256", "16", "none"}

// Profile is the colour profile of a terminal for the --color mode: the one it names,
// or for "auto" what detection found, but for TERM=screen or tmux without "-256color".
// Their terminfo has 8 colours, and detection reads the name alone: it may find no
// colour at all (an SSH session's TERM without COLORTERM) or 256 (a name starting with
// "screen"); such a terminal shows 16, so it gets 16. Truecolor found there came from
// tmux itself (its RGB feature) and stands. A terminal where NO_COLOR is set keeps none.
// The console and every SSH session (with the session's TERM) use it.
func Profile(mode string, detected colorprofile.Profile, term string, inTmux, noColor bool) colorprofile.Profile {
	switch mode {
	case "truecolor":
		return colorprofile.TrueColor
	case "256":
		return colorprofile.ANSI256
	case "16":
		return colorprofile.ANSI
	case "none":
		return colorprofile.Ascii
	}
	screenish := strings.HasPrefix(term, "screen") || strings.HasPrefix(term, "tmux")
	switch {
	case detected <= colorprofile.Ascii && detected != colorprofile.NoTTY && !noColor && (screenish || inTmux):
		return colorprofile.ANSI
	case detected == colorprofile.ANSI256 && screenish && !strings.HasSuffix(term, "256color"):
		return colorprofile.ANSI
	case detected == colorprofile.Unknown:
		return colorprofile.Ascii
	}
	return detected
}
