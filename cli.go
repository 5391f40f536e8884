package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wamon/wamon/internal/docs"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/replay"
	"github.com/wamon/wamon/serve"
	"github.com/wamon/wamon/source"
)

// The command line is built with cobra, the convention of k9s, gh-dash, glow and
// soft-serve: wamon, wamon serve, wamon replay, and wamon completion for the shells.
// Every flag reads as it did under the standard flag package, -name included (see
// longFlags), and exit codes are as before: 0, 1 for a failure, 2 for a bad command line.

const usageHead = `wamon: a terminal console for the Kaleyra WhatsApp Monitoring Stats API.

Usage: wamon [flags]
       wamon serve [flags]        the console over SSH, one poller for the team (wamon serve -h)
       wamon replay [PATH...]     the console over a recording (wamon replay -h)
       wamon completion SHELL     a completion script for bash, zsh, fish or powershell

Without a config file (--config, else $XDG_CONFIG_HOME/wamon/config.toml) it runs the demo.
KALEYRA_API_KEY overrides api_key; NO_COLOR turns colour off.
`

const serveUsageHead = `wamon serve: one poller, and the console for every teammate over SSH.

Usage: wamon serve [flags]

It polls every number once and serves the console at --ssh-listen to the holders of the
keys in --authorized-keys (public keys only; it refuses to start without one). Teammates
connect with: ssh -p 2222 HOST. SIGHUP re-reads the keys; SIGTERM stops it.
`

const replayUsageHead = `wamon replay: the console over a recording, as it was.

Usage: wamon replay [flags] [PATH...]

PATH is a recording directory or segment files (wamon-*.jsonl.zst); without one, the
directory the console records into by default, $XDG_STATE_HOME/wamon/recordings.
The console is the live one: the same screens and keys, with REPLAY and the
recording's clock in the header. space pauses, [ and ] move a minute, { and } ten,
< and > step the speed. --from and --to take a time (2026-11-25T16:30:00Z,
"2026-11-25 16:30", 16:30 on the recording's last day, local time) or a duration
before its end (10m).
`

// commandLine is what the command line said: the flags the config resolves, and those
// only the --once run reads.
type commandLine struct {
	cliFlags
	serve  bool      // wamon serve
	failOn onceLevel // --fail-on; levelOK when not given
}

// replayLine is what wamon replay's command line said.
type replayLine struct {
	paths        []string
	speed        replay.Speed
	from, to     string
	once, json   bool
	color        string
	ascii        bool
	asciiSet     bool
	failOn       onceLevel
	failOnWasSet bool
}

// actions are what the commands do once their command line is read. run gives the real
// ones; the parse functions give ones that only keep what was read.
type actions struct {
	console func(commandLine) int // wamon, and wamon serve
	replay  func(replayLine) int
}

// execute runs the command line against do and returns the exit code. Every error
// cobra returns is a command line wamon cannot run (exit 2); it is returned, not
// printed, so the parse functions can hand it to tests.
func execute(args []string, getenv func(string) string, stdout, stderr io.Writer, do actions) (int, error) {
	code := exitOK
	root := newRootCommand(getenv, do, &code)
	root.SetArgs(longFlags(root, args))
	root.SetOut(stdout)
	root.SetErr(stderr)
	if _, err := root.ExecuteC(); err != nil {
		return exitUsage, err
	}
	return code, nil
}

// newRootCommand is wamon and its commands; a command that ran leaves its exit code in
// code.
func newRootCommand(getenv func(string) string, do actions, code *int) *cobra.Command {
	root := &cobra.Command{
		Use:   "wamon",
		Short: "a terminal console for the Kaleyra WhatsApp Monitoring Stats API",
		Long:  usageHead,
		Args:  noArgs,
		// A swap of two letters (replya) is two edits.
		SuggestionsMinimumDistance: 2,
	}
	var cli cliFlags
	var numbers numberList
	var failOn failOnFlag
	addConsoleFlags(root, &cli, &numbers, getenv)
	fs := root.Flags()
	fs.BoolVar(&cli.once, "once", false, "poll every number once, print a table, exit (0 ok, 1 any error)")
	fs.BoolVar(&cli.json, "json", false, "with --once: JSON Lines, one object per number")
	fs.Var(&failOn, "fail-on", "with --once: exit 1 also when a number is at or past `LEVEL`: warn or crit")
	fs.BoolVar(&cli.version, "version", false, "print the version and exit")
	completeWords(root, "fail-on", "warn", "crit")
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		cli.numbers, cli.set = numbers, visited(cmd)
		if err := needOnce(cli.once, cli.json, cli.set); err != nil {
			return err
		}
		*code = do.console(commandLine{cliFlags: cli, failOn: onceLevel(failOn)})
		return nil
	}

	// docs (hidden) writes the man pages and completions that packages ship.
	root.AddCommand(newServeCommand(getenv, do, code), newReplayCommand(do, code), docs.Command(version))
	// Set on the root, these hold for every command: errors are run's to print, in one
	// line, and no usage follows them; help is printHelp's.
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SetHelpFunc(printHelp)
	return root
}

