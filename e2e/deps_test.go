package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The binary links Charm's v2 line and nothing of the v1 line (go list -deps of the
// main package: what is linked, tests aside).
func TestBinaryLinksOnlyTheV2Line(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/wamon/wamon").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, want := range []string{"charm.land/bubbletea/v2", "charm.land/lipgloss/v2", "charm.land/bubbles/v2/key",
		"charm.land/wish/v2", "github.com/NimbleMarkets/ntcharts/v2/canvas"} {
		if !slices.Contains(deps, want) {
			t.Errorf("the binary does not link %s", want)
		}
	}
	v1 := []string{"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/lipgloss",
		"github.com/charmbracelet/bubbles", "github.com/charmbracelet/wish", "github.com/charmbracelet/ssh"}
	for _, p := range deps {
		for _, mod := range v1 {
			if p == mod || strings.HasPrefix(p, mod+"/") {
				t.Errorf("the binary links %s, of the v1 line", p)
			}
		}
		if strings.HasPrefix(p, "github.com/NimbleMarkets/ntcharts/") && !strings.HasPrefix(p, "github.com/NimbleMarkets/ntcharts/v2/") {
			t.Errorf("the binary links %s, of ntcharts v0", p)
		}
	}
}
