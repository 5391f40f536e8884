package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// auditUnknown are the algorithms the door offers that ssh-audit 2.5 (Debian 12's) does
// not know: "unknown algorithm" is the one warning it may draw, and only for these.
var auditUnknown = map[string]string{
	"mlkem768x25519-sha256":        "the post-quantum hybrid key exchange (OpenSSH 9.9, 2024)",
	"kex-strict-s-v00@openssh.com": "the strict key exchange marker against Terrapin (OpenSSH 9.6, 2023), which x/crypto adds",
}

var (
	// (kex) ecdh-sha2-nistp256 -- [fail] using weak elliptic curves
	auditAlgLine = regexp.MustCompile(`^\((\w+)\) (\S+) -- \[(fail|warn)\] (.*)$`)
	// !!! WARNING: unknown algorithm(s) found!: a,b.  Please email the full output ...
	auditUnknownLine = regexp.MustCompile(`^!!! WARNING: unknown algorithm\(s\) found!: (\S+?)\.\s`)
)

// auditFindings reads the output of ssh-audit -b -n -l warn (batch, no colour, warnings
// and failures only) and returns what the door may not draw, the algorithms allowed as
// unknown it met, and its notes. ssh-audit 2.5's JSON carries no verdicts, and its exit
// status is "warning" for an unknown algorithm too, so the lines are read. A line this
// does not recognise is a finding: a new kind of warning cannot pass unread.
func auditFindings(out string) (findings, unknown, notes []string) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, " \r")
		switch m := auditAlgLine.FindStringSubmatch(line); {
		case line == "":
		case m != nil && m[3] == "warn" && m[4] == "unknown algorithm" && auditUnknown[m[2]] != "":
			unknown = append(unknown, m[2])
		case m != nil:
			findings = append(findings, line)
		case strings.HasPrefix(line, "(nfo) "), strings.HasPrefix(line, "(fin) "):
			// Notes, which rate nothing: 2.5's link to hardening guides (printed with
			// findings of its own), and ssh-audit 3.3's (Debian 13's, which exits 0 for
			// the door) on Terrapin, connection throttling and MD5 fingerprints.
			notes = append(notes, line)
		default:
			if m := auditUnknownLine.FindStringSubmatch(line); m != nil {
				// Its closing plea to report unknown algorithms: fine if they are ours.
				for _, name := range strings.Split(m[1], ",") {
					if auditUnknown[name] == "" {
						findings = append(findings, line)
						break
					}
				}
				continue
			}
			findings = append(findings, line)
		}
	}
	return findings, unknown, notes
}

