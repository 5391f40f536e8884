// Package export is the Prometheus collector over the engine: every metric the payloads
// carry, named by Prometheus' conventions, and wamon's own figures of its polls.
//
// The Kaleyra API is whitelisted, shared and rate-limited, so the engine polls on its own
// schedule and a scrape never calls it: the collector reads the engine's last poll of
// each number (the caching case of Prometheus' "Writing exporters" guide) and says so in
// every HELP text. Samples carry no timestamps. A number whose last poll failed exports
// no payload series, never stale values as if fresh; wamon_up says it failed.
//
// Every series a poll had is exported, and each exported sample name has an info series
// (source.PromInfo) naming the payload metric, group, type, unit and help it carries, so
// that a console reading a store back rebuilds the payload from series alone.
package export

import (
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"

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
	log *slog.Logger

	up, duration, lastOK, polls, errors, lastErr, level, info *prometheus.Desc

	noted sync.Map // payload families whose unpaired halves were logged: said once
}

// lastErrorMessageMax bounds the message wamon_last_error_info carries, in cells.
const lastErrorMessageMax = 200

// The values of wamon_level.
const (
	levelOK    = 0
	levelWarn  = 1
	levelCrit  = 2
	levelError = 3
)

// NewCollector builds the collector of an engine; logger (nil for none) hears of payloads
// the exporter had to export in an unusual way, once each.
func NewCollector(eng *monitor.Engine, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	own := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"number"}, labels...), nil)
	}
	return &Collector{
		eng:      eng,
		log:      logger,
		up:       own("wamon_up", "1 when wamon's last poll of the number succeeded, 0 when it failed or none has answered yet."),
		duration: own("wamon_poll_duration_seconds", "How long wamon's last poll of the number took."),
		lastOK:   own("wamon_last_success_timestamp_seconds", "When wamon last polled the number successfully, in seconds since the epoch."),
		polls:    own("wamon_polls_total", "Polls of the number wamon has made."),
		errors:   own("wamon_poll_errors_total", "Polls of the number that failed, by kind of failure.", "kind"),
		lastErr: own("wamon_last_error_info", "1 while wamon's last poll of the number failed: the kind of failure, its reason "+
			"(an API code such as WS500, HTTP 502, timeout 10s ...) and its message, as the console shows them.", "kind", "reason", "message"),
		level: own("wamon_level", "The number's level: 0 ok, 1 warn, 2 crit (its last poll against wamon's thresholds), "+
			"3 error (its last poll failed); absent until a poll of it answers."),
		info: prometheus.NewDesc(source.PromInfo, "What each exported payload series carries: the payload metric, stats group, "+
			"type, unit and help it comes from, for whoever reads the series back (wamon --source prometheus).", source.PromInfoLabels, nil),
	}
}

// Describe describes nothing: the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect exports the engine's state as it is now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	fams := families{byName: map[string]*family{}, info: map[string]source.PromOrigin{}}
	for i := range c.eng.Len() {
		c.eng.Read(i, func(v *monitor.View) {
			c.own(ch, v)
			if v.Err == nil && v.Last != nil {
				fams.add(v.Number, v.Last)
			}
		})
	}
	for _, fam := range fams.list {
		if fam.unpaired != "" {
			if _, said := c.noted.LoadOrStore(fam.Name, true); !said {
				c.log.Warn("a payload's _count and _sum do not pair: exported as two untyped families of the same sample names",
					"payload", fam.Payload, "families", fam.Name+"_count, "+fam.Name+"_sum", "first", fam.unpaired)
			}
		}
	}
	fams.emit(ch)
	for _, o := range fams.info {
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, o.Values()...)
	}
	for _, o := range fams.overrides {
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, o.Values()...)
	}
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
		// A reason is a word or two (source.Reason) and a message one line that stays the
		// same while the failure does, so the series stay few.
		ch <- prometheus.MustNewConstMetric(c.lastErr, prometheus.GaugeValue, 1, n, source.ErrorKind(v.Err), source.Reason(v.Err),
			source.Truncate(v.Err.Error(), lastErrorMessageMax))
	}
	switch {
	case v.Err != nil:
		ch <- prometheus.MustNewConstMetric(c.level, prometheus.GaugeValue, levelError, n)
	case v.Last != nil:
		level := levelOK
		switch v.Level {
		case monitor.LevelWarn:
			level = levelWarn
		case monitor.LevelCrit:
			level = levelCrit
		}
		ch <- prometheus.MustNewConstMetric(c.level, prometheus.GaugeValue, float64(level), n)
	}
}

