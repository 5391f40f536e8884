// Command wamon is a terminal console for the Kaleyra WhatsApp Monitoring Stats API. It
// only starts the program: the commands are the cli package's.
package main

import (
	"os"
	"runtime/pprof"

	"github.com/wamon/wamon/cli"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	env := cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr, Version: version}
	// WAMON_CPUPROFILE=FILE writes a CPU profile of the whole run, for measuring what an
	// idle console costs (see scripts/idle.sh); it is not a user-facing setting.
	if path := os.Getenv("WAMON_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			code := cli.Run(os.Args[1:], env)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(cli.Run(os.Args[1:], env))
}
