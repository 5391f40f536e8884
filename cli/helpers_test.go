package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"testing"

	"github.com/wamon/wamon/internal/configtest"
)

// testEnv and writeConfig: configtest's, shared with the other package's tests.
var (
	testEnv     = configtest.Env
	writeConfig = configtest.WriteConfig
)

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
