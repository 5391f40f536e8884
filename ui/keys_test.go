package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

func sized(t *testing.T, w, h int) *testConsole {
	t.Helper()
	c := newTestConsole(t)
	c.poll(20)
	c.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return c
}

func (c *testConsole) mainScreen() *mainScreen { return c.stack[0].(*mainScreen) }

// overviewRows are the overview's rows in display order; the overview must be on top.
func (c *testConsole) overviewRows() []*overviewRow {
	rows, _ := c.top().(*overviewScreen).rows()
	return rows
}

func TestKeysSwitchNumbers(t *testing.T) {
	c := sized(t, 160, 48)
	steps := []struct {
		key  string
		want int
	}{{"tab", 1}, {"tab", 2}, {"tab", 0}, {"shift+tab", 2}, {"2", 1}, {"1", 0}, {"9", 0}}
	for _, s := range steps {
		c.key(s.key)
		if c.ctx.Active != s.want {
			t.Fatalf("after %q active %d, want %d", s.key, c.ctx.Active, s.want)
		}
	}
	if !strings.Contains(c.View(), "[1 +12025550100") {
		t.Error("the active tab is not marked")
	}
}

func TestKeysNavigateAndGoBack(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("j")
	if c.mainScreen().table.cur.pos != 1 {
		t.Fatalf("j: cursor %d", c.mainScreen().table.cur.pos)
	}
	c.key("j") // only two callback types: stays on the last
	if c.mainScreen().table.cur.pos != 1 {
		t.Fatalf("j past the end: cursor %d", c.mainScreen().table.cur.pos)
	}
	c.key("enter")
	if s, ok := c.top().(*seriesScreen); !ok || s.key != "status_change" {
		t.Fatalf("enter: screen %s", c.screenName())
	}
	if !strings.Contains(c.View(), "callbacks of type status_change") {
		t.Error("series detail not shown")
	}
	c.key("esc")
	c.key("i")
	if c.screenName() != "number" || !strings.Contains(c.View(), "metrics (15)") {
		t.Fatalf("i: screen %s", c.screenName())
	}
	c.key("G", "enter")
	if s, ok := c.top().(*metricScreen); !ok || s.metric != "in_messages_pending_processing" {
		t.Fatalf("G enter: screen %s", c.screenName())
	}
	c.key("esc", "v")
	if c.screenName() != "raw" || !strings.Contains(c.View(), `"code": "WS201"`) {
		t.Fatalf("v: screen %s", c.screenName())
	}
	c.key("esc", "esc", "esc", "esc")
	if c.screenName() != "main" || len(c.stack) != 1 {
		t.Fatalf("esc at the root: %d screens", len(c.stack))
	}
	c.key("o")
	if c.screenName() != "overview" {
		t.Fatal("o does not open the overview")
	}
	want := c.overviewRows()[1].st.Index
	c.key("j", "enter")
	if c.screenName() != "main" {
		t.Fatal("enter on the overview does not open the number")
	}
	if c.ctx.Active != want {
		t.Errorf("opened number %d, want the second row's %d", c.ctx.Active, want)
	}
}

// Keys read together are each a key press ("jjjjj" from a held key, "iv" bunched up by
// SSH), and a paste stays text: the bytes go through a real program's input, in one read.
func TestKeysTypedInABurstAreEachAKey(t *testing.T) {
	var numbers []string
	for i := range 12 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", i))
	}
	burst := func(input string) *Model {
		c := newTestConsole(t, numbers...)
		c.poll(2)
		return typeInOneRead(t, c.Model, input, io.Discard)
	}
	m := burst("ojjjjjivq")
	if m.top().name() != "raw" || len(m.stack) != 3 {
		t.Fatalf(`"iv" on the overview: %s with %d screens, want the raw payload over the number detail`, m.top().name(), len(m.stack))
	}
	if got := m.stack[0].(*overviewScreen).cur.pos; got != 5 {
		t.Errorf(`"jjjjj" moved the cursor to %d, want 5`, got)
	}
	if v := burst("o/000\rq").top().(*overviewScreen).filter.input.Value(); v != "000" {
		t.Errorf(`"/000" typed the filter %q`, v)
	}
	if v := burst("o/\x1b[200~q5\x1b[201~\rq").top().(*overviewScreen).filter.input.Value(); v != "q5" {
		t.Errorf("a pasted q5 gave the filter %q", v)
	}
}

