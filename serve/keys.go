package serve

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// authorizedKeys is the keys of an authorized_keys file, and what the file was when read.
// The options OpenSSH gives a key are honoured where they narrow it: from= (the addresses
// it may come from) and expiry-time=; a key with command= or without a PTY (no-pty, or
// restrict without pty) is meant for something else than a console and is not admitted,
// nor is one with an option wamon does not know. The rest (no-port-forwarding ...)
// forbid what serve never allows.
//
// Like OpenSSH's StrictModes, a file or directory that group or others may write is not
// read: whoever could write it could admit themselves.
type authorizedKeys struct {
	path string
	mu   sync.RWMutex
	keys map[string][]keyRule // by the key's wire form: one rule per line it is on
	seen fileStamp            // the file and its directory when last read

	reading sync.Mutex // one reader of the file at a time
}

// keyRule is what one line of the file allows its key.
type keyRule struct {
	from   []string  // address patterns; none: from anywhere
	expiry time.Time // zero: never
}

// fileStamp is what tells that the file or its directory changed: a stat of each.
type fileStamp struct {
	mod     time.Time
	size    int64
	mode    os.FileMode
	dirMode os.FileMode
	err     string
}

func stampOf(file string) fileStamp {
	var st fileStamp
	if fi, err := os.Stat(filepath.Dir(file)); err == nil {
		st.dirMode = fi.Mode()
	}
	fi, err := os.Stat(file)
	if err != nil {
		st.err = err.Error()
		return st
	}
	st.mod, st.size, st.mode = fi.ModTime(), fi.Size(), fi.Mode()
	return st
}

// loadAuthorizedKeys reads the file at start; it is an error when it holds no usable
// key, or group or others may write it: serve then refuses to start.
func loadAuthorizedKeys(file string) (*authorizedKeys, error) {
	if file == "" {
		return nil, errors.New("no authorized_keys file: serve refuses to start, or anyone could connect")
	}
	a := &authorizedKeys{path: file, keys: map[string][]keyRule{}}
	if err := a.read(); err != nil {
		return nil, fmt.Errorf("%w; serve refuses to start", err)
	}
	return a, nil
}

// read reads the file again and takes its keys. A file that cannot be used (missing,
// unreadable, writable by others, without a usable key) leaves no key: nobody is
// admitted, and the error says why.
func (a *authorizedKeys) read() error {
	st := stampOf(a.path)
	keys, err := readKeys(a.path)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys, a.seen = keys, st
	return err
}

// readKeys reads an authorized_keys file: its usable keys, or why there are none.
func readKeys(file string) (map[string][]keyRule, error) {
	keys := map[string][]keyRule{}
	dir := filepath.Dir(file)
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o022 != 0 {
		return keys, fmt.Errorf("authorized keys: directory %s is writable by group or others (mode %04o); run: chmod go-w %s",
			dir, fi.Mode().Perm(), dir)
	}
	f, err := os.Open(file)
	if err != nil {
		return keys, fmt.Errorf("authorized keys: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return keys, fmt.Errorf("authorized keys: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return keys, fmt.Errorf("authorized keys: %s is not a regular file", file)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return keys, fmt.Errorf("authorized keys: %s is writable by group or others (mode %04o); run: chmod go-w %s",
			file, fi.Mode().Perm(), file)
	}
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return keys, fmt.Errorf("authorized keys: %w", err)
	}
	for rest := data; len(rest) > 0; {
		key, _, options, next, err := gossh.ParseAuthorizedKey(rest)
		if err != nil {
			break // no more keys: ParseAuthorizedKey skips comments and blank lines itself
		}
		rest = next
		if rule, ok := parseOptions(options); ok {
			k := string(key.Marshal())
			keys[k] = append(keys[k], rule)
		}
	}
	if len(keys) == 0 {
		return keys, fmt.Errorf("authorized keys: %s holds no usable public key", file)
	}
	return keys, nil
}

// parseOptions reads a key's options; ok is false when the key must not be admitted.
func parseOptions(options []string) (rule keyRule, ok bool) {
	pty := true // as OpenSSH: restrict takes the PTY away, pty gives it back, the last one says
	defer func() { ok = ok && pty }()
	for _, o := range options {
		name, value, _ := strings.Cut(o, "=")
		value = strings.Trim(value, `"`)
		switch strings.ToLower(name) {
		case "from":
			rule.from = strings.Split(value, ",")
		case "expiry-time":
			t, err := parseExpiry(value)
			if err != nil {
				return rule, false
			}
			rule.expiry = t
		case "restrict", "no-pty":
			pty = false
		case "pty":
			pty = true
		case "no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc",
			"port-forwarding", "agent-forwarding", "x11-forwarding", "user-rc", "cert-authority-never":
			// wamon allows no forwarding: nothing to do.
		default: // command=, permitopen=, tunnel=, principals=, an unknown option
			return rule, false
		}
	}
	return rule, true
}

// parseExpiry reads OpenSSH's YYYYMMDD[HHMM[SS]], local time.
func parseExpiry(v string) (time.Time, error) {
	for _, layout := range []string{"20060102150405", "200601021504", "20060102"} {
		if len(v) == len(layout) {
			return time.ParseInLocation(layout, v, time.Local)
		}
	}
	return time.Time{}, fmt.Errorf("expiry-time %q", v)
}

func (a *authorizedKeys) count() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.keys)
}

// admits reports whether key may connect from remote now.
func (a *authorizedKeys) admits(key ssh.PublicKey, remote net.Addr, now time.Time) bool {
	a.mu.RLock()
	rules := a.keys[string(key.Marshal())]
	a.mu.RUnlock()
	ip := addrOf(remote)
	for _, r := range rules {
		if (r.expiry.IsZero() || now.Before(r.expiry)) && (r.from == nil || matchFrom(r.from, ip)) {
			return true
		}
	}
	return false
}

// matchFrom is OpenSSH's from= list for an address: patterns with * and ?, or CIDR
// blocks, each negated by a leading !; a negated match refuses, else any match admits.
// Host names would need a reverse lookup, which serve does not trust: they never match.
func matchFrom(patterns []string, ip string) bool {
	addr := net.ParseIP(ip)
	matched := false
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		negated := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		hit := false
		if _, block, err := net.ParseCIDR(p); err == nil {
			hit = addr != nil && block.Contains(addr)
		} else if ok, err := path.Match(p, ip); err == nil {
			hit = ok
		}
		if hit && negated {
			return false
		}
		matched = matched || hit
	}
	return matched
}

// refresh reads the file again when it or its directory changed (its time, size or
// mode, or whether it is there); changed says it did, err why nobody is admitted now.
func (a *authorizedKeys) refresh() (changed bool, err error) {
	a.reading.Lock()
	defer a.reading.Unlock()
	st := stampOf(a.path)
	a.mu.RLock()
	same := st == a.seen
	a.mu.RUnlock()
	if same {
		return false, nil
	}
	return true, a.read()
}

// reload reads the file again, changed or not.
func (a *authorizedKeys) reload() error {
	a.reading.Lock()
	defer a.reading.Unlock()
	return a.read()
}
