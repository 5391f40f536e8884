package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
)

// The colour profile of a terminal from its environment, as an SSH session's is found:
// detection by colorprofile, then the --color mode and the rule for screen and tmux.
func TestProfileOfATerminal(t *testing.T) {
	for _, c := range []struct {
		mode, env string
		want      colorprofile.Profile
	}{
		{"auto", "TERM=xterm-256color", colorprofile.ANSI256},
		{"auto", "TERM=xterm-256color COLORTERM=truecolor", colorprofile.TrueColor},
		{"auto", "TERM=xterm", colorprofile.ANSI},
		{"auto", "TERM=screen", colorprofile.ANSI},
		{"auto", "TERM=tmux", colorprofile.ANSI},
		{"auto", "TERM=screen COLORTERM=truecolor", colorprofile.ANSI},
		{"auto", "TERM=screen-256color", colorprofile.ANSI256},
		{"auto", "TERM=tmux-256color", colorprofile.ANSI256},
		{"auto", "TERM=xterm-256color NO_COLOR=1", colorprofile.Ascii},
		{"auto", "TERM=screen NO_COLOR=1", colorprofile.Ascii},
		{"16", "TERM=xterm-256color COLORTERM=truecolor", colorprofile.ANSI},
		{"256", "TERM=screen", colorprofile.ANSI256},
		{"truecolor", "TERM=screen", colorprofile.TrueColor},
		{"none", "TERM=xterm-256color COLORTERM=truecolor", colorprofile.Ascii},
	} {
		env := strings.Fields(c.env)
		get := func(k string) string {
			for _, kv := range env {
				if name, v, _ := strings.Cut(kv, "="); name == k {
					return v
				}
			}
			return ""
		}
		got := Profile(c.mode, colorprofile.Env(env), get("TERM"), false, get("NO_COLOR") != "")
		if got != c.want {
			t.Errorf("--color %s, %s: %v, want %v", c.mode, c.env, got, c.want)
		}
	}
	// Truecolor found inside tmux came from tmux's own RGB feature, whatever TERM says.
	if got := Profile("auto", colorprofile.TrueColor, "screen", true, false); got != colorprofile.TrueColor {
		t.Errorf("tmux with RGB: %v", got)
	}
	// Nothing found, in tmux: 16 colours, which every such terminal shows.
	if got := Profile("auto", colorprofile.Ascii, "xterm", true, false); got != colorprofile.ANSI {
		t.Errorf("no colour found in tmux: %v", got)
	}
}
