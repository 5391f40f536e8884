package source

// Sanitize makes a string that came from the network safe to print on a terminal.
// STUB: being implemented. Contract: removes C0/C1 control characters, every ANSI/VT
// escape sequence (CSI, OSC, DCS ...), bidi overrides/isolates and zero-width characters;
// replaces tabs/newlines with a space; replaces invalid UTF-8 with U+FFFD. Idempotent.
func Sanitize(s string) string { return s }
