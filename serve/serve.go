// Package serve serves the console over SSH (wish): one engine, polled once, and a
// console of its own for every teammate who connects with an authorized key.
//
// The server is a door into a monitoring host, so it refuses more than it allows:
// public-key authentication only, against an authorized_keys file (re-read when it
// changes, or on Reload); no passwords, no keyboard-interactive, no exec, no subsystems,
// no forwarding; a PTY or a one-line refusal; a rate limit per address, a cap on
// sessions, and a handshake that must finish in time.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/activeterm"
	bm "charm.land/wish/v2/bubbletea"
	"charm.land/wish/v2/ratelimiter"
	"charm.land/wish/v2/recover"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"

	"github.com/charmbracelet/colorprofile"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/ui"
)

// Defaults of wamon serve.
const (
	DefaultListen      = "127.0.0.1:2222"
	DefaultMaxSessions = 32
	// DefaultHandshake is how long a client has to finish the SSH handshake.
	DefaultHandshake = 10 * time.Second
	// StopWithin bounds shutting down: sessions are told, then closed.
	StopWithin = 5 * time.Second
)

// Options configure a server.
type Options struct {
	Engine         *monitor.Engine // started and stopped by the caller
	Listen         string
	AuthorizedKeys string // path of an OpenSSH authorized_keys file
	HostKey        string // path of the host's private key; created (ed25519, 0600) if missing
	MaxSessions    int
	Handshake      time.Duration // default DefaultHandshake
	// Color forces a colour profile for every session ("truecolor", "256", "16", "none");
	// "auto" or "" takes each session's own from its TERM.
	Color string
	// Mouse lets each viewer's mouse work their console (clicks, the wheel).
	Mouse bool
	// Glyphs decides ASCII or Unicode for a session from its environment (TERM, and the
	// locale where the client forwarded it), and says why.
	Glyphs func(getenv func(string) string) (ascii bool, why string)
	Logger *slog.Logger
	// RateLimit and RateBurst bound new connections per client address, before their
	// handshake, and new sessions per client address (default 1 a second, bursts of
	// MaxSessions, 10 at least).
	RateLimit float64
	RateBurst int
	// PendingPerAddress and Pending cap the connections not yet authenticated, from one
	// address (default DefaultPendingPerAddress) and in all (default 2 x MaxSessions).
	PendingPerAddress int
	Pending           int
}

// DefaultPendingPerAddress is how many connections one address may have in their
// handshake at once.
const DefaultPendingPerAddress = 10

// Server is wamon serve's SSH server.
type Server struct {
	opts Options
	ssh  *ssh.Server
	keys *authorizedKeys
	log  *slog.Logger
	gate *gate
	// sessionRate is wish's rate limiter per address, for sessions: a connection may
	// open several (OpenSSH's ControlMaster).
	sessionRate ratelimiter.RateLimiter

	active     atomic.Int64 // sessions with a console
	opened     atomic.Int64 // consoles ever opened: each one's clock phase
	handshakes sync.Map     // remote address -> *handshake, until it authenticates or fails

	mu       sync.Mutex
	programs map[*tea.Program]struct{}
	open     map[*openSession]struct{} // sessions logged as started and not yet as ended
	stopping bool
	stop     chan struct{} // closed when Shutdown begins
	idle     chan struct{} // closed when the last session ends after Shutdown began
}