// The findings of ssh-audit 2.5 against wamon serve on x/crypto's defaults, as it printed
// them (-b -n -l warn), and against the door as it is: the reading sees every failure
// and warning in the first, none in the second.
func TestAuditFindings(t *testing.T) {
	const defaults = `
(kex) mlkem768x25519-sha256 -- [warn] unknown algorithm
(kex) ecdh-sha2-nistp256 -- [fail] using weak elliptic curves
(kex) ecdh-sha2-nistp384 -- [fail] using weak elliptic curves
(kex) ecdh-sha2-nistp521 -- [fail] using weak elliptic curves
(kex) diffie-hellman-group14-sha1 -- [warn] using weak hashing algorithm
(kex) kex-strict-s-v00@openssh.com -- [warn] unknown algorithm
(mac) hmac-sha2-256 -- [warn] using encrypt-and-MAC mode
(mac) hmac-sha2-512 -- [warn] using encrypt-and-MAC mode
(mac) hmac-sha1 -- [warn] using encrypt-and-MAC mode
(mac) hmac-sha1 -- [warn] using weak hashing algorithm
(mac) hmac-sha1-96 -- [fail] removed (in server) since OpenSSH 6.7, unsafe algorithm
(mac) hmac-sha1-96 -- [warn] disabled (in client) since OpenSSH 7.2, legacy algorithm
(mac) hmac-sha1-96 -- [warn] using encrypt-and-MAC mode
(mac) hmac-sha1-96 -- [warn] using weak hashing algorithm
(rec) -diffie-hellman-group14-sha1-- kex algorithm to remove 
(rec) -ecdh-sha2-nistp256-- kex algorithm to remove 
(rec) -ecdh-sha2-nistp384-- kex algorithm to remove 
(rec) -ecdh-sha2-nistp521-- kex algorithm to remove 
(rec) -hmac-sha1-- mac algorithm to remove 
(rec) -hmac-sha1-96-- mac algorithm to remove 
(rec) -hmac-sha2-256-- mac algorithm to remove 
(rec) -hmac-sha2-512-- mac algorithm to remove 
(nfo) For hardening guides on common OSes, please see: <https://www.ssh-audit.com/hardening_guides.html>


!!! WARNING: unknown algorithm(s) found!: mlkem768x25519-sha256,kex-strict-s-v00@openssh.com.  Please email the full output above to the maintainer (jtesta@positronsecurity.com), or create a Github issue at <https://github.com/jtesta/ssh-audit/issues>.
`
	const door = `
(kex) mlkem768x25519-sha256 -- [warn] unknown algorithm
(kex) kex-strict-s-v00@openssh.com -- [warn] unknown algorithm


!!! WARNING: unknown algorithm(s) found!: mlkem768x25519-sha256,kex-strict-s-v00@openssh.com.  Please email the full output above to the maintainer (jtesta@positronsecurity.com), or create a Github issue at <https://github.com/jtesta/ssh-audit/issues>.
`
	// ssh-audit 3.3.0's, abridged.
	const door33 = `

(fin) ssh-ed25519: MD5:91:b8:1e:bf:74:e6:bf:1e:7c:c5:7c:ed:07:32:72:38 -- [info] do not rely on MD5 fingerprints for server identification; it is insecure for this use case
(nfo) Be aware that, while this target properly supports the strict key exchange method (via the kex-strict-?-v00@openssh.com marker) needed to protect against the Terrapin vulnerability (CVE-2023-48795), all peers must also support this feature as well, otherwise the vulnerability will still be present.
(nfo) Potentially insufficient connection throttling detected, resulting in possible vulnerability to the DHEat DoS attack (CVE-2002-20001).
`
	findings, unknown, _ := auditFindings(defaults)
	for _, want := range []string{
		"(kex) ecdh-sha2-nistp256 -- [fail]", "(kex) ecdh-sha2-nistp384 -- [fail]", "(kex) ecdh-sha2-nistp521 -- [fail]",
		"(mac) hmac-sha1-96 -- [fail]", "(kex) diffie-hellman-group14-sha1 -- [warn]", "(mac) hmac-sha1 -- [warn]",
		"(mac) hmac-sha2-256 -- [warn]", "(mac) hmac-sha2-512 -- [warn]", "(rec) -hmac-sha1-96",
	} {
		if !slices.ContainsFunc(findings, func(f string) bool { return strings.HasPrefix(f, want) }) {
			t.Errorf("x/crypto's defaults: %q not found in %q", want, findings)
		}
	}
	if len(findings) != 20 {
		t.Errorf("x/crypto's defaults: %d findings, want 20 (12 algorithm lines, 8 recommendations): %q", len(findings), findings)
	}
	want := []string{"mlkem768x25519-sha256", "kex-strict-s-v00@openssh.com"}
	if !slices.Equal(unknown, want) {
		t.Errorf("x/crypto's defaults: unknown %q, want %q", unknown, want)
	}
	if findings, unknown, _ := auditFindings(door); len(findings) != 0 || !slices.Equal(unknown, want) {
		t.Errorf("the door: findings %q and unknown %q, want none and %q", findings, unknown, want)
	}
	// ssh-audit 3.3 knows both, and has only notes for the door.
	if findings, unknown, notes := auditFindings(door33); len(findings) != 0 || len(unknown) != 0 || len(notes) != 3 {
		t.Errorf("the door under ssh-audit 3.3: findings %q, unknown %q, notes %q; want none, none and 3", findings, unknown, notes)
	}
	// An unknown algorithm the door does not mean to offer, and a line of a kind this
	// reading has not seen, are findings.
	for _, out := range []string{
		"(kex) sntrup761x25519-sha512 -- [warn] unknown algorithm\n!!! WARNING: unknown algorithm(s) found!: sntrup761x25519-sha512.  Please email",
		"(gen) banner contains non-printable ASCII",
	} {
		if findings, _, _ := auditFindings(out); len(findings) != strings.Count(out, "\n")+1 {
			t.Errorf("%q: findings %q, want every line", out, findings)
		}
	}
}