// typeInOneRead runs a program of m at 160x48 whose input is the bytes given, read at
// once, drawing on out, and returns the model once the program has ended (the input
// must quit it).
func typeInOneRead(t *testing.T, m *Model, input string, out io.Writer) *Model {
	t.Helper()
	// Sized before it starts, as a terminal is, so that no key comes before the size.
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	r, w := io.Pipe()
	p := tea.NewProgram(m, tea.WithInput(r), tea.WithOutput(out), tea.WithWindowSize(160, 48), tea.WithoutSignals())
	go w.Write([]byte(input))
	// A guard, not a bound on speed: a program the input failed to quit is ended.
	guard := time.AfterFunc(time.Minute, p.Kill)
	defer guard.Stop()
	final, err := p.Run()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return final.(*Model)
}

func TestKeysHelpToggles(t *testing.T) {
	c := sized(t, 80, 24)
	c.key("?")
	if c.screenName() != "help" || !strings.Contains(c.View(), "save screen") {
		t.Fatal("? does not show the full help")
	}
	c.key("j", "tab", "o") // ignored under the help
	if c.screenName() != "help" || c.ctx.Active != 0 {
		t.Fatal("keys under the help did something")
	}
	c.key("?")
	if c.screenName() != "main" {
		t.Fatal("? does not close the help")
	}
	c.key("?", "esc")
	if c.screenName() != "main" {
		t.Fatal("esc does not close the help")
	}
}

// The help screen says which glyphs are drawn and why.
func TestHelpSaysWhichGlyphs(t *testing.T) {
	c := newTestConsole(t)
	c.Model = New(Options{Engine: c.eng, Location: time.UTC, Glyphs: "Unicode (no locale set; --ascii draws ASCII only)"})
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	c.key("?")
	if !strings.Contains(c.View(), "glyphs: Unicode (no locale set") {
		t.Errorf("help:\n%s", c.View())
	}
}

func TestKeysZoomAndSort(t *testing.T) {
	c := sized(t, 160, 48)
	if windowName(c.ctx.WindowDur()) != "5m" {
		t.Fatalf("default window %s", windowName(c.ctx.WindowDur()))
	}
	c.key("+", "+", "+")
	if windowName(c.ctx.WindowDur()) != "1m" || !strings.Contains(c.View(), "window 1m") || !strings.Contains(c.View(), "rates over 1m") {
		t.Errorf("+ stops at 1m: %s", windowName(c.ctx.WindowDur()))
	}
	c.key("-", "-", "-", "-", "-", "-")
	if windowName(c.ctx.WindowDur()) != "all" {
		t.Errorf("- stops at all: %s", windowName(c.ctx.WindowDur()))
	}
	for _, want := range []string{"total", "rate", "fail%", "type"} {
		c.key("s")
		if !strings.Contains(c.View(), "sort "+want) {
			t.Errorf("s: want sort %s", want)
		}
	}
	c.key("s") // by total: status_change has more callbacks than inbound_message
	m := c.mainScreen()
	if rows := m.table.rows(&m.figures().Callbacks); rows[0].Key != "status_change" {
		t.Errorf("sorted by total, first row %q", rows[0].Key)
	}
}