// families gathers the payload series of every number by exported family first: a
// family's label names must be the same in every series, and its help one text, though
// numbers' payloads differ (a multiconnect node label, another client version). info
// is what each exported sample name carries, for the info series: as the first number
// to carry it says, and, in overrides, for each number whose payload says otherwise
// (another client version's help or type).
type families struct {
	byName    map[string]*family // by exported name, and by payload metric (plain, summary)
	list      []*family          // in order of first sight
	info      map[string]source.PromOrigin
	overrides []source.PromOrigin // each with its Number
}

type family struct {
	source.PromFamily
	help   string
	names  map[string]int // label name -> its place in values, in order of first sight
	series []series
	// unpaired is, for a summary, the first sample whose _count had no _sum of the same
	// labels or the other way round, as "number{labels}"; "" when every one paired. Such
	// a family goes out as two untyped families of the same sample names (X_count,
	// X_sum): a summary cannot carry half a pair, and the sample names stay those every
	// query and alert uses.
	unpaired string
}

type series struct {
	labels []label
	value  float64 // a gauge's, counter's or untyped value; a summary's sum
	count  float64 // a summary's count
	// A summary's series holds its count, its sum, or (nearly always) both.
	hasCount, hasSum bool
}

type label struct{ name, value string }

// plain is the family of a payload metric that is not half of a summary. families
// remember which family each payload metric went to in this scrape, by its payload name
// and type: hundreds of numbers carry the same few dozen metrics, named and helped once
// each.
func (fs *families) plain(number, name string, m *source.Metric) *family {
	key := string(m.Type) + " " + name
	fam := fs.byName[key]
	if fam == nil {
		f := source.PromFamilyOf(name, m.Type)
		fam = fs.family(f, func() string { return source.PromHelp(f, m.Group, m.Help) })
		fs.byName[key] = fam
	}
	fs.origin(number, source.PromOrigin{Metric: fam.Name, Payload: name, Group: m.Group, Type: m.Type, Unit: fam.Unit, Help: m.Help})
	return fam
}

// summary is the family of the payload's X_count and X_sum; either may be nil (a half
// the payload does not have).
func (fs *families) summary(number, x string, counts, sums *source.Metric) *family {
	key := "summary " + x
	fam := fs.byName[key]
	if fam == nil {
		f := source.PromSummaryOf(x)
		some := counts
		if some == nil {
			some = sums
		}
		fam = fs.family(f, func() string { return source.PromHelp(f, some.Group, some.Help) })
		fs.byName[key] = fam
	}
	if counts != nil {
		fs.origin(number, source.PromOrigin{Metric: fam.Name + "_count", Payload: x + "_count", Group: counts.Group, Type: counts.Type, Help: counts.Help})
	}
	if sums != nil {
		fs.origin(number, source.PromOrigin{Metric: fam.Name + "_sum", Payload: x + "_sum", Group: sums.Group, Type: sums.Type, Unit: fam.Unit, Help: sums.Help})
	}
	return fam
}

// origin files what an exported sample name carries in number's payload: the first
// number's is every number's, unless a number's says otherwise.
func (fs *families) origin(number string, o source.PromOrigin) {
	first, ok := fs.info[o.Metric]
	switch {
	case !ok:
		fs.info[o.Metric] = o
	case first != o:
		o.Number = number
		fs.overrides = append(fs.overrides, o)
	}
}

