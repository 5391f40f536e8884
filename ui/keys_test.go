package ui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wamon/wamon/source"
)

func sized(t *testing.T, w, h int) *testConsole {
	t.Helper()
	c := newTestConsole(t)
	c.poll(20)
	c.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return c
}

func TestKeysSwitchNumbers(t *testing.T) {
	c := sized(t, 160, 48)
	steps := []struct {
		key  string
		want int
	}{{"tab", 1}, {"tab", 2}, {"tab", 0}, {"shift+tab", 2}, {"2", 1}, {"1", 0}, {"9", 0}}
	for _, s := range steps {
		c.key(s.key)
		if c.active != s.want {
			t.Fatalf("after %q active %d, want %d", s.key, c.active, s.want)
		}
	}
	if !strings.Contains(c.View(), "[1 +12025550100") {
		t.Error("the active tab is not marked")
	}
}

func TestKeysNavigateAndGoBack(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("j")
	if c.mainCursor != 1 {
		t.Fatalf("j: cursor %d", c.mainCursor)
	}
	c.key("j") // only two callback types: stays on the last
	if c.mainCursor != 1 {
		t.Fatalf("j past the end: cursor %d", c.mainCursor)
	}
	c.key("enter")
	if c.current() != viewSeries || c.seriesType != "status_change" {
		t.Fatalf("enter: view %v type %q", c.current(), c.seriesType)
	}
	if !strings.Contains(c.View(), "callbacks of type status_change") {
		t.Error("series detail not shown")
	}
	c.key("esc")
	c.key("i")
	if c.current() != viewNumber || !strings.Contains(c.View(), "metrics (15)") {
		t.Fatalf("i: view %v", c.current())
	}
	c.key("G", "enter")
	if c.current() != viewMetric || c.metricName != "in_messages_pending_processing" {
		t.Fatalf("G enter: view %v metric %q", c.current(), c.metricName)
	}
	c.key("esc", "v")
	if c.current() != viewRaw || !strings.Contains(c.View(), `"code": "WS201"`) {
		t.Fatalf("v: view %v", c.current())
	}
	c.key("esc", "esc", "esc", "esc")
	if c.current() != viewMain || len(c.stack) != 1 {
		t.Fatalf("esc at the root: stack %v", c.stack)
	}
	c.key("o")
	if c.current() != viewOverview {
		t.Fatal("o does not open the overview")
	}
	c.key("j", "enter")
	if c.current() != viewMain {
		t.Fatal("enter on the overview does not open the number")
	}
	if want := c.overviewOrder()[1]; c.active != want {
		t.Errorf("opened number %d, want the second row's %d", c.active, want)
	}
}

func TestKeysHelpToggles(t *testing.T) {
	c := sized(t, 80, 24)
	c.key("?")
	if !c.showHelp || !strings.Contains(c.View(), "save screen") {
		t.Fatal("? does not show the full help")
	}
	c.key("j") // ignored under the help
	c.key("?")
	if c.showHelp {
		t.Fatal("? does not close the help")
	}
	c.key("?", "esc")
	if c.showHelp {
		t.Fatal("esc does not close the help")
	}
}

func TestKeysZoomAndSort(t *testing.T) {
	c := sized(t, 160, 48)
	if windowName(c.windowDur()) != "5m" {
		t.Fatalf("default window %s", windowName(c.windowDur()))
	}
	c.key("+", "+", "+")
	if windowName(c.windowDur()) != "1m" || !strings.Contains(c.View(), "window 1m") {
		t.Errorf("+ stops at 1m: %s", windowName(c.windowDur()))
	}
	c.key("-", "-", "-", "-", "-", "-")
	if windowName(c.windowDur()) != "all" {
		t.Errorf("- stops at all: %s", windowName(c.windowDur()))
	}
	for _, want := range []string{"total", "rate", "fail%", "type"} {
		c.key("s")
		if !strings.Contains(c.View(), "sort "+want) {
			t.Errorf("s: want sort %s", want)
		}
	}
	c.key("s") // by total: status_change has more callbacks than inbound_message
	if rows := c.mainRows(); rows[0].typ != "status_change" {
		t.Errorf("sorted by total, first row %q", rows[0].typ)
	}
}

