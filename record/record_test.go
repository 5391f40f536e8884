package record

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

var t0 = time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)

// fakeNow is a clock the tests move by hand (the writer's goroutine reads it).
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeNow) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeNow) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// outcome is one poll as a source gave it.
type outcome struct {
	number string
	snap   source.Snapshot
	err    error
}

// realOutcomes are polls of every shape a recording must keep: the demo's payloads
// (one number multiconnect, one failing with WS500), a proxy's 502 page, a body that is
// not UTF-8, a timeout and a body over the cap, 5 s apart.
func realOutcomes(t testing.TB, rounds int) []outcome {
	t.Helper()
	clock := &fakeNow{t: t0}
	demo := source.NewDemo(source.DemoOptions{Seed: 7, Now: clock.now})
	var outs []outcome
	for k := range rounds {
		for _, n := range source.DemoNumbers() {
			snap, err := source.Poll(context.Background(), demo, n, 0, clock.now)
			outs = append(outs, outcome{n, snap, err})
		}
		switch k {
		case 1:
			snap, err := source.Interpret(502, []byte("<html><title>502 Bad Gateway</title></html>"), "+12025550199")
			snap.FetchedAt, snap.Latency = clock.t, 40*time.Millisecond
			outs = append(outs, outcome{"+12025550199", snap, err})
		case 2:
			snap, err := source.Interpret(200, []byte("{\"RESPONSE\":{\"code\":\"WS201\",\"message\":\"caf\xe9\",\"data\":{}}}"), "+12025550199")
			snap.FetchedAt = clock.t
			outs = append(outs, outcome{"+12025550199", snap, err})
		case 3:
			outs = append(outs, outcome{"+12025550199", source.Snapshot{FetchedAt: clock.t, Latency: 10 * time.Second},
				&source.TransportError{Kind: source.Timeout, Detail: "no response within 10s", Timeout: 10 * time.Second}})
		case 4:
			outs = append(outs, outcome{"+12025550199", source.Snapshot{FetchedAt: clock.t, Latency: time.Second},
				&source.TooLargeError{Limit: 8 << 20}})
		}
		clock.t = clock.t.Add(5 * time.Second)
	}
	return outs
}

func header() Header {
	return Header{Source: "demo", Numbers: append(source.DemoNumbers(), "+12025550199"), Interval: 5 * time.Second,
		Timeout: 10 * time.Second, History: 720, Thresholds: monitor.DefaultThresholds()}
}

