// Package ui is the Bubble Tea console: the root model owns the poll loop and the
// numbers' state, and composes one pane per concern (header, queue chart, counter table,
// fleet overview, drill-down screens, footer). It never parses JSON: data comes from a
// source.Source as Snapshots and is kept in ui/history.
package ui

import (
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

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

	// For tests: the clock, the zone times are shown in, and where ctrl+s saves
	// (default: the working directory, else the temp directory).
	Now      func() time.Time
	Location *time.Location
	SaveDir  string
}

// frameRate caps redraws: enough for typing to feel instant, far below Bubble Tea's 60.
const frameRate = 15

// Run starts the console and blocks until the user quits.
func Run(opts Options) error {
	// The console waits on the network and the terminal; one processor does all its work
	// (500 numbers: keys answered in 0.13 ms at p99) and saves the scheduler spinning a
	// second thread awake on every timer: idle CPU 0.55% -> 0.35% of a core. GOMAXPROCS
	// in the environment still wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	lipgloss.SetColorProfile(ColorProfile(opts.Color))
	m := newModel(opts)
	m.bell = os.Stdout
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithFPS(frameRate))
	_, err := p.Run()
	m.cancel()
	return err
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
