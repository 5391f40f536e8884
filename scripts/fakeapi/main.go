// Command fakeapi serves the fake stats API of the tests (source/faketest) on a local
// port until interrupted, for measuring a real wamon against it: every number answers
// with the given scenario (healthy payloads whose counters grow with each poll, by
// default). It prints the base URL to pass as --base-url, then serves.
//
//	go run ./scripts/fakeapi [-scenario healthy]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wamon/wamon/source/faketest"
)

func main() {
	scenario := flag.String("scenario", string(faketest.Healthy), "how every number answers: one of faketest's scenarios")
	flag.Parse()
	srv := faketest.New(faketest.Scenario(*scenario))
	defer srv.Close()
	fmt.Println(srv.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}
