package serve

import (
	"errors"
	"fmt"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// A refused handshake's error is logged as one line, not as x/crypto's list.
func TestErrorLineOfAnAuthFailure(t *testing.T) {
	auth := &gossh.ServerAuthError{Errors: []error{
		errors.New("ssh: no auth passed yet"), errors.New("permission denied"), errors.New("permission denied")}}
	for err, want := range map[error]string{
		auth:                                   "ssh: no auth passed yet; permission denied",
		fmt.Errorf("handshake: %w", auth):      "ssh: no auth passed yet; permission denied",
		errors.New("ssh: handshake failed: x"): "ssh: handshake failed: x",
		&gossh.ServerAuthError{}:               "[]",
	} {
		if got := errorLine(err); got != want {
			t.Errorf("errorLine(%v) = %q, want %q", err, got, want)
		}
	}
}
