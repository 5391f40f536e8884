package serve

import (
	"slices"
	"testing"
	"time"
)

// However many consoles are open, their clocks tick spread over the second: with n
// open, no two tick closer than a fifth of a second over n, and none is on the second
// itself but the local console's.
func TestClockPhaseSpreads(t *testing.T) {
	for _, n := range []int{2, 5, 20, 50, 200} {
		phases := make([]time.Duration, 0, n)
		for i := 1; i <= n; i++ {
			p := clockPhase(int64(i))
			if p <= 0 || p >= time.Second {
				t.Fatalf("clockPhase(%d) = %s, want within (0, 1s)", i, p)
			}
			phases = append(phases, p)
		}
		slices.Sort(phases)
		gap := phases[0] + time.Second - phases[n-1] // around the second
		for i := 1; i < n; i++ {
			gap = min(gap, phases[i]-phases[i-1])
		}
		if want := time.Second / time.Duration(5*n); gap < want {
			t.Errorf("%d consoles: two tick %s apart, want at least %s", n, gap, want)
		}
	}
}
