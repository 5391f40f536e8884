package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wamon/wamon/record"
)

// buildWamon builds the binary into a test directory.
func buildWamon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wamon")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// demoEnv is the environment without an API key or XDG directories of the user's.
func demoEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KALEYRA_API_KEY=") && !strings.HasPrefix(kv, "XDG_") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_STATE_HOME="+filepath.Join(dir, "state"))
}

// startRecording starts wamon serve on the demo, metrics only, recording into rec, and
// waits for it to say it is serving; it returns the process and what it said before.
func startRecording(t *testing.T, bin, dir string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--demo", "--record", "--ssh-listen", "",
		"--metrics-listen", "127.0.0.1:0", "--interval", "1s"}, args...)...)
	cmd.Env = demoEnv(dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	said := make(chan string, 1)
	go func() {
		var b strings.Builder
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
			if strings.Contains(lines.Text(), "metrics on http://") {
				said <- b.String()
				io.Copy(io.Discard, stderr)
				return
			}
		}
		said <- b.String()
	}()
	select {
	case s := <-said:
		if !strings.Contains(s, "metrics on") {
			t.Fatalf("wamon serve did not start:\n%s", s)
		}
		return cmd, s
	case <-time.After(20 * time.Second):
		t.Fatal("wamon serve did not start in 20 s")
	}
	return nil, ""
}

// recordedPolls counts the polls a recording directory reads back, and its warnings.
func recordedPolls(t *testing.T, dir string) (int, []string) {
	t.Helper()
	files, err := record.Segments(dir)
	if err != nil {
		return 0, nil
	}
	r := record.NewReader(files, time.Time{})
	n := 0
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n, r.Warnings()
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Poll != nil {
			n++
		}
	}
}

// waitUntil polls cond every 100 ms for up to limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
	}
}

