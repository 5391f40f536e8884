package serve

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ed25519"
	gossh "golang.org/x/crypto/ssh"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// benchServer is a server on a loopback port over an engine of the demo, with one
// authorized key whose signer it returns.
func benchServer(b *testing.B, numbers int, interval time.Duration, src source.Source) (*Server, *monitor.Engine, string, gossh.Signer, ed25519.PrivateKey) {
	b.Helper()
	dir := b.TempDir()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		b.Fatal(err)
	}
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		b.Fatal(err)
	}
	var list []string
	for i := range numbers {
		list = append(list, fmt.Sprintf("+1202555%04d", i))
	}
	if src == nil {
		src = source.NewDemo(source.DemoOptions{Seed: 1, Numbers: list})
	}
	eng := monitor.New(monitor.Config{Source: src, Numbers: list, Interval: interval, Thresholds: monitor.DefaultThresholds()})
	srv, err := New(Options{Engine: eng, AuthorizedKeys: keys, HostKey: filepath.Join(dir, "host"), MaxSessions: 100,
		Logger: slog.New(slog.DiscardHandler), RateLimit: 1000, RateBurst: 1000})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	eng.Start()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StopWithin)
		defer cancel()
		srv.Shutdown(ctx)
		eng.Stop()
	})
	return srv, eng, ln.Addr().String(), signer, priv
}

// viewers are real OpenSSH clients, each in a 160x48 tmux session of one tmux server,
// their output counted with pipe-pane: the server's process then holds the server only.
type viewers struct {
	b    *testing.B
	sock string
	dir  string
	key  string
	addr string
	n    int
}

func newViewers(b *testing.B, addr string, key ed25519.PrivateKey) *viewers {
	b.Helper()
	for _, tool := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed", tool)
		}
	}
	dir := b.TempDir()
	block, err := gossh.MarshalPrivateKey(key, "")
	if err != nil {
		b.Fatal(err)
	}
	keyPath := filepath.Join(dir, "id")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		b.Fatal(err)
	}
	v := &viewers{b: b, sock: filepath.Join(dir, "tmux"), dir: dir, key: keyPath, addr: addr}
	b.Cleanup(func() { exec.Command("tmux", "-S", v.sock, "kill-server").Run() })
	return v
}

