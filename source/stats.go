// Package source is where stats come from and what they mean: the domain model of the
// Kaleyra WhatsApp Monitoring Stats API (Snapshot, Metric, Sample, and the Outcome of a
// poll), its decoder, its error taxonomy, the sanitiser every string from the network
// goes through, and the sources: the real HTTP client, the embedded demo simulator, and
// the Prometheus source, a Historian that reads back what the exporter wrote to a store
// (with the naming both share, promnames.go). It knows nothing of terminals or engines.
package source

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Source is anything that can produce a Snapshot for a WhatsApp Business number.
type Source interface {
	// Fetch polls one number once. On failure the error is one of the typed errors of
	// errors.go; the returned Snapshot then still carries Number, FetchedAt and Latency
	// (and Code/Message for an API error) so the caller can record what happened.
	Fetch(ctx context.Context, number string) (Snapshot, error)
	// Name says where stats come from: "kaleyra https://...", "demo".
	Name() string
}

// MetricType is the type the payload declares for a metric.
type MetricType string

const (
	Gauge     MetricType = "gauge"
	Counter   MetricType = "counter"
	Histogram MetricType = "histogram"
	Summary   MetricType = "summary"
	Untyped   MetricType = "untyped"
)

// Snapshot is one successful (or partially successful) poll of one number.
type Snapshot struct {
	Number    string
	FetchedAt time.Time
	Latency   time.Duration
	// Code and Message are the envelope's, sanitised; Code upper-cased ("WS201").
	Code    string
	Message string
	// Metrics by name. A metric's Group says which stats group it came from ("app", "db").
	Metrics map[string]*Metric
	// Meta is the payload's "meta" object (api_status, version ...), scalar values as text.
	Meta map[string]string
	// Nodes are the "hostname:container-id" nodes of a multiconnect (high-availability)
	// payload, from every stats group, each name once, in order of first appearance. A
	// node is Standby when every object it had was empty ({}), as a standby's is; one
	// object with a member makes it active. Nil when the payload has no nodes. The
	// metrics of the nodes carry a "node" label.
	Nodes []Node
	// Warnings lists what the decoder dropped (a malformed metric or sample) and why,
	// one sanitised line each. The rest of the snapshot survived.
	Warnings []string
	// Raw is the response body as received (bounded by the client's cap). Views must
	// sanitise it before display.
	Raw []byte
	// HTTPStatus is the status the body came with; 0 when no HTTP response carried it
	// (a source that is not the API's client).
	HTTPStatus int
}

// Node is one node of a multiconnect deployment, named as the payload names it
// ("hostname:container-id", sanitised).
type Node struct {
	Name    string
	Standby bool // every object of the node was empty: it holds no metrics
}

// Metric is one named metric of the payload.
type Metric struct {
	Name    string
	Group   string // "app", "db", or any group the payload carries
	Type    MetricType
	Help    string
	Samples []Sample
}

// Sample is one labelled value of a metric.
type Sample struct {
	Labels Labels
	Value  float64
}

// Label is one name/value pair of a sample's label set.
type Label struct {
	Name, Value string
}

// Labels is a label set sorted by Name, so that equal sets compare and print equally.
type Labels []Label

// NewLabels builds a sorted label set from a map.
func NewLabels(m map[string]string) Labels {
	if len(m) == 0 {
		return nil
	}
	ls := make(Labels, 0, len(m))
	for k, v := range m {
		ls = append(ls, Label{Name: k, Value: v})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls
}

// Get returns the value of the label called name, or "".
func (ls Labels) Get(name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// Map returns the label set as a map (for JSON output).
func (ls Labels) Map() map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// String renders the set canonically: `result="success",type="inbound_message"`.
// It is the label part of a series key.
func (ls Labels) String() string {
	if len(ls) == 0 {
		return ""
	}
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		b.WriteString(l.Value)
		b.WriteByte('"')
	}
	return b.String()
}

// SeriesKey names one series of a metric: `name{labels}` (just `name` without labels).
func SeriesKey(metric string, ls Labels) string {
	if len(ls) == 0 {
		return metric
	}
	return metric + "{" + ls.String() + "}"
}

// Metric returns the named metric, or nil.
func (s *Snapshot) Metric(name string) *Metric {
	if s == nil || s.Metrics == nil {
		return nil
	}
	return s.Metrics[name]
}

// MetricNames returns the names of all metrics, sorted.
func (s *Snapshot) MetricNames() []string {
	names := make([]string, 0, len(s.Metrics))
	for n := range s.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Sum adds up the values of every sample of the metric (0 if absent).
func (m *Metric) Sum() float64 {
	if m == nil {
		return 0
	}
	var t float64
	for _, s := range m.Samples {
		t += s.Value
	}
	return t
}

// IsFailure reports whether a callback or endpoint `result` label means failure:
// anything other than success/ok (compared case-insensitively). An empty result is not
// a failure (the sample simply has no result label).
func IsFailure(result string) bool {
	if result == "" {
		return false
	}
	return !strings.EqualFold(result, "success") && !strings.EqualFold(result, "ok")
}

// Outcome is one poll as a Historian or a recording tells it: a snapshot, or the error
// it was.
type Outcome struct {
	Snap Snapshot
	Err  error
}

// Historian is a Source that knows the past: History tells, for each of numbers, what a
// poll would have found at every step from `from` to `to`, oldest first, without
// repeating a poll (a step that found the same poll as the one before is left out). It
// hands each number's outcomes to file as they come (file is called once per number, one
// call at a time, i its index in numbers), with the error that stopped reading it, if
// any: the console fills number by number while it runs.
type Historian interface {
	History(ctx context.Context, numbers []string, from, to time.Time, step time.Duration, file func(i int, outs []Outcome, err error))
}