func TestKeysFilter(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("/", "s", "t", "a")
	if !c.filtering || len(c.mainRows()) != 1 || c.mainRows()[0].typ != "status_change" {
		t.Fatalf("filter 'sta': %d rows", len(c.mainRows()))
	}
	c.key("q") // typed into the filter, not quitting
	if c.filter.Value() != "staq" {
		t.Fatalf("q while filtering: %q", c.filter.Value())
	}
	c.key("enter")
	if c.filtering || c.filter.Value() != "staq" || !strings.Contains(c.View(), "no type matches") {
		t.Fatal("enter keeps the filter")
	}
	c.key("esc")
	if c.filter.Value() != "" || len(c.mainRows()) != 2 {
		t.Fatal("esc clears the filter")
	}
	c.key("o", "/", "E", "R", "R")
	c.key("enter")
	for _, i := range c.overviewOrder() {
		if c.numbers[i].lastErr == nil {
			t.Errorf("filter ERR kept a healthy number %s", c.numbers[i].number)
		}
	}
}

func TestKeyPauseStopsPollingAndResumes(t *testing.T) {
	c := sized(t, 160, 48)
	n := c.numbers[0]
	c.key("p")
	if !c.paused || !strings.Contains(c.View(), "PAUSED") || !strings.Contains(c.titleText(), "3 paused") {
		t.Fatalf("p: paused %v title %q", c.paused, c.titleText())
	}
	if cmd := c.onPollDue(pollDueMsg{idx: 0, seq: n.seq}); cmd != nil || n.inFlight {
		t.Fatal("a due poll started while paused")
	}
	c.key("p")
	if c.paused {
		t.Fatal("p does not resume")
	}
	if cmd := c.onPollDue(pollDueMsg{idx: 0, seq: n.seq}); cmd == nil || !n.inFlight {
		t.Fatal("polling did not resume")
	}
}

func TestKeyRefreshPollsNow(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("r")
	if !c.numbers[0].inFlight || c.numbers[1].inFlight {
		t.Fatal("r polls the active number only")
	}
	c.key("o", "r")
	for _, n := range c.numbers {
		if !n.inFlight {
			t.Fatalf("r on the overview left %s idle", n.number)
		}
	}
}

func TestKeyQuitCancelsInFlightPolls(t *testing.T) {
	c := sized(t, 80, 24)
	_, cmd := c.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q returns no command")
	}
	if !quits(cmd) {
		t.Fatal("q does not quit")
	}
	if c.ctx.Err() == nil {
		t.Fatal("quit leaves requests running")
	}
	d := sized(t, 80, 24)
	_, cmd = d.Update(keyMsg("ctrl+c"))
	if !quits(cmd) {
		t.Fatal("ctrl+c does not quit")
	}
}

// quits runs cmd, and the commands of a sequence it returns, looking for tea.Quit.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	msg := cmd()
	if _, ok := msg.(tea.QuitMsg); ok {
		return true
	}
	// tea.Sequence's message is an unexported []tea.Cmd.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice {
		for i := range v.Len() {
			if c, ok := v.Index(i).Interface().(tea.Cmd); ok && quits(c) {
				return true
			}
		}
	}
	return false
}