// New checks the options and builds the server. Without a usable authorized key it
// refuses: an SSH server without an auth handler lets everyone in.
func New(opts Options) (*Server, error) {
	if opts.Engine == nil {
		return nil, errors.New("serve: no engine")
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.Handshake <= 0 {
		opts.Handshake = DefaultHandshake
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Glyphs == nil {
		opts.Glyphs = func(func(string) string) (bool, string) { return false, "Unicode" }
	}
	if opts.RateLimit <= 0 {
		// A team behind one NAT connects from one address: a burst as large as the
		// sessions allowed, then one a second.
		opts.RateLimit, opts.RateBurst = 1, max(10, opts.MaxSessions)
	}
	if opts.PendingPerAddress <= 0 {
		opts.PendingPerAddress = DefaultPendingPerAddress
	}
	if opts.Pending <= 0 {
		opts.Pending = 2 * opts.MaxSessions
	}
	keys, err := loadAuthorizedKeys(opts.AuthorizedKeys)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(opts.HostKey), 0o700); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	s := &Server{
		opts: opts, keys: keys, log: opts.Logger, programs: map[*tea.Program]struct{}{}, open: map[*openSession]struct{}{}, stop: make(chan struct{}),
		gate:        newGate(rate.Limit(opts.RateLimit), opts.RateBurst, opts.PendingPerAddress, opts.Pending),
		sessionRate: ratelimiter.NewRateLimiter(rate.Limit(opts.RateLimit), opts.RateBurst, 1024),
	}
	srv, err := wish.NewServer(
		wish.WithAddress(opts.Listen),
		wish.WithHostKeyPath(opts.HostKey),
		wish.WithPublicKeyAuth(s.authorize),
		func(srv *ssh.Server) error {
			srv.ConnCallback = s.admit
			srv.ServerConfigCallback = s.serverConfig
			srv.ConnectionFailedCallback = s.handshakeFailed
			// No subsystems, no forwarding of any kind: only sessions.
			srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{}
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": sessionChannel}
			srv.RequestHandlers = map[string]ssh.RequestHandler{}
			srv.LocalPortForwardingCallback = nil
			srv.ReversePortForwardingCallback = nil
			return nil
		},
		// The last middleware runs first: the log sees every session, recover every panic.
		wish.WithMiddleware(
			recover.MiddlewareWithLogger(slogPrintf{s.log},
				s.console,
				activeterm.Middleware(),
				s.refuseCommands,
				s.limitSessions,
				s.limitRate,
			),
			s.closeConsole,
			s.logSession,
		),
	)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if fi, err := os.Stat(opts.HostKey); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("host key %s is readable by group or others (mode %04o); run: chmod 600 %s",
			opts.HostKey, fi.Mode().Perm(), opts.HostKey)
	}
	// Only ed25519 is offered (algorithms): a host key of another type, given through
	// --host-key, would bring its own algorithms (ssh-rsa, NIST-curve ECDSA) to the door.
	for _, signer := range srv.HostSigners {
		if t := signer.PublicKey().Type(); !slices.Contains(algorithms().HostKeys, t) {
			return nil, fmt.Errorf("host key %s is an %s key, and wamon serve's host key is ed25519; move it away to have one made, or make one: ssh-keygen -t ed25519 -N '' -f %s",
				opts.HostKey, t, opts.HostKey)
		}
	}
	s.ssh = srv
	return s, nil
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on the configured address.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("ssh listen: %w", err)
	}
	return s.Serve(ln)
}

// Reload reads the authorized keys again (SIGHUP). A file that cannot be used (empty,
// missing, unreadable, writable by others) admits nobody until it can: the error says
// why, and so does the log, in one line.
func (s *Server) Reload() error {
	err := s.keys.reload()
	s.logKeys("authorized keys reloaded", err)
	if err != nil {
		return fmt.Errorf("%w: nobody is admitted", err)
	}
	return nil
}

// logKeys logs the authorized keys just read: how many, or why nobody is admitted.
func (s *Server) logKeys(msg string, err error) {
	if err != nil {
		s.log.Warn("authorized keys: nobody is admitted", "reason", err.Error())
		return
	}
	s.log.Info(msg, "keys", s.keys.count())
}

// Sessions is how many consoles are open.
func (s *Server) Sessions() int { return int(s.active.Load()) }

