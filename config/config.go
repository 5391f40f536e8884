// Package config is wamon's configuration: its settings (each declared once, in
// settings.go, as a config-file key, a flag, or both), the config file (TOML, strictly
// decoded, every problem named by file, line and key), KALEYRA_API_KEY, NO_COLOR and
// the XDG directories, and the choices that follow from them (which source, whether to
// record, which glyphs). Every command reads it the same way: the console, wamon serve
// and wamon replay.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/record"
	"github.com/wamon/wamon/serve"
	"github.com/wamon/wamon/source"
)

// Config is wamon's resolved configuration: defaults, then the config file, then
// KALEYRA_API_KEY, then flags.
type Config struct {
	Path        string // the config file read; "" when there was none
	BaseURL     string
	APIKey      Secret
	Interval    time.Duration
	Timeout     time.Duration
	History     int // points kept per series
	Concurrency int // polls in flight at most
	MaxBody     int64
	Numbers     []string
	Color       string // auto | truecolor | 256 | 16 | none (NO_COLOR: none)
	Thresholds  monitor.Thresholds
	Mouse       bool   // clicks and the wheel work the console (each SSH viewer's their own)
	ASCII       bool   // ASCII glyphs only: asked for, or the terminal cannot draw more
	Glyphs      string // which glyphs and why, for the help screen
	// Source is where stats come from: Kaleyra (the API), Demo (the simulator) or
	// Prometheus (what wamon serve --metrics-listen exported, read back from a store).
	Source        string
	Demo          bool     // Source is Demo
	PrometheusURL string   // the Prometheus source's server; may hold user:password@
	LogPath       string   // --log: structured logs go there; "" for nowhere
	Warnings      []string // one line each, shown on stderr and logged

	// wamon serve: where the SSH server listens, where metrics are served, whom it
	// admits, its host key, how many sessions it holds at once.
	SSHListen      string // "" turns the SSH console off
	MetricsListen  string // "" for nowhere
	AuthorizedKeys string
	HostKey        string
	MaxSessions    int

	// Recording: every poll and event appended to segments in RecordDir (see record/),
	// reloaded at start. Record is resolved: on for the API unless set off; off for the
	// demo and Prometheus (which keeps its own history) unless set on.
	Record        bool
	RecordDir     string
	RecordKeep    time.Duration
	RecordMaxSize int64

	// given says which settings the file or a flag gave, and how (for the ascii
	// setting, the help screen quotes it): by key, or by flag name for flags alone.
	given map[string]string
	// asciiSetting is the ascii setting, where one was given.
	asciiSetting *bool
	// record is the record setting, where one was given.
	record *bool
}

// Secret keeps the API key out of every print: fmt, slog and encoders see a placeholder.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return `"[redacted]"` }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// The sources of the source setting.
const (
	Kaleyra    = "kaleyra"
	Demo       = "demo"
	Prometheus = "prometheus"
)

// Sources are the source setting's words.
var Sources = []string{Kaleyra, Demo, Prometheus}

// ColorModes are the color setting's words.
var ColorModes = []string{"auto", "truecolor", "256", "16", "none"}

// PrometheusInterval is the Prometheus source's interval when none is set: a store has
// nothing newer than its last scrape, 15 s apart by default (examples/prometheus.yml).
const PrometheusInterval = 15 * time.Second

// Default is the configuration before any file, environment or flag.
func Default() Config {
	return Config{
		BaseURL:       source.DefaultBaseURL,
		Interval:      monitor.DefaultInterval,
		Timeout:       monitor.DefaultTimeout,
		History:       monitor.DefaultHistory,
		Concurrency:   monitor.DefaultConcurrency,
		MaxBody:       source.DefaultMaxBody,
		Color:         "auto",
		Mouse:         true,
		Thresholds:    monitor.DefaultThresholds(),
		SSHListen:     serve.DefaultListen,
		MaxSessions:   serve.DefaultMaxSessions,
		PrometheusURL: source.DefaultPrometheusURL,
		RecordKeep:    record.DefaultKeep,
		RecordMaxSize: record.DefaultMaxSize,
	}
}

// Given says whether the file or a flag gave a setting, by its key (or, for a flag
// alone, its flag's name).
func (c Config) Given(name string) bool {
	_, ok := c.given[name]
	return ok
}

