package tmuxtest

import (
	"fmt"
	"strings"
)

// The mouse as a terminal reports it to a program that asked for SGR reports (mode
// 1006): typed into the pane as the bytes a terminal sends, so the program reads them
// exactly as it reads a real click. Columns and lines are counted from 0 here, from 1 on
// the wire.

// Find is where text first appears on the pane's screen at or below line from: the
// column of its first cell and its line. The test fails where it is not on the screen.
func (x *Server) Find(name, text string, from int) (col, line int) {
	x.t.Helper()
	s := x.Screen(name)
	for y, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, text); i >= 0 && y >= from {
			return len([]rune(l[:i])), y
		}
	}
	x.t.Fatalf("pane %s shows no %q:\n%s", name, text, s)
	return 0, 0
}

// Click presses and releases the left button on a cell.
func (x *Server) Click(name string, col, line int) {
	x.t.Helper()
	x.Run("send-keys", "-t", name, "-l", sgr(0, col, line, 'M')+sgr(0, col, line, 'm'))
}

// ClickOn clicks inside text (its second cell) where Find finds it.
func (x *Server) ClickOn(name, text string, from int) {
	x.t.Helper()
	col, line := x.Find(name, text, from)
	x.Click(name, col+1, line)
}

// Wheel turns the wheel one notch, down or up, over a cell.
func (x *Server) Wheel(name string, col, line int, down bool) {
	x.t.Helper()
	button := 64 // wheel up
	if down {
		button = 65
	}
	x.Run("send-keys", "-t", name, "-l", sgr(button, col, line, 'M'))
}

// MouseReports is whether the pane's program asked for SGR mouse reports of presses,
// releases and drags (as tmux records the modes it set).
func (x *Server) MouseReports(name string) bool {
	x.t.Helper()
	flags := strings.TrimSpace(x.Run("display-message", "-p", "-t", name, "#{mouse_sgr_flag}#{mouse_button_flag}"))
	return flags == "11"
}

func sgr(button, col, line int, final byte) string {
	return fmt.Sprintf("\x1b[<%d;%d;%d%c", button, col+1, line+1, final)
}
