package serve

import (
	"fmt"
	"testing"
	"time"
)

// The gate remembers an address only while it matters: once its connections are gone
// and its bucket has filled again, forgetting it changes nothing, and a scan of many
// addresses leaves nothing behind.
func TestGateForgetsIdleAddresses(t *testing.T) {
	g := newGate(1, 10, 10, 100000)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range 5000 {
		release, refusal := g.admit(fmt.Sprintf("10.0.%d.%d", i/256, i%256), now)
		if refusal != "" {
			t.Fatalf("address %d refused: %s", i, refusal)
		}
		release()
		release() // a second release gives nothing back twice
	}
	if g.pending != 0 {
		t.Fatalf("%d pending after every release", g.pending)
	}
	// A burst of 10 at 1 a second is full again after 10 s.
	held, _ := g.admit("192.0.2.1", now.Add(11*time.Second))
	if n := len(g.addrs); n != 1 {
		t.Errorf("%d addresses remembered after they went idle, want the 1 in use", n)
	}
	// One with a connection pending is kept, however long.
	g.admit("192.0.2.2", now.Add(time.Hour))
	if a := g.addrs["192.0.2.1"]; a == nil || a.pending != 1 {
		t.Error("an address forgotten while a connection of its is pending")
	}
	held()
}
