package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/replay"
	"github.com/wamon/wamon/source"
)

// demoRecording is the recording that ships in examples/: 30 minutes of the demo's three
// numbers, polled at 5 s by the real engine on a manual clock from demoStart, events and
// all. `go test ./cli/ -run TestDemoRecording -update` makes it again.
const demoRecording = "../examples/demo-recording"

// demoStart is when the shipped recording starts.
var demoStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func TestDemoRecording(t *testing.T) {
	if updating() {
		os.RemoveAll(demoRecording)
		clock := monitor.NewManualClock(demoStart)
		numbers := source.DemoNumbers()
		demo := source.NewDemo(source.DemoOptions{Seed: 1, Numbers: numbers, Now: clock.Now})
		var engine *monitor.Engine
		w, err := record.Open(record.Options{Dir: demoRecording, Now: clock.Now}, record.Header{
			Source: demo.Name(), Numbers: numbers, Interval: 5 * time.Second, Timeout: 2 * time.Second,
			History: monitor.DefaultHistory, Thresholds: monitor.DefaultThresholds(),
		})
		if err != nil {
			t.Fatal(err)
		}
		engine = monitor.New(monitor.Config{Source: demo, Numbers: numbers, Interval: 5 * time.Second,
			Timeout: 2 * time.Second, Thresholds: monitor.DefaultThresholds(), Clock: clock, Recorder: w,
			Jitter: func() float64 { return 0.5 }})
		engine.Start()
		for range 30 * 60 {
			clock.Advance(time.Second)
			engine.WaitIdle()
		}
		engine.Stop()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := replay.Open(demoRecording)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, f := range rec.Files {
		fi, _ := os.Stat(f)
		size += fi.Size()
	}
	t.Logf("%d segments, %d bytes, %v to %v", len(rec.Files), size, rec.First, rec.Last)
	if size > 300<<10 || len(rec.Warnings) > 0 || len(rec.Numbers) != 3 || rec.Last.Sub(rec.First) < 29*time.Minute {
		t.Errorf("the shipped recording: %d bytes, warnings %q, numbers %v, %v to %v", size, rec.Warnings, rec.Numbers, rec.First, rec.Last)
	}
}

// wamon replay --once prints the numbers as they stood at --to, as --once prints a poll.
func TestReplayOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		golden string
		code   int
	}{
		{"table at the end", []string{"--once", demoRecording}, "replay-once.golden", ExitOK},
		{"JSON ten minutes before the end", []string{demoRecording, "--once", "--json", "--to", "10m"}, "replay-once.jsonl.golden", ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := Run(append([]string{"replay"}, tc.args...), Env{Getenv: noEnv, Stdout: &stdout, Stderr: &stderr})
			if code != tc.code || stderr.Len() > 0 {
				t.Errorf("exit %d, stderr %q; want %d and nothing", code, stderr.String(), tc.code)
			}
			path := filepath.Join("testdata", tc.golden)
			if updating() {
				os.WriteFile(path, []byte(stdout.String()), 0o644)
			}
			want, _ := os.ReadFile(path)
			if stdout.String() != string(want) {
				t.Errorf("output differs from %s:\n%s", path, stdout.String())
			}
		})
	}
}

func TestReplayCommandLine(t *testing.T) {
	// README.md under a segment's name: not a recording, and said so.
	notRecording := t.TempDir()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(notRecording, "wamon-20261125T210000.000Z-1.jsonl.zst"), readme, 0o600)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{

		{[]string{"--json", demoRecording}, ExitUsage, "wamon: --json needs --once\n"},
		{[]string{"--speed", "0", demoRecording}, ExitUsage, "wamon: --speed: \"0\": want a factor such as 1, 10 or 60, or max\n"},
		{[]string{"--once", "--from", "yesterday", demoRecording}, ExitUsage, "wamon: --from: \"yesterday\" is not a time (2026-11-25T16:30:00Z, \"2026-11-25 16:30\", 16:30) or a duration before the end (10m)\n"},
		{[]string{"--once", "--from", "5m", "--to", "10m", demoRecording}, ExitUsage, "wamon: --to 2026-11-24T10:19:59Z is before --from 2026-11-24T10:24:59Z\n"},
		// Past either end, with nothing said of the other: what is wrong is the one given.
		{[]string{"--once", "--to", "10h", demoRecording}, ExitUsage, "wamon: --to: \"10h\" is 2026-11-24T00:29:59Z, before the recording starts (2026-11-24T10:00:01Z)\n"},
		{[]string{"--once", "--from", "2026-11-25T08:00:00Z", demoRecording}, ExitUsage, "wamon: --from: \"2026-11-25T08:00:00Z\" is 2026-11-25T08:00:00Z, after the recording ends (2026-11-24T10:29:59Z)\n"},
		{[]string{"--once", filepath.Join(demoRecording, "nothing-here")}, ExitFailed, "wamon: replay: stat ../examples/demo-recording/nothing-here: no such file or directory\n"},
		{[]string{"--once", onceData}, ExitFailed, "wamon: replay: no recording in [" + onceData + "] (segments are named wamon-*.jsonl.zst)\n"},
		{[]string{"--once", notRecording}, ExitFailed, "wamon: replay: wamon-20261125T210000.000Z-1.jsonl.zst: not a wamon recording (not zstd)\n"},
	} {
		var stdout, stderr strings.Builder
		code := Run(append([]string{"replay"}, tc.args...), Env{Getenv: noEnv, Stdout: &stdout, Stderr: &stderr})
		if code != tc.code || stderr.String() != tc.err {
			t.Errorf("replay %q: exit %d, %q; want %d, %q", tc.args, code, stderr.String(), tc.code, tc.err)
		}
	}
	// Without a path: the default recording directory, under XDG_STATE_HOME.
	state := t.TempDir()
	var out, errs strings.Builder
	env := func(k string) string { return map[string]string{"XDG_STATE_HOME": state, "HOME": "/nonexistent"}[k] }
	if code := Run([]string{"replay", "--once"}, Env{Getenv: env, Stdout: &out, Stderr: &errs}); code != ExitFailed ||
		errs.String() != "wamon: replay: stat "+filepath.Join(state, "wamon", "recordings")+": no such file or directory\n" {
		t.Errorf("replay without a path: %d, %q", code, errs.String())
	}
	os.MkdirAll(filepath.Join(state, "wamon", "recordings"), 0o700)
	seg, _ := os.ReadFile(filepath.Join(demoRecording, mustOne(t, demoRecording)))
	os.WriteFile(filepath.Join(state, "wamon", "recordings", mustOne(t, demoRecording)), seg, 0o600)
	out.Reset()
	errs.Reset()
	if code := Run([]string{"replay", "--once"}, Env{Getenv: env, Stdout: &out, Stderr: &errs}); code != ExitOK || !strings.Contains(out.String(), "+12025550102") {
		t.Errorf("replay of the default directory: %d, %q\n%s", code, errs.String(), out.String())
	}
	var stdout strings.Builder
	if code := Run([]string{"replay", "--help"}, Env{Getenv: noEnv, Stdout: &stdout, Stderr: &stdout}); code != ExitOK ||
		!strings.Contains(stdout.String(), "Usage: wamon replay [flags] [PATH...]") || !strings.Contains(stdout.String(), "--speed FACTOR") {
		t.Errorf("replay --help: %d\n%s", code, stdout.String())
	}
}

// noEnv is an environment with nothing in it.
func noEnv(string) string { return "" }

// mustOne is the name of the one file in dir.
func mustOne(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("%s: %v, %v", dir, entries, err)
	}
	return entries[0].Name()
}
