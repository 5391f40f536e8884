package monitor

import (
	"math"
	"testing"
)

func TestCompact(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{math.NaN(), "-"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{0.04, "0"},
		{-0.04, "0"}, // not "-0"
		{0.05, "0.1"},
		{0.25, "0.2"}, // the nearest float is a little under
		{1, "1"},
		{1.25, "1.2"},
		{-2.5, "-2.5"},
		{9.94, "9.9"},
		{9.96, "10"},
		{10.4, "10"},
		{99.5, "100"},
		{123.4, "123"},
		{999, "999"},
		{-999, "-999"},
		{999.4, "999"},
		{999.5, "1k"},  // rounds to 1000: a thousand is 1k
		{999.96, "1k"}, // was "1000"
		{1000, "1k"},
		{-1000, "-1k"},
		{1049, "1k"},
		{1050, "1.1k"}, // 1.05 is a little over in binary
		{1234, "1.2k"},
		{9949, "9.9k"},
		{9951, "10k"},
		{9999, "10k"},
		{10000, "10k"},
		{34567, "35k"},
		{999499, "999k"},
		{999500, "1M"},
		{999600, "1M"}, // was "1000k"
		{-999600, "-1M"},
		{1e6, "1M"},
		{1234567, "1.2M"},
		{12345678, "12.3M"},
		{123456789, "123.5M"},
		{999949999, "999.9M"},
		{999960000, "1G"}, // was "1000M"
		{1e9, "1G"},
		{2.5e9, "2.5G"},
		{999.96e9, "1T"}, // was "1000G"
		{1.5e12, "1.5T"},
	} {
		if got := Compact(tc.v); got != tc.want {
			t.Errorf("Compact(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{math.NaN(), "-"},
		{math.Inf(1), "inf%"},
		{0, "0%"},
		{math.Copysign(0, -1), "0%"},
		{0.0000001, "0.0%"}, // something, but under a twentieth of a percent
		{0.004, "0.4%"},
		{0.027, "2.7%"},
		{0.0994, "9.9%"},
		{0.0996, "10%"}, // was "10.0%"
		{0.1, "10%"},
		{0.125, "12%"}, // 12.5 rounds to even
		{0.126, "13%"},
		{0.5, "50%"},
		{1, "100%"},
		{1.5, "150%"},
		{-0.05, "-5.0%"},
		{-0.5, "-50%"},
	} {
		if got := Percent(tc.v); got != tc.want {
			t.Errorf("Percent(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{math.NaN(), "-"},
		{math.Inf(1), "inf"},
		{0, "0ms"},
		{0.4, "0ms"},
		{-0.4, "0ms"},
		{0.6, "1ms"},
		{84, "84ms"},
		{84.5, "84ms"}, // to even
		{999, "999ms"},
		{999.4, "999ms"},
		{999.6, "1s"}, // was "1000ms"
		{1000, "1s"},
		{1200, "1.2s"},
		{1249, "1.2s"},
		{59960, "60s"},
		{123456, "123.5s"},
		{-5, "-5ms"},
		{-1500, "-1.5s"},
	} {
		if got := Millis(tc.v); got != tc.want {
			t.Errorf("Millis(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// The append forms are the string forms.
func TestAppendFormsAgree(t *testing.T) {
	for _, v := range []float64{math.NaN(), 0, -0.04, 0.5, 9.96, 999.96, 1234, 999600, 1e9, -3e12} {
		if got, want := string(appendCompact([]byte("x"), v)), "x"+Compact(v); got != want {
			t.Errorf("appendCompact(%v) = %q, want %q", v, got, want)
		}
		if got, want := string(appendPercent([]byte("x"), v)), "x"+Percent(v); got != want {
			t.Errorf("appendPercent(%v) = %q, want %q", v, got, want)
		}
	}
}