func TestKeySaveScreenWritesPlainText(t *testing.T) {
	c := sized(t, 80, 24)
	_, cmd := c.Update(keyMsg("ctrl+s"))
	msg := cmd()
	c.Update(msg)
	path := strings.TrimPrefix(string(msg.(flashMsg)), "screen saved to ")
	if filepath.Dir(path) != c.opts.SaveDir {
		t.Fatalf("flash %q", msg)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(b, '\x1b') || !bytes.Contains(b, []byte("callback queue")) {
		t.Errorf("saved screen:\n%s", b)
	}
	if !strings.Contains(c.View(), "screen saved to") {
		t.Error("the footer does not say where")
	}
}

// The poll loop: one poll of a number at a time, stale ticks dropped, backoff on failure.
func TestPollsNeverOverlapAndStaleTicksAreDropped(t *testing.T) {
	c := newTestConsole(t)
	n := c.numbers[0]
	c.armPoll(0, time.Second)
	seq := n.seq
	if cmd := c.onPollDue(pollDueMsg{idx: 0, seq: seq}); cmd == nil || !n.inFlight {
		t.Fatal("a due poll did not start")
	}
	if cmd := c.onPollDue(pollDueMsg{idx: 0, seq: n.seq}); cmd != nil {
		t.Fatal("a second poll started while one is in flight")
	}
	if cmd := c.onPollDue(pollDueMsg{idx: 0, seq: seq - 1}); cmd != nil {
		t.Fatal("a stale tick started a poll")
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	prev := time.Duration(0)
	for f := range 12 {
		d := backoff(5*time.Second, f, 0.5)
		if d < prev {
			t.Fatalf("backoff shrank at %d failures: %v < %v", f, d, prev)
		}
		prev = d
	}
	if prev != maxBackoff {
		t.Errorf("backoff after many failures %v, want the cap %v", prev, maxBackoff)
	}
	if lo, hi := backoff(5*time.Second, 1, 0), backoff(5*time.Second, 1, 1); lo != 8*time.Second || hi != 12*time.Second {
		t.Errorf("jitter range %v..%v, want 8s..12s", lo, hi)
	}
}

// A failing number keeps its history, shows the error in one line, and recovers.
func TestFailureKeepsHistoryAndShowsOneLine(t *testing.T) {
	c := sized(t, 160, 48)
	n := c.numbers[0]
	before := n.hist.Len()
	queue := n.fig.queue
	err := &source.APIError{Code: "WS500", Message: "somthing went wrong !!!", HTTPStatus: 500, Number: n.number}
	c.clock.advance(5 * time.Second)
	c.Update(pollDoneMsg{idx: 0, seq: n.seq, snap: source.Snapshot{Number: n.number, FetchedAt: c.clock.now()}, err: err})
	if n.hist.Len() != before+1 || n.last == nil || n.fig.queue != queue {
		t.Fatal("a failed poll lost what was gathered")
	}
	frame := c.View()
	if !strings.Contains(frame, "ERR "+c.clock.now().Format("15:04:05")+": WS500: somthing went wrong !!!") {
		t.Errorf("footer:\n%s", frame[strings.LastIndex(frame, "╯"):])
	}
	if !strings.Contains(c.titleText(), "1 ERROR") {
		t.Errorf("title %q", c.titleText())
	}
	c.clock.advance(20 * time.Second)
	if s := n.stateAt(c.now(), c.opts.Interval, c.opts.Timeout, false); s != stateError {
		t.Errorf("state %v", s)
	}
	c.poll(1)
	if n.lastErr != nil || n.failures != 0 || strings.Contains(c.View(), "WS500") {
		t.Error("did not recover on the next good poll")
	}
}

func TestStaleWhenPollsStopAnswering(t *testing.T) {
	c := sized(t, 160, 48)
	c.clock.advance(time.Minute)
	c.Update(clockMsg(c.clock.now()))
	if s := c.numbers[0].stateAt(c.now(), c.opts.Interval, c.opts.Timeout, false); s != stateStale {
		t.Fatalf("state %v after a silent minute", s)
	}
	if !strings.Contains(c.View(), "STALE") {
		t.Error("the badge does not say STALE")
	}
}

// The bell rings once when a number crosses a critical threshold, and again only after
// it has recovered and crossed again.
func TestBellRingsOncePerCrossing(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	var bell bytes.Buffer
	c.bell = &bell
	n := c.numbers[0]
	feed := func(queue string) {
		c.clock.advance(5 * time.Second)
		snap, err := source.Decode([]byte(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":` + queue + `}]}}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		snap.FetchedAt = c.clock.now()
		_, cmd := c.Update(pollDoneMsg{idx: 0, seq: n.seq, snap: snap})
		runCmd(cmd)
	}
	for _, q := range []string{"10", "1200", "1500", "1300"} {
		feed(q)
	}
	if got := strings.Count(bell.String(), "\a"); got != 1 {
		t.Fatalf("rang %d times for one crossing", got)
	}
	feed("40")
	feed("1100")
	if got := strings.Count(bell.String(), "\a"); got != 2 {
		t.Fatalf("rang %d times for two crossings", got)
	}
}

// runCmd runs a command and the commands of a batch it returns, but never a timer.
func runCmd(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				runCmd(c)
			}
		}
	case <-time.After(100 * time.Millisecond):
	}
}

func TestTitleNamesTheWorstState(t *testing.T) {
	c := sized(t, 160, 48)
	c.Update(pollDoneMsg{idx: 2, seq: c.numbers[2].seq, err: errors.New("boom")})
	// Number 2's queue is past critical by now: a badge, and the title, say CRIT.
	if got := c.titleText(); got != "wamon: 1 ERROR, 1 CRIT, 1 ok" {
		t.Errorf("title %q", got)
	}
}

// Every view fits every size from 80x24 up, with no line wider than the terminal.
func TestEveryViewFitsEverySize(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}, {160, 48}, {200, 60}, {300, 80}} {
		c := sized(t, size[0], size[1])
		for _, keys := range [][]string{nil, {"o"}, {"?"}, {"enter"}, {"i"}, {"i", "enter"}, {"v"}} {
			c.key(keys...)
			assertFits(t, c.View(), size[0], size[1])
			c.key("esc", "esc", "esc")
			c.showHelp = false
		}
	}
}

