package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// store is a time-series store answering Prometheus' query API: Prometheus, or
// VictoriaMetrics.
type store struct {
	t    testing.TB
	name string // what the test calls it: "prometheus (OpenMetrics)" ...
	base string // its API's base URL
	proc *process
}

// sample is one series of an instant query's answer.
type sample struct {
	labels map[string]string
	value  float64
}

// query runs an instant query and returns its vector (empty when it has no series).
func (s *store) query(q string) ([]sample, error) {
	resp, err := http.Get(s.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: %s: HTTP %d, %v", s.name, q, resp.StatusCode, err)
	}
	if body.Status != "success" || body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: %s: %s %s (%s)", s.name, q, body.Status, body.Error, body.Data.ResultType)
	}
	var out []sample
	for _, r := range body.Data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: value %v: %v", s.name, q, r.Value[1], err)
		}
		out = append(out, sample{labels: r.Metric, value: v})
	}
	return out, nil
}

// one runs a query that must answer one series and returns its value.
func (s *store) one(q string) float64 {
	s.t.Helper()
	got, err := s.query(q)
	if err != nil {
		s.t.Fatal(err)
	}
	if len(got) != 1 {
		s.t.Fatalf("%s: %s: %d series, want 1: %v", s.name, q, len(got), got)
	}
	return got[0].value
}

// none checks a query answers no series.
func (s *store) none(q string) {
	s.t.Helper()
	got, err := s.query(q)
	if err != nil {
		s.t.Fatal(err)
	}
	if len(got) != 0 {
		s.t.Errorf("%s: %s: want no series, got %v", s.name, q, got)
	}
}

// atLeast is a waitFor condition: the query answers one series of value want or more.
func (s *store) atLeast(q string, want float64) func() (bool, error) {
	return func() (bool, error) {
		got, err := s.query(q)
		if err != nil {
			return false, err
		}
		if len(got) != 1 || got[0].value < want {
			return false, fmt.Errorf("%s = %v, want %v or more", q, got, want)
		}
		return true, nil
	}
}

// valueIs is a waitFor condition: the query answers one series of value want.
func (s *store) valueIs(q string, want float64) func() (bool, error) {
	return func() (bool, error) {
		got, err := s.query(q)
		if err != nil {
			return false, err
		}
		if len(got) != 1 || got[0].value != want {
			return false, fmt.Errorf("%s = %v, want %v", q, got, want)
		}
		return true, nil
	}
}

// startStore starts a store on a free port and waits until ready answers 200. The port
// is picked free first; another process may take it in between, so a start that cannot
// listen is tried again on another.
func startStore(t testing.TB, name, ready string, launch func(attempt int, port string) *process) *store {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		p := launch(attempt, port)
		s := &store{t: t, name: name, base: "http://127.0.0.1:" + port, proc: p}
		ok := false
		for deadline := time.Now().Add(60 * time.Second); !ok && time.Now().Before(deadline); {
			select {
			case <-p.exited:
				deadline = time.Time{}
				continue
			default:
			}
			if resp, err := http.Get(s.base + ready); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok = resp.StatusCode == 200
			}
			if !ok {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if ok {
			return s
		}
		p.kill()
		if out := p.output(); attempt < 3 && strings.Contains(out, "address already in use") {
			continue
		}
		t.Fatalf("%s is not ready in 60 s (exited: %v):\n%s", name, p.err, p.output())
	}
}

// startPrometheus starts Debian's Prometheus with the config given (and any flags), its
// data under dir.
func startPrometheus(t testing.TB, dir, name, config string, flags ...string) *store {
	t.Helper()
	prometheus := needTools(t, "prometheus", "prometheus")[0]
	slug := strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name)
	cfg := filepath.Join(dir, slug+".yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return startStore(t, name, "/-/ready", func(attempt int, port string) *process {
		data := filepath.Join(dir, fmt.Sprintf("%s-data-%d", slug, attempt))
		args := append([]string{"--config.file=" + cfg, "--web.listen-address=127.0.0.1:" + port, "--log.level=warn"}, flags...)
		if !strings.Contains(strings.Join(flags, " "), "--enable-feature=agent") {
			args = append(args, "--storage.tsdb.path="+data)
		} else {
			args = append(args, "--storage.agent.path="+data)
		}
		return start(t, filepath.Join(dir, fmt.Sprintf("%s-%d.log", slug, attempt)), os.Environ(), prometheus, args...)
	})
}

// startVictoria starts Debian's VictoriaMetrics (single-node), its data under dir, with
// the flags given.
func startVictoria(t testing.TB, dir, name string, flags ...string) *store {
	t.Helper()
	vm := needTools(t, "victoria-metrics", "victoria-metrics")[0]
	slug := strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name)
	return startStore(t, name, "/health", func(attempt int, port string) *process {
		args := append([]string{"-httpListenAddr=127.0.0.1:" + port, "-loggerLevel=WARN",
			"-storageDataPath=" + filepath.Join(dir, fmt.Sprintf("%s-data-%d", slug, attempt))}, flags...)
		return start(t, filepath.Join(dir, fmt.Sprintf("%s-%d.log", slug, attempt)), os.Environ(), vm, args...)
	})
}

// textOnly is a proxy in front of an exporter that asks it for the text format whatever
// the scraper accepts, as a Prometheus configured to scrape text (or one older than
// OpenMetrics) does; it counts the content types it was answered with.
type textOnly struct {
	*httptest.Server
	mu    sync.Mutex
	types map[string]int
}

func newTextOnly(t testing.TB, target string) *textOnly {
	p := &textOnly{types: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://"+target+r.URL.RequestURI(), nil)
		req.Header.Set("Accept", "text/plain;version=0.0.4")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		p.mu.Lock()
		p.types[resp.Header.Get("Content-Type")]++
		p.mu.Unlock()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(body.Bytes())
	}))
	t.Cleanup(p.Close)
	return p
}

// contentTypes is what the exporter answered the proxy with, and how often.
func (p *textOnly) contentTypes() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.types {
		out[k] = v
	}
	return out
}

// scrapeConfig is a Prometheus config scraping the targets every second as job wamon,
// with anything more (remote write) appended. VictoriaMetrics reads it too, so it holds
// nothing VictoriaMetrics does not know.
func scrapeConfig(targets []string, more string) string {
	quoted := make([]string, len(targets))
	for i, t := range targets {
		quoted[i] = strconv.Quote(t)
	}
	return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: wamon
    static_configs:
      - targets: [` + strings.Join(quoted, ", ") + `]
` + more
}
