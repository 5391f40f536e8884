package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Segments lists the segment files of paths: a directory's segments, and files as given.
// They come in the order their names sort, which is the order they were started.
func Segments(paths ...string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		found, err := filepath.Glob(filepath.Join(p, segmentPattern))
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	slices.SortStableFunc(files, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	return slices.Compact(files), nil
}

// SegmentStart is when a segment started (its first line), from its name; ok is false for a name that
// does not say.
func SegmentStart(path string) (time.Time, bool) {
	name := filepath.Base(path)
	if !strings.HasPrefix(name, "wamon-") || len(name) < len("wamon-20060102T150405.000Z") {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405.000Z", name[len("wamon-"):len("wamon-20060102T150405.000Z")])
	return t, err == nil
}

// segmentWriter is what wrote a segment (its process id), from its name: segments of one
// writer follow each other and never overlap.
func segmentWriter(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), ".jsonl.zst")
	const idAt = len("wamon-20060102T150405.000Z-")
	if len(name) <= idAt {
		return name
	}
	id, _, _ := strings.Cut(name[idAt:], "-")
	return id
}

// Reader reads segments as one recording: entries of every segment merged in time order
// (segments of different writers may overlap), from a time on. It opens a segment only
// when the merge reaches its start, so a week of segments costs one decoder at a time.
type Reader struct {
	pending  []string // segments not opened yet, by start
	open     []*segmentReader
	from     time.Time
	header   *Header // the newest header read
	warnings []string
}

// NewReader reads files (from Segments) from the time from on (zero: from the start).
// Segments that end before from (the next segment of the same writer started earlier
// than from) are skipped unopened.
func NewReader(files []string, from time.Time) *Reader {
	r := &Reader{from: from}
	if from.IsZero() {
		r.pending = slices.Clone(files)
		return r
	}
	// A segment of a writer ends where the writer's next one starts; a poll is filed a
	// little after it started, so allow a minute of slack.
	next := map[string]time.Time{}
	for k := len(files) - 1; k >= 0; k-- {
		f := files[k]
		start, ok := SegmentStart(f)
		w := segmentWriter(f)
		if end, seen := next[w]; ok && seen && end.Before(from.Add(-time.Minute)) {
			if ok {
				next[w] = start
			}
			continue
		}
		if ok {
			next[w] = start
		}
		r.pending = append(r.pending, f)
	}
	slices.Reverse(r.pending)
	return r
}

// Header is the newest segment header read so far (nil before the first).
func (r *Reader) Header() *Header { return r.header }

// Warnings are what was skipped, one line each: torn tails (a crash mid-write), lines
// that do not parse, files that are not recordings.
func (r *Reader) Warnings() []string { return r.warnings }

func (r *Reader) warn(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// Next returns the next entry in time order at or after from, or io.EOF.
func (r *Reader) Next() (Entry, error) {
	for {
		// Open every pending segment that starts before the earliest entry at hand, so
		// that the merge sees all that could come first.
		for len(r.pending) > 0 {
			head, ok := r.earliest()
			start, named := SegmentStart(r.pending[0])
			if ok && named && start.After(head.At) {
				break
			}
			r.openNext()
		}
		k := -1
		for i, s := range r.open {
			if k < 0 || s.head.At.Before(r.open[k].head.At) {
				k = i
			}
		}
		if k < 0 {
			return Entry{}, io.EOF
		}
		s := r.open[k]
		e := s.head
		if !r.advance(s) {
			s.close()
			r.open = slices.Delete(r.open, k, k+1)
		}
		if e.At.Before(r.from) {
			continue
		}
		return e, nil
	}
}

// earliest is the earliest entry at hand in the open segments.
func (r *Reader) earliest() (Entry, bool) {
	var best *Entry
	for _, s := range r.open {
		if best == nil || s.head.At.Before(best.At) {
			best = &s.head
		}
	}
	if best == nil {
		return Entry{}, false
	}
	return *best, true
}

// openNext opens the first pending segment and reads its first entry.
func (r *Reader) openNext() {
	path := r.pending[0]
	r.pending = r.pending[1:]
	s, err := openSegment(path)
	if err != nil {
		r.warn("%s: %v", filepath.Base(path), err)
		return
	}
	if r.advance(s) {
		r.open = append(r.open, s)
	} else {
		s.close()
	}
}

// advance reads the segment's next entry into head; false at its end. Headers are kept,
// torn tails and bad lines are warned of.
func (r *Reader) advance(s *segmentReader) bool {
	for {
		b, err := s.line()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.warn("%s: ends mid-record after %d lines, the rest skipped (a crash, or still being written: %v)", filepath.Base(s.path), s.lines, err)
			}
			return false
		}
		h, e, err := parse(b)
		switch {
		case err != nil:
			r.warn("%s line %d: skipped: %v", filepath.Base(s.path), s.lines, err)
		case h != nil:
			if r.header == nil || !h.Started.Before(r.header.Started) {
				r.header = h
			}
		default:
			s.head = *e
			return true
		}
	}
}

// segmentReader reads one segment's lines.
type segmentReader struct {
	path  string
	f     *os.File
	dec   *zstd.Decoder
	br    *bufio.Reader
	lines int
	head  Entry
}

func openSegment(path string) (*segmentReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	dec, _ := decoders.Get().(*zstd.Decoder)
	if dec == nil {
		dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := dec.Reset(f); err != nil {
		decoders.Put(dec)
		f.Close()
		return nil, err
	}
	return &segmentReader{path: path, f: f, dec: dec, br: bufio.NewReaderSize(dec, 64<<10)}, nil
}

// line returns the next whole line, without its newline. A last line without one was
// cut short by a crash: it is an error, as a stream that does not decode to its end is.
func (s *segmentReader) line() ([]byte, error) {
	b, err := s.br.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(b) > 0 {
			return nil, fmt.Errorf("a last line of %d bytes without its end", len(b))
		}
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	s.lines++
	return bytes.TrimSuffix(b, []byte("\n")), nil
}

func (s *segmentReader) close() {
	if s.dec.Reset(nil) == nil {
		decoders.Put(s.dec)
	}
	s.f.Close()
}

// decoders are reused: making one costs more than reading a small segment.
var decoders sync.Pool
