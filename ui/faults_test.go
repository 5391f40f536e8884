package ui

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

// faultKey is the API key of the fault test: it must never reach the screen, an error
// or a saved screen.
const faultKey = "sk-faults-9c1e-SECRET"

// clockedSource stamps each snapshot with the console's clock. The Kaleyra client stamps
// FetchedAt with the wall clock, which in production is the console's clock too; here the
// console runs on a fake clock, and mixing the two would make every number look stale.
type clockedSource struct {
	src source.Source
	now func() time.Time
}

func (c clockedSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	snap, err := c.src.Fetch(ctx, number)
	snap.FetchedAt = c.now()
	return snap, err
}

func (c clockedSource) Name() string { return c.src.Name() }

// faultExpect is the text the footer must show for each failing scenario.
var faultExpect = map[faketest.Scenario][]string{
	faketest.WS406:        {"WS406"},
	faketest.WS500:        {"WS500"},
	faketest.WS500Status:  {"WS500", "HTTP 500"},
	faketest.LowerCase:    {"WS500", "HTTP 400"},
	faketest.HTML502:      {"HTTP 502"},
	faketest.HTML503:      {"HTTP 503"},
	faketest.HTML504:      {"HTTP 504"},
	faketest.Empty:        {"empty body"},
	faketest.Truncated:    {"truncated"},
	faketest.Huge:         {"over the 1 MiB cap"},
	faketest.Hang:         {"timeout"},
	faketest.Drip:         {"timeout"},
	faketest.ResetMidBody: {"reset"},
	faketest.RedirectLoop: {"redirect"},
}

// faultHealthy are the scenarios that carry a usable payload, however odd.
var faultHealthy = map[faketest.Scenario]bool{
	faketest.Healthy: true, faketest.Wrapped: true, faketest.Backwards: true,
	faketest.OddValues: true, faketest.MissingFields: true, faketest.Hostile: true,
	faketest.LongLabels: true, faketest.ThousandsSeries: true,
	faketest.QueueCritical: true, faketest.Burst429: true, faketest.Multiconnect: true,
	faketest.DB: true, faketest.Unpaired: true,
}

// unsafeRune reports the first rune a terminal would act on or hide: C0 controls other
// than the newline, DEL, C1 controls, bidi controls and zero-width characters.
func unsafeRune(frame string) (rune, int, bool) {
	if !utf8.ValidString(frame) {
		return utf8.RuneError, -1, true
	}
	for i, r := range frame {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r == 0x00ad, r == 0x061c, r == 0x180e,
			r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e,
			r >= 0x2060 && r <= 0x206f, r == 0xfeff, r >= 0xfff9 && r <= 0xfffb,
			r == 0x2028, r == 0x2029:
			return r, i, true
		}
	}
	return 0, 0, false
}

type faultConsole struct {
	t       *testing.T
	m       *Model
	eng     *monitor.Engine
	srv     *faketest.Server
	clock   *monitor.ManualClock
	numbers []string
	mu      sync.Mutex          // guards scen, which the engine's fetches read
	scen    []faketest.Scenario // the scenario each number is set to now
	frames  int
	rounds  []time.Duration
}

