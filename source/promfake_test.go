package source_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
)

// fakeProm is a Prometheus as far as the Prometheus source uses one: it keeps the
// scrapes a test gives it (gathered from the real exporter's registry, with job and
// instance added as a scrape adds them) and answers the instant and range queries of one
// number's series, "count by (number) (wamon_up)" and its count, and the info series
// over a window, from them, with Prometheus' five-minute lookback. Like most stores it
// keeps no metadata: /api/v1/metadata is not found. Anything else is answered 400, as
// Prometheus would a query it cannot parse. fail, when set, answers every request
// instead.
type fakeProm struct {
	mu       sync.Mutex
	scrapes  []fakeScrape
	fail     http.HandlerFunc
	requests []*http.Request
	auth     []string // the basic-auth user:password of every request, "" for none
}

type fakeScrape struct {
	at     time.Time
	series []fakeSeries
}

type fakeSeries struct {
	labels map[string]string // with __name__
	value  float64
}

func newFakeProm(t *testing.T) (*fakeProm, *httptest.Server) {
	f := &fakeProm{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// scrape files what the gatherer exports now as a scrape at `at` of the target
// instance.
func (f *fakeProm) scrape(t testing.TB, g prometheus.Gatherer, at time.Time, instance string) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sc := fakeScrape{at: at}
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.Metric {
			labels := map[string]string{"job": "wamon", "instance": instance}
			for _, l := range m.Label {
				name := l.GetName()
				if name == "job" || name == "instance" {
					name = "exported_" + name // a clash with the target's, as honor_labels: false does
				}
				if l.GetValue() != "" { // Prometheus keeps no empty label
					labels[name] = l.GetValue()
				}
			}
			add := func(name string, v float64) {
				ls := map[string]string{"__name__": name}
				for k, v := range labels {
					ls[k] = v
				}
				sc.series = append(sc.series, fakeSeries{labels: ls, value: v})
			}
			switch mf.GetType() {
			case dto.MetricType_SUMMARY:
				add(name+"_count", float64(m.Summary.GetSampleCount()))
				add(name+"_sum", m.Summary.GetSampleSum())
			case dto.MetricType_COUNTER:
				add(name, m.Counter.GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.Gauge.GetValue())
			default:
				add(name, m.Untyped.GetValue())
			}
		}
	}
	f.scrapes = append(f.scrapes, sc)
	sort.Slice(f.scrapes, func(i, j int) bool { return f.scrapes[i].at.Before(f.scrapes[j].at) })
}

const lookback = 5 * time.Minute

// at is what an instant query at ts sees: each target's newest scrape within the
// lookback.
func (f *fakeProm) at(ts time.Time) []fakeSeries {
	newest := map[string]fakeScrape{}
	for _, sc := range f.scrapes {
		if sc.at.After(ts) || ts.Sub(sc.at) > lookback || len(sc.series) == 0 {
			continue
		}
		newest[sc.series[0].labels["instance"]] = sc
	}
	var out []fakeSeries
	for _, sc := range newest {
		out = append(out, sc.series...)
	}
	return out
}

var (
	selectorRE   = regexp.MustCompile(`^\{__name__=~"whatsapp_\.\+\|wamon_up\|wamon_poll_duration_seconds\|wamon_last_success_timestamp_seconds\|wamon_last_error_info",number="(\+[0-9]+)"\}$`)
	countRE      = regexp.MustCompile(`^count by \(number\) \(wamon_up\)$`)
	countCountRE = regexp.MustCompile(`^count\(count by \(number\) \(wamon_up\)\)$`)
	infoRE       = regexp.MustCompile(`^last_over_time\(wamon_metric_info\[([0-9a-z]+)\]\)$`)
)

// selected: the series the selector's name matcher picks.
var selected = regexp.MustCompile(`^(whatsapp_.+|wamon_up|wamon_poll_duration_seconds|wamon_last_success_timestamp_seconds|wamon_last_error_info)$`)

