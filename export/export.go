// Package export is the Prometheus collector over the engine: every metric the payloads
// carry, named by Prometheus' conventions, and wamon's own figures of its polls.
//
// The Kaleyra API is whitelisted, shared and rate-limited, so the engine polls on its own
// schedule and a scrape never calls it: the collector reads the engine's last poll of
// each number (the caching case of Prometheus' "Writing exporters" guide) and says so in
// every HELP text. Samples carry no timestamps. A number whose last poll failed exports
// no payload series, never stale values as if fresh; wamon_up says it failed.
package export

import (
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// Collector exports an engine's numbers. It is unchecked: its series depend on what the
// payloads carry, so it describes none in advance.
type Collector struct {
	eng *monitor.Engine

	up, duration, lastOK, polls, errors, lastErr, level *prometheus.Desc
}

// NewCollector builds the collector of an engine.
func NewCollector(eng *monitor.Engine) *Collector {
	own := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"number"}, labels...), nil)
	}
	return &Collector{
		eng:      eng,
		up:       own("wamon_up", "1 when wamon's last poll of the number succeeded, 0 when it failed or none has answered yet."),
		duration: own("wamon_poll_duration_seconds", "How long wamon's last poll of the number took."),
		lastOK:   own("wamon_last_success_timestamp_seconds", "When wamon last polled the number successfully, in seconds since the epoch."),
		polls:    own("wamon_polls_total", "Polls of the number wamon has made."),
		errors:   own("wamon_poll_errors_total", "Polls of the number that failed, by kind of failure.", "kind"),
		lastErr: own("wamon_last_error_info", "1 while wamon's last poll of the number failed: the kind of failure and its reason "+
			"(an API code such as WS500, HTTP 502, timeout 10s ...), as the console shows it.", "kind", "reason"),
		level: own("wamon_level", "The number's level against wamon's thresholds: 0 ok, 1 warn, 2 crit."),
	}
}

// Describe describes nothing: the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect exports the engine's state as it is now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	fams := families{}
	for i := range c.eng.Len() {
		c.eng.Read(i, func(v *monitor.View) {
			c.own(ch, v)
			if v.Err == nil && v.Last != nil {
				fams.add(v.Number, v.Last)
			}
		})
	}
	fams.emit(ch)
}

// own sends wamon's own series of one number.
func (c *Collector) own(ch chan<- prometheus.Metric, v *monitor.View) {
	n := v.Number
	up := 0.0
	if v.Err == nil && v.Last != nil {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, n)
	if lat := v.Latencies(); len(lat) > 0 {
		ch <- prometheus.MustNewConstMetric(c.duration, prometheus.GaugeValue, lat[len(lat)-1]/1000, n)
	}
	if !v.LastOK.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.lastOK, prometheus.GaugeValue, float64(v.LastOK.UnixNano())/1e9, n)
	}
	ch <- prometheus.MustNewConstMetric(c.polls, prometheus.CounterValue, float64(v.Polls), n)
	for k, kind := range source.ErrorKinds {
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(v.ErrorsBy[k]), n, kind)
	}
	if v.Err != nil {
		// A reason is a word or two (source.Reason), so the series stay few.
		ch <- prometheus.MustNewConstMetric(c.lastErr, prometheus.GaugeValue, 1, n, source.ErrorKind(v.Err), source.Reason(v.Err))
	}
	ch <- prometheus.MustNewConstMetric(c.level, prometheus.GaugeValue, float64(v.Level), n)
}

// families gathers the payload series of every number by exported family first: a
// family's label names must be the same in every series, and its help one text, though
// numbers' payloads differ (a multiconnect node label, another client version).
type families map[string]*family

type family struct {
	source.PromFamily
	help   string
	names  map[string]int // label name -> its place in values, in order of first sight
	series []series
}

type series struct {
	labels []label
	value  float64 // a gauge's, counter's or untyped value; a summary's sum
	count  uint64  // a summary's count
}

type label struct{ name, value string }

// families also remember which family each payload metric went to in this scrape, by
// its payload name and type (and "summary " + X for a summary): hundreds of numbers
// carry the same few dozen metrics, named and helped once each.
func (fs families) plain(name string, m *source.Metric) *family {
	key := string(m.Type) + " " + name
	if fam := fs[key]; fam != nil {
		return fam
	}
	f := source.PromFamilyOf(name, m.Type)
	fam := fs.family(f, func() string { return source.PromHelp(f, m.Group, m.Help) })
	fs[key] = fam
	return fam
}

func (fs families) summary(x string, counts *source.Metric) *family {
	key := "summary " + x
	if fam := fs[key]; fam != nil {
		return fam
	}
	f := source.PromSummaryOf(x)
	fam := fs.family(f, func() string { return source.PromHelp(f, counts.Group, counts.Help) })
	fs[key] = fam
	return fam
}

