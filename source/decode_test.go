package source

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "decode", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dumpSnapshot renders everything Decode produced, one fact a line, in a steady order.
func dumpSnapshot(s *Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "code %s\nmessage %s\n", s.Code, s.Message)
	keys := make([]string, 0, len(s.Meta))
	for k := range s.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "meta %s=%s\n", k, s.Meta[k])
	}
	for _, name := range s.MetricNames() {
		m := s.Metrics[name]
		fmt.Fprintf(&b, "metric %s group=%s type=%s help=%q\n", m.Name, m.Group, m.Type, m.Help)
		for _, smp := range m.Samples {
			fmt.Fprintf(&b, "  %s %v\n", SeriesKey(name, smp.Labels), smp.Value)
		}
	}
	for _, n := range s.Nodes {
		fmt.Fprintf(&b, "node %s %s\n", n.Name, map[bool]string{false: "active", true: "standby"}[n.Standby])
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	return b.String()
}

// snapshotStrings lists every string of a snapshot that may reach a terminal.
func snapshotStrings(s *Snapshot) []string {
	out := []string{s.Code, s.Message}
	for _, n := range s.Nodes {
		out = append(out, n.Name)
	}
	for k, v := range s.Meta {
		out = append(out, k, v)
	}
	for k, m := range s.Metrics {
		out = append(out, k, m.Name, m.Group, string(m.Type), m.Help)
		for _, smp := range m.Samples {
			for _, l := range smp.Labels {
				out = append(out, l.Name, l.Value)
			}
		}
	}
	return append(out, s.Warnings...)
}

const seedDump = `code WS201
message Requested processed successfully
metric callback_queue_size group=app type=gauge help="Current callback queue size"
  callback_queue_size 0
metric callback_requests_duration_ms_count group=app type=counter help="Callback request duration in milliseconds (count)"
  callback_requests_duration_ms_count{result="success",type="inbound_message"} 4353
  callback_requests_duration_ms_count{result="99",type="status_change"} 359
  callback_requests_duration_ms_count{result="success",type="status_change"} 545780
`

