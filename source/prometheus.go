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
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// The Prometheus source reads back what `wamon serve --metrics-listen` exported, from any
// store that answers Prometheus' query API (Prometheus scraping it in the text format or
// OpenMetrics, Prometheus in agent mode remote-writing elsewhere, federation,
// VictoriaMetrics ...): the console runs anywhere that store is reachable, with no API key
// and no whitelisted address. A Fetch is one instant query of a number's series; History
// fills a window from query_range, so a console opens with its charts full.
//
// Names go back the way the exporter sent them out (promnames.go). The exporter's info
// series (PromInfo) says, for each exported sample name, the payload metric, stats group,
// type, unit and help it carries; stores keep series whatever path they took, so the
// read-back needs no metadata (which most paths drop, and OpenMetrics files under other
// names). A sample name no info series speaks of is read by the exporter's conventions.
//
// Whatever a store answers is bounded: one answer's bytes (MaxBody), the series of one
// number (MaxSeries), the numbers listed (MaxNumbers), and each query's time (Timeout);
// every string read from it is sanitised where it enters.

// DefaultPrometheusURL is where a local Prometheus listens.
const DefaultPrometheusURL = "http://localhost:9090"

// promMaxPoints is how many steps one query_range may ask for: Prometheus refuses more
// than 11,000 points per series.
const promMaxPoints = 10000

// The bounds on what a store may answer, by default.
const (
	// PromMaxBody caps one answer, as the API client's 8 MiB does a payload: a window of a
	// number's history at 720 steps is a few hundred KB.
	PromMaxBody = 8 << 20
	// PromMaxSeries caps the series of one number in one answer: a payload carries tens,
	// the fault server's biggest 5,000.
	PromMaxSeries = 10000
	// PromMaxNumbers caps the numbers listed when none are named: wamon is built for
	// hundreds, and each costs its history's memory.
	PromMaxNumbers = 1000
)

// promOwn are the exporter's own series the source reads beside the payload's.
const (
	promUp       = "wamon_up"
	promDuration = "wamon_poll_duration_seconds"
	promLastOK   = "wamon_last_success_timestamp_seconds"
	promLastErr  = "wamon_last_error_info"
)

// originRefresh spaces the info series' queries: a sample name not known yet (a metric
// the payloads just started to carry) asks again, at most this often.
const originRefresh = 15 * time.Second

// originLookback is how far before a window the info series are looked for: Prometheus'
// own lookback.
const originLookback = 5 * time.Minute

