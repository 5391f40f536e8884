package ui

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

// A fleet watched through the fault server, with a queue past critical, a WS406 number,
// a counter that goes back, a multiconnect number and a burst of 429s: the first screen
// tells which numbers are unhealthy, since when and why, and the 429 share shows on the
// number's main view. Whatever the number of polls made: the healthy ones never pass a
// threshold.
func TestTriageFromTheFirstScreen(t *testing.T) {
	for polls := 10; polls <= 16; polls++ {
		t.Run(fmt.Sprintf("%dpolls", polls), func(t *testing.T) { triageFromTheFirstScreen(t, polls) })
	}
}

func triageFromTheFirstScreen(t *testing.T, polls int) {
	scenarios := []faketest.Scenario{faketest.QueueCritical, faketest.WS406, faketest.Backwards, faketest.Multiconnect, faketest.Burst429, faketest.Healthy}
	srv := faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	clock := monitor.NewManualClock(testStart)
	var numbers []string
	for i, sc := range scenarios {
		n := fmt.Sprintf("+1202555%04d", 300+i)
		srv.Set(n, sc)
		numbers = append(numbers, n)
	}
	k, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The fault server's healthy payloads fail about 1.6% of their callbacks: a failure
	// threshold above that keeps the healthy numbers OK.
	thresholds := monitor.DefaultThresholds()
	thresholds[monitor.FailureThreshold] = monitor.Threshold{Warn: 0.05, Critical: 0.2}
	eng := monitor.New(monitor.Config{Source: clockedSource{src: k, now: clock.Now}, Numbers: numbers,
		Interval: 5 * time.Second, Timeout: 2 * time.Second, Thresholds: thresholds, Clock: clock})
	t.Cleanup(eng.Stop)
	m := New(Options{Engine: eng, Location: time.UTC})
	for range polls { // about a minute of polls
		clock.Advance(5 * time.Second)
		eng.PollAll()
		eng.WaitIdle()
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Update(dataMsg{})
	first := plain(m)
	if m.top().name() != "overview" {
		t.Fatalf("first screen %s: six numbers with reasons do not fit as tabs at 160 columns", m.top().name())
	}
	row := func(number string) string {
		for _, l := range strings.Split(first, "\n")[2:] { // below the header's tabs
			if strings.Contains(l, number) {
				return l
			}
		}
		t.Fatalf("no overview row for %s:\n%s", number, first)
		return ""
	}
	for i, want := range []*regexp.Regexp{
		regexp.MustCompile(`CRIT (<10s|\d+[sm]) .*callback_queue_size 1\.5k!`),
		regexp.MustCompile(`ERR (<10s|\d+[sm]) .*WS406`),
		regexp.MustCompile(`OK (<10s|\d+[sm]) .*↺`),                                   // counters went back: the rate is marked
		regexp.MustCompile(`OK (<10s|\d+[sm]) `),                                      // multiconnect: healthy
		regexp.MustCompile(`WARN (<10s|\d+[sm]) .*endpoint_error_ratio 1\d(\.\d)?%~`), // the 429 burst
		regexp.MustCompile(`OK (<10s|\d+[sm]) `),
	} {
		if r := row(numbers[i]); !want.MatchString(r) {
			t.Errorf("%s (%s): overview row %q does not match %q", numbers[i], scenarios[i], r, want)
		}
	}
	// Worst first: the failing number, then the critical one.
	lines := strings.Split(first, "\n")
	if !strings.Contains(lines[6], numbers[1]) || !strings.Contains(lines[7], numbers[0]) {
		t.Errorf("overview not worst first:\n%s", strings.Join(lines[3:12], "\n"))
	}
	// The footer speaks of the number under the cursor: the WS406 one, with its error.
	if footer := lines[len(lines)-2]; !strings.Contains(footer, "WS406") {
		t.Errorf("footer %q", footer)
	}

	// The 429 burst number's main view names the worst endpoint and its share.
	m.Update(keyMsg("5"))
	if f := plain(m); !regexp.MustCompile(`requests .*failed 1\d(\.\d)?%~ · worst /v1/messages post 429 1[12]%`).MatchString(f) {
		t.Errorf("main view of the 429 burst:\n%s", f)
	}
	// The multiconnect number's detail lists its standby node.
	m.Update(keyMsg("4"))
	m.Update(keyMsg("i"))
	if f := plain(m); !strings.Contains(f, "wa-core-1:3f2a9c1b (active), wa-core-2:7d41e0aa (standby)") {
		t.Errorf("number detail of the multiconnect number:\n%s", f)
	}
}

// The events screen lists the timeline newest first; w steps the severity shown, /
// filters by number or reason, enter goes to the event's number.
func TestEventsScreen(t *testing.T) {
	c := newTestConsole(t, "+12025550100", "+12025550101")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	queue := func(i int, v string) {
		c.clock.Advance(5 * time.Second)
		c.file(i, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+v+`}]}}}}}`), nil)
	}
	queue(0, "10")
	queue(1, "10")
	queue(1, "1500")
	c.clock.Advance(5 * time.Second)
	c.file(0, source.Snapshot{}, &source.HTTPError{Status: 502, Found: "HTML page"})
	c.key("e")
	if c.screenName() != "events" {
		t.Fatalf("e opened %s", c.screenName())
	}
	rows := func() []string {
		var out []string
		for _, l := range strings.Split(c.View(), "\n") {
			if strings.Contains(l, "+1202555010") && strings.Contains(l, "→") {
				out = append(out, strings.Join(strings.Fields(strings.Trim(l, "│▸ ")), " "))
			}
		}
		return out
	}
	want := []string{
		"10:00:20 +12025550100 OK → ERR 15s HTTP 502",
		"10:00:15 +12025550101 OK → CRIT 5s callback_queue_size 1.5k!",
		"10:00:10 +12025550101 WAIT → OK first answer",
		"10:00:05 +12025550100 WAIT → OK first answer",
	}
	if got := rows(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c.key("w")
	if got := rows(); len(got) != 2 || !strings.Contains(c.View(), "warnings and worse") {
		t.Fatalf("warnings and worse: %q", got)
	}
	c.key("/")
	for _, r := range "0101" {
		c.key(string(r))
	}
	c.key("enter")
	if got := rows(); len(got) != 1 || !strings.Contains(got[0], "CRIT") {
		t.Fatalf("filtered by number: %q", got)
	}
	c.key("enter")
	if c.screenName() != "main" || c.ctx.Active != 1 {
		t.Fatalf("enter on an event: %s, number %d; want number 1's main view", c.screenName(), c.ctx.Active)
	}
}

// Every state says since when: in the tabs ("CRIT 5s"), and in the number's detail
// with the time and the reason.
func TestStatesSaySinceWhen(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	queue := func(q string) {
		c.clock.Advance(5 * time.Second)
		c.file(0, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+q+`}]}}}}}`), nil)
	}
	queue("10")
	queue("1500") // CRIT from 10:00:10
	for c.clock.Now().Before(testStart.Add(4*time.Minute + 20*time.Second)) {
		queue("1600")
	}
	c.clock.Advance(2 * time.Second)
	c.Update(clockMsg{})
	if !strings.Contains(c.View(), "[1 +12025550100 CRIT 4m q1.6k!]") {
		t.Errorf("tab:\n%s", strings.Split(c.View(), "\n")[1])
	}
	c.key("i")
	if f := c.View(); !strings.Contains(f, "CRIT since 10:00:10 (4m12s): callback_queue_size 1.6k!") {
		t.Errorf("number detail:\n%s", f)
	}
	// No meta in the payload: no empty "meta" label.
	if strings.Contains(c.View(), "meta") {
		t.Errorf("an empty meta label:\n%s", c.View())
	}
}

