package serve

import (
	gossh "golang.org/x/crypto/ssh"
)

// algorithms are the SSH algorithms wamon serve offers: only those ssh-audit (Debian's
// 2.5) rates clean, so that it reports no failure and no warning but "unknown algorithm"
// for the ones newer than it (mlkem768x25519-sha256, and the strict key exchange marker
// kex-strict-s-v00@openssh.com that x/crypto adds). x/crypto's defaults add NIST-curve
// ECDH and diffie-hellman-group14 key exchanges, AES-CTR ciphers and encrypt-and-MAC
// MACs (hmac-sha1-96 among them), which it fails or warns about.
//
// The oldest client this admits is OpenSSH 6.5 (January 2014), which brought the ed25519
// host key, curve25519-sha256@libssh.org and chacha20-poly1305; AES-GCM and the
// encrypt-then-MAC MACs came in 6.2. OpenSSH 6.5 and 6.6 get curve25519 wrong in about
// one key exchange in 512 (fixed in 6.7), and an RSA user key needs 7.2 (no SHA-1 ssh-rsa
// signature is taken). The README says the same: keep them together.
//
// This is the one place the lists live, to be carried over as they are if the server
// moves to another wish (charm.land's builds on the same x/crypto).
func algorithms() gossh.Algorithms {
	return gossh.Algorithms{
		// Post-quantum hybrid first (OpenSSH 9.9 on, Debian 13), then curve25519 under
		// both its names: the RFC 8731 one (OpenSSH 7.4 on) and libssh's, the only one
		// OpenSSH 6.5 to 7.3 know. x/crypto would add the second by itself; it is listed
		// so that nothing here depends on that.
		KeyExchanges: []string{
			gossh.KeyExchangeMLKEM768X25519,
			gossh.KeyExchangeCurve25519,
			"curve25519-sha256@libssh.org",
		},
		// AEAD ciphers only: they carry their own integrity, so the MACs below are never
		// used with them (the MAC is not negotiated for an AEAD cipher).
		Ciphers: []string{
			gossh.CipherChaCha20Poly1305,
			gossh.CipherAES256GCM,
			gossh.CipherAES128GCM,
		},
		// Encrypt-then-MAC with SHA-2. Offered because an SSH server must name some MAC,
		// and x/crypto's defaults (encrypt-and-MAC, SHA-1) would fill an empty list.
		MACs: []string{
			gossh.HMACSHA256ETM,
			gossh.HMACSHA512ETM,
		},
		// The host key's only algorithm: New refuses a host key of another type.
		HostKeys: []string{gossh.KeyAlgoED25519},
		// What a teammate's key may sign with: x/crypto's defaults without ssh-rsa, RSA
		// with SHA-1, which OpenSSH's own server has refused by default since 8.8. An
		// RSA key signs with SHA-2 from OpenSSH 7.2 on. ssh-audit does not look here.
		PublicKeyAuths: []string{
			gossh.KeyAlgoED25519,
			gossh.KeyAlgoSKED25519,
			gossh.KeyAlgoECDSA256,
			gossh.KeyAlgoSKECDSA256,
			gossh.KeyAlgoECDSA384,
			gossh.KeyAlgoECDSA521,
			gossh.KeyAlgoRSASHA256,
			gossh.KeyAlgoRSASHA512,
		},
	}
}
