package monitor

import (
	"math"
	"strconv"
)

// Number formats shared by every reader: reasons, tables, --once.

// Compact prints a number in at most about six columns: 999, 1.2k, 34k, 1.2M. The
// unit is chosen after rounding, so 999.96 is "1k" and 999,600 "1M", never "1000k".
func Compact(v float64) string {
	var buf [24]byte
	return string(appendCompact(buf[:0], v))
}

// compactUnits are Compact's units, smallest first.
var compactUnits = [...]struct {
	scale  float64
	suffix byte // 0 for none
}{{1, 0}, {1e3, 'k'}, {1e6, 'M'}, {1e9, 'G'}, {1e12, 'T'}}

// appendCompact appends Compact(v) to dst.
func appendCompact(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, '-')
	case math.IsInf(v, 1):
		return append(dst, "inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-inf"...)
	}
	a := math.Abs(v)
	var buf [32]byte
	var digits []byte
	var suffix byte
	for k, u := range compactUnits {
		x := a / u.scale
		// Decimals: below ten a tenth is worth a column (1.2k, 4.5); integers have
		// none, and neither do thousands (34k) nor plain numbers of two or three digits.
		// Millions and more keep one (12.3M, 123.4M): six columns at most.
		prec := 0
		switch {
		case k == 0 && x == math.Trunc(x):
		case k >= 2 || x < 10:
			prec = 1
		}
		digits = trimZero(strconv.AppendFloat(buf[:0], x, 'f', prec, 64))
		suffix = u.suffix
		if intDigits(digits) < 4 || k == len(compactUnits)-1 {
			break
		}
		// Rounded up to a thousand of this unit: one of the next.
	}
	if v < 0 && !isZero(digits) {
		dst = append(dst, '-')
	}
	dst = append(dst, digits...)
	if suffix != 0 {
		dst = append(dst, suffix)
	}
	return dst
}

// trimZero drops a ".0" that says nothing.
func trimZero(b []byte) []byte {
	if n := len(b); n >= 2 && b[n-2] == '.' && b[n-1] == '0' {
		return b[:n-2]
	}
	return b
}

// intDigits counts the digits before the decimal point.
func intDigits(b []byte) int {
	for i, c := range b {
		if c == '.' {
			return i
		}
	}
	return len(b)
}

// isZero reports whether a formatted magnitude reads as zero ("0", "0.0").
func isZero(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

// Percent prints a share: 0.4%, 12%, or "-" when there is none. Below a tenth it keeps
// a decimal, unless that rounds to 10: 0.0996 is "10%", as 0.1 is.
func Percent(v float64) string {
	var buf [24]byte
	return string(appendPercent(buf[:0], v))
}

// appendPercent appends Percent(v) to dst.
func appendPercent(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, '-')
	case math.IsInf(v, 1):
		return append(dst, "inf%"...)
	case math.IsInf(v, -1):
		return append(dst, "-inf%"...)
	case v == 0:
		return append(dst, "0%"...)
	}
	var buf [32]byte
	p := math.Abs(v) * 100
	prec := 0
	if p < 10 {
		prec = 1
	}
	digits := strconv.AppendFloat(buf[:0], p, 'f', prec, 64)
	if prec == 1 && intDigits(digits) > 1 { // 9.96 rounds to 10.0
		digits = strconv.AppendFloat(buf[:0], p, 'f', 0, 64)
	}
	if v < 0 && !isZero(digits) {
		dst = append(dst, '-')
	}
	dst = append(dst, digits...)
	return append(dst, '%')
}

// Millis prints a duration in milliseconds: 84ms, 1.2s. The unit is chosen after
// rounding: 999.6 ms is "1s", not "1000ms".
func Millis(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "-"
	case math.IsInf(ms, 1):
		return "inf"
	case math.IsInf(ms, -1):
		return "-inf"
	}
	var buf [32]byte
	a := math.Abs(ms)
	digits, unit := strconv.AppendFloat(buf[:0], a, 'f', 0, 64), "ms"
	if intDigits(digits) >= 4 {
		digits, unit = trimZero(strconv.AppendFloat(buf[:0], a/1000, 'f', 1, 64)), "s"
	}
	sign := ""
	if ms < 0 && !isZero(digits) {
		sign = "-"
	}
	return sign + string(digits) + unit
}
