package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/replay"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

// runReplay is wamon replay: the console over a recording, or its state at a moment.
func runReplay(rl replayLine, getenv func(string) string, stdout, stderr io.Writer) int {
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
	// A flag past an end of the recording is the one named, not the other flag, whose
	// default is that end.
	if from.After(rec.Last) {
		fmt.Fprintf(stderr, "wamon: --from: %q is %s, after the recording ends (%s)\n", rl.from, from.Format(time.RFC3339), rec.Last.Format(time.RFC3339))
		return exitUsage
	}
	if to.Before(rec.First) {
		fmt.Fprintf(stderr, "wamon: --to: %q is %s, before the recording starts (%s)\n", rl.to, to.Format(time.RFC3339), rec.First.Format(time.RFC3339))
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
