package source

import (
	"fmt"
	"strings"
)

// How a payload's metrics are named in Prometheus, and back. The payload's own names
// break Prometheus' conventions (abbreviated units, counters without _total, a summary
// flattened into _count and _sum metrics), so the exporter renames them, and the
// Prometheus source reads the original name back from the HELP text, which carries it.

// PromPrefix starts every exported payload metric.
const PromPrefix = "whatsapp_"

// PromKind is an exported metric's Prometheus type.
type PromKind string

const (
	PromGauge   PromKind = "gauge"
	PromCounter PromKind = "counter"
	PromSummary PromKind = "summary"
	PromUntyped PromKind = "untyped"
)

// PromFamily is one exported metric family: its Prometheus name and type, the payload
// metric it comes from (for a summary, the X of the X_count / X_sum pair), and the unit
// the payload measured in ("ms", "us", or "" when there is none to convert).
type PromFamily struct {
	Name    string
	Kind    PromKind
	Payload string
	Unit    string
}

// Seconds turns a payload value in the family's unit into base units: 700 ms is 0.7 s.
// It divides, so that the result is the double nearest the true value (700 × 1e-3 is
// 0.7000000000000001).
func (f PromFamily) Seconds(v float64) float64 {
	return v / unitFactor(f.Unit)
}

// PromFamilyOf names a payload metric that is not half of a summary.
func PromFamilyOf(name string, t MetricType) PromFamily {
	base, unit := splitUnit(name)
	f := PromFamily{Payload: name, Unit: unit, Name: PromPrefix + promSafe(base)}
	if unit != "" {
		f.Name += "_seconds"
	}
	switch t {
	case Counter:
		f.Kind = PromCounter
		if !strings.HasSuffix(f.Name, "_total") {
			f.Name += "_total"
		}
	case Gauge:
		f.Kind = PromGauge
	default:
		f.Kind = PromUntyped
	}
	return f
}

// PromSummaryOf names the summary of the payload's X_count and X_sum, given X.
func PromSummaryOf(x string) PromFamily {
	base, unit := splitUnit(x)
	f := PromFamily{Name: PromPrefix + promSafe(base), Kind: PromSummary, Payload: x, Unit: unit}
	if unit != "" {
		f.Name += "_seconds"
	}
	return f
}

// splitUnit cuts an abbreviated time unit off a name: "x_duration_ms" -> "x_duration", "ms".
func splitUnit(name string) (base, unit string) {
	for _, u := range []string{"ms", "us"} {
		if b, ok := strings.CutSuffix(name, "_"+u); ok {
			return b, u
		}
	}
	return name, ""
}