// record writes outs and events through a Writer into dir, with the clock at each poll.
func record(t testing.TB, dir string, outs []outcome, opts Options) {
	t.Helper()
	clock := &fakeNow{t: t0}
	opts.Dir, opts.Now = dir, clock.now
	w, err := Open(opts, header())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		clock.set(o.snap.FetchedAt)
		w.Poll(o.number, o.snap, o.err)
		if o.err != nil {
			w.Event(monitor.Event{At: o.snap.FetchedAt, Number: o.number, Kind: monitor.EventState,
				From: monitor.StateOK, To: monitor.StateError, Lasted: 95 * time.Second, Reason: source.Reason(o.err)})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t testing.TB, r *Reader) []Entry {
	t.Helper()
	var out []Entry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

// same says whether two outcomes tell the same story: the same error in kind, reason and
// line, the same payload decoded.
func same(t *testing.T, what string, want outcome, snap source.Snapshot, err error) {
	t.Helper()
	if source.ErrorKind(err) != source.ErrorKind(want.err) || source.Reason(err) != source.Reason(want.err) ||
		(err == nil) != (want.err == nil) || err != nil && err.Error() != want.err.Error() {
		t.Errorf("%s: error %v (%s, %s), want %v (%s, %s)", what, err, source.ErrorKind(err), source.Reason(err),
			want.err, source.ErrorKind(want.err), source.Reason(want.err))
	}
	if !snap.FetchedAt.Equal(want.snap.FetchedAt.Truncate(time.Millisecond)) || snap.Latency.Round(time.Millisecond) != want.snap.Latency.Round(time.Millisecond) {
		t.Errorf("%s: at %v after %v, want %v after %v", what, snap.FetchedAt, snap.Latency, want.snap.FetchedAt, want.snap.Latency)
	}
	if !bytes.Equal(snap.Raw, want.snap.Raw) {
		t.Errorf("%s: body %q, want %q", what, source.Truncate(string(snap.Raw), 80), source.Truncate(string(want.snap.Raw), 80))
	}
	if !reflect.DeepEqual(snap.Metrics, want.snap.Metrics) || !reflect.DeepEqual(snap.Nodes, want.snap.Nodes) ||
		!reflect.DeepEqual(snap.Warnings, want.snap.Warnings) || snap.Code != want.snap.Code {
		t.Errorf("%s: decoded payload differs (code %q, %d metrics, %d nodes; want %q, %d, %d)", what,
			snap.Code, len(snap.Metrics), len(snap.Nodes), want.snap.Code, len(want.snap.Metrics), len(want.snap.Nodes))
	}
}

func TestRecordReadsBackEveryKindOfPoll(t *testing.T) {
	dir := t.TempDir()
	outs := realOutcomes(t, 6)
	record(t, dir, outs, Options{})
	files, err := Segments(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("segments %v, %v", files, err)
	}
	r := NewReader(files, time.Time{})
	entries := readAll(t, r)
	if len(r.Warnings()) > 0 {
		t.Errorf("warnings: %q", r.Warnings())
	}
	h := r.Header()
	if h == nil || h.Source != "demo" || h.Interval != 5*time.Second || h.History != 720 ||
		!reflect.DeepEqual(h.Thresholds, monitor.DefaultThresholds()) || len(h.Numbers) != 4 {
		t.Errorf("header %+v", h)
	}
	var polls []Entry
	events := 0
	for _, e := range entries {
		switch {
		case e.Poll != nil:
			polls = append(polls, e)
		case e.Event != nil:
			events++
			if e.Event.Kind != monitor.EventState || e.Event.To != monitor.StateError || e.Event.Lasted != 95*time.Second {
				t.Errorf("event %+v", e.Event)
			}
		}
	}
	if len(polls) != len(outs) {
		t.Fatalf("%d polls read back, want %d", len(polls), len(outs))
	}
	errs := 0
	for k, e := range polls {
		want := outs[k]
		if e.Number != want.number {
			t.Fatalf("poll %d is of %s, want %s", k, e.Number, want.number)
		}
		snap, err := e.Poll.Outcome(e.Number, e.At)
		same(t, "poll "+want.number+" at "+e.At.Format("15:04:05"), want, snap, err)
		if err != nil {
			errs++
		}
	}
	failed := 0
	for _, o := range outs {
		if o.err != nil {
			failed++
		}
	}
	if errs != failed || events != failed || failed < 3 {
		t.Errorf("%d failed polls and %d events read back, want %d of each", errs, events, failed)
	}
}

func TestRecordFilesArePrivate(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "rec")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	record(t, dir, realOutcomes(t, 1), Options{})
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory %v, %v: want 0700", fi.Mode().Perm(), err)
	}
	files, _ := Segments(dir)
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v: want 0600", f, fi.Mode().Perm(), err)
		}
	}
	if len(files) != 1 {
		t.Errorf("%d segments", len(files))
	}
}

func TestRecordNeverHoldsTheKey(t *testing.T) {
	const key = "k3y-SECRET-0123456789"
	dir := t.TempDir()
	outs := realOutcomes(t, 2)
	// A server that echoes the request's api-key back, in a body and in an error line.
	snap, err := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","message":"hello `+key+`","data":{}}}`), "+12025550199")
	snap.FetchedAt = t0.Add(time.Minute)
	outs = append(outs, outcome{"+12025550199", snap, err},
		outcome{"+12025550199", source.Snapshot{FetchedAt: t0.Add(2 * time.Minute)}, &source.HTTPError{Status: 401, Found: "api-key " + key + " refused"}})
	bin := append([]byte{0xff, 0xfe}, key...)
	snap, err = source.Interpret(500, bin, "+12025550199")
	snap.FetchedAt = t0.Add(3 * time.Minute)
	outs = append(outs, outcome{"+12025550199", snap, err})
	record(t, dir, outs, Options{Secrets: []string{key}})
	files, _ := Segments(dir)
	for _, e := range readAll(t, NewReader(files, time.Time{})) {
		if e.Poll != nil && (bytes.Contains(e.Poll.Body, []byte(key)) || e.Poll.Err != nil && strings.Contains(e.Poll.Err.Line, key)) {
			t.Errorf("a poll of %s reads back with the key", e.Number)
		}
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		dec, _ := zstd.NewReader(bytes.NewReader(raw))
		plain, err := io.ReadAll(dec)
		if err != nil {
			t.Fatal(err)
		}
		for _, hay := range [][]byte{raw, plain} {
			if bytes.Contains(hay, []byte(key)) || bytes.Contains(hay, []byte("SECRET")) {
				t.Errorf("%s holds the key", f)
			}
		}
		if !bytes.Contains(plain, []byte("[redacted]")) {
			t.Errorf("%s: the echoed key was not replaced", f)
		}
	}
}

