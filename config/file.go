package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// loader lays settings over a Config: the file's, then the flags'.
type loader struct {
	cfg       *Config
	getenv    func(string) string
	flagGiven []string // the flags given, by name
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

// file reads a config file's text over the configuration. Every key is checked, and
// the problem reported is the first in the file, whatever order the decoder visits
// keys in: `config.toml:7: unknown key "intervall"`, `config.toml:3: interval: "5x" is
// not a duration`.
func (l *loader) file(path, text string) error {
	var raw map[string]any
	md, err := toml.Decode(text, &raw)
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
	_ = md
	for name := range raw {
		k := toml.Key{name}
		s := byKey(name)
		if s == nil {
			add(k, fmt.Sprintf("unknown key %q", k.String()))
			continue
		}
		if err := s.set(l, raw[k[0]]); err != nil {
			key := k
			var se *subKeyError
			if errors.As(err, &se) {
				key = append(slices.Clone(k), se.sub...)
				err = se.err
			}
			add(key, key.String()+": "+err.Error())
			continue
		}
		// Where the setting came from, quoted by messages (the ascii setting's); a value
		// only for a toggle, never for a key.
		how := k[0] + " in " + filepath.Base(path)
		if b, ok := raw[k[0]].(bool); ok {
			how = fmt.Sprintf("%s = %v in %s", k[0], b, filepath.Base(path))
		}
		l.cfg.given[k[0]] = how
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
	return nil
}

func lineOrLast(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// keyLine finds the line (from 1) where key is defined: as a [table] header, a key = value
// line inside its table, or inside an inline table on such a line. 0 when not found.
// The TOML decoder does not expose key positions, so this reads the text; it is enough for
// a flat config file.
func keyLine(text string, key toml.Key) int {
	var tbl toml.Key
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(stripComment(raw))
		if strings.HasPrefix(line, "[") {
			tbl = splitKey(strings.Trim(line, "[] \t"))
			if slices.Equal(tbl, key) {
				return i + 1
			}
			continue
		}
		lhs, rhs, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		path := append(slices.Clone(tbl), splitKey(lhs)...)
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