func TestDecodeFixtures(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"seed-success.json", seedDump},
		{"seed-success-bare.json", seedDump},
		{"lowercase-code.json", `code WS201
message ok
metric callback_queue_size group=app type=gauge help="Current callback queue size"
  callback_queue_size 7
`},
		{"numeric-strings.json", `code WS201
message ok
metric callback_queue_size group=app type=gauge help="Current callback queue size"
  callback_queue_size 12
metric callback_requests_duration_ms_sum group=app type=counter help="Callback request duration in milliseconds (sum)"
  callback_requests_duration_ms_sum{result="success",type="inbound_message"} 1500
  callback_requests_duration_ms_sum{result="success",type="status_change"} 4353
  callback_requests_duration_ms_sum{result="99",type="status_change"} -0.025
warning callback_requests_duration_ms_sum{result="99",type="status_change"}: negative counter value -0.025
`},
		{"multiconnect.json", `code WS201
message Requested processed successfully
metric callback_queue_size group=app type=gauge help="Current callback queue size"
  callback_queue_size{node="wa-node-1:3f2a9c1b7d4e"} 3
  callback_queue_size{node="wa-node-3:0a1b2c3d4e5f"} 5
metric callback_requests_duration_ms_count group=app type=counter help="Callback request count"
  callback_requests_duration_ms_count{node="wa-node-1:3f2a9c1b7d4e",result="success",type="inbound_message"} 100
  callback_requests_duration_ms_count{node="wa-node-1:3f2a9c1b7d4e",result="301",type="status_change"} 2
node wa-node-1:3f2a9c1b7d4e active
node wa-node-2:8c7b6a5d4e3f standby
node wa-node-3:0a1b2c3d4e5f active
`},
		{"db-meta.json", `code WS201
message Requested processed successfully
meta api_status=stable
meta beta=false
meta build=20240105
meta version=v2.53.1
metric callback_queue_size group=app type=gauge help="Current callback queue size"
  callback_queue_size 1
metric db_messages group=db type=gauge help="Messages by type"
  db_messages{type="text"} 120
  db_messages{type="image"} 30
metric db_pending_callbacks group=db type=gauge help="Pending callbacks in the database"
  db_pending_callbacks 4
metric db_pending_messages group=db type=gauge help="Pending messages in the database"
  db_pending_messages 9
metric widget_count group=custom type=untyped help="An unknown metric in an unknown group"
  widget_count 2
`},
		{"rich.json", `code WS201
message Requested processed successfully
meta api_status=stable
meta version=v2.53.1
metric callback_queue_size group=app type=gauge help="Current callback queue size"
  callback_queue_size 14
metric callback_requests_duration_ms_count group=app type=counter help="Callback request duration in milliseconds (count)"
  callback_requests_duration_ms_count{result="success",type="inbound_message"} 4353
  callback_requests_duration_ms_count{result="99",type="status_change"} 359
  callback_requests_duration_ms_count{result="success",type="status_change"} 545780
  callback_requests_duration_ms_count{result="301",type="status_change"} 12
metric callback_requests_duration_ms_sum group=app type=counter help="Callback request duration in milliseconds (sum)"
  callback_requests_duration_ms_sum{result="success",type="inbound_message"} 391770
  callback_requests_duration_ms_sum{result="99",type="status_change"} 1.795e+06
  callback_requests_duration_ms_sum{result="success",type="status_change"} 3.27468e+07
  callback_requests_duration_ms_sum{result="301",type="status_change"} 600
metric concurrent_rate_limit_triggered group=app type=counter help="Times the concurrent rate limit was hit"
  concurrent_rate_limit_triggered 0
metric db_pending_callbacks group=db type=gauge help="Pending callbacks"
  db_pending_callbacks 2
metric db_pending_messages group=db type=gauge help="Pending messages"
  db_pending_messages 5
metric db_request_duration_us_count group=app type=counter help="Database request duration in microseconds (count)"
  db_request_duration_us_count 412000
metric db_request_duration_us_sum group=app type=counter help="Database request duration in microseconds (sum)"
  db_request_duration_us_sum 9.888e+07
metric endpoint_requests group=app type=counter help="Endpoint requests"
  endpoint_requests{endpoint="/v1/messages",method="POST",result="ok"} 88120
  endpoint_requests{endpoint="/v1/messages",method="POST",result="1013"} 17
  endpoint_requests{endpoint="/v1/contacts",method="POST",result="ok"} 5210
metric endpoint_requests_duration_ms_count group=app type=counter help="Endpoint request duration in milliseconds (count)"
  endpoint_requests_duration_ms_count{endpoint="/v1/messages",method="POST"} 88137
metric endpoint_requests_duration_ms_sum group=app type=counter help="Endpoint request duration in milliseconds (sum)"
  endpoint_requests_duration_ms_sum{endpoint="/v1/messages",method="POST"} 3.52548e+06
metric in_message_decoded group=app type=counter help="Inbound messages decoded"
  in_message_decoded 93309
metric in_message_from_server group=app type=counter help="Inbound messages received from the server"
  in_message_from_server 93311
metric in_message_persisted group=app type=counter help="Inbound messages persisted"
  in_message_persisted 93302
metric in_messages_pending_processing group=app type=gauge help="Inbound messages pending processing"
  in_messages_pending_processing 7
`},
		{"malformed.json", `code WS201
message ok
metric callback_queue_size group=app type=gauge help="q"
  callback_queue_size 1
  callback_queue_size{code="99",ok="true"} 1e+308
metric db:callback_queue_size group=db type=gauge help="same name, other group"
  db:callback_queue_size 8
metric duplicate_label group=app type=gauge help=""
  duplicate_label{k="second"} 1
metric duplicate_series group=app type=gauge help=""
  duplicate_series{k="w"} 2
  duplicate_series{k="v"} 3
metric empty_data group=app type=counter help="nothing yet"
metric negative_counter group=app type=counter help=""
  negative_counter{k="v"} -5
  negative_counter -1
metric negative_gauge group=app type=gauge help=""
  negative_gauge -3
metric no_type group=app type=untyped help=""
  no_type 2
metric weird_type group=app type=untyped help=""
  weird_type 1
warning callback_queue_size: sample 2: value "abc" is not a number
warning callback_queue_size: sample 3: value is null
warning callback_queue_size: sample 4: value "NaN" is not a finite number
warning callback_queue_size: sample 5: value "-Inf" is not a finite number
warning callback_queue_size: sample 6: value is a boolean
warning callback_queue_size: sample 7: value is an object
warning callback_queue_size: sample 8: no value
warning callback_queue_size: sample 9: labels are an array, not an object
warning callback_queue_size: sample 10: label "n" is an object
warning callback_queue_size: sample 12: value 1e400 is out of range
warning callback_queue_size: sample 13: a string, not an object
warning no_data_metric: no data
warning data_not_array: data is an object, not an array
warning scalar_member: not a metric (a number)
warning negative_counter{k="v"}: negative counter value -5
warning negative_counter: negative counter value -1
warning lost: no data
warning not_a_metric: not a metric (no data, type or help)
warning callback_queue_size: also in group app; kept as db:callback_queue_size
warning group broken_group is an array, not an object
warning duplicate_series: duplicate series {k="v"}, kept the last
`},
		{"escapes.json", `code WS201
message ok done
meta version=v1
metric callback_queue_size group=app type=gauge help="Queue size evil"
  callback_queue_size{node ="ab",type="inbound_message x"} 1
metric m group=grp type=untyped help=""
  m 2
`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readFixture(t, tt.file)
			snap, err := Decode(body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := dumpSnapshot(&snap); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !bytes.Equal(snap.Raw, body) {
				t.Error("Raw is not the body")
			}
			for name, m := range snap.Metrics {
				if m.Name != name {
					t.Errorf("metric stored under %q is named %q", name, m.Name)
				}
			}
			assertSanitised(t, &snap)
		})
	}
}