func TestHostileTextNeverReachesTheScreen(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	body := `{"code":"WS201","message":"ok\u001b]0;pwned\u0007","data":{"stats":{"app":{
"callback_queue_size":{"help":"q\u001b[2J","type":"gauge","data":[{"value":5}]},
"callback_requests_duration_ms_count":{"help":"\u001b]0;x\u0007c","type":"counter","data":[
{"labels":{"result":"success","type":"in\u001b[31mbound\u202e"},"value":10}]}}}}}`
	for range 3 {
		c.clock.advance(5 * time.Second)
		snap, err := source.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		snap.FetchedAt = c.clock.now()
		c.Update(pollDoneMsg{idx: 0, seq: c.numbers[0].seq, snap: snap})
	}
	for _, keys := range [][]string{nil, {"enter"}, {"esc", "i"}, {"enter"}, {"esc", "v"}} {
		c.key(keys...)
		frame := c.View()
		if strings.ContainsAny(frame, "\x1b\a\u202e") {
			t.Errorf("escape in frame after %v", keys)
		}
	}
}

// --ascii: no byte of any screen is outside ASCII, so a terminal without UTF-8 shows it.
func TestASCIIModeDrawsOnlyASCII(t *testing.T) {
	c := newTestConsole(t)
	c.Model = newModel(Options{Source: c.demo, Numbers: source.DemoNumbers(), Interval: 5 * time.Second,
		Thresholds: testThresholds, Now: c.clock.now, Location: time.UTC, ASCII: true})
	c.manual = true
	c.poll(20)
	c.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	for _, keys := range [][]string{nil, {"o"}, {"esc", "?"}, {"?", "enter"}, {"esc", "i"}, {"enter"}, {"esc", "v"}} {
		c.key(keys...)
		for i, r := range c.View() {
			if r > 0x7e || (r < 0x20 && r != '\n') {
				t.Fatalf("after %v: %q at byte %d", keys, r, i)
			}
		}
	}
}

// On the overview, i and v open the number under the cursor.
func TestOverviewInfoAndRawOpenTheSelectedNumber(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("o", "j", "j")
	want := c.overviewOrder()[2]
	c.key("i")
	if c.current() != viewNumber || c.active != want {
		t.Fatalf("i on row 3: view %v, number %d, want %d", c.current(), c.active, want)
	}
	c.key("esc")
	c.key("k", "v")
	if want := c.overviewOrder()[1]; c.current() != viewRaw || c.active != want {
		t.Fatalf("v on row 2: view %v, number %d, want %d", c.current(), c.active, want)
	}
}

