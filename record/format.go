// Package record keeps what wamon polls: every poll's outcome and every event, appended
// to segment files of JSON Lines compressed with zstd, and reads them back for a restart
// (the engine's Memory) or a replay.
//
// A segment's first line says what recorded it (a Header); each line after is a poll or
// an event, in the order they happened:
//
//	{"wamon":"recording","v":1,"t":"2026-11-25T21:00:00.000Z","source":"kaleyra https://api.example","numbers":["+12025550100"],"interval":"5s",...}
//	{"t":"2026-11-25T21:00:00.012Z","n":"+12025550100","lat":0.182,"status":200,"raw":{"RESPONSE":...}}
//	{"t":"2026-11-25T21:00:05.010Z","n":"+12025550100","lat":10,"err":{"kind":"transport","reason":"timeout 10s","line":"timeout: no response within 10s"}}
//	{"t":"2026-11-25T21:00:05.011Z","n":"+12025550100","ev":"state","from":"OK","to":"ERR","lasted":"4m10s","reason":"timeout 10s"}
//
// A response is kept as its status and body, as received (so a replay interprets the
// same bytes the same way); a poll that got none keeps its error's kind, reason and
// line. Nothing of the request is kept: no URL query, no header, never the API key.
package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Version is the format's version, in every Header.
const Version = 1

// timeLayout is fixed-width UTC with milliseconds, so lines sort and compare as text.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Header is a segment's first line: what recorded it and how, so a replay can judge the
// numbers as the recording console did.
type Header struct {
	Started    time.Time          // when the segment was opened
	Source     string             // the source's name: "kaleyra https://...", "demo"
	Numbers    []string           // the numbers watched
	Interval   time.Duration      // between polls of a number
	Timeout    time.Duration      // per poll
	History    int                // points kept per series (the window follows from it)
	Thresholds monitor.Thresholds // the levels' thresholds
}

// Entry is one line after the header: a poll's outcome (Poll) or an event (Event).
type Entry struct {
	At     time.Time
	Number string // "" for a fleet event
	Poll   *Poll
	Event  *monitor.Event
}

// Poll is one poll's outcome as recorded.
type Poll struct {
	Latency time.Duration
	// Status and Body are the response, when there was one to interpret.
	Status int
	Body   []byte
	// Err is the failure of a poll that got no response to keep (Status 0).
	Err *source.RecordedError
}

// Outcome is the poll as the engine files it: the response interpreted as the client
// does (source.Interpret, through the real decoder), or the recorded failure.
func (p *Poll) Outcome(number string, at time.Time) (source.Snapshot, error) {
	var snap source.Snapshot
	var err error
	switch {
	case p.Status != 0:
		snap, err = source.Interpret(p.Status, p.Body, number)
	case p.Err != nil:
		err = p.Err
	default:
		err = &source.RecordedError{Kind: "other", Reason: "error", Line: "a recorded poll with neither response nor error"}
	}
	snap.Number, snap.FetchedAt, snap.Latency = number, at, p.Latency
	return snap, err
}

