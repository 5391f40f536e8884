package replay

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/source"
)

const shipped = "../examples/demo-recording"

func TestOpenReadsTheSpanNumbersAndSettings(t *testing.T) {
	rec, err := Open(shipped)
	if err != nil {
		t.Fatal(err)
	}
	want0 := time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC)
	if !rec.First.Equal(want0) || rec.Last.Sub(rec.First) < 29*time.Minute || len(rec.Numbers) != 3 ||
		rec.Header.Interval != 5*time.Second || rec.Header.Source != "demo" || rec.Header.Thresholds == nil {
		t.Errorf("recording %v to %v, numbers %v, header %+v", rec.First, rec.Last, rec.Numbers, rec.Header)
	}
}

// until waits for cond, checked on the player's own state, for up to 5 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
	}
}

// Played at max speed the player reaches the end; paused, it seeks back and forth within
// the recording, and the engine stands as it did at the new moment each time.
func TestPlayerPlaysPausesAndSeeks(t *testing.T) {
	rec, err := Open(shipped)
	if err != nil {
		t.Fatal(err)
	}
	clock := &Clock{}
	engine := NewEngine(rec, clock)
	p := NewPlayer(rec, engine, clock, rec.First.Add(10*time.Minute), time.Time{}, Max)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { p.Run(stop); close(done) }()
	defer func() { close(stop); <-done }()

	until(t, "the end", func() bool { return p.State().Ended })
	if !clock.Now().Equal(rec.Last) {
		t.Errorf("at the end the clock reads %v, want %v", clock.Now(), rec.Last)
	}
	newest := func() time.Time { return engine.Status(0).LastPoll }
	if d := rec.Last.Sub(newest()); d < 0 || d > 5*time.Second {
		t.Errorf("at the end the newest poll is %v old", d)
	}
	p.TogglePause()
	p.sync()
	if !p.State().Paused {
		t.Errorf("not paused")
	}

	for _, step := range []struct {
		seek time.Duration
		want time.Time
	}{
		{-10 * time.Minute, rec.Last.Add(-10 * time.Minute)},
		{time.Minute, rec.Last.Add(-9 * time.Minute)},
		{-time.Hour, rec.First},
		{time.Hour, rec.Last},
	} {
		p.Seek(step.seek)
		p.sync()
		if !clock.Now().Equal(step.want) {
			t.Errorf("after seeking %v the clock reads %v, want %v", step.seek, clock.Now(), step.want)
		}
		polled := newest()
		if d := step.want.Sub(polled); d < 0 || d > 5*time.Second {
			t.Errorf("after seeking %v to %v the newest poll is at %v", step.seek, step.want, polled)
		}
		if got := p.State(); got.Ended != step.want.Equal(rec.Last) || !got.Paused {
			t.Errorf("after seeking to %v: %+v", step.want, got)
		}
		// The history holds the window before the moment, and nothing after it.
		var oldest, latest time.Time
		engine.Read(0, func(v *monitor.View) { oldest, latest = v.History.Times() })
		if latest.After(step.want) || step.want.Sub(oldest) > time.Duration(engine.HistoryLen())*engine.Interval() {
			t.Errorf("after seeking to %v the history spans %v to %v", step.want, oldest, latest)
		}
	}
}

