package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
	"github.com/wamon/wamon/ui"
)

// The numbers of the parity test and what the fault server answers for each.
var parityNumbers = []struct {
	number   string
	scenario faketest.Scenario
}{
	{"+12025550100", faketest.Healthy},
	{"+12025550101", faketest.Multiconnect},
	{"+12025550102", faketest.DB},
	{"+12025550103", faketest.Burst429},
	{"+12025550104", faketest.OddValues},
	{"+12025550105", faketest.Unpaired},
	{"+12025550106", faketest.WS406},
}

// victoriaLatencyOffset is what the README tells VictoriaMetrics users to run with:
// VictoriaMetrics hides the newest 30 s from queries by default.
const victoriaLatencyOffset = "-search.latencyOffset=5s"

// The same truth through every store teams run: wamon serve polls the fault server (its
// payloads following the clock, so that every poller sees the same figures at the same
// moment) and exports; Debian's Prometheus scrapes it as it does by default (OpenMetrics)
// and in the text format, Prometheus in agent mode remote-writes it to VictoriaMetrics,
// and VictoriaMetrics scrapes it itself. A console reading each store must show what a
// console polling the API shows: the same rates while the figures move (within what a
// store's lag does to a window), and once they stop, the same --once --json (metric
// names, types, help, label sets and values, levels and reasons) and the same main
// view, overview and requests screen.
func TestStoresShowWhatTheDirectConsoleShows(t *testing.T) {
	needTools(t, "prometheus", "prometheus")
	needTools(t, "victoria-metrics", "victoria-metrics")
	if testing.Short() {
		t.Skip("-short: runs real stores for about a minute")
	}
	dir := t.TempDir()
	srv := faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	srv.Clocked(time.Second)
	var numbers, succeeding []string
	for _, p := range parityNumbers {
		srv.Set(p.number, p.scenario)
		numbers = append(numbers, p.number)
		if p.scenario != faketest.WS406 {
			succeeding = append(succeeding, p.number)
		}
	}
	exp := startExporter(t, dir, srv.URL, numbers, time.Second)

	// The stores run on the README's examples, scraping every second.
	copyExample(t, dir, "alerts.yml", nil)
	stores := []*store{
		startPrometheus(t, dir, "Prometheus (OpenMetrics)", copyExample(t, dir, "prometheus.yml", map[string]string{"127.0.0.1:9464": exp.target})),
	}
	text := newTextOnly(t, exp.target)
	stores = append(stores, startPrometheus(t, dir, "Prometheus (text format)",
		copyExample(t, dir, "prometheus.yml", map[string]string{"127.0.0.1:9464": text.Listener.Addr().String()})))
	remote := startVictoria(t, dir, "VictoriaMetrics (remote write from a Prometheus agent)", victoriaLatencyOffset)
	startPrometheus(t, dir, "Prometheus agent", copyExample(t, dir, "prometheus-agent.yml",
		map[string]string{"127.0.0.1:9464": exp.target, "http://127.0.0.1:8428": remote.base}), "--enable-feature=agent")
	stores = append(stores, remote)
	vmScrape := filepath.Join(dir, "victoria-scrape.yml")
	writeFile(t, vmScrape, copyExample(t, dir, "victoria-scrape.yml", map[string]string{"127.0.0.1:9464": exp.target}))
	stores = append(stores, startVictoria(t, dir, "VictoriaMetrics (scraping)", victoriaLatencyOffset, "-promscrape.config="+vmScrape))

	// The direct console: an engine polling the API itself, as the console on the
	// whitelisted host does.
	api, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, APIKey: "e2e-test-key", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	direct := newParityEngine(api, numbers)

	// Every store holds 20 s of scrapes of every number before the consoles open on
	// them: their windows open full.
	for _, s := range stores {
		for _, n := range succeeding {
			waitFor(t, s.name+" holds 20 s of "+n, 90*time.Second, s.atLeast(`count_over_time(wamon_up{number="`+n+`"}[25s])`, 20))
		}
	}
	engines := make([]*monitor.Engine, len(stores))
	for k, s := range stores {
		src, err := source.NewPrometheus(source.PrometheusOptions{URL: s.base, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		engines[k] = newParityEngine(src, numbers)
	}
	for k, eng := range engines {
		waitPolled(t, stores[k].name, eng, succeeding, time.Time{})
	}
	waitPolled(t, "the direct console", direct, succeeding, time.Time{})

	// While the figures move: the same rates, shares and means over the last 30 s.
	for k, eng := range engines {
		for _, n := range succeeding {
			i, _ := eng.Index(n)
			compareFigures(t, stores[k].name+" "+n, direct.Figures(i, 30*time.Second), eng.Figures(i, 30*time.Second), 0.05)
		}
	}

	// Once they stop, wait until every console's newest poll of every number is one made
	// after, then compare what each prints and shows.
	srv.Freeze()
	frozen := time.Now().Add(2 * time.Second) // a poll in flight at the freeze may still move
	for k, eng := range engines {
		waitPolled(t, stores[k].name, eng, succeeding, frozen)
	}
	waitPolled(t, "the direct console", direct, succeeding, frozen)

	args := []string{"--base-url", srv.URL}
	for _, n := range numbers {
		args = append(args, "--number", n)
	}
	want := onceJSON(t, dir, args...)
	for _, s := range stores {
		got := onceJSON(t, dir, "--prometheus-url", s.base)
		compareOnce(t, s.name, want, got)
	}
	for k, eng := range engines {
		for _, view := range parityViews(eng, numbers) {
			compareScreens(t, stores[k].name+": "+view.name, screen(t, direct, view.keys...), screen(t, eng, view.keys...))
		}
	}
	// The text format was what the proxy's Prometheus got.
	for ct := range text.contentTypes() {
		if !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("the text-format scrape was answered in %q", ct)
		}
	}
}

// copyExample is one of examples/ as a test runs it: scraping every second, with the
// addresses replaced; written to dir too, for the files that load it.
func copyExample(t *testing.T, dir, name string, replace map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("15s", "1s", "10s", "1s").Replace(string(b))
	for old, new := range replace {
		if !strings.Contains(s, old) {
			t.Fatalf("examples/%s has no %s", name, old)
		}
		s = strings.ReplaceAll(s, old, new)
	}
	writeFile(t, filepath.Join(dir, name), s)
	return s
}

// newParityEngine is a console's engine over src, polling every second with two
// minutes of history, started.
func newParityEngine(src source.Source, numbers []string) *monitor.Engine {
	eng := monitor.New(monitor.Config{Source: src, Numbers: numbers, Interval: time.Second, Timeout: 10 * time.Second,
		History: 120, Thresholds: monitor.DefaultThresholds()})
	eng.Start()
	return eng
}

// waitPolled waits until eng has filled its window and holds a poll of each of numbers
// made after since, and three live polls of each.
func waitPolled(t *testing.T, what string, eng *monitor.Engine, numbers []string, since time.Time) {
	t.Helper()
	t.Cleanup(eng.Stop)
	waitFor(t, what+" polls every number", 60*time.Second, func() (bool, error) {
		if eng.Filling() {
			return false, fmt.Errorf("still filling")
		}
		for _, n := range numbers {
			i, _ := eng.Index(n)
			st := eng.Status(i)
			if st.Polls < 3 || st.Err != nil || !st.LastOK.After(since) {
				return false, fmt.Errorf("%s: %d polls, last good one at %v, error %v", n, st.Polls, st.LastOK, st.Err)
			}
		}
		return true, nil
	})
}

// compareFigures holds a store console's figures of a number to the direct one's:
// the queue, pending and the breakdowns' rows and results alike; rates within tol
// (relative), failure shares within a tenth of a point, means within 1%.
func compareFigures(t *testing.T, what string, want, got *monitor.Figures, tol float64) {
	t.Helper()
	near := func(a, b, rel, abs float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) == math.IsNaN(b)
		}
		return math.Abs(a-b) <= abs+rel*math.Max(math.Abs(a), math.Abs(b))
	}
	if !near(want.Queue, got.Queue, 0, 50) {
		t.Errorf("%s: queue %v, want %v", what, got.Queue, want.Queue)
	}
	names := func(vs []monitor.NamedValue) (out []string) {
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return out
	}
	for _, pair := range [][2][]monitor.NamedValue{{want.Pending, got.Pending}, {want.Pipeline, got.Pipeline}, {want.Health, got.Health}} {
		if !slices.Equal(names(pair[0]), names(pair[1])) {
			t.Errorf("%s: %v, want %v", what, names(pair[1]), names(pair[0]))
		}
	}
	for k, v := range want.Pipeline {
		if k < len(got.Pipeline) && !near(v.Value, got.Pipeline[k].Value, tol, 0.5) {
			t.Errorf("%s: %s %v/min, want %v", what, v.Name, got.Pipeline[k].Value, v.Value)
		}
	}
	for _, pair := range [][2]monitor.Breakdown{{want.Callbacks, got.Callbacks}, {want.Requests, got.Requests}} {
		w, g := pair[0], pair[1]
		if w.Metric != g.Metric || !slices.Equal(w.Results, g.Results) || len(w.Rows) != len(g.Rows) {
			t.Errorf("%s: %s %v %d rows, want %s %v %d rows", what, g.Metric, g.Results, len(g.Rows), w.Metric, w.Results, len(w.Rows))
			continue
		}
		if !near(w.Rate, g.Rate, tol, 0.5) || !near(w.FailShare, g.FailShare, 0, 0.001) || !near(w.MeanMs, g.MeanMs, 0.01, 0) {
			t.Errorf("%s: %s %.1f/min, failed %.4f, mean %.1f ms; want %.1f/min, %.4f, %.1f ms",
				what, w.Metric, g.Rate, g.FailShare, g.MeanMs, w.Rate, w.FailShare, w.MeanMs)
		}
		for r, wr := range w.Rows {
			gr := g.Rows[r]
			if wr.Key != gr.Key || !near(wr.Rate, gr.Rate, tol, 0.5) || !near(wr.FailShare, gr.FailShare, 0, 0.001) || !near(wr.MeanMs, gr.MeanMs, 0.01, 0) {
				t.Errorf("%s: row %q %.1f/min, failed %.4f, mean %.1f; want %q %.1f/min, %.4f, %.1f",
					what, gr.Key, gr.Rate, gr.FailShare, gr.MeanMs, wr.Key, wr.Rate, wr.FailShare, wr.MeanMs)
			}
		}
	}
}

