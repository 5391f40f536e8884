package record

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/klauspost/compress/zstd"
)

// segmentLines are the lines of a segment file, decompressed, without their newlines.
func segmentLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	plain, err := io.ReadAll(dec)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(plain, []byte("\n")), []byte("\n"))
}

// writeSegment writes lines, each with its newline, as a segment file at path.
func writeSegment(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		enc.Write(l)
		enc.Write([]byte("\n"))
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// member is one member of a JSON object, its value as written.
type member struct {
	key   string
	value json.RawMessage
}

// members are the members of the JSON object b, in their order.
func members(t *testing.T, b []byte) []member {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object (%v, %v)", b, tok, err)
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, member{tok.(string), v})
	}
	return ms
}

// object writes members as a JSON object, with sep between members and colon after keys.
func object(ms []member, sep, colon string) []byte {
	var b []byte
	for k, m := range ms {
		if k > 0 {
			b = append(b, sep...)
		}
		key, _ := json.Marshal(m.key)
		b = append(b, key...)
		b = append(b, colon...)
		b = append(b, m.value...)
	}
	return append(append([]byte{'{'}, b...), '}')
}

// A recording written or edited by another tool reads as the writer's own does: the
// same header and entries, bodies included, and no warning, whatever its spacing and
// its order of keys.
func TestRecordReadsAnotherToolsLines(t *testing.T) {
	dir := t.TempDir()
	record(t, dir, realOutcomes(t, 6), Options{})
	files, _ := Segments(dir)
	if len(files) != 1 {
		t.Fatalf("segments %v", files)
	}
	r := NewReader(files, time.Time{})
	want := readAll(t, r)
	wantHeader := r.Header()
	lines := segmentLines(t, files[0])
	for name, rewrite := range map[string]func([]member) []byte{
		// Python's json.dumps, for one.
		"spaces after commas and colons": func(ms []member) []byte { return object(ms, ", ", ": ") },
		"keys in reverse order": func(ms []member) []byte {
			ms = slices.Clone(ms)
			slices.Reverse(ms)
			return object(ms, ",", ":")
		},
		// The body no longer last: members follow it.
		"the last member second": func(ms []member) []byte {
			ms = append(ms[:1:1], append(ms[len(ms)-1:], ms[1:len(ms)-1]...)...)
			return object(ms, ",", ":")
		},
		"spaces around the body": func(ms []member) []byte {
			for k := range ms {
				ms[k].value = json.RawMessage(" " + string(ms[k].value) + " ")
			}
			return object(ms, ",", ":")
		},
	} {
		t.Run(name, func(t *testing.T) {
			var edited [][]byte
			for _, l := range lines {
				edited = append(edited, rewrite(members(t, l)))
			}
			if bytes.Equal(edited[1], lines[1]) {
				t.Fatalf("a line unchanged: %s", lines[1])
			}
			path := filepath.Join(t.TempDir(), filepath.Base(files[0]))
			writeSegment(t, path, edited)
			r := NewReader([]string{path}, time.Time{})
			got := readAll(t, r)
			if w := r.Warnings(); len(w) > 0 {
				t.Errorf("warnings: %q", w)
			}
			if !reflect.DeepEqual(r.Header(), wantHeader) {
				t.Errorf("header %+v, want %+v", r.Header(), wantHeader)
			}
			if len(got) != len(want) {
				t.Fatalf("%d entries, want %d", len(got), len(want))
			}
			for k, bad := 0, 0; k < len(want) && bad < 3; k++ {
				if !reflect.DeepEqual(got[k], want[k]) {
					bad++
					t.Errorf("line %d %s\nreads as %s\nwant     %s", k+2, cut(edited[k+1]), show(got[k]), show(want[k]))
				}
			}
		})
	}
}

// cut is a line as a failure shows it: cut short.
func cut(b []byte) string {
	if len(b) > 160 {
		return string(b[:160]) + "..."
	}
	return string(b)
}

// show is an entry as a failure shows it.
func show(e Entry) string {
	var b strings.Builder
	b.WriteString(e.At.Format(timeLayout) + " " + e.Number)
	if p := e.Poll; p != nil {
		b.WriteString(" poll: status " + strconv.Itoa(p.Status) + ", body " + cut(p.Body))
		if p.Err != nil {
			b.WriteString(", error " + p.Err.Line)
		}
	}
	if e.Event != nil {
		b.WriteString(" event: " + e.Event.Kind.Name() + " " + e.Event.Reason)
	}
	return b.String()
}

// An error read back carries no control character in its kind, reason or line, as
// every string of a recording someone handed over: the terminal and --once --json show
// them.
func TestRecordSanitisesAnErrorWhereItIsRead(t *testing.T) {
	_, e, err := parse([]byte(`{"t":"2026-11-25T21:00:05.000Z","n":"+1","lat":10,"err":{"kind":"trans\u001b[8mport",` +
		`"reason":"timeout\u001b]0;owned\u0007 10s","line":"timeout:\u001b[2J no response\u009b31m within 10s"}}`))
	if err != nil || e == nil || e.Poll == nil || e.Poll.Err == nil {
		t.Fatalf("read %+v, %v; want a poll's error", e, err)
	}
	for what, s := range map[string]string{"kind": e.Poll.Err.Kind, "reason": e.Poll.Err.Reason, "line": e.Poll.Err.Line} {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }) || ansi.Strip(s) != s {
			t.Errorf("the error's %s %q carries control characters", what, s)
		}
		if !strings.Contains(s, "port") && !strings.Contains(s, "timeout") {
			t.Errorf("the error's %s %q lost its words", what, s)
		}
	}
}
