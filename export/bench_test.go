package export

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// scrapeNumbers is the fleet the issue sizes scrapes for.
const scrapeNumbers = 500

// scrapeSizeBudget bounds one scrape's text of scrapeNumbers numbers (the 5 MB).
const scrapeSizeBudget = 5 << 20

// fleet500 is an engine of scrapeNumbers numbers, each with a few polls of the demo filed
// (its personalities in turn: calm, multiconnect and bursty, failing), and the handler
// Prometheus scrapes.
func fleet500(tb testing.TB) http.Handler {
	tb.Helper()
	numbers := make([]string, scrapeNumbers)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+1202555%04d", i)
	}
	eng, clock := engineOf(tb, numbers...)
	demo := source.NewDemo(source.DemoOptions{Seed: 1, Numbers: numbers, Now: clock.Now})
	for range 3 {
		clock.Advance(5 * time.Second)
		for i, n := range numbers {
			snap, err := demo.Fetch(context.Background(), n)
			eng.Record(i, snap, err)
		}
	}
	return Handler(Registry(eng, nil))
}

// Accept headers: the text format, and what Prometheus 2.42 sends (OpenMetrics first).
const (
	acceptText       = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
	acceptPrometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

// scrape is one GET /metrics with the given Accept header, and gzip if asked, returning
// the response.
func scrape(tb testing.TB, h http.Handler, accept string, gzip bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /metrics: %d\n%.2000s", rec.Code, rec.Body.String())
	}
	return rec
}

// BenchmarkScrape500 is one full scrape of 500 numbers: the registry gathered (the
// engine's collector, Go's and the process's) and encoded, as the text format (text), and
// as Prometheus asks for it, OpenMetrics gzipped (prometheus). The budget: under
// 50 ms and 5 MB per scrape.
func BenchmarkScrape500(b *testing.B) {
	h := fleet500(b)
	for _, c := range []struct {
		name   string
		accept string
		gzip   bool
	}{{"text", acceptText, false}, {"prometheus", acceptPrometheus, true}} {
		b.Run(c.name, func(b *testing.B) {
			size := scrape(b, h, c.accept, c.gzip).Body.Len()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				scrape(b, h, c.accept, c.gzip)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/scrape")
			b.ReportMetric(float64(size), "body-bytes")
		})
	}
}

// A scrape of 500 numbers exports every number and stays under 5 MB of text. What it
// takes and allocates is BenchmarkScrape500's to measure.
func TestScrape500Size(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	h := fleet500(t)
	body := scrape(t, h, acceptText, false).Body.String()
	if n := strings.Count(body, `wamon_up{number="`); n != scrapeNumbers {
		t.Fatalf("wamon_up has %d numbers, want %d", n, scrapeNumbers)
	}
	if n := strings.Count(body, `whatsapp_callback_queue_size{`); n < scrapeNumbers/2 {
		t.Fatalf("%d callback queues in the scrape, want one for most of %d numbers:\n%.2000s", n, scrapeNumbers, body)
	}
	if len(body) >= scrapeSizeBudget {
		t.Errorf("a scrape of %d numbers is %.1f MB, want under %d MB", scrapeNumbers, float64(len(body))/(1<<20), scrapeSizeBudget>>20)
	}

}
