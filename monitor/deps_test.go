package monitor

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine knows no terminal: nothing under monitor/ may pull in the terminal stack,
// however indirectly. (source's sanitiser uses charmbracelet/x/ansi to strip escape
// sequences; that is a parser, not the terminal stack.)
func TestEngineImportsNoTerminalStack(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./monitor/...: %v\n%s", err, out)
	}
	// The v2 line and, lest it creep back, the v1 line.
	terminal := []string{
		"charm.land/bubbletea/v2", "charm.land/lipgloss/v2", "charm.land/bubbles/v2", "charm.land/wish/v2",
		"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/lipgloss", "github.com/charmbracelet/bubbles",
		"github.com/charmbracelet/wish", "github.com/NimbleMarkets/ntcharts",
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) == 0 || !strings.Contains(string(out), "github.com/wamon/wamon/monitor/history") {
		t.Fatalf("go list -deps listed no monitor packages:\n%s", out)
	}
	for _, p := range pkgs {
		for _, mod := range terminal {
			if p == mod || strings.HasPrefix(p, mod+"/") {
				t.Errorf("monitor/ depends on %s (of the terminal stack)", p)
			}
		}
	}
}
