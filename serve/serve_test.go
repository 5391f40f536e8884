package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wamon/wamon/internal/tmuxtest"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

// These tests drive wamon serve with the real OpenSSH client, in tmux panes where a
// session needs a terminal. They skip where ssh, ssh-keygen or tmux is missing (.ci/run
// installs them), and under CI fail unless .ci/run said it could not.

// apiKey is the Kaleyra client's key: no log line may carry it.
const apiKey = "wamon-test-secret-7Qx9Zr2Lk"

// numbers are the watched numbers; every one answers healthy.
var numbers = []string{"+12025550100", "+12025550101", "+12025550102"}

const interval = time.Second

// needTools skips a test that needs ssh, ssh-keygen and tmux where one is missing, as
// promTools does: under CI (CI set) a missing tool fails the test, unless .ci/run
// reported it could not install its package (WAMON_CI_UNINSTALLABLE).
func needTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: these tests drive real ssh clients")
	}
	for _, tool := range []string{"ssh", "ssh-keygen", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			missingTool(t, tool, err.Error())
		}
	}
	// A client that cannot start here (no user for this uid, say) is a missing tool too.
	if out, err := exec.Command("ssh", "-G", "-F", "/dev/null", "127.0.0.1").CombinedOutput(); err != nil {
		missingTool(t, "ssh", fmt.Sprintf("it cannot run here: %v: %s", err, bytes.TrimSpace(out)))
	}
}

// toolPackage is the Debian package .ci/run installs for a tool.
func toolPackage(tool string) string {
	switch tool {
	case "tmux", "ssh-audit":
		return tool
	}
	return "openssh-client"
}

// missingToolFails says whether a missing tool fails a test rather than skipping it:
// under CI, unless the packages .ci/run could not install include the tool's.
func missingToolFails(tool, ci, uninstallable string) bool {
	return ci != "" && !slices.Contains(strings.Fields(uninstallable), toolPackage(tool))
}

func missingTool(t *testing.T, tool, why string) {
	t.Helper()
	if missingToolFails(tool, os.Getenv("CI"), os.Getenv("WAMON_CI_UNINSTALLABLE")) {
		t.Fatalf("%s is missing (%s), and .ci/run did not report failing to install %s", tool, why, toolPackage(tool))
	}
	t.Skipf("%s is missing (%s); .ci/run installs %s with apt where it can", tool, why, toolPackage(tool))
}

// Under CI a missing ssh, tmux or ssh-audit fails the serve tests, unless .ci/run could
// not install its package; elsewhere they skip.
func TestMissingToolFailsUnderCI(t *testing.T) {
	for _, tc := range []struct {
		tool, ci, uninstallable string
		fails                   bool
	}{
		{"ssh", "", "", false},
		{"tmux", "", "tmux", false},
		{"ssh", "true", "", true},
		{"ssh-keygen", "true", "", true},
		{"tmux", "true", "", true},
		{"ssh", "true", " tmux prometheus", true},
		{"ssh", "true", " openssh-client", false},
		{"ssh-keygen", "true", " tmux openssh-client", false},
		{"tmux", "1", " openssh-client", true},
		{"tmux", "1", " tmux openssh-client bash-completion", false},
		{"ssh-audit", "true", " tmux openssh-client", true},
		{"ssh-audit", "true", " ssh-audit", false},
		{"ssh", "true", " ssh-audit", true},
	} {
		if got := missingToolFails(tc.tool, tc.ci, tc.uninstallable); got != tc.fails {
			t.Errorf("%s missing with CI=%q WAMON_CI_UNINSTALLABLE=%q: fails %v, want %v", tc.tool, tc.ci, tc.uninstallable, got, tc.fails)
		}
	}
}

// syncBuffer is a log sink the server's goroutines and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records are the JSON log lines, decoded.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		out = append(out, r)
	}
	return out
}

// keygen makes an ed25519 key pair with ssh-keygen; it returns the private key's path
// and the public key's authorized_keys line.
func keygen(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	priv := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name+"@wamon-test", "-f", priv).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(priv + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return priv, string(pub)
}

// fixture is a running server: a fault server, an engine polling it every second, the
// SSH server on a free port, an authorized key, a known_hosts file with the host key.
type fixture struct {
	t        *testing.T
	dir      string
	fake     *faketest.Server
	tr       *http.Transport
	requests *requests
	engine   *monitor.Engine
	srv      *Server
	port     string
	auth     string // authorized_keys
	key      string // an authorized private key
	other    string // a private key that is not authorized
	known    string // known_hosts with the server's host key
	log      *syncBuffer
	done     chan struct{} // closed when Serve returns, with its error in serveErr
	serveErr error
}

func newFixture(t *testing.T, tweak func(*Options)) *fixture {
	t.Helper()
	return newFixtureEvery(t, interval, tweak)
}

// requests are the times the engine sent a request for each number.
type requests struct {
	next http.RoundTripper
	mu   sync.Mutex
	at   map[string][]time.Time
}

func (r *requests) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	n := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	r.at[n] = append(r.at[n], time.Now())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// of is when number's requests were sent.
func (r *requests) of(number string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.at[number])
}

// newFixtureEvery is newFixture with the engine polling every every.
func newFixtureEvery(t *testing.T, every time.Duration, tweak func(*Options)) *fixture {
	t.Helper()
	return newFixtureEngine(t, func(c *monitor.Config) { c.Interval = every }, tweak)
}

