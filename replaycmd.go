package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/replay"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

const replayUsageHead = `wamon replay: the console over a recording, as it was.

Usage: wamon replay [flags] [PATH...]

PATH is a recording directory or segment files (wamon-*.jsonl.zst); without one, the
directory the console records into by default, $XDG_STATE_HOME/wamon/recordings.
The console is the live one: the same screens and keys, with REPLAY and the
recording's clock in the header. space pauses, [ and ] move a minute, { and } ten,
< and > step the speed. --from and --to take a time (2026-11-25T16:30:00Z,
"2026-11-25 16:30", 16:30 on the recording's last day, local time) or a duration
before its end (10m).

Flags:
`

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

func parseReplayLine(args []string, stdout io.Writer) (replayLine, error) {
	var rl replayLine
	var speed string
	var failOn failOnFlag
	fs := flag.NewFlagSet("wamon replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&speed, "speed", "1", "play `FACTOR` seconds of the recording a second: 1, 10, 60, or max")
	fs.StringVar(&rl.from, "from", "", "start at `WHEN`: a time, or a duration before the end (default: the recording's start)")
	fs.StringVar(&rl.to, "to", "", "stop at `WHEN` (default: the recording's end)")
	fs.BoolVar(&rl.once, "once", false, "print the numbers as they stood at --to, as wamon --once does, and exit")
	fs.BoolVar(&rl.json, "json", false, "with --once: JSON Lines, one object per number")
	fs.Var(&failOn, "fail-on", "with --once: exit 1 also when a number is at or past `LEVEL`: warn or crit")
	fs.StringVar(&rl.color, "color", "auto", "colour depth `MODE`: "+strings.Join(colorModes, "|"))
	fs.BoolVar(&rl.ascii, "ascii", false, "ASCII glyphs only (--ascii=false: never)")
	// Flags may come before, between or after the paths.
	err := fs.Parse(args)
	for err == nil && fs.NArg() > 0 {
		rl.paths = append(rl.paths, fs.Arg(0))
		err = fs.Parse(fs.Args()[1:])
	}
	if err != nil {
		return rl, flagError(fs, err, replayUsageHead, stdout)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if rl.speed, err = replay.ParseSpeed(speed); err != nil {
		return rl, fmt.Errorf("--speed: %w", err)
	}
	if err := checkColor(rl.color); err != nil {
		return rl, fmt.Errorf("--color: %w", err)
	}
	if rl.json && !rl.once {
		return rl, errors.New("--json needs --once")
	}
	if set["fail-on"] && !rl.once {
		return rl, errors.New("--fail-on needs --once")
	}
	rl.failOn, rl.asciiSet = onceLevel(failOn), set["ascii"]
	return rl, nil
}

// runReplay is wamon replay: the console over a recording, or its state at a moment.
func runReplay(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	rl, err := parseReplayLine(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return exitUsage
	}
	if len(rl.paths) == 0 {
		// Where the console and wamon serve record by default.
		rl.paths = []string{xdgPath(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"), "recordings")}
	}
	rec, err := replay.Open(rl.paths...)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: replay: %s\n", source.Sanitize(err.Error()))
		return exitFailed
	}
	from, err := parseWhen(rl.from, rec.First, rec.Last)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: --from: %v\n", err)
		return exitUsage
	}
	to, err := parseWhen(rl.to, rec.Last, rec.Last)
	if err != nil {
		fmt.Fprintf(stderr, "wamon: --to: %v\n", err)
		return exitUsage
	}
	if to.Before(from) {
		fmt.Fprintf(stderr, "wamon: --to %s is before --from %s\n", to.Format(time.RFC3339), from.Format(time.RFC3339))
		return exitUsage
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
			err = printJSONLines(stdout, results, demo)
		} else {
			err = printTable(stdout, results)
		}
		if err != nil {
			fmt.Fprintf(stderr, "wamon: %v\n", err)
			return exitFailed
		}
		failAt := onceOptions{FailOn: rl.failOn}.failAt()
		for _, r := range results {
			if r.level >= failAt {
				return exitFailed
			}
		}
		return exitOK
	}

	var asciiSetting *bool
	asciiFrom := ""
	if rl.asciiSet {
		asciiSetting, asciiFrom = &rl.ascii, "--ascii"
	}
	ascii, glyphs := chooseGlyphs(asciiSetting, asciiFrom, getenv)
	color := rl.color
	if getenv("NO_COLOR") != "" {
		color = "none"
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		player.Run(stop)
		close(done)
	}()
	err = ui.Run(ui.Options{
		Engine: engine, Replay: player, ASCII: ascii, Glyphs: glyphs, Warnings: rec.Warnings,
	}, ui.ColorProfile(color, os.Stdout))
	close(stop)
	<-done
	if err != nil {
		fmt.Fprintf(stderr, "wamon: %v\n", err)
		return exitFailed
	}
	return exitOK
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
func engineResults(engine *monitor.Engine, at time.Time) []pollResult {
	results := make([]pollResult, engine.Len())
	for i := range results {
		st := engine.Status(i)
		r := pollResult{number: st.Number}
		switch {
		case st.Err != nil:
			r.err = st.Err
			r.snap.FetchedAt = st.ErrAt
		case st.Last != nil:
			r.snap = *st.Last
		default:
			r.err = &source.RecordedError{Kind: "other", Reason: "no poll",
				Line: "no poll of " + st.Number + " in the recording by " + at.UTC().Format(time.RFC3339)}
		}
		r.judge(engine.Thresholds())
		results[i] = r
	}
	return results
}
