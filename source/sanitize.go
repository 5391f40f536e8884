package source

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Sanitize makes a string that came from the network safe to print on a terminal.
//
// It removes C0 and C1 control characters and DEL, every ANSI/VT escape sequence whole
// (CSI, OSC, DCS, SOS, PM, APC, two-character and charset ESC sequences, and the 8-bit C1
// forms such as U+009B), bidi embeddings, overrides, isolates and marks, and zero-width
// and other invisible format characters. A run of tabs, CRs and LFs becomes one space, as
// do U+2028/U+2029, so a value always stays on one line. Invalid UTF-8 becomes U+FFFD.
//
// The result never contains a byte below 0x20, nor 0x7f, nor a C1 control, so nothing in
// it can start an escape sequence; Sanitize(Sanitize(x)) == Sanitize(x). A string that
// needs no change is returned as is, without allocating.
func Sanitize(s string) string {
	i := firstUnsafe(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	sanitizeInto(&b, s[i:])
	return b.String()
}

// Truncate sanitises s and cuts it to at most width terminal cells, ending with "…" when
// something was cut. Wide characters (CJK, emoji) count as two cells and are never split.
// It is for plain text from the network; styled text must be cut with ansi.Truncate.
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(Sanitize(s), width, "…")
}

// firstUnsafe returns the index of the first byte Sanitize must act on, or len(s).
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return i
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r <= 0x9f || invisible(r) || r == 0x2028 || r == 0x2029 {
			return i
		}
		i += size
	}
	return len(s)
}

// sanitizeInto writes the safe form of s to b.
func sanitizeInto(b *strings.Builder, s string) {
	// spaced is true right after a space written for a line break or tab, so that a run
	// of them (possibly with dropped controls in between) gives one space.
	spaced := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
			continue
		case c == '\t' || c == '\n' || c == '\r':
			if !spaced {
				b.WriteByte(' ')
				spaced = true
			}
			i++
			continue
		case c < 0x20 || c == 0x7f:
			i++
			continue
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			spaced = false
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r <= 0x9f:
			i = skipC1(s, i, r)
			continue
		case r == 0x2028 || r == 0x2029:
			if !spaced {
				b.WriteByte(' ')
				spaced = true
			}
			i += size
			continue
		case invisible(r):
			i += size
			continue
		default:
			b.WriteString(s[i : i+size])
		}
		spaced = false
		i += size
	}
}

// invisible reports the bidi controls and the zero-width or otherwise invisible format
// characters that can reorder or hide what an operator reads.
func invisible(r rune) bool {
	switch {
	case r == 0x00ad, // soft hyphen
		r == 0x061c,                // Arabic letter mark
		r == 0x180e,                // Mongolian vowel separator
		r >= 0x200b && r <= 0x200f, // zero-width space/joiners, LRM, RLM
		r >= 0x202a && r <= 0x202e, // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x206f, // word joiner, invisible operators, isolates
		r == 0xfeff,                // zero-width no-break space (BOM)
		r >= 0xfff9 && r <= 0xfffb: // interlinear annotation
		return true
	}
	return false
}

// skipEscape returns the index just past the escape sequence that starts with the ESC
// at s[i]. A lone or broken ESC is dropped by itself.
func skipEscape(s string, i int) int {
	j := i + 1
	if j >= len(s) {
		return j
	}
	switch c := s[j]; {
	case c == '[':
		return skipCSI(s, j+1)
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return skipControlString(s, j+1)
	case c >= 0x20 && c <= 0x2f: // intermediates, e.g. ESC ( B selects a charset
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
			j++
		}
		if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e {
			j++
		}
		return j
	case c >= 0x30 && c <= 0x7e: // two-character sequence, e.g. ESC 7, ESC c
		return j + 1
	}
	return j
}

// skipC1 handles a C1 control (U+0080..U+009F) at s[i]: the 8-bit introducers take their
// sequence with them, the others go alone.
func skipC1(s string, i int, r rune) int {
	const size = 2 // every C1 control is two bytes in UTF-8
	switch r {
	case 0x9b: // CSI
		return skipCSI(s, i+size)
	case 0x90, 0x98, 0x9d, 0x9e, 0x9f: // DCS, SOS, OSC, PM, APC
		return skipControlString(s, i+size)
	}
	return i + size
}

// skipCSI returns the index past a control sequence's parameters, intermediates and final
// byte, starting at i (just after the introducer). A sequence broken by any other byte
// ends there; that byte is then handled on its own.
func skipCSI(s string, i int) int {
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x20 && c <= 0x3f:
		case c >= 0x40 && c <= 0x7e:
			return i + 1
		default:
			return i
		}
	}
	return i
}

// skipControlString returns the index past an OSC/DCS/SOS/PM/APC string starting at i.
// It ends at BEL, at ST (ESC \ or U+009C), or is cancelled by CAN/SUB; another ESC ends it
// and starts a sequence of its own. An unterminated string runs to the end.
func skipControlString(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case 0x07, 0x18, 0x1a:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return i
}
