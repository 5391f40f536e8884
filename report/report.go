// Package report is what wamon --once prints (and wamon replay --once): every number
// polled once, or as a recording stood at a moment, judged against the thresholds as
// one snapshot, as a table for people or JSON Lines for scripts, and whether the run
// failed.
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Options shapes one headless poll of every number (--once).
type Options struct {
	JSON        bool // JSON Lines instead of the table
	Timeout     time.Duration
	Concurrency int
	// Thresholds judge each successful poll (the config's); nil judges nothing.
	Thresholds monitor.Thresholds
	// FailOn is the least level that fails the run (--fail-on): Warn or Crit.
	// The zero value, OK, means none was given: only a failed poll fails the run.
	FailOn Level
	// Demo says the numbers come from the embedded simulator: every JSON line says so.
	Demo bool
	// Now stamps a snapshot the source left unstamped and times a poll whose source
	// reported no latency; tests fix it.
	Now func() time.Time
}

// Level is how one number stands after its poll, worst last: its data against the
// thresholds, or a failed poll.
type Level int

const (
	OK    Level = iota // polled, nothing at or past a threshold
	Warn               // polled, something at or past its warn threshold
	Crit               // polled, something at or past its critical threshold
	Error              // the poll failed
)

// String is the level as the table's LEVEL column and the JSON "level" print it.
func (l Level) String() string {
	return [...]string{"ok", "warn", "crit", "error"}[l]
}

// ParseLevel reads the value of --fail-on.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "warn":
		return Warn, nil
	case "crit":
		return Crit, nil
	}
	return OK, errors.New("want warn or crit")
}

// failAt is the least level that fails the run.
func (o Options) FailAt() Level {
	if o.FailOn == OK {
		return Error
	}
	return o.FailOn
}

// Result is what polling one number once gave, and how it was judged.
type Result struct {
	number string
	snap   source.Snapshot
	err    error
	level  Level
	// reasons say why the level: the crossings of a successful poll (worst first, as
	// Crossing.String() reads), or the failed poll's source.Reason.
	reasons []string
}

// Run polls every number once and prints the results in the numbers' order. ok is
// false when any poll failed or, with opts.FailOn, any number is at or past that level;
// err is a failure to write the output.
func Run(ctx context.Context, w io.Writer, src source.Source, numbers []string, opts Options) (ok bool, err error) {
	results := Poll(ctx, src, numbers, opts)
	if opts.JSON {
		err = PrintJSONLines(w, results, opts.Demo)
	} else {
		err = PrintTable(w, results)
	}
	return !Failed(results, opts.FailOn), err
}

// Failed reports whether results fail a run: a failed poll always does; failOn (Warn,
// Crit), where given, a number at or past it too.
func Failed(results []Result, failOn Level) bool {
	at := Options{FailOn: failOn}.FailAt()
	for _, r := range results {
		if r.level >= at {
			return true
		}
	}
	return false
}

// NewResult is a number's result of a poll made elsewhere (a recording's), judged by ts.
func NewResult(number string, snap source.Snapshot, err error, ts monitor.Thresholds) Result {
	r := Result{number: number, snap: snap, err: err}
	r.Judge(ts)
	return r
}

// Poll fetches every number concurrently, at most opts.Concurrency at a time, each
// within opts.Timeout.
func Poll(ctx context.Context, src source.Source, numbers []string, opts Options) []Result {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	results := make([]Result, len(numbers))
	slots := make(chan struct{}, max(opts.Concurrency, 1))
	var wg sync.WaitGroup
	for i, number := range numbers {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i] = pollOne(ctx, src, number, opts.Timeout, now)
			results[i].Judge(opts.Thresholds)
		})
	}
	wg.Wait()
	return results
}

func pollOne(ctx context.Context, src source.Source, number string, timeout time.Duration, now func() time.Time) Result {
	snap, err := source.Poll(ctx, src, number, timeout, now)
	return Result{number: number, snap: snap, err: err}
}