// kill -9 while recording, then start again: every poll written before the kill is
// reloaded, the torn end is skipped with one notice, and recording goes on in a new
// segment. A directory that cannot be made is a warning, and serving goes on.
func TestRecordingSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs wamon serve for about 15 s")
	}
	bin := buildWamon(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")

	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o600)
	_, said := startRecording(t, bin, dir, "--record-dir", filepath.Join(file, "rec"))
	if !strings.Contains(said, "wamon: warning: not recording: cannot make the recording directory") {
		t.Errorf("an unusable recording directory: %q, want a warning", said)
	}

	first, _ := startRecording(t, bin, dir, "--record-dir", rec)
	// The first lines reach the file at the first flush, 10 s in.
	waitUntil(t, 30*time.Second, "polls on disk", func() bool { n, _ := recordedPolls(t, rec); return n >= 6 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	// Killed, the segment usually ends with its zstd frame unclosed: one warning. Once in
	// 20 runs it read back whole, without one (why is not pinned down); every flushed
	// poll is back either way, which is what is asserted exactly.
	before, killedWarnings := recordedPolls(t, rec)
	torn := len(killedWarnings) == 1 && strings.Contains(killedWarnings[0], "ends mid-record")
	if len(killedWarnings) > 1 || len(killedWarnings) == 1 && !torn {
		t.Errorf("after kill -9: warnings %q, want at most the torn end", killedWarnings)
	}

	log := filepath.Join(dir, "second.log")
	second, _ := startRecording(t, bin, dir, "--record-dir", rec, "--log", log)
	var reloaded, notice string
	waitUntil(t, 20*time.Second, "the reload in the log", func() bool {
		b, _ := os.ReadFile(log)
		for _, line := range bytes.Split(b, []byte("\n")) {
			switch {
			case bytes.Contains(line, []byte(`"msg":"recordings reloaded"`)):
				reloaded = string(line)
			case bytes.Contains(line, []byte(`"kind":"notice"`)):
				notice = string(line)
			}
		}
		return reloaded != ""
	})
	if !strings.Contains(reloaded, `"polls":`+strconv.Itoa(before)+`,`) {
		t.Errorf("reloaded %s, want the %d polls written before the kill", reloaded, before)
	}
	if torn != strings.Contains(notice, "ends mid-record") {
		t.Errorf("notice %q after the reload, the killed segment torn: %v; want a notice exactly when it was", notice, torn)
	}
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()
	files, _ := record.Segments(rec)
	if len(files) != 2 {
		t.Errorf("%d segments, want the killed one and the new one", len(files))
	}
	after, warnings := recordedPolls(t, rec)
	if after <= before || len(warnings) != len(killedWarnings) {
		t.Errorf("%d polls and warnings %q after a clean stop, want more than %d and only what the kill left (%q)", after, warnings, before, killedWarnings)
	}
}

// The console's and serve's engine records through the real client, and the API key is
// in no file of the recording, even from a server that echoes it back in a body and an
// error page. A directory that cannot be made is a warning, and the engine runs.
func TestNewEngineRecordsWithoutTheKey(t *testing.T) {
	const key = "live-KEY-7f3a9c"
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html>bad gateway for api-key %s</html>", r.Header.Get("api-key"))
			return
		}
		fmt.Fprintf(w, `{"RESPONSE":{"code":"WS201","message":"hello %s","data":{"stats":{"app":{"callback_queue_size":{"help":"q","type":"gauge","data":[{"value":3}]}}}}}}`, r.Header.Get("api-key"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := defaultConfig()
	cfg.BaseURL, cfg.APIKey, cfg.Numbers = srv.URL, secret(key), []string{"+12025550100"}
	cfg.Source, cfg.Record, cfg.RecordDir = sourceKaleyra, true, filepath.Join(dir, "rec")
	src, err := newSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	engine, closeRecording, warnings := newEngine(cfg, src, slog.New(slog.DiscardHandler))
	if len(warnings) > 0 {
		t.Fatalf("warnings %q", warnings)
	}
	// Two polls: the answer that echoes the key in its body, then the error page.
	engine.Start()
	<-engine.Filled()
	waitUntil(t, 5*time.Second, "the first poll", func() bool { return engine.Status(0).Polls == 1 })
	// Asked for until it is let through (half an interval after the first).
	waitUntil(t, 5*time.Second, "the second poll", func() bool { engine.PollAll(); return engine.Status(0).Polls == 2 })
	engine.Stop()
	closeRecording()
	if n, _ := recordedPolls(t, cfg.RecordDir); n != 2 {
		t.Errorf("%d polls recorded, want the 2 made", n)
	}
	files, _ := record.Segments(cfg.RecordDir)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		dec, _ := zstd.NewReader(bytes.NewReader(raw))
		plain, err := io.ReadAll(dec)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(plain, []byte(key)) || bytes.Contains(raw, []byte(key)) {
			t.Errorf("%s holds the API key", f)
		}
		if !bytes.Contains(plain, []byte("[redacted]")) {
			t.Errorf("%s: the echoed key is not marked as redacted", f)
		}
	}

	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o600)
	cfg.RecordDir = filepath.Join(file, "rec")
	engine, closeRecording, warnings = newEngine(cfg, src, slog.New(slog.DiscardHandler))
	defer closeRecording()
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "not recording: cannot make the recording directory") {
		t.Errorf("warnings %q, want one saying why there is no recording", warnings)
	}
	engine.Start()
	<-engine.Filled()
	engine.PollAll()
	engine.WaitIdle()
	if st := engine.Status(0); st.Polls != 1 {
		t.Errorf("the engine without a recording polled %d times", st.Polls)
	}
	engine.Stop()
}

// A console whose tmux pane goes away (a hangup) stops as q stops it: its recording is
// closed whole, not torn.
func TestConsoleClosesItsRecordingOnHangup(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := buildWamon(t)
	rec := filepath.Join(t.TempDir(), "rec")
	p := newPane(t, "80", "24", "env -u NO_COLOR TERM=screen "+bin+" --demo --record --record-dir "+rec+" --interval 1s")
	p.waitFor("start", "callback queue")
	time.Sleep(1500 * time.Millisecond) // a few polls, not yet flushed
	p.tmux("kill-server")
	waitUntil(t, 10*time.Second, "a whole recording of 3 polls or more", func() bool {
		n, warnings := recordedPolls(t, rec)
		return n >= 3 && len(warnings) == 0
	})
}