func TestKeysFilter(t *testing.T) {
	c := sized(t, 160, 48)
	m := c.mainScreen()
	c.key("/", "s", "t", "a")
	if rows := m.table.rows(&m.figures().Callbacks); !m.capturing() || len(rows) != 1 || rows[0].Key != "status_change" {
		t.Fatalf("filter 'sta': %d rows", len(rows))
	}
	c.key("q") // typed into the filter, not quitting
	if m.table.input.Value() != "staq" {
		t.Fatalf("q while filtering: %q", m.table.input.Value())
	}
	c.key("enter")
	if m.capturing() || m.table.input.Value() != "staq" || !strings.Contains(c.View(), "no type matches") {
		t.Fatal("enter keeps the filter")
	}
	c.key("esc")
	if m.table.input.Value() != "" || len(m.table.rows(&m.figures().Callbacks)) != 2 {
		t.Fatal("esc clears the filter")
	}
	c.file(1, source.Snapshot{}, errors.New("boom"))
	c.key("o", "/", "E", "R", "R")
	c.key("enter")
	rows := c.overviewRows()
	if len(rows) != 1 || rows[0].st.Index != 1 {
		t.Fatalf("filter ERR kept %d rows, want the failing number alone", len(rows))
	}
}

// p pauses polling: the header and footer say so, and the title still leads with the
// worst state.
func TestKeyPause(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("p")
	if !c.eng.Paused() || !strings.Contains(c.View(), "PAUSED") {
		t.Fatal("p does not pause")
	}
	// Number 2's queue is past critical by now: pausing must not hide it.
	if got := c.titleText(); got != "wamon: 1 CRIT, 1 WARN, 1 ok (paused)" {
		t.Errorf("title while paused %q", got)
	}
	// Data cannot be fresh while paused: a minute later nothing is called stale.
	c.clock.Advance(time.Minute)
	c.Update(clockMsg{})
	if strings.Contains(c.View(), "STALE") {
		t.Error("paused numbers turned STALE")
	}
	c.key("p")
	if c.eng.Paused() || strings.Contains(c.View(), "PAUSED") {
		t.Fatal("p does not resume")
	}
}

// countingSource counts fetches per number.
type countingSource struct {
	source.Source
	mu     sync.Mutex
	counts map[string]int
}

func (s *countingSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	s.mu.Lock()
	s.counts[number]++
	s.mu.Unlock()
	return s.Source.Fetch(ctx, number)
}

func (s *countingSource) count(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[number]
}

func TestKeyRefreshPollsNow(t *testing.T) {
	src := &countingSource{counts: map[string]int{}}
	c := newConsoleWith(t, consoleOpts{src: src})
	src.Source = c.demo
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	c.key("r")
	c.eng.WaitIdle()
	numbers := source.DemoNumbers()
	if src.count(numbers[0]) != 1 || src.count(numbers[1]) != 0 {
		t.Fatalf("r polled %d and %d times, want the active number once", src.count(numbers[0]), src.count(numbers[1]))
	}
	if c.status(0).Polls != 1 {
		t.Fatalf("the poll was not filed: %d polls", c.status(0).Polls)
	}
	c.key("o", "r")
	c.eng.WaitIdle()
	for _, n := range numbers {
		if src.count(n) == 0 {
			t.Fatalf("r on the overview left %s unpolled", n)
		}
	}
}

// q and ctrl+c quit: the console lets go of the engine, and the terminal's title (the
// worst state first, set while it ran) is cleared, or it would outlive the program in a
// tmux window list.
func TestKeyQuitClearsTheTitle(t *testing.T) {
	for _, k := range []string{"q", "\x03"} {
		c := newTestConsole(t)
		c.poll(1)
		var out bytes.Buffer
		typeInOneRead(t, c.Model, k, &out)
		title := c.titleText()
		set, cleared := strings.Index(out.String(), ansi.SetWindowTitle(title)), strings.LastIndex(out.String(), ansi.SetWindowTitle(""))
		if set < 0 || cleared < set {
			t.Errorf("%q: the title was set at byte %d and cleared at %d:\n%q", k, set, cleared, out.String())
		}
		select {
		case <-c.sub.Done():
		default:
			t.Errorf("%q: the console still follows the engine", k)
		}
	}
}

