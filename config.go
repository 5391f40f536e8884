package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

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
	APIKey      secret
	Interval    time.Duration
	Timeout     time.Duration
	History     int // points kept per series
	Concurrency int // polls in flight at most
	MaxBody     int64
	Numbers     []string
	Color       string // auto | truecolor | 256 | 16 | none
	Thresholds  monitor.Thresholds
	ASCII       bool   // ASCII glyphs only: asked for, or the terminal cannot draw more
	Glyphs      string // which glyphs and why, for the help screen
	Demo        bool   // poll the embedded simulator instead of the API
	// Source is where stats come from: "kaleyra" (the API), "demo" (the simulator) or
	// "prometheus" (what wamon serve --metrics-listen exported, read back from Prometheus).
	Source        string
	PrometheusURL string   // the Prometheus source's server; may hold user:password@
	Warnings      []string // one line each, shown on stderr and logged

	// wamon serve: where the SSH server listens, whom it admits, its host key, how many
	// sessions it holds at once.
	SSHListen      string // "" turns the SSH console off
	MetricsListen  string // where /metrics is served; "" for nowhere
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

	// The record setting, if the file or a flag gave one.
	recordSetting *bool
	// The ascii setting, if the file or a flag gave one, and where from.
	asciiSetting *bool
	asciiFrom    string
	intervalSet  bool // the file or a flag set the interval
}

// secret keeps the API key out of every print: fmt, slog and encoders see a placeholder.
type secret string

