package source

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean ASCII", "callback_queue_size", "callback_queue_size"},
		{"clean UTF-8", "日本語 café ✓", "日本語 café ✓"},
		{"empty", "", ""},
		{"OSC title set, BEL", "a\x1b]0;pwned\x07b", "ab"},
		{"OSC title set, ST", "a\x1b]2;pwned\x1b\\b", "ab"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"OSC 52 clipboard write", "x\x1b]52;c;cm0gLXJmIH4K\x07y", "xy"},
		{"unterminated OSC eats the rest", "ok\x1b]0;never ends", "ok"},
		{"clear screen", "\x1b[2Jafter", "after"},
		{"cursor moves", "\x1b[10;20Hx\x1b[Ay\x1b[3Cz", "xyz"},
		{"SGR colours", "\x1b[1;31mred\x1b[0m", "red"},
		{"private CSI: hide cursor, alt screen", "\x1b[?25l\x1b[?1049hx", "x"},
		{"CSI with intermediates", "a\x1b[2 qb", "ab"},
		{"8-bit CSI", "a\u009b31mb\u009b2J", "ab"},
		{"8-bit OSC ended by 8-bit ST", "a\u009d0;t\u009cb", "ab"},
		{"raw 0x9b byte is invalid UTF-8", "a\x9b2J", "a\uFFFD2J"},
		{"DCS", "a\x1bP1$r0m\x1b\\b", "ab"},
		{"APC, PM, SOS", "\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\z", "z"},
		{"two-character escapes", "\x1b7a\x1b8\x1bcb\x1bMc", "abc"},
		{"charset selection", "\x1b(Bx\x1b)0y", "xy"},
		{"lone ESC at end", "abc\x1b", "abc"},
		{"ESC before non-ASCII", "a\x1bé", "aé"},
		{"ESC ESC", "a\x1b\x1b[31mb", "ab"},
		{"CSI broken by a control", "a\x1b[31\x00mb", "amb"},
		{"OSC cancelled by CAN", "a\x1b]0;t\x18b", "ab"},
		{"OSC ended by a new escape", "a\x1b]0;t\x1b[1mb", "ab"},
		{"C0 controls", "a\x00b\x07c\x08d\x0be\x0cf", "abcdef"},
		{"DEL", "a\x7fb", "ab"},
		{"C1 controls", "a\u0085b\u0080c\u0084d", "abcd"},
		{"8-bit APC runs to its end", "a\u009fhidden", "a"},
		{"tab CR LF become one space", "a\tb\r\nc\n\n\nd", "a b c d"},
		{"line break run with a dropped control inside", "a\n\x00\nb", "a b"},
		{"existing spaces stay", "a \n b", "a   b"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c"},
		{"bidi override", "invoice\u202Etxt.exe", "invoicetxt.exe"},
		{"bidi embeddings and isolates", "\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069", "abcdefg"},
		{"bidi marks", "a\u200Eb\u200Fc\u061Cd", "abcd"},
		{"zero-width joiner and friends", "a\u200Bb\u200Cc\u200Dd\u2060e\u2063f\uFEFFg\u00ADh", "abcdefgh"},
		{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"UTF-8 encoded surrogate is invalid", "a\xed\xa0\x80b", "a\uFFFD\uFFFD\uFFFDb"},
		{"U+FFFD itself stays", "a\uFFFDb", "a\uFFFDb"},
		{"emoji stays", "ok 👍🏽 🇮🇳", "ok 👍🏽 🇮🇳"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			if got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Sanitize(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
			assertTerminalSafe(t, got)
		})
	}
}

// assertTerminalSafe checks what FuzzSanitize checks: no C0, DEL, C1 or ESC; valid UTF-8.
func assertTerminalSafe(t testing.TB, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("invalid UTF-8 in %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			t.Errorf("control byte %#x at %d in %q", s[i], i, s)
		}
	}
	for _, r := range s {
		if mustNotSurvive(r) {
			t.Errorf("rune %U in %q", r, s)
		}
	}
}

// forbiddenRanges is the test's own list of the code points Sanitize's contract says never
// reach its output: C0 controls (removed, or a space for tab, CR and LF), DEL, C1 controls,
// the bidi controls and invisible format characters, and U+2028/U+2029 (a space). It is
// written out here rather than taken from invisible(), so that a code point dropped from
// the production code makes the tests fail instead of agreeing with it.
var forbiddenRanges = []struct {
	lo, hi rune
	what   string
}{
	{0x00, 0x1f, "C0 control"},
	{0x7f, 0x7f, "DEL"},
	{0x80, 0x9f, "C1 control"},
	{0x00ad, 0x00ad, "soft hyphen"},
	{0x061c, 0x061c, "Arabic letter mark"},
	{0x180e, 0x180e, "Mongolian vowel separator"},
	{0x200b, 0x200f, "zero-width space, ZWNJ, ZWJ, LRM, RLM"},
	{0x2028, 0x2029, "line and paragraph separators"},
	{0x202a, 0x202e, "bidi embeddings and overrides"},
	{0x2060, 0x206f, "word joiner, invisible operators, isolates"},
	{0xfeff, 0xfeff, "zero-width no-break space (BOM)"},
	{0xfff9, 0xfffb, "interlinear annotation"},
}

