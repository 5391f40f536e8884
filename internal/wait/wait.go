// Package wait is the tests' one way to wait for something that happens in another
// process or goroutine: poll a condition until it holds, with a bound that only keeps a
// broken run from hanging.
package wait

import (
	"testing"
	"time"
)

// For polls cond every 50 ms until it holds, failing the test with what cond last said
// after within. The bound is far beyond what the condition needs on a loaded machine: a
// test's verdict never rests on how fast the machine is.
func For(t testing.TB, what string, within time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (last: %v)", what, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Until is For with a condition that has nothing to say but yes or no.
func Until(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	For(t, what, within, func() (bool, error) { return cond(), nil })
}