// Load resolves the configuration of a command: defaults, the config file (--config,
// else $XDG_CONFIG_HOME/wamon/config.toml; a missing default file means the demo),
// KALEYRA_API_KEY, then the flags the command line gave. Anything wrong is an error
// naming the flag, or the file, line and key.
func Load(cmd Command, given *Given, getenv func(string) string) (Config, error) {
	if given == nil {
		given = &Given{}
	}
	cfg := Default()
	cfg.given = map[string]string{}
	l := &loader{cfg: &cfg, getenv: getenv}

	path, explicit := configPath(given.ConfigPath, getenv)
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			cfg.Path = path
			if err := l.file(path, string(data)); err != nil {
				return Config{}, err
			}
			// What the file itself holds, before the environment adds a key.
			if w := permissionWarning(path, cfg.APIKey, "api_key"); w != "" {
				cfg.Warnings = append(cfg.Warnings, w)
			} else if w := permissionWarning(path, urlPassword(cfg.PrometheusURL), "a password in prometheus_url"); w != "" {
				cfg.Warnings = append(cfg.Warnings, w)
			}
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			// No config at the default place: the demo runs.
		default:
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	if key := getenv("KALEYRA_API_KEY"); key != "" {
		cfg.APIKey = Secret(key)
	}
	if cfg.AuthorizedKeys == "" {
		cfg.AuthorizedKeys = xdgPath(getenv, "XDG_CONFIG_HOME", ".config", "authorized_keys")
	}
	if cfg.HostKey == "" {
		cfg.HostKey = DefaultHostKey(getenv)
	}
	if cfg.RecordDir == "" {
		cfg.RecordDir = DefaultRecordDir(getenv)
	}
	if err := l.flags(cmd, given); err != nil {
		return Config{}, err
	}
	if err := cfg.resolve(cmd, getenv); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// resolve works out what follows from the settings: colour, glyphs, the source, the
// recording, the Prometheus interval, the numbers, and the warnings.
func (c *Config) resolve(cmd Command, getenv func(string) string) error {
	// https://no-color.org: present and not empty means no colour, whatever else was asked.
	if getenv("NO_COLOR") != "" {
		c.Color = "none"
	}
	c.ASCII, c.Glyphs = c.GlyphsFor(getenv)
	if cmd == Replay {
		return nil // a recording says where it came from
	}

	switch {
	case c.Source != "":
		// Asked for by --demo, --source, --prometheus-url or the file's source key.
	case c.Path == "" && !c.Given("base_url") && c.APIKey == "":
		c.Source = Demo
	default:
		c.Source = Kaleyra
	}
	c.Demo = c.Source == Demo
	c.Record = c.Source == Kaleyra
	if c.record != nil {
		c.Record = *c.record
	}
	if c.Record && c.Source == Prometheus {
		c.Record = false
		if c.record != nil {
			c.Warnings = append(c.Warnings, "record: the Prometheus source is not recorded (Prometheus keeps its history); record where wamon serve polls the API")
		}
	}
	if c.Source == Prometheus && !c.Given("interval") {
		// Asking more often than the store is scraped only reads the same poll again.
		c.Interval = PrometheusInterval
	}
	if len(c.Numbers) == 0 {
		switch c.Source {
		case Demo:
			c.Numbers = source.DemoNumbers()
		case Prometheus:
			// The numbers the store has: the console asks it.
		default:
			return errors.New("no numbers to watch: add numbers to the config file or pass --number")
		}
	}
	if c.Source == Kaleyra && c.APIKey == "" {
		c.Warnings = append(c.Warnings, "no API key: api_key is empty and KALEYRA_API_KEY is not set, so the API will refuse every poll")
	}
	return nil
}

// GlyphsFor decides between Unicode (braille charts, box drawing, arrows) and ASCII for
// a terminal of the environment getenv reads (each SSH session its own), and says why,
// for the help screen. The ascii setting, where given, decides.
func (c Config) GlyphsFor(getenv func(string) string) (ascii bool, why string) {
	if c.asciiSetting != nil {
		from := c.given["ascii"]
		if *c.asciiSetting {
			return true, "ASCII, as " + from + " asks"
		}
		return false, "Unicode, as " + from + " asks"
	}
	return chooseGlyphs(getenv)
}

// chooseGlyphs is Unicode, unless the locale (LC_ALL, else LC_CTYPE, else LANG) names a
// charset other than UTF-8, or TERM is a terminal that cannot draw it. A locale that is
// not set, or names no charset (C, POSIX), says nothing: sshd forwards LANG only where
// AcceptEnv allows it, and the operator's own terminal draws Unicode.
func chooseGlyphs(getenv func(string) string) (ascii bool, why string) {
	term := getenv("TERM")
	if term == "dumb" || term == "linux" || strings.HasPrefix(term, "vt") {
		return true, "ASCII: TERM=" + source.Sanitize(term) + " cannot draw braille or box drawing (--ascii=false draws them anyway)"
	}
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		v = source.Sanitize(v)
		charset := ""
		if i := strings.IndexByte(v, '.'); i >= 0 {
			charset, _, _ = strings.Cut(strings.ToLower(v[i+1:]), "@")
		}
		if charset != "" && charset != "utf-8" && charset != "utf8" {
			return true, "ASCII: " + name + "=" + v + " is not UTF-8 (--ascii=false draws Unicode anyway)"
		}
		return false, "Unicode (" + name + "=" + v + "; --ascii draws ASCII only)"
	}
	return false, "Unicode (no locale set; --ascii draws ASCII only)"
}

// DefaultRecordDir is where recordings go unless record_dir says otherwise:
// $XDG_STATE_HOME/wamon/recordings.
func DefaultRecordDir(getenv func(string) string) string {
	return xdgPath(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"), "recordings")
}

// DefaultHostKey is wamon serve's host key unless host_key says otherwise.
func DefaultHostKey(getenv func(string) string) string {
	return xdgPath(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"), "ssh_host_ed25519_key")
}
