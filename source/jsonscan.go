package source

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// syntaxError is where a body stops being JSON: off is the offending byte's offset.
type syntaxError struct {
	off int
	msg string
	eof bool
}

func (e *syntaxError) Error() string {
	if e.eof {
		return "unexpected end of JSON"
	}
	return fmt.Sprintf("byte %d: %s", e.off, e.msg)
}

// maxDepth bounds nesting, so that "[[[[..." cannot exhaust the stack.
const maxDepth = 200

// scanner is a small JSON reader over the body: it validates as it goes and hands out
// strings and numbers as slices of the body, so that decoding does not allocate per
// token. Each method starts at the next value (after whitespace) and consumes it whole.
type scanner struct {
	buf   []byte
	pos   int
	depth int
}

// document reads one value with read, then allows only whitespace.
func (s *scanner) document(read func() error) error {
	if err := read(); err != nil {
		return err
	}
	if s.peek(); s.pos < len(s.buf) {
		return s.errAt("after the top-level value")
	}
	return nil
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	for s.pos < len(s.buf) && isSpace(s.buf[s.pos]) {
		s.pos++
	}
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// errAt reports the byte at pos as unexpected, or the end of input.
func (s *scanner) errAt(context string) error {
	if s.pos >= len(s.buf) {
		return &syntaxError{off: len(s.buf), eof: true}
	}
	r, _ := utf8.DecodeRune(s.buf[s.pos:])
	return &syntaxError{off: s.pos, msg: "unexpected " + strconv.QuoteRune(r) + " " + context}
}

func (s *scanner) skipValue() error {
	switch c := s.peek(); c {
	case '{':
		return s.eachMember(func([]byte) error { return s.skipValue() })
	case '[':
		return s.eachElement(func(int) error { return s.skipValue() })
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || isDigit(c) {
			_, err := s.number()
			return err
		}
		return s.errAt("looking for the beginning of a value")
	}
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return &syntaxError{off: s.pos, msg: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	return nil
}

// eachMember reads an object, calling fn with each key; fn must consume the value.
// The key is a slice of the body unless it had escapes.
func (s *scanner) eachMember(fn func(key []byte) error) error {
	if s.peek() != '{' {
		return s.errAt("looking for an object")
	}
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errAt("looking for the beginning of an object key")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.errAt("after object key")
		}
		s.pos++
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errAt("after object member")
		}
	}
}

// eachElement reads an array, calling fn with each index; fn must consume the element.
func (s *scanner) eachElement(fn func(i int) error) error {
	if s.peek() != '[' {
		return s.errAt("looking for an array")
	}
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errAt("after array element")
		}
	}
}

func (s *scanner) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if s.pos >= len(s.buf) {
			return s.errAt("")
		}
		if s.buf[s.pos] != word[i] {
			return s.errAt("in literal " + word)
		}
		s.pos++
	}
	return nil
}

// number reads a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	start := s.pos
	end, ok := numberEnd(s.buf, start)
	s.pos = end
	if !ok {
		return nil, s.errAt("in numeric literal")
	}
	return s.buf[start:end], nil
}

// isNumber reports whether b is exactly one JSON number.
func isNumber(b []byte) bool {
	end, ok := numberEnd(b, 0)
	return ok && end == len(b)
}

// numberEnd returns the end of the JSON number starting at b[i], and false (with the
// index of the offending byte, or len(b) when cut short) if it is malformed.
func numberEnd(b []byte, i int) (int, bool) {
	digits := func() bool {
		start := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}

// str reads a JSON string and returns its content: a slice of the body, or a decoded
// copy when it has escapes. Invalid UTF-8 is passed on (Sanitize replaces it).
func (s *scanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errAt("looking for a string")
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.buf) {
		switch c := s.buf[s.pos]; {
		case c == '"':
			s.pos++
			return s.buf[start : s.pos-1], nil
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			return nil, s.errAt("in string literal")
		}
		s.pos++
	}
	return nil, s.errAt("")
}

// unescape finishes a string that has escapes, from the first backslash at s.pos.
func (s *scanner) unescape(start int) ([]byte, error) {
	out := make([]byte, 0, s.pos-start+16)
	out = append(out, s.buf[start:s.pos]...)
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			return out, nil
		case c < 0x20:
			return nil, s.errAt("in string literal")
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		s.pos++
		if s.pos >= len(s.buf) {
			return nil, s.errAt("")
		}
		switch e := s.buf[s.pos]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				// Half of a UTF-16 pair: whole only if the other half follows.
				hi := r
				r = utf8.RuneError
				if s.pos+2 < len(s.buf) && s.buf[s.pos+1] == '\\' && s.buf[s.pos+2] == 'u' {
					save := s.pos
					s.pos += 2
					lo, err := s.hex4()
					if err != nil {
						return nil, err
					}
					if pair := utf16.DecodeRune(hi, lo); pair != utf8.RuneError {
						r = pair
					} else {
						s.pos = save // not a pair: the next escape stands alone
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.errAt("in string escape code")
		}
		s.pos++
	}
	return nil, s.errAt("")
}

// hex4 reads the four hex digits after "\u", leaving pos on the last one.
func (s *scanner) hex4() (rune, error) {
	var r rune
	for range 4 {
		s.pos++
		if s.pos >= len(s.buf) {
			return 0, s.errAt("")
		}
		c := s.buf[s.pos]
		var v byte
		switch {
		case isDigit(c):
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, s.errAt("in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
