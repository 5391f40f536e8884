package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wamon/wamon/internal/tmuxtest"
)

// A console reading a store that does not answer opens at once on a screen saying whom
// it waits for and for how long, says the failure when its time is up, asks again, and
// opens on the numbers once the store answers: never a blank screen.
func TestConsoleWaitsForAStoreThatHangs(t *testing.T) {
	var answer atomic.Bool
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The form first: until it is read, the server cannot notice the client going.
		r.ParseForm()
		if !answer.Load() {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		q := r.Form.Get("query")
		switch {
		case strings.HasPrefix(q, "count(count by"):
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}`)
		case strings.HasPrefix(q, "count by"):
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"number":"+12025550100"},"value":[1,"1"]}]}}`)
		default:
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		}
	}))
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	dir := t.TempDir()
	cfg := dir + "/config.toml"
	writeFile(t, cfg, fmt.Sprintf("source = \"prometheus\"\nprometheus_url = %q\ntimeout = \"2s\"\ninterval = \"3s\"\n", srv.URL))

	x := tmuxtest.New(t)
	env := strings.Join(quoteEach(cleanEnv(dir, "TERM=screen")), " ")
	x.Start("w", 100, 30, "env -i "+env+" "+wamonBin+" --config "+cfg+"; echo WAMON-EXITED $?; sleep 60")
	first := x.WaitFor("w", "the first screen", 10*time.Second, "waiting for Prometheus at "+srv.URL+" (")
	if !strings.Contains(first, "q quit") {
		t.Errorf("no keys on the first screen:\n%s", first)
	}
	x.WaitFor("w", "the failure, once its time is up", 20*time.Second, "cannot list the numbers: timeout: no complete response within 2s")
	answer.Store(true)
	x.WaitFor("w", "the console, once the store answers", 20*time.Second, "+12025550100")
	x.Keys("w", "q")
	// It quits in well under a second; the bound only keeps a broken run from hanging.
	// The shell says the status once wamon's last bytes are out, and keeps the pane open
	// while it is read: tmux's own "Pane is dead" line raced those bytes (it was hidden
	// when they left the alternate screen after it, or scrolled the echo away).
	x.WaitFor("w", "the console quits", time.Minute, "WAMON-EXITED 0")
}

// quoteEach quotes each word for a shell.
func quoteEach(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return out
}
