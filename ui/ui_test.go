package ui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Goldens are plain text (a frame's styles stripped), at a fixed clock in UTC and a
// fixed demo seed.

var testStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

var testThresholds = monitor.Thresholds{
	monitor.QueueThreshold:   {Warn: 100, Critical: 1000},
	monitor.FailureThreshold: {Warn: 0.01, Critical: 0.05},
}

// testConsole is a console over an engine that is never started: the test files each
// poll's outcome itself, on a manual clock, and tells the console as the engine's
// subscription would.
type testConsole struct {
	*Model
	t     testing.TB
	clock *monitor.ManualClock
	demo  *source.Demo
	eng   *monitor.Engine
}

type consoleOpts struct {
	numbers    []string
	history    int
	thresholds monitor.Thresholds
	ascii      bool
	mouse      bool
	src        source.Source // default: the demo
}

func newTestConsole(t testing.TB, numbers ...string) *testConsole {
	return newConsoleWith(t, consoleOpts{numbers: numbers})
}

func newConsoleWith(t testing.TB, o consoleOpts) *testConsole {
	t.Helper()
	if len(o.numbers) == 0 {
		o.numbers = source.DemoNumbers()
	}
	if o.thresholds == nil {
		o.thresholds = testThresholds
	}
	clock := monitor.NewManualClock(testStart)
	demo := source.NewDemo(source.DemoOptions{Seed: 1, Numbers: o.numbers, Now: clock.Now})
	src := o.src
	if src == nil {
		src = demo
	}
	eng := monitor.New(monitor.Config{
		Source: src, Numbers: o.numbers, Interval: 5 * time.Second, Timeout: 2 * time.Second,
		History: o.history, Thresholds: o.thresholds, Clock: clock,
	})
	t.Cleanup(eng.Stop)
	m := New(Options{Engine: eng, Location: time.UTC, SaveDir: t.TempDir(), ASCII: o.ascii, Mouse: o.mouse})
	return &testConsole{Model: m, t: t, clock: clock, demo: demo, eng: eng}
}

// View is the frame as a person reads it: its styles stripped.
func (c *testConsole) View() string { return plain(c.Model) }

// plain is a model's frame as a person reads it: its styles (SGR sequences) stripped,
// and nothing else, so that any other escape sequence on screen shows in a test.
func plain(m tea.Model) string { return sgr.ReplaceAllString(m.View().Content, "") }

var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// poll runs rounds of polls of every number, 5 s apart, from the demo.
func (c *testConsole) poll(rounds int) {
	for range rounds {
		c.clock.Advance(5 * time.Second)
		for i := range c.eng.Len() {
			snap, err := c.demo.Fetch(context.Background(), c.eng.Number(i))
			c.eng.Record(i, snap, err)
		}
	}
	c.Update(dataMsg{})
}

// file records one outcome for number i at the clock's time and tells the console; it
// returns the console's command.
func (c *testConsole) file(i int, snap source.Snapshot, err error) tea.Cmd {
	if snap.FetchedAt.IsZero() {
		snap.FetchedAt = c.clock.Now()
	}
	c.eng.Record(i, snap, err)
	_, cmd := c.Update(dataMsg{})
	return cmd
}

// body decodes a payload for file.
func (c *testConsole) body(text string) source.Snapshot {
	c.t.Helper()
	snap, err := source.Decode([]byte(text))
	if err != nil {
		c.t.Fatal(err)
	}
	return snap
}

func (c *testConsole) key(keys ...string) {
	for _, k := range keys {
		c.Update(keyMsg(k))
	}
}

func (c *testConsole) status(i int) monitor.Status { return c.eng.Status(i) }

// screenName is the screen on top.
func (c *testConsole) screenName() string { return c.top().name() }

// keyMsg is a key press as the bindings name it; "esc" is the escape key.
func keyMsg(k string) tea.KeyPressMsg { return keyPress(k) }

// The golden screens: each view at 80x24 and 160x48, driven through a real Bubble Tea
// program (teatest) after 40 polls (200 s) of the demo.
func TestGoldenScreens(t *testing.T) {
	views := []struct {
		name string
		keys []string
		want []string // lines the screen must hold at both sizes, besides its golden
	}{
		{"main", nil, nil},
		{"overview", []string{"o"}, nil},
		{"help", []string{"?"}, nil},
		{"counter-detail", []string{"j", "enter"}, nil},
		{"number-detail", []string{"i"}, nil},
		{"metric-detail", []string{"i", "j", "enter"}, nil}, // a counter
		// A gauge (found with the filter): its value, low, high and mean over the window.
		{"gauge-detail", append(append([]string{"i", "/"}, strings.Split("db_pending_c", "")...), "enter", "enter"),
			[]string{`^│db_pending_callbacks · gauge · group db · \+12025550100 `, `^│value of the selected series over 5m `,
				`LABELS +VALUE +MIN +MAX +AVG`, `▸ \(no labels\) +8 +2 +12 +7 `}},
		{"raw", []string{"v"}, nil},
		{"failing-number", []string{"3"}, nil},
		{"events", []string{"e"}, nil},
		{"requests", []string{"R"}, nil},
		// The reason of the warning number shows whole at 80 columns too.
		{"overview-failing", []string{"3", "o"}, []string{`REASON`, `▸ 3  \+12025550102  WARN 10s .* failure_ratio 2\.5%~ *│`}},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, v := range views {
			t.Run(fmt.Sprintf("%s-%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				c := newTestConsole(t)
				c.sized = true // the golden of each view, not the first-screen rule
				c.poll(40)
				tm := teatest.NewTestModel(t, c.Model, teatest.WithInitialTermSize(size[0], size[1]))
				for _, k := range v.keys {
					tm.Send(keyMsg(k))
				}
				tm.Send(keyMsg("q"))
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(time.Minute)).(*Model)
				out := plain(fm)
				assertFits(t, out, size[0], size[1])
				for _, want := range v.want {
					if !regexp.MustCompile(`(?m)` + want).MatchString(out) {
						t.Errorf("no line matches %q:\n%s", want, out)
					}
				}
				teatest.RequireEqualOutput(t, []byte(out))
			})
		}
	}
}