func assertSanitised(t testing.TB, s *Snapshot) {
	t.Helper()
	for _, str := range snapshotStrings(s) {
		if Sanitize(str) != str {
			t.Errorf("string not sanitised: %q", str)
		}
	}
}

func TestDecodeAPIErrors(t *testing.T) {
	tests := []struct {
		file, code, message, line string
	}{
		{"ws406.json", "WS406", "The accept header mismatches the supported server response!",
			"WS406: The accept header mismatches the supported server response! (accept header mismatch)"},
		{"ws500.json", "WS500", "somthing went wrong !!!",
			"WS500: somthing went wrong !!! (invalid or incorrect FROM number, or server failure)"},
		{"lowercase-error.json", "WS500", "Invalid FROM number",
			"WS500: Invalid FROM number (invalid or incorrect FROM number, or server failure)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readFixture(t, tt.file)
			snap, err := Decode(body)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *APIError, got %T %v", err, err)
			}
			if apiErr.Code != tt.code || apiErr.Message != tt.message || apiErr.HTTPStatus != 0 {
				t.Errorf("APIError = %+v", *apiErr)
			}
			if err.Error() != tt.line {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.line)
			}
			if snap.Code != tt.code || snap.Message != tt.message || !bytes.Equal(snap.Raw, body) {
				t.Errorf("snapshot = code %q message %q raw %d bytes", snap.Code, snap.Message, len(snap.Raw))
			}
			if len(snap.Metrics) != 0 {
				t.Errorf("an API error carries no metrics, got %d", len(snap.Metrics))
			}
		})
	}
}