// onceLine is a line of --once --json, as far as the comparison goes.
type onceLine struct {
	Number  string   `json:"number"`
	OK      bool     `json:"ok"`
	Level   string   `json:"level"`
	Reasons []string `json:"reasons"`
	Nodes   []string `json:"nodes"`
	Metrics map[string]struct {
		Type    string `json:"type"`
		Help    string `json:"help"`
		Samples []struct {
			Labels map[string]string `json:"labels"`
			Value  *float64          `json:"value"`
		} `json:"samples"`
	} `json:"metrics"`
	Error *struct {
		Kind string `json:"kind"`
	} `json:"error"`
}

// onceJSON runs wamon --once --json with args, as a user would (no config, no key but
// for the API), and returns its lines by number.
func onceJSON(t *testing.T, dir string, args ...string) map[string]onceLine {
	t.Helper()
	cmd := exec.Command(wamonBin, append([]string{"--once", "--json"}, args...)...)
	cmd.Env = cleanEnv(filepath.Join(dir, "elsewhere"), "KALEYRA_API_KEY=e2e-test-key")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 1 { // 1: the WS406 number
		t.Errorf("wamon --once %v: exit %d (%v), want 1\n%s", args, code, err, stderr.String())
	}
	lines := map[string]onceLine{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var l onceLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("wamon --once %v: line %q: %v\n%s", args, line, err, stderr.String())
		}
		lines[l.Number] = l
	}
	return lines
}

