package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// The readers below take a value as a config file gives it (or a flag, read to the same
// types) and check it. Their messages name the value but not the key or flag: the caller
// adds that. None of them echoes what could be an API key pasted into the wrong place.

// asText reads a string that check (if any) accepts; want says what was expected.
func asText(v any, want string, check func(string) error) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wantType(want, v)
	}
	if check != nil {
		return s, check(s)
	}
	return s, nil
}

// asWord reads a string that is one of words.
func asWord(v any, words []string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wantType("a string", v)
	}
	if !slices.Contains(words, s) {
		return s, fmt.Errorf("%q is not one of %s", source.Sanitize(s), strings.Join(words, ", "))
	}
	return s, nil
}

// asPath reads a path, a leading ~ as the home directory.
func (l *loader) asPath(v any) (string, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", wantType("a file path", v)
	}
	return expandHome(s, l.getenv), nil
}

func asBool(v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, wantType("true or false", v)
	}
	return b, nil
}

// asWhole reads a whole number from lo to hi.
func asWhole(v any, lo, hi int64) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, wantType("a whole number", v)
	}
	if n < lo || n > hi {
		return n, fmt.Errorf("%d is outside %d to %d", n, lo, hi)
	}
	return n, nil
}

func asDuration(v any, check func(time.Duration) error) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, wantType(`a duration such as "5s"`, v)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (try \"5s\" or \"1m30s\")", source.Sanitize(s))
	}
	return d, check(d)
}

func asNumbers(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, wantType(`a list such as ["+12025550100"]`, v)
	}
	numbers := make([]string, 0, len(items))
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, wantType("phone numbers as strings", item)
		}
		numbers = append(numbers, s)
	}
	return numbers, checkNumbers(numbers)
}

// asKeep reads record_keep: a duration ("36h") or days ("7d"), at least an hour.
func asKeep(v any) (time.Duration, error) {
	str, ok := v.(string)
	if !ok {
		return 0, wantType("a duration such as \"7d\" or \"36h\"", v)
	}
	var d time.Duration
	if days, found := strings.CutSuffix(str, "d"); found {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days", source.Sanitize(str))
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(str); err != nil {
			return 0, fmt.Errorf("%q is not a duration (\"7d\", \"36h\")", source.Sanitize(str))
		}
	}
	if d < time.Hour {
		return 0, fmt.Errorf("%q: keep recordings at least an hour", str)
	}
	return d, nil
}

// asSize reads record_max_size: bytes, or a size with a unit ("1GiB", "500MB"), at least
// 1 MiB.
func asSize(v any) (int64, error) {
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
			return 0, fmt.Errorf("%q is not a size (\"1GiB\", \"500MB\")", source.Sanitize(x))
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

// thresholdSet is one [thresholds] entry as written: either bound may be left out.
type thresholdSet struct {
	warn, critical *float64
}

// asThresholds reads the [thresholds] table over wamon's defaults: an entry fills what
// it leaves out from the default for that metric, else a missing critical never fires
// and a missing warn equals critical.
func asThresholds(v any) (monitor.Thresholds, error) {
	tbl, ok := v.(map[string]any)
	if !ok {
		return nil, wantType("a table", v)
	}
	out := monitor.DefaultThresholds()
	names := make([]string, 0, len(tbl))
	for name := range tbl {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		entry, ok := tbl[name].(map[string]any)
		if !ok {
			return nil, &subKeyError{toml.Key{name}, wantType("a table such as { warn = 1, critical = 2 }", tbl[name])}
		}
		var ts thresholdSet
		bounds := make([]string, 0, len(entry))
		for b := range entry {
			bounds = append(bounds, b)
		}
		slices.Sort(bounds)
		for _, bound := range bounds {
			n, err := asBound(entry[bound])
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
		t, err := ts.resolve(name, out[name])
		if err != nil {
			return nil, &subKeyError{toml.Key{name}, err}
		}
		out[name] = t
	}
	return out, nil
}

func asBound(v any) (float64, error) {
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
		return fmt.Errorf("%v: a timeout is more than 0s and at most %s", d, shortDuration(maxTimeout))
	}
	return nil
}
