package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// The Prometheus source reads back what `wamon serve --metrics-listen` exported, from a
// Prometheus that scrapes it: the console runs anywhere Prometheus is reachable, with no
// API key and no whitelisted address. A Fetch is one instant query of a number's series;
// History fills a window from query_range, so a console opens with its charts full.
//
// Names go back the way the exporter sent them out (promnames.go): the HELP text of each
// family, from /api/v1/metadata, names the payload metric, its stats group and unit, so
// values return to the payload's units and the screens find the metrics they know. A
// family Prometheus has no metadata for keeps its Prometheus name, in its exported unit.

// DefaultPrometheusURL is where a local Prometheus listens.
const DefaultPrometheusURL = "http://localhost:9090"

// promMaxPoints is how many steps one query_range may ask for: Prometheus refuses more
// than 11,000 points per series.
const promMaxPoints = 10000

// promOwn are the exporter's own series the source reads beside the payload's.
const (
	promUp       = "wamon_up"
	promDuration = "wamon_poll_duration_seconds"
	promLastOK   = "wamon_last_success_timestamp_seconds"
	promLastErr  = "wamon_last_error_info"
)

// PrometheusOptions configures the Prometheus source.
type PrometheusOptions struct {
	// URL is Prometheus' base URL (default DefaultPrometheusURL). A user:password@ in it is
	// sent as basic auth and never shown.
	URL        string
	Timeout    time.Duration // per request, including reading the body; default 10s
	MaxBody    int64         // response cap in bytes; default 64 MiB (a window of history is large)
	Version    string        // for User-Agent: wamon/{version}
	HTTPClient *http.Client  // optional, for tests; its Transport is used, its Timeout replaced
	// Concurrency bounds the queries History runs at once (default 8).
	Concurrency int
}

// Prometheus is the Prometheus source. It is safe for concurrent use.
type Prometheus struct {
	api         v1.API
	name        string // the URL with any password redacted
	timeout     time.Duration
	concurrency int

	metaMu   sync.Mutex
	meta     map[string]v1.Metadata // by family name, the exporter's families only
	metaAt   time.Time              // when meta was last asked for
	metaErr  error                  // the last failure to get it, for a warning
	metaOnce bool                   // asked at least once
}

// NewPrometheus checks the URL and builds the source; it asks Prometheus nothing yet.
func NewPrometheus(opts PrometheusOptions) (*Prometheus, error) {
	if opts.URL == "" {
		opts.URL = DefaultPrometheusURL
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %q is not an http(s) URL", RedactURL(opts.URL))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 64 << 20
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	base := http.DefaultTransport
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = opts.HTTPClient.Transport
	}
	client, err := api.NewClient(api.Config{
		Address:      opts.URL,
		RoundTripper: &promTransport{next: base, agent: "wamon/" + opts.Version, maxBody: opts.MaxBody},
	})
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %q: %s", RedactURL(opts.URL), Sanitize(err.Error()))
	}
	return &Prometheus{
		api:         v1.NewAPI(client),
		name:        "prometheus " + RedactURL(strings.TrimRight(opts.URL, "/")),
		timeout:     opts.Timeout,
		concurrency: opts.Concurrency,
	}, nil
}

// RedactURL is a URL fit to show: any password replaced with "xxxxx".
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		// An unparsable URL may still hold a password: keep the scheme and host part
		// only when there is no "@" to hide.
		if strings.Contains(s, "@") {
			return "(unparsable URL)"
		}
		return Sanitize(s)
	}
	return Sanitize(u.Redacted())
}

// Name says where stats come from.
func (p *Prometheus) Name() string { return p.name }

// promTransport sets the User-Agent and caps response bodies: a wrong URL must not make
// the console read a gigabyte into memory.
type promTransport struct {
	next    http.RoundTripper
	agent   string
	maxBody int64
}

func (t *promTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.agent)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: t.maxBody, limit: t.maxBody}
	return resp, nil
}

// cappedBody fails with a *TooLargeError past its limit.
type cappedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells "over the cap" from "exactly at it".
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, &TooLargeError{Limit: b.limit}
		}
		return b.ReadCloser.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// promQuote is a PromQL string literal (PromQL strings escape as Go's do).
func promQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// selector picks every series of one number the source reads.
func selector(number string) string {
	return `{__name__=~"` + PromPrefix + `.+|` + promUp + `|` + promDuration + `|` + promLastOK + `|` + promLastErr +
		`",number=` + promQuote(number) + `}`
}