// compareOnce holds what --once --json printed through a store to what it printed
// polling the API: every number, its level and reasons, nodes, and every metric with a
// sample (a metric whose every sample the decoder dropped has nothing to store) with its
// type, help and samples; a failed poll's kind and reason.
func compareOnce(t *testing.T, store string, want, got map[string]onceLine) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: --once found %d numbers, want %d", store, len(got), len(want))
	}
	for n, w := range want {
		g, ok := got[n]
		if !ok {
			t.Errorf("%s: --once has no %s", store, n)
			continue
		}
		if g.OK != w.OK || g.Level != w.Level || !slices.Equal(g.Reasons, w.Reasons) || !slices.Equal(g.Nodes, w.Nodes) {
			t.Errorf("%s: %s ok %v level %s reasons %q nodes %q; want %v %s %q %q", store, n, g.OK, g.Level, g.Reasons, g.Nodes, w.OK, w.Level, w.Reasons, w.Nodes)
		}
		if (w.Error == nil) != (g.Error == nil) || w.Error != nil && w.Error.Kind != g.Error.Kind {
			t.Errorf("%s: %s error %+v, want %+v", store, n, g.Error, w.Error)
		}
		samples := func(l onceLine, name string) []string {
			var out []string
			for _, s := range l.Metrics[name].Samples {
				v := "null"
				if s.Value != nil {
					v = strconv.FormatFloat(*s.Value, 'g', -1, 64)
				}
				labels, _ := json.Marshal(s.Labels)
				out = append(out, string(labels)+" "+v)
			}
			sort.Strings(out)
			return out
		}
		for name, wm := range w.Metrics {
			if len(wm.Samples) == 0 {
				continue
			}
			gm, ok := g.Metrics[name]
			if !ok {
				t.Errorf("%s: %s has no %s", store, n, name)
				continue
			}
			if gm.Type != wm.Type || gm.Help != wm.Help {
				t.Errorf("%s: %s %s is %s %q, want %s %q", store, n, name, gm.Type, gm.Help, wm.Type, wm.Help)
			}
			if gs, ws := samples(g, name), samples(w, name); !slices.Equal(gs, ws) {
				t.Errorf("%s: %s %s:\n%s\nwant\n%s", store, n, name, strings.Join(gs, "\n"), strings.Join(ws, "\n"))
			}
		}
		for name := range g.Metrics {
			if _, ok := w.Metrics[name]; !ok {
				t.Errorf("%s: %s has %s, which the API's payload has not", store, n, name)
			}
		}
	}
}

