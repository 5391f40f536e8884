package monitor

import (
	"fmt"
	"math"
	"strings"
)

// Number formats shared by every reader: reasons, tables, --once.

// Compact prints a number in at most about six columns: 999, 1.2k, 34k, 1.2M.
func Compact(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 0):
		return "inf"
	case a >= 1e9:
		return trimZero(fmt.Sprintf("%.1f", v/1e9)) + "G"
	case a >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case a == math.Trunc(a):
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.0f", v)
	}
	return trimZero(fmt.Sprintf("%.1f", v))
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// Percent prints a share: 0.4%, 12%, or "-" when there is none.
func Percent(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == 0:
		return "0%"
	case v < 0.1:
		return fmt.Sprintf("%.1f%%", v*100)
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

// Millis prints a duration in milliseconds: 84ms, 1.2s.
func Millis(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "-"
	case ms >= 1000:
		return trimZero(fmt.Sprintf("%.1f", ms/1000)) + "s"
	}
	return fmt.Sprintf("%.0fms", ms)
}
