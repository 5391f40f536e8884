package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Command is which of wamon's commands a flag belongs to.
type Command uint8

const (
	Console Command = 1 << iota // wamon, and wamon --once
	Serve                       // wamon serve
	Replay                      // wamon replay
)

// kind is how a flag's text is read, to the value a config file would give.
type kind uint8

const (
	text   kind = iota // a string
	whole              // a whole number
	toggle             // true or false; the flag alone means true
	list               // strings; the flag repeats
	table              // a TOML table: the file's only
)

// completion is what a shell should offer for a flag's value beyond its words.
type completion uint8

const (
	noFiles completion = iota
	anyFile
	dirs
)

// setting is one of wamon's settings, declared once: its config-file key and its flag
// (either may be empty), the commands that take the flag, how its value is read and
// checked, and where it goes in Config. A file's value and a flag's are checked by the
// same set, so each reads the same wherever it is given.
type setting struct {
	key   string     // the config file's key; "" for a flag alone
	flag  string     // the flag; "" for the file's alone
	cmds  Command    // the commands whose flag it is
	kind  kind       // how the flag's text is read
	usage string     // the flag's help; `NAME` names its value
	words []string   // the only values it takes, for checks and completion
	files completion // what else completion offers
	// get is the setting's value in a Config, for help's default and the docs' tests;
	// nil where a default says nothing (a path under an XDG directory).
	get func(c *Config) any
	// set checks a value (a TOML value, or a flag's read by kind) and puts it in Config.
	set func(l *loader, v any) error
}