// TestRecordSurvivesACrashAtAnyByte cuts a segment at every length, as kill -9 may
// leave it, and reads what is left: never an error or a panic, the polls read are the
// first ones written, every poll flushed before the cut is back, and a torn tail is one
// warning.
func TestRecordSurvivesACrashAtAnyByte(t *testing.T) {
	dir := t.TempDir()
	outs := realOutcomes(t, 3)
	h := header()
	h.Started = t0
	seg, err := createSegment(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	var flushedAt []int64 // file size after each poll's flush
	for _, o := range outs {
		b, _ := jsonLine(pollLine(o.number, o.snap, o.err))
		if err := seg.write(b); err != nil {
			t.Fatal(err)
		}
		if err := seg.flush(o.snap.FetchedAt); err != nil {
			t.Fatal(err)
		}
		flushedAt = append(flushedAt, seg.size())
	}
	path := seg.path
	if err := seg.close(); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)
	t.Logf("%d polls in %d bytes", len(outs), len(full))
	cut := filepath.Join(t.TempDir(), filepath.Base(path))
	for n := 0; n <= len(full); n++ {
		if err := os.WriteFile(cut, full[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		r := NewReader([]string{cut}, time.Time{})
		entries := readAll(t, r)
		want := 0
		for want < len(flushedAt) && flushedAt[want] <= int64(n) {
			want++
		}
		if len(entries) < want {
			t.Fatalf("cut at %d of %d bytes: %d polls back, want at least the %d flushed", n, len(full), len(entries), want)
		}
		for k, e := range entries {
			if e.Number != outs[k].number || !e.At.Equal(outs[k].snap.FetchedAt) {
				t.Fatalf("cut at %d: poll %d is %s at %v, want %s at %v", n, k, e.Number, e.At, outs[k].number, outs[k].snap.FetchedAt)
			}
		}
		if len(r.Warnings()) > 1 {
			t.Fatalf("cut at %d: %d warnings, want at most one: %q", n, len(r.Warnings()), r.Warnings())
		}
		if n < len(full) && len(entries) < len(outs) && n > 0 && len(r.Warnings()) != 1 {
			t.Fatalf("cut at %d: a torn tail without its warning", n)
		}
	}
}

func TestRecordReaderMergesWritersInTimeOrder(t *testing.T) {
	dir := t.TempDir()
	outs := realOutcomes(t, 6)
	var a, b []outcome
	for k, o := range outs {
		if k%2 == 0 {
			a = append(a, o)
		} else {
			b = append(b, o)
		}
	}
	record(t, dir, a, Options{})
	// A second process recording beside the first: another name, the same hour.
	h := header()
	h.Started = t0.Add(time.Millisecond)
	seg, err := createSegment(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, strings.Replace(filepath.Base(seg.path), "-"+strconv.Itoa(os.Getpid()), "-999999", 1))
	for _, o := range b {
		l, _ := jsonLine(pollLine(o.number, o.snap, o.err))
		seg.write(l)
	}
	seg.close()
	if err := os.Rename(seg.path, other); err != nil {
		t.Fatal(err)
	}
	files, _ := Segments(dir)
	entries := readAll(t, NewReader(files, time.Time{}))
	var polls []Entry
	for _, e := range entries {
		if e.Poll != nil {
			polls = append(polls, e)
		}
	}
	if len(polls) != len(outs) {
		t.Fatalf("%d polls, want %d", len(polls), len(outs))
	}
	for k := 1; k < len(polls); k++ {
		if polls[k].At.Before(polls[k-1].At) {
			for _, f := range files {
				t.Log(f)
			}
			for _, p := range polls {
				t.Log(p.At, p.Number)
			}
			t.Fatalf("poll %d at %v comes after one at %v", k, polls[k].At, polls[k-1].At)
		}
	}
	// From a time on: nothing before it.
	from := t0.Add(12 * time.Second)
	for _, e := range readAll(t, NewReader(files, from)) {
		if e.At.Before(from) {
			t.Fatalf("an entry at %v, before %v", e.At, from)
		}
	}
}

// A directory that cannot be written is told once (not once a poll), the writer goes on
// taking polls without blocking, and Close says what failed.
func TestRecordWriteFailureIsToldOnce(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "rec")
	var told []error
	var mu sync.Mutex
	clock := &fakeNow{t: t0}
	w, err := Open(Options{Dir: dir, Now: clock.now, OnError: func(err error) {
		mu.Lock()
		told = append(told, err)
		mu.Unlock()
	}}, header())
	if err != nil {
		t.Fatal(err)
	}
	// The directory goes and a file takes its place: no segment can be made, even by root.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	outs := realOutcomes(t, 3)
	for _, o := range outs {
		w.Poll(o.number, o.snap, o.err)
	}
	// Once the failure is told, a minute on, it tries again and fails again: not news.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(told)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failure was never told")
		}
	}
	clock.set(t0.Add(2 * time.Minute))
	for _, o := range outs {
		o.snap.FetchedAt = o.snap.FetchedAt.Add(2 * time.Minute)
		w.Poll(o.number, o.snap, o.err)
	}
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Close: %v, want the failure", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 {
		t.Errorf("told %d times: %v", len(told), told)
	}
}

func TestRecordOpenRefusesWhatIsNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(Options{Dir: filepath.Join(file, "rec")}, header()); err == nil ||
		!strings.Contains(err.Error(), "cannot make the recording directory") {
		t.Errorf("Open under a file: %v", err)
	}
	if _, err := Open(Options{Dir: file}, header()); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Open of a file: %v", err)
	}
}

// Retention removes the segments past their age, then the oldest past the size cap, and
// nothing else: not the segment being written, not a file that is not a segment.
func TestRecordPruneRemovesTheOldestOnly(t *testing.T) {
	dir := t.TempDir()
	now := t0.Add(10 * 24 * time.Hour)
	mk := func(name string, size int, age time.Duration) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, now.Add(-age), now.Add(-age))
		return p
	}
	old := mk("wamon-20261115T000000.000Z-1.jsonl.zst", 100, 9*24*time.Hour)
	a := mk("wamon-20261120T000000.000Z-1.jsonl.zst", 400, 5*24*time.Hour)
	b := mk("wamon-20261121T000000.000Z-1.jsonl.zst", 400, 4*24*time.Hour)
	c := mk("wamon-20261122T000000.000Z-1.jsonl.zst", 400, 3*24*time.Hour)
	active := mk("wamon-20261119T000000.000Z-2.jsonl.zst", 400, time.Minute) // an old name, still written
	other := mk("notes.txt", 5000, 30*24*time.Hour)
	// After the 9-day-old one goes for its age, 1,600 bytes are left: the oldest segment
	// not being written goes, and 1,200 fit the cap exactly.
	removed, err := Prune(dir, 7*24*time.Hour, 1200, now, active)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{old, a}
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, p := range []string{b, c, active, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s is gone", p)
		}
	}
}

// A slow poll filed after the hour turned stays in the new segment: segments follow
// each other in time, one per hour, and read back in order.
func TestRecordRotationNeverGoesBack(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 25, 10, 59, 55, 0, time.UTC)
	var outs []outcome
	for k, at := range []time.Time{base, base.Add(5200 * time.Millisecond), base.Add(4500 * time.Millisecond), base.Add(10200 * time.Millisecond)} {
		snap, err := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","data":{}}}`), "n")
		snap.FetchedAt = at
		outs = append(outs, outcome{[]string{"+1", "+2", "+3", "+1"}[k], snap, err})
	}
	record(t, dir, outs, Options{})
	files, _ := Segments(dir)
	if len(files) != 2 {
		t.Errorf("segments %v, want the 10:00 hour's and the 11:00 hour's", files)
	}
	entries := readAll(t, NewReader(files, time.Time{}))
	if len(entries) != 4 {
		t.Fatalf("%d polls back, want 4", len(entries))
	}
}

