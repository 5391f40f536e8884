// Package recordtest reads recordings back for tests: how many polls a recording
// directory holds, and what the reader had to say of it.
package recordtest

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/wamon/wamon/record"
)

// Polls counts the polls a recording directory reads back, and its warnings; none in a
// directory that holds no recording (yet).
func Polls(t testing.TB, dir string) (int, []string) {
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