// Shutdown tells every session the server is stopping and lets them close, then closes
// every connection left; whatever is still open when ctx ends is closed then, and its
// session's end is logged all the same. It returns ctx's error if it had to.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopping {
		close(s.stop)
	}
	s.stopping = true
	programs := make([]*tea.Program, 0, len(s.programs))
	for p := range s.programs {
		programs = append(programs, p)
	}
	idle := make(chan struct{})
	s.idle = idle
	s.closeIfIdle()
	s.mu.Unlock()
	// Each console is told on its own, without waiting: one whose client has stopped
	// reading is stuck writing to a full SSH window and takes no message until its
	// connection is closed (the goroutine ends with the program).
	for _, p := range programs {
		go p.Send(ui.StoppingMsg("wamon serve is stopping: this session closes now."))
	}
	// wish's Shutdown closes the listeners, then waits for the clients to close their
	// connections: one that keeps it (ssh -N beside a session, a ControlMaster, a client
	// stopped with its session already ended) would hold the stop to the deadline.
	clients, cancel := context.WithCancel(ctx)
	defer cancel()
	gone := make(chan error, 1)
	go func() { gone <- s.ssh.Shutdown(clients) }()
	select {
	case <-idle:
		// Every session has ended, its client told how: a client closes its
		// connection as its last session ends, and those that do not are closed.
		select {
		case err := <-gone:
			if err == nil {
				return nil
			}
		case <-time.After(lingerAfterSessions):
		}
	case <-ctx.Done():
		s.mu.Lock()
		left := make([]*openSession, 0, len(s.open))
		for o := range s.open {
			left = append(left, o)
		}
		s.mu.Unlock()
		s.log.Info("sessions closed at the deadline", "sessions", len(left), "error", ctx.Err().Error())
		for _, o := range left {
			s.logEnd(o, endedDeadline)
		}
		s.ssh.Close()
		return ctx.Err()
	}
	return s.ssh.Close()
}

// lingerAfterSessions is how long a stopping server waits, once every session has ended,
// for the clients to close their connections before it closes them.
const lingerAfterSessions = time.Second

// How a session ended when the server stopped, as logged: its console closed, or (its
// client not reading) its connection closed at the deadline.
const (
	endedStopping = "closed: server stopping"
	endedDeadline = "closed: server stopping, at the deadline"
)

// closeIfIdle closes idle once Shutdown has begun and no session is open. s.mu is held.
func (s *Server) closeIfIdle() {
	if s.stopping && len(s.open) == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// authorize admits a key that is in the authorized keys file, re-read when it changed.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	if changed, err := s.keys.refresh(); changed {
		s.logKeys("authorized keys changed", err)
	}
	if h, ok := ctx.Value(handshakeKey{}).(*handshake); ok {
		h.offered(key)
	}
	return s.keys.admits(key, ctx.RemoteAddr(), time.Now())
}

// refuseCommands ends a session that asks to run a command or a subsystem: there is only
// the console.
func (s *Server) refuseCommands(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if len(sess.Command()) > 0 || sess.Subsystem() != "" {
			ended(sess, "refused: a command")
			wish.Fatalf(sess, "wamon serve runs no commands: connect with a plain ssh\r\n")
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			ended(sess, "refused: no PTY") // activeterm, next, says so to the client
		}
		next(sess)
	}
}

// limitRate ends a session past the rate per address (wish's limiter) with one line.
func (s *Server) limitRate(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if err := s.sessionRate.Allow(sess); err != nil {
			ended(sess, refusedRate)
			wish.Fatalf(sess, "wamon serve: %v\r\n", err)
			return
		}
		next(sess)
	}
}

// limitSessions ends a session past MaxSessions with a one-line "server full".
func (s *Server) limitSessions(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if n := s.active.Add(1); n > int64(s.opts.MaxSessions) {
			s.active.Add(-1)
			ended(sess, "refused: server full")
			wish.Fatalf(sess, "wamon serve: server full (%d sessions); try again later\r\n", s.opts.MaxSessions)
			return
		}
		defer s.active.Add(-1)
		next(sess)
	}
}

// clockPhase spreads the consoles' once-a-second redraws over the second: the n-th
// console ticks at the fractional part of n times the golden ratio, so however many
// are open, no two tick close together and no instant has them all.
func clockPhase(n int64) time.Duration {
	_, frac := math.Modf(float64(n) * math.Phi)
	return time.Duration(frac * float64(time.Second))
}

