package serve

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ed25519"
	gossh "golang.org/x/crypto/ssh"
)

func testKey(t *testing.T) (gossh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k)))
}

// A key's OpenSSH options narrow it as OpenSSH would: from= addresses (patterns, CIDR,
// negation), expiry-time=; command=, no PTY (no-pty, restrict without pty) and unknown
// options keep it out; options that forbid what serve never allows change nothing.
func TestAuthorizedKeyOptions(t *testing.T) {
	key, line := testKey(t)
	at := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 50000} }
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		options string
		from    string
		want    bool
	}{
		{"", "203.0.113.9", true},
		{`from="10.0.0.0/8"`, "10.1.2.3", true},
		{`from="10.0.0.0/8"`, "192.168.1.1", false},
		{`from="192.168.1.*,!192.168.1.66"`, "192.168.1.7", true},
		{`from="192.168.1.*,!192.168.1.66"`, "192.168.1.66", false},
		{`from="127.0.0.?"`, "127.0.0.1", true},
		{`from="bastion.example.com"`, "127.0.0.1", false}, // no reverse lookup
		// restrict takes the PTY away, as in OpenSSH, unless pty gives it back after it.
		{`restrict`, "127.0.0.1", false},
		{`restrict,no-port-forwarding,no-agent-forwarding`, "127.0.0.1", false},
		{`restrict,pty`, "127.0.0.1", true},
		{`pty,restrict`, "127.0.0.1", false},
		{`no-pty,pty`, "127.0.0.1", true},
		{`no-port-forwarding,no-agent-forwarding,no-x11-forwarding`, "127.0.0.1", true},
		{`expiry-time="20261126"`, "127.0.0.1", true},
		{`expiry-time="202611251159"`, "127.0.0.1", false},
		{`expiry-time="nonsense"`, "127.0.0.1", false},
		{`command="/usr/bin/backup"`, "127.0.0.1", false},
		{`no-pty`, "127.0.0.1", false},
		{`tunnel="0"`, "127.0.0.1", false},
		{`frobnicate`, "127.0.0.1", false},
	} {
		text := line
		if tc.options != "" {
			text = tc.options + " " + line
		}
		file := filepath.Join(t.TempDir(), "authorized_keys")
		// A second, plain key keeps the file usable when the first is refused.
		_, other := testKey(t)
		if err := os.WriteFile(file, []byte("# team\n"+text+" alice\n"+other+" bob\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := loadAuthorizedKeys(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.admits(key, at(tc.from), now); got != tc.want {
			t.Errorf("%s from %s: admitted %v, want %v", tc.options, tc.from, got, tc.want)
		}
	}
	// The same key on two lines: either admits.
	file := filepath.Join(t.TempDir(), "authorized_keys")
	os.WriteFile(file, []byte(`from="10.0.0.1" `+line+"\n"+`from="10.0.0.2" `+line+"\n"), 0o600)
	a, err := loadAuthorizedKeys(file)
	if err != nil {
		t.Fatal(err)
	}
	if !a.admits(key, at("10.0.0.2"), now) || a.admits(key, at("10.0.0.3"), now) {
		t.Error("two lines of one key: not each admitting its own address")
	}
}