func newServeCommand(getenv func(string) string, do actions, code *int) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "the console over SSH, one poller for the team",
		Long:  serveUsageHead,
		Args:  noArgs,
	}
	var cli cliFlags
	var numbers numberList
	addConsoleFlags(cmd, &cli, &numbers, getenv)
	fs := cmd.Flags()
	fs.StringVar(&cli.sshListen, "ssh-listen", serve.DefaultListen, "serve the console over SSH at `ADDRESS` (\"\": not at all)")
	fs.StringVar(&cli.metricsListen, "metrics-listen", "", "serve Prometheus metrics at `ADDRESS`, e.g. 127.0.0.1:9464 (default: not at all)")
	fs.StringVar(&cli.authorizedKeys, "authorized-keys", "", "admit the public keys in `FILE` (default $XDG_CONFIG_HOME/wamon/authorized_keys)")
	fs.StringVar(&cli.hostKey, "host-key", "", "the server's private key `FILE`, made on first start (default $XDG_STATE_HOME/wamon/ssh_host_ed25519_key)")
	fs.IntVar(&cli.maxSessions, "max-sessions", serve.DefaultMaxSessions, "at most `N` sessions at once")
	noFiles(cmd, "ssh-listen", "metrics-listen", "max-sessions")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cli.numbers, cli.set = numbers, visited(cmd)
		*code = do.console(commandLine{cliFlags: cli, serve: true})
		return nil
	}
	return cmd
}

func newReplayCommand(do actions, code *int) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay [PATH...]",
		Short: "the console over a recording",
		Long:  replayUsageHead,
		Args:  cobra.ArbitraryArgs,
		// Recordings are directories and wamon-*.jsonl.zst segments.
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"zst"}, cobra.ShellCompDirectiveFilterFileExt
		},
	}
	var rl replayLine
	var speed string
	var failOn failOnFlag
	fs := cmd.Flags()
	fs.StringVar(&speed, "speed", "1", "play `FACTOR` seconds of the recording a second: 1, 10, 60, or max")
	fs.StringVar(&rl.from, "from", "", "start at `WHEN`: a time, or a duration before the end (default: the recording's start)")
	fs.StringVar(&rl.to, "to", "", "stop at `WHEN` (default: the recording's end)")
	fs.BoolVar(&rl.once, "once", false, "print the numbers as they stood at --to, as wamon --once does, and exit")
	fs.BoolVar(&rl.json, "json", false, "with --once: JSON Lines, one object per number")
	fs.Var(&failOn, "fail-on", "with --once: exit 1 also when a number is at or past `LEVEL`: warn or crit")
	fs.StringVar(&rl.color, "color", "auto", "colour depth `MODE`: "+strings.Join(colorModes, "|"))
	fs.BoolVar(&rl.ascii, "ascii", false, "ASCII glyphs only (--ascii=false: never)")
	completeWords(cmd, "speed", "1", "10", "60", "max")
	completeWords(cmd, "fail-on", "warn", "crit")
	completeWords(cmd, "color", colorModes...)
	noFiles(cmd, "from", "to")
	cmd.RunE = func(cmd *cobra.Command, paths []string) error {
		set := visited(cmd)
		var err error
		if rl.speed, err = replay.ParseSpeed(speed); err != nil {
			return fmt.Errorf("--speed: %w", err)
		}
		if err := checkColor(rl.color); err != nil {
			return fmt.Errorf("--color: %w", err)
		}
		if err := needOnce(rl.once, rl.json, set); err != nil {
			return err
		}
		rl.paths, rl.failOn, rl.asciiSet = paths, onceLevel(failOn), set["ascii"]
		*code = do.replay(rl)
		return nil
	}
	return cmd
}

