package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/klauspost/compress/zstd"
)

// FuzzRecording reads arbitrary lines as a segment, as wamon replay reads a recording
// someone handed over: it never panics, nothing it returns for the terminal carries a
// control character, and every line that is JSON reads as encoding/json alone reads it
// (the writer's shape is read by a faster path).
func FuzzRecording(f *testing.F) {
	f.Add([]byte(`{"wamon":"recording","v":1,"t":"2026-11-25T21:00:00.000Z","source":"demo","numbers":["+1"],"interval":"5s","history":720}` + "\n" +
		`{"t":"2026-11-25T21:00:00.012Z","n":"+1","lat":0.1,"status":200,"raw":{"RESPONSE":{"code":"WS201","data":{}}}}` + "\n" +
		`{"t":"2026-11-25T21:00:05.000Z","n":"+1","lat":10,"err":{"kind":"transport","reason":"timeout 10s","line":"timeout"}}` + "\n" +
		`{"t":"2026-11-25T21:00:05.001Z","n":"+1","ev":"state","from":"OK","to":"ERR","lasted":"4m","reason":"x"}` + "\n"))
	f.Add([]byte(`{"t":"2026-11-25T21:00:00.000Z","n":"\u001b[31m+1","status":502,"body":"<html>\u001b]0;x\u0007</html>"}` + "\n" +
		`{"t":"2026-11-25T21:00:05.000Z","n":"+1","err":{"kind":"\u001b[8m","reason":"\u001b]0;x\u0007","line":"\u009b2J"}}` + "\n"))
	f.Add([]byte(`{"t":"2026-11-25T21:00:00.000Z","n":"+1","status":200,"raw":{"a":",\"raw\":"},"x":1}` + "\n"))
	f.Add([]byte(`{"t":"2026-11-25T21:00:00.000Z","n":"+1","raw":{"a":"\\\"}\\"} ,"status":200}` + "\n" +
		`{"t":"2026-11-25T21:00:00.000Z","n":"+1","x":{"y":1,"raw":2},"raw":"s\"}"}` + "\n" +
		`{"t":"2026-11-25T21:00:00.000Z","n":"+1","status":200,"raw": [1,{"b":[]}] }` + "\n" +
		`{"t":"2026-11-25T21:00:00.000Z","n":"+1","status":200,"raw":-1.5e3}` + "\n" +
		`{"t":"2026-11-25T21:00:00.000Z","n":"+1","status":200,"raw":null,"RAW":{}}` + "\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, lines []byte) {
		path := filepath.Join(dir, "wamon-20261125T210000.000Z-1.jsonl.zst")
		var buf bytes.Buffer
		enc, _ := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		enc.Write(lines)
		enc.Close()
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		r := NewReader([]string{path}, time.Time{})
		clean := func(what, s string) {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }) || ansi.Strip(s) != s {
				t.Errorf("%s %q carries control characters", what, s)
			}
		}
		for range 10000 {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			clean("number", e.Number)
			if e.Event != nil {
				clean("event reason", e.Event.Reason)
			}
			if e.Poll != nil {
				if e.Poll.Err != nil {
					clean("error kind", e.Poll.Err.Kind)
					clean("error reason", e.Poll.Err.Reason)
					clean("error line", e.Poll.Err.Line)
				}
				snap, err := e.Poll.Outcome(e.Number, e.At)
				clean("code", snap.Code)
				clean("message", snap.Message)
				if err != nil {
					clean("error", err.Error())
				}
			}
		}
		if h := r.Header(); h != nil {
			clean("source", h.Source)
			for _, n := range h.Numbers {
				clean("number", n)
			}
			for name := range h.Thresholds {
				clean("threshold", name)
			}
		}
		for _, w := range r.Warnings() {
			clean("warning", w)
		}
		for _, l := range bytes.Split(lines, []byte("\n")) {
			if !json.Valid(l) {
				continue
			}
			h, e, err := parseLine(l, true)
			wantH, wantE, wantErr := parseLine(l, false)
			if !reflect.DeepEqual(h, wantH) || !reflect.DeepEqual(e, wantE) || (err == nil) != (wantErr == nil) {
				t.Errorf("%s\nreads as %+v %+v %v\nencoding/json reads %+v %+v %v", l, h, e, err, wantH, wantE, wantErr)
			}
		}
	})
}

// A line past 64 MiB (a 65 MiB line compresses to kilobytes) is skipped with one
// warning, without holding it, and the lines after it read.
func TestRecordSkipsALineTooLong(t *testing.T) {
	// What reading allocates does not grow with the line: it stops holding at 64 MiB (a
	// 1 GiB line used to cost 2 GiB).
	short, long := skipsALineTooLong(t, 65), skipsALineTooLong(t, 200)
	if long > short+short/10 {
		t.Errorf("a line of 65 MiB: %d MiB allocated; of 200 MiB: %d MiB", short>>20, long>>20)
	}
}

func skipsALineTooLong(t *testing.T, lineMiB int) uint64 {
	path := filepath.Join(t.TempDir(), "wamon-20261125T210000.000Z-1.jsonl.zst")
	f, _ := os.Create(path)
	enc, _ := zstd.NewWriter(f, zstd.WithEncoderConcurrency(1))
	enc.Write([]byte(`{"t":"2026-11-25T21:00:00.000Z","n":"+1","status":200,"body":"`))
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range lineMiB {
		enc.Write(chunk)
	}
	enc.Write([]byte("\"}\n" + `{"t":"2026-11-25T21:00:05.000Z","n":"+1","status":200,"raw":{}}` + "\n"))
	enc.Close()
	f.Close()
	r := NewReader([]string{path}, time.Time{})
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var entries []Entry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if len(entries) != 1 || !entries[0].At.Equal(time.Date(2026, 11, 25, 21, 0, 5, 0, time.UTC)) {
		t.Errorf("entries %+v, want the line after the long one", entries)
	}
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0], "longer than 64 MiB") {
		t.Errorf("warnings %q", w)
	}
	return after.TotalAlloc - before.TotalAlloc
}