// PrometheusOptions configures the Prometheus source.
type PrometheusOptions struct {
	// URL is Prometheus' base URL (default DefaultPrometheusURL). A user:password@ in it is
	// sent as basic auth and never shown.
	URL        string
	Timeout    time.Duration // per query, including reading the answer; default 10s
	MaxBody    int64         // one answer's cap in bytes; default PromMaxBody
	MaxSeries  int           // series of one number in one answer; default PromMaxSeries
	MaxNumbers int           // numbers Numbers lists; default PromMaxNumbers
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
	maxSeries   int
	maxNumbers  int

	originMu sync.Mutex
	origins  map[string]PromOrigin // by originKey, from the info series
	askedAt  time.Time             // when the info series were last asked for
	asked    bool
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
		opts.MaxBody = PromMaxBody
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = PromMaxSeries
	}
	if opts.MaxNumbers <= 0 {
		opts.MaxNumbers = PromMaxNumbers
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
		maxSeries:   opts.MaxSeries,
		maxNumbers:  opts.MaxNumbers,
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

// query is an instant query whose answer must be a vector of at most limit series.
func (p *Prometheus) query(ctx context.Context, q string, limit int, what func() string) (model.Vector, annotations, error) {
	v, warnings, _, err := p.api.Query(ctx, q, time.Time{})
	if err != nil {
		return nil, nil, p.queryError(ctx, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, nil, &QueryError{Msg: "an instant query's result is not a vector but a " + v.Type().String()}
	}
	if len(vec) > limit {
		return nil, nil, &TooManyError{What: what(), Count: len(vec), Limit: limit}
	}
	return vec, warnings, nil
}

// annotations are the warnings Prometheus sends beside an answer.
type annotations = v1.Warnings

// Numbers lists the numbers the store has a wamon_up of, sorted; one that is not an
// E.164 number is left out, and said so in skipped. More than MaxNumbers is refused
// (counted first, so that a store of a hundred thousand is not read to say so).
func (p *Prometheus) Numbers(ctx context.Context) (numbers, skipped []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	total, _, err := p.query(ctx, "count(count by (number) ("+promUp+"))", 1, func() string { return "counts" })
	if err != nil {
		return nil, nil, err
	}
	if len(total) == 1 && float64(total[0].Value) > float64(p.maxNumbers) {
		return nil, nil, &TooManyError{What: "numbers", Count: int(min(float64(total[0].Value), math.MaxInt32)), Limit: p.maxNumbers,
			Hint: "name the ones to watch (--number, or numbers in the config)"}
	}
	vec, _, err := p.query(ctx, "count by (number) ("+promUp+")", p.maxNumbers, func() string { return "numbers" })
	if err != nil {
		return nil, nil, err
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
	vec, warnings, err := p.query(ctx, query, p.maxSeries, func() string { return "series of " + number })
	if err != nil {
		return Snapshot{}, err
	}
	metrics := make([]model.Metric, len(vec))
	for i, s := range vec {
		metrics[i] = s.Metric
	}
	series, guessed := prepareSeries(number, metrics, p.originsOf(ctx, metrics, 0))
	points := make([]promPoint, 0, len(vec))
	for _, i := range sortedOrder(series) {
		points = append(points, promPoint{s: series[i], v: float64(vec[i].Value)})
	}
	snap, err := assemble(number, points)
	for _, w := range warnings {
		snap.Warnings = append(snap.Warnings, "prometheus: "+Truncate(Sanitize(w), 160))
	}
	if len(guessed) > 0 && err == nil {
		w := "prometheus: no " + PromInfo + " of " + guessed[0]
		if len(guessed) > 1 {
			w += fmt.Sprintf(" and %d more", len(guessed)-1)
		}
		snap.Warnings = append(snap.Warnings, w+": named by the exporter's conventions")
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
		lines = append(lines, Sanitize(s.Metric.String())+" "+s.Value.String())
	}
	sort.Strings(lines)
	return []byte("# prometheus query: " + query + "\n" + strings.Join(lines, "\n") + "\n")
}

// History reads the window from query_range, one query per number (several at once), in
// chunks Prometheus accepts, and hands each number's outcomes to file as they come.
func (p *Prometheus) History(ctx context.Context, numbers []string, from, to time.Time, step time.Duration, file func(i int, outs []Outcome, err error)) {
	if step <= 0 || !to.After(from) {
		return
	}
	// The info series of the whole window first, once for every number.
	p.originsOf(ctx, nil, to.Sub(from))
	// Decoding an answer is most of a fill's work, and it runs beside the console: more
	// queries at once than processors only queue that work ahead of the keys (50
	// numbers on 2 processors: a key waited up to 116 ms with 8 at once, 21 ms with 2,
	// and the fill took as long).
	sem := make(chan struct{}, min(p.concurrency, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	var mu sync.Mutex // file is called one number at a time
	for i, n := range numbers {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				file(i, nil, ctx.Err())
				mu.Unlock()
				return
			}
			outs, err := p.history(ctx, n, from, to, step)
			<-sem
			mu.Lock()
			file(i, outs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
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
		cancel()
		mat, ok := v.(model.Matrix)
		if !ok {
			return outs, &QueryError{Msg: "a range query's result is not a matrix but a " + v.Type().String()}
		}
		if len(mat) > p.maxSeries {
			return outs, &TooManyError{What: "series of " + number, Count: len(mat), Limit: p.maxSeries}
		}
		steps := int(end.Sub(chunk)/step) + 1
		metrics := make([]model.Metric, len(mat))
		for i, ss := range mat {
			metrics[i] = ss.Metric
		}
		series, _ := prepareSeries(number, metrics, p.originsOf(ctx, metrics, to.Sub(from)))
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

// originsOf returns what the info series say of the exporter's sample names, asking the
// store (over span and Prometheus' lookback before now) the first time, and again when
// metrics name one not known yet, at most every originRefresh. A store that cannot say
// leaves the names to the conventions (GuessPromOrigin).
func (p *Prometheus) originsOf(ctx context.Context, metrics []model.Metric, span time.Duration) map[string]PromOrigin {
	p.originMu.Lock()
	defer p.originMu.Unlock()
	missing := !p.asked
	for i := 0; i < len(metrics) && !missing; i++ {
		if name := string(metrics[i][model.MetricNameLabel]); strings.HasPrefix(name, PromPrefix) {
			_, known := p.origins[originKey("", name)]
			missing = !known
		}
	}
	if !missing || p.asked && time.Since(p.askedAt) < originRefresh {
		return p.origins
	}
	p.asked, p.askedAt = true, time.Now()
	qctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	window := model.Duration(span.Round(time.Second) + originLookback)
	vec, _, err := p.query(qctx, "last_over_time("+PromInfo+"["+window.String()+"])", p.maxSeries, func() string { return PromInfo + " series" })
	if err != nil {
		return p.origins
	}
	// Several exporters (a pair, or two versions) may say different things of one name:
	// the first in the order of their labels speaks, the same one every time.
	sort.Slice(vec, func(a, b int) bool { return vec[a].Metric.Before(vec[b].Metric) })
	origins := make(map[string]PromOrigin, len(vec)+len(p.origins))
	for _, s := range vec {
		o, ok := PromOriginOf(func(name string) string { return string(s.Metric[model.LabelName(name)]) })
		key := originKey(o.Number, o.Metric)
		if _, seen := origins[key]; ok && !seen {
			origins[key] = o
		}
	}
	for name, o := range p.origins {
		if _, ok := origins[name]; !ok {
			origins[name] = o // a name the store no longer speaks of keeps what it said
		}
	}
	p.origins = origins
	return origins
}

// originKey is where origins file what the info series say of a sample name: for every
// number (number "") or for one.
func originKey(number, metric string) string {
	if number == "" {
		return metric
	}
	return number + "\x00" + metric
}

// originOf is what the info series say of a sample name in number's payload.
func originOf(origins map[string]PromOrigin, number, name string) (PromOrigin, bool) {
	if o, ok := origins[originKey(number, name)]; ok {
		return o, true
	}
	o, ok := origins[name]
	return o, ok
}

// promSeries is one series Prometheus returned, read once however many samples it has:
// which of the exporter's series it is, which target (scrape of a wamon) it came from,
// and for a payload series its metric and labels as the payload had them.
type promSeries struct {
	own    string // promUp, promDuration, promLastOK or promLastErr; "" for a payload series, "?" for neither
	target string // the target's label values, joined: the wamon it was scraped from
	origin PromOrigin
	labels Labels // the payload's labels
	key    string // origin.Payload and labels: the order of samples in a snapshot
	// wamon_last_error_info's labels.
	errKind, reason, message string
}

// promPoint is one value of a series.
type promPoint struct {
	s *promSeries
	v float64
}

// prepareSeries reads the series of one answer, sorted for assemble: a snapshot's
// samples come out in order without sorting each one. Target labels (job, instance,
// anything the scrape config adds) are those of the wamon_up series, without number.
// Every name and value read is sanitised here, where it enters. guessed lists the
// sample names no info series spoke of, named by the conventions.
func prepareSeries(number string, metrics []model.Metric, origins map[string]PromOrigin) (out []*promSeries, guessed []string) {
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
	out = make([]*promSeries, len(metrics))
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
			ps.own, ps.errKind, ps.reason = name, Truncate(Sanitize(string(m["kind"])), 16), Truncate(Sanitize(string(m["reason"])), 40)
			ps.message = Truncate(Sanitize(string(m["message"])), 200)
		case "":
			ps.own = "?"
		default:
			if !strings.HasPrefix(name, PromPrefix) {
				ps.own = "?" // not asked for: ignored
				break
			}
			o, ok := originOf(origins, number, name)
			if !ok {
				o = GuessPromOrigin(Sanitize(name))
				if !slices.Contains(guessed, o.Metric) {
					guessed = append(guessed, o.Metric)
				}
			}
			ps.origin = o
			labels := make(map[string]string, len(m))
			for k, v := range m {
				if k == model.MetricNameLabel || k == "number" || targetNames[k] || v == "" {
					continue // an empty label is no label, to Prometheus
				}
				labels[payloadLabel(Sanitize(string(k)))] = Sanitize(string(v))
			}
			ps.labels = NewLabels(labels)
			ps.key = SeriesKey(o.Payload, ps.labels)
		}
		out[i] = ps
	}
	return out, guessed
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
	message  string
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
				t.errKind, t.reason, t.message = p.s.errKind, p.s.reason, p.s.message
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
		return Snapshot{}, &UpstreamError{Number: number, Kind: best.errKind, Reason: best.reason, Message: best.message}
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
		o := &ps.origin
		m := snap.Metrics[o.Payload]
		if m == nil {
			m = &Metric{Name: o.Payload, Group: o.Group, Type: o.Type, Help: o.Help}
			snap.Metrics[o.Payload] = m
		}
		if n := ps.labels.Get("node"); n != "" && !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
		m.Samples = append(m.Samples, Sample{Labels: ps.labels, Value: toPayloadUnit(p.v, o.Unit)})
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		snap.Nodes = append(snap.Nodes, Node{Name: n})
	}
	return snap, nil
}

// toPayloadUnit turns an exported value in seconds back into the payload's unit: the
// shortest decimal that the exporter's conversion (PromFamily.Seconds) takes to v, so
// that 1234 ms, which went out as 1.234 s, comes back 1234 and not 1234.0000000000002.
func toPayloadUnit(v float64, unit string) float64 {
	f := unitFactor(unit)
	if f == 1 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	back := PromFamily{Unit: unit}
	for _, digits := range []int{15, 16} {
		if d, err := strconv.ParseFloat(strconv.FormatFloat(v*f, 'g', digits, 64), 64); err == nil && back.Seconds(d) == v {
			return d
		}
	}
	return v * f
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
