package main

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

// onceOptions shapes one headless poll of every number (--once).
type onceOptions struct {
	JSON        bool // JSON Lines instead of the table
	Timeout     time.Duration
	Concurrency int
	// Now stamps a snapshot the source left unstamped and times a poll whose source
	// reported no latency; tests fix it.
	Now func() time.Time
}

// pollResult is what polling one number once gave.
type pollResult struct {
	number string
	snap   source.Snapshot
	err    error
}

// runOnce polls every number once and prints the results in the numbers' order. allOK is
// false when any poll failed; err is a failure to write the output.
func runOnce(ctx context.Context, w io.Writer, src source.Source, numbers []string, opts onceOptions) (allOK bool, err error) {
	results := pollAll(ctx, src, numbers, opts)
	if opts.JSON {
		err = printJSONLines(w, results)
	} else {
		err = printTable(w, results)
	}
	allOK = true
	for _, r := range results {
		if r.err != nil {
			allOK = false
		}
	}
	return allOK, err
}

// pollAll fetches every number concurrently, at most opts.Concurrency at a time, each
// within opts.Timeout.
func pollAll(ctx context.Context, src source.Source, numbers []string, opts onceOptions) []pollResult {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	results := make([]pollResult, len(numbers))
	slots := make(chan struct{}, max(opts.Concurrency, 1))
	var wg sync.WaitGroup
	for i, number := range numbers {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i] = pollOne(ctx, src, number, opts.Timeout, now)
		})
	}
	wg.Wait()
	return results
}

func pollOne(ctx context.Context, src source.Source, number string, timeout time.Duration, now func() time.Time) pollResult {
	snap, err := source.Poll(ctx, src, number, timeout, now)
	return pollResult{number: number, snap: snap, err: err}
}

// noteWidth bounds the error column so one bad reply cannot flood the screen.
const noteWidth = 120

var tableHeader = []string{"NUMBER", "STATE", "CODE", "LATENCY", "QUEUE", "PENDING", "CALLBACKS", "FAILED", "METRICS", "NOTE"}

func printTable(w io.Writer, results []pollResult) error {
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
func tableRow(r pollResult) []string {
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
		return []string{r.number, "ERR", code, latency, "-", "-", "-", "-", "-", source.Truncate(r.err.Error(), noteWidth)}
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
	note := ""
	switch n := len(r.snap.Warnings); n {
	case 0:
	case 1:
		note = "decoder warning: " + source.Truncate(r.snap.Warnings[0], noteWidth)
	default:
		note = fmt.Sprintf("%d decoder warnings, first: %s", n, source.Truncate(r.snap.Warnings[0], noteWidth))
	}
	return []string{r.number, "OK", dash(source.Truncate(r.snap.Code, 12)), latency, queue, pending,
		callbacks, failed, strconv.Itoa(len(r.snap.Metrics)), note}
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

// JSON Lines shapes, as the README's --once --json section gives them. "warnings" is an
// addition: present only when the decoder dropped part of a payload.
type (
	jsonOK struct {
		Number    string                `json:"number"`
		OK        bool                  `json:"ok"`
		Code      string                `json:"code"`
		FetchedAt string                `json:"fetched_at"`
		LatencyMS int64                 `json:"latency_ms"`
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
		Number string    `json:"number"`
		OK     bool      `json:"ok"`
		Error  jsonError `json:"error"`
	}
	jsonError struct {
		Kind    string `json:"kind"`
		Code    string `json:"code,omitempty"` // API errors only
		Message string `json:"message"`
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

func printJSONLines(w io.Writer, results []pollResult) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		var line any
		if r.err != nil {
			line = failedLine(r)
		} else {
			line = okLine(r)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

func failedLine(r pollResult) jsonFailed {
	e := jsonError{Kind: source.ErrorKind(r.err), Message: source.Sanitize(r.err.Error())}
	var apiErr *source.APIError
	if errors.As(r.err, &apiErr) {
		e.Code = source.Sanitize(apiErr.Code)
	}
	return jsonFailed{Number: r.number, Error: e}
}

func okLine(r pollResult) jsonOK {
	line := jsonOK{
		Number:    r.number,
		OK:        true,
		Code:      source.Sanitize(r.snap.Code),
		FetchedAt: r.snap.FetchedAt.UTC().Format(time.RFC3339),
		LatencyMS: r.snap.Latency.Round(time.Millisecond).Milliseconds(),
		Metrics:   make(map[string]jsonMetric, len(r.snap.Metrics)),
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