func TestDecodeNotTheEnvelope(t *testing.T) {
	fixtures := map[string]string{
		"empty.txt":      "empty body",
		"html-502.html":  `HTML page "502 Bad Gateway"`,
		"truncated.json": "truncated JSON at byte 300",
		"array.json":     "JSON array, not the API envelope",
		"plain-text.txt": `plain text "Forbidden: your IP 10.1.2.3 is not whit…"`,
	}
	inline := map[string]string{
		"  \r\n\t ":                      "empty body",
		"\uFEFF":                         "empty body",
		`{"code":"WS201","data":{"x":1}`: "truncated JSON at byte 30",
		`{"code":"WS201",}`:              `invalid JSON at byte 16: unexpected '}' looking for the beginning of an object key`,
		`{"code":"WS201" "data":{}}`:     `invalid JSON at byte 16: unexpected '"' after object member`,
		`{"code":WS201}`:                 `invalid JSON at byte 8: unexpected 'W' looking for the beginning of a value`,
		`{"code":"WS201"} trailing`:      `invalid JSON at byte 17: unexpected 't' after the top-level value`,
		`{"data":{"stats":{"app":{"m":{"data":[{"value":tru}]}}}}}`: `invalid JSON at byte 50: unexpected '}' in literal true`,
		"{\"code\":\"a\x01\"}":                `invalid JSON at byte 10: unexpected '\x01' in string literal`,
		`{"code":"\x"}`:                       `invalid JSON at byte 10: unexpected 'x' in string escape code`,
		`{"code":"\u12G4"}`:                   `invalid JSON at byte 13: unexpected 'G' in \u hexadecimal character escape`,
		`{"v":-}`:                             `invalid JSON at byte 6: unexpected '}' in numeric literal`,
		`{"v":1.}`:                            `invalid JSON at byte 7: unexpected '}' in numeric literal`,
		`{"v":1e`:                             "truncated JSON at byte 7",
		`{"code":"WS2`:                        "truncated JSON at byte 12",
		`{"message":"Forbidden"}`:             `JSON object without code or data, message "Forbidden"`,
		`{"error":"unauthorized"}`:            `JSON object without code or data, error "unauthorized"`,
		`{"a":1,"b":2,"c":3,"d":4}`:           "JSON object without code or data (keys: a, b, c)",
		`{}`:                                  "JSON object without code or data",
		`{"RESPONSE":{"status":"up"}}`:        "JSON object without code or data (keys: status)",
		`"WS201"`:                             "JSON string, not the API envelope",
		`42`:                                  "JSON number, not the API envelope",
		`null`:                                "JSON null, not the API envelope",
		`true`:                                "JSON boolean, not the API envelope",
		"502 Bad Gateway\n":                   `plain text "502 Bad Gateway"`,
		"Bad\x1b[2J\x1b]0;pwned\x07 Gateway":  `plain text "Bad Gateway"`,
		"<html><body>down</body></html>":      "HTML page",
		"<?xml version=\"1.0\"?><error/>":     "XML document",
		"<html><title>\x1b[31mDown &amp; out": `HTML page "Down & out"`,
		strings.Repeat("[", 10000):            "invalid JSON at byte 200: nested deeper than 200 levels",
		`[1,2`:                                "truncated JSON at byte 4",
		`[1 2]`:                               `invalid JSON at byte 3: unexpected '2' after array element`,
	}
	check := func(t *testing.T, body []byte, want string) {
		t.Helper()
		snap, err := Decode(body)
		var decErr *DecodeError
		if !errors.As(err, &decErr) {
			t.Fatalf("want *DecodeError, got %T %v", err, err)
		}
		if decErr.What != want {
			t.Errorf("What = %q, want %q", decErr.What, want)
		}
		if Sanitize(decErr.What) != decErr.What {
			t.Errorf("What not sanitised: %q", decErr.What)
		}
		if !bytes.Equal(snap.Raw, body) {
			t.Error("Raw is not the body")
		}
	}
	for file, want := range fixtures {
		t.Run(file, func(t *testing.T) { check(t, readFixture(t, file), want) })
	}
	for body, want := range inline {
		t.Run(fmt.Sprintf("%.30q", body), func(t *testing.T) { check(t, []byte(body), want) })
	}
}

