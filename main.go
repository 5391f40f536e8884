// Command wamon is a terminal console for the Kaleyra WhatsApp Monitoring Stats API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a poll failed (--once) or the console stopped on an error
	exitUsage  = 2 // bad flags or config
)

func main() {
	// WAMON_CPUPROFILE=FILE writes a CPU profile of the whole run, for measuring what
	// an idle console costs (see scripts/idle.sh); it is not a user-facing setting.
	if path := os.Getenv("WAMON_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is wamon minus the process: it returns the exit code, so tests drive it with
// buffers for stdout and stderr.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	code, err := execute(args, getenv, stdout, stderr, actions{
		console: func(cli commandLine) int { return runConsole(cli, getenv, stdout, stderr) },
		replay:  func(rl replayLine) int { return runReplay(rl, getenv, stdout, stderr) },
	})
	if err != nil {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
	}
	return code
}

// runConsole is wamon (the console, or --once) and wamon serve, their command line read.
func runConsole(cli commandLine, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return code
	}
	if cli.version {
		fmt.Fprintf(stdout, "wamon %s\n", version)
		return exitOK
	}

	cfg, err := loadConfig(cli.cliFlags, getenv)
	if err != nil {
		return fail(exitUsage, err)
	}
	logger, closeLog, err := openLog(cli.logPath)
	if err != nil {
		return fail(exitUsage, err)
	}
	defer closeLog()
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "wamon: warning: %s\n", w)
		logger.Warn(w)
	}

	src, err := newSource(cfg)
	if err != nil {
		return fail(exitUsage, err)
	}
	if cli.serve && cfg.Source == sourcePrometheus && cfg.MetricsListen != "" {
		return fail(exitUsage, errors.New("--metrics-listen with --source prometheus would export Prometheus' own series back to it; serve the console alone"))
	}
	if lister, ok := src.(numberLister); ok && len(cfg.Numbers) == 0 && !cli.once && !cli.serve {
		// The Prometheus source without a list: the console opens at once and waits for
		// the numbers Prometheus has, however long it takes to answer.
		return runWaitingConsole(cfg, src, lister, logger, stderr)
	}
	if len(cfg.Numbers) == 0 {
		// The Prometheus source without a list: the numbers Prometheus has.
		if cfg.Numbers, err = discoverNumbers(src, cfg.Timeout, stderr); err != nil {
			return fail(exitFailed, err)
		}
	}
	logger.Info("start", "version", version, "source", src.Name(), "config", cfg.Path,
		"numbers", len(cfg.Numbers), "interval", cfg.Interval, "once", cli.once)

	if cli.once {
		if cfg.Demo {
			// Simulated figures must never pass for a real number's health in a script.
			fmt.Fprintln(stderr, "wamon: demo data: these numbers are simulated (no config, --base-url or KALEYRA_API_KEY; or --demo)")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		ok, err := runOnce(ctx, stdout, src, cfg.Numbers, onceOptions{
			JSON:        cli.json,
			Timeout:     cfg.Timeout,
			Concurrency: cfg.Concurrency,
			Thresholds:  cfg.Thresholds,
			FailOn:      cli.failOn,
			Demo:        cfg.Demo,
			Now:         time.Now,
		})
		if err != nil {
			return fail(exitFailed, err)
		}
		if !ok {
			return exitFailed
		}
		return exitOK
	}

	if cli.serve {
		return runServe(cfg, src, logger, stderr)
	}
	engine, closeRecording, warnings := newEngine(cfg, src, logger)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "wamon: warning: %s\n", w)
	}
	engine.Start()
	err = ui.Run(ui.Options{
		Engine:   engine,
		ASCII:    cfg.ASCII,
		Glyphs:   cfg.Glyphs,
		Warnings: append(cfg.Warnings, warnings...),
	}, ui.ColorProfile(cfg.Color, os.Stdout))
	engine.Stop() // requests in flight are cancelled: quitting does not wait for them
	closeRecording()
	if err != nil {
		logger.Error("console stopped", "err", err)
		return fail(exitFailed, err)
	}
	return exitOK
}

