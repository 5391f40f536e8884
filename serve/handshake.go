package serve

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/wamon/wamon/source"
)

// handshake is what is known of a connection until it authenticates, for the line that
// logs its refusal: when it came, the user it asked for, the key it offered last.
type handshake struct {
	start time.Time

	mu       sync.Mutex
	user     string
	key      string // SHA256 fingerprint
	authed   bool
	timedOut bool
	session  bool // the connection opened a session channel
}

type handshakeKey struct{}

func (h *handshake) offered(key ssh.PublicKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.key = gossh.FingerprintSHA256(key)
}

// Why a connection that started its handshake was refused, as logged.
const (
	refusedTimeout = "refused: handshake timeout"
	refusedKey     = "refused: key not authorized"
	refusedNoKey   = "refused: no public key"
	refusedFailed  = "refused: handshake failed"
	// An authenticated connection that opened no session by the handshake's deadline
	// (ssh -N, a client that only asks to forward): there is nothing else to serve it.
	refusedNoSession = "refused: no session"
)

// admit lets a connection start its handshake, or refuses it (nil) past the rate or the
// caps on connections not yet authenticated; it drops a connection that has not
// authenticated in time.
func (s *Server) admit(ctx ssh.Context, conn net.Conn) net.Conn {
	release, refusal := s.gate.admit(addrOf(conn.RemoteAddr()), time.Now())
	if refusal != "" {
		s.log.Info("connection refused", "remote", conn.RemoteAddr().String(), "user", "", "key", "",
			"duration_s", 0.0, "reason", refusal)
		return nil
	}
	h := &handshake{start: time.Now()}
	ctx.SetValue(handshakeKey{}, h)
	ctx.SetValue(releaseKey{}, release)
	s.handshakes.Store(conn.RemoteAddr().String(), h)
	time.AfterFunc(s.opts.Handshake, func() {
		h.mu.Lock()
		late, idle := !h.authed, h.authed && !h.session
		h.timedOut = late
		user, key := h.user, h.key
		h.mu.Unlock()
		switch {
		case late: // handshakeFailed logs it
			conn.Close()
		case idle:
			conn.Close()
			s.log.Info("connection refused", "remote", conn.RemoteAddr().String(), "user", source.Truncate(user, 64),
				"key", key, "duration_s", time.Since(h.start).Seconds(), "reason", refusedNoSession)
		}
	})
	return &gatedConn{Conn: conn, release: release}
}

type releaseKey struct{}

// sessionChannel is the "session" channel's handler: it notes that the connection opened
// one before handing it to charm.land/ssh's own.
func sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	if h, ok := ctx.Value(handshakeKey{}).(*handshake); ok {
		h.mu.Lock()
		h.session = true
		h.mu.Unlock()
	}
	ssh.DefaultSessionHandler(srv, conn, ch, ctx)
}

// serverConfig is the base of a connection's SSH configuration: only the algorithms
// ssh-audit rates clean (algorithms), each authentication attempt notes the user asked
// for, and a connection that has authenticated gives its place at the gate back.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	algs := algorithms()
	return &gossh.ServerConfig{
		Config:                  gossh.Config{KeyExchanges: algs.KeyExchanges, Ciphers: algs.Ciphers, MACs: algs.MACs},
		PublicKeyAuthAlgorithms: algs.PublicKeyAuths,
		AuthLogCallback: func(conn gossh.ConnMetadata, method string, err error) {
			h, _ := ctx.Value(handshakeKey{}).(*handshake)
			if h == nil {
				return
			}
			h.mu.Lock()
			h.user = conn.User()
			h.authed = err == nil
			h.mu.Unlock()
			if err == nil {
				s.handshakes.Delete(conn.RemoteAddr().String())
				if release, ok := ctx.Value(releaseKey{}).(func()); ok {
					release()
				}
			}
		},
	}
}

// handshakeFailed logs a connection refused during its handshake, once: who it said it
// was (cleaned of escapes), the key it offered, how long it took and why.
func (s *Server) handshakeFailed(conn net.Conn, err error) {
	remote := conn.RemoteAddr().String()
	attrs := []any{"remote", remote}
	reason := refusedFailed
	if v, ok := s.handshakes.LoadAndDelete(remote); ok {
		h := v.(*handshake)
		h.mu.Lock()
		switch {
		case h.timedOut:
			reason = refusedTimeout
		case h.key != "":
			reason = refusedKey
		case h.user != "":
			reason = refusedNoKey
		}
		attrs = append(attrs, "user", source.Truncate(h.user, 64), "key", h.key, "duration_s", time.Since(h.start).Seconds())
		h.mu.Unlock()
	}
	attrs = append(attrs, "reason", reason)
	if reason != refusedTimeout { // the error is then only the deadline's close
		attrs = append(attrs, "error", source.Truncate(errorLine(err), 200))
	}
	s.log.Info("connection refused", attrs...)
}

// errorLine is an error as one line of text. x/crypto's ServerAuthError reads as a list
// ("[ssh: no auth passed yet, permission denied]"): its errors are said one after the
// other instead, each once.
func errorLine(err error) string {
	var auth *gossh.ServerAuthError
	if !errors.As(err, &auth) || len(auth.Errors) == 0 {
		return err.Error()
	}
	var parts []string
	for _, e := range auth.Errors {
		if msg := e.Error(); !slices.Contains(parts, msg) {
			parts = append(parts, msg)
		}
	}
	return strings.Join(parts, "; ")
}
