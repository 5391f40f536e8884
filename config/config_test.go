package config

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/wamon/wamon/internal/configtest"
	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// testEnv and writeConfig: configtest's, shared with the other package's tests.
var (
	testEnv     = configtest.Env
	writeConfig = configtest.WriteConfig
)

// load is the console's configuration after the command line args.
func load(t *testing.T, env func(string) string, args ...string) (Config, error) {
	t.Helper()
	return loadFor(t, Console, env, args...)
}

// loadFor is the configuration of cmd after its command line args.
func loadFor(t *testing.T, cmd Command, env func(string) string, args ...string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("wamon", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := Bind(fs, cmd)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("flags %q: %v", args, err)
	}
	return Load(cmd, given, env)
}

func mustLoad(t *testing.T, env func(string) string, args ...string) Config {
	t.Helper()
	cfg, err := load(t, env, args...)
	if err != nil {
		t.Fatalf("loadConfig(%q): %v", args, err)
	}
	return cfg
}

func TestNoConfigRunsTheDemoWithDefaults(t *testing.T) {
	env := testEnv(t)
	cfg := mustLoad(t, env)
	want := Default()
	want.given = map[string]string{}
	want.Demo = true
	want.Source = Demo
	want.Numbers = source.DemoNumbers()
	want.Glyphs = unicodeByLANG
	// Serve's files default under the XDG directories, here $HOME's.
	want.AuthorizedKeys = filepath.Join(env("HOME"), ".config", "wamon", "authorized_keys")
	want.HostKey = filepath.Join(env("HOME"), ".local", "state", "wamon", "ssh_host_ed25519_key")
	want.RecordDir = filepath.Join(env("HOME"), ".local", "state", "wamon", "recordings")
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config without a file:\n got %+v\nwant %+v", cfg, want)
	}
	if cfg.Interval != 5*time.Second || cfg.Timeout != 10*time.Second || cfg.History != 720 ||
		cfg.Concurrency != 16 || cfg.MaxBody != 8<<20 || cfg.Color != "auto" || !cfg.Mouse {
		t.Errorf("defaults drifted from the README: %+v", cfg)
	}
}

// The example file documents every key with its default: parsing it must change nothing.
func TestExampleFileParsesToTheDefaults(t *testing.T) {
	text, err := os.ReadFile("../config.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.given = map[string]string{}
	l := &loader{cfg: &cfg, getenv: testEnv(t)}
	if err := l.file("config.toml.example", string(text)); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Numbers = []string{}
	cfg.given = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("example file:\n got %+v\nwant %+v", cfg, want)
	}
	for _, key := range Keys() {
		// A key whose default is "decide by itself" is shown commented out.
		if !strings.Contains(string(text), "\n"+key+" ") && !strings.Contains(string(text), "["+key+"]") &&
			!strings.Contains(string(text), "\n# "+key+" = ") {
			t.Errorf("config.toml.example does not document %q", key)
		}
	}
}

const fullConfig = `base_url = "https://stats.example.com"
api_key = "file-key-123"
interval = "30s"
timeout = "3s"
history = 100
concurrency = 4
max_body = 65536
numbers = ["+12025550100", "+447700900123"]
color = "256"
mouse = false
ssh_listen = "0.0.0.0:2200"
authorized_keys = "/etc/wamon/authorized_keys"
host_key = "/var/lib/wamon/host"
max_sessions = 5
record = false
record_dir = "/var/lib/wamon/rec"
record_keep = "3d"
record_max_size = "200MiB"

[thresholds]
callback_queue_size = { warn = 5 }
failure_ratio = { warn = 0.02, critical = 0.1 }
in_messages_pending_processing = { warn = 50, critical = 500 }
db_pending_callbacks = { critical = 9 }
`

func TestFileValues(t *testing.T) {
	no := false
	path := writeConfig(t, fullConfig, 0o600)
	cfg := mustLoad(t, testEnv(t), "--config", path)
	want := Config{
		Path:           path,
		BaseURL:        "https://stats.example.com",
		APIKey:         "file-key-123",
		Interval:       30 * time.Second,
		Timeout:        3 * time.Second,
		History:        100,
		Concurrency:    4,
		MaxBody:        65536,
		Numbers:        []string{"+12025550100", "+447700900123"},
		Color:          "256",
		Glyphs:         unicodeByLANG,
		SSHListen:      "0.0.0.0:2200",
		AuthorizedKeys: "/etc/wamon/authorized_keys",
		HostKey:        "/var/lib/wamon/host",
		MaxSessions:    5,
		Source:         Kaleyra,
		PrometheusURL:  source.DefaultPrometheusURL,
		RecordDir:      "/var/lib/wamon/rec",
		RecordKeep:     72 * time.Hour,
		RecordMaxSize:  200 << 20,
		record:         &no,
		Thresholds: monitor.Thresholds{
			"callback_queue_size":            {Warn: 5, Critical: 1000}, // critical kept from the default
			"failure_ratio":                  {Warn: 0.02, Critical: 0.1},
			"in_messages_pending_processing": {Warn: 50, Critical: 500},
			"db_pending_callbacks":           {Warn: 9, Critical: 9},
			"endpoint_error_ratio":           {Warn: 0.05, Critical: 0.25}, // the default
		},
	}
	for _, key := range []string{"interval", "numbers", "record", "thresholds"} {
		if !cfg.Given(key) {
			t.Errorf("%s not given by the file", key)
		}
	}
	if cfg.Given("ascii") || cfg.Given("source") {
		t.Error("a setting the file leaves out given")
	}
	cfg.given = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("\n got %+v\nwant %+v", cfg, want)
	}
}