func (secret) String() string               { return "[redacted]" }
func (secret) GoString() string             { return `"[redacted]"` }
func (secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Colour modes of --color and the color key.
var colorModes = []string{"auto", "truecolor", "256", "16", "none"}

const (
	minInterval = time.Second
	maxTimeout  = 5 * time.Minute
	minHistory  = 10
	// Bounds that catch a typo (an extra zero or three) before it costs memory.
	maxHistory     = 1_000_000
	maxConcurrency = 1024
	maxSessions    = 10000
	minMaxBody     = 1 << 10
	maxMaxBody     = 1 << 30
)

func defaultConfig() Config {
	return Config{
		BaseURL:       source.DefaultBaseURL,
		Interval:      monitor.DefaultInterval,
		Timeout:       monitor.DefaultTimeout,
		History:       monitor.DefaultHistory,
		Concurrency:   monitor.DefaultConcurrency,
		MaxBody:       source.DefaultMaxBody,
		Color:         "auto",
		Thresholds:    monitor.DefaultThresholds(),
		SSHListen:     serve.DefaultListen,
		MaxSessions:   serve.DefaultMaxSessions,
		PrometheusURL: source.DefaultPrometheusURL,
		RecordKeep:    record.DefaultKeep,
		RecordMaxSize: record.DefaultMaxSize,
	}
}

// cliFlags is what the command line said; set names the flags actually given, since only
// those override the config file.
type cliFlags struct {
	configPath  string
	demo        bool
	baseURL     string
	numbers     []string
	interval    time.Duration
	color       string
	history     int
	concurrency int
	once, json  bool
	ascii       bool
	logPath     string
	version     bool
	set         map[string]bool

	// wamon serve
	sshListen      string
	metricsListen  string
	authorizedKeys string

	source        string // --source
	prometheusURL string // --prometheus-url
	record        bool   // --record
	recordDir     string // --record-dir
	hostKey       string
	maxSessions   int
}

// loadConfig resolves the configuration. A missing default config file means the demo;
// anything wrong in a file or a flag is an error naming the key (and, in a file, the line).
func loadConfig(cli cliFlags, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()

	path, explicit := configPath(cli.configPath, getenv)
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			cfg.Path = path
			if err := applyFile(&cfg, path, string(data)); err != nil {
				return Config{}, err
			}
			if w := permissionWarning(path, cfg.APIKey); w != "" {
				cfg.Warnings = append(cfg.Warnings, w)
			} else if w := permissionWarning(path, urlPassword(cfg.PrometheusURL)); w != "" {
				cfg.Warnings = append(cfg.Warnings, strings.Replace(w, "holds api_key", "holds a password in prometheus_url", 1))
			}
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			// No config at the default place: the demo runs.
		default:
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}

	if key := getenv("KALEYRA_API_KEY"); key != "" {
		cfg.APIKey = secret(key)
	}
	if cfg.AuthorizedKeys == "" {
		cfg.AuthorizedKeys = xdgPath(getenv, "XDG_CONFIG_HOME", ".config", "authorized_keys")
	}
	if cfg.HostKey == "" {
		cfg.HostKey = xdgPath(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"), "ssh_host_ed25519_key")
	}
	if cfg.RecordDir == "" {
		cfg.RecordDir = xdgPath(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"), "recordings")
	}
	if err := applyFlags(&cfg, cli); err != nil {
		return Config{}, err
	}
	// https://no-color.org: present and not empty means no colour, whatever else was asked.
	if getenv("NO_COLOR") != "" {
		cfg.Color = "none"
	}
	if cli.set["ascii"] {
		cfg.asciiSetting, cfg.asciiFrom = &cli.ascii, "--ascii"
		if !cli.ascii {
			cfg.asciiFrom = "--ascii=false"
		}
	}
	cfg.ASCII, cfg.Glyphs = chooseGlyphs(cfg.asciiSetting, cfg.asciiFrom, getenv)

	switch {
	case cli.demo:
		cfg.Source = sourceDemo
	case cfg.Source != "":
		// Asked for by --source, --prometheus-url or the file's source key.
	case cfg.Path == "" && !cli.set["base-url"] && cfg.APIKey == "":
		cfg.Source = sourceDemo
	default:
		cfg.Source = sourceKaleyra
	}
	cfg.Demo = cfg.Source == sourceDemo
	cfg.Record = cfg.Source == sourceKaleyra
	if cfg.recordSetting != nil {
		cfg.Record = *cfg.recordSetting
	}
	if cfg.Record && cfg.Source == sourcePrometheus {
		cfg.Record = false
		if cfg.recordSetting != nil {
			cfg.Warnings = append(cfg.Warnings, "record: the Prometheus source is not recorded (Prometheus keeps its history); record where wamon serve polls the API")
		}
	}
	if cfg.Source == sourcePrometheus && !cfg.intervalSet {
		// Prometheus has nothing newer than its last scrape, 15 s apart by default
		// (examples/prometheus.yml): asking more often only reads the same poll again.
		cfg.Interval = prometheusInterval
	}
	if len(cfg.Numbers) == 0 {
		switch cfg.Source {
		case sourceDemo:
			cfg.Numbers = source.DemoNumbers()
		case sourcePrometheus:
			// The numbers Prometheus has: main asks it.
		default:
			return Config{}, errors.New("no numbers to watch: add numbers to the config file or pass --number")
		}
	}
	return cfg, nil
}

// The sources of the source key and --source.
const (
	sourceKaleyra    = "kaleyra"
	sourceDemo       = "demo"
	sourcePrometheus = "prometheus"
)

var sourceNames = []string{sourceKaleyra, sourceDemo, sourcePrometheus}

// prometheusInterval is the Prometheus source's interval when none is set.
const prometheusInterval = 15 * time.Second

// urlPassword is the password in a URL, as a secret, or "".
func urlPassword(s string) secret {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return secret(pw)
}

// configPath is --config, else $XDG_CONFIG_HOME/wamon/config.toml (XDG's default being
// ~/.config). explicit says the user named the file, so it must exist.
func configPath(flagPath string, getenv func(string) string) (path string, explicit bool) {
	if flagPath != "" {
		return flagPath, true
	}
	dir := getenv("XDG_CONFIG_HOME")
	// The XDG spec says a relative value is invalid and must be ignored.
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "wamon", "config.toml"), false
}

// permissionWarning flags an API key that other local users can read.
func permissionWarning(path string, key secret) string {
	if key == "" {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds api_key and is readable by group or others (mode %04o); run: chmod 600 %s",
		path, fi.Mode().Perm(), path)
}

// chooseGlyphs decides between Unicode (braille charts, box drawing, arrows) and ASCII,
// and says why for the help screen. A setting (--ascii, ascii in the config) forces
// either. Otherwise Unicode, unless the locale (LC_ALL, else LC_CTYPE, else LANG) names a
// charset other than UTF-8, or TERM is a terminal that cannot draw it. A locale that is
// not set, or names no charset (C, POSIX), says nothing: sshd forwards LANG only where
// AcceptEnv allows it, and the operator's own terminal draws Unicode.
func chooseGlyphs(setting *bool, from string, getenv func(string) string) (ascii bool, why string) {
	if setting != nil {
		if *setting {
			return true, "ASCII, as " + from + " asks"
		}
		return false, "Unicode, as " + from + " asks"
	}
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

// applyFlags lays the flags given on the command line over cfg, checked like file values.
func applyFlags(cfg *Config, cli cliFlags) error {
	check := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		return nil
	}
	if cli.set["base-url"] {
		if err := check("base-url", checkBaseURL(cli.baseURL)); err != nil {
			return err
		}
		cfg.BaseURL = cli.baseURL
	}
	if cli.set["number"] {
		if err := check("number", checkNumbers(cli.numbers)); err != nil {
			return err
		}
		cfg.Numbers = slices.Clone(cli.numbers)
	}
	if cli.set["interval"] {
		if err := check("interval", checkInterval(cli.interval)); err != nil {
			return err
		}
		cfg.Interval = cli.interval
		cfg.intervalSet = true
	}
	if cli.set["source"] {
		if err := check("source", checkSource(cli.source)); err != nil {
			return err
		}
		cfg.Source = cli.source
	}
	if cli.set["prometheus-url"] {
		if err := check("prometheus-url", checkPrometheusURL(cli.prometheusURL)); err != nil {
			return err
		}
		cfg.PrometheusURL = cli.prometheusURL
		if !cli.set["source"] {
			cfg.Source = sourcePrometheus // the flag says where to read from, and so what
		}
	}
	if cli.set["color"] {
		if err := check("color", checkColor(cli.color)); err != nil {
			return err
		}
		cfg.Color = cli.color
	}
	if cli.set["history"] {
		if err := check("history", checkRange(int64(cli.history), minHistory, maxHistory)); err != nil {
			return err
		}
		cfg.History = cli.history
	}
	if cli.set["concurrency"] {
		if err := check("concurrency", checkRange(int64(cli.concurrency), 1, maxConcurrency)); err != nil {
			return err
		}
		cfg.Concurrency = cli.concurrency
	}
	if cli.set["ssh-listen"] {
		if err := check("ssh-listen", checkListenOrOff(cli.sshListen)); err != nil {
			return err
		}
		cfg.SSHListen = cli.sshListen
	}
	if cli.set["metrics-listen"] {
		if err := check("metrics-listen", checkListenOrOff(cli.metricsListen)); err != nil {
			return err
		}
		cfg.MetricsListen = cli.metricsListen
	}
	if cli.set["authorized-keys"] {
		cfg.AuthorizedKeys = cli.authorizedKeys
	}
	if cli.set["host-key"] {
		cfg.HostKey = cli.hostKey
	}
	if cli.set["record"] {
		cfg.recordSetting = &cli.record
	}
	if cli.set["record-dir"] {
		if cli.recordDir == "" {
			return errors.New("--record-dir: want a directory")
		}
		cfg.RecordDir = cli.recordDir
	}
	if cli.set["max-sessions"] {
		if err := check("max-sessions", checkRange(int64(cli.maxSessions), 1, maxSessions)); err != nil {
			return err
		}
		cfg.MaxSessions = cli.maxSessions
	}
	return nil
}

// xdgPath is $DIR/wamon/name for an XDG base directory variable, or ~/fallback/wamon/name
// where it is unset (or, as the spec says to ignore it, relative).
func xdgPath(getenv func(string) string, variable, fallback, name string) string {
	dir := getenv(variable)
	if dir == "" || !filepath.IsAbs(dir) {
		dir = filepath.Join(getenv("HOME"), fallback)
	}
	return filepath.Join(dir, "wamon", name)
}

// fileConfig is the file's shape. Every setting checks its own value while the TOML is
// decoded, and keeps the problem instead of stopping, so that the problem reported first
// is the one highest in the file, whatever order the decoder visits keys in.
type fileConfig struct {
	BaseURL     setting[string]                  `toml:"base_url"`
	APIKey      setting[secret]                  `toml:"api_key"`
	Interval    setting[time.Duration]           `toml:"interval"`
	Timeout     setting[time.Duration]           `toml:"timeout"`
	History     setting[int]                     `toml:"history"`
	Concurrency setting[int]                     `toml:"concurrency"`
	MaxBody     setting[int64]                   `toml:"max_body"`
	Numbers     setting[[]string]                `toml:"numbers"`
	Color       setting[string]                  `toml:"color"`
	ASCII       setting[bool]                    `toml:"ascii"`
	SSHListen   setting[string]                  `toml:"ssh_listen"`
	MetricsAt   setting[string]                  `toml:"metrics_listen"`
	AuthKeys    setting[string]                  `toml:"authorized_keys"`
	HostKey     setting[string]                  `toml:"host_key"`
	MaxSessions setting[int]                     `toml:"max_sessions"`
	Thresholds  setting[map[string]thresholdSet] `toml:"thresholds"`
	Source      setting[string]                  `toml:"source"`
	PromURL     setting[string]                  `toml:"prometheus_url"`
	Record      setting[bool]                    `toml:"record"`
	RecordDir   setting[string]                  `toml:"record_dir"`
	RecordKeep  setting[time.Duration]           `toml:"record_keep"`
	RecordMax   setting[int64]                   `toml:"record_max_size"`
}

func newFileConfig() *fileConfig {
	return &fileConfig{
		BaseURL:     setting[string]{parse: parseBaseURL},
		APIKey:      setting[secret]{parse: parseAPIKey},
		Interval:    setting[time.Duration]{parse: durationParser(checkInterval)},
		Timeout:     setting[time.Duration]{parse: durationParser(checkTimeout)},
		History:     setting[int]{parse: intParser(minHistory, maxHistory)},
		Concurrency: setting[int]{parse: intParser(1, maxConcurrency)},
		MaxBody:     setting[int64]{parse: int64Parser(minMaxBody, maxMaxBody)},
		Numbers:     setting[[]string]{parse: parseNumbers},
		Color:       setting[string]{parse: parseColor},
		ASCII:       setting[bool]{parse: parseBool},
		SSHListen:   setting[string]{parse: parseListenOrOff},
		MetricsAt:   setting[string]{parse: parseListenOrOff},
		AuthKeys:    setting[string]{parse: parsePath},
		HostKey:     setting[string]{parse: parsePath},
		MaxSessions: setting[int]{parse: intParser(1, maxSessions)},
		Thresholds:  setting[map[string]thresholdSet]{parse: parseThresholds},
		Source:      setting[string]{parse: stringParser(checkSource)},
		PromURL:     setting[string]{parse: stringParser(checkPrometheusURL)},
		Record:      setting[bool]{parse: parseBool},
		RecordDir:   setting[string]{parse: parsePath},
		RecordKeep:  setting[time.Duration]{parse: parseKeep},
		RecordMax:   setting[int64]{parse: parseSize},
	}
}

// setting is one key of the file. The decoder hands it the raw TOML value.
type setting[T any] struct {
	parse func(any) (T, error)
	value T
	set   bool
	err   error
}

func (s *setting[T]) UnmarshalTOML(v any) error {
	s.value, s.err = s.parse(v)
	s.set = s.err == nil
	return nil
}

func (s *setting[T]) apply(dst *T) {
	if s.set {
		*dst = s.value
	}
}

// subKeyError is a problem below a setting's own key, e.g. thresholds.failure_ratio.warn.
type subKeyError struct {
	sub toml.Key
	err error
}

func (e *subKeyError) Error() string { return e.sub.String() + ": " + e.err.Error() }

// problem is one thing wrong in the file, placed so the first in the file is reported.
type problem struct {
	key  toml.Key
	line int
	msg  string
}

// applyFile decodes a config file's text over cfg. Errors read
// `config.toml:7: unknown key "intervall"` or `config.toml:3: interval: "5x" is not a duration`.
func applyFile(cfg *Config, path, text string) error {
	fc := newFileConfig()
	md, err := toml.Decode(text, fc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}

	var problems []problem
	add := func(key toml.Key, msg string) {
		problems = append(problems, problem{key: key, line: keyLine(text, key), msg: msg})
	}
	for _, k := range unknownKeys(md) {
		add(k, fmt.Sprintf("unknown key %q", k.String()))
	}
	for name, err := range fc.errors() {
		key := toml.Key{name}
		if se, ok := errors.AsType[*subKeyError](err); ok {
			key = append(key, se.sub...)
		}
		add(key, key.String()+": "+errMessage(err))
	}

	thresholds := monitor.DefaultThresholds()
	if fc.Thresholds.set {
		for name, ts := range fc.Thresholds.value {
			t, err := ts.resolve(name, thresholds[name])
			if err != nil {
				key := toml.Key{"thresholds", name}
				add(key, key.String()+": "+err.Error())
				continue
			}
			thresholds[name] = t
		}
	}

	if len(problems) > 0 {
		p := slices.MinFunc(problems, func(a, b problem) int {
			return cmp.Or(cmp.Compare(lineOrLast(a.line), lineOrLast(b.line)), cmp.Compare(a.key.String(), b.key.String()))
		})
		if p.line == 0 {
			return fmt.Errorf("%s: %s", path, p.msg)
		}
		return fmt.Errorf("%s:%d: %s", path, p.line, p.msg)
	}

	fc.BaseURL.apply(&cfg.BaseURL)
	fc.APIKey.apply(&cfg.APIKey)
	fc.Interval.apply(&cfg.Interval)
	fc.Timeout.apply(&cfg.Timeout)
	fc.History.apply(&cfg.History)
	fc.Concurrency.apply(&cfg.Concurrency)
	fc.MaxBody.apply(&cfg.MaxBody)
	fc.Numbers.apply(&cfg.Numbers)
	fc.Color.apply(&cfg.Color)
	fc.SSHListen.apply(&cfg.SSHListen)
	fc.MetricsAt.apply(&cfg.MetricsListen)
	fc.AuthKeys.apply(&cfg.AuthorizedKeys)
	fc.HostKey.apply(&cfg.HostKey)
	fc.MaxSessions.apply(&cfg.MaxSessions)
	fc.Source.apply(&cfg.Source)
	fc.PromURL.apply(&cfg.PrometheusURL)
	fc.RecordDir.apply(&cfg.RecordDir)
	fc.RecordKeep.apply(&cfg.RecordKeep)
	fc.RecordMax.apply(&cfg.RecordMaxSize)
	if fc.Record.set {
		cfg.recordSetting = &fc.Record.value
	}
	cfg.intervalSet = fc.Interval.set
	if fc.ASCII.set {
		cfg.asciiSetting, cfg.asciiFrom = &fc.ASCII.value, fmt.Sprintf("ascii = %v in %s", fc.ASCII.value, filepath.Base(path))
	}
	cfg.Thresholds = thresholds
	return nil
}

// errMessage is an error's text without the sub-key prefix, which the caller already put
// into the key.
func errMessage(err error) string {
	if se, ok := errors.AsType[*subKeyError](err); ok {
		return se.err.Error()
	}
	return err.Error()
}

func lineOrLast(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// errors lists the settings whose value was refused, by key.
func (fc *fileConfig) errors() map[string]error {
	all := map[string]error{
		"base_url":        fc.BaseURL.err,
		"api_key":         fc.APIKey.err,
		"interval":        fc.Interval.err,
		"timeout":         fc.Timeout.err,
		"history":         fc.History.err,
		"concurrency":     fc.Concurrency.err,
		"max_body":        fc.MaxBody.err,
		"numbers":         fc.Numbers.err,
		"color":           fc.Color.err,
		"ssh_listen":      fc.SSHListen.err,
		"metrics_listen":  fc.MetricsAt.err,
		"authorized_keys": fc.AuthKeys.err,
		"host_key":        fc.HostKey.err,
		"max_sessions":    fc.MaxSessions.err,
		"ascii":           fc.ASCII.err,
		"thresholds":      fc.Thresholds.err,
		"source":          fc.Source.err,
		"prometheus_url":  fc.PromURL.err,
		"record":          fc.Record.err,
		"record_dir":      fc.RecordDir.err,
		"record_keep":     fc.RecordKeep.err,
		"record_max_size": fc.RecordMax.err,
	}
	for k, err := range all {
		if err == nil {
			delete(all, k)
		}
	}
	return all
}

var knownKeys = []string{"base_url", "api_key", "interval", "timeout", "history", "concurrency",
	"max_body", "numbers", "color", "ascii", "thresholds", "ssh_listen", "metrics_listen", "authorized_keys", "host_key", "max_sessions",
	"source", "prometheus_url", "record", "record_dir", "record_keep", "record_max_size"}

// unknownKeys are the file's keys wamon does not read. TOML keys are case-sensitive, but
// the decoder matches struct fields case-insensitively, so top-level keys are checked
// exactly here too.
func unknownKeys(md toml.MetaData) []toml.Key {
	unknown := md.Undecoded()
	for _, k := range md.Keys() {
		if len(k) == 1 && !slices.Contains(knownKeys, k[0]) && !slices.ContainsFunc(unknown, func(u toml.Key) bool {
			return u.String() == k.String()
		}) {
			unknown = append(unknown, k)
		}
	}
	return unknown
}

// keyLine finds the line (from 1) where key is defined: as a [table] header, a key = value
// line inside its table, or inside an inline table on such a line. 0 when not found.
// The TOML decoder does not expose key positions, so this reads the text; it is enough for
// a flat config file.
func keyLine(text string, key toml.Key) int {
	var table toml.Key
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(stripComment(raw))
		if strings.HasPrefix(line, "[") {
			table = splitKey(strings.Trim(line, "[] \t"))
			if slices.Equal(table, key) {
				return i + 1
			}
			continue
		}
		lhs, rhs, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		path := append(slices.Clone(table), splitKey(lhs)...)
		if slices.Equal(path, key) {
			return i + 1
		}
		if len(key) > len(path) && slices.Equal(key[:len(path)], path) && inlineTableHas(rhs, key[len(path):]) {
			return i + 1
		}
	}
	return 0
}

// inlineTableHas reports whether an inline table `{ a = 1, b = { c = 2 } }` assigns rest.
func inlineTableHas(rhs string, rest toml.Key) bool {
	name := rest[len(rest)-1]
	for _, sep := range []string{"{", ","} {
		for _, part := range strings.Split(rhs, sep)[1:] {
			lhs, _, ok := strings.Cut(part, "=")
			if ok && slices.Contains(splitKey(lhs), name) {
				return true
			}
		}
	}
	return false
}

func splitKey(s string) toml.Key {
	var k toml.Key
	for _, part := range strings.Split(s, ".") {
		k = append(k, strings.Trim(strings.TrimSpace(part), `"'`))
	}
	return k
}

// stripComment cuts a # comment, leaving a # inside a quoted string alone.
func stripComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote = r
		case quote == 0 && r == '#':
			return line[:i]
		}
	}
	return line
}

