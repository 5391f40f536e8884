// Package configtest holds what the config and cli tests both need: a fake environment
// and a config file on disk.
package configtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Env is a fake environment: only what the test sets exists. HOME points to an empty
// directory so a developer's own config never leaks into a test.
func Env(t testing.TB, kv ...string) func(string) string {
	t.Helper()
	env := map[string]string{"HOME": t.TempDir(), "LANG": "en_US.UTF-8"}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return func(k string) string { return env[k] }
}

// WriteConfig writes a config file of mode and returns its path.
func WriteConfig(t testing.TB, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is filtered by umask
		t.Fatal(err)
	}
	return path
}