// mustNotSurvive reports whether r is on forbiddenRanges.
func mustNotSurvive(r rune) bool {
	for _, f := range forbiddenRanges {
		if r >= f.lo && r <= f.hi {
			return true
		}
	}
	return false
}

// forbiddenRunes lists every code point of forbiddenRanges.
func forbiddenRunes() []rune {
	var rs []rune
	for _, f := range forbiddenRanges {
		for r := f.lo; r <= f.hi; r++ {
			rs = append(rs, r)
		}
	}
	return rs
}

// The neighbours of each forbidden range are ordinary text and stay, so the list above is
// not passed by a sanitiser that removes too much.
func TestSanitizeKeepsTheNeighboursOfForbiddenCodePoints(t *testing.T) {
	for _, r := range []rune{0x20, 0x7e, 0xa0, 0xac, 0xae, 0x061b, 0x061d, 0x180d, 0x180f, 0x200a,
		0x2010, 0x2027, 0x202f, 0x205f, 0x2070, 0xfefc, 0xff01, 0xfff8, 0xfffc, 0xfffd} {
		if mustNotSurvive(r) {
			t.Fatalf("%U is on the forbidden list", r)
		}
		in := "a" + string(r) + "b"
		if got := Sanitize(in); got != in {
			t.Errorf("%U: Sanitize(%+q) = %+q, want it unchanged", r, in, got)
		}
	}
}

// Every code point on the independent list is gone from Sanitize's output, alone and
// between other text; what it becomes follows the documented contract.
func TestSanitizeRemovesEveryForbiddenCodePoint(t *testing.T) {
	rs := forbiddenRunes()
	if len(rs) != 32+1+32+1+1+1+5+2+5+16+1+3 {
		t.Fatalf("forbidden list has %d code points", len(rs))
	}
	for _, r := range rs {
		// What "a<r>b" must become: a line break or separator is one space; ESC and the
		// 8-bit introducers (CSI, DCS, SOS, OSC, PM, APC) take the "b" with them as their
		// sequence; anything else is simply dropped.
		alone, embedded := "", "ab"
		switch r {
		case '\t', '\n', '\r', 0x2028, 0x2029:
			alone, embedded = " ", "a b"
		case 0x1b, 0x90, 0x98, 0x9b, 0x9d, 0x9e, 0x9f:
			embedded = "a"
		}
		for _, c := range []struct {
			in, want string
			exact    bool
		}{
			{string(r), alone, true},
			{"a" + string(r) + "b", embedded, true},
			{"日本" + string(r) + string(r) + "語", "", false}, // repeated, between multi-byte runes
		} {
			got := Sanitize(c.in)
			if strings.ContainsRune(got, r) {
				t.Errorf("%U survives: Sanitize(%+q) = %+q", r, c.in, got)
			}
			for _, g := range got {
				if mustNotSurvive(g) {
					t.Errorf("%U: Sanitize(%+q) = %+q contains %U", r, c.in, got, g)
				}
			}
			if c.exact && got != c.want {
				t.Errorf("%U: Sanitize(%+q) = %+q, want %+q", r, c.in, got, c.want)
			}
		}
	}
}

func TestSanitizeLongValue(t *testing.T) {
	clean := strings.Repeat("0123456789", 100_000)
	if got := Sanitize(clean); got != clean {
		t.Error("a long clean value changed")
	}
	dirty := strings.Repeat("ab\x1b[31mcd\n", 100_000)
	want := strings.Repeat("abcd ", 100_000)
	if got := Sanitize(dirty); got != want {
		t.Errorf("long dirty value: got %d bytes, want %d", len(got), len(want))
	}
}

func TestSanitizeCleanDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"callback_requests_duration_ms_count", "inbound_message", "日本語 ✓"} {
		if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
			t.Errorf("Sanitize(%q) allocates %v times", s, n)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		width int
		want  string
	}{
		{"fits", "queue", 10, "queue"},
		{"exact", "queue", 5, "queue"},
		{"cut", "callback_queue_size", 10, "callback_…"},
		{"width 1", "queue", 1, "…"},
		{"width 0", "queue", 0, ""},
		{"negative width", "queue", -3, ""},
		{"wide CJK fits", "日本語", 6, "日本語"},
		{"wide CJK cut", "日本語テキスト", 7, "日本語…"},
		{"wide CJK never split", "日本語テキスト", 6, "日本…"},
		{"sanitised before measuring", "\x1b]0;pwned\x07\x1b[2Jqueue size", 8, "queue s…"},
		{"zero-width chars do not count", "a\u200bb\u200bc", 3, "abc"},
		{"very long value", strings.Repeat("x", 1<<20), 20, strings.Repeat("x", 19) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.width)
			if got != tt.want {
				t.Errorf("Truncate(%.40q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
			if tt.width > 0 && ansi.StringWidth(got) > tt.width {
				t.Errorf("width %d > %d", ansi.StringWidth(got), tt.width)
			}
		})
	}
}

func BenchmarkSanitize(b *testing.B) {
	cases := map[string]string{
		"clean": "callback_requests_duration_ms_count",
		"dirty": "Queue\x1b[1;1H size\u202e evil\u200d\r\n\x1b]0;pwned\x07done",
	}
	for name, s := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Sanitize(s)
			}
		})
	}
}
