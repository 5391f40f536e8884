package record

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// compressed is b as a zstd stream.
func compressed(t *testing.T, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(b, nil)
}

// zeros is a zstd stream of n MiB of zeros: one frame of a MiB, n times.
func zeros(t *testing.T, n int) []byte {
	return bytes.Repeat(compressed(t, make([]byte, 1<<20)), n)
}

// A file under a segment's name that is not a recording is named as such, in one
// warning, not taken for a crash; a segment cut short by one still reads as one.
func TestRecordNamesAFileThatIsNotARecording(t *testing.T) {
	readme := []byte("# wamon\n\nA terminal console for the Kaleyra WhatsApp Monitoring Stats API.\n")
	dir := t.TempDir()
	record(t, dir, realOutcomes(t, 1), Options{})
	files, _ := Segments(dir)
	segment, _ := os.ReadFile(files[0])
	const name = "wamon-20261125T210000.000Z-1.jsonl.zst"
	for _, tc := range []struct {
		what    string
		content []byte
		want    string
	}{
		{"README.md renamed", readme, name + ": not a wamon recording (not zstd)"},
		{"a README compressed", compressed(t, readme), name + ": not a wamon recording (zstd, but not JSON Lines)"},
		{"a zstd stream of zeros", zeros(t, 65), name + ": not a wamon recording (zstd, but not JSON Lines)"},
		{"a segment cut in its header", segment[:12], name + ": ends mid-record after 0 lines, the rest skipped (a crash, or still being written: unexpected EOF)"},
		{"a last line past 64 MiB, cut", append(compressed(t, []byte(`{"t":"`)), zeros(t, 65)...),
			name + ": ends mid-record after 0 lines, the rest skipped (a crash, or still being written: a last line of 68157446 bytes without its end)"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			r := NewReader([]string{path}, time.Time{})
			if entries := readAll(t, r); len(entries) > 0 {
				t.Errorf("%d entries read", len(entries))
			}
			if w := r.Warnings(); len(w) != 1 || w[0] != tc.want {
				t.Errorf("warnings %q, want %q", w, tc.want)
			}
		})
	}
}
