package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Options shape a Writer.
type Options struct {
	Dir     string        // made 0700 when missing
	Keep    time.Duration // segments older than this are removed (default 7 days)
	MaxSize int64         // the directory's segments are cut, oldest first, to this (default 1 GiB)
	// SegmentSize rotates a segment once this much is written to it, compressed
	// (default 64 MiB); segments rotate on the hour too.
	SegmentSize int64
	// FlushEvery bounds how long a line waits in the compressor before it is written to
	// the file (default 10s): after a crash, what was recorded up to that long before
	// reads back. Flushing every line instead costs the compressor the sight of the
	// next payload: 90 KB per number-hour of the demo against 74 KB.
	FlushEvery time.Duration
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger     // default: discard
	// Secrets are never written: a body that holds one (a server that echoes the
	// request's api-key) has it replaced by [redacted].
	Secrets []string
	// OnError is told the first failure to write, once (then, a failure after the
	// recording recovered). Recording stops until the next segment is due.
	OnError func(error)
}

// Defaults.
const (
	DefaultKeep        = 7 * 24 * time.Hour
	DefaultMaxSize     = 1 << 30
	DefaultSegmentSize = 64 << 20
	DefaultFlushEvery  = 10 * time.Second
	queueLen           = 4096 // lines waiting for the writer; past it, polls are dropped and counted
)

// Writer appends polls and events to segments in Dir, from its own goroutine: Poll and
// Event never wait for the disk. It implements monitor.Recorder.
type Writer struct {
	opts    Options
	header  Header
	secrets [][]byte // what redact looks for in a line
	// The queue holds pointers: a slot is 8 bytes, not a line's 328, so the collector
	// scans 32 KiB of it each cycle rather than 1.3 MiB, and an idle queue holds little.
	lines    chan *line
	done     chan struct{} // closed by Close: no more lines
	finished chan struct{} // closed by the writer's goroutine when it is through
	closed   sync.Once

	mu      sync.Mutex // guards dropped
	dropped int

	// Owned by the writer's goroutine.
	seg     *segment
	failed  bool      // the last write failed: nothing is written until retryAt
	retryAt time.Time // when to try a new segment after a failure
	told    bool      // OnError was told of the current failure
	err     error     // the first failure, for Close
	buf     lineBuf   // the line being written
}

// Open makes Dir (0700) if needed, prunes it, and starts a writer. Nothing is written
// before the first line: a console that records nothing leaves no empty segment.
func Open(opts Options, h Header) (*Writer, error) {
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := makeDir(opts.Dir); err != nil {
		return nil, err
	}
	w := &Writer{opts: opts, header: h, secrets: secretForms(opts.Secrets), lines: make(chan *line, queueLen),
		done: make(chan struct{}), finished: make(chan struct{})}
	if _, err := Prune(opts.Dir, opts.Keep, opts.MaxSize, opts.Now(), ""); err != nil {
		opts.Logger.Warn("recordings not pruned", "dir", opts.Dir, "error", err.Error())
	}
	go w.run()
	return w, nil
}