// The parsers below turn a raw TOML value into a setting. Their messages name the value
// but not the key: the caller adds that. None of them echoes an API key.

func parseBaseURL(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wantType("a URL string", v)
	}
	return s, checkBaseURL(s)
}

// stringParser reads a string the check accepts.
func stringParser(check func(string) error) func(any) (string, error) {
	return func(v any) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", wantType("a string", v)
		}
		return s, check(s)
	}
}

func parseAPIKey(v any) (secret, error) {
	s, ok := v.(string)
	if !ok {
		return "", wantType("a string", v)
	}
	return secret(s), nil
}

func durationParser(check func(time.Duration) error) func(any) (time.Duration, error) {
	return func(v any) (time.Duration, error) {
		s, ok := v.(string)
		if !ok {
			return 0, wantType(`a duration such as "5s"`, v)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (try \"5s\" or \"1m30s\")", s)
		}
		return d, check(d)
	}
}

func intParser(lo, hi int64) func(any) (int, error) {
	parse := int64Parser(lo, hi)
	return func(v any) (int, error) {
		n, err := parse(v)
		return int(n), err
	}
}

func int64Parser(lo, hi int64) func(any) (int64, error) {
	return func(v any) (int64, error) {
		n, ok := v.(int64)
		if !ok {
			return 0, wantType("a whole number", v)
		}
		return n, checkRange(n, lo, hi)
	}
}

