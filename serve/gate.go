package serve

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// gate admits connections before their SSH handshake, so that handshakes and
// authentication attempts are bounded as sessions are: per client address a token bucket
// (the session limiter's rate and burst) and a cap on the connections not yet
// authenticated, and a cap on all the connections not yet authenticated.
type gate struct {
	rate    rate.Limit
	burst   int
	perAddr int // connections not yet authenticated, per address
	total   int // connections not yet authenticated, in all

	mu      sync.Mutex
	pending int
	addrs   map[string]*addrGate
	pruned  time.Time
}

// addrGate is one address's bucket and its connections not yet authenticated.
type addrGate struct {
	tokens  *rate.Limiter
	pending int
	seen    time.Time
}

// Why the gate refuses a connection, as logged.
const (
	refusedRate = "refused: rate limit"
	refusedConn = "refused: too many connections"
)

func newGate(r rate.Limit, burst, perAddr, total int) *gate {
	return &gate{rate: r, burst: burst, perAddr: perAddr, total: total, addrs: map[string]*addrGate{}}
}

// admit takes a place for a connection from addr, or says why not. release gives the
// place back (once the connection has authenticated, or is closed): it may be called
// more than once.
func (g *gate) admit(addr string, now time.Time) (release func(), refusal string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prune(now)
	a := g.addrs[addr]
	if a == nil {
		a = &addrGate{tokens: rate.NewLimiter(g.rate, g.burst)}
		g.addrs[addr] = a
	}
	a.seen = now
	// The caps first: a connection refused for them spends no token.
	if a.pending >= g.perAddr || g.pending >= g.total {
		return nil, refusedConn
	}
	if !a.tokens.AllowN(now, 1) {
		return nil, refusedRate
	}
	a.pending++
	g.pending++
	return sync.OnceFunc(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		a.pending--
		g.pending--
	}), ""
}

// prune forgets, at most once a second, the addresses with no connection pending whose
// bucket has filled again: forgetting them changes nothing.
func (g *gate) prune(now time.Time) {
	if now.Sub(g.pruned) < time.Second {
		return
	}
	g.pruned = now
	full := float64(g.burst) / float64(g.rate) // seconds
	for k, a := range g.addrs {
		if a.pending == 0 && now.Sub(a.seen).Seconds() > full {
			delete(g.addrs, k)
		}
	}
}

// pendingFrom is how many connections from addr are in their handshake.
func (g *gate) pendingFrom(addr string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a := g.addrs[addr]; a != nil {
		return a.pending
	}
	return 0
}

// addrOf is the address a client connects from, without its port.
func addrOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// gatedConn gives its place at the gate back when it is closed.
type gatedConn struct {
	net.Conn
	release func()
}

func (c *gatedConn) Close() error {
	c.release()
	return c.Conn.Close()
}
