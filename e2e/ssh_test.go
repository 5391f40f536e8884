package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wamon/wamon/serve"

	"github.com/wamon/wamon/source/faketest"
)

// serveProcess is wamon serve running as a child process.
type serveProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	port   string
	exited chan struct{} // closed when it has exited; err is then its exit
	err    error

	mu     sync.Mutex
	stderr []string // every line but the one saying where it listens
}

// killAndWait kills cmd unless it has exited already, and waits for exited (closed by
// whoever waits on cmd) so that nothing outlives the test.
func killAndWait(cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
	default:
		cmd.Process.Kill()
		<-exited
	}
}

// startServe starts wamon serve on a free port and waits until it says where it listens.
func startServe(t *testing.T, bin string, env []string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{t: t, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--ssh-listen", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = env
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		killAndWait(p.cmd, p.exited)
	})
	port := make(chan string, 1)
	go func() {
		// "wamon serve: ... SSH on 127.0.0.1:PORT; ..."
		re := regexp.MustCompile(`^wamon serve: .*SSH on 127\.0\.0\.1:(\d+);`)
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			if m := re.FindStringSubmatch(lines.Text()); m != nil {
				port <- m[1]
				continue
			}
			p.mu.Lock()
			p.stderr = append(p.stderr, lines.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.port = <-port:
	case <-p.exited:
		t.Fatalf("wamon serve exited: %v\n%s", p.err, p.errors())
	case <-time.After(20 * time.Second):
		t.Fatal("wamon serve did not say where it listens in 20 s")
	}
	return p
}

func (p *serveProcess) errors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

func (p *serveProcess) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// waitExit waits for the process to exit and checks it exited 0. d only keeps a broken
// run from hanging: the deadline wamon serve keeps itself (serve.StopWithin) is the
// serve package's to test; here a clean exit is what counts.
func (p *serveProcess) waitExit(d time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	select {
	case <-p.exited:
	case <-time.After(d):
		p.t.Fatalf("wamon serve still running %v later", d)
	}
	if p.err != nil {
		p.t.Errorf("wamon serve: %v (want exit 0)\n%s", p.err, p.errors())
	}
	return time.Since(start)
}

// needServeTools skips a test that needs ssh, ssh-keygen and tmux where one is missing;
// under CI (CI set) a missing one fails it, unless .ci/run reported it could not
// install its package (WAMON_CI_UNINSTALLABLE), as for promTools.
// sshCommand is the OpenSSH command line that logs in to p as user with the private key
// in id, trusting the host key p made on first start (and nothing else).
func (p *serveProcess) sshCommand(t *testing.T, hostKey, id, user string) string {
	t.Helper()
	pem, err := os.ReadFile(hostKey)
	if err != nil {
		t.Fatalf("no host key made: %v", err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(t.TempDir(), "known_hosts")
	line := "[127.0.0.1]:" + p.port + " " + string(gossh.MarshalAuthorizedKey(signer.PublicKey()))
	if err := os.WriteFile(known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return "env TERM=xterm-256color ssh -tt -F /dev/null -i " + id + " -p " + p.port +
		" -o UserKnownHostsFile=" + known + " -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes" +
		" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o LogLevel=ERROR " + user + "@127.0.0.1"
}

func needServeTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short")
	}
	for _, tool := range []string{"ssh", "ssh-keygen", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			pkg := "openssh-client"
			if tool == "tmux" {
				pkg = "tmux"
			}
			if os.Getenv("CI") != "" && !slices.Contains(strings.Fields(os.Getenv("WAMON_CI_UNINSTALLABLE")), pkg) {
				t.Fatalf("%s is not installed, and .ci/run did not report failing to install %s: %v", tool, pkg, err)
			}
			t.Skipf("%s is not installed (.ci/run installs %s where it can): %v", tool, pkg, err)
		}
	}
}