func parseNumbers(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, wantType(`a list such as ["+12025550100"]`, v)
	}
	numbers := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			return nil, wantType("phone numbers as strings", item)
		}
		numbers = append(numbers, s)
	}
	return numbers, checkNumbers(numbers)
}

func parseColor(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wantType("a string", v)
	}
	return s, checkColor(s)
}

func parseListenOrOff(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wantType("an address such as \"127.0.0.1:2222\", or \"\" for none", v)
	}
	return s, checkListenOrOff(s)
}

func parsePath(v any) (string, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", wantType("a file path", v)
	}
	return s, nil
}

// checkListenOrOff accepts host:port (the host may be empty: every address), or "" for
// not listening at all.
func checkListenOrOff(s string) error {
	if s == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
		return fmt.Errorf("%q is not an address such as 127.0.0.1:2222", source.Sanitize(s))
	}
	return nil
}

func parseBool(v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, wantType("true or false", v)
	}
	return b, nil
}

// thresholdSet is one [thresholds] entry as written: either bound may be left out.
type thresholdSet struct {
	warn, critical *float64
}

func parseThresholds(v any) (map[string]thresholdSet, error) {
	table, ok := v.(map[string]any)
	if !ok {
		return nil, wantType("a table", v)
	}
	out := make(map[string]thresholdSet, len(table))
	for _, name := range sortedKeys(table) {
		entry, ok := table[name].(map[string]any)
		if !ok {
			return nil, &subKeyError{toml.Key{name}, wantType("a table such as { warn = 1, critical = 2 }", table[name])}
		}
		var ts thresholdSet
		for _, bound := range sortedKeys(entry) {
			n, err := parseBound(entry[bound])
			if err != nil {
				return nil, &subKeyError{toml.Key{name, bound}, err}
			}
			switch bound {
			case "warn":
				ts.warn = &n
			case "critical":
				ts.critical = &n
			default:
				return nil, &subKeyError{toml.Key{name, bound}, errors.New(`unknown key (want "warn" or "critical")`)}
			}
		}
		if ts.warn == nil && ts.critical == nil {
			return nil, &subKeyError{toml.Key{name}, errors.New("set warn, critical or both")}
		}
		out[name] = ts
	}
	return out, nil
}