// parityView is a screen to compare and the keys that open it.
type parityView struct {
	name string
	keys []string
}

// parityViews are the main view of every number, the overview, and the requests
// screen of the numbers with API requests.
func parityViews(eng *monitor.Engine, numbers []string) []parityView {
	var out []parityView
	for i, n := range numbers {
		out = append(out, parityView{"main view of " + n, []string{strconv.Itoa(i + 1)}})
		eng.Read(i, func(v *monitor.View) {
			if v.Last != nil && v.Last.Metric("endpoint_requests") != nil {
				out = append(out, parityView{"requests of " + n, []string{strconv.Itoa(i + 1), "R"}})
			}
		})
	}
	return append(out, parityView{"overview, by number", []string{"o", "s"}})
}

// screen is what a console over eng shows at 160x48 after keys, as plain text.
func screen(t *testing.T, eng *monitor.Engine, keys ...string) string {
	t.Helper()
	m := ui.New(ui.Options{Engine: eng, Location: time.UTC})
	var model tea.Model = m
	model, _ = model.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for _, k := range keys {
		model, _ = model.Update(tea.KeyPressMsg{Code: []rune(k)[0], Text: k})
	}
	return ansi.Strip(model.View().Content)
}

var (
	duration = regexp.MustCompile(`^<?(\d+[smhd])+$`)                // a state's age, a poll's age
	clock    = regexp.MustCompile(`^\d\d:\d\d(:\d\d)?$`)             // a chart's time label
	rate     = regexp.MustCompile(`^([\d,.]+)([kMG]?)/m(in)?$`)      // a rate
	number   = regexp.MustCompile(`^\(?([\d,.]+)([kMG]?)[%]?[~!]?$`) // a figure
)