// name is how a setting is named in given: its key, or its flag for a flag alone.
func (s *setting) name() string { return cmpOr(s.key, s.flag) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Bounds that catch a typo (an extra zero or three) before it costs memory.
const (
	minInterval    = time.Second
	maxTimeout     = 5 * time.Minute
	minHistory     = 10
	maxHistory     = 1_000_000
	maxConcurrency = 1024
	maxSessions    = 10000
	minMaxBody     = 1 << 10
	maxMaxBody     = 1 << 30
)

// Consoles are the commands that poll: wamon and wamon serve.
const consoles = Console | Serve

// settings are wamon's settings, in the order the help lists their flags.
var settings = []setting{
	{key: "", flag: "demo", cmds: consoles, kind: toggle, usage: "force the embedded simulator (the same as --source demo)",
		set: func(l *loader, v any) error {
			on, err := asBool(v)
			if err == nil && on {
				l.cfg.Source = Demo
			}
			return err
		}},
	{key: "source", flag: "source", cmds: consoles, kind: text, words: Sources,
		usage: "where stats come from: `NAME` kaleyra (the API), demo, or prometheus (what wamon serve exported, read back)",
		set: func(l *loader, v any) (err error) {
			l.cfg.Source, err = asWord(v, Sources)
			return err
		}},
	{key: "prometheus_url", flag: "prometheus-url", cmds: consoles, kind: text,
		usage: "read from the Prometheus (or any store that answers its API) at `URL`; implies --source prometheus; user:password@ for basic auth",
		get:   func(c *Config) any { return c.PrometheusURL },
		set: func(l *loader, v any) (err error) {
			l.cfg.PrometheusURL, err = asText(v, "a URL string", checkPrometheusURL)
			return err
		}},
	{key: "base_url", flag: "base-url", cmds: consoles, kind: text, usage: "the API at `URL`",
		get: func(c *Config) any { return c.BaseURL },
		set: func(l *loader, v any) (err error) {
			l.cfg.BaseURL, err = asText(v, "a URL string", checkBaseURL)
			return err
		}},
	{key: "api_key", cmds: consoles, kind: text, get: func(c *Config) any { return c.APIKey },
		set: func(l *loader, v any) error {
			key, err := asText(v, "a string", nil)
			l.cfg.APIKey = Secret(key)
			return err
		}},
	{key: "numbers", flag: "number", cmds: consoles, kind: list,
		usage: "a number to watch, as `+E164` (repeat the flag for more; replaces the config's list)",
		set: func(l *loader, v any) (err error) {
			l.cfg.Numbers, err = asNumbers(v)
			return err
		}},
	{key: "interval", flag: "interval", cmds: consoles, kind: text, usage: "poll each number every `DURATION`",
		get: func(c *Config) any { return c.Interval },
		set: func(l *loader, v any) (err error) {
			l.cfg.Interval, err = asDuration(v, checkInterval)
			return err
		}},
	{key: "timeout", cmds: consoles, kind: text, get: func(c *Config) any { return c.Timeout },
		set: func(l *loader, v any) (err error) {
			l.cfg.Timeout, err = asDuration(v, checkTimeout)
			return err
		}},
	{key: "history", flag: "history", cmds: consoles, kind: whole, usage: "keep `N` points per series",
		get: func(c *Config) any { return c.History },
		set: func(l *loader, v any) error {
			n, err := asWhole(v, minHistory, maxHistory)
			l.cfg.History = int(n)
			return err
		}},
	{key: "concurrency", flag: "concurrency", cmds: consoles, kind: whole, usage: "at most `N` polls in flight",
		get: func(c *Config) any { return c.Concurrency },
		set: func(l *loader, v any) error {
			n, err := asWhole(v, 1, maxConcurrency)
			l.cfg.Concurrency = int(n)
			return err
		}},
	{key: "max_body", cmds: consoles, kind: whole, get: func(c *Config) any { return c.MaxBody },
		set: func(l *loader, v any) (err error) {
			l.cfg.MaxBody, err = asWhole(v, minMaxBody, maxMaxBody)
			return err
		}},
	{key: "record", flag: "record", cmds: consoles, kind: toggle,
		usage: "record every poll and event, and reload them at start (default: on for the API; --record=false: off)",
		set: func(l *loader, v any) error {
			on, err := asBool(v)
			l.cfg.record = &on
			return err
		}},
	{key: "record_dir", flag: "record-dir", cmds: consoles | Replay, kind: text, files: dirs,
		usage: "recordings in `DIR` (default $XDG_STATE_HOME/wamon/recordings)",
		set: func(l *loader, v any) (err error) {
			l.cfg.RecordDir, err = l.asPath(v)
			return err
		}},
	{key: "record_keep", cmds: consoles, kind: text, get: func(c *Config) any { return c.RecordKeep },
		set: func(l *loader, v any) (err error) {
			l.cfg.RecordKeep, err = asKeep(v)
			return err
		}},
	{key: "record_max_size", cmds: consoles, kind: text, get: func(c *Config) any { return c.RecordMaxSize },
		set: func(l *loader, v any) (err error) {
			l.cfg.RecordMaxSize, err = asSize(v)
			return err
		}},
	{key: "color", flag: "color", cmds: consoles | Replay, kind: text, words: ColorModes,
		usage: "colour depth `MODE`: " + strings.Join(ColorModes, "|") + " (NO_COLOR: none)",
		get:   func(c *Config) any { return c.Color },
		set: func(l *loader, v any) (err error) {
			l.cfg.Color, err = asWord(v, ColorModes)
			return err
		}},
	{key: "mouse", flag: "mouse", cmds: consoles | Replay, kind: toggle,
		usage: "clicks and the wheel work the console (--mouse=false leaves the mouse to the terminal, to select text)",
		get:   func(c *Config) any { return c.Mouse },
		set: func(l *loader, v any) (err error) {
			l.cfg.Mouse, err = asBool(v)
			return err
		}},
	{key: "ascii", flag: "ascii", cmds: consoles | Replay, kind: toggle, usage: "ASCII glyphs only (--ascii=false: never)",
		set: func(l *loader, v any) error {
			on, err := asBool(v)
			l.cfg.asciiSetting = &on
			return err
		}},
	{flag: "log", cmds: consoles, kind: text, files: anyFile, usage: "structured logs (JSON) to `FILE`; nothing is logged to the screen",
		set: func(l *loader, v any) (err error) {
			l.cfg.LogPath, err = l.asPath(v)
			return err
		}},
	{key: "ssh_listen", flag: "ssh-listen", cmds: Serve, kind: text, usage: "serve the console over SSH at `ADDRESS` (\"\": not at all)",
		get: func(c *Config) any { return c.SSHListen },
		set: func(l *loader, v any) (err error) {
			l.cfg.SSHListen, err = asText(v, `an address such as "127.0.0.1:2222", or "" for none`, checkListenOrOff)
			return err
		}},
	{key: "metrics_listen", flag: "metrics-listen", cmds: Serve, kind: text,
		usage: "serve Prometheus metrics at `ADDRESS`, e.g. 127.0.0.1:9464 (default: not at all)",
		set: func(l *loader, v any) (err error) {
			l.cfg.MetricsListen, err = asText(v, `an address such as "127.0.0.1:9464", or "" for none`, checkListenOrOff)
			return err
		}},
	{key: "authorized_keys", flag: "authorized-keys", cmds: Serve, kind: text, files: anyFile,
		usage: "admit the public keys in `FILE` (default $XDG_CONFIG_HOME/wamon/authorized_keys)",
		set: func(l *loader, v any) (err error) {
			l.cfg.AuthorizedKeys, err = l.asPath(v)
			return err
		}},
	{key: "host_key", flag: "host-key", cmds: Serve, kind: text, files: anyFile,
		usage: "the server's private key `FILE`, made on first start (default $XDG_STATE_HOME/wamon/ssh_host_ed25519_key)",
		set: func(l *loader, v any) (err error) {
			l.cfg.HostKey, err = l.asPath(v)
			return err
		}},
	{key: "max_sessions", flag: "max-sessions", cmds: Serve, kind: whole, usage: "at most `N` sessions at once",
		get: func(c *Config) any { return c.MaxSessions },
		set: func(l *loader, v any) error {
			n, err := asWhole(v, 1, maxSessions)
			l.cfg.MaxSessions = int(n)
			return err
		}},
	{key: "thresholds", cmds: consoles | Replay, kind: table,
		set: func(l *loader, v any) (err error) {
			l.cfg.Thresholds, err = asThresholds(v)
			return err
		}},
}

// byKey is the setting of a config file's key, or nil.
func byKey(key string) *setting {
	i := slices.IndexFunc(settings, func(s setting) bool { return s.key == key && key != "" })
	if i < 0 {
		return nil
	}
	return &settings[i]
}

// Keys are the config file's keys, in the order settings declares them.
func Keys() []string {
	var keys []string
	for _, s := range settings {
		if s.key != "" {
			keys = append(keys, s.key)
		}
	}
	return keys
}

// DefaultOf is a config file key's default, as the file would write it ("5s", 720,
// "auto"), and whether it has one to show.
func DefaultOf(key string) (any, bool) {
	s := byKey(key)
	if s == nil || s.get == nil {
		return nil, false
	}
	def := Default()
	switch v := s.get(&def).(type) {
	case time.Duration:
		return shortDuration(v), true
	case Secret:
		return string(v), true
	default:
		return v, true
	}
}

// shortDuration writes a duration as a person would: 5s, 10s, 168h (not 5m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// usageDefault is how a flag's help shows its default ("" for none to show).
func (s *setting) usageDefault() string {
	if s.get == nil || s.kind == toggle {
		return ""
	}
	def := Default()
	switch v := s.get(&def).(type) {
	case time.Duration:
		return shortDuration(v)
	default:
		return fmt.Sprint(v)
	}
}

// Completion is what a shell may offer for a setting's flag: the words it takes, else
// file names (files) or directories (dirs), else nothing. ok is false for a flag that is
// no setting's.
func Completion(flag string) (words []string, files, directories, ok bool) {
	i := slices.IndexFunc(settings, func(s setting) bool { return s.flag == flag && flag != "" })
	if i < 0 {
		return nil, false, false, false
	}
	s := settings[i]
	return s.words, s.files == anyFile, s.files == dirs, true
}