// family is the exported family f, made with the help given when it is new.
func (fs families) family(f source.PromFamily, help func() string) *family {
	fam := fs[f.Name]
	if fam == nil {
		fam = &family{PromFamily: f, help: help(), names: map[string]int{"number": 0}}
		fs[f.Name] = fam
	}
	return fam
}

// labelsOf is a sample's labels as exported: number first, then the payload's.
func labelsOf(number string, ls source.Labels) []label {
	out := make([]label, 0, len(ls)+1)
	out = append(out, label{"number", number})
	for _, l := range ls {
		out = append(out, label{source.PromLabel(l.Name), l.Value})
	}
	return out
}

// add files one number's payload.
func (fs families) add(number string, snap *source.Snapshot) {
	for _, name := range snap.MetricNames() {
		m := snap.Metrics[name]
		if x, ok := strings.CutSuffix(name, "_sum"); ok && snap.Metric(x+"_count") != nil {
			continue // the _count half exports the pair
		}
		if x, ok := strings.CutSuffix(name, "_count"); ok {
			if sums := snap.Metric(x + "_sum"); sums != nil {
				fs.addSummary(number, x, m, sums)
				continue
			}
		}
		fam := fs.plain(name, m)
		f := fam.PromFamily
		for _, s := range m.Samples {
			if math.IsNaN(s.Value) || f.Kind == source.PromCounter && s.Value < 0 {
				continue
			}
			fam.put(series{labels: labelsOf(number, s.Labels), value: s.Value * f.Scale()})
		}
	}
}

// addSummary files an X_count / X_sum pair as one summary, sums in seconds.
func (fs families) addSummary(number, x string, counts, sums *source.Metric) {
	fam := fs.summary(x, counts)
	f := fam.PromFamily
	for i, s := range counts.Samples {
		// The halves list the same label sets, nearly always in the same order.
		sum, ok := 0.0, false
		if i < len(sums.Samples) && slices.Equal(sums.Samples[i].Labels, s.Labels) {
			sum, ok = sums.Samples[i].Value, true
		} else {
			for _, t := range sums.Samples {
				if slices.Equal(t.Labels, s.Labels) {
					sum, ok = t.Value, true
					break
				}
			}
		}
		if !ok || math.IsNaN(s.Value) || s.Value < 0 || math.IsNaN(sum) || math.IsInf(s.Value, 0) {
			continue
		}
		fam.put(series{labels: labelsOf(number, s.Labels), count: uint64(s.Value), value: sum * f.Scale()})
	}
}

func (fam *family) put(s series) {
	for _, l := range s.labels {
		if _, ok := fam.names[l.name]; !ok {
			fam.names[l.name] = len(fam.names)
		}
	}
	fam.series = append(fam.series, s)
}

// emit sends every family, each with the union of its label names (a label a series
// lacks is empty, which Prometheus reads as absent). A series whose label values repeat
// one sent already (two payload labels that export under one name) is sent once.
func (fs families) emit(ch chan<- prometheus.Metric) {
	for key, fam := range fs {
		if key != fam.Name {
			continue // a payload metric's entry: its family is under its own name too
		}
		names := make([]string, len(fam.names))
		for k, i := range fam.names {
			names[i] = k
		}
		desc := prometheus.NewDesc(fam.Name, fam.help, names, nil)
		seen := make(map[string]bool, len(fam.series))
		var key strings.Builder
		for _, s := range fam.series {
			values := make([]string, len(names))
			for _, l := range s.labels {
				values[fam.names[l.name]] = l.value
			}
			key.Reset()
			for _, v := range values {
				key.WriteString(v)
				key.WriteByte(0xff)
			}
			if seen[key.String()] {
				continue
			}
			seen[key.String()] = true
			var m prometheus.Metric
			var err error
			switch fam.Kind {
			case source.PromSummary:
				m, err = prometheus.NewConstSummary(desc, s.count, s.value, nil, values...)
			case source.PromCounter:
				m, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, s.value, values...)
			case source.PromGauge:
				m, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, s.value, values...)
			default:
				m, err = prometheus.NewConstMetric(desc, prometheus.UntypedValue, s.value, values...)
			}
			if err == nil {
				ch <- m
			}
		}
	}
}

// Registry is a registry with the engine's collector and Go's and the process's own.
func Registry(eng *monitor.Engine) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(eng), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves /metrics (the registry, in the text or OpenMetrics format the scraper
// asks for) and /healthz.
func Handler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// No Timeout: the collector reads memory, and promhttp's timeout would hold the
		// whole body in a buffer (a tenth of a scrape's allocations at 500 numbers).
		ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("wamon: the metrics are at /metrics\n"))
	})
	return mux
}
