package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wamon/wamon/config"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/replay"
	"github.com/wamon/wamon/report"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

const replayHelp = `wamon replay: the console over a recording, as it was.

Usage: wamon replay [flags] [PATH...]

PATH is a recording directory or segment files (wamon-*.jsonl.zst); without one, the
directory the console records into: the config's record_dir, else
$XDG_STATE_HOME/wamon/recordings. It reads the config as the console does (--config):
its colour, glyphs and, where it sets them, thresholds (else the recording's).
The console is the live one: the same screens and keys, with REPLAY and the
recording's clock in the header. space pauses, [ and ] move a minute, { and } ten,
< and > step the speed. --from and --to take a time (2026-11-25T16:30:00Z,
"2026-11-25 16:30", 16:30 on the recording's last day, local time) or a duration
before its end (10m).
`

// replayLine is what wamon replay's command line said.
type replayLine struct {
	given      *config.Given
	paths      []string
	speed      replay.Speed
	from, to   string
	once, json bool
	failOn     report.Level
}

func newReplay(env Env, do actions, code *int) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay [PATH...]",
		Short: "the console over a recording",
		Long:  replayHelp,
		Args:  cobra.ArbitraryArgs,
		// Recordings are directories and wamon-*.jsonl.zst segments.
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"zst"}, cobra.ShellCompDirectiveFilterFileExt
		},
	}
	rl := replayLine{given: config.Bind(cmd.Flags(), config.Replay)}
	var speed string
	var failOn failOnFlag
	fs := cmd.Flags()
	fs.StringVar(&speed, "speed", "1", "play `FACTOR` seconds of the recording a second: 1, 10, 60, or max")
	fs.StringVar(&rl.from, "from", "", "start at `WHEN`: a time, or a duration before the end (default: the recording's start)")
	fs.StringVar(&rl.to, "to", "", "stop at `WHEN` (default: the recording's end)")
	fs.BoolVar(&rl.once, "once", false, "print the numbers as they stood at --to, as wamon --once does, and exit")
	fs.BoolVar(&rl.json, "json", false, "with --once: JSON Lines, one object per number")
	fs.Var(&failOn, "fail-on", "with --once: exit 1 also when a number is at or past `LEVEL`: warn or crit")
	completeSettings(cmd, env)
	completeWords(cmd, "speed", "1", "10", "60", "max")
	completeWords(cmd, "fail-on", "warn", "crit")
	noFiles(cmd, "from", "to")
	cmd.RunE = func(cmd *cobra.Command, paths []string) error {
		var err error
		if rl.speed, err = replay.ParseSpeed(speed); err != nil {
			return fmt.Errorf("--speed: %w", err)
		}
		if err := needOnce(rl.once, rl.json, cmd.Flags().Changed("fail-on")); err != nil {
			return err
		}
		rl.paths, rl.failOn = paths, report.Level(failOn)
		*code = do.replay(rl)
		return nil
	}
	return cmd
}

// runReplay is wamon replay: the console over a recording, or its state at a moment.
func runReplay(rl replayLine, env Env) int {
	stderr, stdout := env.Stderr, env.Stdout
	cfg, err := config.Load(config.Replay, rl.given, env.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return ExitUsage
	}
	if len(rl.paths) == 0 {
		// Where the console and wamon serve record.
		rl.paths = []string{cfg.RecordDir}
	}
	rec, err := replay.Open(rl.paths...)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: replay: %s\n", source.Sanitize(err.Error()))
		return ExitFailed
	}
	if cfg.Given("thresholds") {
		// The config's thresholds, where it sets them, judge the recording: the recording
		// seen by today's rules.
		rec.Header.Thresholds = cfg.Thresholds
	}
	from, err := parseWhen(rl.from, rec.First, rec.Last)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: --from: %v\n", err)
		return ExitUsage
	}
	to, err := parseWhen(rl.to, rec.Last, rec.Last)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: --to: %v\n", err)
		return ExitUsage
	}
	// A flag past an end of the recording is the one named, not the other flag, whose
	// default is that end.
	if from.After(rec.Last) {
		fmt.Fprintf(stderr, "wamon: --from: %q is %s, after the recording ends (%s)\n", rl.from, from.Format(time.RFC3339), rec.Last.Format(time.RFC3339))
		return ExitUsage
	}
	if to.Before(rec.First) {
		fmt.Fprintf(stderr, "wamon: --to: %q is %s, before the recording starts (%s)\n", rl.to, to.Format(time.RFC3339), rec.First.Format(time.RFC3339))
		return ExitUsage
	}
	if to.Before(from) {
		fmt.Fprintf(stderr, "wamon: --to %s is before --from %s\n", to.Format(time.RFC3339), from.Format(time.RFC3339))
		return ExitUsage
	}
	clock := &replay.Clock{}
	engine := replay.NewEngine(rec, clock)
	player := replay.NewPlayer(rec, engine, clock, from, to, rl.speed)
	for _, w := range rec.Warnings {
		fmt.Fprintf(stderr, "wamon: warning: %s\n", source.Sanitize(w))
	}

	if rl.once {
		player.FileTo(player.To())
		results := engineResults(engine, player.To())
		demo := rec.Header.Source == "demo"
		if rl.json {
			err = report.PrintJSONLines(stdout, results, demo)
		} else {
			err = report.PrintTable(stdout, results)
		}
		if err != nil {
			fmt.Fprintf(stderr, "wamon: %v\n", err)
			return ExitFailed
		}
		if report.Failed(results, rl.failOn) {
			return ExitFailed
		}
		return ExitOK
	}

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		player.Run(stop)
		close(done)
	}()
	err = ui.Run(ui.Options{
		Engine: engine, Replay: player, ASCII: cfg.ASCII, Glyphs: cfg.Glyphs, Warnings: append(cfg.Warnings, rec.Warnings...),
		Profile: ui.ColorProfile(cfg.Color, os.Stdout), Mouse: cfg.Mouse,
	})
	close(stop)
	<-done
	if err != nil {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// parseWhen reads --from or --to: "" is def; a duration is that long before last; else a
// time (RFC 3339, "2006-01-02 15:04[:05]", or "15:04[:05]" on last's day), local unless
// it says its zone.
func parseWhen(s string, def, last time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration before the end is positive", s)
		}
		return last.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			day := last.In(time.Local)
			return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.Local), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-11-25T16:30:00Z, \"2026-11-25 16:30\", 16:30) or a duration before the end (10m)", s)
}

// engineResults are the numbers of a replayed engine as --once prints them: each one's
// newest poll at the engine's moment, judged by its thresholds.
func engineResults(engine *monitor.Engine, at time.Time) []report.Result {
	results := make([]report.Result, engine.Len())
	for i := range results {
		st := engine.Status(i)
		var snap source.Snapshot
		var err error
		switch {
		case st.Err != nil:
			err = st.Err
			snap.FetchedAt = st.ErrAt
		case st.Last != nil:
			snap = *st.Last
		default:
			err = &source.RecordedError{Kind: "other", Reason: "no poll",
				Line: "no poll of " + st.Number + " in the recording by " + at.UTC().Format(time.RFC3339)}
		}
		results[i] = report.NewResult(st.Number, snap, err, engine.Thresholds())
	}
	return results
}
