// Command wamon is a terminal console for the Kaleyra WhatsApp Monitoring Stats API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/serve"
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
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return code
	}

	if len(args) > 0 && args[0] == "replay" {
		return runReplay(args[1:], getenv, stdout, stderr)
	}
	cli, err := parseCommandLine(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(exitUsage, err)
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
	if len(cfg.Numbers) == 0 {
		// The Prometheus source without a list: the numbers Prometheus has.
		if cfg.Numbers, err = discoverNumbers(src, cfg.Timeout, stderr); err != nil {
			return fail(exitFailed, err)
		}
	}
	if cli.serve && cfg.Source == sourcePrometheus && cfg.MetricsListen != "" {
		return fail(exitUsage, errors.New("--metrics-listen with --source prometheus would export Prometheus' own series back to it; serve the console alone"))
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

// numberList is the repeatable --number flag.
type numberList []string

func (l *numberList) String() string { return strings.Join(*l, ",") }
func (l *numberList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

const usageHead = `wamon: a terminal console for the Kaleyra WhatsApp Monitoring Stats API.

Usage: wamon [flags]
       wamon serve [flags]   the console over SSH, one poller for the team (wamon serve -h)
       wamon replay [PATH]   the console over a recording (wamon replay -h)

Without a config file (--config, else $XDG_CONFIG_HOME/wamon/config.toml) it runs the demo.
KALEYRA_API_KEY overrides api_key; NO_COLOR turns colour off.

Flags:
`

const serveUsageHead = `wamon serve: one poller, and the console for every teammate over SSH.

Usage: wamon serve [flags]

It polls every number once and serves the console at --ssh-listen to the holders of the
keys in --authorized-keys (public keys only; it refuses to start without one). Teammates
connect with: ssh -p 2222 HOST. SIGHUP re-reads the keys; SIGTERM stops it.

Flags:
`

// commandLine is what the command line said: the flags the config resolves, and those
// only the --once run reads.
type commandLine struct {
	cliFlags
	serve  bool      // wamon serve
	failOn onceLevel // --fail-on; levelOK when not given
}

// failOnFlag is --fail-on warn|crit; its zero value (levelOK) means not given.
type failOnFlag onceLevel

func (f *failOnFlag) String() string {
	if f == nil || onceLevel(*f) == levelOK {
		return ""
	}
	return onceLevel(*f).String()
}

func (f *failOnFlag) Set(s string) error {
	level, err := parseFailOn(s)
	*f = failOnFlag(level)
	return err
}

// parseFlags reads the command line, minus what only main reads (see parseCommandLine).
func parseFlags(args []string, stdout io.Writer) (cliFlags, error) {
	cl, err := parseCommandLine(args, stdout)
	return cl.cliFlags, err
}

// parseCommandLine reads the command line. Errors are one line; -h prints the usage to
// stdout.
func parseCommandLine(args []string, stdout io.Writer) (commandLine, error) {
	var cli cliFlags
	var numbers numberList
	var failOn failOnFlag
	serving := len(args) > 0 && args[0] == "serve"
	head := usageHead
	if serving {
		args, head = args[1:], serveUsageHead
	}
	fs := flag.NewFlagSet("wamon", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, in one line
	fs.StringVar(&cli.configPath, "config", "", "config file `PATH` (TOML)")
	fs.BoolVar(&cli.demo, "demo", false, "force the embedded simulator (--source demo)")
	fs.StringVar(&cli.source, "source", "", "where stats come from: `NAME` kaleyra (the API), demo, or prometheus (what wamon serve exported, read back)")
	fs.StringVar(&cli.prometheusURL, "prometheus-url", "", "read from the Prometheus at `URL` (implies --source prometheus; user:password@ for basic auth; default "+source.DefaultPrometheusURL+")")
	fs.StringVar(&cli.baseURL, "base-url", "", "API `URL`, instead of the config's base_url")
	fs.Var(&numbers, "number", "a number to watch, as `+E164` (repeatable; replaces the config's list)")
	fs.DurationVar(&cli.interval, "interval", monitor.DefaultInterval, "poll each number every `DURATION`")
	if serving {
		fs.StringVar(&cli.sshListen, "ssh-listen", serve.DefaultListen, "serve the console over SSH at `ADDRESS` (\"\": not at all)")
		fs.StringVar(&cli.metricsListen, "metrics-listen", "", "serve Prometheus metrics at `ADDRESS`, e.g. 127.0.0.1:9464 (default: not at all)")
		fs.StringVar(&cli.authorizedKeys, "authorized-keys", "", "admit the public keys in `FILE` (default $XDG_CONFIG_HOME/wamon/authorized_keys)")
		fs.StringVar(&cli.hostKey, "host-key", "", "the server's private key `FILE`, made on first start (default $XDG_STATE_HOME/wamon/ssh_host_ed25519_key)")
		fs.IntVar(&cli.maxSessions, "max-sessions", serve.DefaultMaxSessions, "at most `N` sessions at once")
	} else {
		fs.BoolVar(&cli.once, "once", false, "poll every number once, print a table, exit (0 ok, 1 any error)")
		fs.BoolVar(&cli.json, "json", false, "with --once: JSON Lines, one object per number")
		fs.Var(&failOn, "fail-on", "with --once: exit 1 also when a number is at or past `LEVEL`: warn or crit")
	}
	fs.BoolVar(&cli.record, "record", false, "record every poll and event, and reload them at start (default: on for the API; --record=false: off)")
	fs.StringVar(&cli.recordDir, "record-dir", "", "keep recordings in `DIR` (default $XDG_STATE_HOME/wamon/recordings)")
	fs.StringVar(&cli.color, "color", "auto", "colour depth `MODE`: "+strings.Join(colorModes, "|"))
	fs.BoolVar(&cli.ascii, "ascii", false, "ASCII glyphs only (--ascii=false: never)")
	fs.StringVar(&cli.logPath, "log", "", "structured logs to `FILE`; nothing is logged to the screen")
	fs.IntVar(&cli.concurrency, "concurrency", monitor.DefaultConcurrency, "at most `N` polls in flight")
	fs.IntVar(&cli.history, "history", monitor.DefaultHistory, "keep `N` points per series")
	fs.BoolVar(&cli.version, "version", false, "print the version and exit")

	if err := fs.Parse(args); err != nil {
		return commandLine{}, flagError(fs, err, head, stdout)
	}
	if fs.NArg() > 0 {
		return commandLine{}, fmt.Errorf("unexpected argument %q (see wamon --help)", fs.Arg(0))
	}
	cli.numbers = numbers
	cli.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { cli.set[f.Name] = true })
	if cli.json && !cli.once {
		return commandLine{}, errors.New("--json needs --once")
	}
	if cli.set["fail-on"] && !cli.once {
		return commandLine{}, errors.New("--fail-on needs --once")
	}
	return commandLine{cliFlags: cli, serve: serving, failOn: onceLevel(failOn)}, nil
}

// flagError is what a failed fs.Parse says: -h prints head and the flags to stdout
// (flag.ErrHelp is returned), anything else is one line. The flag package prints
// "-name"; wamon's flags are documented as "--name" (both work), so help and errors say
// it the same way.
func flagError(fs *flag.FlagSet, err error, head string, stdout io.Writer) error {
	if errors.Is(err, flag.ErrHelp) {
		var defaults strings.Builder
		fs.SetOutput(&defaults)
		fs.PrintDefaults()
		fmt.Fprint(stdout, head)
		fmt.Fprint(stdout, strings.TrimPrefix(strings.ReplaceAll("\n"+defaults.String(), "\n  -", "\n  --"), "\n"))
		return err
	}
	msg := strings.Replace(err.Error(), "flag -", "flag --", 1)
	return errors.New(strings.Replace(msg, "not defined: -", "not defined: --", 1))
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
	lister, ok := src.(interface {
		Numbers(context.Context) ([]string, []string, error)
	})
	if !ok {
		return nil, errors.New("no numbers to watch: add numbers to the config file or pass --number")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	numbers, skipped, err := lister.Numbers(ctx)
	if len(skipped) > 0 {
		fmt.Fprintf(stderr, "wamon: warning: %s has %d numbers that are not E.164, left out: %s\n",
			src.Name(), len(skipped), strings.Join(skipped, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the numbers of %s: %v (or name them with --number)", src.Name(), err)
	}
	return numbers, nil
}
