package cli

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/wamon/wamon/config"
	"github.com/wamon/wamon/internal/recordtest"
	"github.com/wamon/wamon/internal/wait"
	"github.com/wamon/wamon/record"
)

// The console's and serve's engine records through the real client, and the API key is
// in no file of the recording, even from a server that echoes it back in a body and an
// error page. A directory that cannot be made is a warning, and the engine runs.
func TestNewEngineRecordsWithoutTheKey(t *testing.T) {
	const key = "live-KEY-7f3a9c"
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html>bad gateway for api-key %s</html>", r.Header.Get("api-key"))
			return
		}
		fmt.Fprintf(w, `{"RESPONSE":{"code":"WS201","message":"hello %s","data":{"stats":{"app":{"callback_queue_size":{"help":"q","type":"gauge","data":[{"value":3}]}}}}}}`, r.Header.Get("api-key"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.BaseURL, cfg.APIKey, cfg.Numbers = srv.URL, config.Secret(key), []string{"+12025550100"}
	cfg.Source, cfg.Record, cfg.RecordDir = config.Kaleyra, true, filepath.Join(dir, "rec")
	src, err := newSource(cfg, "dev")
	if err != nil {
		t.Fatal(err)
	}
	engine, closeRecording, warnings := newEngine(cfg, src, slog.New(slog.DiscardHandler))
	if len(warnings) > 0 {
		t.Fatalf("warnings %q", warnings)
	}
	// Two polls: the answer that echoes the key in its body, then the error page.
	engine.Start()
	<-engine.Filled()
	wait.Until(t, "the first poll", 5*time.Second, func() bool { return engine.Status(0).Polls == 1 })
	// Asked for until it is let through (half an interval after the first).
	wait.Until(t, "the second poll", 5*time.Second, func() bool { engine.PollAll(); return engine.Status(0).Polls == 2 })
	engine.Stop()
	closeRecording()
	if n, _ := recordtest.Polls(t, cfg.RecordDir); n != 2 {
		t.Errorf("%d polls recorded, want the 2 made", n)
	}
	files, _ := record.Segments(cfg.RecordDir)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		dec, _ := zstd.NewReader(bytes.NewReader(raw))
		plain, err := io.ReadAll(dec)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(plain, []byte(key)) || bytes.Contains(raw, []byte(key)) {
			t.Errorf("%s holds the API key", f)
		}
		if !bytes.Contains(plain, []byte("[redacted]")) {
			t.Errorf("%s: the echoed key is not marked as redacted", f)
		}
	}

	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o600)
	cfg.RecordDir = filepath.Join(file, "rec")
	engine, closeRecording, warnings = newEngine(cfg, src, slog.New(slog.DiscardHandler))
	defer closeRecording()
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "not recording: cannot make the recording directory") {
		t.Errorf("warnings %q, want one saying why there is no recording", warnings)
	}
	engine.Start()
	<-engine.Filled()
	engine.PollAll()
	engine.WaitIdle()
	if st := engine.Status(0); st.Polls != 1 {
		t.Errorf("the engine without a recording polled %d times", st.Polls)
	}
	engine.Stop()
}
