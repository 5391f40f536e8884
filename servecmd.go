package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/serve"
	"github.com/wamon/wamon/source"
)

// runServe is wamon serve: one engine, the console over SSH to every holder of an
// authorized key, until SIGTERM or SIGINT. SIGHUP re-reads the authorized keys.
func runServe(cfg Config, src source.Source, logger *slog.Logger, stderr io.Writer) int {
	engine := monitor.New(monitor.Config{
		Source: src, Numbers: cfg.Numbers, Interval: cfg.Interval, Timeout: cfg.Timeout,
		History: cfg.History, Concurrency: cfg.Concurrency, Thresholds: cfg.Thresholds, Logger: logger,
	})
	srv, err := serve.New(serve.Options{
		Engine: engine, Listen: cfg.SSHListen, AuthorizedKeys: cfg.AuthorizedKeys, HostKey: cfg.HostKey,
		MaxSessions: cfg.MaxSessions, Color: cfg.Color, Logger: logger,
		Glyphs: func(getenv func(string) string) (bool, string) {
			return chooseGlyphs(cfg.asciiSetting, cfg.asciiFrom, getenv)
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", cfg.SSHListen)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: ssh: %v\n", err)
		return exitUsage
	}
	// Signals are caught before the line that says it serves: a SIGTERM (or SIGHUP) sent
	// once that line is read must stop (or reload) it cleanly, not kill it.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	engine.Start()
	defer engine.Stop()
	what := "the API"
	if cfg.Demo {
		what = "the demo (simulated numbers)"
	}
	fmt.Fprintf(stderr, "wamon serve: %d numbers of %s; SSH on %s; connect with ssh -p %s HOST\n",
		len(cfg.Numbers), what, ln.Addr(), portOf(ln.Addr()))
	logger.Info("serve", "listen", ln.Addr().String(), "authorized_keys", cfg.AuthorizedKeys, "max_sessions", cfg.MaxSessions)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintf(stderr, "wamon: ssh: %v\n", err)
				return exitFailed
			}
			return exitOK
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				if err := srv.Reload(); err != nil {
					fmt.Fprintf(stderr, "wamon: warning: %v\n", err)
					logger.Warn("authorized keys not reloaded", "error", err.Error())
				}
				continue
			}
			logger.Info("stopping", "signal", sig.String(), "sessions", srv.Sessions())
			ctx, cancel := context.WithTimeout(context.Background(), serve.StopWithin)
			srv.Shutdown(ctx)
			cancel()
			return exitOK
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