func parseBound(v any) (float64, error) {
	var n float64
	switch x := v.(type) {
	case int64:
		n = float64(x)
	case float64:
		n = x
	default:
		return 0, wantType("a number", v)
	}
	if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
		return 0, fmt.Errorf("%v is not a finite number >= 0", n)
	}
	return n, nil
}

// resolve fills what the entry left out: from wamon's default for that metric, else a
// missing critical never fires and a missing warn equals critical.
func (ts thresholdSet) resolve(name string, def monitor.Threshold) (monitor.Threshold, error) {
	t := def
	if def == (monitor.Threshold{}) {
		t = monitor.Threshold{Critical: math.Inf(1)}
		if ts.critical != nil {
			t.Warn = *ts.critical
		}
	}
	if ts.warn != nil {
		t.Warn = *ts.warn
	}
	if ts.critical != nil {
		t.Critical = *ts.critical
	}
	if t.Warn > t.Critical {
		return monitor.Threshold{}, fmt.Errorf("warn %v is above critical %v", t.Warn, t.Critical)
	}
	if monitor.IsRatio(name) && (t.Warn > 1 || (t.Critical > 1 && !math.IsInf(t.Critical, 1))) {
		return monitor.Threshold{}, errors.New("a failure ratio is a share from 0 to 1 (0.05 is 5%)")
	}
	return t, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// wantType says what was expected and what TOML type was found, never the value itself
// (which could be a key pasted into the wrong place).
func wantType(want string, got any) error {
	var kind string
	switch got.(type) {
	case string:
		kind = "a string"
	case int64:
		kind = "a whole number"
	case float64:
		kind = "a decimal number"
	case bool:
		kind = "true/false"
	case []any, []map[string]any:
		kind = "a list"
	case map[string]any:
		kind = "a table"
	default:
		kind = "a date or time"
	}
	return fmt.Errorf("want %s, got %s", want, kind)
}

// The checks below are shared by file values and flags.

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err == nil && u.User != nil {
		return errors.New("credentials in the URL are not allowed (use api_key)")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", source.Sanitize(s))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: a base URL takes no query or fragment", source.Sanitize(s))
	}
	return nil
}

