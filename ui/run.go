// Package ui is the Bubble Tea console. STUB: being implemented.
package ui

import (
	"log/slog"
	"time"

	"github.com/wamon/wamon/source"
)

// Threshold colours a value (Warn) and rings the bell once when it crosses Critical.
type Threshold struct {
	Warn, Critical float64
}

// ColorMode is the --color setting.
type ColorMode string

const (
	ColorAuto      ColorMode = "auto"
	ColorTrueColor ColorMode = "truecolor"
	Color256       ColorMode = "256"
	Color16        ColorMode = "16"
	ColorNone      ColorMode = "none"
)

// Options is everything main hands to the console.
type Options struct {
	Source      source.Source
	Numbers     []string
	Interval    time.Duration
	Timeout     time.Duration
	History     int                  // points kept per series
	Concurrency int                  // polls in flight at most (default 16)
	Thresholds  map[string]Threshold // "callback_queue_size", "failure_ratio", or any metric name
	Color       ColorMode
	ASCII       bool
	Logger      *slog.Logger // never nil; discards when --log is not given
	Version     string
}

// Run starts the console and blocks until the user quits.
func Run(opts Options) error { return nil }
