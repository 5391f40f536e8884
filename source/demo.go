package source

import (
	"context"
	"errors"
	"time"
)

// DemoOptions configures the embedded simulator. STUB: being implemented.
type DemoOptions struct {
	Seed    int64            // same seed, same sequence of snapshots
	Numbers []string         // numbers to simulate; empty means DemoNumbers()
	Now     func() time.Time // clock; nil means time.Now
}

// Demo simulates numbers with distinct personalities, producing the API's own JSON and
// decoding it with Decode, so the demo exercises the real path.
type Demo struct{ opts DemoOptions }

// DemoNumbers are the three numbers the demo simulates when none are configured.
func DemoNumbers() []string { return []string{"+12025550100", "+12025550101", "+12025550102"} }

func NewDemo(opts DemoOptions) *Demo { return &Demo{opts: opts} }

func (d *Demo) Name() string { return "demo" }

func (d *Demo) Fetch(ctx context.Context, number string) (Snapshot, error) {
	return Snapshot{Number: number}, errors.New("demo: not implemented")
}