// line is a line as JSON: a header, a poll or an event, told apart by Wamon and Ev.
type line struct {
	at    time.Time // T as a time, for the writer
	Wamon string    `json:"wamon,omitempty"` // "recording" on a header
	V     int       `json:"v,omitempty"`
	T     string    `json:"t"`
	N     string    `json:"n,omitempty"`

	// A header.
	Source     string             `json:"source,omitempty"`
	Numbers    []string           `json:"numbers,omitempty"`
	Interval   string             `json:"interval,omitempty"`
	Timeout    string             `json:"timeout,omitempty"`
	History    int                `json:"history,omitempty"`
	Thresholds monitor.Thresholds `json:"thresholds,omitempty"`

	// A poll. Lat is in seconds. A body that is JSON on one line (the API's) goes in
	// verbatim as the line's last member, "raw" (see jsonLine): its bytes as received,
	// and read back without unquoting. Any other body is a JSON string in Body, or
	// base64 in Body64 when it is not UTF-8 (a JSON string would replace its bad bytes).
	raw    []byte
	Lat    *float64 `json:"lat,omitempty"`
	Status int      `json:"status,omitempty"`
	Body   *string  `json:"body,omitempty"`
	Body64 []byte   `json:"body64,omitempty"`
	Err    *errLine `json:"err,omitempty"`

	// An event.
	Ev     string `json:"ev,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Lasted string `json:"lasted,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type errLine struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	Line   string `json:"line"`
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func (h *Header) line() line {
	return line{Wamon: "recording", V: Version, T: formatTime(h.Started), Source: h.Source,
		Numbers: h.Numbers, Interval: h.Interval.String(), Timeout: h.Timeout.String(),
		History: h.History, Thresholds: h.Thresholds}
}

// pollLine is the line of a poll's outcome: the response when there was one, else the
// error. The snapshot's Raw is the body as the client received it, within its cap.
func pollLine(number string, snap source.Snapshot, err error) line {
	lat := snap.Latency.Seconds()
	l := line{at: snap.FetchedAt, T: formatTime(snap.FetchedAt), N: number, Lat: &lat}
	if snap.HTTPStatus != 0 && snap.Raw != nil {
		l.Status = snap.HTTPStatus
		if !bytes.ContainsAny(snap.Raw, "\r\n") && json.Valid(snap.Raw) {
			l.raw = snap.Raw
		} else if utf8.Valid(snap.Raw) {
			body := string(snap.Raw)
			l.Body = &body
		} else {
			l.Body64 = snap.Raw
		}
		return l
	}
	if err == nil {
		// A success without a response to keep (a source that is not HTTP): say so
		// rather than record an empty body that would read back as a failure.
		err = errors.New("no response body to record")
	}
	l.Err = &errLine{Kind: source.ErrorKind(err), Reason: source.Reason(err), Line: source.Sanitize(err.Error())}
	return l
}

func eventLine(ev monitor.Event) line {
	l := line{at: ev.At, T: formatTime(ev.At), N: ev.Number, Ev: ev.Kind.Name(), Reason: ev.Reason}
	if ev.Kind == monitor.EventState {
		l.From, l.To, l.Lasted = ev.From.Word(), ev.To.Word(), ev.Lasted.String()
	}
	return l
}

// rawKey starts a poll line's verbatim body, its last member.
var rawKey = []byte(`,"raw":`)

// anyLine is a line as encoding/json reads it, whatever tool wrote it: its body too.
type anyLine struct {
	line
	Raw json.RawMessage `json:"raw"`
}

// parse reads one line: a header (h set), or an entry. Any JSON object on a line reads,
// whatever its spacing and order of members (a recording edited or written by another
// tool); the writer's own shape reads faster.
func parse(b []byte) (h *Header, e *Entry, err error) { return parseLine(b, true) }

// parseLine is parse, through the writer's shape when fast allows, else encoding/json.
func parseLine(b []byte, fast bool) (h *Header, e *Entry, err error) {
	var l line
	if !fast || !l.readFast(b) {
		var a anyLine
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, nil, err
		}
		l = a.line
		l.raw = a.Raw
	}
	at, err := time.Parse(timeLayout, l.T)
	if err != nil {
		return nil, nil, fmt.Errorf("time %q is not one", source.Truncate(source.Sanitize(l.T), 40))
	}
	// A recording may come from anyone: what it says reaches a terminal sanitised.
	l.N = source.Sanitize(l.N)
	switch {
	case l.Wamon != "":
		if l.Wamon != "recording" || l.V != Version {
			return nil, nil, fmt.Errorf("not a wamon recording of version %d (%q, version %d)", Version, source.Truncate(source.Sanitize(l.Wamon), 40), l.V)
		}
		h := &Header{Started: at, Source: source.Sanitize(l.Source), History: l.History}
		for _, n := range l.Numbers {
			h.Numbers = append(h.Numbers, source.Sanitize(n))
		}
		if l.Thresholds != nil {
			h.Thresholds = monitor.Thresholds{}
			for name, th := range l.Thresholds {
				h.Thresholds[source.Sanitize(name)] = th
			}
		}
		h.Interval, _ = time.ParseDuration(l.Interval)
		h.Timeout, _ = time.ParseDuration(l.Timeout)
		return h, nil, nil
	case l.Ev != "":
		kind, ok := monitor.ParseEventKind(l.Ev)
		if !ok {
			return nil, nil, fmt.Errorf("unknown event %q", source.Truncate(source.Sanitize(l.Ev), 40))
		}
		ev := &monitor.Event{At: at, Index: -1, Number: l.N, Kind: kind, Reason: source.Sanitize(l.Reason)}
		if kind == monitor.EventState {
			ev.From, _ = monitor.ParseState(l.From)
			ev.To, _ = monitor.ParseState(l.To)
			ev.Lasted, _ = time.ParseDuration(l.Lasted)
		}
		return nil, &Entry{At: at, Number: l.N, Event: ev}, nil
	}
	if l.N == "" {
		return nil, nil, errors.New("a poll without a number")
	}
	p := &Poll{Status: l.Status}
	if l.Lat != nil {
		p.Latency = time.Duration(*l.Lat * float64(time.Second))
	}
	switch {
	case l.raw != nil:
		p.Body = l.raw
	case l.Body != nil:
		p.Body = []byte(*l.Body)
	case l.Body64 != nil:
		p.Body = l.Body64
	}
	if l.Err != nil {
		p.Err = &source.RecordedError{Kind: source.Sanitize(l.Err.Kind), Reason: source.Sanitize(l.Err.Reason), Line: source.Sanitize(l.Err.Line)}
	}
	return nil, &Entry{At: at, Number: l.N, Poll: p}, nil
}

