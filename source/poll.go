package source

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Poll fetches one number within timeout (no limit when timeout <= 0) and fills in what
// a Source may leave out: FetchedAt (when the poll started) and Latency. A source that
// gives up with the bare context deadline still timed out, as far as the operator is
// concerned: that error becomes a *TransportError of kind Timeout. When this poll's
// deadline is what passed, a timeout's Timeout says timeout: set on the error made here,
// or on a copy of the source's own when that says no wait (Timeout 0) or a longer one
// than the deadline that cut it short. --once and the console both poll through it.
func Poll(ctx context.Context, src Source, number string, timeout time.Duration, now func() time.Time) (Snapshot, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := now()
	snap, err := src.Fetch(ctx, number)
	if snap.FetchedAt.IsZero() {
		snap.FetchedAt = start
	}
	if snap.Latency == 0 {
		snap.Latency = now().Sub(start)
	}
	// Whether this poll's own deadline passed: then the source waited timeout.
	expired := timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded)
	if errors.Is(err, context.DeadlineExceeded) && ErrorKind(err) == "other" {
		te := &TransportError{Kind: Timeout, Detail: fmt.Sprintf("no response within %v", timeout), Err: err}
		if expired {
			te.Timeout = timeout
		}
		err = te
	} else if te, ok := err.(*TransportError); ok && te.Kind == Timeout && expired &&
		(te.Timeout == 0 || te.Timeout > timeout) {
		// The source timed out on this deadline, not on a longer one of its own, or did
		// not say how long it waited: a copy tells how long that was (the source's
		// error may be shared, so it is not changed).
		cp := *te
		cp.Timeout = timeout
		err = &cp
	}
	return snap, err
}
