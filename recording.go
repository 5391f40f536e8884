package main

import (
	"log/slog"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/source"
)

// newEngine builds the engine the console and wamon serve run: recording every poll and
// event when cfg.Record, and then reloading its window from the recordings at Start.
// A recording that cannot be opened is a warning, not a stop: the engine runs without
// it. closeRecording writes out what is queued; call it after the engine stops.
func newEngine(cfg Config, src source.Source, logger *slog.Logger) (engine *monitor.Engine, closeRecording func(), warnings []string) {
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
