package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/wamon/wamon/config"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/report"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

// runConsole is wamon (the console, or --once) and wamon serve, their command line read.
func runConsole(cl commandLine, env Env) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(env.Stderr, "wamon: %v\n", err)
		return code
	}
	if cl.version {
		fmt.Fprintf(env.Stdout, "wamon %s\n", env.Version)
		return ExitOK
	}
	cmd := config.Console
	if cl.serve {
		cmd = config.Serve
	}
	cfg, err := config.Load(cmd, cl.given, env.Getenv)
	if err != nil {
		return fail(ExitUsage, err)
	}
	logger, closeLog, err := openLog(cfg.LogPath)
	if err != nil {
		return fail(ExitUsage, err)
	}
	defer closeLog()
	for _, w := range cfg.Warnings {
		fmt.Fprintf(env.Stderr, "wamon: warning: %s\n", w)
		logger.Warn(w)
	}

	src, err := newSource(cfg, env.Version)
	if err != nil {
		return fail(ExitUsage, err)
	}
	if cl.serve && cfg.Source == config.Prometheus && cfg.MetricsListen != "" {
		return fail(ExitUsage, errors.New("--metrics-listen with --source prometheus would export Prometheus' own series back to it; serve the console alone"))
	}
	if lister, ok := src.(numberLister); ok && len(cfg.Numbers) == 0 && !cl.once && !cl.serve {
		// The Prometheus source without a list: the console opens at once and waits for
		// the numbers Prometheus has, however long it takes to answer.
		return runWaitingConsole(cfg, src, lister, logger, env)
	}
	if len(cfg.Numbers) == 0 {
		// The Prometheus source without a list: the numbers Prometheus has.
		if cfg.Numbers, err = discoverNumbers(src, cfg.Timeout, env.Stderr); err != nil {
			return fail(ExitFailed, err)
		}
	}
	logger.Info("start", "version", env.Version, "source", src.Name(), "config", cfg.Path,
		"numbers", len(cfg.Numbers), "interval", cfg.Interval, "once", cl.once)

	if cl.once {
		return runOnce(cl, cfg, src, env)
	}
	if cl.serve {
		return runServe(cfg, src, logger, env)
	}
	engine, closeRecording, warnings := newEngine(cfg, src, logger)
	for _, w := range warnings {
		fmt.Fprintf(env.Stderr, "wamon: warning: %s\n", w)
	}
	engine.Start()
	err = ui.Run(ui.Options{
		Engine:   engine,
		ASCII:    cfg.ASCII,
		Glyphs:   cfg.Glyphs,
		Profile:  ui.ColorProfile(cfg.Color, os.Stdout),
		Mouse:    cfg.Mouse,
		Warnings: append(cfg.Warnings, warnings...),
	})
	engine.Stop() // requests in flight are cancelled: quitting does not wait for them
	closeRecording()
	if err != nil {
		logger.Error("console stopped", "err", err)
		return fail(ExitFailed, err)
	}
	return ExitOK
}

// runOnce is wamon --once: every number polled once, printed, and whether all is well.
func runOnce(cl commandLine, cfg config.Config, src source.Source, env Env) int {
	if cfg.Demo {
		// Simulated figures must never pass for a real number's health in a script.
		fmt.Fprintln(env.Stderr, "wamon: demo data: these numbers are simulated (no config, --base-url or KALEYRA_API_KEY; or --demo)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := report.Run(ctx, env.Stdout, src, cfg.Numbers, report.Options{
		JSON:        cl.json,
		Timeout:     cfg.Timeout,
		Concurrency: cfg.Concurrency,
		Thresholds:  cfg.Thresholds,
		FailOn:      cl.failOn,
		Demo:        cfg.Demo,
		Now:         time.Now,
	})
	switch {
	case err != nil:
		fmt.Fprintf(env.Stderr, "wamon: %v\n", err)
		return ExitFailed
	case !ok:
		return ExitFailed
	}
	return ExitOK
}

