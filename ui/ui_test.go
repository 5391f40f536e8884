package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/wamon/wamon/source"
)

// Goldens are plain text: no colour, a fixed clock in UTC and a fixed demo seed.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var testStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fakeClock is the console's and the demo's clock in tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var testThresholds = map[string]Threshold{
	queueMetric:       {Warn: 100, Critical: 1000},
	failureRatioLimit: {Warn: 0.01, Critical: 0.05},
}

// testConsole is a console on the demo with polling driven by the test.
type testConsole struct {
	*Model
	clock *fakeClock
	demo  *source.Demo
}

func newTestConsole(t testing.TB, numbers ...string) *testConsole {
	t.Helper()
	if len(numbers) == 0 {
		numbers = source.DemoNumbers()
	}
	clock := &fakeClock{t: testStart}
	demo := source.NewDemo(source.DemoOptions{Seed: 1, Numbers: numbers, Now: clock.now})
	m := newModel(Options{
		Source: demo, Numbers: numbers, Interval: 5 * time.Second, Timeout: 2 * time.Second,
		History: 720, Thresholds: testThresholds, Now: clock.now, Location: time.UTC,
		SaveDir: t.TempDir(),
	})
	m.manual = true
	return &testConsole{Model: m, clock: clock, demo: demo}
}

// poll runs n rounds of polls of every number, 5 s apart, through Update as the real
// loop would deliver them.
func (c *testConsole) poll(rounds int) {
	for range rounds {
		c.clock.advance(5 * time.Second)
		for i, n := range c.numbers {
			snap, err := c.demo.Fetch(context.Background(), n.number)
			c.Update(pollDoneMsg{idx: i, seq: n.seq, snap: snap, err: err})
		}
	}
}

func (c *testConsole) key(keys ...string) {
	for _, k := range keys {
		c.Update(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// The golden screens: each view at 80x24 and 160x48, driven through a real Bubble Tea
// program (teatest) after 40 polls (200 s) of the demo.
func TestGoldenScreens(t *testing.T) {
	views := []struct {
		name string
		keys []string
	}{
		{"main", nil},
		{"overview", []string{"o"}},
		{"help", []string{"?"}},
		{"counter-detail", []string{"j", "enter"}},
		{"number-detail", []string{"i"}},
		{"metric-detail", []string{"i", "j", "enter"}},
		{"raw", []string{"v"}},
		{"failing-number", []string{"3"}},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, v := range views {
			t.Run(fmt.Sprintf("%s-%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				c := newTestConsole(t)
				c.autoOverviewed = true // the golden of each view, not the first-screen rule
				c.poll(40)
				tm := teatest.NewTestModel(t, c.Model, teatest.WithInitialTermSize(size[0], size[1]))
				for _, k := range v.keys {
					tm.Send(keyMsg(k))
				}
				tm.Send(keyMsg("q"))
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
				out := fm.View()
				assertFits(t, out, size[0], size[1])
				teatest.RequireEqualOutput(t, []byte(out))
			})
		}
	}
}

// assertFits: the frame has exactly the terminal's height and no line is wider.
func assertFits(t *testing.T, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, terminal %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("line %d is %d wide, terminal %d: %q", i+1, lw, w, l)
		}
	}
}

// The first screen is the overview when the numbers do not fit as tabs.
func TestOverviewIsTheFirstScreenForAFleet(t *testing.T) {
	var numbers []string
	for i := range 40 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", i))
	}
	c := newTestConsole(t, numbers...)
	c.poll(3)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if c.current() != viewOverview {
		t.Fatalf("first screen %v, want the overview", c.current())
	}
	frame := c.View()
	assertFits(t, frame, 160, 48)
	if !strings.Contains(frame, "40 numbers") || !strings.Contains(frame, "more (o)") {
		t.Errorf("overview frame:\n%s", frame)
	}
	c.key("enter")
	if c.current() != viewMain {
		t.Errorf("enter on the overview opens %v", c.current())
	}
	c.key("esc")
	if c.current() != viewOverview {
		t.Errorf("esc from a number goes to %v, want the overview", c.current())
	}
	// Small: three numbers fit as tabs at 80 columns, so the demo opens on its main view.
	d := newTestConsole(t)
	d.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if d.current() != viewMain {
		t.Errorf("demo at 80x24 opens on %v", d.current())
	}
}