// n steps a multiconnect number's scope: the sum of its nodes, a row (and a chart line)
// per node, then each node alone.
func TestNodeScope(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	body := func(a, b int) string {
		node := func(q, n int) string {
			return fmt.Sprintf(`{"callback_queue_size":{"type":"gauge","data":[{"value":%d}]},"callback_requests_duration_ms_count":{"type":"counter","data":[{"labels":{"type":"inbound_message","result":"success"},"value":%d}]}}`, q, n)
		}
		return `{"code":"WS201","data":{"stats":{"app":{"wa-1:aaaa":` + node(a, a*100) + `,"wa-2:bbbb":` + node(b, b*100) + `,"wa-3:cccc":{}}}}}`
	}
	for i := range 4 {
		c.clock.Advance(5 * time.Second)
		c.file(0, c.body(body(10+i, 20+2*i)), nil)
	}
	m := c.mainScreen()
	keysOf := func() []string { return rowKeys(m.table.rows(&m.figures().Callbacks)) }
	if got := keysOf(); len(got) != 1 || got[0] != "inbound_message" {
		t.Fatalf("sum: rows %q", got)
	}
	c.key("n")
	if got := keysOf(); strings.Join(got, ",") != "inbound_message @ wa-1:aaaa,inbound_message @ wa-2:bbbb" ||
		!strings.Contains(c.View(), "nodes split") || !strings.Contains(c.View(), "■ wa-1:aaaa  ■ wa-2:bbbb") {
		t.Fatalf("split: rows %q\n%s", got, c.View())
	}
	c.key("n")
	if got := keysOf(); len(got) != 1 || !strings.Contains(c.View(), "node wa-1:aaaa") || !strings.Contains(c.View(), "now 13") {
		t.Fatalf("node wa-1: rows %q\n%s", got, c.View())
	}
	c.key("n")
	if !strings.Contains(c.View(), "node wa-2:bbbb") || !strings.Contains(c.View(), "now 26") {
		t.Fatalf("node wa-2:\n%s", c.View())
	}
	c.key("n")
	if !strings.Contains(c.View(), "now 39") || strings.Contains(c.View(), "node wa-") {
		t.Fatalf("back to the sum:\n%s", c.View())
	}
}

