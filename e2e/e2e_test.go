// Package e2e holds the tests that run the built wamon binary beside the real programs it
// works with: Prometheus and VictoriaMetrics storing what wamon serve exports, and
// consoles reading it back. The binary is built once, in TestMain; unit tests stay beside
// their code.
package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wamon/wamon/internal/wait"
)

// wamonBin is the binary under test, built once by TestMain.
var wamonBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wamon-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	wamonBin = filepath.Join(dir, "wamon")
	build := exec.Command("go", "build", "-o", wamonBin, "github.com/wamon/wamon")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// cleanEnv is the environment without an API key or XDG directories of the user's,
// with XDG directories under dir and the pairs given added.
func cleanEnv(dir string, kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "KALEYRA_API_KEY=") && !strings.HasPrefix(e, "XDG_") && !strings.HasPrefix(e, "HOME=") {
			env = append(env, e)
		}
	}
	env = append(env, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	return append(env, kv...)
}

// needTools finds the programs a test runs, from the Debian package pkg. Where one is
// missing the test skips, saying why; but under CI a missing one fails it unless .ci/run
// said it could not install pkg (WAMON_CI_UNINSTALLABLE), so that a broken install step
// cannot pass as a skip.
func needTools(t testing.TB, pkg string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" && !slices.Contains(strings.Fields(os.Getenv("WAMON_CI_UNINSTALLABLE")), pkg) {
				t.Fatalf("%s is not installed, and .ci/run did not report failing to install it (apt-get install --no-install-recommends %s): %v", name, pkg, err)
			}
			t.Skipf("%s is not installed (Debian's %s package has it; .ci/run installs it with apt where it can): %v", name, pkg, err)
		}
		paths = append(paths, path)
	}
	return paths
}

// process is a child process whose output goes to a file, shown when the test fails.
type process struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{} // closed when it has exited; err is then how
	err    error
}

// start starts a program with its output in logPath; it is killed at the test's end.
func start(t testing.TB, logPath string, env []string, name string, args ...string) *process {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{name: filepath.Base(name), cmd: exec.Command(name, args...), log: logPath, exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			out, _ := os.ReadFile(p.log)
			if len(out) > 6000 {
				out = out[len(out)-6000:]
			}
			t.Logf("%s said:\n%s", p.name, out)
		}
	})
	return p
}

// kill kills the process unless it has exited, and waits for it.
func (p *process) kill() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// stop sends SIGTERM and waits for the exit, within d.
func (p *process) stop(d time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("%s still running %v after SIGTERM", p.name, d)
	}
}

// output is what the process has written so far.
func (p *process) output() string {
	out, _ := os.ReadFile(p.log)
	return string(out)
}

// freePort is a loopback port nothing listened on a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitFor is wait.For: cond until it holds, within a bound that only keeps a broken
// run from hanging.
func waitFor(t testing.TB, what string, within time.Duration, cond func() (bool, error)) {
	t.Helper()
	wait.For(t, what, within, cond)
}

// writeFile writes a file the test needs, failing it if it cannot.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
