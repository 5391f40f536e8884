package e2e

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wamon/wamon/internal/recordtest"
	"github.com/wamon/wamon/internal/wait"
	"github.com/wamon/wamon/record"
)

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

// kill -9 while recording, then start again: every poll written before the kill is
// reloaded, the torn end is skipped with one notice, and recording goes on in a new
// segment. A directory that cannot be made is a warning, and serving goes on.
func TestRecordingSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs wamon serve for about 15 s")
	}
	bin := wamonBin
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
	wait.Until(t, "polls on disk", 30*time.Second, func() bool { n, _ := recordtest.Polls(t, rec); return n >= 6 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	// Killed, the segment usually ends with its zstd frame unclosed: one warning. Once in
	// 20 runs it read back whole, without one (why is not pinned down); every flushed
	// poll is back either way, which is what is asserted exactly.
	before, killedWarnings := recordtest.Polls(t, rec)
	torn := len(killedWarnings) == 1 && strings.Contains(killedWarnings[0], "ends mid-record")
	if len(killedWarnings) > 1 || len(killedWarnings) == 1 && !torn {
		t.Errorf("after kill -9: warnings %q, want at most the torn end", killedWarnings)
	}

	log := filepath.Join(dir, "second.log")
	second, _ := startRecording(t, bin, dir, "--record-dir", rec, "--log", log)
	var reloaded, notice string
	wait.Until(t, "the reload in the log", 20*time.Second, func() bool {
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
	after, warnings := recordtest.Polls(t, rec)
	if after <= before || len(warnings) != len(killedWarnings) {
		t.Errorf("%d polls and warnings %q after a clean stop, want more than %d and only what the kill left (%q)", after, warnings, before, killedWarnings)
	}
}

// A console whose tmux pane goes away (a hangup) stops as q stops it: its recording is
// closed whole, not torn.
func TestConsoleClosesItsRecordingOnHangup(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := wamonBin
	rec := filepath.Join(t.TempDir(), "rec")
	p := newPane(t, "80", "24", "env -u NO_COLOR TERM=screen "+bin+" --demo --record --record-dir "+rec+" --interval 1s")
	p.waitFor("start", "callback queue")
	time.Sleep(1500 * time.Millisecond) // a few polls, not yet flushed
	p.tmux("kill-server")
	wait.Until(t, "a whole recording of 3 polls or more", 10*time.Second, func() bool {
		n, warnings := recordtest.Polls(t, rec)
		return n >= 3 && len(warnings) == 0
	})
}