func newFaultConsole(t *testing.T) *faultConsole {
	t.Helper()
	srv := faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	c := &faultConsole{t: t, srv: srv, clock: monitor.NewManualClock(testStart)}
	for i, sc := range faketest.All {
		n := fmt.Sprintf("+1202555%04d", 100+i)
		if err := source.ValidateNumber(n); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		srv.Set(n, sc)
		c.numbers = append(c.numbers, n)
		c.scen = append(c.scen, sc)
	}
	// The scenarios that never answer wait for a short client timeout; the rest get one
	// far past what an answer takes on a loaded machine, so that a slow answer never
	// reads as a timeout.
	client := func(timeout time.Duration) source.Source {
		k, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, APIKey: faultKey, Timeout: timeout, MaxBody: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	src := &scenarioSource{c: c, quick: client(500 * time.Millisecond), patient: client(time.Minute)}
	c.eng = monitor.New(monitor.Config{
		Source: clockedSource{src: src, now: c.clock.Now}, Numbers: c.numbers,
		Interval: time.Second, Timeout: 2 * time.Minute, Thresholds: testThresholds, Clock: c.clock,
	})
	t.Cleanup(c.eng.Stop)
	c.m = New(Options{Engine: c.eng, Location: time.UTC, SaveDir: t.TempDir()})
	c.m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	return c
}

// scenarioSource polls a number through the quick client while its scenario never
// answers, else through the patient one.
type scenarioSource struct {
	c              *faultConsole
	quick, patient source.Source
}

func (s *scenarioSource) Name() string { return s.patient.Name() }

func (s *scenarioSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	s.c.mu.Lock()
	sc := s.c.scen[slices.Index(s.c.numbers, number)]
	s.c.mu.Unlock()
	if sc == faketest.Hang || sc == faketest.Drip {
		return s.quick.Fetch(ctx, number)
	}
	return s.patient.Fetch(ctx, number)
}

func (c *faultConsole) set(i int, sc faketest.Scenario) {
	c.srv.Set(c.numbers[i], sc)
	c.mu.Lock()
	c.scen[i] = sc
	c.mu.Unlock()
}

// round polls every number at once through the engine's own poll path (the concurrency
// bound, the real client), waits for every outcome to be filed, and tells the console.
func (c *faultConsole) round() {
	t := c.t
	t.Helper()
	c.clock.Advance(5 * time.Second)
	start := time.Now()
	before := make([]int, len(c.numbers))
	for i := range c.numbers {
		before[i] = c.eng.Status(i).Polls
	}
	c.eng.PollAll()
	done := make(chan struct{})
	go func() { c.eng.WaitIdle(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute): // only a hang ends here
		t.Fatalf("round %d: fetches still running after 2 minutes", len(c.rounds)+1)
	}
	c.rounds = append(c.rounds, time.Since(start))
	for i := range c.numbers {
		if got := c.eng.Status(i).Polls; got != before[i]+1 {
			t.Fatalf("round %d: %s (%s) has %d polls filed, want %d", len(c.rounds), c.numbers[i], c.scen[i], got, before[i]+1)
		}
	}
	c.m.Update(dataMsg{})
}

// frame renders the view in focus and checks what every frame must satisfy.
func (c *faultConsole) frame(where string) string {
	t := c.t
	t.Helper()
	f := plain(c.m)
	c.frames++
	assertFits(t, f, 160, 48)
	if r, at, bad := unsafeRune(f); bad {
		t.Errorf("%s: unsafe rune %U at byte %d", where, r, at)
	}
	if strings.Contains(f, faultKey) || strings.Contains(f, "SECRET") {
		t.Errorf("%s: the API key is on screen", where)
	}
	return f
}

// activate makes numbers[i] active through the keys: a digit for the first nine, tab
// for the rest.
func (c *faultConsole) activate(i int) {
	t := c.t
	t.Helper()
	if i < 9 {
		c.m.Update(keyMsg(fmt.Sprint(i + 1)))
	}
	for range len(c.numbers) {
		if c.m.ctx.Active == i {
			break
		}
		c.m.Update(keyMsg("tab"))
	}
	if c.m.ctx.Active != i {
		t.Fatalf("cannot make number %d active (at %d)", i, c.m.ctx.Active)
	}
}

// checkFooter: a failing active number has a one-line error in the footer that says what
// went wrong; a healthy one has none.
func (c *faultConsole) checkFooter(i int, f, where string) {
	t := c.t
	t.Helper()
	lines := strings.Split(f, "\n")
	if len(lines) < 2 {
		return
	}
	footer := lines[len(lines)-2]
	sc := c.scen[i]
	if faultHealthy[sc] {
		if strings.Contains(footer, "ERR ") {
			t.Errorf("%s: healthy-ish %s shows an error: %q", where, sc, footer)
		}
		return
	}
	if !strings.Contains(footer, "ERR") {
		t.Errorf("%s: %s footer has no ERR: %q", where, sc, footer)
	}
	for _, want := range faultExpect[sc] {
		if !strings.Contains(footer, want) {
			t.Errorf("%s: %s footer lacks %q: %q", where, sc, want, footer)
		}
	}
}

// views visits every view with every number active: main, overview, number detail, raw.
func (c *faultConsole) views() {
	for i := range c.numbers {
		c.activate(i)
		where := func(v string) string {
			return fmt.Sprintf("round %d, %s (%s), %s", len(c.rounds), c.numbers[i], c.scen[i], v)
		}
		if c.m.top().name() != "main" {
			c.t.Fatalf("%s: on %s", where("main"), c.m.top().name())
		}
		c.checkFooter(i, c.frame(where("main")), where("main"))
		c.m.Update(keyMsg("o"))
		// The overview's footer speaks of the number under its cursor.
		sel, ok := c.m.top().(*overviewScreen).selectedNumber()
		if !ok {
			c.t.Fatalf("%s: no number under the cursor", where("overview"))
		}
		c.checkFooter(sel, c.frame(where("overview")), where("overview"))
		c.m.Update(keyMsg("esc"))
		c.m.Update(keyMsg("i"))
		c.checkFooter(i, c.frame(where("number")), where("number"))
		c.m.Update(keyMsg("v"))
		c.checkFooter(i, c.frame(where("raw")), where("raw"))
		c.m.Update(keyMsg("esc"))
		c.m.Update(keyMsg("esc"))
	}
}

// checkStates: failing scenarios are in error with a one-line error free of the key;
// healthy-ish ones are OK.
func (c *faultConsole) checkStates() {
	t := c.t
	t.Helper()
	for i := range c.numbers {
		n := c.eng.Status(i)
		s := c.m.ctx.State(&n)
		sc := c.scen[i]
		if faultHealthy[sc] {
			// Healthy-ish numbers may be past a threshold (5,000 series, odd values); they
			// are never failing.
			if n.Err != nil || s == monitor.StateError || s == monitor.StateStale || s == monitor.StateWaiting {
				t.Errorf("round %d: healthy-ish %s is %s: %v", len(c.rounds), sc, s.Word(), n.Err)
			}
			continue
		}
		if s != monitor.StateError || n.Err == nil {
			t.Errorf("round %d: failing %s is %s", len(c.rounds), sc, s.Word())
			continue
		}
		e := n.Err.Error()
		if strings.ContainsAny(e, "\r\n") {
			t.Errorf("%s: error is more than one line: %q", sc, e)
		}
		if strings.Contains(e, faultKey) {
			t.Errorf("%s: the API key is in the error %q", sc, e)
		}
	}
}

// checkRates: no series of any number ever has a negative rate.
func (c *faultConsole) checkRates() {
	t := c.t
	t.Helper()
	var buf []history.Point
	for i := range c.numbers {
		c.eng.Read(i, func(v *monitor.View) {
			for _, key := range v.History.Keys() {
				buf = v.History.Rates(key, time.Time{}, buf[:0])
				for _, p := range buf {
					if !math.IsNaN(p.V) && p.V < 0 {
						t.Errorf("%s (%s): negative rate %v of %q at %v", c.numbers[i], c.scen[i], p.V, source.Truncate(key, 80), p.T)
						break
					}
				}
			}
		})
	}
}

func TestFaultsAllTogether(t *testing.T) {
	c := newFaultConsole(t)
	// The fleet does not fit the tabs, so the console opens on the overview; enter puts
	// the main view on top of it, the base the views below return to.
	if c.m.top().name() != "overview" {
		t.Fatalf("first screen is %s, want the overview", c.m.top().name())
	}
	c.m.Update(keyMsg("enter"))

	index := map[faketest.Scenario]int{}
	for i, sc := range c.scen {
		index[sc] = i
	}

	for range 2 {
		c.round()
		c.checkStates()
		c.views()
	}
	if got := c.srv.LastHeaders().Get("api-key"); got != faultKey {
		t.Fatalf("the server got api-key %q: the key test would prove nothing", got)
	}

	// A healthy number starts failing: what it gathered stays.
	h := index[faketest.Healthy]
	held := func() (n int, queue bool) {
		c.eng.Read(h, func(v *monitor.View) {
			n = v.History.Len()
			_, queue = v.History.Latest("callback_queue_size")
		})
		return n, queue
	}
	before, _ := held()
	last := c.eng.Status(h).Last
	if last == nil || before != 2 {
		t.Fatalf("healthy number: %d polls held, last %v", before, last)
	}
	c.set(h, faketest.HTML502)
	c.round()
	c.checkStates()
	if n, queue := held(); n != before+1 || !queue {
		t.Errorf("history held %d polls after a failure (want %d), queue kept %v", n, before+1, queue)
	}
	if c.eng.Status(h).Last != last {
		t.Error("the last good snapshot was replaced by a failed poll")
	}
	c.views()
	c.activate(h)
	f := c.frame("html-502 switch")
	c.checkFooter(h, f, "html-502 switch")
	if !strings.Contains(f, "updated ") {
		t.Errorf("footer does not say when the number was last updated: %q", strings.Split(f, "\n")[46])
	}

	// ... and recovers on the next good poll.
	c.set(h, faketest.Healthy)
	c.round()
	c.checkStates()
	if hn := c.eng.Status(h); hn.Err != nil || c.m.ctx.State(&hn) == monitor.StateError || hn.Failures != 0 {
		t.Errorf("did not recover: %v, %d failures", hn.Err, hn.Failures)
	}
	c.views()

	for range 2 {
		c.round()
		c.checkStates()
	}
	c.views()

	// Backwards counters are resets, never negative rates.
	resets, polls := 0, 0
	c.eng.Read(index[faketest.Backwards], func(v *monitor.View) {
		polls = v.History.Len()
		for _, key := range v.History.Keys() {
			if strings.HasPrefix(key, "callback_requests_duration_ms_count") {
				resets += v.History.Resets(key)
			}
		}
	})
	if resets == 0 {
		t.Errorf("backwards: no resets in %d polls", polls)
	}
	c.checkRates()

	// The saved screen: plain text, without the key, from a failing number's raw view.
	c.activate(index[faketest.WS500Status])
	c.m.Update(keyMsg("i"))
	c.m.Update(keyMsg("v"))
	_, cmd := c.m.Update(keyMsg("ctrl+s"))
	if cmd == nil {
		t.Fatal("ctrl+s returned no command")
	}
	msg := cmd()
	if _, ok := msg.(flashMsg); !ok {
		t.Fatalf("save returned %T", msg)
	}
	c.m.Update(msg)
	f = c.frame("after save")
	if !strings.Contains(f, "screen saved to ") {
		t.Errorf("no flash after saving: %q", strings.Split(f, "\n")[46])
	}
	saved, _ := filepath.Glob(filepath.Join(c.m.opts.SaveDir, "wamon-screen-*.txt"))
	if len(saved) != 1 {
		t.Fatalf("saved files: %v", saved)
	}
	text, err := os.ReadFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), faultKey) {
		t.Error("the API key is in the saved screen")
	}
	if r, at, bad := unsafeRune(string(text)); bad {
		t.Errorf("saved screen: unsafe rune %U at byte %d", r, at)
	}
	if !strings.Contains(string(text), "WS500") {
		t.Error("the saved screen does not show the error")
	}

	for i := range c.numbers {
		if n := c.eng.Status(i); n.Err != nil && strings.Contains(n.Err.Error(), faultKey) {
			t.Errorf("%s: key in %q", n.Number, n.Err.Error())
		}
	}
	t.Logf("%d numbers, %d rounds %v, %d frames", len(c.numbers), len(c.rounds), c.rounds, c.frames)
}