// makeDir makes dir 0700, or narrows an existing one of this user's to 0700.
func makeDir(dir string) error {
	if dir == "" {
		return errors.New("no recording directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot make the recording directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("the recording directory %s is open to others (%v) and cannot be narrowed: %w", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}

// Poll records a poll's outcome. It never blocks: past queueLen waiting lines the poll
// is dropped and counted.
func (w *Writer) Poll(number string, snap source.Snapshot, err error) {
	for _, secret := range w.opts.Secrets {
		if secret != "" && bytes.Contains(snap.Raw, []byte(secret)) {
			snap.Raw = bytes.ReplaceAll(snap.Raw, []byte(secret), []byte("[redacted]"))
		}
	}
	w.enqueue(pollLine(number, snap, err))
}

// Event records an event of the timeline.
func (w *Writer) Event(ev monitor.Event) { w.enqueue(eventLine(ev)) }

func (w *Writer) enqueue(l line) {
	select {
	case <-w.done:
		return
	default:
	}
	select {
	case w.lines <- &l:
	default:
		w.mu.Lock()
		w.dropped++
		w.mu.Unlock()
	}
}

// Dropped is how many lines the queue had no room for.
func (w *Writer) Dropped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Close writes what is queued, closes the segment and returns the first failure, if any.
func (w *Writer) Close() error {
	w.closed.Do(func() {
		close(w.done)
		<-w.finished
	})
	return w.err
}

func (w *Writer) run() {
	// Lines go out when their own times say (write), or when they have waited FlushEvery
	// for that (polls rarer than flushes, or stopped). The timer runs only while lines
	// wait: a writer with nothing to flush sleeps until the next line.
	flush := time.NewTimer(w.opts.FlushEvery)
	flush.Stop()
	armed := false
	defer flush.Stop()
	for {
		select {
		case l := <-w.lines:
			w.write(*l)
			switch waiting := w.seg != nil && w.seg.dirty; {
			case waiting && !armed:
				flush.Reset(w.opts.FlushEvery)
				armed = true
			case !waiting && armed:
				flush.Stop() // flushed by write: the next line arms it again
				armed = false
			}
		case <-flush.C:
			armed = false
			if w.seg != nil && w.seg.dirty {
				w.check(w.seg.flush(w.seg.last))
			}
		case <-w.done:
			for drained := false; !drained; {
				select {
				case l := <-w.lines:
					w.write(*l)
				default:
					drained = true
				}
			}
			if w.seg != nil {
				w.check(w.seg.close())
				w.seg = nil
			}
			close(w.finished)
			return
		}
	}
}

// write appends one line, opening or rotating the segment as due. Segments start, rotate
// and flush by the lines' own times, so a segment's name is the time of its first line.
func (w *Writer) write(l line) {
	at := l.at
	if w.failed {
		if w.opts.Now().Before(w.retryAt) {
			return
		}
		w.failed = false
	}
	// On to a new segment with a new hour; a line of the hour before (a slow poll, filed
	// when it ended) stays in this one, so segments never go back in time.
	if w.seg != nil && (w.seg.size() >= w.opts.SegmentSize || laterHour(at, w.seg.started)) {
		err := w.seg.close()
		w.seg = nil
		if !w.check(err) {
			return
		}
		w.told = false // a whole segment written: a later failure is news again
		if _, err := Prune(w.opts.Dir, w.opts.Keep, w.opts.MaxSize, w.opts.Now(), ""); err != nil {
			w.opts.Logger.Warn("recordings not pruned", "dir", w.opts.Dir, "error", err.Error())
		}
	}
	if w.seg == nil {
		h := w.header
		h.Started = at
		seg, err := createSegment(w.opts.Dir, h)
		if !w.check(err) {
			return
		}
		w.seg = seg
		w.opts.Logger.Info("recording", "file", seg.path)
	}
	b, err := w.buf.line(l)
	if err != nil {
		w.opts.Logger.Warn("recording: a line that is not JSON", "error", err.Error())
		return
	}
	b = redact(b, w.secrets)
	if at.After(w.seg.last) {
		w.seg.last = at
	}
	if w.check(w.seg.write(b)) && at.Sub(w.seg.flushed) >= w.opts.FlushEvery {
		w.check(w.seg.flush(at))
	}
}

// check notes a failure: it is told once, the segment is dropped (what it holds so far
// stays readable), and writing stops for a minute. It reports whether err was nil.
func (w *Writer) check(err error) bool {
	if err == nil {
		return true
	}
	if w.err == nil {
		w.err = err
	}
	if w.seg != nil {
		w.seg.abandon()
		w.seg = nil
	}
	w.failed = true
	w.retryAt = w.opts.Now().Add(time.Minute)
	if !w.told {
		w.told = true
		w.opts.Logger.Warn("recording failed", "dir", w.opts.Dir, "error", err.Error())
		if w.opts.OnError != nil {
			w.opts.OnError(err)
		}
	}
	return false
}

// laterHour says a is in an hour after b's.
func laterHour(a, b time.Time) bool {
	return a.UTC().Truncate(time.Hour).After(b.UTC().Truncate(time.Hour))
}

// segment is one file being written: a zstd stream of lines.
type segment struct {
	path    string
	started time.Time
	f       *os.File
	enc     *zstd.Encoder
	counter *countingWriter
	flushed time.Time // the time of the line when the compressor last wrote out all it had
	dirty   bool      // lines since then
	last    time.Time // the newest line's time
	n       int       // lines written
}

// segmentPattern matches segment files; the name sorts by the time the segment started.
const segmentPattern = "wamon-*.jsonl.zst"

// createSegment makes a new 0600 segment and writes its header.
func createSegment(dir string, h Header) (*segment, error) {
	name := fmt.Sprintf("wamon-%s-%d.jsonl.zst", h.Started.UTC().Format("20060102T150405.000Z"), os.Getpid())
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Two segments in one millisecond from one process: never overwrite.
		path = filepath.Join(dir, fmt.Sprintf("wamon-%s-%d-%d.jsonl.zst", h.Started.UTC().Format("20060102T150405.000Z"), os.Getpid(), time.Now().UnixNano()))
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return nil, err
	}
	cw := &countingWriter{w: f}
	enc, err := zstd.NewWriter(cw, encoderOptions(len(h.Numbers))...)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &segment{path: path, started: h.Started, f: f, enc: enc, counter: cw}
	b, err := jsonLine(h.line())
	if err == nil {
		err = s.write(b)
	}
	if err == nil {
		err = s.flush(h.Started) // a segment with its header alone reads as one
	}
	if err != nil {
		s.abandon()
		os.Remove(path) // a segment without even its header is nothing to keep
		return nil, err
	}
	return s, nil
}

// encoderOptions are the compressor's for a segment of a fleet of n numbers.
//
// zstd's fastest level: of its four, it compresses these lines second best (74 KB per
// number-hour of the demo; 88 at the default level, 93 at the better one), for the
// least CPU and memory. The best level keeps 63 KB, but its match tables alone are 34
// MiB whatever the fleet, all touched within minutes of the first poll: more than the
// rest of a small console.
//
// The window is how far back the compressor sees. Consecutive polls of a number differ
// in a few digits, so it must reach the number's previous poll, a round of the fleet
// back: 8 KiB a number (the demo's payloads are 4 KiB), to the power of two at or above,
// from 256 KiB to 8 MiB. 500 numbers get 4 MiB and take 108 KB per number-hour; with
// the previous poll out of sight, 190. Up to 1 MiB the history is held in the window
// and 128 KiB rather than in twice the window, for moving it down every 128 KiB
// written: little, at the rate a fleet that small is polled.
func encoderOptions(n int) []zstd.EOption {
	window := max(256<<10, min(8<<20, 1<<bits.Len(uint(max(n, 1)*8<<10-1))))
	return []zstd.EOption{
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithWindowSize(window),
		zstd.WithLowerEncoderMem(window <= 1<<20),
		zstd.WithEncoderConcurrency(1), // the writer's one goroutine, no other
	}
}

func (s *segment) write(b []byte) error {
	s.dirty = true
	s.n++
	_, err := s.enc.Write(b)
	return err
}

func (s *segment) flush(now time.Time) error {
	s.flushed, s.dirty = now, false
	return s.enc.Flush()
}

func (s *segment) size() int64 { return s.counter.n }

func (s *segment) close() error {
	err := s.enc.Close()
	if err2 := syncFile(s.f); err == nil {
		err = err2
	}
	if err2 := s.f.Close(); err == nil {
		err = err2
	}
	return err
}

// syncFile puts a segment's file on the disk when the segment is closed whole, before
// the file is closed (a test watches it).
var syncFile = (*os.File).Sync

// abandon closes the file after a failure, keeping what reached it.
func (s *segment) abandon() {
	s.enc.Close()
	s.f.Close()
}

// countingWriter counts the bytes that reach the file.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// secretForms are what redact looks for, found once rather than for every line: each
// secret as it is and as JSON quotes it, since a line is JSON. A secret shorter than 8
// is left out: short enough to match inside a time or a count, the bodies were cleared
// of it already (Poll), and a line is not cut to pieces for it.
func secretForms(secrets []string) [][]byte {
	var forms [][]byte
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		forms = append(forms, []byte(s))
		if q, err := json.Marshal(s); err == nil && string(q[1:len(q)-1]) != s {
			forms = append(forms, q[1:len(q)-1])
		}
	}
	return forms
}

// redact replaces every form of a secret (secretForms) in b.
func redact(b []byte, forms [][]byte) []byte {
	for _, f := range forms {
		if bytes.Contains(b, f) {
			b = bytes.ReplaceAll(b, f, []byte("[redacted]"))
		}
	}
	return b
}

// jsonLine is l as one line of JSON, with its newline, in a buffer of its own.
func jsonLine(l line) ([]byte, error) {
	var lb lineBuf
	return lb.line(l)
}

// lineBuf makes lines of JSON in one buffer, reused from line to line: the writer
// copies a line into the compressor and keeps nothing of it, and a poll's line is as
// big as its body (kilobytes), 100 a second for 500 numbers.
type lineBuf struct {
	buf bytes.Buffer
	enc *json.Encoder // into buf; as json.Marshal, with a newline after
}

// maxKeptLine is the biggest buffer kept for the next line: an API payload's line is a
// few kilobytes.
const maxKeptLine = 64 << 10

// line is l as one line of JSON, with its newline, valid until the next call. A
// verbatim body is spliced in as the last member: json.Marshal would compact it and
// escape its <, > and &.
func (lb *lineBuf) line(l line) ([]byte, error) {
	if lb.enc == nil {
		lb.enc = json.NewEncoder(&lb.buf)
	}
	if lb.buf.Cap() > maxKeptLine {
		lb.buf = bytes.Buffer{} // a body of megabytes once is not held for good
	}
	lb.buf.Reset()
	if err := lb.enc.Encode(l); err != nil {
		return nil, err
	}
	if l.raw != nil {
		lb.buf.Truncate(lb.buf.Len() - len("}\n"))
		lb.buf.Write(rawKey)
		lb.buf.Write(l.raw)
		lb.buf.WriteString("}\n")
	}
	return lb.buf.Bytes(), nil
}