// queryError turns what the client returned into one of the taxonomy's errors.
func (p *Prometheus) queryError(ctx context.Context, err error) error {
	var apiErr *v1.Error
	var big *TooLargeError
	switch {
	case errors.As(err, &big):
		return big
	case errors.As(err, &apiErr):
		return promAPIError(apiErr)
	}
	return classifyTransport(ctx, err, p.timeout)
}

// promAPIError reads an error the client could not: for a status other than 400 and
// 422 it keeps Prometheus' JSON in Detail, which says what really went wrong (a 503 is
// usually "query timed out"); for a page that is not Prometheus' it says what it was.
func promAPIError(e *v1.Error) error {
	q := &QueryError{Type: Truncate(Sanitize(string(e.Type)), 24), Msg: Truncate(Sanitize(e.Msg), 160)}
	var status int
	switch {
	case e.Type == v1.ErrServer || e.Type == v1.ErrClient || e.Type == v1.ErrBadResponse:
		// "server error: 503", "client error: 404", "bad response code 302"
		fmt.Sscanf(lastWord(e.Msg), "%d", &status)
	}
	if status != 0 {
		q.Status = status
		var body struct {
			ErrorType string `json:"errorType"`
			Error     string `json:"error"`
		}
		if json.Unmarshal([]byte(e.Detail), &body) == nil && body.ErrorType != "" {
			q.Type = Truncate(Sanitize(body.ErrorType), 24)
			q.Msg = Truncate(Sanitize(body.Error), 160)
		} else {
			q.Type = ""
			q.Msg = "not Prometheus' API: " + describeBody([]byte(e.Detail))
		}
	} else {
		switch e.Type {
		case v1.ErrBadData:
			q.Status = http.StatusBadRequest
		case v1.ErrExec:
			q.Status = http.StatusUnprocessableEntity
		case v1.ErrBadResponse:
			q.Msg = "not Prometheus' API: " + q.Msg
		}
	}
	if q.Type == "bad_response" {
		q.Type = ""
	}
	return q
}

func lastWord(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

// describeBody says in a few words what a body that is not the expected JSON was.
func describeBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "":
		return "empty body"
	case strings.HasPrefix(strings.ToLower(s), "<!doctype html") || strings.HasPrefix(strings.ToLower(s), "<html"):
		return "HTML page"
	}
	return Truncate(Sanitize(strings.Join(strings.Fields(s), " ")), 60)
}

// Numbers lists the numbers Prometheus has a wamon_up of, sorted; one that is not an
// E.164 number is left out, and said so in skipped.
func (p *Prometheus) Numbers(ctx context.Context) (numbers, skipped []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, _, _, err := p.api.Query(ctx, "count by (number) ("+promUp+")", time.Time{})
	if err != nil {
		return nil, nil, p.queryError(ctx, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, nil, &QueryError{Msg: "a count by number is not a vector but a " + v.Type().String()}
	}
	for _, s := range vec {
		n := string(s.Metric["number"])
		if ValidateNumber(n) != nil {
			skipped = append(skipped, Truncate(Sanitize(n), 40))
			continue
		}
		numbers = append(numbers, n)
	}
	sort.Strings(numbers)
	if len(numbers) == 0 {
		return nil, skipped, &NoDataError{Number: "any number", Detail: "Prometheus has no " + promUp + " series: is wamon serve --metrics-listen scraped?"}
	}
	return numbers, skipped, nil
}

// Fetch is one instant query of the number's series.
func (p *Prometheus) Fetch(ctx context.Context, number string) (Snapshot, error) {
	start := time.Now()
	snap, err := p.fetch(ctx, number)
	snap.Number = number
	if snap.FetchedAt.IsZero() {
		snap.FetchedAt = start
	}
	if snap.Latency == 0 {
		snap.Latency = time.Since(start)
	}
	return snap, err
}

func (p *Prometheus) fetch(ctx context.Context, number string) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	query := selector(number)
	v, warnings, _, err := p.api.Query(ctx, query, time.Time{})
	if err != nil {
		return Snapshot{}, p.queryError(ctx, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return Snapshot{}, &QueryError{Msg: "a selector's result is not a vector but a " + v.Type().String()}
	}
	metrics := make([]model.Metric, len(vec))
	for i, s := range vec {
		metrics[i] = s.Metric
	}
	series := prepareSeries(metrics, p.metadata(ctx, metrics))
	points := make([]promPoint, 0, len(vec))
	for _, i := range sortedOrder(series) {
		points = append(points, promPoint{s: series[i], v: float64(vec[i].Value)})
	}
	snap, err := assemble(number, points)
	for _, w := range warnings {
		snap.Warnings = append(snap.Warnings, "prometheus: "+Truncate(Sanitize(w), 160))
	}
	if err == nil {
		snap.Raw = rawText(query, vec)
	}
	return snap, err
}

// rawText is what the raw view shows of a Prometheus answer: the query and its series,
// one per line, sorted.
func rawText(query string, vec model.Vector) []byte {
	lines := make([]string, 0, len(vec))
	for _, s := range vec {
		lines = append(lines, s.Metric.String()+" "+s.Value.String())
	}
	sort.Strings(lines)
	return []byte("# prometheus query: " + query + "\n" + strings.Join(lines, "\n") + "\n")
}

// Outcome is one poll as a Historian tells it: a snapshot, or the error it was.
type Outcome struct {
	Snap Snapshot
	Err  error
}

// Historian is a Source that knows the past: History tells, for each of numbers, what a
// poll would have found at every step from `from` to `to`, oldest first, without
// repeating a poll (a step that found the same poll as the one before is left out). A
// number it could not read has a nil slice, and the error says why.
type Historian interface {
	History(ctx context.Context, numbers []string, from, to time.Time, step time.Duration) ([][]Outcome, error)
}

// History reads the window from query_range, one query per number (several at once), in
// chunks Prometheus accepts.
func (p *Prometheus) History(ctx context.Context, numbers []string, from, to time.Time, step time.Duration) ([][]Outcome, error) {
	if step <= 0 || !to.After(from) {
		return make([][]Outcome, len(numbers)), nil
	}
	out := make([][]Outcome, len(numbers))
	errs := make([]error, len(numbers))
	sem := make(chan struct{}, p.concurrency)
	var wg sync.WaitGroup
	for i, n := range numbers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = p.history(ctx, n, from, to, step)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return out, fmt.Errorf("%s: %w", numbers[i], err)
		}
	}
	return out, nil
}