// Segments are skipped for ending before from by the hour they started in, whoever
// wrote them: two processes of one pid (containers) on one volume lose nothing.
func TestRecordReaderSkipsByTheHour(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, number string, from time.Time, n int) {
		h := header()
		h.Started = from
		seg, err := createSegment(dir, h)
		if err != nil {
			t.Fatal(err)
		}
		for k := range n {
			snap, err := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","data":{}}}`), number)
			snap.FetchedAt = from.Add(time.Duration(k) * time.Minute)
			b, _ := jsonLine(pollLine(number, snap, err))
			seg.write(b)
		}
		seg.close()
		os.Rename(seg.path, filepath.Join(dir, name))
	}
	ten := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	write("wamon-20261124T100000.000Z-1.jsonl.zst", "+111", ten, 60)
	write("wamon-20261124T100500.000Z-1.jsonl.zst", "+222", ten.Add(5*time.Minute), 55)
	write("wamon-20261124T080000.000Z-1.jsonl.zst", "+333", ten.Add(-2*time.Hour), 60)
	files, _ := Segments(dir)
	r := NewReader(files, ten.Add(30*time.Minute))
	count := map[string]int{}
	for _, e := range readAll(t, r) {
		count[e.Number]++
	}
	if count["+111"] != 30 || count["+222"] != 30 || count["+333"] != 0 {
		t.Errorf("polls from 10:30: %v, want 30 of each of the 10:00 hour's", count)
	}
	if len(r.pending) != 0 || len(r.open) != 0 {
		t.Errorf("segments left: %v", r.pending)
	}
}

// A segment closed whole (rotated on the hour, or at Close) is synced to the disk once
// all its bytes are in its file, and before the file is closed.
func TestRecordSyncsEachSegmentItCloses(t *testing.T) {
	type synced struct {
		name string
		size int64 // the file's size when it was synced
		err  error // the sync's
	}
	var syncs []synced
	real := syncFile
	syncFile = func(f *os.File) error {
		fi, err := f.Stat()
		if err != nil {
			syncs = append(syncs, synced{filepath.Base(f.Name()), -1, err})
			return err
		}
		err = real(f)
		syncs = append(syncs, synced{filepath.Base(f.Name()), fi.Size(), err})
		return err
	}
	t.Cleanup(func() { syncFile = real })

	dir := t.TempDir()
	base := time.Date(2026, 11, 25, 10, 59, 55, 0, time.UTC)
	var outs []outcome
	for _, at := range []time.Time{base, base.Add(5 * time.Second), base.Add(10 * time.Second)} {
		snap, err := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","data":{}}}`), "+1")
		snap.FetchedAt = at
		outs = append(outs, outcome{"+1", snap, err})
	}
	record(t, dir, outs, Options{}) // the 10:00 hour's segment, rotated; then the 11:00 hour's, closed
	files, _ := Segments(dir)
	if len(files) != 2 {
		t.Fatalf("segments %v, want two", files)
	}
	var want []synced
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, synced{filepath.Base(f), fi.Size(), nil})
	}
	if !reflect.DeepEqual(syncs, want) {
		t.Errorf("synced %+v, want %+v (each segment once, whole, while open)", syncs, want)
	}
}

// A line waits in the compressor FlushEvery at most, even when no other line follows
// (polls rarer than flushes, or stopped): then it is in the file, readable after a
// crash. Time is synctest's: the wait takes none.
func TestRecordFlushesALineThatWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		w, err := Open(Options{Dir: dir}, header())
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		onDisk := func() int {
			files, _ := Segments(dir)
			n := 0
			for _, e := range readAll(t, NewReader(files, time.Time{})) {
				if e.Poll != nil {
					n++
				}
			}
			return n
		}
		snap, err := source.Interpret(200, []byte(`{"RESPONSE":{"code":"WS201","data":{}}}`), "+12025550100")
		snap.FetchedAt = time.Now()
		w.Poll("+12025550100", snap, err)
		synctest.Wait()
		if n := onDisk(); n != 0 {
			t.Fatalf("%d polls on disk before any flush, want the line still in the compressor", n)
		}
		time.Sleep(DefaultFlushEvery - time.Millisecond)
		synctest.Wait()
		if n := onDisk(); n != 0 {
			t.Fatalf("%d polls on disk before the line waited FlushEvery, want 0", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := onDisk(); n != 1 {
			t.Errorf("%d polls on disk once the line waited FlushEvery, want 1", n)
		}
	})
}