func TestThresholdWithoutCriticalNeverFires(t *testing.T) {
	path := writeConfig(t, "numbers = [\"+12025550100\"]\n[thresholds]\nfoo = { warn = 3 }\n", 0o600)
	cfg := mustLoad(t, testEnv(t), "--config", path)
	if got := cfg.Thresholds["foo"]; got.Warn != 3 || !math.IsInf(got.Critical, 1) {
		t.Errorf("foo threshold = %+v, want warn 3 and no critical", got)
	}
}

func TestPrecedence(t *testing.T) {
	path := writeConfig(t, fullConfig, 0o600)

	// file over defaults
	cfg := mustLoad(t, testEnv(t), "--config", path)
	if cfg.Interval != 30*time.Second || cfg.APIKey != "file-key-123" || cfg.Timeout != 3*time.Second {
		t.Errorf("file did not override defaults: %+v", cfg)
	}

	// env over file
	cfg = mustLoad(t, testEnv(t, "KALEYRA_API_KEY", "env-key-456"), "--config", path)
	if cfg.APIKey != "env-key-456" {
		t.Errorf("KALEYRA_API_KEY did not override api_key")
	}

	// flags over file, and only the flags given
	cfg = mustLoad(t, testEnv(t), "--config", path, "--interval", "2s", "--number", "+12025550199",
		"--number", "+12025550198", "--color", "none", "--base-url", "http://127.0.0.1:9", "--history", "50",
		"--concurrency", "2")
	if cfg.Interval != 2*time.Second || cfg.Color != "none" || cfg.BaseURL != "http://127.0.0.1:9" ||
		cfg.History != 50 || cfg.Concurrency != 2 {
		t.Errorf("flags did not override the file: %+v", cfg)
	}
	if want := []string{"+12025550199", "+12025550198"}; !slices.Equal(cfg.Numbers, want) {
		t.Errorf("numbers = %q, want %q (flags replace the list, in order)", cfg.Numbers, want)
	}
	if cfg.Timeout != 3*time.Second || cfg.MaxBody != 65536 || cfg.Mouse {
		t.Errorf("settings without a flag lost their file value: %+v", cfg)
	}
	// A toggle's flag alone turns it on over the file's false; --mouse=false turns the
	// default off.
	if cfg = mustLoad(t, testEnv(t), "--config", path, "--mouse"); !cfg.Mouse {
		t.Error("--mouse did not override mouse = false")
	}
	if cfg = mustLoad(t, testEnv(t), "--mouse=false"); cfg.Mouse {
		t.Error("--mouse=false left the mouse on")
	}
}

func TestNoColorForcesNone(t *testing.T) {
	cfg := mustLoad(t, testEnv(t, "NO_COLOR", "1"), "--color", "truecolor")
	if cfg.Color != "none" {
		t.Errorf("NO_COLOR with --color truecolor gave %q, want none", cfg.Color)
	}
	cfg = mustLoad(t, testEnv(t, "NO_COLOR", ""))
	if cfg.Color != "auto" {
		t.Errorf("an empty NO_COLOR gave %q, want auto", cfg.Color)
	}
}

const unicodeByLANG = "Unicode (LANG=en_US.UTF-8; --ascii draws ASCII only)"

