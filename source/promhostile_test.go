package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// answer is a handler that answers every query with the series given (a vector for
// instant queries, a matrix of one point for range queries), as a store may hold them:
// anything may have been written into it. A series' "@value" is its value (default 1).
func answer(t *testing.T, series []map[string]string, info []map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		now := float64(time.Now().Unix())
		rows := series
		if strings.Contains(r.Form.Get("query"), "wamon_metric_info") {
			rows = info
		}
		var result []map[string]any
		for _, m := range rows {
			value := "1"
			if v, ok := m["@value"]; ok {
				value = v
				m = maps.Clone(m)
				delete(m, "@value")
			}
			row := map[string]any{"metric": m}
			if r.URL.Path == "/api/v1/query_range" {
				row["values"] = [][2]any{{now, value}}
			} else {
				row["value"] = [2]any{now, value}
			}
			result = append(result, row)
		}
		typ := "vector"
		if r.URL.Path == "/api/v1/query_range" {
			typ = "matrix"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": typ, "result": result}})
	}
}

// Every string a store answers (metric and label names, label values, the exporter's
// error kind and reason, what the info series say) is sanitised where it enters the
// source, not left to the screen: a recording, --once --json and the log see it too.
func TestPrometheusSanitisesWhatTheStoreSays(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\x1b[2J\u202e"
	up := map[string]string{"__name__": "wamon_up", "number": rich, "job": "wamon"}
	lastOK := map[string]string{"__name__": "wamon_last_success_timestamp_seconds", "number": rich, "job": "wamon"}
	for _, tt := range []struct {
		name   string
		series []map[string]string
		info   []map[string]string
		down   bool
	}{
		{name: "a label value", series: []map[string]string{up, lastOK,
			{"__name__": "whatsapp_callback_queue_size", "number": rich, "job": "wamon", "node": "n" + evil}}},
		{name: "a label name", series: []map[string]string{up, lastOK,
			{"__name__": "whatsapp_callback_queue_size", "number": rich, "job": "wamon", "no" + evil + "de": "n"}}},
		{name: "a metric name", series: []map[string]string{up, lastOK,
			{"__name__": "whatsapp_queue" + evil, "number": rich, "job": "wamon"}}},
		{name: "the info series' payload", series: []map[string]string{up, lastOK,
			{"__name__": "whatsapp_callback_queue_size", "number": rich, "job": "wamon"}},
			info: []map[string]string{{"metric": "whatsapp_callback_queue_size", "payload": "callback_queue" + evil + "_size", "group": "app", "type": "gauge"}}},
		{name: "the info series' help and group", series: []map[string]string{up, lastOK,
			{"__name__": "whatsapp_callback_queue_size", "number": rich, "job": "wamon"}},
			info: []map[string]string{{"metric": "whatsapp_callback_queue_size", "payload": "callback_queue_size", "group": "a" + evil + "pp",
				"type": "gauge", "help": "Queue" + evil}}},
		{name: "the exporter's reason", down: true, series: []map[string]string{
			{"__name__": "wamon_up", "number": rich, "job": "wamon", "@value": "0"},
			{"__name__": "wamon_last_error_info", "number": rich, "job": "wamon", "kind": "api", "reason": "WS5" + evil + "00"}}},
		{name: "the exporter's message", down: true, series: []map[string]string{
			{"__name__": "wamon_up", "number": rich, "job": "wamon", "@value": "0"},
			{"__name__": "wamon_last_error_info", "number": rich, "job": "wamon", "kind": "api", "reason": "WS500", "message": "WS500: " + evil}}},
		{name: "the exporter's kind", down: true, series: []map[string]string{
			{"__name__": "wamon_up", "number": rich, "job": "wamon", "@value": "0"},
			{"__name__": "wamon_last_error_info", "number": rich, "job": "wamon", "kind": "ap" + evil + "i", "reason": "WS500"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeProm(t)
			fake.fail = answer(t, tt.series, tt.info)
			p := newSource(t, srv.URL)
			check := func(what string, snap source.Snapshot, err error) {
				t.Helper()
				var texts []string
				if err != nil {
					var up *source.UpstreamError
					if tt.down && errors.As(err, &up) {
						texts = append(texts, up.Kind, up.Reason, up.Message)
					}
					texts = append(texts, err.Error())
				}
				for name, m := range snap.Metrics {
					texts = append(texts, name, m.Name, m.Group, m.Help, string(m.Type))
					for _, s := range m.Samples {
						for _, l := range s.Labels {
							texts = append(texts, l.Name, l.Value)
						}
					}
				}
				texts = append(texts, snap.Warnings...)
				texts = append(texts, string(snap.Raw))
				for _, n := range snap.Nodes {
					texts = append(texts, n.Name)
				}
				if tt.down && err == nil {
					t.Fatalf("%s: no error", what)
				}
				if !tt.down && (err != nil || len(snap.Metrics) == 0) {
					t.Fatalf("%s: %v, %d metrics", what, err, len(snap.Metrics))
				}
				for _, s := range texts {
					if strings.ContainsAny(s, "\x1b\x07\u202e") {
						t.Errorf("%s: %q reached the snapshot unsanitised", what, s)
					}
				}
			}
			snap, err := p.Fetch(context.Background(), rich)
			check("fetch", snap, err)
			past, err := history(p, []string{rich}, time.Now().Add(-time.Minute), time.Now(), 15*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(past[0]) == 0 {
				t.Fatal("history: nothing")
			}
			for _, o := range past[0] {
				check("history", o.Snap, o.Err)
			}
		})
	}
}
