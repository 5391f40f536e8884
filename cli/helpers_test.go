package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// testEnv is a fake environment: only what the test sets exists. HOME points to an empty
// directory so a developer's own config never leaks into a test.
func testEnv(t *testing.T, kv ...string) func(string) string {
	t.Helper()
	env := map[string]string{"HOME": t.TempDir(), "LANG": "en_US.UTF-8"}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return func(k string) string { return env[k] }
}

// writeConfig writes a config file of mode (umask aside) and returns its path.
func writeConfig(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// runWamon is wamon as the binary runs it: flags, config, source, output into buffers
// that are no terminal.
func runWamon(t *testing.T, env func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(args, Env{Getenv: env, Stdout: &out, Stderr: &errOut, Version: "dev"})
	return code, out.String(), errOut.String()
}

// parse reads a command line without running it: what wamon or wamon serve was given,
// or what wamon replay was.
func parse(t *testing.T, args ...string) (commandLine, replayLine, error) {
	t.Helper()
	var cl commandLine
	var rl replayLine
	_, err := execute(args, Env{Getenv: testEnv(t), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, actions{
		console: func(read commandLine) int { cl = read; return ExitOK },
		replay:  func(read replayLine) int { rl = read; return ExitOK },
	})
	return cl, rl, err
}

// updating reports -update: rewrite the golden files under testdata/.
var update = flag.Bool("update", false, "rewrite the golden files and the shipped demo recording")

func updating() bool { return *update }

// jsonObject is a line of JSON as a map; the test fails on anything else.
func jsonObject(t *testing.T, line string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(line), &obj); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	return obj
}

// stringList is a decoded JSON list of strings; nil for anything else.
func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	if list != nil && out == nil {
		out = []string{}
	}
	return out
}

// onceData is the payloads the report's tests read, served by the fake APIs here.
const onceData = "../report/testdata/once"