// raw is what cmd writes to the terminal as it is (tea.Raw): the bell.
func raw(cmd tea.Cmd) string {
	var b strings.Builder
	for _, m := range flatten(cmd) {
		if r, ok := m.(tea.RawMsg); ok {
			fmt.Fprint(&b, r.Msg)
		}
	}
	return b.String()
}

// flatten runs cmd, and the commands of any batch or sequence it returns, and lists the
// messages in order. Commands that would block (timers) are given 100 ms.
func flatten(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(100 * time.Millisecond):
		return nil
	}
	if msg == nil {
		return nil
	}
	// tea.Sequence's message is an unexported []tea.Cmd; BatchMsg is exported.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		var out []tea.Msg
		for i := range v.Len() {
			c, _ := v.Index(i).Interface().(tea.Cmd)
			out = append(out, flatten(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
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

// A failing number keeps its history, shows the error in one line, and recovers.
func TestFailureKeepsHistoryAndShowsOneLine(t *testing.T) {
	c := sized(t, 160, 48)
	before := c.status(0)
	var held int
	c.eng.Read(0, func(v *monitor.View) { held = v.History.Len() })
	err := &source.APIError{Code: "WS500", Message: "somthing went wrong !!!", HTTPStatus: 500, Number: before.Number}
	c.clock.Advance(5 * time.Second)
	c.file(0, source.Snapshot{Number: before.Number}, err)
	after := c.status(0)
	var heldAfter int
	c.eng.Read(0, func(v *monitor.View) { heldAfter = v.History.Len() })
	if heldAfter != held+1 || after.Last != before.Last {
		t.Fatal("a failed poll lost what was gathered")
	}
	frame := c.View()
	if !strings.Contains(frame, "ERR "+c.clock.Now().Format("15:04:05")+": WS500: somthing went wrong !!!") {
		t.Errorf("footer:\n%s", frame[strings.LastIndex(frame, "╯"):])
	}
	if !strings.Contains(c.titleText(), "1 ERROR") {
		t.Errorf("title %q", c.titleText())
	}
	c.poll(1)
	if st := c.status(0); st.Err != nil || st.Failures != 0 || strings.Contains(c.View(), "WS500") {
		t.Error("did not recover on the next good poll")
	}
}

// A number whose every poll failed says it answered with errors only, not that it has
// not answered.
func TestNumberThatOnlyFailed(t *testing.T) {
	c := newTestConsole(t)
	c.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for range 3 {
		c.clock.Advance(5 * time.Second)
		c.file(0, source.Snapshot{}, &source.HTTPError{Status: 503, Found: "HTML page"})
	}
	frame := c.View()
	if !strings.Contains(frame, "answered with errors only (3 polls") || strings.Contains(frame, "not answered") {
		t.Errorf("main view of a number that only failed:\n%s", frame)
	}
}

func TestStaleWhenPollsStopAnswering(t *testing.T) {
	c := sized(t, 160, 48)
	c.clock.Advance(time.Minute)
	c.Update(clockMsg{})
	st := c.status(0)
	if s := c.ctx.State(&st); s != monitor.StateStale {
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
	var bell strings.Builder
	c.Init()
	feed := func(queue string) {
		c.clock.Advance(5 * time.Second)
		bell.WriteString(raw(c.file(0, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+queue+`}]}}}}}`), nil)))
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

func TestTitleNamesTheWorstState(t *testing.T) {
	c := sized(t, 160, 48)
	c.file(2, source.Snapshot{}, errors.New("boom"))
	// Number 1's queue is past critical by now: a badge, and the title, say CRIT.
	if got := c.titleText(); got != "wamon: 1 ERROR, 1 CRIT, 1 ok" {
		t.Errorf("title %q", got)
	}
}

// Every view fits every size from 80x24 up, with no line wider than the terminal.
func TestEveryViewFitsEverySize(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}, {160, 48}, {200, 60}, {300, 80}} {
		c := sized(t, size[0], size[1])
		for _, keys := range [][]string{nil, {"o"}, {"?"}, {"enter"}, {"i"}, {"i", "enter"}, {"v"}, {"e"}, {"R"}, {"R", "enter"}, {"n"}} {
			c.key(keys...)
			assertFits(t, c.View(), size[0], size[1])
			c.key("esc", "esc", "esc")
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
		c.clock.Advance(5 * time.Second)
		c.file(0, c.body(body), nil)
	}
	for _, keys := range [][]string{nil, {"enter"}, {"esc", "i"}, {"enter"}, {"esc", "v"}} {
		c.key(keys...)
		if strings.ContainsAny(c.View(), "\x1b\a\u202e") {
			t.Errorf("escape in frame after %v", keys)
		}
	}
}

// --ascii: no byte of any screen is outside ASCII, so a terminal without UTF-8 shows it;
// a cut is "..", never "+", and a rate's marker stands apart from its figure.
func TestASCIIModeDrawsOnlyASCII(t *testing.T) {
	c := newConsoleWith(t, consoleOpts{ascii: true})
	c.poll(20)
	c.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	for _, keys := range [][]string{nil, {"o"}, {"esc", "?"}, {"?", "enter"}, {"esc", "i"}, {"enter"}, {"esc", "v"},
		{"esc", "esc", "e"}, {"esc", "R"}, {"enter"}, {"esc", "esc", "n"}} {
		c.key(keys...)
		for i, r := range c.View() {
			if r > 0x7e || (r < 0x20 && r != '\n') {
				t.Fatalf("after %v: %q at byte %d", keys, r, i)
			}
		}
	}
	c.key("esc", "esc", "esc")
	frame := c.View()
	if !strings.Contains(frame, "1 ..0100 OK") {
		t.Errorf("tabs do not cut numbers with '..':\n%s", frame)
	}
	for _, glued := range []string{"/mv", "/m^"} {
		if strings.Contains(frame, glued) {
			t.Errorf("a marker is glued to its figure (%q):\n%s", glued, frame)
		}
	}
	if !strings.Contains(frame, "/m v") && !strings.Contains(frame, "/m ^") {
		t.Errorf("no rate marker at all: the test proves nothing:\n%s", frame)
	}
}

// Tabs cut numbers to as many last digits as tell them apart.
func TestShortLabelsAreUnique(t *testing.T) {
	for _, tc := range []struct {
		numbers, want []string
	}{
		{[]string{"+12025550100", "+12025550101"}, []string{"…0100", "…0101"}},
		{[]string{"+12025550101", "+442071230101"}, []string{"…50101", "…30101"}},
		{[]string{"+12025550101", "+13025550101"}, []string{"…2025550101", "…3025550101"}},
		{[]string{"+123456789", "+123456789"}, []string{"+123456789", "+123456789"}},
	} {
		if got := shortLabels(tc.numbers, "…"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("shortLabels(%q) = %q, want %q", tc.numbers, got, tc.want)
		}
	}
	c := newTestConsole(t, "+12025550101", "+442071230101")
	c.poll(1)
	c.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if f := c.View(); !strings.Contains(f, "1 …50101 ") || !strings.Contains(f, "2 …30101 ") {
		t.Errorf("tabs:\n%s", strings.Join(strings.Split(f, "\n")[:2], "\n"))
	}
}

// On the overview, i and v open the number under the cursor.
func TestOverviewInfoAndRawOpenTheSelectedNumber(t *testing.T) {
	c := sized(t, 160, 48)
	c.key("o", "j", "j")
	want := c.overviewRows()[2].st.Index
	c.key("i")
	if c.screenName() != "number" || c.ctx.Active != want {
		t.Fatalf("i on row 3: screen %s, number %d, want %d", c.screenName(), c.ctx.Active, want)
	}
	c.key("esc")
	want = c.overviewRows()[1].st.Index
	c.key("k", "v")
	if c.screenName() != "raw" || c.ctx.Active != want {
		t.Fatalf("v on row 2: screen %s, number %d, want %d", c.screenName(), c.ctx.Active, want)
	}
}

// The overview puts the worst first: failing, then critical, then warning, then fine.
func TestOverviewSortsWorstFirst(t *testing.T) {
	numbers := []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103"}
	c := newTestConsole(t, numbers...)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	queue := func(v string) source.Snapshot {
		return c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":` + v + `}]}}}}}`)
	}
	c.clock.Advance(5 * time.Second)
	c.file(0, queue("5"), nil)    // OK
	c.file(1, queue("150"), nil)  // WARN
	c.file(2, queue("5000"), nil) // CRIT
	c.file(3, queue("5"), nil)    // then ERR
	c.file(3, source.Snapshot{}, errors.New("boom"))
	c.key("o")
	var got []string
	for _, r := range c.overviewRows() {
		got = append(got, r.state.Word())
	}
	if want := []string{"ERR", "CRIT", "WARN", "OK"}; !reflect.DeepEqual(got, want) {
		t.Errorf("overview order %v, want %v", got, want)
	}
}

// A cursor follows what it points at: when polls re-sort the rows, enter opens the same
// number (overview) or callback type (main view).
func TestCursorFollowsItsRowWhenResorted(t *testing.T) {
	numbers := []string{"+12025550100", "+12025550101", "+12025550102"}
	c := newTestConsole(t, numbers...)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	queue := func(i int, v string) {
		c.file(i, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+v+`}]}}}}}`), nil)
	}
	c.clock.Advance(5 * time.Second)
	queue(0, "10")
	queue(1, "20")
	queue(2, "30")
	c.key("o", "s", "s") // sort by queue: +..102, +..101, +..100
	c.key("g", "j")      // on +..101
	if r := c.overviewRows()[c.top().(*overviewScreen).cur.pos]; r.st.Number != numbers[1] {
		t.Fatalf("cursor on %s, want %s", r.st.Number, numbers[1])
	}
	queue(0, "500") // +..100 goes first: +..101 moves to the third row
	c.key("enter")
	if c.ctx.Active != 1 {
		t.Errorf("enter opened number %d, want 1 (the one under the cursor)", c.ctx.Active)
	}

	// The counter table, sorted by rate: the cursor stays on its callback type.
	d := sized(t, 160, 48)
	m := d.mainScreen()
	d.key("s", "s") // by rate
	rows := m.table.rows(&m.figures().Callbacks)
	d.key("j")
	want := rows[1].Key
	d.poll(30)
	if got := m.table.rows(&m.figures().Callbacks)[m.table.cur.pos].Key; got != want || m.table.cur.key != want {
		t.Errorf("after more polls the cursor is on %q, want %q", got, want)
	}
}

// Keys move over the rows as the overview last drew them: after a re-sort is drawn, j
// goes to the row now below.
func TestOverviewKeysMoveOverTheRowsDrawn(t *testing.T) {
	numbers := []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103"}
	c := newTestConsole(t, numbers...)
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	queue := func(i int, v string) {
		c.file(i, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+v+`}]}}}}}`), nil)
	}
	c.clock.Advance(5 * time.Second)
	for i, v := range []string{"10", "20", "30", "40"} {
		queue(i, v)
	}
	c.key("o", "s", "s") // sort by queue: ..103, ..102, ..101, ..100
	c.key("g", "j", "j") // on ..101
	if i, _ := c.top().(*overviewScreen).selectedNumber(); i != 1 {
		t.Fatalf("g j j went to %s, want %s (third as drawn)", numbers[i], numbers[1])
	}
	c.clock.Advance(5 * time.Second)
	queue(1, "900")
	queue(0, "35")       // now ..101, ..103, ..100, ..102
	c.Update(clockMsg{}) // drawn
	c.key("j")
	if i, _ := c.top().(*overviewScreen).selectedNumber(); i != 3 {
		t.Errorf("j went to %s, want %s (below ..101 as drawn)", numbers[i], numbers[3])
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
		s := c.top().(*overviewScreen)
		n := c.overviewRows()[s.cur.pos].st.Number
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
		c.key(step.key)
		if got := c.top().(*overviewScreen).cur.pos; got != step.want || !visible() {
			t.Fatalf("%s: cursor %d (want %d), visible %v", step.key, got, step.want, visible())
		}
	}
}

// - and + step only through windows the history can fill (History polls at the interval).
func TestZoomSkipsWindowsTheHistoryCannotFill(t *testing.T) {
	c := newConsoleWith(t, consoleOpts{history: 60}) // 5 minutes
	for _, step := range []struct{ key, want string }{{"-", "all"}, {"-", "all"}, {"+", "5m"}, {"+", "1m"}, {"+", "1m"}} {
		c.key(step.key)
		if got := windowName(c.ctx.WindowDur()); got != step.want {
			t.Fatalf("%s: window %s, want %s", step.key, got, step.want)
		}
	}
}

// The number's detail explains its failures after it has recovered from them.
func TestNumberDetailKeepsTheLastErrorAfterRecovery(t *testing.T) {
	c := sized(t, 160, 48)
	c.clock.Advance(5 * time.Second)
	c.file(0, source.Snapshot{}, &source.HTTPError{Status: 502, Found: "HTML page"})
	c.poll(1)
	c.key("i")
	frame := c.View()
	if !strings.Contains(frame, "recovered): HTTP 502 Bad Gateway: HTML page") || !strings.Contains(frame, "1 failed") {
		t.Errorf("number detail after recovery:\n%s", frame)
	}
}

// A gauge's detail shows its value and its range over the window; a counter's, rates
// and resets.
func TestMetricDetailByType(t *testing.T) {
	c := sized(t, 160, 48)
	open := func(metric string) string {
		c.key("i", "/")
		for _, r := range metric {
			c.key(string(r))
		}
		c.key("enter", "enter")
		if s, ok := c.top().(*metricScreen); !ok || s.metric != metric {
			t.Fatalf("did not open %s: on %s", metric, c.screenName())
		}
		frame := c.View()
		c.key("esc", "esc", "esc")
		return frame
	}
	gauge := open("callback_queue_size")
	for _, want := range []string{"MIN", "MAX", "AVG", "value of the selected series"} {
		if !strings.Contains(gauge, want) {
			t.Errorf("gauge detail lacks %q:\n%s", want, gauge)
		}
	}
	for _, unwanted := range []string{"PER MIN", "RESETS", "rate per minute"} {
		if strings.Contains(gauge, unwanted) {
			t.Errorf("gauge detail shows %q:\n%s", unwanted, gauge)
		}
	}
	counter := open("in_message_persisted")
	for _, want := range []string{"PER MIN", "RESETS", "rate per minute of the selected series"} {
		if !strings.Contains(counter, want) {
			t.Errorf("counter detail lacks %q:\n%s", want, counter)
		}
	}
}

// A gauge's low, high and mean read in its value's format: 68,558 never sits beside a
// low of 69k.
func TestGaugeDetailFiguresInOneFormat(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for _, v := range []string{"68400", "68900", "68558"} {
		c.clock.Advance(5 * time.Second)
		c.file(0, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+v+`}]}}}}}`), nil)
	}
	c.key("i", "enter")
	if _, ok := c.top().(*metricScreen); !ok {
		t.Fatalf("on %s, want the metric detail", c.screenName())
	}
	if row := regexp.MustCompile(`\(no labels\)\s+68,558\s+68,400\s+68,900\s+68,619`); !row.MatchString(c.View()) {
		t.Errorf("want VALUE 68,558, MIN 68,400, MAX 68,900, AVG 68,619:\n%s", c.View())
	}
}

// Any size at all: a frame, never a panic; below the minimum, a note that fits and
// names the minimum wherever it can.
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
		}
	}
}

