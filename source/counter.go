package source

import "strings"

// IsCounter reports whether a metric counts up (so its rate means something and a drop
// is a restart or a glitch, never news): the payload says so, or its name does (a
// summary's _count and _sum halves, a Prometheus-style _total).
func (m *Metric) IsCounter() bool {
	return m.Type == Counter || strings.HasSuffix(m.Name, "_count") ||
		strings.HasSuffix(m.Name, "_sum") || strings.HasSuffix(m.Name, "_total")
}
