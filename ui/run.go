// Package ui is the Bubble Tea console over the engine (package monitor). A root model
// routes messages and composes a header, the screen on top of a stack, and a footer; each
// screen (main view, fleet overview, the drill-downs, help) is a component with its own
// Update, View, SetSize and key map, sharing one Context. The console reads the engine
// and never parses JSON or polls by itself.
package ui

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/wamon/wamon/monitor"
)

// Options is everything a console is built from.
type Options struct {
	Engine *monitor.Engine // read, never started or stopped by the console
	ASCII  bool            // draw only ASCII glyphs
	Glyphs string          // which glyphs and why, for the help screen
	// Profile is the colour profile of the terminal drawn on (an SSH session's own): the
	// theme picks each colour's hand-chosen form for it. Zero: truecolor, which the
	// program downsamples to its terminal.
	Profile colorprofile.Profile
	// ViewPause makes p freeze this console's screen instead of pausing the engine: a
	// console served to many viewers must not stop their polls.
	ViewPause bool
	// NoSave turns ctrl+s off: a console served over SSH must not write files on the
	// server's disk for its viewers.
	NoSave bool
	// Warnings are shown in the footer at start (e.g. a config file others can read).
	Warnings []string
	// ClockPhase is how long after each second this console's clock ticks (under a
	// second). Consoles served from one process tick apart: on the same instant, fifty of
	// them redraw a 500-number overview together, and a key typed then waits for all
	// of them.
	ClockPhase time.Duration
	// Mouse turns the mouse on: clicks and the wheel work the console, and shift+drag
	// selects text in most terminals. Off, the terminal keeps the mouse to itself.
	Mouse bool

	// Replay, when set, is the recording this console plays back (wamon replay): the
	// header shows REPLAY and its clock, and space, [ ], { } pause and move it.
	Replay Replay
	// Location is the zone times are shown in (default: local); SaveDir is where ctrl+s
	// saves (default: the working directory, else the temp directory).
	Location *time.Location
	SaveDir  string
}

// Replay is the control of a recording played back.
type Replay interface {
	// Status is how it plays: its speed ("×10", "max"), paused, at its end.
	Status() (speed string, paused, ended bool)
	TogglePause()
	Seek(d time.Duration) // back when negative
	ChangeSpeed(by int)   // a step faster (> 0) or slower (< 0)
}

// frameRate caps redraws: enough for typing to feel instant, far below Bubble Tea's 60.
const frameRate = 15

// ServedFrameRate caps the redraws of a console served over SSH (wamon serve). A key
// shows at the next frame, so a frame is the floor of a key's echo: at 15 a key typed
// between frames waited up to 67 ms (p99 72 ms with 50 sessions on 500 numbers); at
// 30, 33 ms (p99 39-41 ms). The price is an idle console's 15 extra wake-ups a second,
// each finding nothing new: 0.25% of a core on a 2-vCPU VM (one idle viewer 0.85%
// instead of 0.60%). Bubble Tea's renderer ticks at one fixed rate.
const ServedFrameRate = 30

// Run shows the console on this process's terminal until the user quits.
func Run(opts Options) error {
	return run(New(opts), opts.Engine.Filled(), opts.Replay != nil, opts.Profile)
}

// RunWaiting shows the waiting screen on this process's terminal, then the console over
// the numbers it finds, until the user quits.
func RunWaiting(opts WaitingOptions) error {
	filled := make(chan struct{})
	console := opts.Console
	opts.Console = func(numbers, warnings []string) (*Model, error) {
		m, err := console(numbers, warnings)
		if err == nil {
			go func() {
				<-m.ctx.Engine.Filled()
				close(filled)
			}()
		}
		return m, err
	}
	return run(NewWaiting(opts), filled, false, opts.Profile)
}

// run runs a program of model on the terminal. filled is closed once the engine has
// filled its window (nil: it has none to fill).
func run(model tea.Model, filled <-chan struct{}, replay bool, profile colorprofile.Profile) error {
	// The console waits on the network and the terminal; one processor does all its work
	// (500 numbers: keys answered in 0.13 ms at p99) and saves the scheduler spinning a
	// second thread awake on every timer: idle CPU 0.55% -> 0.35% of a core. GOMAXPROCS
	// in the environment still wins.
	// The reload of recordings at start decodes on every processor (50 numbers x 1 h:
	// 0.85 s on two, 0.8-1.5 s on one); one processor from when it is in.
	switch {
	case os.Getenv("GOMAXPROCS") != "":
	case replay:
		runtime.GOMAXPROCS(1) // a replay's engine is never started: nothing to fill
	default:
		go func() {
			<-filled
			runtime.GOMAXPROCS(1)
		}()
	}
	p := tea.NewProgram(model, tea.WithColorProfile(profile), tea.WithFPS(frameRate))
	// A hangup (the tmux pane closed, the SSH connection dropped) ends the console as q
	// does, so that whoever runs it stops cleanly: a recording is closed, not torn.
	// Bubble Tea handles SIGINT and SIGTERM itself.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-hup:
			p.Quit()
		case <-done:
		}
	}()
	_, err := p.Run()
	return err
}
