package serve

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// authorizedKeys is the keys of an authorized_keys file, and what the file was when read.
// The options OpenSSH gives a key are honoured where they narrow it: from= (the addresses
// it may come from) and expiry-time=; a key with command= or no-pty is meant for
// something else than a console and is not admitted, nor is one with an option wamon
// does not know. The rest (restrict, no-port-forwarding ...) forbid what serve never
// allows.
type authorizedKeys struct {
	path string
	mu   sync.RWMutex
	keys map[string][]keyRule // by the key's wire form: one rule per line it is on
	mod  time.Time
	size int64
}

// keyRule is what one line of the file allows its key.
type keyRule struct {
	from   []string  // address patterns; none: from anywhere
	expiry time.Time // zero: never
}

// loadAuthorizedKeys reads the file; it is an error when it holds no usable key.
func loadAuthorizedKeys(file string) (*authorizedKeys, error) {
	if file == "" {
		return nil, errors.New("no authorized_keys file: serve refuses to start, or anyone could connect")
	}
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %w; serve refuses to start without one (anyone could connect)", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %w", err)
	}
	a := &authorizedKeys{path: file, keys: map[string][]keyRule{}, mod: fi.ModTime(), size: fi.Size()}
	for rest := data; len(rest) > 0; {
		key, _, options, next, err := gossh.ParseAuthorizedKey(rest)
		if err != nil {
			break // no more keys: ParseAuthorizedKey skips comments and blank lines itself
		}
		rest = next
		if rule, ok := parseOptions(options); ok {
			k := string(key.Marshal())
			a.keys[k] = append(a.keys[k], rule)
		}
	}
	if len(a.keys) == 0 {
		return nil, fmt.Errorf("%s holds no usable public key: serve refuses to start (anyone could connect)", file)
	}
	return a, nil
}

// parseOptions reads a key's options; ok is false when the key must not be admitted.
func parseOptions(options []string) (rule keyRule, ok bool) {
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
		case "restrict", "no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc",
			"port-forwarding", "agent-forwarding", "x11-forwarding", "pty", "user-rc", "cert-authority-never":
			// wamon allows no forwarding and always needs a PTY: nothing to do.
		default: // command=, no-pty, permitopen=, tunnel=, principals=, an unknown option
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
	ip := ""
	if t, ok := remote.(*net.TCPAddr); ok {
		ip = t.IP.String()
	} else if host, _, err := net.SplitHostPort(remote.String()); err == nil {
		ip = host
	}
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

func (a *authorizedKeys) replace(b *authorizedKeys) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys, a.mod, a.size = b.keys, b.mod, b.size
}

// refresh reads the file again when its size or time changed.
func (a *authorizedKeys) refresh() (*authorizedKeys, bool, error) {
	fi, err := os.Stat(a.path)
	if err != nil {
		return nil, false, err
	}
	a.mu.RLock()
	same := fi.ModTime().Equal(a.mod) && fi.Size() == a.size
	a.mu.RUnlock()
	if same {
		return nil, false, nil
	}
	b, err := loadAuthorizedKeys(a.path)
	return b, err == nil, err
}