// console runs a session's console (wish's bubbletea middleware, but for resizes): the
// session's window changes are taken as they come, the latest kept for the console.
// charmbracelet/ssh hands each on through a channel of one, and its request loop waits
// on it; behind that loop the connection's reader waits too, window updates included. A
// console that cannot take a resize at once (its client's window is full: a slow link)
// must not stop the connection, or it never hears that the client caught up.
func (s *Server) console(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		pty, changes, ok := sess.Pty()
		if !ok {
			wish.Fatalf(sess, "no active terminal, skipping\r\n")
			return
		}
		size := pty.Window
		if size.Width <= 0 || size.Height <= 0 {
			if size, ok = s.awaitSize(sess, size, changes); !ok {
				next(sess)
				return
			}
		}
		p := s.program(sess, size)
		if p == nil {
			next(sess)
			return
		}
		latest := make(chan tea.WindowSizeMsg, 1)
		ctx, cancel := context.WithCancel(sess.Context())
		go func() { // never waits on the console
			for {
				select {
				case <-ctx.Done():
					return
				case w, ok := <-changes:
					if !ok {
						return
					}
					if w.Width <= 0 || w.Height <= 0 {
						continue // no size: the console keeps the last it had
					}
					select {
					case <-latest: // superseded
					default:
					}
					latest <- tea.WindowSizeMsg{Width: w.Width, Height: w.Height}
				}
			}
		}()
		go func() {
			for {
				select {
				case <-ctx.Done():
					p.Quit()
					return
				case size := <-latest:
					p.Send(size)
				}
			}
		}()
		if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			s.log.Warn("console ended", "remote", sess.RemoteAddr().String(), "error", err.Error())
		}
		p.Kill() // restores the terminal if the console crashed
		cancel()
		if s.isStopping() {
			// The alternate screen is gone with the console: a last line stays on the
			// viewer's terminal, and the session ends with status 1, not the 0 of a
			// viewer who quit.
			ended(sess, endedStopping)
			fmt.Fprint(sess.Stderr(), "wamon serve stopped: this session is closed.\r\n")
			sess.Exit(1)
		}
		next(sess)
	}
}

// awaitSize holds a session whose terminal gave no size (a pty of 0x0: a client without
// a terminal of its own, or one that tells its size later) until it gives one: Bubble
// Tea draws nothing in no cells, so the note a small terminal gets is written as a line,
// on the terminal's own screen. It gives up when the session ends or the server stops.
func (s *Server) awaitSize(sess ssh.Session, w ssh.Window, changes <-chan ssh.Window) (ssh.Window, bool) {
	fmt.Fprintf(sess, "wamon serve: the terminal gave no size (%dx%d); the console needs %dx%d at least, and opens when the terminal tells its size.\r\n",
		w.Width, w.Height, ui.MinWidth, ui.MinHeight)
	for {
		select {
		case <-sess.Context().Done():
			return ssh.Window{}, false
		case <-s.stop:
			ended(sess, endedStopping)
			fmt.Fprint(sess.Stderr(), "wamon serve stopped: this session is closed.\r\n")
			sess.Exit(1)
			return ssh.Window{}, false
		case w, ok := <-changes:
			if !ok {
				return ssh.Window{}, false
			}
			if w.Width > 0 && w.Height > 0 {
				return w, true
			}
		}
	}
}

type consoleKey struct{}