func (p *Prometheus) history(ctx context.Context, number string, from, to time.Time, step time.Duration) ([]Outcome, error) {
	var outs []Outcome
	var lastOK time.Time
	// Prometheus' times are milliseconds: a start between two would put every step a
	// hair before its bucket.
	from = from.Truncate(time.Millisecond)
	for chunk := from; !chunk.After(to); chunk = chunk.Add(step * promMaxPoints) {
		end := chunk.Add(step * (promMaxPoints - 1))
		if end.After(to) {
			end = to
		}
		qctx, cancel := context.WithTimeout(ctx, p.timeout)
		v, _, _, err := p.api.QueryRange(qctx, selector(number), v1.Range{Start: chunk, End: end, Step: step})
		if err != nil {
			err = p.queryError(qctx, err)
			cancel()
			return outs, err
		}
		mat, ok := v.(model.Matrix)
		if !ok {
			cancel()
			return outs, &QueryError{Msg: "a range query's result is not a matrix but a " + v.Type().String()}
		}
		steps := int(end.Sub(chunk)/step) + 1
		metrics := make([]model.Metric, len(mat))
		for i, ss := range mat {
			metrics[i] = ss.Metric
		}
		series := prepareSeries(metrics, p.metadata(qctx, metrics))
		cancel()
		buckets := make([][]promPoint, steps)
		for _, i := range sortedOrder(series) {
			for _, sp := range mat[i].Values {
				if k := bucketOf(sp.Timestamp.Time(), chunk, step); k >= 0 && k < steps {
					buckets[k] = append(buckets[k], promPoint{s: series[i], v: float64(sp.Value)})
				}
			}
		}
		for k, points := range buckets {
			at := chunk.Add(time.Duration(k) * step)
			if len(points) == 0 {
				if len(outs) > 0 {
					// Prometheus knew nothing then: a gap, once it had known something.
					outs = append(outs, Outcome{Snap: Snapshot{Number: number, FetchedAt: at},
						Err: &NoDataError{Number: number, Detail: "no series in Prometheus at " + at.UTC().Format(time.TimeOnly)}})
				}
				continue
			}
			snap, err := assemble(number, points)
			snap.Number = number
			if err != nil {
				snap.FetchedAt = at
			} else if !snap.FetchedAt.After(lastOK) {
				continue // the poll the step before found: not a new one
			} else {
				lastOK = snap.FetchedAt
			}
			outs = append(outs, Outcome{Snap: snap, Err: err})
		}
	}
	return outs, nil
}

// bucketOf is the step a sample of a range query belongs to: the nearest, as a time
// that went through float seconds may come back a millisecond off.
func bucketOf(ts, start time.Time, step time.Duration) int {
	return int((ts.Sub(start) + step/2) / step)
}