func (v *viewers) tmux(args ...string) string {
	out, err := exec.Command("tmux", append([]string{"-S", v.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		v.b.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// open starts one more session and returns its name.
func (v *viewers) open() string {
	host, port, _ := net.SplitHostPort(v.addr)
	name := fmt.Sprintf("v%d", v.n)
	v.n++
	cmd := fmt.Sprintf("env TERM=xterm-256color ssh -tt -i %s -p %s -o UserKnownHostsFile=%s/known -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR bench@%s; echo ssh exited $?; sleep 600",
		v.key, port, v.dir, host)
	v.tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "48", cmd)
	v.tmux("pipe-pane", "-t", name, "-o", "cat >> "+filepath.Join(v.dir, name+".out"))
	return name
}

// waitFor waits until the session's screen shows text, and says how long that took.
func (v *viewers) waitFor(name, text string, timeout time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < timeout {
		if strings.Contains(v.tmux("capture-pane", "-p", "-t", name), text) {
			return time.Since(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
	v.b.Fatalf("%s: no %q on screen after %v:\n%s", name, text, timeout, v.tmux("capture-pane", "-p", "-t", name))
	return timeout
}

// bytes is what the sessions have received so far.
func (v *viewers) bytes() int64 {
	var total int64
	for i := range v.n {
		if fi, err := os.Stat(filepath.Join(v.dir, fmt.Sprintf("v%d.out", i))); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// probe is a session of a Go SSH client with a 160x48 terminal that keeps its output
// (all of it, or the newest 64 KB when it is only there to be drawn for).
type probe struct {
	client *gossh.Client
	in     io.Writer
	mu     sync.Mutex
	out    []byte
	short  bool
}

func dialProbe(b *testing.B, addr string, signer gossh.Signer, keepAll bool) *probe {
	b.Helper()
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "probe", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := client.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 48, 160, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	p := &probe{client: client, short: !keepAll}
	out, _ := sess.StdoutPipe()
	p.in, _ = sess.StdinPipe()
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			p.mu.Lock()
			p.out = append(p.out, buf[:n]...)
			if p.short && len(p.out) > 64<<10 {
				p.out = append(p.out[:0], p.out[len(p.out)-16<<10:]...)
			}
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	b.Cleanup(func() { sess.Close(); client.Close() })
	return p
}

// await waits for text in the output from the given offset on.
func (p *probe) awaitFrom(from int, text string, timeout time.Duration) bool {
	start := time.Now()
	for time.Since(start) < timeout {
		p.mu.Lock()
		found := bytes.Contains(p.out[min(from, len(p.out)):], []byte(text))
		p.mu.Unlock()
		if found {
			return true
		}
		time.Sleep(100 * time.Microsecond)
	}
	return false
}

func (p *probe) await(text string, timeout time.Duration) { p.awaitFrom(0, text, timeout) }

// key types k and says how long until text came back.
func (p *probe) key(k, text string, timeout time.Duration) time.Duration {
	p.mu.Lock()
	from := len(p.out)
	p.mu.Unlock()
	sent := time.Now()
	p.in.Write([]byte(k))
	p.awaitFrom(from, text, timeout)
	return time.Since(sent)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkIdleViewers is what an idle viewer costs the server: CPU (share of one core),
// heap and bytes sent, over and above the same server with no session, at 160x48: the
// main view of the demo's 3 numbers with 1 and 20 sessions open, and the overview of
// 500 numbers (their first screen) with 1. The clients are OpenSSH's, in tmux panes.
//
//	go test ./serve/ -run '^$' -bench IdleViewers -benchtime 1x
func BenchmarkIdleViewers(b *testing.B) {
	const span = 20 * time.Second
	for _, c := range []struct {
		screen   string
		numbers  int
		shows    string
		sessions []int
	}{{"main", 3, "callbacks by type", []int{1, 20}}, {"overview500", 500, "fleet", []int{1}}} {
		for _, n := range c.sessions {
			b.Run(fmt.Sprintf("%s/%dsessions", c.screen, n), func(b *testing.B) {
				for b.Loop() {
					srv, _, addr, _, priv := benchServer(b, c.numbers, 5*time.Second, nil)
					vs := newViewers(b, addr, priv)
					time.Sleep(2 * time.Second)
					heap0 := heapInUse()
					cpu0, t0 := cpuTime(), time.Now()
					time.Sleep(span)
					base := (cpuTime() - cpu0).Seconds() / time.Since(t0).Seconds()

					for range n {
						vs.waitFor(vs.open(), c.shows, 20*time.Second)
					}
					if got := srv.Sessions(); got != n {
						b.Fatalf("%d sessions open, want %d", got, n)
					}
					time.Sleep(2 * time.Second)
					heap1 := heapInUse()
					bytes0 := vs.bytes()
					cpu0, t0 = cpuTime(), time.Now()
					time.Sleep(span)
					with := (cpuTime() - cpu0).Seconds() / time.Since(t0).Seconds()
					perMin := float64(vs.bytes()-bytes0) / float64(n) / time.Since(t0).Minutes()
					b.ReportMetric(100*(with-base)/float64(n), "cpu-%/viewer")
					b.ReportMetric(float64(int64(heap1)-int64(heap0))/float64(n)/(1<<20), "MiB/viewer")
					b.ReportMetric(perMin/1000, "KB/min/viewer")
				}
			})
		}
	}
}

// timedSource records when each number was polled, answering like the demo after a
// delay, and always well: a failing number would back off, and a backoff is no missed
// poll.
type timedSource struct {
	source.Source
	latency time.Duration
	mu      sync.Mutex
	starts  map[string][]time.Time
	last    map[string]source.Snapshot
}

func (s *timedSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	s.mu.Lock()
	s.starts[number] = append(s.starts[number], time.Now())
	s.mu.Unlock()
	time.Sleep(s.latency)
	snap, err := s.Source.Fetch(ctx, number)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return s.last[number], nil
	}
	s.last[number] = snap
	return snap, nil
}

// BenchmarkSessions50Numbers500 opens 50 sessions on a 500-number fleet polled every 5 s
// (50 ms a poll) for 20 s: the longest gap between two polls of a number (a missed poll
// shows as a gap near 10 s), and how long a key takes to come back as new output in one
// session (p50, p99), with every session's screen live.
//
//	go test ./serve/ -run '^$' -bench Sessions50 -benchtime 1x
func BenchmarkSessions50Numbers500(b *testing.B) {
	for b.Loop() {
		var list []string
		for i := range 500 {
			list = append(list, fmt.Sprintf("+1202555%04d", i))
		}
		src := &timedSource{Source: source.NewDemo(source.DemoOptions{Seed: 1, Numbers: list}), latency: 50 * time.Millisecond,
			starts: map[string][]time.Time{}, last: map[string]source.Snapshot{}}
		_, _, addr, signer, _ := benchServer(b, 500, 5*time.Second, src)
		// Fifty sessions of a Go SSH client in this process, each with a 160x48 terminal
		// and its output read as it comes: the server's work is the same as for OpenSSH
		// clients, without fifty tmux panes competing for this machine's two cores. The
		// first is the probe. The help screen and back: each key's own words must come
		// back.
		var probes []*probe
		for i := range 50 {
			probes = append(probes, dialProbe(b, addr, signer, i == 0))
		}
		for _, p := range probes {
			p.await("fleet", 30*time.Second)
		}
		probe := probes[0]
		var waits []time.Duration
		cpu0, t0 := cpuTime(), time.Now()
		deadline := time.Now().Add(20 * time.Second)
		// A person's key falls anywhere between two frames. A fixed pause after each
		// answer would lock the keys to the frames' phase (a key sent 50 ms after a
		// frame waits the 17 ms left of a 67 ms frame, always), so the pause is drawn
		// from 50-150 ms.
		pause := func() { time.Sleep(50*time.Millisecond + rand.N(100*time.Millisecond)) }
		for time.Now().Before(deadline) {
			waits = append(waits, probe.key("?", "Every key works", 5*time.Second))
			pause()
			waits = append(waits, probe.key("?", "TREND", 5*time.Second))
			pause()
		}
		b.ReportMetric(100*(cpuTime()-cpu0).Seconds()/time.Since(t0).Seconds(), "server-cpu-%")
		// Gaps between polls while the fifty sessions were open (not while they connected).
		var maxGap time.Duration
		src.mu.Lock()
		for _, ts := range src.starts {
			for i := 1; i < len(ts); i++ {
				if ts[i-1].After(t0) {
					maxGap = max(maxGap, ts[i].Sub(ts[i-1]))
				}
			}
		}
		src.mu.Unlock()
		slices.Sort(waits)
		b.ReportMetric(maxGap.Seconds(), "max-gap-s")
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "key-p50-ms")
		b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "key-p99-ms")
	}
}