// ASCII only when the locale names another charset or TERM cannot draw more; a locale
// not set at all (sshd without AcceptEnv) or naming no charset draws Unicode. A setting
// forces either way, the flag over the file; the reason is given for the help screen.
func TestGlyphsFollowLocaleTermAndSettings(t *testing.T) {
	asciiTrue := writeConfig(t, "numbers = [\"+12025550100\"]\nascii = true\n", 0o600)
	asciiFalse := writeConfig(t, "numbers = [\"+12025550100\"]\nascii = false\n", 0o600)
	for _, tc := range []struct {
		env  []string
		args []string
		want bool
		why  string
	}{
		{[]string{"LANG", "en_US.UTF-8"}, nil, false, unicodeByLANG},
		{[]string{"LANG", "C.utf8"}, nil, false, "LANG=C.utf8"},
		{[]string{"LANG", ""}, nil, false, "no locale set"},
		{[]string{"LANG", "", "TERM", "screen"}, nil, false, "no locale set"},
		{[]string{"LANG", "en_US.UTF-8", "LC_ALL", "C"}, nil, false, "LC_ALL=C"},
		{[]string{"LANG", "POSIX"}, nil, false, "LANG=POSIX"},
		{[]string{"LANG", "de_DE.ISO-8859-1"}, nil, true, "LANG=de_DE.ISO-8859-1 is not UTF-8"},
		{[]string{"LANG", "en_US.UTF-8", "LC_CTYPE", "ja_JP.eucJP"}, nil, true, "LC_CTYPE=ja_JP.eucJP"},
		{[]string{"LANG", "en_US.UTF-8", "LC_ALL", "en_US.UTF-8@euro", "LC_CTYPE", "C.latin1"}, nil, false, "LC_ALL="},
		{[]string{"TERM", "linux"}, nil, true, "TERM=linux"},
		{[]string{"TERM", "vt100"}, nil, true, "TERM=vt100"},
		{[]string{"TERM", "dumb"}, nil, true, "TERM=dumb"},
		{[]string{"TERM", "xterm-256color"}, nil, false, unicodeByLANG},
		{nil, []string{"--ascii"}, true, "ASCII, as --ascii asks"},
		{[]string{"TERM", "linux"}, []string{"--ascii=false"}, false, "Unicode, as --ascii=false asks"},
		{[]string{"LANG", "de_DE.ISO-8859-1"}, []string{"--config", asciiFalse}, false, "ascii = false in config.toml"},
		{nil, []string{"--config", asciiTrue}, true, "ascii = true in config.toml"},
		{nil, []string{"--config", asciiTrue, "--ascii=false"}, false, "--ascii=false"},
	} {
		cfg := mustLoad(t, testEnv(t, tc.env...), tc.args...)
		if cfg.ASCII != tc.want || !strings.Contains(cfg.Glyphs, tc.why) {
			t.Errorf("env %q args %q: ASCII = %v (%q), want %v (%q)", tc.env, tc.args, cfg.ASCII, cfg.Glyphs, tc.want, tc.why)
		}
	}
}