func TestParseSpeed(t *testing.T) {
	for in, want := range map[string]Speed{"1": 1, "10": 10, "60": 60, "0.5": 0.5, "max": Max} {
		if got, err := ParseSpeed(in); err != nil || got != want {
			t.Errorf("ParseSpeed(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "-1", "fast", "NaN", "1e9", ""} {
		if _, err := ParseSpeed(in); err == nil {
			t.Errorf("ParseSpeed(%q) accepted", in)
		}
	}
}

// A console paused while it recorded was not stale meanwhile: the replay pauses where the
// recording says, and no number goes STALE over the pause.
func TestReplayKeepsTheRecordedPause(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	w, err := record.Open(record.Options{Dir: dir, Now: func() time.Time { return start }}, record.Header{
		Source: "demo", Numbers: []string{"+1"}, Interval: 5 * time.Second, Timeout: 2 * time.Second, History: 720,
	})
	if err != nil {
		t.Fatal(err)
	}
	poll := func(at time.Time) {
		snap, err := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":1}]}}}}}}`), "+1")
		snap.FetchedAt = at
		w.Poll("+1", snap, err)
	}
	at := start
	for ; at.Before(start.Add(time.Minute)); at = at.Add(5 * time.Second) {
		poll(at)
	}
	w.Event(monitor.Event{At: at, Index: -1, Kind: monitor.EventPause, Reason: "paused"})
	at = at.Add(10 * time.Minute)
	w.Event(monitor.Event{At: at, Index: -1, Kind: monitor.EventPause, Reason: "resumed"})
	for end := at.Add(time.Minute); at.Before(end); at = at.Add(5 * time.Second) {
		poll(at)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := &Clock{}
	engine := NewEngine(rec, clock)
	p := NewPlayer(rec, engine, clock, time.Time{}, time.Time{}, Max)
	p.FileTo(start.Add(6 * time.Minute))
	if !engine.Paused() {
		t.Errorf("in the middle of the recorded pause the replay is not paused")
	}
	p.FileTo(rec.Last)
	for _, ev := range engine.Events(monitor.EventFilter{}) {
		if ev.Kind == monitor.EventState && ev.To == monitor.StateStale {
			t.Errorf("the number went stale in the replay at %v: %s", ev.At, ev.Reason)
		}
	}
	if engine.Paused() {
		t.Errorf("after the recorded resume the replay is paused")
	}
}

// A recording's header sizes the replay's engine: one that asks for absurd settings is
// refused in one line, not obeyed until the process dies.
func TestOpenRefusesAHeaderNoConsoleWouldRun(t *testing.T) {
	numbers := func(n int) []string {
		ns := make([]string, n)
		for i := range ns {
			ns[i] = fmt.Sprintf("+1202%07d", i)
		}
		return ns
	}
	for _, tc := range []struct {
		name string
		h    record.Header
		want string // "" for a header a replay takes
	}{
		{"history", record.Header{Source: "x", Numbers: []string{"+1"}, Interval: 5 * time.Second, History: 4_000_000_000_000_000},
			"the recording's header asks for a history of 4000000000000000 polls (2 to 100000)"},
		{"interval", record.Header{Source: "x", Numbers: []string{"+1"}, Interval: time.Nanosecond, History: 720},
			"the recording's header has a poll interval of 1ns (1s to 24h)"},
		// Numbers and history each within bounds, together 16 GB of times alone.
		{"numbers x history", record.Header{Source: "x", Numbers: numbers(10_000), Interval: 5 * time.Second, History: 100_000},
			"the recording holds 10000 numbers with a history of 100000 polls each: more than a replay holds (20000000 in all)"},
		{"numbers x history at the bound", record.Header{Source: "x", Numbers: numbers(200), Interval: 5 * time.Second, History: 100_000}, ""},
		{"numbers x history past the bound", record.Header{Source: "x", Numbers: numbers(201), Interval: 5 * time.Second, History: 100_000},
			"the recording holds 201 numbers with a history of 100000 polls each: more than a replay holds (20000000 in all)"},
	} {
		dir := t.TempDir()
		w, err := record.Open(record.Options{Dir: dir}, tc.h)
		if err != nil {
			t.Fatal(err)
		}
		snap, perr := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","data":{}}}`), "+1")
		snap.FetchedAt = time.Now()
		w.Poll(tc.h.Numbers[0], snap, perr)
		w.Close()
		_, err = Open(dir)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Open: %v, want the recording", tc.name, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s: Open: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A file that is not a recording is refused in one line that names it and says what it
// is not; of several, the first one's.
func TestOpenNamesWhatIsNotARecording(t *testing.T) {
	var headerless bytes.Buffer
	enc, _ := zstd.NewWriter(&headerless)
	enc.Write([]byte(`{"t":"2026-11-25T21:00:00.000Z","n":"+1","status":200,"raw":{}}` + "\n"))
	enc.Close()
	const a, b = "wamon-20261125T210000.000Z-1.jsonl.zst", "wamon-20261125T220000.000Z-1.jsonl.zst"
	for _, tc := range []struct {
		what  string
		files map[string][]byte
		want  string
	}{
		{"no header", map[string][]byte{a: headerless.Bytes()}, a + ": not a wamon recording (no header)"},
		{"not zstd", map[string][]byte{a: []byte("# notes\n")}, a + ": not a wamon recording (not zstd)"},
		{"two of them", map[string][]byte{a: []byte("# notes\n"), b: headerless.Bytes()},
			"2 files, none of them a wamon recording: " + a + ": not a wamon recording (not zstd)"},
	} {
		dir := t.TempDir()
		for name, content := range tc.files {
			os.WriteFile(filepath.Join(dir, name), content, 0o600)
		}
		if _, err := Open(dir); err == nil || err.Error() != tc.want {
			t.Errorf("%s: Open: %v, want %q", tc.what, err, tc.want)
		}
	}
}

// sync waits until the player's goroutine has done every control asked before it.
func (p *Player) sync() {
	done := make(chan struct{})
	p.ctl <- func() { close(done) }
	<-done
}

func TestChangeSpeedSteps(t *testing.T) {
	rec, err := Open(shipped)
	if err != nil {
		t.Fatal(err)
	}
	clock := &Clock{}
	p := NewPlayer(rec, NewEngine(rec, clock), clock, rec.Last, rec.Last, 7)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { p.Run(stop); close(done) }()
	defer func() { close(stop); <-done }()
	var got []string
	for _, by := range []int{1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1} {
		p.ChangeSpeed(by)
		p.sync()
		got = append(got, p.State().Speed.String())
	}
	want := "[×10 ×30 ×60 ×300 max max ×300 ×60 ×30 ×10 ×5 ×2 ×1 ×1]"
	if fmt.Sprint(got) != want {
		t.Errorf("speeds %v, want %v", got, want)
	}
}