// wamon serve as an operator runs it: the real binary, a real OpenSSH client in a tmux
// pane, SIGHUP, SIGTERM. Skipped where ssh, ssh-keygen or tmux is missing; .ci/run
// installs them.
func TestServeBinary(t *testing.T) {
	needServeTools(t)
	dir := t.TempDir()
	bin := wamonBin
	// The demo: no config (an empty XDG_CONFIG_HOME), no API key in the environment.
	env := func(config string) []string {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "KALEYRA_API_KEY=") && !strings.HasPrefix(kv, "XDG_") {
				env = append(env, kv)
			}
		}
		return append(env, "XDG_CONFIG_HOME="+config, "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	}
	keygen := func(t *testing.T, path string) string {
		t.Helper()
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", filepath.Base(path), "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, err := os.ReadFile(path + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return string(pub)
	}

	t.Run("SIGTERM right after start", func(t *testing.T) {
		// Said where it listens: it is serving, and a stop now is a clean stop.
		work := t.TempDir()
		keygen(t, filepath.Join(work, "id"))
		p := startServe(t, bin, env(t.TempDir()), "--authorized-keys", filepath.Join(work, "id.pub"),
			"--host-key", filepath.Join(work, "host_key"))
		p.signal(syscall.SIGTERM)
		p.waitExit(time.Minute)
	})

	t.Run("SIGHUP and SIGTERM with a session open", func(t *testing.T) {
		work := t.TempDir()
		key := filepath.Join(work, "id")
		pub := keygen(t, key)
		auth := filepath.Join(work, "authorized_keys")
		if err := os.WriteFile(auth, []byte(pub), 0o600); err != nil {
			t.Fatal(err)
		}
		hostKey := filepath.Join(work, "host", "ssh_host_ed25519_key")
		logPath := filepath.Join(work, "log")
		p := startServe(t, bin, env(t.TempDir()), "--authorized-keys", auth, "--host-key", hostKey,
			"--interval", "1s", "--log", logPath)

		ssh := p.sshCommand(t, hostKey, key, "alice") + "; echo SSH-EXITED $?; sleep 600"
		pane := newPane(t, "100", "30", ssh)
		tmux, waitFor := pane.tmux, pane.waitWithin
		raw := filepath.Join(work, "pane.raw") // all the pane is sent: the last screen lasts 0.7 s
		tmux("pipe-pane", "-t", pane.session, "-o", "cat >> '"+raw+"'")
		waitUntil := func(what string, cond func() bool) {
			t.Helper()
			deadline := time.Now().Add(time.Minute)
			for !cond() {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not within 10 s", what)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		logHas := func(s string) bool {
			log, _ := os.ReadFile(logPath)
			return bytes.Contains(log, []byte(s))
		}
		waitFor("console", time.Minute, "callback queue", "callbacks by type")

		// SIGHUP with no key left warns: nobody is admitted (the session open stays, as
		// with sshd); with keys, it reloads them.
		if err := os.WriteFile(auth, []byte("# nobody\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		p.signal(syscall.SIGHUP)
		waitUntil("a warning for a file without keys", func() bool {
			return strings.Contains(p.errors(), "wamon: warning: ") && strings.Contains(p.errors(), "no usable public key: nobody is admitted")
		})
		if !logHas(`"msg":"authorized keys: nobody is admitted"`) {
			log, _ := os.ReadFile(logPath)
			t.Errorf("the log does not say nobody is admitted:\n%s", log)
		}
		if err := os.WriteFile(auth, []byte("# alice\n"+pub), 0o600); err != nil {
			t.Fatal(err)
		}
		p.signal(syscall.SIGHUP)
		waitUntil("keys reloaded", func() bool { return logHas(`"msg":"authorized keys reloaded"`) })
		if s := waitFor("console after SIGHUP", time.Minute, "callback queue"); strings.Contains(s, "SSH-EXITED") {
			t.Fatalf("SIGHUP ended the session:\n%s", s)
		}

		p.signal(syscall.SIGTERM)
		took := p.waitExit(time.Minute)
		t.Logf("exited %v after SIGTERM", took)
		// Closed by the server (status 1, not a quit's 0), with a last line left on the
		// viewer's terminal after the console's alternate screen.
		waitFor("the client ends", 5*time.Second, "wamon serve stopped: this session is closed.", "SSH-EXITED 1")
		data, _ := os.ReadFile(raw)
		if !strings.Contains(regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]`).ReplaceAllString(string(data), ""), "wamon serve is stopping") {
			t.Error("the session was not told the server is stopping")
		}
		for _, want := range []string{`"msg":"session end"`, `"msg":"stopping"`} {
			if !logHas(want) {
				log, _ := os.ReadFile(logPath)
				t.Errorf("the log lacks %s:\n%s", want, log)
			}
		}
		// Nothing on the operator's terminal but the line it started with and the warning.
		if lines := strings.Split(p.errors(), "\n"); len(lines) != 1 {
			t.Errorf("stderr:\n%s", p.errors())
		}
	})

	// Viewers beside two clients that stopped (kill -STOP: they read nothing more, close
	// nothing): SIGTERM still stops wamon serve within serve.StopWithin, every session
	// has its end logged, and the viewers are told.
	t.Run("SIGTERM with clients that stopped", func(t *testing.T) {
		work := t.TempDir()
		key := filepath.Join(work, "id")
		auth := filepath.Join(work, "authorized_keys")
		if err := os.WriteFile(auth, []byte(keygen(t, key)), 0o600); err != nil {
			t.Fatal(err)
		}
		hostKey := filepath.Join(work, "host_key")
		logPath := filepath.Join(work, "log")
		p := startServe(t, bin, env(t.TempDir()), "--authorized-keys", auth, "--host-key", hostKey,
			"--interval", "1s", "--log", logPath)
		ssh := p.sshCommand(t, hostKey, key, "alice") + "; echo SSH-EXITED $?; sleep 600"
		pane := newPane(t, "100", "30", ssh)
		windows := []string{pane.session + ":0"} // the session alone names its current window, the last made
		for _, name := range []string{"b", "stopped1", "stopped2"} {
			pane.tmux("new-window", "-t", pane.session, "-n", name, ssh)
			windows = append(windows, pane.session+":"+name)
		}
		for _, w := range windows {
			pane.x.WaitFor(w, "console "+w, time.Minute, "callback queue", "callbacks by type")
		}
		for _, w := range windows[2:] {
			shell := strings.TrimSpace(pane.tmux("display-message", "-p", "-t", w, "#{pane_pid}"))
			out, err := exec.Command("pgrep", "-P", shell, "-x", "ssh").Output()
			if err != nil {
				t.Fatalf("the ssh of %s: %v", w, err)
			}
			pid := strings.TrimSpace(string(out))
			if err := exec.Command("kill", "-STOP", pid).Run(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { exec.Command("kill", "-CONT", pid).Run() })
		}
		p.signal(syscall.SIGTERM)
		took := p.waitExit(time.Minute)
		t.Logf("exited %v after SIGTERM", took)
		// The promise of the README, with a second's slack for a busy machine: it was
		// 6.2-6.3 s when the stop waited on stopped clients.
		if took > serve.StopWithin+time.Second {
			t.Errorf("wamon serve took %v to stop, past its %v", took, serve.StopWithin)
		}
		for _, w := range windows[:2] {
			pane.x.WaitFor(w, "the reading client ends", 5*time.Second, "wamon serve stopped: this session is closed.", "SSH-EXITED 1")
		}
		log, _ := os.ReadFile(logPath)
		if starts, ends := bytes.Count(log, []byte(`"msg":"session start"`)), bytes.Count(log, []byte(`"msg":"session end"`)); starts != 4 || ends != 4 {
			t.Errorf("%d sessions started and %d ended in the log, want 4 and 4:\n%s", starts, ends, log)
		}
	})

	t.Run("no authorized keys", func(t *testing.T) {
		hostKey := filepath.Join(t.TempDir(), "host_key")
		cmd := exec.Command(bin, "serve", "--host-key", hostKey, "--ssh-listen", "127.0.0.1:0")
		cmd.Env = env(t.TempDir()) // the default, $XDG_CONFIG_HOME/wamon/authorized_keys, is missing
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatal("wamon serve without keys is still running after 10 s")
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("exit: %v, want status 2", err)
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.HasPrefix(msg, "wamon: ") ||
			!strings.Contains(msg, "refuses to start") {
			t.Errorf("stderr is not one line \"wamon: ... refuses to start ...\": %q", msg)
		}
		if stdout.Len() > 0 {
			t.Errorf("stdout: %q", stdout.String())
		}
		if _, err := os.Stat(hostKey); err == nil {
			t.Error("a refused start made a host key")
		}
	})
}

// The real wamon serve against the fault server, as an operator runs it: the API key in
// KALEYRA_API_KEY, --base-url at the server, and a teammate's OpenSSH client in a tmux
// pane who sees the fleet as the server answers it. The key reaches the API and nowhere
// else: not the log, not the operator's terminal, not the teammate's screen.
func TestServeBinaryAgainstTheFaultServer(t *testing.T) {
	needServeTools(t)
	const key = "wamon-serve-secret-Hq83Kd0PzX"
	fake := faketest.New(faketest.Healthy)
	t.Cleanup(fake.Close)
	healthy, critical, ws406 := "+12025550700", "+12025550701", "+12025550702"
	fake.Set(critical, faketest.QueueCritical)
	fake.Set(ws406, faketest.WS406)

	dir := t.TempDir()
	bin := wamonBin
	env := append(demoEnv(dir), "KALEYRA_API_KEY="+key)
	id := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "teammate", "-f", id).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	auth := filepath.Join(dir, "authorized_keys")
	pub, err := os.ReadFile(id + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(auth, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hostKey := filepath.Join(dir, "host", "ssh_host_ed25519_key")
	logPath := filepath.Join(dir, "wamon.log")
	p := startServe(t, bin, env, "--base-url", fake.URL, "--number", healthy, "--number", critical, "--number", ws406,
		"--interval", "1s", "--authorized-keys", auth, "--host-key", hostKey, "--log", logPath)

	ssh := p.sshCommand(t, hostKey, id, "teammate") + "; echo SSH-EXITED $?; sleep 600"
	pane := newPane(t, "160", "48", ssh)
	raw := filepath.Join(dir, "pane.raw") // every byte the teammate's terminal got
	pane.tmux("pipe-pane", "-t", pane.session, "-o", "cat >> '"+raw+"'")

	var screens []string
	screens = append(screens, pane.waitWithin("the console", 20*time.Second, healthy, critical, ws406, "callback queue"))
	// The fleet as the fault server answers it: one number past critical, one refused.
	pane.keys("o")
	var rows string
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows = pane.screen()
		if regexp.MustCompile(regexp.QuoteMeta(critical)+`.*CRIT .*callback_queue_size 1\.5k`).MatchString(rows) &&
			regexp.MustCompile(regexp.QuoteMeta(ws406)+`.*ERR .*WS406`).MatchString(rows) {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the overview does not show the fault server's answers:\n%s\nwamon serve said:\n%s\nits log:\n%s", rows, p.errors(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	screens = append(screens, rows)
	if got := fake.LastHeaders().Get("api-key"); got != key {
		t.Fatalf("the API got api-key %q, want KALEYRA_API_KEY's", got)
	}

	p.signal(syscall.SIGTERM)
	p.waitExit(time.Minute)
	pane.waitWithin("the client ends", 5*time.Second, "SSH-EXITED 1")
	screens = append(screens, pane.screen())
	received, _ := os.ReadFile(raw)
	log, err := os.ReadFile(logPath)
	if err != nil || !bytes.Contains(log, []byte(`"msg":"session end"`)) {
		t.Fatalf("the log (%v) has no session:\n%s", err, log)
	}
	for what, text := range map[string]string{
		"the log": string(log), "the operator's terminal": p.errors(),
		"the teammate's screen": strings.Join(screens, "\n"), "the teammate's terminal": string(received),
	} {
		if strings.Contains(text, key) {
			t.Errorf("the API key is in %s", what)
		}
	}
	if len(received) == 0 {
		t.Error("nothing was captured from the teammate's terminal")
	}
}

// The example unit restarts wamon serve when it fails, but not when it refused its
