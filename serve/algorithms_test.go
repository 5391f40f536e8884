package serve

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// Every algorithm the door lists is one x/crypto implements: it drops a name it does not
// know without a word, and the README would then promise what is not offered.
func TestAlgorithmsSupported(t *testing.T) {
	supported, algs := gossh.SupportedAlgorithms(), algorithms()
	for _, c := range []struct {
		what            string
		list, supported []string
	}{
		// x/crypto lists curve25519 under its RFC name only, and takes libssh's as an alias
		// (TestSSHAlgorithms connects with it).
		{"key exchange", algs.KeyExchanges, append(supported.KeyExchanges, "curve25519-sha256@libssh.org")},
		{"cipher", algs.Ciphers, supported.Ciphers},
		{"MAC", algs.MACs, supported.MACs},
		{"host key", algs.HostKeys, supported.HostKeys},
		{"public key signature", algs.PublicKeyAuths, supported.PublicKeyAuths},
	} {
		if len(c.list) == 0 {
			t.Errorf("no %s listed: x/crypto would offer its defaults", c.what)
		}
		for _, name := range c.list {
			if !slices.Contains(c.supported, name) {
				t.Errorf("%s %s is not one x/crypto supports", c.what, name)
			}
		}
	}
}

// The real OpenSSH client gets in with each key exchange and each cipher the door offers
// that it knows (curve25519-sha256@libssh.org is the name OpenSSH 6.5 to 7.3 know), and
// without a match when it offers only what the door dropped; its own defaults agree on
// algorithms of the door's.
func TestSSHAlgorithms(t *testing.T) {
	f := newFixture(t, nil)
	algs := algorithms()
	known := func(query string) []string {
		out, err := exec.Command("ssh", "-Q", query).Output()
		if err != nil {
			t.Fatalf("ssh -Q %s: %v", query, err)
		}
		return strings.Fields(string(out))
	}
	kexKnown, ciphersKnown := known("kex"), known("cipher")
	// connects logs the client's key exchange at debug level (the first LogLevel given
	// wins) and reaches a session: without a terminal, the door's one-line refusal says
	// the client authenticated.
	connects := func(t *testing.T, opts ...string) string {
		t.Helper()
		out, code := f.ssh(f.key, nil, append([]string{"-T", "-o", "LogLevel=DEBUG1"}, opts...))
		refused(t, out, code, "Requires an active PTY", "kex: host key algorithm: ssh-ed25519")
		return out
	}

	t.Run("defaults", func(t *testing.T) {
		out := connects(t)
		for _, c := range []struct {
			prefix string
			list   []string
		}{
			{"debug1: kex: algorithm: ", algs.KeyExchanges},
			{"debug1: kex: server->client cipher: ", algs.Ciphers},
			{"debug1: kex: client->server cipher: ", algs.Ciphers},
		} {
			_, rest, ok := strings.Cut(out, c.prefix)
			if !ok {
				t.Fatalf("no %q in the client's log:\n%s", c.prefix, out)
			}
			if got := strings.Fields(rest)[0]; !slices.Contains(c.list, got) {
				t.Errorf("%s%s is not one of the door's %q", c.prefix, got, c.list)
			}
		}
	})
	for _, kex := range algs.KeyExchanges {
		t.Run(kex, func(t *testing.T) {
			if !slices.Contains(kexKnown, kex) {
				t.Skipf("this OpenSSH client does not know %s (ssh -Q kex)", kex)
			}
			if out := connects(t, "-o", "KexAlgorithms="+kex); !strings.Contains(out, "kex: algorithm: "+kex+"\r\n") {
				t.Errorf("the client did not agree on %s:\n%s", kex, out)
			}
		})
	}
	for _, cipher := range algs.Ciphers {
		t.Run(cipher, func(t *testing.T) {
			if !slices.Contains(ciphersKnown, cipher) {
				t.Skipf("this OpenSSH client does not know %s (ssh -Q cipher)", cipher)
			}
			if out := connects(t, "-o", "Ciphers="+cipher); !strings.Contains(out, "kex: server->client cipher: "+cipher+" ") {
				t.Errorf("the client did not agree on %s:\n%s", cipher, out)
			}
		})
	}
	// What x/crypto offers by default and the door does not: a client offering only that
	// finds no match, so the door refuses it, not only leaves it unadvertised.
	for _, c := range []struct{ opt, want string }{
		{"KexAlgorithms=ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1", "no matching key exchange method found"},
		{"Ciphers=aes128-ctr,aes192-ctr,aes256-ctr", "no matching cipher found"},
		{"HostKeyAlgorithms=ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256", "no matching host key type found"},
	} {
		t.Run(c.opt, func(t *testing.T) {
			// The client says "Unable to negotiate" at level INFO.
			out, code := f.ssh(f.key, nil, []string{"-T", "-o", "LogLevel=INFO", "-o", c.opt})
			refused(t, out, code, c.want)
		})
	}
	// A teammate's RSA key gets in signing with SHA-2, and not with SHA-1 (ssh-rsa).
	t.Run("RSA key", func(t *testing.T) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		block, err := gossh.MarshalPrivateKey(key, "")
		if err != nil {
			t.Fatal(err)
		}
		priv := filepath.Join(f.dir, "carol")
		if err := os.WriteFile(priv, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		signer, err := gossh.NewSignerFromKey(key)
		if err != nil {
			t.Fatal(err)
		}
		authorized, err := os.ReadFile(f.auth)
		if err != nil {
			t.Fatal(err)
		}
		// Read again at the next connection: the file has changed.
		if err := os.WriteFile(f.auth, append(authorized, gossh.MarshalAuthorizedKey(signer.PublicKey())...), 0o600); err != nil {
			t.Fatal(err)
		}
		out := connects(t, "-i", priv, "-o", "PubkeyAcceptedAlgorithms=rsa-sha2-512,rsa-sha2-256")
		if !strings.Contains(out, "Server accepts key: "+priv+" RSA") {
			t.Errorf("the RSA key was not the one accepted:\n%s", out)
		}
		// x/crypto's client signs with what the signer is limited to, whatever the server
		// says it takes: a SHA-1 signature reaches the server, which refuses it.
		sha1, err := gossh.NewSignerWithAlgorithms(signer.(gossh.AlgorithmSigner), []string{gossh.KeyAlgoRSA})
		if err != nil {
			t.Fatal(err)
		}
		cfg := f.clientConfig(t, f.key)
		cfg.Auth = []gossh.AuthMethod{gossh.PublicKeys(sha1)}
		if client, err := gossh.Dial("tcp", "127.0.0.1:"+f.port, cfg); err == nil {
			client.Close()
			t.Error("a SHA-1 ssh-rsa signature was taken")
		} else if !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("a SHA-1 ssh-rsa signature: %v, want it refused", err)
		}
	})
	// OpenSSH before 9.9 (Debian 12's 9.2) has no mlkem768x25519-sha256, so x/crypto's
	// own client tries it.
	t.Run("mlkem768x25519-sha256 with x/crypto's client", func(t *testing.T) {
		cfg := f.clientConfig(t, f.key)
		cfg.KeyExchanges = []string{gossh.KeyExchangeMLKEM768X25519}
		client, err := gossh.Dial("tcp", "127.0.0.1:"+f.port, cfg)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer client.Close()
		if got := client.Conn.(gossh.AlgorithmsConnMetadata).Algorithms().KeyExchange; got != gossh.KeyExchangeMLKEM768X25519 {
			t.Errorf("key exchange %s, want %s", got, gossh.KeyExchangeMLKEM768X25519)
		}
	})
}