// family is the exported family f, made with the help given when it is new.
func (fs *families) family(f source.PromFamily, help func() string) *family {
	fam := fs.byName[f.Name]
	if fam == nil {
		fam = &family{PromFamily: f, help: help(), names: map[string]int{"number": 0}}
		fs.byName[f.Name] = fam
		fs.list = append(fs.list, fam)
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
func (fs *families) add(number string, snap *source.Snapshot) {
	for _, name := range snap.MetricNames() {
		m := snap.Metrics[name]
		if x, ok := strings.CutSuffix(name, "_sum"); ok {
			if counts := snap.Metric(x + "_count"); counts != nil {
				continue // the _count half exports the pair
			}
			if durationSummary(x) {
				fs.addSummary(number, x, nil, m)
				continue
			}
		}
		if x, ok := strings.CutSuffix(name, "_count"); ok {
			if sums := snap.Metric(x + "_sum"); sums != nil || durationSummary(x) {
				fs.addSummary(number, x, m, sums)
				continue
			}
		}
		fam := fs.plain(number, name, m)
		f := fam.PromFamily
		for _, s := range m.Samples {
			if math.IsNaN(s.Value) {
				continue // no value: a store keeps none (VictoriaMetrics drops NaN)
			}
			fam.put(series{labels: labelsOf(number, s.Labels), value: f.Seconds(s.Value)})
		}
	}
}

// durationSummary is whether X_count and X_sum are the halves of a summary of durations
// even when the payload has only one of them: X ends in a unit, as the WhatsApp client
// names its flattened summaries (callback_requests_duration_ms). The API's own example
// carries callback_requests_duration_ms_count alone.
func durationSummary(x string) bool {
	return strings.HasSuffix(x, "_ms") || strings.HasSuffix(x, "_us")
}

// addSummary files an X_count / X_sum pair as one summary, sums in seconds. A sample of
// either half without its match in the other (or of a half the payload has alone, the
// other nil) is kept too, and marks the family unpaired.
func (fs *families) addSummary(number, x string, counts, sums *source.Metric) {
	fam := fs.summary(number, x, counts, sums)
	f := fam.PromFamily
	var countSamples, sumSamples []source.Sample
	if counts != nil {
		countSamples = counts.Samples
	}
	if sums != nil {
		sumSamples = sums.Samples
	}
	matched := make([]bool, len(sumSamples))
	for i, s := range countSamples {
		// The halves list the same label sets, nearly always in the same order.
		j := -1
		if i < len(sumSamples) && slices.Equal(sumSamples[i].Labels, s.Labels) {
			j = i
		} else {
			for k, t := range sumSamples {
				if !matched[k] && slices.Equal(t.Labels, s.Labels) {
					j = k
					break
				}
			}
		}
		se := series{labels: labelsOf(number, s.Labels), count: s.Value, hasCount: validCount(s.Value)}
		if j >= 0 {
			matched[j] = true
			if sum := sumSamples[j].Value; !math.IsNaN(sum) {
				se.value, se.hasSum = f.Seconds(sum), true
			}
		}
		if se.hasCount != se.hasSum && fam.unpaired == "" {
			half, other := "_count", "_sum"
			if se.hasSum {
				half, other = "_sum", "_count"
			}
			fam.unpaired = number + "{" + s.Labels.String() + "} has a " + half + " and no " + other
		}
		if se.hasCount || se.hasSum {
			fam.put(se)
		}
	}
	for j, t := range sumSamples {
		if matched[j] || math.IsNaN(t.Value) {
			continue
		}
		if fam.unpaired == "" {
			fam.unpaired = number + "{" + t.Labels.String() + "} has a _sum and no _count"
		}
		fam.put(series{labels: labelsOf(number, t.Labels), value: f.Seconds(t.Value), hasSum: true})
	}
}

// validCount is whether a count can be a summary's, which holds it as a uint64.
func validCount(v float64) bool {
	return v >= 0 && v < 1<<63
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
// one sent already (two payload labels that export under one name) is sent once. A
// summary goes out as a summary when every series of it paired, else as two untyped
// families named as its halves are.
func (fs *families) emit(ch chan<- prometheus.Metric) {
	for _, fam := range fs.list {
		names := make([]string, len(fam.names))
		for k, i := range fam.names {
			names[i] = k
		}
		desc := prometheus.NewDesc(fam.Name, fam.help, names, nil)
		var countDesc, sumDesc *prometheus.Desc
		if fam.Kind == source.PromSummary && fam.unpaired != "" {
			countDesc = prometheus.NewDesc(fam.Name+"_count", fam.help+" Count half; "+halvesNote, names, nil)
			sumDesc = prometheus.NewDesc(fam.Name+"_sum", fam.help+" Sum half; "+halvesNote, names, nil)
		}
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
			switch {
			case countDesc != nil:
				if s.hasCount {
					send(ch)(prometheus.NewConstMetric(countDesc, prometheus.UntypedValue, s.count, values...))
				}
				if s.hasSum {
					send(ch)(prometheus.NewConstMetric(sumDesc, prometheus.UntypedValue, s.value, values...))
				}
				continue
			case fam.Kind == source.PromSummary:
				m, err = prometheus.NewConstSummary(desc, uint64(s.count), s.value, nil, values...)
			case fam.Kind == source.PromCounter:
				m, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, s.value, values...)
			case fam.Kind == source.PromGauge:
				m, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, s.value, values...)
			default:
				m, err = prometheus.NewConstMetric(desc, prometheus.UntypedValue, s.value, values...)
			}
			send(ch)(m, err)
		}
	}
}

// halvesNote ends the help of a summary exported as its two halves.
const halvesNote = "exported apart (untyped) because some _count had no _sum of the same labels or the other way round."

// send sends a metric that could be made; one that could not (label values that are
// not UTF-8 ...) is left out, as promhttp's ContinueOnError would.
func send(ch chan<- prometheus.Metric) func(prometheus.Metric, error) {
	return func(m prometheus.Metric, err error) {
		if err == nil {
			ch <- m
		}
	}
}

// Registry is a registry with the engine's collector (logging to logger, nil for none) and Go's and the process's own.
func Registry(eng *monitor.Engine, logger *slog.Logger) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(eng, logger), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