// assertFits: the frame has exactly the terminal's height and no line is wider.
func assertFits(t testing.TB, frame string, w, h int) {
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
	if c.screenName() != "overview" {
		t.Fatalf("first screen %v, want the overview", c.screenName())
	}
	frame := c.View()
	assertFits(t, frame, 160, 48)
	if !strings.Contains(frame, "40 numbers") || !strings.Contains(frame, "more (o)") {
		t.Errorf("overview frame:\n%s", frame)
	}
	c.key("enter")
	if c.screenName() != "main" {
		t.Errorf("enter on the overview opens %v", c.screenName())
	}
	c.key("esc")
	if c.screenName() != "overview" {
		t.Errorf("esc from a number goes to %v, want the overview", c.screenName())
	}
	// Small: three numbers fit as tabs at 80 columns, so the demo opens on its main view.
	d := newTestConsole(t)
	d.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if d.screenName() != "main" {
		t.Errorf("demo at 80x24 opens on %v", d.screenName())
	}
}

// A terminal too small for the tabs for a while, then grown back, is on the screen the
// user was on: only the first size chooses the first screen.
func TestGrowingBackKeepsTheScreen(t *testing.T) {
	c := newTestConsole(t)
	c.poll(3)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	c.key("i")
	for _, size := range [][2]int{{44, 20}, {20, 5}, {60, 24}, {160, 48}} {
		c.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		if c.screenName() != "number" || len(c.stack) != 2 {
			t.Fatalf("at %dx%d on %s (stack %d), want the number detail it was on", size[0], size[1], c.screenName(), len(c.stack))
		}
	}
	c.key("esc")
	if c.screenName() != "main" {
		t.Fatalf("esc goes to %s", c.screenName())
	}
	// A first size below the minimum does not choose; the first usable one does.
	d := newTestConsole(t)
	d.Update(tea.WindowSizeMsg{Width: 10, Height: 5})
	d.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if d.screenName() != "main" {
		t.Errorf("grown from 10x5 to 160x48: on %s, want main", d.screenName())
	}
}

// A metric name too long for the number's table is cut at its own end; the others are
// whole (the table once shrank every column to fit, and cut each padded name short).
func TestNumberDetailCutsOnlyLongNames(t *testing.T) {
	long := "whatsapp_business_api_client_internal_server_requests_duration_ms_count"
	snap, err := source.Decode([]byte(`{"code":"WS201","data":{"stats":{"app":{
"` + long + `":{"help":"h","type":"counter","data":[{"value":1}]},
"callback_queue_size":{"help":"Current callback queue size","type":"gauge","data":[{"value":5}]},
"db_pending_callbacks":{"help":"Callbacks pending","type":"gauge","data":[{"value":3}]}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {100, 30}, {160, 48}} {
		c := newTestConsole(t)
		c.file(0, snap, nil)
		c.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		c.key("i")
		out := c.View()
		assertFits(t, out, size[0], size[1])
		for _, short := range []string{"callback_queue_size", "db_pending_callbacks"} {
			line := lineWith(out, short)
			if line == "" || strings.Contains(line, short+"…") || regexp.MustCompile(short+` +…`).MatchString(line) {
				t.Errorf("%dx%d: %q cut: %q", size[0], size[1], short, line)
			}
		}
		if size[0] < 160 && !strings.Contains(out, "…") {
			t.Errorf("%dx%d: the long name was not cut:\n%s", size[0], size[1], out)
		}
	}
}

// lineWith is the first line of s that holds sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
