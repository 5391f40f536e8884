package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileStore answers the Prometheus query API as a store too big or too broken for
// wamon would: every query with count series of the number asked for, or with count
// numbers; a body of size bytes; or nothing at all.
func hostileStore(t *testing.T, mode string, count, size int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		q := r.Form.Get("query")
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case "hang":
			<-r.Context().Done() // the form is read: the server sees the client go
			return
		case "size":
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[`))
			chunk := bytes.Repeat([]byte(`{"metric":{"__name__":"wamon_up","number":"+12025550100"},"value":[1,"1"]},`), 1000)
			for sent := 0; sent < size; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			w.Write([]byte(`{"metric":{},"value":[1,"1"]}]}}`))
			return
		}
		if strings.HasPrefix(q, "count(count by") {
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"%d"]}]}}`, count)
			return
		}
		typ, value := "vector", `"value":[1,"1"]`
		if r.URL.Path == "/api/v1/query_range" {
			typ, value = "matrix", `"values":[[1,"1"]]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"%s","result":[`, typ)
		for i := range count {
			if i > 0 {
				w.Write([]byte{','})
			}
			if mode == "numbers" {
				fmt.Fprintf(w, `{"metric":{"number":"+1202%07d"},%s}`, i, value)
			} else {
				fmt.Fprintf(w, `{"metric":{"__name__":"whatsapp_x","number":"+12025550100","i":"%d"},%s}`, i, value)
			}
		}
		w.Write([]byte(`]}}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Against a store answering 100,000 series for a number, 100,000 numbers, 50 MB, or
// nothing, wamon --once answers with one line, within its timeout, and never holds more
// than 300 MiB.
func TestOnceAgainstAHostileStore(t *testing.T) {
	for _, tt := range []struct {
		name, mode  string
		count, size int
		number      bool
		want        string
	}{
		{"100k series", "series", 100000, 0, true, "response body over the 8 MiB cap"},
		{"60k series", "series", 60000, 0, true, "prometheus answered 60,000 series of +12025550100, over the 10,000 wamon reads"},
		{"100k numbers", "numbers", 100000, 0, false, "prometheus answered 100,000 numbers, over the 1,000 wamon reads"},
		{"50 MB", "size", 0, 50 << 20, true, "response body over the 8 MiB cap"},
		{"50 MB listing numbers", "size", 0, 50 << 20, false, "response body over the 8 MiB cap"},
		{"hang", "hang", 0, 0, true, "timeout: no complete response within 3s"},
		{"hang listing numbers", "hang", 0, 0, false, "timeout: no complete response within 3s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			url := hostileStore(t, tt.mode, tt.count, tt.size)
			cfg := filepath.Join(dir, "config.toml")
			writeFile(t, cfg, fmt.Sprintf("source = \"prometheus\"\nprometheus_url = %q\ntimeout = \"3s\"\n", url))
			args := []string{"--once", "--config", cfg}
			if tt.number {
				args = append(args, "--number", "+12025550100")
			}
			cmd := exec.Command(wamonBin, args...)
			cmd.Env = cleanEnv(dir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(2 * time.Minute): // far past the 3 s timeout: only a hang ends here
				cmd.Process.Kill()
				<-done
				t.Fatalf("wamon --once still running after 2 minutes")
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			out := strings.TrimSpace(stdout.String() + stderr.String())
			lines := strings.Split(out, "\n")
			if !strings.Contains(out, tt.want) || tt.number && len(lines) != 2 || !tt.number && len(lines) != 1 {
				t.Errorf("said (want %q in one line, under the table's head when polled):\n%s", tt.want, out)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("peak resident %.1f MiB", float64(rss)/(1<<20))
			if rss > 300<<20 {
				t.Errorf("peak resident %.1f MiB, over 300 MiB", float64(rss)/(1<<20))
			}
		})
	}
}