// promSafe makes a payload name a valid Prometheus name part: every character other
// than an ASCII letter, digit or underscore becomes an underscore. A name that is valid
// already, as nearly every one is, is returned as it is, without allocating: a scrape
// names every series.
func promSafe(s string) string {
	i := 0
	for i < len(s) && promSafeByte(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if r < 0x80 && promSafeByte(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func promSafeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// PromLabel makes a payload label name a valid Prometheus label name; the names wamon
// adds itself (number) are taken, so a payload's own gets an "exported_" prefix, as
// Prometheus does on a clash.
func PromLabel(name string) string {
	s := promSafe(name)
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	if s == "number" || strings.HasPrefix(s, "__") {
		s = "exported_" + s
	}
	return s
}

// PromHelp is the HELP of an exported family: the payload's help, the payload metric,
// stats group and unit it comes from, and that the value is the engine's last poll's (a
// scrape never calls the API). It is for people: the read-back takes the same facts from
// the info series (PromInfo), which every store keeps.
func PromHelp(f PromFamily, group, help string) string {
	help = strings.TrimSpace(Sanitize(help))
	if help != "" {
		help += " "
	}
	return fmt.Sprintf("%s(wamon: payload %s, group %s, unit %s; as of wamon's last poll, a scrape does not call the API)",
		help, f.Payload, orDash(promSafe(group)), orDash(f.Unit))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// PromInfo is the info series the exporter writes beside the payload's: one per exported
// sample name, valued 1, whose labels say which payload metric that name carries
// (PromOrigin). A store keeps series whatever path they took (a scrape in the text format
// or OpenMetrics, remote write, federation), while metadata most paths drop, and
// OpenMetrics files a counter's under its name without _total: so the read-back rebuilds
// names, groups, types, units and help from this series, never from /api/v1/metadata.
const PromInfo = "wamon_metric_info"

// The info series' labels.
const (
	infoNumber  = "number"  // the number whose payload says otherwise; absent for every number
	infoMetric  = "metric"  // the sample name as exported and stored
	infoPayload = "payload" // the payload metric
	infoGroup   = "group"
	infoType    = "type" // the payload's type
	infoUnit    = "unit" // the payload's unit: ms, us or none
	infoHelp    = "help" // the payload's help, cut to PromInfoHelpMax bytes
)

// PromInfoLabels are the info series' label names, in the order of PromOrigin.Values.
var PromInfoLabels = []string{infoNumber, infoMetric, infoPayload, infoGroup, infoType, infoUnit, infoHelp}

// PromInfoHelpMax bounds the help an info series carries: a label value is stored with
// every sample of its series.
const PromInfoHelpMax = 200

// PromOrigin is what one exported sample name stands for in the payload: in every
// number's, or in Number's when its payload says otherwise (another client version's
// help or type).
type PromOrigin struct {
	Number  string     // "" for every number
	Metric  string     // the sample name: whatsapp_x_total, whatsapp_x_seconds_count ...
	Payload string     // the payload metric: x, x_ms_count ...
	Group   string     // the stats group (app, db ...); "" for none
	Type    MetricType // the payload's type
	Unit    string     // the payload's unit ("ms", "us"); "" when the value is not converted
	Help    string     // the payload's help
}

// Values are the origin's label values, in the order of PromInfoLabels.
func (o PromOrigin) Values() []string {
	return []string{o.Number, o.Metric, o.Payload, o.Group, string(o.Type), o.Unit, Truncate(strings.TrimSpace(Sanitize(o.Help)), PromInfoHelpMax)}
}

// Factor turns an exported value back into the payload's unit.
func (o PromOrigin) Factor() float64 { return unitFactor(o.Unit) }

// PromOriginOf reads an info series' labels (get returns a label's value, "" when absent),
// sanitised, as every string read from a store is where it enters. ok is false when the
// labels name no metric or payload.
func PromOriginOf(get func(name string) string) (o PromOrigin, ok bool) {
	clean := func(name string, max int) string { return Truncate(Sanitize(get(name)), max) }
	o = PromOrigin{
		Number:  clean(infoNumber, 20),
		Metric:  clean(infoMetric, 200),
		Payload: clean(infoPayload, 200),
		Group:   clean(infoGroup, 40),
		Type:    metricType([]byte(get(infoType))),
		Help:    clean(infoHelp, PromInfoHelpMax),
	}
	switch u := get(infoUnit); u {
	case "ms", "us":
		o.Unit = u
	}
	return o, o.Metric != "" && o.Payload != ""
}

// GuessPromOrigin reads a sample name back by the exporter's conventions alone, for a
// series no info series speaks of (an exporter older than the info series, or a store
// that dropped it): the prefix goes, _total marks a counter, the halves of a summary are
// counters, and seconds go back to the payload's usual unit, milliseconds (microseconds
// for db_* metrics, as the WhatsApp client measures its database requests). name is
// sanitised already.
func GuessPromOrigin(name string) PromOrigin {
	base := strings.TrimPrefix(name, PromPrefix)
	o := PromOrigin{Metric: name, Type: Gauge}
	half := ""
	for _, suffix := range []string{"_count", "_sum"} {
		if b, ok := strings.CutSuffix(base, suffix); ok {
			base, half, o.Type = b, suffix, Counter
			break
		}
	}
	if b, ok := strings.CutSuffix(base, "_total"); ok && half == "" {
		base, o.Type = b, Counter
	}
	if b, ok := strings.CutSuffix(base, "_seconds"); ok {
		unit := "ms"
		if strings.HasPrefix(b, "db_") {
			unit = "us"
		}
		base = b + "_" + unit
		if half != "_count" {
			o.Unit = unit
		}
	}
	o.Payload = base + half
	return o
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