// metadata returns the exporter's families Prometheus knows, asking for them again when
// items name one not known yet (at most once a minute). Without metadata every family
// keeps its Prometheus name.
func (p *Prometheus) metadata(ctx context.Context, metrics []model.Metric) map[string]v1.Metadata {
	p.metaMu.Lock()
	defer p.metaMu.Unlock()
	missing := !p.metaOnce
	for i := 0; i < len(metrics) && !missing; i++ {
		name := string(metrics[i][model.MetricNameLabel])
		if strings.HasPrefix(name, PromPrefix) {
			_, ok := p.meta[name]
			_, okBase := p.meta[summaryBase(name)]
			missing = !ok && !okBase
		}
	}
	if missing && (!p.metaOnce || time.Since(p.metaAt) > time.Minute) {
		p.metaOnce, p.metaAt = true, time.Now()
		all, err := p.api.Metadata(ctx, "", "")
		p.metaErr = err
		if err == nil {
			meta := make(map[string]v1.Metadata)
			for name, ms := range all {
				if strings.HasPrefix(name, PromPrefix) && len(ms) > 0 {
					meta[name] = ms[0]
				}
			}
			p.meta = meta
		}
	}
	return p.meta
}

// summaryBase is the family of a summary's _count or _sum series ("" for neither).
func summaryBase(name string) string {
	for _, suffix := range []string{"_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			return base
		}
	}
	return ""
}

// promSeries is one series Prometheus returned, read once however many samples it has:
// which of the exporter's series it is, which target (scrape of a wamon) it came from,
// and for a payload series its metric and labels as the payload had them.
type promSeries struct {
	own    string // promUp, promDuration, promLastOK or promLastErr; "" for a payload series, "?" for neither
	target string // the target's label values, joined: the wamon it was scraped from
	fam    payloadFamily
	labels Labels // the payload's labels
	key    string // fam.name and labels: the order of samples in a snapshot
	// wamon_last_error_info's labels.
	errKind, reason string
}

// promPoint is one value of a series.
type promPoint struct {
	s *promSeries
	v float64
}

// prepareSeries reads the series of one answer, sorted for assemble: a snapshot's
// samples come out in order without sorting each one. Target labels (job, instance,
// anything the scrape config adds) are those of the wamon_up series, without number.
func prepareSeries(metrics []model.Metric, meta map[string]v1.Metadata) []*promSeries {
	targetNames := map[model.LabelName]bool{}
	for _, m := range metrics {
		if m[model.MetricNameLabel] == promUp {
			for k := range m {
				if k != model.MetricNameLabel && k != "number" {
					targetNames[k] = true
				}
			}
		}
	}
	names := slices.Sorted(maps.Keys(targetNames))
	out := make([]*promSeries, len(metrics))
	for i, m := range metrics {
		ps := &promSeries{}
		var tb strings.Builder
		for _, k := range names {
			tb.WriteString(string(m[k]))
			tb.WriteByte(0)
		}
		ps.target = tb.String()
		switch name := string(m[model.MetricNameLabel]); name {
		case promUp, promDuration, promLastOK:
			ps.own = name
		case promLastErr:
			ps.own, ps.errKind, ps.reason = name, Sanitize(string(m["kind"])), Truncate(Sanitize(string(m["reason"])), 40)
		case "":
			ps.own = "?"
		default:
			if !strings.HasPrefix(name, PromPrefix) {
				ps.own = "?" // not asked for: ignored
				break
			}
			ps.fam = familyOf(name, meta)
			labels := make(map[string]string, len(m))
			for k, v := range m {
				if k == model.MetricNameLabel || k == "number" || targetNames[k] || v == "" {
					continue // an empty label is no label, to Prometheus
				}
				labels[payloadLabel(Sanitize(string(k)))] = Sanitize(string(v))
			}
			ps.labels = NewLabels(labels)
			ps.key = SeriesKey(ps.fam.name, ps.labels)
		}
		out[i] = ps
	}
	return out
}

// target is one scrape target's wamon_up of the number: Prometheus may scrape two wamons
// watching it (a pair for high availability), and the freshest answers.
type target struct {
	key      string
	up       bool
	lastOK   float64 // wamon_last_success_timestamp_seconds; 0 when absent
	duration float64 // wamon_poll_duration_seconds; -1 when absent
	errKind  string
	reason   string
}

