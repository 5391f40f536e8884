// Package cli is wamon's command line (cobra, the convention of k9s, gh-dash, glow and
// soft-serve): wamon (the console, or --once), wamon serve, wamon replay, wamon
// completion and wamon help, one file each. Every flag reads as it did under the
// standard flag package, -name included (see longFlags). Exit codes: 0, 1 for a
// failure, 2 for a command line or configuration wamon cannot run, said in one line.
package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wamon/wamon/config"
	"github.com/wamon/wamon/internal/docs"
	"github.com/wamon/wamon/report"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1 // a poll failed (--once) or the console stopped on an error
	ExitUsage  = 2 // a bad command line or config
)

// Env is what a run of wamon is given besides its arguments: the environment, where to
// write, and its version.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	Version        string
}

// Run is wamon minus the process: it runs the command line args and returns the exit
// code, so tests drive it with buffers for stdout and stderr.
func Run(args []string, env Env) int {
	code, err := execute(args, env, actions{
		console: func(cl commandLine) int { return runConsole(cl, env) },
		replay:  func(rl replayLine) int { return runReplay(rl, env) },
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "wamon: %v\n", err)
	}
	return code
}

// commandLine is what wamon's or wamon serve's command line said: the settings, for the
// config to read, and what only --once reads.
type commandLine struct {
	given      *config.Given
	serve      bool
	once, json bool
	version    bool
	failOn     report.Level // --fail-on; report.OK when not given
}

// actions are what the commands do once their command line is read. Run gives the real
// ones; tests give ones that keep what was read.
type actions struct {
	console func(commandLine) int // wamon, and wamon serve
	replay  func(replayLine) int
}

// execute runs the command line against do and returns the exit code. Every error
// cobra returns is a command line wamon cannot run (exit 2); it is returned, not
// printed, so that tests see it.
func execute(args []string, env Env, do actions) (int, error) {
	code := ExitOK
	root := newRoot(env, do, &code)
	root.SetArgs(longFlags(root, args))
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	if _, err := root.ExecuteC(); err != nil {
		return ExitUsage, err
	}
	return code, nil
}

// NewRoot is wamon's command tree, for what is made from it (man pages, completions):
// its commands do nothing when run.
func NewRoot() *cobra.Command {
	return newRoot(Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard},
		actions{console: func(commandLine) int { return 0 }, replay: func(replayLine) int { return 0 }}, new(int))
}

const rootHelp = `wamon: a terminal console for the Kaleyra WhatsApp Monitoring Stats API.

Usage: wamon [flags]
       wamon serve [flags]        the console over SSH, one poller for the team (wamon serve -h)
       wamon replay [PATH...]     the console over a recording (wamon replay -h)
       wamon completion SHELL     a completion script for bash, zsh, fish or powershell
       wamon help [COMMAND]       the same as COMMAND --help

Without a config file (--config, else $XDG_CONFIG_HOME/wamon/config.toml) it runs the demo.
KALEYRA_API_KEY overrides api_key; NO_COLOR turns colour off.
`

// newRoot is wamon and its commands; a command that ran leaves its exit code in code.
func newRoot(env Env, do actions, code *int) *cobra.Command {
	root := &cobra.Command{
		Use:   "wamon",
		Short: "a terminal console for the Kaleyra WhatsApp Monitoring Stats API",
		Long:  rootHelp,
		Args:  noArgs,
		// A swap of two letters (replya) is two edits.
		SuggestionsMinimumDistance: 2,
	}
	var cl commandLine
	var failOn failOnFlag
	cl.given = config.Bind(root.Flags(), config.Console)
	fs := root.Flags()
	fs.BoolVar(&cl.once, "once", false, "poll every number once, print a table, exit (0 ok, 1 any error)")
	fs.BoolVar(&cl.json, "json", false, "with --once: JSON Lines, one object per number")
	fs.Var(&failOn, "fail-on", "with --once: exit 1 also when a number is at or past `LEVEL`: warn or crit")
	fs.BoolVar(&cl.version, "version", false, "print the version and exit")
	completeSettings(root, env)
	completeWords(root, "fail-on", "warn", "crit")
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := needOnce(cl.once, cl.json, cmd.Flags().Changed("fail-on")); err != nil {
			return err
		}
		cl.failOn = report.Level(failOn)
		*code = do.console(cl)
		return nil
	}

	// docs (hidden) writes the man pages and completions that packages ship.
	root.AddCommand(newServe(env, do, code), newReplay(env, do, code), newCompletion(root), docs.Command(env.Version))
	root.SetHelpCommand(newHelp(root))
	root.CompletionOptions.DisableDefaultCmd = true // newCompletion's, which refuses a shell it does not know
	// Set on the root, these hold for every command: errors are Run's to print, in one
	// line, and no usage follows them; help is printHelp's.
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SetHelpFunc(printHelp)
	return root
}

// completeSettings makes each setting's flag of cmd complete as the setting says: its
// words, files or directories, or nothing; --number with the numbers of the config file
// the command line names (or the default one), the ones an operator types most.
func completeSettings(cmd *cobra.Command, env Env) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		words, files, dirs, setting := config.Completion(f.Name)
		switch {
		case f.Name == "config":
			cmd.MarkFlagFilename("config", "toml")
		case f.Name == "number", !setting:
		case len(words) > 0:
			completeWords(cmd, f.Name, words...)
		case dirs:
			cmd.MarkFlagDirname(f.Name)
		case files:
		default:
			cmd.RegisterFlagCompletionFunc(f.Name, cobra.NoFileCompletions)
		}
	})
	if cmd.Flags().Lookup("number") == nil {
		return
	}
	cmd.RegisterFlagCompletionFunc("number", func(cmd *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
		cfg, err := config.Load(config.Console, &config.Given{ConfigPath: cmd.Flag("config").Value.String()}, env.Getenv)
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
func needOnce(once, json, failOn bool) error {
	switch {
	case json && !once:
		return errors.New("--json needs --once")
	case failOn && !once:
		return errors.New("--fail-on needs --once")
	}
	return nil
}

// printHelp is a command's help: its own text and its flags, on stdout.
func printHelp(cmd *cobra.Command, _ []string) {
	out := cmd.OutOrStdout()
	fmt.Fprint(out, cmd.Long)
	if flags := cmd.LocalFlags().FlagUsagesWrapped(100); flags != "" {
		fmt.Fprint(out, "\nFlags:\n", flags)
	}
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

// failOnFlag is --fail-on warn|crit; its zero value (report.OK) means not given.
type failOnFlag report.Level

func (f *failOnFlag) String() string {
	if f == nil || report.Level(*f) == report.OK {
		return ""
	}
	return report.Level(*f).String()
}

func (f *failOnFlag) Type() string { return "LEVEL" }

func (f *failOnFlag) Set(s string) error {
	level, err := report.ParseLevel(s)
	*f = failOnFlag(level)
	return err
}