func checkSource(s string) error {
	if slices.Contains(sourceNames, s) {
		return nil
	}
	return fmt.Errorf("%q is not one of %s", source.Sanitize(s), strings.Join(sourceNames, ", "))
}

// parseKeep reads record_keep: a duration ("36h") or days ("7d"), at least an hour.
func parseKeep(v any) (time.Duration, error) {
	str, ok := v.(string)
	if !ok {
		return 0, wantType("a duration such as \"7d\" or \"36h\"", v)
	}
	var d time.Duration
	if days, found := strings.CutSuffix(str, "d"); found {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days", str)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(str); err != nil {
			return 0, fmt.Errorf("%q is not a duration (\"7d\", \"36h\")", str)
		}
	}
	if d < time.Hour {
		return 0, fmt.Errorf("%q: keep recordings at least an hour", str)
	}
	return d, nil
}

// parseSize reads record_max_size: bytes, or a size with a unit ("1GiB", "500MB"), at
// least 1 MiB.
func parseSize(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		units := []struct {
			suffix string
			scale  int64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
			{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
		num, scale := strings.TrimSpace(x), int64(1)
		for _, u := range units {
			if rest, ok := strings.CutSuffix(num, u.suffix); ok {
				num, scale = strings.TrimSpace(rest), u.scale
				break
			}
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f < 0 || f*float64(scale) > math.MaxInt64/2 {
			return 0, fmt.Errorf("%q is not a size (\"1GiB\", \"500MB\")", x)
		}
		n = int64(f * float64(scale))
	default:
		return 0, wantType("a size such as \"1GiB\"", v)
	}
	if n < 1<<20 {
		return 0, fmt.Errorf("%d bytes: keep at least 1 MiB of recordings", n)
	}
	return n, nil
}

// checkPrometheusURL accepts an http(s) URL, with user:password@ for basic auth; its
// errors never repeat a password.
func checkPrometheusURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", source.RedactURL(s))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: a Prometheus URL takes no query or fragment", source.RedactURL(s))
	}
	return nil
}

func checkNumbers(numbers []string) error {
	seen := make(map[string]bool, len(numbers))
	for _, n := range numbers {
		if err := source.ValidateNumber(n); err != nil {
			return fmt.Errorf("%q is not an E.164 number (+ then 8 to 15 digits): %w", source.Sanitize(n), err)
		}
		if seen[n] {
			return fmt.Errorf("%q is listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

func checkInterval(d time.Duration) error {
	if d < minInterval {
		return fmt.Errorf("%v is below the %v minimum", d, minInterval)
	}
	return nil
}

func checkTimeout(d time.Duration) error {
	if d <= 0 || d > maxTimeout {
		return fmt.Errorf("%v is outside 0 to %v", d, maxTimeout)
	}
	return nil
}

func checkRange(n, lo, hi int64) error {
	if n < lo || n > hi {
		return fmt.Errorf("%d is outside %d to %d", n, lo, hi)
	}
	return nil
}

func checkColor(s string) error {
	if slices.Contains(colorModes, s) {
		return nil
	}
	return fmt.Errorf("%q is not one of %s", source.Sanitize(s), strings.Join(colorModes, ", "))
}