// judge sets the result's level and reasons: a failed poll is Error for its
// source.Reason; a successful one is weighed by ts as one snapshot (monitor.JudgeOne:
// no history, so the queue and gauges are judged, rates and shares are not).
func (r *Result) Judge(ts monitor.Thresholds) {
	if r.err != nil {
		r.level, r.reasons = Error, []string{source.Reason(r.err)}
		return
	}
	crossings := ts.JudgeOne(&r.snap)
	r.level = [...]Level{monitor.LevelOK: OK, monitor.LevelWarn: Warn, monitor.LevelCrit: Crit}[monitor.Worst(crossings)]
	r.reasons = make([]string, 0, len(crossings)) // never nil: JSON prints [] for none
	for _, c := range crossings {
		r.reasons = append(r.reasons, source.Sanitize(c.String()))
	}
}

// noteWidth bounds the error column so one bad reply cannot flood the screen.
const noteWidth = 120

var tableHeader = []string{"NUMBER", "STATE", "LEVEL", "CODE", "LATENCY", "QUEUE", "PENDING", "CALLBACKS", "FAILED", "METRICS", "NOTE"}

func PrintTable(w io.Writer, results []Result) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t"))
	for _, r := range results {
		fmt.Fprintln(tw, strings.Join(tableRow(r), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads every cell, so a row with an empty last column ends in spaces.
	var out bytes.Buffer
	for line := range bytes.Lines(buf.Bytes()) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

// tableRow is one number's cells, in tableHeader's order. "-" means not known.
func tableRow(r Result) []string {
	latency := "-"
	if r.snap.Latency > 0 {
		latency = strconv.FormatInt(r.snap.Latency.Round(time.Millisecond).Milliseconds(), 10) + "ms"
	}
	if r.err != nil {
		code := "-"
		var apiErr *source.APIError
		if errors.As(r.err, &apiErr) {
			code = dash(source.Truncate(apiErr.Code, 12))
		}
		return []string{r.number, "ERR", r.level.String(), code, latency, "-", "-", "-", "-", "-", source.Truncate(r.err.Error(), noteWidth)}
	}

	queue := "-"
	if m := r.snap.Metric(source.QueueSize); m != nil {
		queue = formatValue(m.Sum())
	}
	pending := "-"
	if n, ok := monitor.PendingTotal(&r.snap); ok {
		pending = formatValue(n)
	}
	callbacks, failed := "-", "-"
	if total, failures, ok := monitor.CallbackTotals(&r.snap); ok {
		callbacks = formatValue(total)
		if total > 0 {
			failed = strconv.FormatFloat(100*failures/total, 'f', 2, 64) + "%"
		}
	}
	// The note: why the level, then what the decoder dropped.
	var notes []string
	if r.level > OK {
		notes = append(notes, source.Truncate(strings.Join(r.reasons, ", "), noteWidth))
	}
	switch n := len(r.snap.Warnings); n {
	case 0:
	case 1:
		notes = append(notes, "decoder warning: "+source.Truncate(r.snap.Warnings[0], noteWidth))
	default:
		notes = append(notes, fmt.Sprintf("%d decoder warnings, first: %s", n, source.Truncate(r.snap.Warnings[0], noteWidth)))
	}
	return []string{r.number, "OK", r.level.String(), dash(source.Truncate(r.snap.Code, 12)), latency, queue, pending,
		callbacks, failed, strconv.Itoa(len(r.snap.Metrics)), strings.Join(notes, "; ")}
}

func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// JSON Lines shapes, as the README's --once --json section documents them, key by key
// in this order. Keys marked omitempty are present only when they say something.
type (
	jsonOK struct {
		Number    string                `json:"number"`
		OK        bool                  `json:"ok"`
		Demo      bool                  `json:"demo,omitempty"` // simulated numbers
		Code      string                `json:"code"`
		FetchedAt string                `json:"fetched_at"`
		LatencyMS int64                 `json:"latency_ms"`
		Level     string                `json:"level"`   // ok | warn | crit
		Reasons   []string              `json:"reasons"` // the crossings; [] when none
		Meta      map[string]string     `json:"meta,omitempty"`
		Nodes     []string              `json:"nodes,omitempty"`   // active multiconnect nodes
		Standby   []string              `json:"standby,omitempty"` // standby nodes
		Metrics   map[string]jsonMetric `json:"metrics"`
		Warnings  []string              `json:"warnings,omitempty"`
	}
	jsonMetric struct {
		Type    string       `json:"type"`
		Help    string       `json:"help"`
		Samples []jsonSample `json:"samples"`
	}
	jsonSample struct {
		Labels map[string]string `json:"labels"`
		Value  jsonValue         `json:"value"`
	}
	jsonFailed struct {
		Number    string    `json:"number"`
		OK        bool      `json:"ok"`
		Demo      bool      `json:"demo,omitempty"`
		FetchedAt string    `json:"fetched_at"`
		LatencyMS int64     `json:"latency_ms"`
		Level     string    `json:"level"`   // always "error"
		Reasons   []string  `json:"reasons"` // [source.Reason(err)]: "WS500", "HTTP 502", "timeout 10s"
		Error     jsonError `json:"error"`
	}
	jsonError struct {
		Kind       string `json:"kind"`
		Code       string `json:"code,omitempty"`        // API errors only
		HTTPStatus int    `json:"http_status,omitempty"` // only when there was an HTTP answer
		Message    string `json:"message"`
	}
)

// jsonValue is a sample value; JSON has no NaN or infinity, so those become null.
type jsonValue float64

func (v jsonValue) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}

func PrintJSONLines(w io.Writer, results []Result, demo bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		var line any
		if r.err != nil {
			line = failedLine(r, demo)
		} else {
			line = okLine(r, demo)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

func failedLine(r Result, demo bool) jsonFailed {
	e := jsonError{Kind: source.ErrorKind(r.err), Message: source.Sanitize(r.err.Error())}
	var (
		apiErr  *source.APIError
		httpErr *source.HTTPError
	)
	switch {
	case errors.As(r.err, &apiErr):
		e.Code = source.Sanitize(apiErr.Code)
		e.HTTPStatus = apiErr.HTTPStatus // 0 (left out) when no HTTP answer carried it
	case errors.As(r.err, &httpErr):
		e.HTTPStatus = httpErr.Status
	}
	return jsonFailed{
		Number:    r.number,
		Demo:      demo,
		FetchedAt: fetchedAt(r.snap),
		LatencyMS: latencyMS(r.snap),
		Level:     r.level.String(),
		Reasons:   r.reasons,
		Error:     e,
	}
}

func okLine(r Result, demo bool) jsonOK {
	line := jsonOK{
		Number:    r.number,
		OK:        true,
		Demo:      demo,
		Code:      source.Sanitize(r.snap.Code),
		FetchedAt: fetchedAt(r.snap),
		LatencyMS: latencyMS(r.snap),
		Level:     r.level.String(),
		Reasons:   r.reasons,
		Metrics:   make(map[string]jsonMetric, len(r.snap.Metrics)),
	}
	if len(r.snap.Meta) > 0 {
		line.Meta = make(map[string]string, len(r.snap.Meta))
		for k, v := range r.snap.Meta {
			line.Meta[source.Sanitize(k)] = source.Sanitize(v)
		}
	}
	for _, n := range r.snap.Nodes {
		if n.Standby {
			line.Standby = append(line.Standby, source.Sanitize(n.Name))
		} else {
			line.Nodes = append(line.Nodes, source.Sanitize(n.Name))
		}
	}
	for name, m := range r.snap.Metrics {
		samples := make([]jsonSample, 0, len(m.Samples))
		for _, s := range m.Samples {
			labels := make(map[string]string, len(s.Labels))
			for _, l := range s.Labels {
				labels[source.Sanitize(l.Name)] = source.Sanitize(l.Value)
			}
			samples = append(samples, jsonSample{Labels: labels, Value: jsonValue(s.Value)})
		}
		line.Metrics[source.Sanitize(name)] = jsonMetric{Type: string(m.Type), Help: source.Sanitize(m.Help), Samples: samples}
	}
	for _, warning := range r.snap.Warnings {
		line.Warnings = append(line.Warnings, source.Sanitize(warning))
	}
	return line
}

func fetchedAt(snap source.Snapshot) string { return snap.FetchedAt.UTC().Format(time.RFC3339) }

func latencyMS(snap source.Snapshot) int64 {
	return snap.Latency.Round(time.Millisecond).Milliseconds()
}
