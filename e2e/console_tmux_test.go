package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The console as a person uses it: the real binary in a tmux pane, every key of the
// help typed, the pane read back. Skipped where tmux is absent; CI installs it.
func TestConsoleInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	bin := wamonBin
	for _, size := range [][2]string{{"80", "24"}, {"160", "48"}} {
		t.Run(size[0]+"x"+size[1], func(t *testing.T) {
			work := t.TempDir() // ctrl+s saves the screen here
			// TERM=screen without -256color and no locale: the case where colour detection
			// fails and an SSH session forwarded no LANG.
			cmd := "cd " + work + " && env -u NO_COLOR -u KALEYRA_API_KEY -u LANG -u LC_ALL -u LC_CTYPE TERM=screen XDG_CONFIG_HOME=" + t.TempDir() +
				" " + bin + " --interval 1s --log " + filepath.Join(dir, "log") + "; echo WAMON-EXITED $?; sleep 30"
			p := newPane(t, size[0], size[1], cmd)
			tmux, screen, waitFor, session := p.tmux, p.screen, p.waitFor, p.session
			keys := func(k ...string) { tmux(append([]string{"send-keys", "-t", session}, k...)...) }
			// Typed in one go, as a held key or SSH delivers them: one message of runes.
			burst := func(s string) { tmux("send-keys", "-t", session, "-l", s) }

			s := waitFor("start", "callback queue", "callbacks by type", "OK")
			for i, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
				if w := len([]rune(line)); w > atoi(size[0]) {
					t.Errorf("line %d is %d wide", i+1, w)
				}
			}
			// No locale, TERM=screen: Unicode all the same.
			if !strings.Contains(s, "╭") || strings.Contains(s, "+---") {
				t.Errorf("no locale drew ASCII boxes:\n%s", s)
			}
			// The chart moves: two captures a few polls apart differ.
			first := screen()
			time.Sleep(2500 * time.Millisecond)
			if screen() == first {
				t.Error("the screen did not change in 2.5 s of 1 s polls")
			}

			// Numbers: tab, shift+tab, a digit.
			keys("Tab")
			waitFor("tab", "[2 ")
			keys("BTab")
			waitFor("shift+tab", "[1 ")
			keys("3")
			waitFor("number 3", "[3 ")
			keys("1")
			waitFor("number 1", "[1 ")

			// The counter table: sort, filter, move, open.
			keys("s")
			waitFor("sort", "sort total")
			keys("s", "s", "s")
			waitFor("sort back", "sort type")
			burst("/stat")
			waitFor("filter typed", "/stat")
			keys("Enter")
			waitFor("filter kept", "filter /stat")
			keys("Escape")
			waitFor("filter cleared", "inbound_message", "status_change")
			// Sorted by type, the demo's two rows: inbound_message, then status_change.
			for _, step := range []struct{ key, row string }{
				{"G", "status_change"}, {"g", "inbound_message"}, {"Down", "status_change"}, {"Up", "inbound_message"},
				{"j", "status_change"}, {"k", "inbound_message"},
			} {
				keys(step.key)
				waitFor(step.key+": the cursor on "+step.row, "▸ "+step.row)
			}
			burst("jj") // the second j is past the last row: the cursor stays there
			waitFor("jj: the cursor on the last row", "▸ status_change")
			keys("Enter")
			waitFor("counter detail", "callbacks of type status_change")
			keys("Escape")
			waitFor("back", "callbacks by type")

			// The fleet: open, page, move, open a number.
			keys("o")
			waitFor("overview", "fleet", "3 numbers")
			// Worst first, rows move as states change: by number they stay in place, and
			// the cursor is checked by its row's place.
			keys("s")
			waitFor("overview sorted by number", "sort number")
			for _, step := range []struct {
				key string
				row int
			}{{"NPage", 2}, {"PPage", 0}, {"G", 2}, {"k", 1}, {"g", 0}, {"j", 1}, {"Up", 0}} {
				keys(step.key)
				waitCursor(t, p, step.key, step.row)
			}
			keys("r") // polls every number now: not seen at 1 s polls (TestKeyRefreshPollsNow checks it)
			keys("Enter")
			waitFor("open a number", "callback queue")

			// The number, a metric, the raw payload.
			keys("i")
			waitFor("number detail", "metrics (15)", "latency")
			burst("jj")
			keys("Enter")
			waitFor("metric detail", "LABELS")
			// A key right after esc would arrive as alt+key: wait for each screen first,
			// as a person does.
			keys("Escape")
			waitFor("back to the number", "metrics (15)")
			keys("v")
			waitFor("raw", "raw payload of", `"code"`)
			keys("NPage")
			waitFor("raw paged", "raw payload of")
			keys("Escape")
			waitFor("back to the number", "metrics (15)")
			keys("Escape")
			waitFor("back to main", "callbacks by type")

			// Triage: the events, the API requests, a multiconnect number's nodes, a copy.
			keys("e")
			waitFor("events", "events · newest first", "first answer")
			keys("w")
			waitFor("events: warnings", "warnings and worse")
			keys("Escape")
			waitFor("back from the events", "callbacks by type")
			keys("R")
			waitFor("requests", "API requests of", "ENDPOINT")
			keys("Escape")
			waitFor("back from the requests", "callbacks by type")
			keys("2")
			waitFor("number 2", "[2 ")
			keys("n")
			waitFor("nodes split", "nodes split")
			keys("n", "n")
			waitFor("back to the sum", "callbacks by type")
			keys("1")
			waitFor("number 1", "[1 ")
			keys("y")
			waitFor("copy", "copied: wamon: +12025550100")

			// The mouse, as the terminal reports it (SGR reports typed into the pane): a
			// tab, a row and a second click on it, the wheel on the fleet, footer keys.
			if !p.x.MouseReports(session) {
				t.Error("the console did not ask the terminal for mouse reports")
			}
			p.x.ClickOn(session, "│ 3 ", 1)
			waitFor("click on tab 3", "[3 ")
			p.x.ClickOn(session, "status_change", 3)
			waitFor("click on a row", "▸ status_change")
			p.x.ClickOn(session, "status_change", 3)
			waitFor("a second click on the row", "callbacks of type status_change")
			keys("Escape")
			waitFor("back", "callbacks by type")
			// The fleet opens sorted worst first, where rows move as states change: by
			// number they stay in place. A notch of the wheel moves a list's cursor a row.
			keys("o")
			waitFor("overview", "fleet", "sort worst")
			keys("s")
			waitFor("overview sorted by number", "sort number")
			keys("g")
			waitCursor(t, p, "the overview's top", 0)
			p.x.Wheel(session, 20, 6, true)
			waitCursor(t, p, "a notch of the wheel down", 1)
			p.x.Wheel(session, 20, 6, true)
			waitCursor(t, p, "another notch down", 2)
			p.x.Wheel(session, 20, 6, false)
			waitCursor(t, p, "a notch up", 1)
			_, y := p.x.Find(session, "+12025550100", 3)
			p.x.Click(session, 10, y)
			waitCursor(t, p, "click on number 1's row", 0)
			_, y = p.x.Find(session, "+12025550101", 3)
			p.x.Click(session, 10, y)
			waitCursor(t, p, "click on number 2's row", 1)
			p.x.Click(session, 10, y)
			waitFor("a second click opens number 2", "[2 ", "callback queue")
			h := atoi(size[1])
			p.x.ClickOn(session, "? all keys", h-1)
			waitFor("a click on the footer's ?", "Keys", "save screen")
			p.x.ClickOn(session, "esc close", h-1)
			waitFor("a click on the footer's esc", "callbacks by type")
			keys("1")
			waitFor("number 1", "[1 ")

			keys("?")
			waitFor("help", "Keys", "save screen", "glyphs: Unicode (no locale set")
			keys("?")
			waitFor("help closed", "callbacks by type")
			keys("p")
			waitFor("pause", "PAUSED")
			keys("p")
			waitPane(t, p, "resume", func(s string) bool { return !strings.Contains(s, "PAUSED") })
			// 720 polls at 1 s hold 12 minutes: - skips 15m and 1h, which it cannot fill.
			keys("-")
			waitFor("zoom", "window all")
			keys("+")
			waitFor("zoom back", "window 5m")
			keys("r")
			keys("C-s")
			waitFor("save", "screen saved to "+work)
			if saved, _ := filepath.Glob(filepath.Join(work, "wamon-screen-*.txt")); len(saved) != 1 {
				t.Errorf("ctrl+s saved %v", saved)
			}
			keys("q")
			waitFor("quit", "WAMON-EXITED 0")
			if log, _ := os.ReadFile(filepath.Join(dir, "log")); len(log) == 0 {
				t.Error("--log wrote nothing")
			}
		})
	}
}

// waitPane waits for the pane to satisfy ok; the minute only keeps a broken run from
// hanging.
func waitPane(t *testing.T, p *pane, what string, ok func(screen string) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s := p.screen()
		if ok(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in a minute:\n%s", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitCursor waits for the overview's cursor to be on its row-th row (of the three
// numbers' rows, top first).
func waitCursor(t *testing.T, p *pane, what string, row int) {
	t.Helper()
	waitPane(t, p, what+": the overview's cursor on row "+strconv.Itoa(row), func(s string) bool {
		var rows []string
		for _, l := range strings.Split(s, "\n") {
			if (strings.HasPrefix(l, "│▸ ") || strings.HasPrefix(l, "│  ")) && strings.Contains(l, "+1202555010") {
				rows = append(rows, l)
			}
		}
		return len(rows) == 3 && strings.HasPrefix(rows[row], "│▸ ")
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