func promTime(s string) time.Time {
	v, _ := strconv.ParseFloat(s, 64)
	return time.UnixMilli(int64(v * 1000)).UTC()
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The form first: until the body is read, the server cannot notice the client
	// going away, and a handler waiting for that would wait for ever.
	r.ParseForm()
	f.mu.Lock()
	user, pass, ok := r.BasicAuth()
	auth := ""
	if ok {
		auth = user + ":" + pass
	}
	f.auth = append(f.auth, auth)
	f.requests = append(f.requests, r)
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		fail(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	query := r.Form.Get("query")
	switch r.URL.Path {
	case "/api/v1/query":
		ts := time.Now()
		if s := r.Form.Get("time"); s != "" {
			ts = promTime(s)
		}
		type sample struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		result := []sample{}
		switch {
		case countCountRE.MatchString(query):
			numbers := map[string]bool{}
			for _, s := range f.at(ts) {
				if s.labels["__name__"] == "wamon_up" {
					numbers[s.labels["number"]] = true
				}
			}
			if len(numbers) > 0 {
				result = append(result, sample{Metric: map[string]string{}, Value: [2]any{float64(ts.UnixMilli()) / 1000, strconv.Itoa(len(numbers))}})
			}
		case infoRE.MatchString(query):
			window, err := model.ParseDuration(infoRE.FindStringSubmatch(query)[1])
			if err != nil {
				badQuery(w, query)
				return
			}
			// The newest info series of each label set within the window.
			newest := map[string]fakeSeries{}
			for _, sc := range f.scrapes {
				if sc.at.After(ts) || ts.Sub(sc.at) > time.Duration(window) {
					continue
				}
				for _, s := range sc.series {
					if s.labels["__name__"] == "wamon_metric_info" {
						ls := maps.Clone(s.labels)
						delete(ls, "__name__") // last_over_time drops the name
						newest[fmt.Sprint(ls)] = fakeSeries{labels: ls, value: s.value}
					}
				}
			}
			for _, s := range newest {
				result = append(result, sample{Metric: s.labels, Value: [2]any{float64(ts.UnixMilli()) / 1000, formatValue(s.value)}})
			}
		case countRE.MatchString(query):
			counts := map[string]int{}
			for _, s := range f.at(ts) {
				if s.labels["__name__"] == "wamon_up" {
					counts[s.labels["number"]]++
				}
			}
			for n, c := range counts {
				result = append(result, sample{Metric: map[string]string{"number": n}, Value: [2]any{float64(ts.UnixMilli()) / 1000, strconv.Itoa(c)}})
			}
		case selectorRE.MatchString(query):
			number := selectorRE.FindStringSubmatch(query)[1]
			for _, s := range f.at(ts) {
				if s.labels["number"] == number && selected.MatchString(s.labels["__name__"]) {
					result = append(result, sample{Metric: s.labels, Value: [2]any{float64(ts.UnixMilli()) / 1000, formatValue(s.value)}})
				}
			}
		default:
			badQuery(w, query)
			return
		}
		writeData(w, map[string]any{"resultType": "vector", "result": result})
	case "/api/v1/query_range":
		m := selectorRE.FindStringSubmatch(query)
		if m == nil {
			badQuery(w, query)
			return
		}
		start, end := promTime(r.Form.Get("start")), promTime(r.Form.Get("end"))
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		type stream struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		}
		streams := map[string]*stream{}
		var keys []string
		for ts := start; !ts.After(end); ts = ts.Add(time.Duration(step * float64(time.Second))) {
			for _, s := range f.at(ts) {
				if s.labels["number"] != m[1] || !selected.MatchString(s.labels["__name__"]) {
					continue
				}
				key := fmt.Sprint(s.labels)
				st := streams[key]
				if st == nil {
					st = &stream{Metric: s.labels}
					streams[key] = st
					keys = append(keys, key)
				}
				st.Values = append(st.Values, [2]any{float64(ts.UnixMilli()) / 1000, formatValue(s.value)})
			}
		}
		result := []*stream{}
		for _, k := range keys {
			result = append(result, streams[k])
		}
		writeData(w, map[string]any{"resultType": "matrix", "result": result})
	default:
		http.NotFound(w, r)
	}
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func writeData(w http.ResponseWriter, data any) {
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
}

func badQuery(w http.ResponseWriter, query string) {
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": "bad_data",
		"error": "the fake cannot answer " + strconv.Quote(query)})
}