// readFast reads a line of the writer's shape: a poll's members, then its verbatim body
// as the last member. The members before the body are decoded; the body is taken as it
// stands, without a pass of encoding/json over it (the source's decoder checks it when
// the poll is interpreted). It reports false for any other line, left to encoding/json.
func (l *line) readFast(b []byte) bool {
	// Inside a JSON string a quote is escaped, and a member of an object within the line
	// leaves the members before it unclosed: where the members before the first rawKey
	// decode, it is the line's own.
	i := bytes.Index(b, rawKey)
	if i <= 0 || b[len(b)-1] != '}' {
		return false
	}
	body := b[i+len(rawKey) : len(b)-1]
	start, end := valueSpan(body)
	if start < 0 || json.Unmarshal(append(b[:i:i], '}'), l) != nil {
		return false
	}
	l.raw = body[start:end]
	return true
}

// valueSpan is where the JSON value that b holds starts and ends, for b that holds one
// value and nothing else but spaces; -1, -1 when b holds more (members after the body).
// It follows strings and brackets only, which is enough to find the end of a value that
// is JSON; whether it is JSON is the decoder's to say (encoding/json's Valid would say
// both, at four to five times the cost: 14-19 µs for the demo's 4.2 KB payload).
func valueSpan(b []byte) (start, end int) {
	start = skipSpace(b, 0)
	i, depth := start, 0
	for i < len(b) {
		switch b[i] {
		case '"':
			if i = stringEnd(b, i); i < 0 {
				return -1, -1
			}
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default:
			i++
			if depth == 0 { // a number, true, false or null
				for i < len(b) && b[i] != ',' && !isSpace(b[i]) {
					i++
				}
			}
		}
		if depth <= 0 {
			break
		}
	}
	if depth != 0 || i == start || skipSpace(b, i) != len(b) {
		return -1, -1
	}
	return start, i
}

// stringEnd is the index after the JSON string that starts at b[i], or -1.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}