// runWaitingConsole is the console of a source that lists its numbers (the Prometheus
// source without --number): it opens at once on a screen that waits for the list, then
// shows the console over it.
func runWaitingConsole(cfg Config, src source.Source, lister numberLister, logger *slog.Logger, stderr io.Writer) int {
	var engine *monitor.Engine
	closeRecording := func() {}
	err := ui.RunWaiting(ui.WaitingOptions{
		Whom:  "Prometheus at " + strings.TrimPrefix(src.Name(), "prometheus "),
		Retry: cfg.Interval,
		ASCII: cfg.ASCII,
		Discover: func(ctx context.Context) ([]string, []string, error) {
			ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
			numbers, skipped, err := lister.Numbers(ctx)
			var warnings []string
			if len(skipped) > 0 {
				warnings = append(warnings, skippedWarning(src, skipped))
			}
			if err != nil {
				return nil, warnings, fmt.Errorf("cannot list the numbers: %v (or name them with --number)", err)
			}
			return numbers, warnings, nil
		},
		Console: func(numbers, found []string) (*ui.Model, error) {
			cfg.Numbers = numbers
			logger.Info("numbers listed", "source", src.Name(), "numbers", len(numbers))
			var warnings []string
			engine, closeRecording, warnings = newEngine(cfg, src, logger)
			engine.Start()
			return ui.New(ui.Options{
				Engine:   engine,
				ASCII:    cfg.ASCII,
				Glyphs:   cfg.Glyphs,
				Warnings: append(append(cfg.Warnings, found...), warnings...),
			}), nil
		},
	}, ui.ColorProfile(cfg.Color, os.Stdout))
	if engine != nil {
		engine.Stop()
	}
	closeRecording()
	if err != nil {
		logger.Error("console stopped", "err", err)
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// numberLister is a source that can list its numbers: the Prometheus source.
type numberLister interface {
	Numbers(context.Context) ([]string, []string, error)
}

// skippedWarning says which numbers a source listed that are not E.164, left out.
func skippedWarning(src source.Source, skipped []string) string {
	return fmt.Sprintf("%s has %d numbers that are not E.164, left out: %s", src.Name(), len(skipped), strings.Join(skipped, ", "))
}

// openLog opens --log FILE for structured logs; without it logs are discarded.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, nil)), func() { f.Close() }, nil
}

// newSource is the simulator, the API client or the Prometheus source, as the config
// decided.
func newSource(cfg Config) (source.Source, error) {
	switch cfg.Source {
	case sourceDemo:
		// A fixed seed: the same demo every run, so a capture or a bug report reproduces.
		return source.NewDemo(source.DemoOptions{Seed: 1, Numbers: cfg.Numbers}), nil
	case sourcePrometheus:
		return source.NewPrometheus(source.PrometheusOptions{
			URL: cfg.PrometheusURL, Timeout: cfg.Timeout, Version: version, Concurrency: cfg.Concurrency,
		})
	}
	return source.NewKaleyra(source.KaleyraOptions{
		BaseURL: cfg.BaseURL,
		APIKey:  string(cfg.APIKey),
		Timeout: cfg.Timeout,
		MaxBody: cfg.MaxBody,
		Version: version,
	})
}

// discoverNumbers asks a source that can list its numbers (the Prometheus source) for
// them; skipped ones are warned about.
func discoverNumbers(src source.Source, timeout time.Duration, stderr io.Writer) ([]string, error) {
	lister, ok := src.(numberLister)
	if !ok {
		return nil, errors.New("no numbers to watch: add numbers to the config file or pass --number")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	numbers, skipped, err := lister.Numbers(ctx)
	if len(skipped) > 0 {
		fmt.Fprintf(stderr, "wamon: warning: %s\n", skippedWarning(src, skipped))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the numbers of %s: %v (or name them with --number)", src.Name(), err)
	}
	return numbers, nil
}
