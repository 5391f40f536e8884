package source_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// vectorOf answers an instant query with count series of one number (or, for the
// count of numbers, with count), and a range query with count series of one point.
func vectorOf(count int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		q := r.Form.Get("query")
		if strings.HasPrefix(q, "count(count by") {
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"%d"]}]}}`, count)
			return
		}
		typ, value := "vector", `"value":[1,"1"]`
		if r.URL.Path == "/api/v1/query_range" {
			typ, value = "matrix", `"values":[[1,"1"]]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"%s","result":[`, typ)
		for i := range count {
			if i > 0 {
				w.Write([]byte{','})
			}
			fmt.Fprintf(w, `{"metric":{"__name__":"wamon_up","number":"+1202%07d"},%s}`, i, value)
		}
		w.Write([]byte(`]}}`))
	}
}

// A store that answers more than wamon reads is refused in one line, whatever was asked:
// more series of a number than MaxSeries, more numbers than MaxNumbers (counted first,
// never listed), a body over MaxBody.
func TestPrometheusRefusesWhatIsTooMuch(t *testing.T) {
	for _, tt := range []struct {
		name, what string
		fail       http.HandlerFunc
		want       string
	}{
		{"series of a number", "fetch", vectorOf(150), "prometheus answered 150 series of +12025550100, over the 100 wamon reads"},
		{"series of a number's window", "history", vectorOf(150), "prometheus answered 150 series of +12025550100, over the 100 wamon reads"},
		{"numbers", "numbers", vectorOf(2500), "prometheus answered 2,500 numbers, over the 50 wamon reads: name the ones to watch (--number, or numbers in the config)"},
		{"a big body", "fetch", vectorOf(20000), "response body over the 1 MiB cap"},
		{"a big body listing numbers", "numbers", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[` + strings.Repeat(" ", 2<<20)))
		}, "response body over the 1 MiB cap"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeProm(t)
			fake.fail = tt.fail
			p, err := source.NewPrometheus(source.PrometheusOptions{URL: srv.URL, Timeout: 5 * time.Second,
				MaxBody: 1 << 20, MaxSeries: 100, MaxNumbers: 50})
			if err != nil {
				t.Fatal(err)
			}
			switch tt.what {
			case "fetch":
				_, err = p.Fetch(context.Background(), rich)
			case "history":
				_, err = history(p, []string{rich}, time.Unix(0, 0), time.Unix(60, 0), 15*time.Second)
				err = errors.Unwrap(err)
			case "numbers":
				_, _, err = p.Numbers(context.Background())
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("%v, want %q", err, tt.want)
			}
			if source.ErrorKind(err) != "too_large" {
				t.Errorf("kind %q, want too_large", source.ErrorKind(err))
			}
			if tt.what == "numbers" && strings.Contains(tt.want, "numbers,") {
				// Counted, never listed.
				for _, r := range fake.requests {
					if q := r.Form.Get("query"); q == "count by (number) (wamon_up)" {
						t.Errorf("listed %d numbers to refuse them", 2500)
					}
				}
			}
		})
	}
}