func TestXDGConfigPath(t *testing.T) {
	xdg := t.TempDir()
	if err := os.MkdirAll(filepath.Join(xdg, "wamon"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(xdg, "wamon", "config.toml")
	if err := os.WriteFile(path, []byte(`numbers = ["+12025550177"]`), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := mustLoad(t, testEnv(t, "XDG_CONFIG_HOME", xdg))
	if cfg.Path != path || cfg.Demo || !slices.Equal(cfg.Numbers, []string{"+12025550177"}) {
		t.Errorf("XDG config not used: %+v", cfg)
	}

	// Without XDG_CONFIG_HOME (or with a relative one, which the spec says to ignore),
	// the file is ~/.config/wamon/config.toml.
	home := t.TempDir()
	homePath := filepath.Join(home, ".config", "wamon", "config.toml")
	if err := os.MkdirAll(filepath.Dir(homePath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(homePath, []byte(`numbers = ["+12025550166"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, xdgValue := range []string{"", "relative/dir"} {
		cfg = mustLoad(t, testEnv(t, "HOME", home, "XDG_CONFIG_HOME", xdgValue))
		if cfg.Path != homePath {
			t.Errorf("XDG_CONFIG_HOME=%q: config path %q, want %q", xdgValue, cfg.Path, homePath)
		}
	}

	// --config wins over XDG.
	other := writeConfig(t, `numbers = ["+12025550155"]`, 0o600)
	if cfg = mustLoad(t, testEnv(t, "XDG_CONFIG_HOME", xdg), "--config", other); cfg.Path != other {
		t.Errorf("--config ignored: read %q", cfg.Path)
	}
}

func TestMissingConfig(t *testing.T) {
	// An explicit --config must exist; the default place may be empty.
	_, err := load(t, testEnv(t), "--config", filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Errorf("missing --config file: err = %v", err)
	}
}

func TestDemoKeepsTheConfig(t *testing.T) {
	path := writeConfig(t, fullConfig, 0o600)
	cfg := mustLoad(t, testEnv(t), "--config", path, "--demo")
	if !cfg.Demo {
		t.Fatal("--demo with a config did not choose the simulator")
	}
	if !slices.Equal(cfg.Numbers, []string{"+12025550100", "+447700900123"}) || cfg.Interval != 30*time.Second ||
		cfg.History != 100 || cfg.Thresholds["failure_ratio"].Critical != 0.1 {
		t.Errorf("--demo dropped the config's numbers or settings: %+v", cfg)
	}

	// A config without numbers plus --demo simulates the demo's own numbers.
	path = writeConfig(t, `interval = "7s"`, 0o600)
	cfg = mustLoad(t, testEnv(t), "--config", path, "--demo")
	if !slices.Equal(cfg.Numbers, source.DemoNumbers()) || cfg.Interval != 7*time.Second {
		t.Errorf("--demo with a number-less config: %+v", cfg)
	}
}

func TestWhenTheAPIIsUsed(t *testing.T) {
	// A config file, --base-url or KALEYRA_API_KEY each say "the real API".
	if cfg := mustLoad(t, testEnv(t, "KALEYRA_API_KEY", "k"), "--number", "+12025550100"); cfg.Demo {
		t.Error("KALEYRA_API_KEY with --number still ran the demo")
	}
	if cfg := mustLoad(t, testEnv(t), "--base-url", "http://127.0.0.1:1", "--number", "+12025550100"); cfg.Demo {
		t.Error("--base-url with --number still ran the demo")
	}
	if cfg := mustLoad(t, testEnv(t), "--number", "+12025550100"); !cfg.Demo {
		t.Error("--number alone should simulate that number")
	}

	path := writeConfig(t, `interval = "7s"`, 0o600)
	_, err := load(t, testEnv(t), "--config", path)
	if err == nil || !strings.Contains(err.Error(), "no numbers") {
		t.Errorf("API without numbers: err = %v, want a 'no numbers' error", err)
	}
}

func TestUnknownKeyNamesKeyAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"top level", "numbers = [\"+12025550100\"]\n\n# comment\ninterval = \"5s\"\n\ncolor = \"auto\"\nintervall = \"5s\"\n",
			`:7: unknown key "intervall"`},
		{"wrong case", "Interval = \"5s\"\n", `:1: unknown key "Interval"`},
		{"unknown table", "interval = \"5s\"\n\n[colours]\nfg = \"red\"\n", `:3: unknown key "colours"`},
		{"inside an inline threshold", "[thresholds]\ncallback_queue_size = { warn = 1 }\nfailure_ratio = { warn = 0.1, critcal = 0.2 }\n",
			`:3: thresholds.failure_ratio.critcal: unknown key`},
		{"the first in the file wins", "zzz = 1\ninterval = \"5x\"\naaa = 2\n", `:1: unknown key "zzz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text, 0o600)
			_, err := load(t, testEnv(t), "--config", path)
			if err == nil || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %s%s", err, path, tc.want)
			}
		})
	}
}

func TestBadValueNamesKeyAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"duration", "numbers = []\n\ninterval = \"5x\"\n", `:3: interval: "5x" is not a duration`},
		{"duration as number", "timeout = 10\n", `:1: timeout: want a duration such as "5s", got a whole number`},
		{"interval too short", "interval = \"500ms\"\n", `:1: interval: 500ms is below the 1s minimum`},
		{"zero timeout", "timeout = \"0s\"\n", `:1: timeout: 0s: a timeout is more than 0s and at most 5m`},
		{"history too small", "history = 5\n", `:1: history: 5 is outside 10 to`},
		{"history as text", "history = \"lots\"\n", `:1: history: want a whole number, got a string`},
		{"concurrency", "concurrency = 0\n", `:1: concurrency: 0 is outside 1 to`},
		{"max_body", "max_body = 10\n", `:1: max_body: 10 is outside 1024 to`},
		{"color", "\ncolor = \"pink\"\n", `:2: color: "pink" is not one of auto, truecolor, 256, 16, none`},
		{"base_url scheme", "base_url = \"ftp://example.com\"\n", `:1: base_url: "ftp://example.com" is not an http(s) URL`},
		{"base_url credentials", "base_url = \"https://u:pw@example.com\"\n", `:1: base_url: credentials in the URL are not allowed`},
		{"numbers type", "numbers = \"+12025550100\"\n", `:1: numbers: want a list`},
		{"numbers twice", "numbers = [\"+12025550100\", \"+12025550100\"]\n", `:1: numbers: "+12025550100" is listed twice`},
		{"threshold order", "[thresholds]\ncallback_queue_size = { warn = 10, critical = 5 }\n",
			`:2: thresholds.callback_queue_size: warn 10 is above critical 5`},
		{"threshold default order", "[thresholds]\n\ncallback_queue_size = { warn = 5000 }\n",
			`:3: thresholds.callback_queue_size: warn 5000 is above critical 1000`},
		{"threshold table form", "[thresholds.failure_ratio]\nwarn = \"high\"\n",
			`:2: thresholds.failure_ratio.warn: want a number, got a string`},
		{"failure ratio is a share", "[thresholds]\nfailure_ratio = { warn = 1, critical = 5 }\n",
			`:2: thresholds.failure_ratio: a failure ratio is a share from 0 to 1`},
		{"negative threshold", "[thresholds]\nx = { warn = -1 }\n", `:2: thresholds.x.warn: -1 is not a finite number >= 0`},
		{"empty threshold", "[thresholds]\nx = {}\n", `:2: thresholds.x: set warn, critical or both`},
		{"thresholds not a table", "thresholds = 3\n", `:1: thresholds: want a table, got a whole number`},
		{"syntax", "interval = \"5s\"\nhistory = = 3\n", `:2: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text, 0o600)
			_, err := load(t, testEnv(t), "--config", path)
			if err == nil || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %s%s", err, path, tc.want)
			}
		})
	}
}

func TestBadNumber(t *testing.T) {
	for _, bad := range []string{"12025550100", "+1202", "+0202555010", "+1202555010012345", "+1 202 555 0100"} {
		path := writeConfig(t, fmt.Sprintf("interval = \"5s\"\nnumbers = [\"+12025550100\", %q]\n", bad), 0o600)
		_, err := load(t, testEnv(t), "--config", path)
		want := fmt.Sprintf("%s:2: numbers: %q is not an E.164 number", path, bad)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("number %q in the file: err = %v\nwant %s", bad, err, want)
		}

		_, err = load(t, testEnv(t), "--number", bad)
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("--number: %q", bad)) {
			t.Errorf("--number %q: err = %v", bad, err)
		}
	}
}

func TestBadFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "100ms"}, "--interval: 100ms is below the 1s minimum"},
		{[]string{"--color", "rainbow"}, `--color: "rainbow" is not one of`},
		{[]string{"--base-url", "example.com"}, `--base-url: "example.com" is not an http(s) URL`},
		{[]string{"--history", "3"}, "--history: 3 is outside"},
		{[]string{"--concurrency", "0"}, "--concurrency: 0 is outside"},
	} {
		_, err := load(t, testEnv(t), tc.args...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestPermissionWarning(t *testing.T) {
	const key = "very-secret-key-789"
	withKey := fmt.Sprintf("api_key = %q\nnumbers = [\"+12025550100\"]\n", key)
	for _, tc := range []struct {
		name string
		text string
		mode os.FileMode
		warn bool
	}{
		{"key readable by others", withKey, 0o644, true},
		{"key readable by group", withKey, 0o640, true},
		{"key private", withKey, 0o600, false},
		{"no key", "numbers = [\"+12025550100\"]\n", 0o644, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text, tc.mode)
			cfg := mustLoad(t, testEnv(t, "KALEYRA_API_KEY", "k"), "--config", path)
			if got := len(cfg.Warnings) > 0; got != tc.warn {
				t.Fatalf("warnings %q, want a warning: %v", cfg.Warnings, tc.warn)
			}
			for _, w := range cfg.Warnings {
				if !strings.Contains(w, path) || !strings.Contains(w, "chmod 600") || strings.Contains(w, key) {
					t.Errorf("warning %q should name the file and the fix, never the key", w)
				}
			}
		})
	}
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	const key = "very-secret-key-789"
	path := writeConfig(t, fmt.Sprintf("api_key = %q\nnumbers = [\"+12025550100\"]\n", key), 0o600)
	cfg := mustLoad(t, testEnv(t), "--config", path)
	if string(cfg.APIKey) != key {
		t.Fatal("api_key not read")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, cfg); strings.Contains(s, key) {
			t.Errorf("fmt %s of Config shows the key: %s", verb, s)
		}
	}

	// A key pasted where a number belongs must not be echoed in the error.
	path = writeConfig(t, fmt.Sprintf("history = %q\napi_key = 12345678\n", key), 0o600)
	_, err := load(t, testEnv(t), "--config", path)
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("error echoes the value: %v", err)
	}
}

func TestKeyLine(t *testing.T) {
	text := `# a comment with interval = "1s"
interval = "5s" # trailing
"quoted" = 1
[thresholds]
a = { warn = 1, critical = 2 }
[thresholds.b]
warn = 3
`
	for _, tc := range []struct {
		key  []string
		want int
	}{
		{[]string{"interval"}, 2},
		{[]string{"quoted"}, 3},
		{[]string{"thresholds"}, 4},
		{[]string{"thresholds", "a"}, 5},
		{[]string{"thresholds", "a", "critical"}, 5},
		{[]string{"thresholds", "b"}, 6},
		{[]string{"thresholds", "b", "warn"}, 7},
		{[]string{"missing"}, 0},
	} {
		if got := keyLine(text, tc.key); got != tc.want {
			t.Errorf("keyLine(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

// wamon serve's settings: defaults under the XDG directories, the file, then flags; a bad
// address or session cap is a one-line error naming the key or flag.
func TestServeSettings(t *testing.T) {
	env := testEnv(t, "XDG_CONFIG_HOME", "/cfg", "XDG_STATE_HOME", "/state")
	cfg := mustLoad(t, env)
	if cfg.SSHListen != "127.0.0.1:2222" || cfg.MaxSessions != 32 ||
		cfg.AuthorizedKeys != "/cfg/wamon/authorized_keys" || cfg.HostKey != "/state/wamon/ssh_host_ed25519_key" {
		t.Errorf("defaults: %q %d %q %q", cfg.SSHListen, cfg.MaxSessions, cfg.AuthorizedKeys, cfg.HostKey)
	}
	path := writeConfig(t, fullConfig, 0o600)
	cfg, err := loadFor(t, Serve, env, "--config", path, "--ssh-listen", ":2300", "--max-sessions", "7", "--host-key", "/k")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SSHListen != ":2300" || cfg.MaxSessions != 7 || cfg.HostKey != "/k" || cfg.AuthorizedKeys != "/etc/wamon/authorized_keys" {
		t.Errorf("flags over the file: %q %d %q %q", cfg.SSHListen, cfg.MaxSessions, cfg.HostKey, cfg.AuthorizedKeys)
	}
	for _, tc := range []struct {
		file string
		args []string
		want string
	}{
		{"ssh_listen = \"nowhere\"\n", nil, `config.toml:2: ssh_listen: "nowhere" is not an address such as 127.0.0.1:2222`},
		{"max_sessions = 0\n", nil, "config.toml:2: max_sessions: 0 is outside 1 to 10000"},
		{"", []string{"--max-sessions", "0"}, "--max-sessions: 0 is outside 1 to 10000"},
		{"", []string{"--ssh-listen", "2222"}, `--ssh-listen: "2222" is not an address such as 127.0.0.1:2222`},
	} {
		p := writeConfig(t, "numbers = [\"+12025550100\"]\n"+tc.file, 0o600)
		_, err := loadFor(t, Serve, env, append([]string{"--config", p}, tc.args...)...)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%q %q: %v, want ...%s", tc.file, tc.args, err, tc.want)
		}
	}
	// Serve's flags are serve's alone.
	fs := pflag.NewFlagSet("wamon", pflag.ContinueOnError)
	Bind(fs, Console)
	for _, flag := range []string{"ssh-listen", "metrics-listen", "authorized-keys", "host-key", "max-sessions"} {
		if fs.Lookup(flag) != nil {
			t.Errorf("--%s is the console's", flag)
		}
	}
}

func TestPrometheusSource(t *testing.T) {
	// --source prometheus needs no numbers (Prometheus has them) and asks every 15 s,
	// Prometheus' own scrape interval, unless told otherwise.
	cfg := mustLoad(t, testEnv(t), "--source", "prometheus")
	if cfg.Source != Prometheus || cfg.Demo || len(cfg.Numbers) != 0 || cfg.Interval != 15*time.Second ||
		cfg.PrometheusURL != "http://localhost:9090" {
		t.Errorf("--source prometheus: %+v", cfg)
	}
	if cfg := mustLoad(t, testEnv(t), "--source", "prometheus", "--interval", "3s"); cfg.Interval != 3*time.Second {
		t.Errorf("--interval 3s read as %v", cfg.Interval)
	}
	// --prometheus-url says where, and so what.
	cfg = mustLoad(t, testEnv(t), "--prometheus-url", "https://ops:pw@prom.example.com:9090", "--number", "+12025550100")
	if cfg.Source != Prometheus || cfg.PrometheusURL != "https://ops:pw@prom.example.com:9090" || len(cfg.Numbers) != 1 {
		t.Errorf("--prometheus-url: %+v", cfg)
	}
	// The file's keys; an interval it sets is kept.
	path := writeConfig(t, "source = \"prometheus\"\nprometheus_url = \"http://prom:9090\"\ninterval = \"5s\"\n", 0o600)
	cfg = mustLoad(t, testEnv(t), "--config", path)
	if cfg.Source != Prometheus || cfg.PrometheusURL != "http://prom:9090" || cfg.Interval != 5*time.Second || len(cfg.Warnings) != 0 {
		t.Errorf("file: %+v", cfg)
	}
	// A password in a file others can read is warned about; a file without one is not.
	path = writeConfig(t, "source = \"prometheus\"\nprometheus_url = \"http://ops:s3cret@prom:9090\"\n", 0o644)
	cfg = mustLoad(t, testEnv(t), "--config", path)
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "holds a password in prometheus_url and is readable by group or others") ||
		strings.Contains(cfg.Warnings[0], "s3cret") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	// --demo wins over a source in the file.
	if cfg := mustLoad(t, testEnv(t), "--config", path, "--demo"); cfg.Source != Demo || !cfg.Demo {
		t.Errorf("--demo over source = prometheus: %+v", cfg)
	}

	for _, tt := range []struct {
		args []string
		file string
		want string
	}{
		{args: []string{"--source", "grafana"}, want: `--source: "grafana" is not one of kaleyra, demo, prometheus`},
		{args: []string{"--prometheus-url", "ftp://ops:s3cret@prom:9090"}, want: `--prometheus-url: "ftp://ops:xxxxx@prom:9090" is not an http(s) URL`},
		{args: []string{"--prometheus-url", "http://prom:9090/?x=1"}, want: `--prometheus-url: "http://prom:9090/?x=1": a Prometheus URL takes no query or fragment`},
		{file: "source = \"Prometheus\"\n", want: `config.toml:1: source: "Prometheus" is not one of kaleyra, demo, prometheus`},
		{file: "\nprometheus_url = \"prom:9090\"\n", want: `config.toml:2: prometheus_url: "prom:9090" is not an http(s) URL`},
		{file: "source = \"kaleyra\"\n", want: "no numbers to watch: add numbers to the config file or pass --number"},
	} {
		args := tt.args
		if tt.file != "" {
			args = append(args, "--config", writeConfig(t, tt.file, 0o600))
		}
		_, err := load(t, testEnv(t), args...)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q %q: %v, want %q", tt.args, tt.file, err, tt.want)
		}
	}
}

func TestRecordSettings(t *testing.T) {
	api := []string{"--base-url", "https://stats.example.com", "--number", "+12025550100"}
	cases := []struct {
		name   string
		file   string
		args   []string
		record bool
		warns  int
	}{
		{"the API records by default", "", api, true, 0},
		{"--record=false turns it off", "", append(slices.Clone(api), "--record=false"), false, 0},
		{"the file turns it off", "record = false\n", api, false, 0},
		{"the flag wins over the file", "record = false\n", append(slices.Clone(api), "--record"), true, 0},
		{"the demo records only when asked", "", []string{"--demo"}, false, 0},
		{"the demo, asked", "", []string{"--demo", "--record"}, true, 0},
		{"Prometheus keeps its own history", "", []string{"--source", "prometheus"}, false, 0},
		{"Prometheus, asked: a warning", "record = true\n", []string{"--source", "prometheus"}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeConfig(t, tc.file, 0o600)}, args...)
			}
			cfg := mustLoad(t, testEnv(t, "KALEYRA_API_KEY", "k"), args...)
			if cfg.Record != tc.record || len(cfg.Warnings) != tc.warns {
				t.Errorf("record %v, warnings %q; want %v and %d", cfg.Record, cfg.Warnings, tc.record, tc.warns)
			}
		})
	}
	env := testEnv(t, "XDG_STATE_HOME", "/srv/state")
	if cfg := mustLoad(t, env, "--demo"); cfg.RecordDir != "/srv/state/wamon/recordings" {
		t.Errorf("record dir %q under XDG_STATE_HOME", cfg.RecordDir)
	}
	if cfg := mustLoad(t, env, "--demo", "--record-dir", "/tmp/r"); cfg.RecordDir != "/tmp/r" {
		t.Errorf("--record-dir: %q", cfg.RecordDir)
	}
	for text, want := range map[string]string{
		`record_keep = "30m"`:        `config.toml:1: record_keep: "30m": keep recordings at least an hour`,
		`record_keep = "7x"`:         `config.toml:1: record_keep: "7x" is not a duration ("7d", "36h")`,
		`record_keep = "-2d"`:        `config.toml:1: record_keep: "-2d" is not a number of days`,
		`record_max_size = "10KB"`:   `config.toml:1: record_max_size: 10000 bytes: keep at least 1 MiB of recordings`,
		`record_max_size = "lots"`:   `config.toml:1: record_max_size: "lots" is not a size ("1GiB", "500MB")`,
		`record_max_size = true`:     `config.toml:1: record_max_size: want a size such as "1GiB", got true/false`,
		`record = "yes"`:             `config.toml:1: record: want true or false, got a string`,
		`record_max_size = "1.5GiB"`: "",
		`record_max_size = 5000000`:  "",
	} {
		_, err := load(t, testEnv(t), "--demo", "--config", writeConfig(t, text+"\n", 0o600))
		got := ""
		if err != nil {
			got = err.Error()
			got = got[strings.LastIndex(got, "config.toml"):]
		}
		if got != want {
			t.Errorf("%s: %q, want %q", text, got, want)
		}
	}
}

// The API without a key refuses every poll: said before polling, in one line.
func TestNoAPIKeyIsSaid(t *testing.T) {
	path := writeConfig(t, "numbers = [\"+12025550100\"]\n", 0o600)
	cfg := mustLoad(t, testEnv(t), "--config", path)
	if len(cfg.Warnings) != 1 || cfg.Warnings[0] != "no API key: api_key is empty and KALEYRA_API_KEY is not set, so the API will refuse every poll" {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	for _, env := range []func(string) string{testEnv(t, "KALEYRA_API_KEY", "k")} {
		if cfg := mustLoad(t, env, "--config", path); len(cfg.Warnings) != 0 {
			t.Errorf("with a key: %q", cfg.Warnings)
		}
	}
	// The demo and Prometheus need none.
	for _, args := range [][]string{{"--demo"}, {"--source", "prometheus"}} {
		if cfg := mustLoad(t, testEnv(t), append([]string{"--config", path}, args...)...); len(cfg.Warnings) != 0 {
			t.Errorf("%q: %q", args, cfg.Warnings)
		}
	}
}

// A path in the file or a flag reads a leading ~ as the home directory (a flag written
// --record-dir=~/x is not expanded by any shell).
func TestPathsExpandTheHomeDirectory(t *testing.T) {
	env := testEnv(t, "KALEYRA_API_KEY", "k")
	home := env("HOME")
	path := writeConfig(t, "numbers = [\"+12025550100\"]\nrecord_dir = \"~/wrec\"\nauthorized_keys = \"~/ak\"\nhost_key = \"~\"\n", 0o600)
	cfg, err := loadFor(t, Serve, env, "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RecordDir != filepath.Join(home, "wrec") || cfg.AuthorizedKeys != filepath.Join(home, "ak") || cfg.HostKey != home {
		t.Errorf("record_dir %q, authorized_keys %q, host_key %q", cfg.RecordDir, cfg.AuthorizedKeys, cfg.HostKey)
	}
	cfg, err = loadFor(t, Serve, env, "--config", path, "--record-dir=~/other", "--log=~/w.log", "--host-key=~bob/k")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RecordDir != filepath.Join(home, "other") || cfg.LogPath != filepath.Join(home, "w.log") || cfg.HostKey != "~bob/k" {
		t.Errorf("flags: record_dir %q, log %q, host_key %q (another user's home is left alone)", cfg.RecordDir, cfg.LogPath, cfg.HostKey)
	}
}

// --demo and a --source other than demo ask for two sources: refused, in one line.
func TestDemoAndAnotherSourceConflict(t *testing.T) {
	_, err := load(t, testEnv(t), "--demo", "--source", "kaleyra")
	if err == nil || err.Error() != "--demo and --source kaleyra ask for two sources: give one" {
		t.Errorf("%v", err)
	}
	if cfg := mustLoad(t, testEnv(t), "--demo", "--source", "demo"); cfg.Source != Demo {
		t.Errorf("--demo --source demo: %q", cfg.Source)
	}
	if cfg := mustLoad(t, testEnv(t), "--demo", "--prometheus-url", "http://prom:9090"); cfg.Source != Demo {
		t.Errorf("--demo --prometheus-url: %q", cfg.Source)
	}
}

// Replay reads the file as the console does: its recording directory, colour, glyphs
// and thresholds; it needs no numbers and chooses no source.
func TestReplayReadsTheConfig(t *testing.T) {
	path := writeConfig(t, "record_dir = \"~/wrec\"\ncolor = \"16\"\nascii = true\n[thresholds]\nfailure_ratio = { warn = 0.2, critical = 0.3 }\n", 0o600)
	env := testEnv(t)
	cfg, err := loadFor(t, Replay, env, "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RecordDir != filepath.Join(env("HOME"), "wrec") || cfg.Color != "16" || !cfg.ASCII ||
		cfg.Thresholds["failure_ratio"].Warn != 0.2 || !cfg.Given("thresholds") || cfg.Source != "" {
		t.Errorf("%+v", cfg)
	}
	cfg, err = loadFor(t, Replay, env, "--config", path, "--record-dir", "/r", "--color", "none", "--ascii=false")
	if err != nil || cfg.RecordDir != "/r" || cfg.Color != "none" || cfg.ASCII {
		t.Errorf("flags over the file: %v %+v", err, cfg)
	}
	fs := pflag.NewFlagSet("replay", pflag.ContinueOnError)
	Bind(fs, Replay)
	for _, flag := range []string{"number", "interval", "demo", "ssh-listen", "log"} {
		if fs.Lookup(flag) != nil {
			t.Errorf("replay takes --%s", flag)
		}
	}
}
