package export

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wamon/wamon/source"
)

// paired is a callback pair whose halves list the same label sets; unpaired one whose
// _count has a label set its _sum lacks, and the other way round (the payload's type
// label differs between the two).
const (
	paired = `{"code":"WS201","data":{"stats":{"app":{
"callback_requests_duration_ms_count":{"help":"Callbacks","type":"counter","data":[{"labels":{"type":"a","result":"success"},"value":10}]},
"callback_requests_duration_ms_sum":{"help":"Callback ms","type":"counter","data":[{"labels":{"type":"a","result":"success"},"value":2000}]}}}}}`
	unpaired = `{"code":"WS201","data":{"stats":{"app":{
"callback_requests_duration_ms_count":{"help":"Callbacks","type":"counter","data":[
 {"labels":{"type":"a","result":"success"},"value":5},
 {"labels":{"type":"status_change","result":"99"},"value":7}]},
"callback_requests_duration_ms_sum":{"help":"Callback ms","type":"counter","data":[
 {"labels":{"type":"a","result":"success"},"value":500},
 {"labels":{"type":"status","result":"99"},"value":700}]}}}}}`
)

// A _count without its _sum (or the other way round) is exported all the same: the
// failures it counts must reach the store, under the sample names every query and alert
// uses. The summary goes out as two untyped families of those names for as long as one
// number's halves do not pair, and the log says so once.
func TestUnpairedHalvesAreExportedApart(t *testing.T) {
	eng, clock := engineOf(t, "+12025550100", "+12025550101")
	clock.Advance(5 * time.Second)
	eng.Record(0, decode(t, paired), nil)
	eng.Record(1, decode(t, unpaired), nil)
	var log bytes.Buffer
	c := NewCollector(eng, slog.New(slog.NewJSONHandler(&log, nil)))

	note := " Count half; exported apart (untyped) because some _count had no _sum of the same labels or the other way round."
	help := "Callbacks (wamon: payload callback_requests_duration_ms, group app, unit ms; as of wamon's last poll, a scrape does not call the API)"
	want := `
# HELP whatsapp_callback_requests_duration_seconds_count ` + help + note + `
# TYPE whatsapp_callback_requests_duration_seconds_count untyped
whatsapp_callback_requests_duration_seconds_count{number="+12025550100",result="success",type="a"} 10
whatsapp_callback_requests_duration_seconds_count{number="+12025550101",result="99",type="status_change"} 7
whatsapp_callback_requests_duration_seconds_count{number="+12025550101",result="success",type="a"} 5
# HELP whatsapp_callback_requests_duration_seconds_sum ` + help + strings.Replace(note, "Count", "Sum", 1) + `
# TYPE whatsapp_callback_requests_duration_seconds_sum untyped
whatsapp_callback_requests_duration_seconds_sum{number="+12025550100",result="success",type="a"} 2
whatsapp_callback_requests_duration_seconds_sum{number="+12025550101",result="99",type="status"} 0.7
whatsapp_callback_requests_duration_seconds_sum{number="+12025550101",result="success",type="a"} 0.5
`
	for range 2 {
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "whatsapp_callback_requests_duration_seconds",
			"whatsapp_callback_requests_duration_seconds_count", "whatsapp_callback_requests_duration_seconds_sum"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(log.String(), "\n"); n != 1 || !strings.Contains(log.String(), `"payload":"callback_requests_duration_ms"`) ||
		!strings.Contains(log.String(), `+12025550101{result=\"99\",type=\"status_change\"} has a _count and no _sum`) {
		t.Errorf("the log, after two scrapes (want one line naming the payload and the first unpaired sample):\n%s", log.String())
	}
	// Each half still says what it carries.
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP wamon_metric_info What each exported payload series carries: the payload metric, stats group, type, unit and help it comes from, for whoever reads the series back (wamon --source prometheus).
# TYPE wamon_metric_info gauge
wamon_metric_info{group="app",help="Callback ms",metric="whatsapp_callback_requests_duration_seconds_sum",number="",payload="callback_requests_duration_ms_sum",type="counter",unit="ms"} 1
wamon_metric_info{group="app",help="Callbacks",metric="whatsapp_callback_requests_duration_seconds_count",number="",payload="callback_requests_duration_ms_count",type="counter",unit=""} 1
`), "wamon_metric_info"); err != nil {
		t.Error(err)
	}

	// Once every number's halves pair again, the summary is back.
	clock.Advance(5 * time.Second)
	eng.Record(1, decode(t, paired), nil)
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP whatsapp_callback_requests_duration_seconds `+help+`
# TYPE whatsapp_callback_requests_duration_seconds summary
whatsapp_callback_requests_duration_seconds_sum{number="+12025550100",result="success",type="a"} 2
whatsapp_callback_requests_duration_seconds_count{number="+12025550100",result="success",type="a"} 10
whatsapp_callback_requests_duration_seconds_sum{number="+12025550101",result="success",type="a"} 2
whatsapp_callback_requests_duration_seconds_count{number="+12025550101",result="success",type="a"} 10
`), "whatsapp_callback_requests_duration_seconds", "whatsapp_callback_requests_duration_seconds_count"); err != nil {
		t.Error(err)
	}
}

// wamon_level is 0 ok, 1 warn, 2 crit, 3 error, and absent before a poll answers.
func TestLevelEncodesEveryState(t *testing.T) {
	numbers := []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103", "+12025550104"}
	eng, clock := engineOf(t, numbers...)
	clock.Advance(5 * time.Second)
	queue := func(n string) source.Snapshot {
		return decode(t, `{"code":"WS201","data":{"stats":{"app":{"callback_queue_size":{"type":"gauge","data":[{"value":`+n+`}]}}}}}`)
	}
	eng.Record(1, queue("5"), nil)
	eng.Record(2, queue("150"), nil)
	eng.Record(3, queue("1500"), nil)
	eng.Record(4, source.Snapshot{}, &source.TransportError{Kind: source.Refused})
	if err := testutil.CollectAndCompare(NewCollector(eng, nil), strings.NewReader(`
# HELP wamon_level The number's level: 0 ok, 1 warn, 2 crit (its last poll against wamon's thresholds), 3 error (its last poll failed); absent until a poll of it answers.
# TYPE wamon_level gauge
wamon_level{number="+12025550101"} 0
wamon_level{number="+12025550102"} 1
wamon_level{number="+12025550103"} 2
wamon_level{number="+12025550104"} 3
`), "wamon_level"); err != nil {
		t.Error(err)
	}
}