// assemble makes a snapshot of one number's values at one instant.
func assemble(number string, points []promPoint) (Snapshot, error) {
	var targets []target
	for _, p := range points {
		if p.s.own == promUp {
			targets = append(targets, target{key: p.s.target, up: p.v == 1, duration: -1})
		}
	}
	if len(targets) == 0 {
		return Snapshot{}, &NoDataError{Number: number, Detail: "Prometheus has no " + promUp + " of it: is the exporter scraped, and does it watch this number?"}
	}
	for _, p := range points {
		if p.s.own == "" || p.s.own == promUp {
			continue
		}
		for i := range targets {
			t := &targets[i]
			if t.key != p.s.target {
				continue
			}
			switch p.s.own {
			case promDuration:
				t.duration = p.v
			case promLastOK:
				t.lastOK = p.v
			case promLastErr:
				t.errKind, t.reason = p.s.errKind, p.s.reason
			}
		}
	}
	// The freshest target that is up; else the one down, for its reason.
	best := &targets[0]
	for i := range targets[1:] {
		if t := &targets[i+1]; t.up && (!best.up || t.lastOK > best.lastOK) {
			best = t
		}
	}
	if !best.up {
		return Snapshot{}, &UpstreamError{Number: number, Kind: best.errKind, Reason: best.reason}
	}

	snap := Snapshot{Metrics: map[string]*Metric{}}
	if best.lastOK > 0 {
		snap.FetchedAt = time.Unix(0, int64(best.lastOK*1e9)).UTC()
	}
	if best.duration >= 0 {
		snap.Latency = time.Duration(best.duration * float64(time.Second))
		if snap.Latency == 0 {
			snap.Latency = time.Nanosecond // 0 would read as "not known"
		}
	}
	var nodes []string
	for _, p := range points {
		ps := p.s
		if ps.own != "" || ps.target != best.key || math.IsNaN(p.v) {
			continue
		}
		m := snap.Metrics[ps.fam.name]
		if m == nil {
			m = &Metric{Name: ps.fam.name, Group: ps.fam.group, Type: ps.fam.kind, Help: ps.fam.help}
			snap.Metrics[ps.fam.name] = m
		}
		if n := ps.labels.Get("node"); n != "" && !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
		m.Samples = append(m.Samples, Sample{Labels: ps.labels, Value: p.v * ps.fam.factor})
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		snap.Nodes = append(snap.Nodes, Node{Name: n})
	}
	return snap, nil
}

// sortedOrder is the order of prepared series by their key, as indexes.
func sortedOrder(series []*promSeries) []int {
	order := make([]int, len(series))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return series[order[a]].key < series[order[b]].key })
	return order
}

// payloadLabel undoes PromLabel's (and Prometheus' own) "exported_" prefix of a label
// whose name was taken.
func payloadLabel(name string) string {
	if rest, ok := strings.CutPrefix(name, "exported_"); ok {
		switch {
		case rest == "number", rest == "job", rest == "instance", strings.HasPrefix(rest, "__"):
			return rest
		}
	}
	return name
}

// payloadFamily is how one Prometheus series name reads back into the payload.
type payloadFamily struct {
	name, group, help string
	kind              MetricType
	factor            float64 // Prometheus value × factor = the payload's value
}

// familyOf maps a Prometheus series name back to its payload metric.
func familyOf(name string, meta map[string]v1.Metadata) payloadFamily {
	if md, ok := meta[name]; ok && md.Type != v1.MetricTypeSummary {
		if o, ok := ParsePromHelp(Sanitize(md.Help)); ok {
			kind := Untyped
			switch md.Type {
			case v1.MetricTypeCounter:
				kind = Counter
			case v1.MetricTypeGauge:
				kind = Gauge
			}
			return payloadFamily{name: o.Payload, group: o.Group, help: o.Help, kind: kind, factor: unitFactor(o.Unit)}
		}
	}
	if base := summaryBase(name); base != "" {
		if md, ok := meta[base]; ok && md.Type == v1.MetricTypeSummary {
			if o, ok := ParsePromHelp(Sanitize(md.Help)); ok {
				f := payloadFamily{group: o.Group, help: o.Help, kind: Counter, factor: 1}
				if strings.HasSuffix(name, "_sum") {
					f.name, f.factor = o.Payload+"_sum", unitFactor(o.Unit)
				} else {
					f.name = o.Payload + "_count"
				}
				return f
			}
		}
	}
	// No metadata: the Prometheus name without the prefix, in its exported unit.
	f := payloadFamily{name: Sanitize(strings.TrimPrefix(name, PromPrefix)), kind: Untyped, factor: 1}
	if strings.HasSuffix(name, "_total") || summaryBase(name) != "" {
		f.kind = Counter
	}
	return f
}

// unitFactor turns seconds back into the payload's unit.
func unitFactor(unit string) float64 {
	switch unit {
	case "ms":
		return 1e3
	case "us":
		return 1e6
	}
	return 1
}