func TestTooSmallNoteFitsAndNamesTheMinimum(t *testing.T) {
	c := newTestConsole(t)
	for w := 1; w < MinWidth; w++ {
		for h := 1; h < MinHeight+5; h++ {
			c.Update(tea.WindowSizeMsg{Width: w, Height: h})
			frame := c.View()
			lines := strings.Split(frame, "\n")
			if len(lines) > h {
				t.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for _, l := range lines {
				if len([]rune(l)) > w {
					t.Fatalf("%dx%d: line %q too wide", w, h, l)
				}
			}
			if w*h >= 5 && !strings.Contains(strings.ReplaceAll(frame, "\n", ""), "40x12") {
				t.Fatalf("%dx%d: the note does not name the minimum: %q", w, h, frame)
			}
		}
	}
	c.Update(tea.WindowSizeMsg{Width: 20, Height: 6})
	if f := c.View(); !strings.Contains(f, "too small") || !strings.Contains(f, "20x6") {
		t.Errorf("20x6: %q", f)
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
		c.clock.Advance(5 * time.Second)
		for i := range c.eng.Len() {
			c.file(i, c.body(body), nil)
		}
		for _, keys := range [][]string{nil, {"o"}, {"esc", "enter"}, {"esc", "i"}, {"enter"}, {"esc", "esc"}} {
			c.key(keys...)
			assertFits(t, c.View(), 120, 40)
		}
		for i := range c.eng.Len() {
			if r := c.eng.Figures(i, c.ctx.WindowDur()).Callbacks.Rate; r < 0 {
				t.Errorf("round %d: negative callback rate %v", round, r)
			}
		}
	}
}

// A threshold on any metric name counts: its sum sets the badge, rings the bell and marks
// the value where the console shows it.
func TestThresholdOnAnyMetric(t *testing.T) {
	c := newConsoleWith(t, consoleOpts{numbers: []string{"+12025550100"},
		thresholds: monitor.Thresholds{"db_pending_callbacks": {Warn: 50, Critical: 500}}})
	var bell strings.Builder
	c.Init()
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for _, pending := range []string{"10", "80", "600"} {
		c.clock.Advance(5 * time.Second)
		bell.WriteString(raw(c.file(0, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":1}]}},`+
			`"db":{"db_pending_callbacks":{"type":"gauge","data":[{"value":`+pending+`}]}}}}}`), nil)))
	}
	st := c.status(0)
	if s := c.ctx.State(&st); s != monitor.StateCrit {
		t.Fatalf("state %v with 600 pending callbacks, want CRIT", s)
	}
	if !strings.Contains(c.View(), "db callbacks 600!") {
		t.Errorf("the pending value is not marked:\n%s", c.View())
	}
	if strings.Count(bell.String(), "\a") != 1 {
		t.Errorf("bell rang %d times", strings.Count(bell.String(), "\a"))
	}
}

// A warning from the config (a key others can read) shows in the footer at start, not
// only on stderr after quitting.
func TestStartWarningInFooter(t *testing.T) {
	c := newTestConsole(t)
	c.Model = New(Options{Engine: c.eng, Location: time.UTC,
		Warnings: []string{"/home/op/.config/wamon/config.toml holds api_key and is readable by group or others (mode 0644); run: chmod 600 /home/op/.config/wamon/config.toml"}})
	c.Update(tea.WindowSizeMsg{Width: 200, Height: 48})
	lines := strings.Split(c.View(), "\n")
	if footer := lines[len(lines)-2]; !strings.Contains(footer, "warning: /home/op/.config/wamon/config.toml holds api_key") {
		t.Errorf("footer %q", footer)
	}
}