// runWaitingConsole is the console of a source that lists its numbers (the Prometheus
// source without --number): it opens at once on a screen that waits for the list, then
// shows the console over it.
func runWaitingConsole(cfg config.Config, src source.Source, lister numberLister, logger *slog.Logger, env Env) int {
	var engine *monitor.Engine
	closeRecording := func() {}
	profile := ui.ColorProfile(cfg.Color, os.Stdout)
	err := ui.RunWaiting(ui.WaitingOptions{
		Whom:    "Prometheus at " + strings.TrimPrefix(src.Name(), "prometheus "),
		Retry:   cfg.Interval,
		ASCII:   cfg.ASCII,
		Profile: profile,
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
				Profile:  profile,
				Mouse:    cfg.Mouse,
				Warnings: append(append(cfg.Warnings, found...), warnings...),
			}), nil
		},
	})
	if engine != nil {
		engine.Stop()
	}
	closeRecording()
	if err != nil {
		logger.Error("console stopped", "err", err)
		fmt.Fprintf(env.Stderr, "wamon: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// numberLister is a source that can list its numbers: the Prometheus source.
type numberLister interface {
	Numbers(context.Context) ([]string, []string, error)
}

// skippedWarning says which numbers a source listed that are not E.164, left out.
func skippedWarning(src source.Source, skipped []string) string {
	return fmt.Sprintf("%s has %s that are not E.164, left out: %s", src.Name(), source.Count(len(skipped), "number"), strings.Join(skipped, ", "))
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

// newSource is the simulator, the API client or the Prometheus source, as the config
// decided.
func newSource(cfg config.Config, version string) (source.Source, error) {
	switch cfg.Source {
	case config.Demo:
		// A fixed seed: the same demo every run, so a capture or a bug report reproduces.
		return source.NewDemo(source.DemoOptions{Seed: 1, Numbers: cfg.Numbers}), nil
	case config.Prometheus:
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

// newEngine builds the engine the console and wamon serve run: recording every poll and
// event when cfg.Record, and then reloading its window from the recordings at Start.
// A recording that cannot be opened is a warning, not a stop: the engine runs without
// it. closeRecording writes out what is queued; call it after the engine stops.
func newEngine(cfg config.Config, src source.Source, logger *slog.Logger) (engine *monitor.Engine, closeRecording func(), warnings []string) {
	ecfg := monitor.Config{
		Source: src, Numbers: cfg.Numbers, Interval: cfg.Interval, Timeout: cfg.Timeout,
		History: cfg.History, Concurrency: cfg.Concurrency, Thresholds: cfg.Thresholds, Logger: logger,
	}
	closeRecording = func() {}
	if !cfg.Record {
		return monitor.New(ecfg), closeRecording, nil
	}
	w, err := record.Open(record.Options{
		Dir: cfg.RecordDir, Keep: cfg.RecordKeep, MaxSize: cfg.RecordMaxSize, Logger: logger,
		Secrets: []string{string(cfg.APIKey)},
		OnError: func(err error) {
			// Set before any poll is recorded: Open writes nothing by itself.
			engine.Notify("recording stopped: " + err.Error() + " (polling goes on)")
		},
	}, record.Header{
		Source: src.Name(), Numbers: cfg.Numbers, Interval: cfg.Interval, Timeout: cfg.Timeout,
		History: cfg.History, Thresholds: cfg.Thresholds,
	})
	if err != nil {
		logger.Warn("not recording", "error", err.Error())
		return monitor.New(ecfg), closeRecording, []string{"not recording: " + err.Error()}
	}
	ecfg.Recorder = w
	ecfg.Memory = &record.Memory{Dir: cfg.RecordDir}
	engine = monitor.New(ecfg)
	return engine, func() { w.Close() }, nil
}

// openLog opens --log FILE for structured logs (JSON, as slog writes it, but durations
// as people read them: "5s", not 5000000000); without it logs are discarded.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{ReplaceAttr: readableAttr})), func() { f.Close() }, nil
}

// readableAttr writes a duration as people read it, and an error as its one line.
func readableAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindDuration:
		a.Value = slog.StringValue(a.Value.Duration().String())
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(source.Sanitize(err.Error()))
		}
	}
	return a
}
