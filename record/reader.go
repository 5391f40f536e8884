package record

import (
	"bufio"
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

	"github.com/wamon/wamon/source"
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
	// One file by two paths (dir/x and ./dir/x) is read once.
	for i, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			files[i] = abs
		}
	}
	slices.Sort(files)
	files = slices.Compact(files)
	slices.SortStableFunc(files, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	return files, nil
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

// Reader reads segments as one recording: entries of every segment merged in time order
// (segments of different writers may overlap; a writer files a poll when it ends, so a
// segment is in order within a poll's timeout), each number's polls strictly in time
// order, from a time on. It opens a segment only when the merge reaches its start, so a
// week of segments costs one decoder at a time.
type Reader struct {
	pending  []string // segments not opened yet, by start
	open     []*segmentReader
	from     time.Time
	header   *Header // the newest header read
	warnings []string
	last     map[string]time.Time // each number's newest poll given
	dropped  int
}

// NewReader reads files (from Segments) from the time from on (zero: from the start).
// A writer starts a new segment on each hour, so a segment holds nothing after the end
// of the hour it started in: segments that end before from are skipped unopened.
func NewReader(files []string, from time.Time) *Reader {
	r := &Reader{from: from, last: map[string]time.Time{}}
	for _, f := range files {
		if start, ok := SegmentStart(f); ok && !from.IsZero() && start.Truncate(time.Hour).Add(time.Hour).Before(from) {
			continue
		}
		r.pending = append(r.pending, f)
	}
	return r
}

// Close closes the segments still open; a Reader read to its end has none.
func (r *Reader) Close() {
	for _, s := range r.open {
		s.close()
	}
	r.open, r.pending = nil, nil
}

// Dropped is how many polls were left out for coming no later than their number's
// previous one: two processes that recorded one number into one directory.
func (r *Reader) Dropped() int { return r.dropped }

// Header is the newest segment header read so far (nil before the first).
func (r *Reader) Header() *Header { return r.header }

// Warnings are what was skipped, one line each: torn tails (a crash mid-write), lines
// that do not parse, files that are not recordings.
func (r *Reader) Warnings() []string { return r.warnings }

// warn notes what was skipped. The line is sanitised whole: errors from the JSON and time
// parsers quote what they were given.
func (r *Reader) warn(format string, args ...any) {
	r.warnings = append(r.warnings, source.Sanitize(fmt.Sprintf(format, args...)))
}

// Next returns the next entry in time order at or after from, or io.EOF.
func (r *Reader) Next() (Entry, error) {
	for {
		// Open every pending segment that starts before the earliest entry at hand, so
		// that the merge sees all that could come first.
		for len(r.pending) > 0 {
			k := r.earliest()
			start, named := SegmentStart(r.pending[0])
			if k >= 0 && named && start.After(r.open[k].head.At) {
				break
			}
			r.openNext()
		}
		k := r.earliest()
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
		if e.Poll != nil {
			// Each number's polls in time order, once: the engine's history needs it.
			if last, ok := r.last[e.Number]; ok && !e.At.After(last) {
				r.dropped++
				continue
			}
			r.last[e.Number] = e.At
		}
		return e, nil
	}
}

// earliest is the open segment whose entry at hand comes first; -1 when none is open.
func (r *Reader) earliest() int {
	k := -1
	for i, s := range r.open {
		if k < 0 || s.head.At.Before(r.open[k].head.At) {
			k = i
		}
	}
	return k
}

// openNext opens the first pending segment and reads its first entry.
func (r *Reader) openNext() {
	path := r.pending[0]
	r.pending = r.pending[1:]
	s, err := openSegment(path)
	if err != nil {
		r.warn("%s: %v", shownName(path), err)
		return
	}
	if why := s.notRecording(); why != "" {
		r.warn("%s: not a wamon recording (%s)", shownName(path), why)
		s.close()
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
		if errors.Is(err, errLineTooLong) {
			r.warn("%s line %d: skipped: %v", shownName(s.path), s.lines, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.warn("%s: ends mid-record after %s, the rest skipped (a crash, or still being written: %v)", shownName(s.path), source.Count(s.lines, "line"), err)
			}
			return false
		}
		h, e, err := parse(b)
		switch {
		case err != nil:
			r.warn("%s line %d: skipped: %v", shownName(s.path), s.lines, err)
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

// shownName is a segment's file name as a warning shows it: sanitised, since a directory
// handed over may hold any name.
func shownName(path string) string { return source.Sanitize(filepath.Base(path)) }

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

// notRecording says why the segment, not read yet, is not a recording, from its first
// byte: a recording is zstd, and its first line JSON (a header; a poll, if another tool
// cut the header away). "" when it may be one: an empty stream, or one cut short (a
// crash's, left to the lines read to say).
func (s *segmentReader) notRecording() string {
	b, err := s.br.Peek(1)
	switch {
	case errors.Is(err, zstd.ErrMagicMismatch):
		return "not zstd"
	case err == nil && b[0] != '{' && !isSpace(b[0]):
		return "zstd, but not JSON Lines"
	}
	return ""
}

// maxLine bounds a line read back: a poll's body is within max_body (8 MiB by default),
// and a recording handed over must not make the reader hold gigabytes.
const maxLine = 64 << 20

// errLineTooLong is a line past maxLine: it is skipped, and reading goes on.
var errLineTooLong = errors.New("a line longer than 64 MiB")

// line returns the next whole line, without its newline. A last line without one was
// cut short by a crash: it is an error, as a stream that does not decode to its end is.
func (s *segmentReader) line() ([]byte, error) {
	var b []byte // each line its own: an entry keeps slices of it
	tooLong := false
	size := 0 // the line's, held or not
	for {
		chunk, err := s.br.ReadSlice('\n')
		size += len(chunk)
		if !tooLong && len(b)+len(chunk) > maxLine {
			tooLong, b = true, nil
		}
		if !tooLong {
			b = append(b, chunk...)
		}
		switch {
		case err == nil:
			s.lines++
			if tooLong {
				return nil, errLineTooLong
			}
			return b[:len(b)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(b) > 0 || tooLong):
			return nil, fmt.Errorf("a last line of %d bytes without its end", size)
		default:
			return nil, err
		}
	}
}

func (s *segmentReader) close() {
	if s.dec.Reset(nil) == nil {
		decoders.Put(s.dec)
	}
	s.f.Close()
}

// decoders are reused: making one costs more than reading a small segment.
var decoders sync.Pool
