package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wamon/wamon/config"
	"github.com/wamon/wamon/export"
	"github.com/wamon/wamon/serve"
	"github.com/wamon/wamon/source"
)

const serveHelp = `wamon serve: one poller, and the console for every teammate over SSH.

Usage: wamon serve [flags]

It polls every number once and serves the console at --ssh-listen to the holders of the
keys in --authorized-keys (public keys only; it refuses to start without one), and
Prometheus metrics at --metrics-listen. Teammates connect with: ssh -p 2222 HOST.
SIGHUP re-reads the keys; SIGTERM stops it.
`

// newServe is wamon serve: the console's settings and serve's own.
func newServe(env Env, do actions, code *int) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "the console over SSH, one poller for the team",
		Long:  serveHelp,
		Args:  noArgs,
	}
	cl := commandLine{serve: true, given: config.Bind(cmd.Flags(), config.Serve)}
	completeSettings(cmd, env)
	cmd.RunE = func(*cobra.Command, []string) error {
		*code = do.console(cl)
		return nil
	}
	return cmd
}

// runServe is wamon serve: one engine, polled once, and what it serves: the console over
// SSH to every holder of an authorized key (--ssh-listen), Prometheus metrics
// (--metrics-listen), or both, until SIGTERM or SIGINT. SIGHUP re-reads the keys.
func runServe(cfg config.Config, src source.Source, logger *slog.Logger, env Env) int {
	stderr := env.Stderr
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "wamon: "+format+"\n", a...)
		return ExitUsage
	}
	if cfg.SSHListen == "" && cfg.MetricsListen == "" {
		return fail("serve has nothing to serve: --ssh-listen and --metrics-listen are both off")
	}
	engine, closeRecording, warnings := newEngine(cfg, src, logger)
	defer closeRecording()
	for _, w := range warnings {
		fmt.Fprintf(stderr, "wamon: warning: %s\n", w)
	}

	var srv *serve.Server
	var sshLn net.Listener
	if cfg.SSHListen != "" {
		var err error
		srv, err = serve.New(serve.Options{
			Engine: engine, Listen: cfg.SSHListen, AuthorizedKeys: cfg.AuthorizedKeys, HostKey: cfg.HostKey,
			MaxSessions: cfg.MaxSessions, Color: cfg.Color, Mouse: cfg.Mouse, Logger: logger,
			Glyphs: cfg.GlyphsFor,
		})
		if err != nil {
			return fail("%v", err)
		}
		if sshLn, err = net.Listen("tcp", cfg.SSHListen); err != nil {
			return fail("ssh: %v", err)
		}
	}
	var metrics *http.Server
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		var err error
		if metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			if sshLn != nil {
				sshLn.Close()
			}
			return fail("metrics: %v", err)
		}
		metrics = &http.Server{Handler: export.Handler(export.Registry(engine, logger)), ReadHeaderTimeout: 10 * time.Second}
	}

	// Signals are ours from here on, before anything is announced: a SIGTERM right after
	// the ready line must stop the server, not kill it.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	engine.Start()
	defer engine.Stop()

	what := "the API"
	switch cfg.Source {
	case config.Demo:
		what = "the demo (simulated numbers)"
	case config.Prometheus:
		what = src.Name()
	}
	fmt.Fprintf(stderr, "wamon serve: %s of %s", source.Count(len(cfg.Numbers), "number"), what)
	done := make(chan error, 2)
	if srv != nil {
		fmt.Fprintf(stderr, "; SSH on %s; connect with ssh -p %s HOST", sshLn.Addr(), portOf(sshLn.Addr()))
		go func() { done <- srv.Serve(sshLn) }()
	}
	if metrics != nil {
		fmt.Fprintf(stderr, "; metrics on http://%s/metrics", metricsLn.Addr())
		go func() {
			if err := metrics.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				done <- err
			}
		}()
	}
	fmt.Fprintln(stderr)
	logger.Info("serve", "ssh", cfg.SSHListen, "metrics", cfg.MetricsListen, "authorized_keys", cfg.AuthorizedKeys, "max_sessions", cfg.MaxSessions)

	for {
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintf(stderr, "wamon: serve: %v\n", err)
				return ExitFailed
			}
			return ExitOK
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				if srv == nil {
					continue
				}
				if err := srv.Reload(); err != nil { // logged by Reload
					fmt.Fprintf(stderr, "wamon: warning: %v\n", err)
				}
				continue
			}
			sessions := 0
			if srv != nil {
				sessions = srv.Sessions()
			}
			logger.Info("stopping", "signal", sig.String(), "sessions", sessions)
			ctx, cancel := context.WithTimeout(context.Background(), serve.StopWithin)
			if srv != nil {
				srv.Shutdown(ctx)
			}
			if metrics != nil {
				metrics.Shutdown(ctx)
			}
			cancel()
			return ExitOK
		}
	}
}

func portOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprint(t.Port)
	}
	_, port, _ := net.SplitHostPort(a.String())
	return port
}