// addConsoleFlags are the flags of wamon and wamon serve alike.
func addConsoleFlags(cmd *cobra.Command, cli *cliFlags, numbers *numberList, getenv func(string) string) {
	fs := cmd.Flags()
	fs.StringVar(&cli.configPath, "config", "", "config file `PATH` (TOML)")
	fs.BoolVar(&cli.demo, "demo", false, "force the embedded simulator (--source demo)")
	fs.StringVar(&cli.source, "source", "", "where stats come from: `NAME` kaleyra (the API), demo, or prometheus (what wamon serve exported, read back)")
	fs.StringVar(&cli.prometheusURL, "prometheus-url", "", "read from the Prometheus at `URL` (implies --source prometheus; user:password@ for basic auth; default "+source.DefaultPrometheusURL+")")
	fs.StringVar(&cli.baseURL, "base-url", "", "API `URL`, instead of the config's base_url")
	fs.Var(numbers, "number", "a number to watch, as `+E164` (repeatable; replaces the config's list)")
	fs.DurationVar(&cli.interval, "interval", monitor.DefaultInterval, "poll each number every `DURATION`")
	fs.BoolVar(&cli.record, "record", false, "record every poll and event, and reload them at start (default: on for the API; --record=false: off)")
	fs.StringVar(&cli.recordDir, "record-dir", "", "keep recordings in `DIR` (default $XDG_STATE_HOME/wamon/recordings)")
	fs.StringVar(&cli.color, "color", "auto", "colour depth `MODE`: "+strings.Join(colorModes, "|"))
	fs.BoolVar(&cli.ascii, "ascii", false, "ASCII glyphs only (--ascii=false: never)")
	fs.StringVar(&cli.logPath, "log", "", "structured logs to `FILE`; nothing is logged to the screen")
	fs.IntVar(&cli.concurrency, "concurrency", monitor.DefaultConcurrency, "at most `N` polls in flight")
	fs.IntVar(&cli.history, "history", monitor.DefaultHistory, "keep `N` points per series")

	completeWords(cmd, "source", sourceKaleyra, sourceDemo, sourcePrometheus)
	completeWords(cmd, "color", colorModes...)
	noFiles(cmd, "prometheus-url", "base-url", "interval", "concurrency", "history")
	cmd.MarkFlagDirname("record-dir")
	// --number completes with the numbers of the config file the line names (or the
	// default one): the ones an operator types most.
	cmd.RegisterFlagCompletionFunc("number", func(cmd *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
		cfg, err := loadConfig(cliFlags{configPath: cmd.Flag("config").Value.String()}, getenv)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var numbers []string
		for _, n := range cfg.Numbers {
			if strings.HasPrefix(n, typed) {
				numbers = append(numbers, n)
			}
		}
		return numbers, cobra.ShellCompDirectiveNoFileComp
	})
}

// completeWords makes flag complete with words and nothing else.
func completeWords(cmd *cobra.Command, flag string, words ...string) {
	cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp))
}

// noFiles keeps the shell from offering file names for flags that take none.
func noFiles(cmd *cobra.Command, flags ...string) {
	for _, flag := range flags {
		cmd.RegisterFlagCompletionFunc(flag, cobra.NoFileCompletions)
	}
}

// noArgs refuses a positional argument in one line, naming a command it may be a typo of.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return fmt.Errorf("unknown command %q (did you mean %s?)", args[0], strings.Join(s, ", "))
	}
	return fmt.Errorf("unexpected argument %q (see %s --help)", args[0], cmd.CommandPath())
}

// needOnce refuses --json and --fail-on without --once, which they shape.
func needOnce(once, json bool, set map[string]bool) error {
	switch {
	case json && !once:
		return errors.New("--json needs --once")
	case set["fail-on"] && !once:
		return errors.New("--fail-on needs --once")
	}
	return nil
}

// visited is the set of flags the command line gave.
func visited(cmd *cobra.Command) map[string]bool {
	set := map[string]bool{}
	cmd.Flags().Visit(func(f *pflag.Flag) { set[f.Name] = true })
	return set
}

// printHelp is a command's help: its own text and its flags, on stdout.
func printHelp(cmd *cobra.Command, _ []string) {
	out := cmd.OutOrStdout()
	fmt.Fprint(out, cmd.Long, "\nFlags:\n", cmd.LocalFlags().FlagUsagesWrapped(100))
}

// longFlags lets the flags be spelled -name as well as --name, as the standard flag
// package read them before wamon moved to cobra: pflag would read -once as the letters
// o, n, c, e. Only the names of wamon's flags are rewritten, and nothing after "--".
func longFlags(root *cobra.Command, args []string) []string {
	names := map[string]bool{"help": true}
	for _, cmd := range append(root.Commands(), root) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
	}
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if names[name] {
				out[i] = "-" + a
			}
		}
	}
	return out
}

// numberList is the repeatable --number flag.
type numberList []string

func (l *numberList) String() string { return strings.Join(*l, ",") }
func (l *numberList) Type() string   { return "+E164" }
func (l *numberList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// failOnFlag is --fail-on warn|crit; its zero value (levelOK) means not given.
type failOnFlag onceLevel

func (f *failOnFlag) String() string {
	if f == nil || onceLevel(*f) == levelOK {
		return ""
	}
	return onceLevel(*f).String()
}

func (f *failOnFlag) Type() string { return "LEVEL" }

func (f *failOnFlag) Set(s string) error {
	level, err := parseFailOn(s)
	*f = failOnFlag(level)
	return err
}