// program builds a session's console: its own colour profile from its own TERM and
// environment, its own glyphs, screen stack, cursors, window and mouse; its title, bell
// and clipboard go to its own terminal, through its program's output. Pausing freezes
// that screen only.
func (s *Server) program(sess ssh.Session, size ssh.Window) *tea.Program {
	pty, _, _ := sess.Pty()
	env := append(sess.Environ(), "TERM="+pty.Term)
	getenv := func(k string) string { return source.Sanitize(environ(env).Getenv(k)) }
	// Forced by --color, else what its TERM says (TERM=screen or tmux without -256color
	// still shows 16 colours).
	profile := ui.Profile(s.opts.Color, sessionProfile(pty.Term, env), getenv("TERM"), false, getenv("NO_COLOR") != "")
	ascii, why := s.opts.Glyphs(getenv)
	m := ui.New(ui.Options{
		Engine: s.opts.Engine, ASCII: ascii, Glyphs: why, Profile: profile, ViewPause: true,
		NoSave: true, ClockPhase: clockPhase(s.opened.Add(1)), Mouse: s.opts.Mouse,
	})
	sess.Context().SetValue(consoleKey{}, m)
	// Signals are the server's (servecmd): a program of its own would take SIGTERM or
	// SIGINT sent to the server for itself and quit before the session is told why.
	p := tea.NewProgram(m, append(bm.MakeOptions(sess), tea.WithWindowSize(size.Width, size.Height), tea.WithColorProfile(profile),
		tea.WithFPS(ui.ServedFrameRate), tea.WithoutSignalHandler())...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil
	}
	s.programs[p] = struct{}{}
	sess.Context().SetValue(programKey{}, p)
	return p
}

type programKey struct{}

// sessionProfile is the colour profile a session's TERM and environment tell (COLORTERM
// where the client sent it, NO_COLOR); none without a terminal type.
func sessionProfile(term string, env []string) colorprofile.Profile {
	if term == "" || term == "dumb" {
		return colorprofile.Ascii
	}
	return colorprofile.Env(env)
}

// closeConsole lets go of a session's console when the session ends, however it ends:
// a client that drops leaves no reader behind on the engine.
func (s *Server) closeConsole(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		next(sess)
		if m, ok := sess.Context().Value(consoleKey{}).(*ui.Model); ok {
			m.Close()
		}
		if p, ok := sess.Context().Value(programKey{}).(*tea.Program); ok {
			s.mu.Lock()
			delete(s.programs, p)
			s.mu.Unlock()
		}
	}
}

// environ is a session's environment.
type environ []string

func (e environ) Getenv(k string) string {
	for _, kv := range e {
		if name, v, ok := strings.Cut(kv, "="); ok && name == k {
			return v
		}
	}
	return ""
}

// logSession logs every session: who, from where, with which key, for how long and how
// it ended. Names the client chose are sanitised.
func (s *Server) logSession(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		fp := ""
		if k := sess.PublicKey(); k != nil {
			fp = gossh.FingerprintSHA256(k)
		}
		o := &openSession{start: start, attrs: []any{"remote", sess.RemoteAddr().String(), "user", source.Truncate(sess.User(), 64), "key", fp}}
		s.log.Info("session start", o.attrs...)
		s.mu.Lock()
		s.open[o] = struct{}{}
		s.mu.Unlock()
		next(sess)
		end, _ := sess.Context().Value(endKey{}).(string)
		if end == "" {
			end = "closed"
			if sess.Context().Err() != nil {
				end = "disconnected"
			}
		}
		s.logEnd(o, end)
		s.mu.Lock()
		delete(s.open, o)
		s.closeIfIdle()
		s.mu.Unlock()
	}
}

// openSession is a session logged as started: its end is logged once, when its handler
// returns, or by Shutdown if it is still open at the deadline (a client that stopped
// reading holds its console until the connection is closed).
type openSession struct {
	start time.Time
	attrs []any
	once  sync.Once
}

func (s *Server) logEnd(o *openSession, how string) {
	o.once.Do(func() {
		s.log.Info("session end", append(o.attrs, "duration_s", time.Since(o.start).Seconds(), "ended", how)...)
	})
}

type endKey struct{}

// ended notes how a session ended, for its log line.
func ended(sess ssh.Session, how string) { sess.Context().SetValue(endKey{}, how) }

// slogPrintf lets recover log a panic through slog.
type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, v ...any) {
	p.l.Error("session panicked", "panic", fmt.Sprintf(format, v...))
}
