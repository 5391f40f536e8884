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
// concerned: that error becomes a *TransportError of kind Timeout. --once and the
// console both poll through it.
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
	if errors.Is(err, context.DeadlineExceeded) && ErrorKind(err) == "other" {
		err = &TransportError{Kind: Timeout, Detail: fmt.Sprintf("no response within %v", timeout), Err: err}
	}
	return snap, err
}