// compareScreens holds a store console's screen to the direct one's, the header and
// footer aside (the source's name, the clock): line by line and word by word, but for
// ages, chart times, how many polls a console made, and drawing (the chart, the
// sparklines), which tell when rather than what; rates, and the queue's low, high and
// mean over the window, within 20% (the store's lag moves the window's edges).
func compareScreens(t *testing.T, what, want, got string) {
	t.Helper()
	body := func(s string) []string {
		lines := strings.Split(s, "\n")
		if len(lines) < 5 {
			return lines
		}
		return lines[2 : len(lines)-2]
	}
	wl, gl := body(want), body(got)
	if len(wl) != len(gl) {
		t.Errorf("%s: %d lines, want %d\n%s\nwant\n%s", what, len(gl), len(wl), got, want)
		return
	}
	var rateCol [2]int // the overview's CB/MIN column, once its header is seen
	for k := range wl {
		ww, gw := words(wl[k]), words(gl[k])
		bad := len(ww) != len(gw)
		for i := 0; !bad && i < len(ww); i++ {
			w, g := ww[i], gw[i]
			if w.text == "CB/MIN" {
				rateCol = [2]int{w.from, w.to}
			}
			switch {
			case w.text == g.text:
			case i > 0 && (ww[i-1].text == "avg" || ww[i-1].text == "min" || ww[i-1].text == "max"), w.from < rateCol[1] && w.to > rateCol[0]:
				bad = !within(w.text, g.text, number)
			case i+1 < len(ww) && strings.HasPrefix(ww[i+1].text, "polls"):
				bad = number.FindString(w.text) == "" || number.FindString(g.text) == ""
			default:
				bad = !sameWord(w.text, g.text)
			}
		}
		if bad {
			t.Errorf("%s, line %d:\n%s\nwant\n%s", what, k+3, gl[k], wl[k])
		}
	}
}

// word is a word of a screen's line and the columns it spans.
type word struct {
	text     string
	from, to int
}

// words are a line's words that are text, not drawing (a chart, a sparkline, a box's
// sides, which hold a chart's axis labels) or a chart's time labels.
func words(line string) []word {
	var out []word
	runes := []rune(line)
	for i := 0; i < len(runes); {
		if unicode.IsSpace(runes[i]) {
			i++
			continue
		}
		j := i
		for j < len(runes) && !unicode.IsSpace(runes[j]) {
			j++
		}
		w := string(runes[i:j])
		if !strings.ContainsFunc(w, drawing) && !clock.MatchString(w) {
			out = append(out, word{w, i, j})
		}
		i = j
	}
	return out
}

// drawing is whether r draws: braille, blocks, box lines.
func drawing(r rune) bool {
	return unicode.In(r, unicode.Braille) || r >= 0x2500 && r <= 0x259f
}

// sameWord is whether two words of a screen say the same, as compareScreens means it.
func sameWord(w, g string) bool {
	if w == g {
		return true
	}
	trim := func(s string) string { return strings.TrimRight(s, "▲▼") }
	w, g = trim(w), trim(g)
	return w == g || duration.MatchString(w) && duration.MatchString(g) || within(w, g, rate)
}

// within is whether two words are figures of the form re within 20% of each other.
func within(w, g string, re *regexp.Regexp) bool {
	wm, gm := re.FindStringSubmatch(w), re.FindStringSubmatch(g)
	if wm == nil || gm == nil {
		return false
	}
	value := func(m []string) float64 {
		v, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		return v * map[string]float64{"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m[2]]
	}
	a, b := value(wm), value(gm)
	return math.Abs(a-b) <= 0.2*math.Max(a, b)+0.5
}
