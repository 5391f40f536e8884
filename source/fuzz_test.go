package source

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// addFixtures seeds a fuzzer with every decode fixture.
func addFixtures(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "decode", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzDecode(f *testing.F) {
	addFixtures(f)
	f.Add(manySeriesPayload(2, 3))
	f.Fuzz(func(t *testing.T, body []byte) {
		snap, err := Decode(body)
		if err != nil {
			var (
				apiErr *APIError
				decErr *DecodeError
			)
			switch {
			case errors.As(err, &apiErr):
				if Sanitize(apiErr.Code) != apiErr.Code || Sanitize(apiErr.Message) != apiErr.Message {
					t.Errorf("APIError not sanitised: %q", err)
				}
			case errors.As(err, &decErr):
				if Sanitize(decErr.What) != decErr.What {
					t.Errorf("DecodeError not sanitised: %q", decErr.What)
				}
			default:
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if len(snap.Metrics) != 0 || snap.Nodes != nil {
				t.Errorf("metrics or nodes beside an error")
			}
			return
		}
		if snap.Metrics == nil {
			t.Fatal("nil Metrics on success")
		}
		assertSanitised(t, &snap)
		if snap.Nodes != nil && len(snap.Nodes) == 0 {
			t.Error("Nodes is empty but not nil")
		}
		for i, n := range snap.Nodes {
			for _, m := range snap.Nodes[:i] {
				if m.Name == n.Name {
					t.Errorf("node %q listed twice", n.Name)
				}
			}
		}
		for key, m := range snap.Metrics {
			if m.Name != key {
				t.Errorf("metric %q stored under %q", m.Name, key)
			}
			for _, s := range m.Samples {
				if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
					t.Errorf("%s: value %v is not finite", key, s.Value)
				}
				for i := 1; i < len(s.Labels); i++ {
					if s.Labels[i-1].Name >= s.Labels[i].Name {
						t.Errorf("%s: labels not sorted and unique: %v", key, s.Labels)
					}
				}
			}
		}
	})
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", "plain", "a\x1b]0;pwned\x07b", "\x1b[2J", "\x1b[?25l", "\u009b31m", "\u202Eabc",
		"a\u200Db", "\xff\xfe", "\x1bP1$r\x1b\\", "a\r\n\tb", "日本語", "\x1b", "\u009d\u009c",
	} {
		f.Add(s)
	}
	// Every code point that must never survive, alone and between text, so that the seed
	// corpus alone catches one dropped from the sanitiser.
	for _, r := range forbiddenRunes() {
		f.Add("a" + string(r) + "b")
	}
	f.Add(string(forbiddenRunes()))
	f.Fuzz(func(t *testing.T, s string) {
		got := Sanitize(s)
		if again := Sanitize(got); again != got {
			t.Errorf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if !utf8.ValidString(got) {
			t.Errorf("invalid UTF-8 out of %q: %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c < 0x20 || c == 0x7f {
				t.Fatalf("byte %#x out of %q: %q", c, s, got)
			}
		}
		// The independent list, not invisible(): the code must not be its own oracle.
		for _, r := range got {
			if mustNotSurvive(r) {
				t.Fatalf("rune %U out of %q: %q", r, s, got)
			}
		}
		if len(got) > 3*len(s) {
			t.Errorf("output %d bytes from %d", len(got), len(s))
		}
	})
}