func TestDecodeHTMLTitleIsCut(t *testing.T) {
	body := "<html><head><title>" + strings.Repeat("long ", 40) + "</title>"
	_, err := Decode([]byte(body))
	var decErr *DecodeError
	if !errors.As(err, &decErr) {
		t.Fatalf("got %v", err)
	}
	want := `HTML page "` + strings.Repeat("long ", 11) + `long…"`
	if decErr.What != want {
		t.Errorf("What = %q, want %q", decErr.What, want)
	}
}

func TestDecodeSuccessEdges(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"data is an empty array", `{"code":"WS201","message":"ok","error":{},"data":[]}`,
			"code WS201\nmessage ok\nwarning no stats in payload\n"},
		{"no data", `{"code":"WS200"}`,
			"code WS200\nmessage \nwarning no stats in payload\n"},
		{"empty stats", `{"code":"WS201","data":{"stats":{}}}`,
			"code WS201\nmessage \nwarning no stats in payload\n"},
		{"stats not an object", `{"code":"WS201","data":{"stats":"none"}}`,
			"code WS201\nmessage \nwarning stats is a string, not an object\nwarning no stats in payload\n"},
		{"every node empty", `{"code":"WS201","data":{"stats":{"app":{"h1:c1":{},"h2:c2":{}}}}}`,
			"code WS201\nmessage \nnode h1:c1 standby\nnode h2:c2 standby\nwarning no stats in payload\n"},
		{"no code", `{"data":{"stats":{"app":{"q":{"data":[{"value":1}]}}}}}`,
			"code \nmessage \nmetric q group=app type=untyped help=\"\"\n  q 1\nwarning no code in the envelope\n"},
		{"meta beside data", `{"code":"WS201","meta":{"version":"2.1"},"data":[]}`,
			"code WS201\nmessage \nmeta version=2.1\nwarning no stats in payload\n"},
		{"keys in any case and order", `{"DATA":{"Stats":{"app":{"q":{"Type":"Counter","DATA":[{"Value":"3","LABELS":{"A":"x"}}]}}}},"Code":"Ws201","Message":"fine"}`,
			"code WS201\nmessage fine\nmetric q group=app type=counter help=\"\"\n  q{A=\"x\"} 3\n"},
		{"escaped strings", `{"code":"WS201","data":{"stats":{"app":{"q\u00e9":{"help":"a\"b\\c\/d \ud83d\ude00 \ud800x","data":[{"labels":{"k":"\u65e5\u672c"},"value":1}]}}}}}`,
			"code WS201\nmessage \nmetric qé group=app type=untyped help=\"a\\\"b\\\\c/d 😀 \uFFFDx\"\n  qé{k=\"日本\"} 1\n"},
		{"node label overrides a node label of the payload", `{"code":"WS201","data":{"stats":{"app":{"h:1":{"q":{"data":[{"labels":{"node":"theirs"},"value":1}]}}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=untyped help=\"\"\n  q{node=\"h:1\"} 1\nnode h:1 active\n"},
		{"same metric in a node and at group level", `{"code":"WS201","data":{"stats":{"app":{"q":{"type":"gauge","data":[{"value":1}]},"h:1":{"q":{"data":[{"value":2}]}}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=gauge help=\"\"\n  q 1\n  q{node=\"h:1\"} 2\nnode h:1 active\n"},
		{"later node fills help and type", `{"code":"WS201","data":{"stats":{"app":{"h:1":{"q":{"data":[{"value":1}]}},"h:2":{"q":{"type":"gauge","help":"Queue","data":[{"value":2}]}}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=gauge help=\"Queue\"\n  q{node=\"h:1\"} 1\n  q{node=\"h:2\"} 2\nnode h:1 active\nnode h:2 active\n"},
		{"node holding a non-metric", `{"code":"WS201","data":{"stats":{"app":{"h:1":{"q":{"data":[{"value":1}]},"x":{"y":{}},"z":3}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=untyped help=\"\"\n  q{node=\"h:1\"} 1\nnode h:1 active\nwarning x on h:1: not a metric (no data, type or help)\nwarning z on h:1: not a metric (a number)\n"},
		{"numbers as label values", `{"code":"WS201","data":{"stats":{"app":{"q":{"data":[{"labels":{"result":301,"f":-1.50e2,"b":false},"value":1}]}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=untyped help=\"\"\n  q{b=\"false\",f=\"-1.50e2\",result=\"301\"} 1\n"},
		{"labels null", `{"code":"WS201","data":{"stats":{"app":{"q":{"data":[{"labels":null,"value":1}]}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=untyped help=\"\"\n  q 1\n"},
		{"empty metric name", `{"code":"WS201","data":{"stats":{"app":{"":{"data":[{"value":1}]},"q":{"data":[]}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=untyped help=\"\"\nwarning metric with an empty name in group app: dropped\n"},
		{"error text when message is missing", `{"code":"WS201","error":"partial","data":[]}`,
			"code WS201\nmessage partial\nwarning no stats in payload\n"},
		{"tiny and huge values", `{"code":"WS201","data":{"stats":{"app":{"q":{"data":[{"value":1e-400},{"labels":{"i":"2"},"value":"-1.7e308"},{"value":"0x10"},{"value":"1_000"},{"value":""}]}}}}}`,
			"code WS201\nmessage \nmetric q group=app type=untyped help=\"\"\n  q 0\n  q{i=\"2\"} -1.7e+308\n" +
				"warning q: sample 3: value \"0x10\" is not a number\nwarning q: sample 4: value \"1_000\" is not a number\nwarning q: sample 5: value \"\" is not a number\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := dumpSnapshot(&snap); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if snap.Metrics == nil {
				t.Error("Metrics is nil on success")
			}
			assertSanitised(t, &snap)
		})
	}
}

func TestDecodeWrappedErrorEnvelope(t *testing.T) {
	snap, err := Decode([]byte(`{"RESPONSE":{"code":"ws406","message":"bad accept","error":{},"data":[]}}`))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "WS406" || apiErr.Message != "bad accept" {
		t.Fatalf("got %T %v", err, err)
	}
	if snap.Code != "WS406" {
		t.Errorf("snapshot code %q", snap.Code)
	}
}

func TestDecodeWarningsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"code":"WS201","data":{"stats":{"app":{"q":{"data":[`)
	for i := range 120 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"value":"x"}`)
	}
	b.WriteString(`,{"value":1}]}}}}}`)
	snap, err := Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Warnings) != maxWarnings+1 {
		t.Fatalf("%d warnings, want %d", len(snap.Warnings), maxWarnings+1)
	}
	if last := snap.Warnings[maxWarnings]; last != "70 more warnings not shown" {
		t.Errorf("last warning %q", last)
	}
	if q := snap.Metric("q"); q == nil || len(q.Samples) != 1 || q.Samples[0].Value != 1 {
		t.Errorf("the good sample did not survive: %+v", q)
	}
}

func TestDecodeLongWarningIsCut(t *testing.T) {
	long := strings.Repeat("x", 1000)
	snap, err := Decode([]byte(`{"code":"WS201","data":{"stats":{"app":{"` + long + `":{"data":[{"value":null}]}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Warnings) != 1 || len([]rune(snap.Warnings[0])) != warningWidth || !strings.HasSuffix(snap.Warnings[0], "…") {
		t.Errorf("warnings %q", snap.Warnings)
	}
}

func TestDecodeDuplicateSeriesInALargeMetric(t *testing.T) {
	body := manySeriesPayload(1, 100)
	// Repeat series 7 at the end with another value: the last one wins.
	body = bytes.Replace(body, []byte(`]}}}}}`), []byte(`,{"labels":{"instance":"i7","type":"t0"},"value":5}]}}}}}`), 1)
	snap, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	m := snap.Metric("metric_0")
	if len(m.Samples) != 100 {
		t.Fatalf("%d samples, want 100", len(m.Samples))
	}
	if last := m.Samples[99]; last.Labels.Get("instance") != "i7" || last.Value != 5 {
		t.Errorf("last sample %+v", last)
	}
	want := []string{`metric_0: duplicate series {instance="i7",type="t0"}, kept the last`}
	if fmt.Sprint(snap.Warnings) != fmt.Sprint(want) {
		t.Errorf("warnings %q", snap.Warnings)
	}
}

// manySeriesPayload builds a WS201 body with metrics×series samples, two labels each.
func manySeriesPayload(metrics, series int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"RESPONSE":{"code":"WS201","message":"Requested processed successfully","error":{},"data":{"stats":{"app":{`)
	for m := range metrics {
		if m > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"metric_%d":{"help":"Generated metric %d","type":"counter","data":[`, m, m)
		for s := range series {
			if s > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"labels":{"instance":"i%d","type":"t%d"},"value":%d}`, s, s%7, s*31)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`}}}}}`)
	return b.Bytes()
}

func TestSortLabels(t *testing.T) {
	ls := []Label{{"z", "1"}, {"a", "1"}, {"m", "1"}, {"a", "2"}, {"z", "2"}}
	n := sortLabels(ls)
	got := Labels(ls[:n]).String()
	if want := `a="2",m="1",z="2"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestScannerStrings(t *testing.T) {
	tests := map[string]string{
		`"plain"`:                "plain",
		`"a\"b\\c\/d\b\f\n\r\t"`: "a\"b\\c/d\b\f\n\r\t",
		`"\u00e9\u65E5"`:         "é日",
		`"\ud83d\ude00"`:         "😀",
		`"\udc00x"`:              "\uFFFDx",
		`"\ud800\u0041"`:         "\uFFFDA",
		`"\ud800\ud800\udc00"`:   "\uFFFD\U00010000",
		"\"raw \xff byte\"":      "raw \xff byte",
	}
	for in, want := range tests {
		s := scanner{buf: []byte(in)}
		got, err := s.str()
		if err != nil || string(got) != want || s.pos != len(in) {
			t.Errorf("str(%s) = %q, %v (pos %d), want %q", in, got, err, s.pos, want)
		}
	}
}

// Real-shaped pieces of a multiconnect payload: a node's app metrics and the db group's.
const (
	mcApp = `"callback_queue_size":{"data":[{"value":3}],"help":"Current callback queue size","type":"gauge"},` +
		`"callback_requests_duration_ms_count":{"data":[` +
		`{"labels":{"result":"success","type":"inbound_message"},"value":4353},` +
		`{"labels":{"result":"99","type":"status_change"},"value":359},` +
		`{"labels":{"result":"success","type":"status_change"},"value":545780}],` +
		`"help":"Callback request duration in milliseconds (count)","type":"counter"}`
	mcDB = `"db_pending_callbacks":{"data":[{"value":2}],"help":"Callbacks pending in the database","type":"gauge"}`
)

// mcEnvelope puts stats groups into a success envelope, wrapped like the documentation's
// example or bare.
func mcEnvelope(wrapped bool, groups string) string {
	body := `{"code":"WS201","message":"Requested processed successfully","error":{},"data":{"stats":{` +
		groups + `},"meta":{"api_status":"stable","version":"v2.45.2"}}}`
	if wrapped {
		return `{"RESPONSE":` + body + `}`
	}
	return body
}

func TestDecodeNodes(t *testing.T) {
	const (
		active  = "wa-core-1:3f2a9c1b"
		standby = "wa-core-2:7d41e0aa"
	)
	primaryAndStandby := `"app":{"` + active + `":{` + mcApp + `},"` + standby + `":{}},"db":{` + mcDB + `}`
	tests := []struct {
		name, body string
		want       []Node
		nodeLabels int // samples that carry a node label
		warnings   []string
	}{
		{"wrapped, one active and one standby", mcEnvelope(true, primaryAndStandby),
			[]Node{{active, false}, {standby, true}}, 4, nil},
		{"bare, one active and one standby", mcEnvelope(false, primaryAndStandby),
			[]Node{{active, false}, {standby, true}}, 4, nil},
		{"standby first", mcEnvelope(true, `"app":{"`+standby+`":{},"`+active+`":{`+mcApp+`}}`),
			[]Node{{standby, true}, {active, false}}, 4, nil},
		{"two groups with the same nodes are listed once",
			mcEnvelope(true, `"app":{"`+active+`":{`+mcApp+`},"`+standby+`":{}},"db":{"`+active+`":{`+mcDB+`},"`+standby+`":{}}`),
			[]Node{{active, false}, {standby, true}}, 5, nil},
		{"empty in one group, filled in a later one: not standby",
			mcEnvelope(false, `"app":{"`+active+`":{`+mcApp+`},"`+standby+`":{}},"db":{"`+standby+`":{`+mcDB+`}}`),
			[]Node{{active, false}, {standby, false}}, 5, nil},
		{"filled in one group, empty in a later one: not standby",
			mcEnvelope(false, `"app":{"`+active+`":{`+mcApp+`},"`+standby+`":{`+mcDB+`}},"db":{"`+active+`":{},"`+standby+`":{}}`),
			[]Node{{active, false}, {standby, false}}, 5, nil},
		{"every node standby", mcEnvelope(true, `"app":{"`+active+`":{},"`+standby+`":{}},"db":{`+mcDB+`}`),
			[]Node{{active, true}, {standby, true}}, 0, nil},
		{"three nodes, one of them standby", mcEnvelope(true, `"app":{"h1:a":{`+mcApp+`},"h2:b":{},"h3:c":{`+mcApp+`}}`),
			[]Node{{"h1:a", false}, {"h2:b", true}, {"h3:c", false}}, 8, nil},
		{"no nodes", mcEnvelope(true, `"app":{`+mcApp+`},"db":{`+mcDB+`}`), nil, 0, nil},
		{"an empty metric without a colon is no node", mcEnvelope(false, `"app":{`+mcApp+`,"in_message_decoded":{}}`),
			nil, 0, []string{"in_message_decoded: no data"}},
		{"node names are sanitised", mcEnvelope(false, `"app":{"wa\u001b[2J-core-9:\u202eab":{}}`),
			[]Node{{"wa-core-9:ab", true}}, 0, []string{"no stats in payload"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !slices.Equal(snap.Nodes, tt.want) || (tt.want == nil) != (snap.Nodes == nil) {
				t.Errorf("Nodes = %#v, want %#v", snap.Nodes, tt.want)
			}
			if !slices.Equal(snap.Warnings, tt.warnings) {
				t.Errorf("warnings %q, want %q", snap.Warnings, tt.warnings)
			}
			labelled := 0
			for _, m := range snap.Metrics {
				for _, smp := range m.Samples {
					if smp.Labels.Get("node") != "" {
						labelled++
					}
				}
			}
			if labelled != tt.nodeLabels {
				t.Errorf("%d samples with a node label, want %d", labelled, tt.nodeLabels)
			}
			assertSanitised(t, &snap)
		})
	}
}

func TestDecodeNodesOnlyOnSuccess(t *testing.T) {
	snap, err := Decode([]byte(`{"RESPONSE":{"code":"WS500","message":"x","error":{},"data":{"stats":{"app":{"h:1":{}}}}}}`))
	if ErrorKind(err) != "api" || snap.Nodes != nil {
		t.Errorf("error %v, nodes %v: an API error carries no nodes", err, snap.Nodes)
	}
}

func TestDecodeMulticonnectAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation budget")
	}
	body := readFixture(t, "multiconnect.json")
	// 35 before nodes were listed: the node list may cost one or two more.
	if n := testing.AllocsPerRun(50, func() { _, _ = Decode(body) }); n > 37 {
		t.Errorf("Decode of multiconnect.json allocates %v times, budget 37", n)
	}
}
