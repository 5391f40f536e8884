package ui

import (
	"testing"
	"time"
)

// The clock ticks phase after each second: on the second for the local console, spread
// over the second for consoles served together.
func TestUntilTick(t *testing.T) {
	sec := time.Date(2026, 11, 25, 16, 32, 5, 0, time.UTC)
	ms := time.Millisecond
	for _, tc := range []struct {
		now   time.Time
		phase time.Duration
		want  time.Duration
	}{
		{sec, 0, time.Second},
		{sec.Add(300 * ms), 0, 700 * ms},
		{sec.Add(300 * ms), 500 * ms, 200 * ms},
		{sec.Add(500 * ms), 500 * ms, time.Second},
		{sec.Add(700 * ms), 500 * ms, 800 * ms},
		{sec.Add(700 * ms), 1500 * ms, 800 * ms}, // a phase is under a second
	} {
		if got := untilTick(tc.now, tc.phase); got != tc.want {
			t.Errorf("untilTick(%s, %s) = %s, want %s", tc.now.Format("05.000"), tc.phase, got, tc.want)
		}
	}
}
