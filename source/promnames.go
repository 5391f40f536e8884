package source

import (
	"fmt"
	"regexp"
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

// Scale turns a payload value in the family's unit into base units (seconds).
func (f PromFamily) Scale() float64 {
	switch f.Unit {
	case "ms":
		return 1e-3
	case "us":
		return 1e-6
	}
	return 1
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
// scrape never calls the API). The Prometheus source reads the tail back (ParsePromHelp).
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

var promHelpTail = regexp.MustCompile(`\s*\(wamon: payload (.+?), group (\S+), unit (ms|us|-);[^)]*\)$`)

// PromHelpOrigin is what an exported HELP text says of its payload metric.
type PromHelpOrigin struct {
	Payload, Group, Unit string // Group and Unit "" for none
	Help                 string // the payload's own help
}

// ParsePromHelp reads the payload metric, group and unit back from an exported HELP text.
func ParsePromHelp(help string) (PromHelpOrigin, bool) {
	m := promHelpTail.FindStringSubmatchIndex(help)
	if m == nil {
		return PromHelpOrigin{}, false
	}
	undash := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	return PromHelpOrigin{
		Payload: help[m[2]:m[3]],
		Group:   undash(help[m[4]:m[5]]),
		Unit:    undash(help[m[6]:m[7]]),
		Help:    help[:m[0]],
	}, true
}