// Paging through a fleet: the row under the cursor is always on screen.
func TestOverviewPagesThroughAFleet(t *testing.T) {
	var numbers []string
	for i := range 120 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", i))
	}
	c := newTestConsole(t, numbers...)
	c.poll(2)
	c.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	visible := func() bool {
		n := c.numbers[c.overviewOrder()[c.overCursor]].number
		for _, l := range strings.Split(c.View(), "\n") {
			if strings.Contains(l, "▸") && strings.Contains(l, n) {
				return true
			}
		}
		return false
	}
	for _, step := range []struct {
		key  string
		want int
	}{{"G", 119}, {"g", 0}, {"pgdown", 22}, {"pgdown", 44}, {"pgup", 22}, {"j", 23}, {"k", 22}} {
		if step.key == "pgdown" || step.key == "pgup" {
			c.Update(tea.KeyMsg{Type: map[string]tea.KeyType{"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp}[step.key]})
		} else {
			c.key(step.key)
		}
		if c.overCursor != step.want || !visible() {
			t.Fatalf("%s: cursor %d (want %d), visible %v", step.key, c.overCursor, step.want, visible())
		}
	}
}

// - and + step only through windows the history can fill (History polls at the interval).
func TestZoomSkipsWindowsTheHistoryCannotFill(t *testing.T) {
	c := newTestConsole(t)
	c.Model = newModel(Options{Source: c.demo, Numbers: source.DemoNumbers(), Interval: 5 * time.Second,
		History: 60, Now: c.clock.now, Location: time.UTC}) // 5 minutes
	c.manual = true
	for _, step := range []struct{ key, want string }{{"-", "all"}, {"-", "all"}, {"+", "5m"}, {"+", "1m"}, {"+", "1m"}} {
		c.key(step.key)
		if got := windowName(c.windowDur()); got != step.want {
			t.Fatalf("%s: window %s, want %s", step.key, got, step.want)
		}
	}
}

// The number's detail explains its failures after it has recovered from them.
func TestNumberDetailKeepsTheLastErrorAfterRecovery(t *testing.T) {
	c := sized(t, 160, 48)
	n := c.numbers[0]
	c.clock.advance(5 * time.Second)
	c.Update(pollDoneMsg{idx: 0, seq: n.seq, err: &source.HTTPError{Status: 502, Found: "HTML page"}})
	c.poll(1)
	c.key("i")
	frame := c.View()
	if !strings.Contains(frame, "recovered): HTTP 502 Bad Gateway: HTML page") || !strings.Contains(frame, "1 failed") {
		t.Errorf("number detail after recovery:\n%s", frame)
	}
}

// Any size at all: a frame, never a panic; below the minimum, a one-line note.
func TestTinyTerminalsNeverPanic(t *testing.T) {
	c := newTestConsole(t)
	c.poll(3)
	for w := 1; w <= 90; w += 7 {
		for h := 1; h <= 30; h += 3 {
			c.Update(tea.WindowSizeMsg{Width: w, Height: h})
			for _, keys := range [][]string{nil, {"o"}, {"enter"}, {"i"}, {"enter"}, {"esc", "v"}, {"esc", "esc", "?"}} {
				c.key(keys...)
				_ = c.View()
			}
			c.key("?", "esc", "esc", "esc", "esc")
			c.showHelp = false
		}
	}
}

// Values no queue or counter should have (negative, a sum that overflows to +Inf, a
// counter going negative) are drawn as what they are or as gaps, never as a panic or a
// negative rate.
func TestOddValuesNeverPanicOrGoNegative(t *testing.T) {
	c := newTestConsole(t, "+12025550100", "+12025550101")
	c.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	bodies := []string{
		`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":5}]},"callback_requests_duration_ms_count":{"type":"counter","data":[{"labels":{"type":"t","result":"success"},"value":10}]}}}}}`,
		`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":-10}]},"callback_requests_duration_ms_count":{"type":"counter","data":[{"labels":{"type":"t","result":"success"},"value":-5}]}}}}}`,
		`{"code":"WS201","data":{"stats":{"app":{"n1:a":{"callback_queue_size":{"type":"gauge","data":[{"value":1e308}]}},"n2:b":{"callback_queue_size":{"type":"gauge","data":[{"value":1e308}]}}}}}}`,
		`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":-7}]}}}}}`,
	}
	for round, body := range bodies {
		c.clock.advance(5 * time.Second)
		for i := range c.numbers {
			snap, err := source.Decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			snap.FetchedAt = c.clock.now()
			c.Update(pollDoneMsg{idx: i, seq: c.numbers[i].seq, snap: snap})
		}
		for _, keys := range [][]string{nil, {"o"}, {"esc", "enter"}, {"esc", "i"}, {"enter"}, {"esc", "esc"}} {
			c.key(keys...)
			assertFits(t, c.View(), 120, 40)
		}
		for _, n := range c.numbers {
			if r := n.fig.cbRate; r < 0 {
				t.Errorf("round %d: negative callback rate %v", round, r)
			}
		}
	}
}

// A threshold on any metric name counts: its sum sets the badge, rings the bell and marks
// the value where the console shows it.
func TestThresholdOnAnyMetric(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	c.Model = newModel(Options{Source: c.demo, Numbers: []string{"+12025550100"}, Interval: 5 * time.Second,
		Thresholds: map[string]Threshold{"db_pending_callbacks": {Warn: 50, Critical: 500}}, Now: c.clock.now, Location: time.UTC})
	c.manual = true
	var bell bytes.Buffer
	c.bell = &bell
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for _, pending := range []string{"10", "80", "600"} {
		body := `{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":1}]}},` +
			`"db":{"db_pending_callbacks":{"type":"gauge","data":[{"value":` + pending + `}]}}}}}`
		c.clock.advance(5 * time.Second)
		snap, err := source.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		snap.FetchedAt = c.clock.now()
		_, cmd := c.Update(pollDoneMsg{idx: 0, seq: c.numbers[0].seq, snap: snap})
		runCmd(cmd)
	}
	if s := c.stateOf(c.numbers[0], c.now()); s != stateCrit {
		t.Fatalf("state %v with 600 pending callbacks, want CRIT", s)
	}
	if !strings.Contains(c.View(), "db callbacks 600!") {
		t.Errorf("the pending value is not marked:\n%s", c.View())
	}
	if strings.Count(bell.String(), "\a") != 1 {
		t.Errorf("bell rang %d times", strings.Count(bell.String(), "\a"))
	}
}
