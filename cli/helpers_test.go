package cli

import (
	"bytes"
	"flag"
	"testing"

	"github.com/wamon/wamon/internal/configtest"
	"github.com/wamon/wamon/internal/oncetest"
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

// jsonObject and stringList: oncetest's, shared with the report tests.
var (
	jsonObject = oncetest.JSONObject
	stringList = oncetest.StringList
)

// onceData is the payloads the report's tests read, served by the fake APIs here.
const onceData = "../report/testdata/once"
