package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// The overview's REASON is the point of triage: it comes before TREND and MEAN as the
// width shrinks, and when it must be cut its figure stays (the name gives way).
func TestOverviewReasonBeforeTrendAndMean(t *testing.T) {
	th := monitor.Thresholds{
		monitor.QueueThreshold:   {Warn: 100, Critical: 1000},
		monitor.FailureThreshold: {Warn: 0.01, Critical: 0.05},
		"db_pending_callbacks":   {Warn: 10, Critical: 30},
	}
	c := newConsoleWith(t, consoleOpts{numbers: []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103"}, thresholds: th})
	payload := func(queue, pending string) source.Snapshot {
		return c.body(`{"code":"WS201","data":{"stats":{"app":{` +
			`"callback_queue_size":{"type":"gauge","data":[{"value":` + queue + `}]},` +
			`"db_pending_callbacks":{"type":"gauge","data":[{"value":` + pending + `}]}}}}}`)
	}
	c.clock.Advance(5 * time.Second)
	c.file(0, payload("1500", "2"), nil)                                             // callback_queue_size 1.5k!
	c.file(1, source.Snapshot{}, &source.HTTPError{Status: 502, Found: "HTML page"}) // HTTP 502
	c.file(2, payload("150", "31"), nil)                                             // db_pending_callbacks 31!, callback_queue_size 150~
	c.file(3, payload("5", "1"), nil)                                                // OK
	c.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	c.key("o")
	if c.screenName() != "overview" {
		t.Fatalf("on %s", c.screenName())
	}
	row := func(frame, number string) string {
		for _, l := range strings.Split(frame, "\n")[2:] {
			if strings.Contains(l, number) {
				return l
			}
		}
		t.Fatalf("no row for %s:\n%s", number, frame)
		return ""
	}
	for _, tc := range []struct {
		width       int
		trend, mean bool
		rows        [3]string // the reasons of numbers 1-3, as regular expressions
	}{
		{160, true, true, [3]string{`callback_queue_size 1\.5k!`, `HTTP 502`, `db_pending_callbacks 31!, callback_queue_size 150~`}},
		{110, true, true, [3]string{`callback_queue_size 1\.5k!`, `HTTP 502`, `db_pending_callbacks 31! \+1`}},
		{100, true, false, [3]string{`callback_queue_size 1\.5k!`, `HTTP 502`, `db_pending_callbacks 31! \+1`}},
		{80, false, false, [3]string{`callback_queue… 1\.5k!`, `HTTP 502`, `db_pending_ca… 31! \+1`}},
		{70, false, false, [3]string{`call… 1\.5k!`, `HTTP 502`, `db_pen… 31!`}},
	} {
		c.Update(tea.WindowSizeMsg{Width: tc.width, Height: 30})
		frame := c.View()
		assertFits(t, frame, tc.width, 30)
		header := row(frame, "REASON")
		if strings.Contains(header, "TREND") != tc.trend || strings.Contains(header, "MEAN") != tc.mean {
			t.Errorf("at %d columns header %q: want TREND %v, MEAN %v", tc.width, header, tc.trend, tc.mean)
		}
		for i, want := range tc.rows {
			if r := row(frame, "+1202555010"+itoa(i)); !regexp.MustCompile(want + ` *│$`).MatchString(r) {
				t.Errorf("at %d columns row %q: want its reason %q at the end:\n%s", tc.width, r, want, frame)
			}
		}
	}
}