// newFixtureEngine is newFixture with the engine's configuration tweaked.
func newFixtureEngine(t *testing.T, engine func(*monitor.Config), tweak func(*Options)) *fixture {
	t.Helper()
	needTools(t)
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, log: &syncBuffer{}, done: make(chan struct{})}
	var pub string
	f.key, pub = keygen(t, dir, "alice")
	f.other, _ = keygen(t, dir, "mallory")
	f.auth = filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(f.auth, []byte("# the team\n"+pub), 0o600); err != nil {
		t.Fatal(err)
	}

	f.fake = faketest.New(faketest.Healthy)
	t.Cleanup(f.fake.Close)
	f.tr = &http.Transport{}
	t.Cleanup(f.tr.CloseIdleConnections)
	f.requests = &requests{next: f.tr, at: map[string][]time.Time{}}
	client, err := source.NewKaleyra(source.KaleyraOptions{
		BaseURL: f.fake.URL, APIKey: apiKey, Timeout: 5 * time.Second,
		HTTPClient: &http.Client{Transport: f.requests},
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(f.log, nil))
	cfg := monitor.Config{Source: client, Numbers: numbers, Interval: interval, Logger: logger}
	if engine != nil {
		engine(&cfg)
	}
	f.engine = monitor.New(cfg)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, f.port, _ = net.SplitHostPort(ln.Addr().String())
	opts := Options{
		Engine: f.engine, Listen: ln.Addr().String(), AuthorizedKeys: f.auth,
		HostKey: filepath.Join(dir, "state", "ssh_host_ed25519_key"), Logger: logger,
	}
	if tweak != nil {
		tweak(&opts)
	}
	f.srv, err = New(opts)
	if err != nil {
		ln.Close()
		t.Fatalf("New: %v", err)
	}
	f.known = filepath.Join(dir, "known_hosts")
	f.writeKnownHosts(opts.HostKey)

	f.engine.Start()
	go func() {
		f.serveErr = f.srv.Serve(ln)
		close(f.done)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
		select {
		case <-f.done:
			if f.serveErr != nil {
				t.Errorf("Serve: %v", f.serveErr)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
		f.engine.Stop()
		f.engine.WaitIdle()
	})
	return f
}

// writeKnownHosts trusts the host key the server made (and checks it made it private),
// so that ssh runs with StrictHostKeyChecking=yes: a session reaches this server or none.
func (f *fixture) writeKnownHosts(hostKey string) {
	t := f.t
	fi, err := os.Stat(hostKey)
	if err != nil {
		t.Fatalf("the host key was not made: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %04o, want 0600", fi.Mode().Perm())
	}
	pem, err := os.ReadFile(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatalf("host key: %v", err)
	}
	line := "[127.0.0.1]:" + f.port + " " + string(gossh.MarshalAuthorizedKey(signer.PublicKey()))
	if err := os.WriteFile(f.known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshArgs is a client's command line: opts, then the options of every client (this key
// only, no config, no agent, the host key pinned, never a prompt), the destination and
// the command. ssh keeps the first value of an option: opts override the defaults.
func (f *fixture) sshArgs(key string, opts []string, command ...string) []string {
	args := append([]string{}, opts...)
	args = append(args, "-F", "/dev/null", "-i", key, "-p", f.port,
		"-o", "UserKnownHostsFile="+f.known, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"u@127.0.0.1")
	return append(args, command...)
}

// ssh runs a client without a terminal and returns its output and exit code.
func (f *fixture) ssh(key string, env []string, opts []string, command ...string) (string, int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", f.sshArgs(key, opts, command...)...)
	cmd.Env = append(append(os.Environ(), "TERM=xterm-256color"), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		f.t.Fatalf("ssh %v %v did not end in 20 s:\n%s", opts, command, out)
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		f.t.Fatalf("ssh: %v", err)
	}
	return string(out), code
}

// sshCommand is the shell command a tmux pane runs: an interactive client with TERM
// set, and the client's exit status printed when it ends.
func (f *fixture) sshCommand(term, key string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	args := []string{"env", "TERM=" + term, "ssh", "-tt"}
	for _, a := range f.sshArgs(key, nil) {
		args = append(args, q(a))
	}
	return strings.Join(args, " ") + "; echo SSH-EXITED $?; sleep 600"
}

// tmux is a tmux server of the test's own, on its own socket, with no user config.
// waitUntil polls cond until it holds or within passes.
func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The console with data: the watched numbers' counters have been polled.
var console = []string{"callback queue", "inbound_message"}

func TestSSHConsole(t *testing.T) {
	f := newFixture(t, nil)
	x := tmuxtest.New(t)
	x.Start("s", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("s", "console", 20*time.Second, console...)
	if n := f.srv.Sessions(); n != 1 {
		t.Errorf("Sessions() = %d with one console open", n)
	}
	x.Run("send-keys", "-t", "s", "q")
	x.WaitFor("s", "quit", 10*time.Second, "SSH-EXITED 0")
	waitUntil(t, "the session is let go", 5*time.Second, func() bool { return f.srv.Sessions() == 0 })
	// The server keeps serving: another session gets in.
	x.Start("again", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("again", "a second session", 20*time.Second, console...)
	select {
	case <-f.done:
		t.Fatalf("Serve returned: %v", f.serveErr)
	default:
	}
}

// refused checks a client was turned away: a non-zero exit, the reason, no console.
func refused(t *testing.T, out string, code int, want ...string) {
	t.Helper()
	if code == 0 {
		t.Errorf("ssh exited 0; output:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, w := range console {
		if strings.Contains(out, w) {
			t.Errorf("the console was drawn for a refused client:\n%s", out)
		}
	}
}

func TestSSHRefusals(t *testing.T) {
	f := newFixture(t, nil)

	t.Run("unknown key", func(t *testing.T) {
		out, code := f.ssh(f.other, nil, []string{"-T"})
		refused(t, out, code, "Permission denied (publickey)")
	})
	t.Run("password and keyboard-interactive", func(t *testing.T) {
		// A client that would type a password if asked: the server offers only publickey,
		// so nothing asks.
		askpass := filepath.Join(f.dir, "askpass")
		asked := filepath.Join(f.dir, "askpass-asked")
		if err := os.WriteFile(askpass, []byte("#!/bin/sh\ntouch '"+asked+"'\necho hunter2\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		out, code := f.ssh(f.other, []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"},
			[]string{"-T", "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no",
				"-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "NumberOfPasswordPrompts=1"})
		// The list in parentheses is every method the server accepts.
		refused(t, out, code, "Permission denied (publickey).")
		if _, err := os.Stat(asked); err == nil {
			t.Error("the client was asked for a password")
		}
		waitUntil(t, "the refusal logged", 5*time.Second, func() bool { return f.refusals(t, "refused: no public key") == 1 })
		if r := f.refusedLines(t, "refused: no public key")[0]; r["user"] != "u" || r["key"] != "" {
			t.Errorf("a password attempt logged as user %v key %v, want u and none", r["user"], r["key"])
		}
	})
	t.Run("no PTY", func(t *testing.T) {
		out, code := f.ssh(f.key, nil, []string{"-T"})
		refused(t, out, code, "Requires an active PTY")
	})
	t.Run("command", func(t *testing.T) {
		out, code := f.ssh(f.key, nil, []string{"-T"}, "cat", "/etc/passwd")
		refused(t, out, code, "wamon serve runs no commands")
		if strings.Contains(out, "root:") {
			t.Errorf("the command ran:\n%s", out)
		}
	})
	t.Run("command with a PTY", func(t *testing.T) {
		out, code := f.ssh(f.key, nil, []string{"-tt"}, "id")
		refused(t, out, code, "wamon serve runs no commands")
	})
	t.Run("subsystem", func(t *testing.T) {
		out, code := f.ssh(f.key, nil, []string{"-T", "-s"}, "sftp")
		refused(t, out, code, "subsystem request failed")
	})
	t.Run("stdio forwarding", func(t *testing.T) {
		// -W opens a direct-tcpip channel, as -L and -D do for each connection.
		out, code := f.ssh(f.key, nil, []string{"-o", "LogLevel=INFO", "-W", "127.0.0.1:" + f.port})
		refused(t, out, code, "open failed", "stdio forwarding failed")
		if strings.Contains(out, "SSH-2.0") {
			t.Errorf("the forward reached the target:\n%s", out)
		}
	})
	t.Run("remote forwarding", func(t *testing.T) {
		out, code := f.ssh(f.key, nil, []string{"-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:" + f.port})
		refused(t, out, code, "remote port forwarding failed")
	})
	t.Run("agent forwarding", func(t *testing.T) {
		// charmbracelet/ssh acknowledges an agent request, but the server must never
		// open a channel back to the client's agent.
		client := f.dial(t, f.key)
		agents := client.HandleChannelOpen("auth-agent@openssh.com")
		sess, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		sess.SendRequest("auth-agent-req@openssh.com", true, nil)
		if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
		out := &syncBuffer{}
		sess.Stdout, sess.Stderr = out, out
		stdin, err := sess.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		// The console asks the terminal its background colour; answer as a terminal
		// does (DA1), or it waits for a key.
		stdin.Write([]byte("\x1b[?62;22c"))
		waitUntil(t, "the console over a Go client", 20*time.Second, func() bool {
			return strings.Contains(out.String(), "callback queue")
		})
		select {
		case ch := <-agents:
			ch.Reject(gossh.Prohibited, "test")
			t.Error("the server opened a channel to the client's agent")
		default:
		}
		sess.Close()
		client.Close()
	})
	waitUntil(t, "no session left", 5*time.Second, func() bool { return f.srv.Sessions() == 0 })
}

// dial connects a Go client with key, the host key pinned.
func (f *fixture) dial(t *testing.T, key string) *gossh.Client {
	t.Helper()
	client, err := gossh.Dial("tcp", "127.0.0.1:"+f.port, f.clientConfig(t, key))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// clientConfig is a Go client's configuration: key, user u, the host key pinned.
func (f *fixture) clientConfig(t *testing.T, key string) *gossh.ClientConfig {
	t.Helper()
	pem, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	known, err := os.ReadFile(f.known)
	if err != nil {
		t.Fatal(err)
	}
	_, _, hostKey, _, _, err := gossh.ParseKnownHosts(known)
	if err != nil {
		t.Fatal(err)
	}
	return &gossh.ClientConfig{
		User: "u", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.FixedHostKey(hostKey), Timeout: 10 * time.Second,
	}
}

// The rate limit per address, for sessions: one connection may open several (OpenSSH's
// ControlMaster shares one among clients); past the burst, a session is refused with a
// reason.
func TestSSHRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit, o.RateBurst = 0.001, 1 })
	// The master: one connection, authenticated, no session of its own.
	ctl := filepath.Join(f.dir, "ctl")
	master := exec.Command("ssh", f.sshArgs(f.key, []string{"-M", "-S", ctl, "-N"})...)
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { master.Wait(); close(exited) }()
	t.Cleanup(func() {
		master.Process.Kill()
		<-exited
	})
	waitUntil(t, "the master connection", 10*time.Second, func() bool {
		return exec.Command("ssh", "-S", ctl, "-O", "check", "u@127.0.0.1").Run() == nil
	})
	share := []string{"-S", ctl, "-o", "ControlMaster=no", "-T"}
	out, code := f.ssh(f.key, nil, share)
	refused(t, out, code, "Requires an active PTY")
	out, code = f.ssh(f.key, nil, share)
	refused(t, out, code, "rate limit exceeded")
	if !strings.HasSuffix(out, "\r\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("the refusal is not one line ending in \\r\\n: %q", out)
	}
	waitUntil(t, "the refused session's line", 5*time.Second, func() bool {
		return len(f.sessionEnds(t, "refused: rate limit")) == 1
	})
}

// sessionEnds are the log's session end lines that ended how.
func (f *fixture) sessionEnds(t *testing.T, how string) []map[string]any {
	var out []map[string]any
	for _, r := range f.log.records(t) {
		if r["msg"] == "session end" && r["ended"] == how {
			out = append(out, r)
		}
	}
	return out
}

// refusedLines are the log's connection refused lines for a reason.
func (f *fixture) refusedLines(t *testing.T, reason string) []map[string]any {
	var out []map[string]any
	for _, r := range f.log.records(t) {
		if r["msg"] == "connection refused" && r["reason"] == reason {
			out = append(out, r)
		}
	}
	return out
}

// dialFrom opens a TCP connection to the server from the loopback address local, and
// says whether the server let it start a handshake: an admitted connection reads the
// server's version line, a refused one is closed at once. An admitted connection is
// left open (in its handshake) until the test ends.
func (f *fixture) dialFrom(t *testing.T, local string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", "127.0.0.1:"+f.port)
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	c.SetReadDeadline(time.Time{})
	switch {
	case strings.HasPrefix(line, "SSH-2.0-"):
		t.Cleanup(func() { c.Close() })
		return c, true
	case line == "" && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		c.Close()
		return nil, false
	}
	c.Close()
	t.Fatalf("dial from %s: read %q, %v: neither admitted nor refused", local, line, err)
	return nil, false
}

// refusals counts the log's connection refusals for a reason.
func (f *fixture) refusals(t *testing.T, reason string) int { return len(f.refusedLines(t, reason)) }

// Before its handshake a connection is admitted or refused by its address: at most
// PendingPerAddress from one address and Pending in all may be in their handshake, and
// new connections from one address are rate-limited. Each refusal is one log line.
func TestSSHPreAuthLimits(t *testing.T) {
	// Long enough that no connection held open here is dropped for its handshake.
	const handshake = time.Minute
	t.Run("per address", func(t *testing.T) {
		f := newFixture(t, func(o *Options) { o.RateLimit, o.RateBurst, o.Handshake = 1000, 1000, handshake })
		var held []net.Conn
		for i := range DefaultPendingPerAddress {
			c, ok := f.dialFrom(t, "127.0.0.1")
			if !ok {
				t.Fatalf("connection %d of %d from one address refused", i+1, DefaultPendingPerAddress)
			}
			held = append(held, c)
		}
		if _, ok := f.dialFrom(t, "127.0.0.1"); ok {
			t.Fatalf("connection %d from one address admitted", DefaultPendingPerAddress+1)
		}
		// The real client is refused too, before its key exchange.
		out, code := f.ssh(f.key, nil, []string{"-T"})
		refused(t, out, code, "kex_exchange_identification") // closed or reset, before the key exchange
		// Another address is not.
		if _, ok := f.dialFrom(t, "127.0.0.2"); !ok {
			t.Fatal("a connection from another address was refused")
		}
		out, code = f.ssh(f.key, nil, []string{"-T", "-b", "127.0.0.3"})
		refused(t, out, code, "Requires an active PTY")
		if n := f.refusals(t, "refused: too many connections"); n != 2 {
			t.Errorf("%d refusals for too many connections logged, want 2 (one per connection):\n%s", n, f.log)
		}

		// A place freed is a place taken; an authenticated connection holds none: with
		// one place left, two consoles open one after the other.
		held[0].Close()
		waitUntil(t, "a place freed", 5*time.Second, func() bool {
			return f.srv.gate.pendingFrom("127.0.0.1") == DefaultPendingPerAddress-1
		})
		x := tmuxtest.New(t)
		for _, name := range []string{"a", "b"} {
			x.Start(name, 100, 30, f.sshCommand("xterm-256color", f.key))
			x.WaitFor(name, "console "+name, 20*time.Second, console...)
		}
	})
	t.Run("in all", func(t *testing.T) {
		f := newFixture(t, func(o *Options) {
			o.RateLimit, o.RateBurst, o.Handshake, o.MaxSessions = 1000, 1000, handshake, 2
		})
		for _, from := range []string{"127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2"} {
			if _, ok := f.dialFrom(t, from); !ok {
				t.Fatalf("a connection from %s refused before 2 x MaxSessions", from)
			}
		}
		if _, ok := f.dialFrom(t, "127.0.0.3"); ok {
			t.Fatal("a fifth connection in its handshake admitted with MaxSessions 2")
		}
		if n := f.refusals(t, "refused: too many connections"); n != 1 {
			t.Errorf("%d refusals logged, want 1:\n%s", n, f.log)
		}
	})
	t.Run("rate", func(t *testing.T) {
		f := newFixture(t, func(o *Options) { o.RateLimit, o.RateBurst, o.Handshake = 0.001, 3, handshake })
		for i := range 3 {
			c, ok := f.dialFrom(t, "127.0.0.1")
			if !ok {
				t.Fatalf("connection %d of a burst of 3 refused", i+1)
			}
			c.Close()
		}
		out, code := f.ssh(f.key, nil, []string{"-T"})
		refused(t, out, code, "kex_exchange_identification") // closed or reset, before the key exchange
		if _, ok := f.dialFrom(t, "127.0.0.1"); ok {
			t.Fatal("a connection past the burst admitted")
		}
		out, code = f.ssh(f.key, nil, []string{"-T", "-b", "127.0.0.2"})
		refused(t, out, code, "Requires an active PTY")
		if n := f.refusals(t, "refused: rate limit"); n != 2 {
			t.Errorf("%d refusals for the rate logged, want 2 (one per connection):\n%s", n, f.log)
		}
	})
}

func TestSSHMaxSessions(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxSessions = 2 })
	x := tmuxtest.New(t)
	for _, name := range []string{"a", "b"} {
		x.Start(name, 100, 30, f.sshCommand("xterm-256color", f.key))
		x.WaitFor(name, "session "+name, 20*time.Second, console...)
	}
	x.Start("c", 100, 30, f.sshCommand("xterm-256color", f.key))
	s := x.WaitForAny("c", "a third session", 20*time.Second, "SSH-EXITED", "callback queue")
	// One line from the server, then the client's exit status.
	if got := strings.TrimSpace(s); got != "wamon serve: server full (2 sessions); try again later\nSSH-EXITED 1" {
		t.Errorf("a third session was not refused with one line:\n%s", s)
	}
	for _, w := range console {
		if strings.Contains(s, w) {
			t.Errorf("the third session saw the console:\n%s", s)
		}
	}
	if n := f.srv.Sessions(); n != 2 {
		t.Errorf("Sessions() = %d, want 2", n)
	}
	// A place freed is a place taken.
	x.Run("send-keys", "-t", "a", "q")
	x.WaitFor("a", "quit", 10*time.Second, "SSH-EXITED 0")
	waitUntil(t, "a place frees", 5*time.Second, func() bool { return f.srv.Sessions() == 1 })
	x.Start("d", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("d", "a session after one left", 20*time.Second, console...)
}

func TestSSHHandshakeDeadline(t *testing.T) {
	const handshake = 500 * time.Millisecond
	f := newFixture(t, func(o *Options) { o.Handshake = handshake })
	// A console opened before: the deadline is for handshakes, not for sessions.
	x := tmuxtest.New(t)
	x.Start("s", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("s", "console", 20*time.Second, console...)

	for _, tc := range []struct {
		name string
		send string
	}{
		{"silent", ""},
		{"version only", "SSH-2.0-OpenSSH_9.2\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", "127.0.0.1:"+f.port)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			if tc.send != "" {
				conn.Write([]byte(tc.send))
			}
			// Past the deadline and a second of grace the read fails the test, not hangs it.
			conn.SetReadDeadline(start.Add(handshake + time.Second))
			_, err = io.Copy(io.Discard, conn) // the server's version and key exchange, then EOF
			took := time.Since(start)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the connection is still open %v after connecting (handshake deadline %v)", took, handshake)
			}
			if took < handshake-50*time.Millisecond {
				t.Errorf("closed after %v, before the %v deadline: %v", took, handshake, err)
			}
			t.Logf("closed after %v (%v)", took, err)
		})
	}
	if s := x.Screen("s"); strings.Contains(s, "SSH-EXITED") || f.srv.Sessions() != 1 {
		t.Errorf("the deadline closed a session that had authenticated:\n%s", s)
	}
	// Each dropped connection is one line saying why, with how long it had.
	var lines []map[string]any
	waitUntil(t, "two handshake timeouts logged", 5*time.Second, func() bool {
		lines = f.refusedLines(t, "refused: handshake timeout")
		return len(lines) >= 2
	})
	if len(lines) != 2 || f.refusals(t, "refused: handshake failed") != 0 {
		t.Errorf("want 2 handshake timeouts and nothing else:\n%s", f.log)
	}
	for _, r := range lines {
		if d, _ := r["duration_s"].(float64); d < handshake.Seconds()-0.05 || d > handshake.Seconds()+1 {
			t.Errorf("a handshake timeout after %v s, deadline %v", r["duration_s"], handshake)
		}
		if _, ok := r["error"]; ok || strings.Contains(fmt.Sprint(r), "closed network connection") {
			t.Errorf("a timeout logged as an error: %v", r)
		}
	}
}

func TestSSHAuthorizedKeysReload(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit, o.RateBurst = 100, 100 })
	bob, bobPub := keygen(t, f.dir, "bob")
	alicePub, err := os.ReadFile(f.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	// Authenticated: refused for want of a PTY (the console needs one), not for the key.
	in := func(t *testing.T, who, key string) {
		t.Helper()
		out, code := f.ssh(key, nil, []string{"-T"})
		refused(t, out, code, "Requires an active PTY")
		if t.Failed() {
			t.Fatalf("%s was not let in", who)
		}
	}
	out := func(t *testing.T, who, key string) {
		t.Helper()
		out, code := f.ssh(key, nil, []string{"-T"})
		refused(t, out, code, "Permission denied (publickey)")
		if t.Failed() {
			t.Fatalf("%s was let in", who)
		}
	}
	write := func(t *testing.T, text string) {
		t.Helper()
		if err := os.WriteFile(f.auth, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	in(t, "alice", f.key)
	out(t, "bob", bob)

	t.Run("a key added is read without a restart", func(t *testing.T) {
		file, err := os.OpenFile(f.auth, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		file.WriteString(bobPub)
		file.Close()
		in(t, "bob", bob)
		in(t, "alice", f.key)
	})
	// A file that cannot be used admits nobody, at once, and the log says why in one
	// line, however many try meanwhile.
	nobody := func(t *testing.T, why string) {
		t.Helper()
		before := f.nobodyLines(t)
		out(t, "alice", f.key)
		out(t, "bob", bob)
		out(t, "alice again", f.key)
		lines := f.nobodyLines(t)
		if len(lines) != len(before)+1 {
			t.Fatalf("%d lines say nobody is admitted, want one more than %d:\n%s", len(lines), len(before), f.log)
		}
		if reason := lines[len(lines)-1]; !strings.Contains(reason, why) || strings.Contains(reason, "refuses to start") {
			t.Errorf("reason %q, want %q and nothing about starting", reason, why)
		}
	}
	t.Run("an emptied file admits nobody", func(t *testing.T) {
		write(t, "# everyone left\n")
		nobody(t, "holds no usable public key")
		err := f.srv.Reload()
		if err == nil || !strings.Contains(err.Error(), "no usable public key") || !strings.Contains(err.Error(), "nobody is admitted") ||
			strings.Contains(err.Error(), "refuses to start") {
			t.Errorf("Reload of a file without keys: %v", err)
		}
		out(t, "alice", f.key)
	})
	t.Run("a deleted file admits nobody", func(t *testing.T) {
		write(t, string(alicePub))
		in(t, "alice", f.key)
		if err := os.Remove(f.auth); err != nil {
			t.Fatal(err)
		}
		nobody(t, "no such file")
		write(t, string(alicePub)+bobPub)
		in(t, "alice", f.key)
		in(t, "bob", bob)
	})
	t.Run("a file others may write admits nobody", func(t *testing.T) {
		for _, mode := range []os.FileMode{0o620, 0o602} {
			if err := os.Chmod(f.auth, mode); err != nil {
				t.Fatal(err)
			}
			nobody(t, "writable by group or others")
			if err := os.Chmod(f.auth, 0o600); err != nil {
				t.Fatal(err)
			}
			in(t, "alice", f.key)
		}
	})
	t.Run("a directory others may write admits nobody", func(t *testing.T) {
		for _, mode := range []os.FileMode{0o770, 0o707} {
			if err := os.Chmod(f.dir, mode); err != nil {
				t.Fatal(err)
			}
			nobody(t, "directory "+f.dir+" is writable by group or others")
			if err := os.Chmod(f.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			in(t, "alice", f.key)
		}
	})
	t.Run("a key removed is refused without a restart", func(t *testing.T) {
		write(t, "# bob only, a comment of another length\n"+bobPub)
		out(t, "alice", f.key)
		in(t, "bob", bob)
	})
	t.Run("Reload", func(t *testing.T) {
		write(t, string(alicePub))
		if err := f.srv.Reload(); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		in(t, "alice", f.key)
		out(t, "bob", bob)
	})
}

// nobodyLines are the reasons of the log's lines saying nobody is admitted.
func (f *fixture) nobodyLines(t *testing.T) []string {
	var reasons []string
	for _, r := range f.log.records(t) {
		if r["msg"] == "authorized keys: nobody is admitted" {
			reasons = append(reasons, fmt.Sprint(r["reason"]))
		}
	}
	return reasons
}

// Without a usable authorized key, or with a file or directory that others may write
// (OpenSSH's StrictModes), New refuses, in one line, and makes no host key.
func TestServeNewRefusesWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	engine := monitor.New(monitor.Config{Source: source.NewDemo(source.DemoOptions{Seed: 1}), Numbers: numbers})
	write := func(name, text string) string {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, name)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// keyFile writes a file with a usable key.
	keyFile := func(name ...string) string {
		_, line := testKey(t)
		return write(filepath.Join(name...), line+"\n")
	}
	chmod := func(path string, mode os.FileMode) string {
		if err := os.MkdirAll(path, 0o700); err != nil && !errors.Is(err, syscall.ENOTDIR) {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct{ name, path, want string }{
		{"no path", "", "no authorized_keys file"},
		{"missing", filepath.Join(dir, "nope", "authorized_keys"), "no such file"},
		{"empty", write("empty", ""), "no usable public key"},
		{"comments", write("comments", "# nobody yet\n\n   # really\n"), "no usable public key"},
		{"garbage", write("garbage", "ssh-ed25519 not-base64 bob\nhello world\n"), "no usable public key"},
		{"a directory", dir, "not a regular file"},
		{"writable by group", chmod(keyFile("group"), 0o620), "chmod go-w"},
		{"writable by others", chmod(keyFile("others"), 0o602), "chmod go-w"},
		{"in a directory group may write", keyFile(chmod(filepath.Join(dir, "group-dir"), 0o770), "authorized_keys"), "chmod go-w"},
		{"in a directory others may write", keyFile(chmod(filepath.Join(dir, "others-dir"), 0o707), "authorized_keys"), "chmod go-w"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hostKey := filepath.Join(dir, tc.name+"-host", "key")
			srv, err := New(Options{Engine: engine, Listen: "127.0.0.1:0", AuthorizedKeys: tc.path, HostKey: hostKey})
			if err == nil {
				t.Fatalf("New served %v", srv)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "refuses to start") || !strings.Contains(msg, tc.want) {
				t.Errorf("not one line that says it refuses to start, and %q: %q", tc.want, msg)
			}
			if _, err := os.Stat(hostKey); err == nil {
				t.Error("a refused start made a host key")
			}
		})
	}
	t.Run("host key readable by others", func(t *testing.T) {
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		sshPub, err := gossh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		auth := write("one-key", string(gossh.MarshalAuthorizedKey(sshPub)))
		hostKey := filepath.Join(dir, "loose", "key")
		if _, err := New(Options{Engine: engine, Listen: "127.0.0.1:0", AuthorizedKeys: auth, HostKey: hostKey}); err != nil {
			t.Fatalf("New with a key: %v", err)
		}
		if err := os.Chmod(hostKey, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = New(Options{Engine: engine, Listen: "127.0.0.1:0", AuthorizedKeys: auth, HostKey: hostKey})
		if err == nil || strings.ContainsAny(err.Error(), "\r\n") || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a host key others can read: %v", err)
		}
	})
	// A host key of another type would offer its own algorithms, which ssh-audit fails
	// (ECDSA's NIST curves, RSA's SHA-1 ssh-rsa).
	for _, tc := range []struct {
		name string
		make func() (crypto.Signer, error)
		typ  string
	}{
		{"ecdsa", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }, "ecdsa-sha2-nistp256"},
		{"rsa", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }, "ssh-rsa"},
	} {
		t.Run("host key "+tc.name, func(t *testing.T) {
			key, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			block, err := gossh.MarshalPrivateKey(key, "")
			if err != nil {
				t.Fatal(err)
			}
			hostKey := write(tc.name+"-host-key", string(pem.EncodeToMemory(block)))
			_, err = New(Options{Engine: engine, Listen: "127.0.0.1:0", AuthorizedKeys: keyFile(tc.name + "-auth"), HostKey: hostKey})
			if err == nil || strings.ContainsAny(err.Error(), "\r\n") || !strings.Contains(err.Error(), "is an "+tc.typ+" key") ||
				!strings.Contains(err.Error(), "ssh-keygen -t ed25519") {
				t.Errorf("an %s host key: %v", tc.name, err)
			}
		})
	}
}

// quietGoroutines stops what comes and goes with polling (the polls, and the HTTP
// connections' goroutines in the client and the fault server), so that what is left to
// count is the server's own; it returns the count once it has stayed put for 300 ms.
func (f *fixture) quietGoroutines() int {
	f.engine.SetPaused(true)
	f.engine.WaitIdle()
	f.tr.CloseIdleConnections()
	last, since := runtime.NumGoroutine(), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		time.Sleep(10 * time.Millisecond)
		if n := runtime.NumGoroutine(); n != last {
			last, since = n, time.Now()
		}
	}
	return last
}

func goroutineDump() string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}

func TestSSHConcurrentSessions(t *testing.T) {
	const sessions = 20
	// Twenty sessions from one address at once: past the default burst of the rate
	// limit per address, and past the handshakes one address may have at once, which
	// are not what this test is about.
	const every = 3 * time.Second
	f := newFixtureEvery(t, every, func(o *Options) { o.RateLimit, o.RateBurst, o.PendingPerAddress = 100, 100, sessions })
	base := f.quietGoroutines()
	baseDump := goroutineDump()
	f.engine.SetPaused(false)

	x := tmuxtest.New(t)
	name := func(i int) string { return "s" + strconv.Itoa(i) }
	start := time.Now()
	for i := range sessions {
		x.Start(name(i), 100, 30, f.sshCommand("xterm-256color", f.key))
	}
	for i := range sessions {
		x.WaitFor(name(i), "console", 60*time.Second, append(console, "callbacks by type")...)
	}
	t.Logf("%d consoles with data in %v", sessions, time.Since(start))
	if n := f.srv.Sessions(); n != sessions {
		t.Errorf("Sessions() = %d, want %d", n, sessions)
	}

	// One poll per number per interval, however many watch: over 3 intervals, every
	// number's polls are one interval apart (the next is due an interval after the
	// answer), never closer. At 3 s, polls a viewer asked for would show 1.5 s apart
	// (half the interval, a second at least).
	t0 := time.Now()
	for time.Since(t0) < 3*every+every/2 {
		time.Sleep(50 * time.Millisecond)
	}
	for _, n := range numbers {
		var at []time.Time
		for _, a := range f.requests.of(n) {
			if !a.Before(t0) {
				at = append(at, a)
			}
		}
		if len(at) != 3 && len(at) != 4 {
			t.Errorf("%s: %d requests in %v with %d sessions, want 3 or 4 (one per %v)", n, len(at), time.Since(t0), sessions, every)
		}
		for k := 1; k < len(at); k++ {
			if gap := at[k].Sub(at[k-1]); gap < every-50*time.Millisecond || gap > every+time.Second {
				t.Errorf("%s: requests %v apart with %d sessions, want one per %v", n, gap.Round(time.Millisecond), sessions, every)
			}
		}
	}
	// Every console still draws: the last pane still shows its data.
	for i := range sessions {
		x.WaitFor(name(i), "console after the span", 10*time.Second, console...)
	}

	// Everyone disconnects at once: the clients are killed with their panes. Polling is
	// paused first, and every console has drawn the pause (so it waits on the engine for
	// more): with nothing published, a console not let go when its client drops would
	// stay behind, waiting on the engine, and be counted below.
	f.engine.SetPaused(true)
	for i := range sessions {
		x.WaitFor(name(i), "the pause", 10*time.Second, "PAUSED")
	}
	x.Run("kill-server")
	waitUntil(t, "sessions let go", 10*time.Second, func() bool { return f.srv.Sessions() == 0 })
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := f.quietGoroutines()
		if n <= base {
			t.Logf("goroutines: %d before the first session, %d after the last", base, n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before the first session, %d after the last left\nbefore:\n%s\nafter:\n%s", base, n, baseDump, goroutineDump())
		}
	}
}

// frameWidth is the width of the widest box the console drew: a line from ╭ to ╮.
func frameWidth(screen string) int {
	w := 0
	for _, line := range strings.Split(screen, "\n") {
		if strings.HasPrefix(line, "╭") && strings.HasSuffix(line, "╮") {
			w = max(w, len([]rune(line)))
		}
	}
	return w
}

func lines(screen string) int { return len(strings.Split(strings.TrimRight(screen, "\n"), "\n")) }

func TestSSHResize(t *testing.T) {
	f := newFixture(t, nil)
	x := tmuxtest.New(t)
	for _, name := range []string{"s1", "s2"} {
		x.Start(name, 100, 30, f.sshCommand("xterm-256color", f.key))
		x.WaitFor(name, "console", 20*time.Second, console...)
	}
	waitWidth := func(name string, w int) string {
		t.Helper()
		var s string
		waitUntil(t, fmt.Sprintf("%s draws %d wide", name, w), 10*time.Second, func() bool {
			s = x.Screen(name)
			return frameWidth(s) == w
		})
		return s
	}
	waitWidth("s1", 100)
	waitWidth("s2", 100)

	x.Run("resize-window", "-t", "s1", "-x", "80", "-y", "24")
	s1 := waitWidth("s1", 80)
	if n := lines(s1); n != 24 {
		t.Errorf("s1 after resizing to 80x24 shows %d lines:\n%s", n, s1)
	}
	// The other session keeps its own size and layout.
	if s2 := x.Screen("s2"); frameWidth(s2) != 100 || lines(s2) != 30 {
		t.Errorf("resizing s1 changed s2:\n%s", s2)
	}

	x.Run("resize-window", "-t", "s2", "-x", "120", "-y", "40")
	waitWidth("s2", 120)
	if s1 := x.Screen("s1"); frameWidth(s1) != 80 {
		t.Errorf("resizing s2 changed s1:\n%s", s1)
	}
}

// sgrColours is how a screen captured with its escapes (capture-pane -e) sets colours:
// "16" (30-37, 90-97, 40-47, 100-107), "256" (38;5 or 48;5) or "rgb" (38;2 or 48;2).
// tmux keeps each cell's colour as the program wrote it and writes it back the same
// way, whatever its own terminal.
func sgrColours(screen string) map[string]int {
	kinds := map[string]int{}
	for _, m := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllStringSubmatch(screen, -1) {
		params := strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' })
		for i := 0; i < len(params); i++ {
			p, _ := strconv.Atoi(params[i])
			switch {
			case p == 38 || p == 48:
				if i+1 < len(params) && params[i+1] == "5" {
					kinds["256"]++
					i += 2
				} else if i+1 < len(params) && params[i+1] == "2" {
					kinds["rgb"]++
					i += 4
				} else {
					kinds["other"]++
				}
			case p >= 30 && p <= 37, p >= 90 && p <= 97, p >= 40 && p <= 47, p >= 100 && p <= 107:
				kinds["16"]++
			}
		}
	}
	return kinds
}

func TestSSHColour(t *testing.T) {
	f := newFixture(t, nil)
	x := tmuxtest.New(t)
	// Both open at once: each session's colours are its own.
	x.Start("c256", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.Start("c16", 100, 30, f.sshCommand("screen", f.key))
	x.WaitFor("c256", "console", 20*time.Second, console...)
	x.WaitFor("c16", "console", 20*time.Second, console...)
	if n := f.srv.Sessions(); n != 2 {
		t.Fatalf("Sessions() = %d, want both open", n)
	}
	k256 := sgrColours(x.Run("capture-pane", "-e", "-p", "-t", "c256"))
	k16 := sgrColours(x.Run("capture-pane", "-e", "-p", "-t", "c16"))
	t.Logf("TERM=xterm-256color: %v; TERM=screen: %v", k256, k16)
	if k256["256"] == 0 || k256["rgb"] > 0 || k256["other"] > 0 {
		t.Errorf("TERM=xterm-256color: colours %v, want 256 colours (38;5 / 48;5), no truecolor", k256)
	}
	if k16["16"] == 0 || k16["256"] > 0 || k16["rgb"] > 0 || k16["other"] > 0 {
		t.Errorf("TERM=screen: colours %v, want only the 16 (30-37, 90-97)", k16)
	}
}

func TestSSHLog(t *testing.T) {
	f := newFixture(t, nil)
	x := tmuxtest.New(t)
	x.Start("quits", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.Start("drops", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("quits", "console", 20*time.Second, console...)
	x.WaitFor("drops", "console", 20*time.Second, console...)
	x.Run("send-keys", "-t", "quits", "q")
	x.WaitFor("quits", "quit", 10*time.Second, "SSH-EXITED 0")
	x.Run("kill-session", "-t", "drops") // the client is killed: the connection drops
	out, code := f.ssh(f.other, nil, []string{"-T"})
	refused(t, out, code, "Permission denied")
	out, code = f.ssh(f.key, nil, []string{"-T"})
	refused(t, out, code, "Requires an active PTY")

	pub, err := os.ReadFile(f.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	key, _, _, _, err := gossh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	fingerprint := gossh.FingerprintSHA256(key)

	ends := map[string]map[string]any{}
	var refusedConn map[string]any
	waitUntil(t, "the session lines", 10*time.Second, func() bool {
		ends, refusedConn = map[string]map[string]any{}, nil
		for _, r := range f.log.records(t) {
			switch r["msg"] {
			case "session end":
				ends[fmt.Sprint(r["ended"])] = r
			case "connection refused":
				refusedConn = r
			}
		}
		return len(ends) == 3 && refusedConn != nil
	})
	for _, how := range []string{"closed", "disconnected", "refused: no PTY"} {
		r := ends[how]
		if r == nil {
			t.Errorf("no session end %q in %v", how, ends)
			continue
		}
		if remote, _ := r["remote"].(string); !strings.HasPrefix(remote, "127.0.0.1:") {
			t.Errorf("%s: remote %v", how, r["remote"])
		}
		if r["user"] != "u" || r["key"] != fingerprint || !strings.HasPrefix(fingerprint, "SHA256:") {
			t.Errorf("%s: user %v key %v, want u and %s", how, r["user"], r["key"], fingerprint)
		}
		if d, ok := r["duration_s"].(float64); !ok || d <= 0 || d > 60 {
			t.Errorf("%s: duration_s %v", how, r["duration_s"])
		}
	}
	if remote, _ := refusedConn["remote"].(string); !strings.HasPrefix(remote, "127.0.0.1:") {
		t.Errorf("connection refused: remote %v", refusedConn["remote"])
	}
	otherPub, err := os.ReadFile(f.other + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, _, _, err := gossh.ParseAuthorizedKey(otherPub)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := refusedConn["duration_s"].(float64); refusedConn["user"] != "u" || refusedConn["key"] != gossh.FingerprintSHA256(otherKey) ||
		refusedConn["reason"] != "refused: key not authorized" || !ok || d <= 0 || d > 20 {
		t.Errorf("connection refused: %v; want user u, key %s, a duration and the reason", refusedConn, gossh.FingerprintSHA256(otherKey))
	}
	log := f.log.String()
	if strings.Contains(log, apiKey) {
		t.Errorf("the API key is in the log:\n%s", log)
	}
	if !strings.Contains(log, `"msg":"session start"`) {
		t.Errorf("no session start:\n%s", log)
	}
}

func TestSSHShutdown(t *testing.T) {
	f := newFixture(t, nil)
	x := tmuxtest.New(t)
	raw := map[string]string{}
	for _, name := range []string{"a", "b"} {
		x.Start(name, 100, 30, f.sshCommand("xterm-256color", f.key))
		// Everything the pane is sent, for the last screen, which lasts 0.7 s.
		raw[name] = filepath.Join(f.dir, name+".raw")
		x.Run("pipe-pane", "-t", name, "-o", "cat >> '"+raw[name]+"'")
		x.WaitFor(name, "console", 20*time.Second, console...)
	}
	if n := f.srv.Sessions(); n != 2 {
		t.Fatalf("Sessions() = %d, want 2", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), StopWithin)
	defer cancel()
	start := time.Now()
	err := f.srv.Shutdown(ctx)
	took := time.Since(start)
	t.Logf("Shutdown: %v in %v", err, took)
	if err != nil || took >= StopWithin {
		t.Errorf("Shutdown with 2 sessions: %v after %v", err, took)
	}
	select {
	case <-f.done:
		if f.serveErr != nil {
			t.Errorf("Serve: %v", f.serveErr)
		}
	case <-time.After(30 * time.Second): // it returns as Shutdown closes the listeners
		t.Error("Serve did not return after Shutdown")
	}
	ansi := regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]`)
	for _, name := range []string{"a", "b"} {
		// The session was closed by the server, not cut (ssh's 255), and not quit by
		// the viewer (0): status 1, and a last line left on the terminal once the
		// console's alternate screen is gone.
		s := x.WaitFor(name, "the client ends", 5*time.Second, "SSH-EXITED")
		if !strings.Contains(s, "wamon serve stopped: this session is closed.\nSSH-EXITED 1") {
			t.Errorf("%s's terminal after the stop:\n%s", name, s)
		}
		data, _ := os.ReadFile(raw[name])
		if !strings.Contains(ansi.ReplaceAllString(string(data), ""), "wamon serve is stopping") {
			t.Errorf("%s was not told the server is stopping", name)
		}
	}
	if ends := f.sessionEnds(t, endedStopping); len(ends) != 2 {
		t.Errorf("%d sessions logged as ended by the stop, want 2:\n%s", len(ends), f.log.String())
	}
	if f.srv.Sessions() != 0 {
		t.Errorf("Sessions() = %d after Shutdown", f.srv.Sessions())
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+f.port, time.Second); err == nil {
		c.Close()
		t.Error("the server still accepts connections after Shutdown")
	}
}

// A connection that opens no session (ssh -N, a client that came only to forward) has
// nothing to be served: it is closed at the handshake's deadline and logged as refused,
// while a console's connection stays.
func TestSSHNoSessionIsClosed(t *testing.T) {
	const handshake = time.Second
	f := newFixture(t, func(o *Options) { o.Handshake = handshake })
	x := tmuxtest.New(t)
	x.Start("s", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("s", "console", 20*time.Second, console...)
	free, err := net.Listen("tcp", "127.0.0.1:0") // a port for the forwarding client
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(free.Addr().(*net.TCPAddr).Port)
	free.Close()
	for _, opts := range [][]string{{"-N"}, {"-N", "-o", "ExitOnForwardFailure=yes", "-L", "127.0.0.1:" + port + ":127.0.0.1:9"}} {
		// ssh returns when the server closes the connection; f.ssh fails the test after
		// 20 s, had it not.
		out, code := f.ssh(f.key, nil, opts)
		if code != 255 {
			t.Errorf("ssh %v: exit status %d, want 255 (the connection closed):\n%s", opts, code, out)
		}
	}
	refused := f.refusedLines(t, refusedNoSession)
	if len(refused) != 2 {
		t.Fatalf("%d connections logged as refused for opening no session, want 2:\n%s", len(refused), f.log.String())
	}
	for _, r := range refused {
		if r["user"] != "u" || !strings.HasPrefix(fmt.Sprint(r["key"]), "SHA256:") || r["duration_s"].(float64) < handshake.Seconds() {
			t.Errorf("refused line: %v", r)
		}
	}
	if s := x.Screen("s"); strings.Contains(s, "SSH-EXITED") || f.srv.Sessions() != 1 {
		t.Errorf("the console was closed with them:\n%s", s)
	}
}

// A stopping server does not wait on clients that keep their connection once their
// session has ended, nor on one that never opened a session: they are closed, and
// Shutdown returns before its deadline (no error).
func TestSSHShutdownLetsGoOfIdleConnections(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Handshake = time.Minute })
	x := tmuxtest.New(t)
	x.Start("s", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("s", "console", 20*time.Second, console...)
	idle := f.dial(t, f.key) // authenticated, and no session: as ssh -N
	idleDone := make(chan error, 1)
	go func() { idleDone <- idle.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), StopWithin)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown waited for its deadline on a connection without a session: %v", err)
	}
	select {
	case <-idleDone:
	case <-time.After(10 * time.Second):
		t.Error("the connection without a session is still open after Shutdown")
	}
	x.WaitFor("s", "the console's client ends", 10*time.Second, "SSH-EXITED")
}

// A client whose pty is 0x0 (it could not tell its size) is told what the console needs,
// on its own screen (Bubble Tea draws nothing in no cells), not left blank; the console
// opens when the client tells its size.
func TestSSHZeroSizePty(t *testing.T) {
	f := newFixture(t, nil)
	client := f.dial(t, f.key)
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 0, 0, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	sess.Stdout = out
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the note", 20*time.Second, func() bool {
		return strings.Contains(out.String(), "the terminal gave no size (0x0); the console needs 40x12 at least")
	})
	sess.WindowChange(0, 0) // still no size
	if err := sess.WindowChange(30, 100); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the console, once the size is told", 20*time.Second, func() bool {
		return strings.Contains(out.String(), "callback queue")
	})
	if i, j := strings.Index(out.String(), "gave no size"), strings.Index(out.String(), "\x1b[?1049h"); j < i {
		t.Errorf("the note is not before the console's alternate screen: %q", out.String())
	}

	// One still waiting for its size when the server stops is let go at once.
	waiting, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	waiting.RequestPty("xterm-256color", 0, 0, gossh.TerminalModes{})
	last := &syncBuffer{}
	waiting.Stdout, waiting.Stderr = last, last
	if err := waiting.Shell(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the second note", 20*time.Second, func() bool { return strings.Contains(last.String(), "gave no size") })
	ctx, cancel := context.WithTimeout(context.Background(), StopWithin)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown waited for its deadline on a session waiting for its size: %v", err)
	}
	var exit *gossh.ExitError
	if err := waiting.Wait(); !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(last.String(), "wamon serve stopped") {
		t.Errorf("the waiting session ended with %v, after %q", err, last.String())
	}
}

// countingConn counts the bytes a client reads off the wire.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A client that stops reading (a laptop closed, a link stalled) leaves its console stuck
// writing to a full SSH window, deaf to any message. Shutdown still returns within
// StopWithin, having closed that connection itself: nothing waits on the stuck console.
func TestSSHShutdownStuckClient(t *testing.T) {
	f := newFixture(t, nil)
	// A console open beside it is told, and ends, as in TestSSHShutdown.
	x := tmuxtest.New(t)
	x.Start("ok", 100, 30, f.sshCommand("xterm-256color", f.key))
	x.WaitFor("ok", "console", 20*time.Second, console...)

	rc := f.rawConsole(t, 300, 100) // its output never read: the window is never adjusted
	rc.fillWindow(t)

	stopped := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), StopWithin)
		defer cancel()
		stopped <- f.srv.Shutdown(ctx)
	}()
	select {
	case err := <-stopped:
		t.Logf("Shutdown: %v after %v", err, time.Since(start))
	case <-time.After(StopWithin + time.Second):
		rc.client.Close() // lets the stuck console go, so that the test ends
		t.Fatalf("Shutdown with a client that stopped reading has not returned after %v", time.Since(start))
	}
	// The stuck connection was closed by the server (the fallback after StopWithin), not
	// left open.
	waited := make(chan error, 1)
	go func() { waited <- rc.client.Wait() }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second): // closed as Shutdown returns; the bound is against hanging
		t.Error("the stuck client's connection is still open after Shutdown returned")
	}
	select {
	case <-f.done:
	case <-time.After(30 * time.Second): // it returns as Shutdown closes the listeners
		t.Error("Serve did not return after Shutdown")
	}
	x.WaitFor("ok", "the reading client ends", time.Minute, "SSH-EXITED 1")
	// Each session's end is logged: the reading one as its console closed, the stuck one
	// at the deadline, whose console was still writing.
	for how, want := range map[string]int{endedStopping: 1, endedDeadline: 1} {
		if ends := f.sessionEnds(t, how); len(ends) != want {
			t.Errorf("%d sessions logged as ended %q, want %d:\n%s", len(ends), how, want, f.log.String())
		}
	}
	rc.client.Close()
	if starts, ends := strings.Count(f.log.String(), `"msg":"session start"`), strings.Count(f.log.String(), `"msg":"session end"`); starts != ends {
		t.Errorf("%d sessions started and %d ended in the log", starts, ends)
	}
}

// A user name is the client's to choose: the log keeps it cleaned of escapes, for a
// session and for a refused connection alike.
func TestSSHLogCleansUser(t *testing.T) {
	f := newFixture(t, nil)
	const evil = "ev\x1b]0;pwned\x07il\x1b[2J\u009b31m"
	clean := func(where string, r map[string]any) {
		t.Helper()
		user, _ := r["user"].(string)
		if !strings.Contains(user, "ev") || !strings.Contains(user, "il") {
			t.Errorf("%s: user %q lost the name", where, user)
		}
		if strings.ContainsFunc(user, func(c rune) bool { return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) }) {
			t.Errorf("%s: user %q holds control characters", where, user)
		}
	}
	dial := func(key string) (*gossh.Client, error) {
		cfg := f.clientConfig(t, key)
		cfg.User = evil
		return gossh.Dial("tcp", "127.0.0.1:"+f.port, cfg)
	}
	// Refused: the key is not authorized.
	if c, err := dial(f.other); err == nil {
		c.Close()
		t.Fatal("an unknown key was let in")
	}
	// A session: authorized, without a PTY, so refused in one line once it is in.
	client, err := dial(f.key)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.Shell()
	sess.Wait()
	var start, end, refusal map[string]any
	waitUntil(t, "the log lines", 5*time.Second, func() bool {
		for _, r := range f.log.records(t) {
			switch r["msg"] {
			case "session start":
				start = r
			case "session end":
				end = r
			case "connection refused":
				refusal = r
			}
		}
		return start != nil && end != nil && refusal != nil
	})
	clean("session start", start)
	clean("session end", end)
	clean("connection refused", refusal)
}

// oscs are a terminal stream's OSC sequences (titles, OSC 52), ended by BEL or ST.
var oscs = regexp.MustCompile("\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)")

// The bell and y's clipboard (OSC 52) go to the viewer's own terminal, through SSH:
// never to the server's stderr, where the operator who started it would get them.
func TestSSHBellAndClipboardGoToTheSession(t *testing.T) {
	// The server's stderr, read from before the server starts until after it stopped
	// (this cleanup, registered first, runs after the fixture's).
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, orig := &syncBuffer{}, os.Stderr
	copied := make(chan struct{})
	go func() { io.Copy(stderr, r); close(copied) }()
	os.Stderr = w
	t.Cleanup(func() {
		os.Stderr = orig
		w.Close()
		<-copied
		if s := stderr.String(); strings.Contains(s, "\x1b]52;") || strings.Contains(s, "\a") {
			t.Errorf("the server's stderr got a session's bell or clipboard: %q", s)
		}
	})

	f := newFixtureEngine(t, func(c *monitor.Config) { c.Thresholds = monitor.DefaultThresholds() }, nil)
	x := tmuxtest.New(t)
	x.Start("s", 100, 30, f.sshCommand("xterm-256color", f.key))
	raw := filepath.Join(f.dir, "s.raw") // what the client writes to its terminal, escapes and all
	x.Run("pipe-pane", "-t", "s", "-o", "cat >> '"+raw+"'")
	x.WaitFor("s", "console", 20*time.Second, console...)
	received := func() string { b, _ := os.ReadFile(raw); return string(b) }

	x.Run("send-keys", "-t", "s", "y")
	osc52 := regexp.MustCompile("\x1b\\]52;c;([A-Za-z0-9+/=]+)(?:\x07|\x1b\\\\)")
	var copiedText []byte
	waitUntil(t, "OSC 52 in the session", 10*time.Second, func() bool {
		m := osc52.FindStringSubmatch(received())
		if m == nil {
			return false
		}
		copiedText, err = base64.StdEncoding.DecodeString(m[1])
		return true
	})
	if err != nil || !strings.HasPrefix(string(copiedText), "wamon: "+numbers[0]) {
		t.Errorf("the session's clipboard got %q (%v), want the summary of %s", copiedText, err, numbers[0])
	}

	// A number crossing its critical threshold rings the bell (BEL outside any OSC).
	if strings.Contains(oscs.ReplaceAllString(received(), ""), "\a") {
		t.Fatal("a bell before any alert")
	}
	f.fake.Set(numbers[0], faketest.QueueCritical)
	waitUntil(t, "the bell in the session", 10*time.Second, func() bool {
		return strings.Contains(oscs.ReplaceAllString(received(), ""), "\a")
	})
}

// Pause is per viewer: the one who presses p has a frozen screen; polling goes on, and
// every other viewer's screen follows it.
func TestSSHPausePerViewer(t *testing.T) {
	f := newFixture(t, nil)
	x := tmuxtest.New(t)
	for _, name := range []string{"a", "b"} {
		x.Start(name, 100, 30, f.sshCommand("xterm-256color", f.key))
		x.WaitFor(name, "console "+name, 20*time.Second, append(console, "updated ")...)
	}
	updatedAt := regexp.MustCompile(`updated (\d\d:\d\d:\d\d)`)
	updated := func(name string) string {
		m := updatedAt.FindStringSubmatch(x.Screen(name))
		if m == nil {
			return ""
		}
		return m[1]
	}
	x.Run("send-keys", "-t", "a", "p")
	x.WaitFor("a", "a's pause", 10*time.Second, "PAUSED")
	frozen := x.Screen("a")
	polls, was := f.fake.Polls(numbers[0]), updated("b")
	// Two more polls, both drawn on b's screen.
	waitUntil(t, "polls after a paused", 10*time.Second, func() bool { return f.fake.Polls(numbers[0]) >= polls+2 })
	waitUntil(t, "b's screen updated", 10*time.Second, func() bool { u := updated("b"); return u != "" && u != was })
	if f.engine.Paused() {
		t.Error("one viewer's p paused the engine")
	}
	if s := x.Screen("b"); strings.Contains(s, "PAUSED") {
		t.Errorf("b shows a pause it did not ask for:\n%s", s)
	}
	if s := x.Screen("a"); s != frozen {
		t.Errorf("a's paused screen changed:\nwas\n%s\nnow\n%s", frozen, s)
	}
}

// Each viewer's mouse is their own: a click in one console moves that console only, and
// with the mouse off the viewers' terminals keep it for selecting text.
func TestSSHMousePerViewer(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("mouse=%v", on), func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Mouse = on })
			x := tmuxtest.New(t)
			for _, name := range []string{"a", "b"} {
				x.Start(name, 100, 30, f.sshCommand("xterm-256color", f.key))
				x.WaitFor(name, "console "+name, 20*time.Second, append(console, "[1 ")...)
				if got := x.MouseReports(name); got != on {
					t.Errorf("%s asked its terminal for mouse reports: %v, want %v", name, got, on)
				}
			}
			if !on {
				return
			}
			x.ClickOn("a", "│ 2 ", 1)
			x.WaitFor("a", "a click on a's tab 2", 10*time.Second, "[2 ")
			x.ClickOn("b", "│ 3 ", 1)
			x.WaitFor("b", "a click on b's tab 3", 10*time.Second, "[3 ")
			if s := x.Screen("a"); !strings.Contains(s, "[2 ") {
				t.Errorf("b's click moved a:\n%s", s)
			}
		})
	}
}

// rawClient is a console's session under a Go SSH client that reads its output only when
// the test does: the client a slow link makes. conn counts the bytes received; ended
// gets the session's end.
type rawClient struct {
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.Writer
	stdout io.Reader
	conn   *countingConn
	ended  chan error
}

// rawConsole opens a console of w x h on f and waits for its first frame (resizing
// before that races in charmbracelet/ssh, which writes a session's size unlocked as its
// handler reads it).
func (f *fixture) rawConsole(t *testing.T, w, h int) *rawClient {
	t.Helper()
	raw, err := net.Dial("tcp", "127.0.0.1:"+f.port)
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{conn: &countingConn{Conn: raw}, ended: make(chan error, 1)}
	c, chans, reqs, err := gossh.NewClientConn(rc.conn, raw.RemoteAddr().String(), f.clientConfig(t, f.key))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	rc.client = gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { rc.client.Close() })
	if rc.sess, err = rc.client.NewSession(); err != nil {
		t.Fatal(err)
	}
	if err := rc.sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if rc.stdout, err = rc.sess.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if rc.stdin, err = rc.sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := rc.sess.Shell(); err != nil {
		t.Fatal(err)
	}
	shell := rc.conn.n.Load()
	waitUntil(t, "the first frame", 20*time.Second, func() bool { return rc.conn.n.Load() > shell+4096 })
	go func() { rc.ended <- rc.sess.Wait() }()
	return rc
}

// fillWindow brings the client's window (2 MiB, never adjusted: it reads nothing) to
// full, so that its console is stuck writing: whole-screen redraws, each resize erasing
// and repainting all of a 300x100 screen and each tab switching screens, the next one
// asked for once the last has been drawn (keys sent at a pace of their own pile up
// behind a console that is stuck: thousands to work through once it reads again). It
// returns once the bytes the client has read stop growing past the window. Bubble Tea
// v2 writes only the cells that change: 2 MiB take 6 s here, and a minute under the race
// detector beside stress-ng, hence a bound that only keeps a broken run from hanging.
func (rc *rawClient) fillWindow(t *testing.T) {
	t.Helper()
	stop, flooding := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(flooding)
		for i := 0; ; i++ {
			drawn := rc.conn.n.Load()
			if rc.sess.WindowChange(100-i%2, 300-i%3) != nil {
				return
			}
			if _, err := rc.stdin.Write([]byte("\t")); err != nil {
				return
			}
			for rc.conn.n.Load() == drawn {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}
	}()
	var last int64
	filling, since := time.Now(), time.Now()
	waitUntil(t, "the client's window fills", 5*time.Minute, func() bool {
		n := rc.conn.n.Load()
		if n != last {
			last, since = n, time.Now()
		}
		return n >= 2<<20 && time.Since(since) > 500*time.Millisecond
	})
	close(stop)
	<-flooding
	t.Logf("the client's window is full: %d bytes read in %v", last, time.Since(filling))
}

// Everything a console writes reaches its terminal whole while it writes from several
// goroutines at once: Bubble Tea's frames and titles, and the bell and OSC 52 from
// commands. x/crypto's channel fills one packet buffer per stream for every write, so
// writers that go on together (as they do when a client's full window opens, on a slow
// link) send corrupt packets, and the client drops the connection (OpenSSH: "unexpected
// bytes remain after decoding"): one alert's bell could cut a session.
func TestSSHConcurrentWritesKeepTheSession(t *testing.T) {
	rc := newFixture(t, nil).rawConsole(t, 100, 30)

	// The client reads nothing until its window (2 MiB) is full; then y copies with OSC
	// 52, each from a command of its own, and the copies wait on the window, many at once.
	rc.fillWindow(t)
	if err := rc.sess.WindowChange(30, 100); err != nil {
		t.Fatal(err)
	}
	const presses = 500
	if _, err := rc.stdin.Write(bytes.Repeat([]byte("y"), presses)); err != nil {
		t.Fatal(err)
	}
	// Then it reads all there is at once: the window opens wide and they go on together.
	out := &syncBuffer{}
	copied := make(chan struct{})
	go func() { io.Copy(out, rc.stdout); close(copied) }()
	osc52 := regexp.MustCompile("\x1b\\]52;c;([A-Za-z0-9+/=]*)\x07")
	// The bound only keeps a broken run from hanging: 500 frames under -race on a busy
	// machine take a while.
	waitUntil(t, "every copy", 3*time.Minute, func() bool {
		select {
		case err := <-rc.ended:
			t.Fatalf("the session rc.ended (%d copies received whole): %v", len(osc52.FindAllString(out.String(), -1)), err)
		default:
		}
		return strings.Count(out.String(), "\x1b]52;") >= presses
	})
	// Each whole, each the summary.
	seqs := osc52.FindAllStringSubmatch(out.String(), -1)
	if len(seqs) != strings.Count(out.String(), "\x1b]52;") {
		t.Errorf("%d OSC 52 begun, %d whole", strings.Count(out.String(), "\x1b]52;"), len(seqs))
	}
	for _, m := range seqs {
		if text, err := base64.StdEncoding.DecodeString(m[1]); err != nil || !strings.HasPrefix(string(text), "wamon: ") {
			t.Fatalf("a copy arrived broken: %q (%v)", text, err)
		}
	}
	// Still whole: q ends it cleanly.
	rc.stdin.Write([]byte("q"))
	select {
	case err := <-rc.ended:
		if err != nil {
			t.Errorf("the session did not end cleanly: %v", err)
		}
	case <-time.After(time.Minute): // a bound against hanging: it ends at once
		t.Error("the session did not end on q")
	}
}

// A client whose window is full (a slow link) may resize its terminal many times: its
// session comes back, at the last size, once it reads again. (charmbracelet/ssh hands
// each resize on through a channel of one; while the console could not take them, the
// queue behind filled and the connection's reader stopped, window updates and all, for
// good.)
func TestSSHResizesWhileStuck(t *testing.T) {
	rc := newFixture(t, nil).rawConsole(t, 100, 30)

	rc.fillWindow(t)
	// Forty resizes meanwhile, ending at 90x28.
	for k := range 40 {
		w, h := 100+k%7, 30
		if k == 39 {
			w, h = 90, 28
		}
		if err := rc.sess.WindowChange(h, w); err != nil {
			t.Fatal(err)
		}
	}
	out := &syncBuffer{}
	go io.Copy(out, rc.stdout)
	frame := "╭" + strings.Repeat("─", 88) + "╮"
	waitUntil(t, "a frame at the last size", time.Minute, func() bool { return strings.Contains(out.String(), frame) })
	rc.stdin.Write([]byte("q"))
	select {
	case err := <-rc.ended:
		if err != nil {
			t.Errorf("the session did not end cleanly: %v", err)
		}
	case <-time.After(time.Minute): // a bound against hanging: it ends at once
		t.Error("the session did not end on q")
	}
}