// needSSHAudit skips a test where ssh-audit is missing, or under CI fails it unless
// .ci/run could not install it, and returns its version for the messages.
func needSSHAudit(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-audit"); err != nil {
		missingTool(t, "ssh-audit", err.Error())
	}
	// -h prints "# ssh-audit v2.5.0, https://..." (in colour; "ssh-audit.py" run from
	// its sources) and exits with a status of its own: only the version is wanted.
	out, _ := exec.Command("ssh-audit", "-h").CombinedOutput()
	if m := regexp.MustCompile(`ssh-audit\S* v(\d[\w.-]*)`).FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return "(version unknown)"
}

// audit runs ssh-audit against the fixture's server and returns its standard output and
// exit status. -t raises its timeout for a connection and a read from 5 s: a loaded CI
// machine under -race is not a server that fails an audit.
func (f *fixture) audit(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("ssh-audit", append(append([]string{"-t", "60", "-p", f.port}, args...), "127.0.0.1")...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("ssh-audit: %v", err)
	}
	if stderr.Len() > 0 {
		t.Errorf("ssh-audit %v wrote on stderr:\n%s", args, stderr.String())
	}
	return stdout.String(), cmd.ProcessState.ExitCode()
}

// ssh-audit, run against the real server, finds no failure and no warning, but for the
// algorithms it does not know yet; and it sees the server offer exactly the door's
// algorithms.
func TestSSHAudit(t *testing.T) {
	version := needSSHAudit(t)
	f := newFixture(t, nil)

	out, code := f.audit(t, "-b", "-n", "-l", "warn")
	// Its exit status: 0 all good, 2 warnings (an unknown algorithm is one), 3 failures,
	// 1 no connection.
	if code != 0 && code != 2 {
		t.Errorf("ssh-audit %s exited %d (3 is a failure, 1 no connection)", version, code)
	}
	findings, _, notes := auditFindings(out)
	if len(findings) > 0 {
		t.Errorf("ssh-audit %s: %d findings:\n%s\n\nits output:\n%s", version, len(findings), strings.Join(findings, "\n"), out)
	}
	for _, note := range notes {
		t.Logf("ssh-audit %s notes: %s", version, note)
	}

	// What it was offered, from its JSON (2.5 gives kex and key as objects, enc and mac
	// as strings; later versions give objects throughout): the door's lists, in their
	// order, and the strict key exchange marker x/crypto appends.
	out, _ = f.audit(t, "-j")
	var offered struct{ Kex, Key, Enc, Mac []json.RawMessage }
	if err := json.Unmarshal([]byte(out), &offered); err != nil {
		t.Fatalf("ssh-audit %s -j: %v:\n%s", version, err, out)
	}
	algs := algorithms()
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"key exchanges", auditNames(t, offered.Kex), slices.Concat(algs.KeyExchanges, []string{"kex-strict-s-v00@openssh.com"})},
		{"host keys", auditNames(t, offered.Key), algs.HostKeys},
		{"ciphers", auditNames(t, offered.Enc), algs.Ciphers},
		{"MACs", auditNames(t, offered.Mac), algs.MACs},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("the server offers %s %q, want %q", c.what, c.got, c.want)
		}
	}
}

// auditNames are the algorithm names of an ssh-audit JSON list, whether it lists strings
// or objects with an "algorithm".
func auditNames(t *testing.T, list []json.RawMessage) []string {
	t.Helper()
	var names []string
	for _, raw := range list {
		var name string
		if json.Unmarshal(raw, &name) != nil {
			var obj struct{ Algorithm string }
			if err := json.Unmarshal(raw, &obj); err != nil || obj.Algorithm == "" {
				t.Fatalf("ssh-audit -j: an algorithm that is neither a name nor an object with one: %s", raw)
			}
			name = obj.Algorithm
		}
		names = append(names, name)
	}
	return names
}