// A counter that went back marks the rows whose rates it touched, in the main view and
// the overview, not only in the drill-down.
func TestResetsAreMarkedWhereRatesShow(t *testing.T) {
	c := newTestConsole(t, "+12025550100")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for _, n := range []int{767000, 767500, 767300, 767800} {
		c.clock.Advance(5 * time.Second)
		c.file(0, c.body(fmt.Sprintf(`{"code":"WS201","data":{"stats":{"app":{"callback_requests_duration_ms_count":{"type":"counter","data":[{"labels":{"type":"status_change","result":"success"},"value":%d}]}}}}}`, n)), nil)
	}
	if f := c.View(); !strings.Contains(f, "status_change ↺") {
		t.Errorf("main view row not marked:\n%s", f)
	}
	// 500, then 300 over the 10 s back from the lagging reading: 3.2k/min, not 767k/min.
	if f := c.View(); !strings.Contains(f, "all: 3.2k/min") {
		t.Errorf("the drop was counted as an increase:\n%s", f)
	}
	c.key("o")
	if f := c.View(); !strings.Contains(f, "3.2k ↺") {
		t.Errorf("overview rate not marked:\n%s", f)
	}
}

// y copies a one-line summary of the number in view (on the overview, of the number
// under the cursor) to the clipboard with OSC 52; the footer says so.
func TestCopySummary(t *testing.T) {
	c := newTestConsole(t, "+12025550100", "+12025550101")
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for range 7 { // 10:00:05 to 10:00:35
		c.clock.Advance(5 * time.Second)
		c.file(0, c.body(`{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":1500}]}}}}}`), nil)
		c.file(1, source.Snapshot{}, &source.APIError{Code: "WS406", Message: "x"})
	}
	_, cmd := c.Update(keyMsg("y"))
	want := "wamon: +12025550100 · CRIT 30s (since 10:00:05) · callback_queue_size 1.5k! · queue 1.5k · callbacks failed - over 5m · 2026-11-24 10:00:35 UTC"
	if got := copied(t, cmd); got != want {
		t.Errorf("copied %q, want %q", got, want)
	}
	if !strings.Contains(c.View(), "copied: wamon: +12025550100 · CRIT") {
		t.Errorf("the footer does not say it copied:\n%s", c.View())
	}
	c.key("o") // worst first: the failing number is under the cursor
	_, cmd = c.Update(keyMsg("y"))
	if got := copied(t, cmd); !strings.HasPrefix(got, "wamon: +12025550101 · ERR 30s (since 10:00:05) · WS406 ·") {
		t.Errorf("copied on the overview %q", got)
	}
}

// copied is the text cmd puts on the clipboard: Bubble Tea writes it as OSC 52 (the
// served console's test sees the sequence reach its viewer's terminal).
func copied(t *testing.T, cmd tea.Cmd) string {
	t.Helper()
	for _, m := range flatten(cmd) {
		if v := reflect.ValueOf(m); fmt.Sprintf("%T", m) == "tea.setClipboardMsg" {
			return v.String()
		}
	}
	t.Fatal("nothing was copied")
	return ""
}
