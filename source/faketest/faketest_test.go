package faketest_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

// polls fetches number n times through the real client and checks what every poll of a
// healthy-ish scenario must give: no error, WS201, no decoder warning.
func polls(t *testing.T, sc faketest.Scenario, n int) []source.Snapshot {
	t.Helper()
	srv := faketest.New(sc)
	t.Cleanup(srv.Close)
	k, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]source.Snapshot, 0, n)
	for i := range n {
		snap, err := k.Fetch(context.Background(), "+12025550100")
		if err != nil || snap.Code != "WS201" || len(snap.Warnings) > 0 {
			t.Fatalf("%s poll %d: %v, code %q, warnings %q", sc, i+1, err, snap.Code, snap.Warnings)
		}
		out = append(out, snap)
	}
	return out
}

// value is the value of metric{labels...} in s; the test fails when it is absent.
func value(t *testing.T, s *source.Snapshot, metric string, kv ...string) float64 {
	t.Helper()
	m := s.Metric(metric)
	if m == nil {
		t.Fatalf("no %s", metric)
	}
next:
	for _, smp := range m.Samples {
		for i := 0; i+1 < len(kv); i += 2 {
			if smp.Labels.Get(kv[i]) != kv[i+1] {
				continue next
			}
		}
		return smp.Value
	}
	t.Fatalf("no %s%v", metric, kv)
	return 0
}

// callbackSeries are the label sets of the callback counters every healthy payload carries.
var callbackSeries = [][]string{
	{"result", "success", "type", "inbound_message"},
	{"result", "99", "type", "status_change"},
	{"result", "success", "type", "status_change"},
}

// checkGrowing: every callback counter grows from each poll to the next.
func checkGrowing(t *testing.T, snaps []source.Snapshot) {
	t.Helper()
	for _, metric := range []string{source.CallbackCount, source.CallbackSum} {
		for _, ls := range callbackSeries {
			for i := 1; i < len(snaps); i++ {
				if a, b := value(t, &snaps[i-1], metric, ls...), value(t, &snaps[i], metric, ls...); b <= a {
					t.Errorf("%s%v: %v then %v at poll %d, want growth", metric, ls, a, b, i+1)
				}
			}
		}
	}
}

func TestAllListsEachScenarioOnce(t *testing.T) {
	for i, sc := range faketest.All {
		if slices.Contains(faketest.All[:i], sc) {
			t.Errorf("%q listed twice", sc)
		}
	}
	for _, sc := range []faketest.Scenario{faketest.QueueCritical, faketest.Burst429, faketest.Multiconnect, faketest.Backwards} {
		if !slices.Contains(faketest.All, sc) {
			t.Errorf("%q is not in All", sc)
		}
	}
}

func TestQueueCritical(t *testing.T) {
	snaps := polls(t, faketest.QueueCritical, 4)
	for i := range snaps {
		// 1,000 is the console's default critical threshold for the queue.
		if q := value(t, &snaps[i], source.QueueSize); q != faketest.CriticalQueue || q <= 1000 {
			t.Errorf("poll %d: queue %v, want %d", i+1, q, faketest.CriticalQueue)
		}
		if snaps[i].Nodes != nil {
			t.Errorf("poll %d: nodes %v", i+1, snaps[i].Nodes)
		}
	}
	checkGrowing(t, snaps)
}

func TestBurst429(t *testing.T) {
	snaps := polls(t, faketest.Burst429, 5)
	checkGrowing(t, snaps)
	const metric = "endpoint_requests"
	for i := 1; i < len(snaps); i++ {
		a, b := &snaps[i-1], &snaps[i]
		delta := func(kv ...string) float64 { return value(t, b, metric, kv...) - value(t, a, metric, kv...) }
		ok := delta("endpoint", "/v1/messages", "method", "post", "result", "ok")
		refused := delta("endpoint", "/v1/messages", "method", "post", "result", "429")
		if share := refused / (ok + refused); share < 0.10 || share > 0.14 {
			t.Errorf("poll %d: 429 on %.1f%% of /v1/messages posts (%v ok, %v 429), want about 12%%", i+1, 100*share, ok, refused)
		}
		if contacts := delta("endpoint", "/v1/contacts", "result", "ok"); contacts <= 0 {
			t.Errorf("poll %d: /v1/contacts grew by %v", i+1, contacts)
		}
	}
	m := snaps[0].Metric(metric)
	if m.Type != source.Counter || len(m.Samples) != 3 {
		t.Fatalf("%s: type %s, %d series, want a counter of 3", metric, m.Type, len(m.Samples))
	}
	for _, s := range m.Samples {
		failing := source.IsFailure(s.Labels.Get("result"))
		if want := s.Labels.Get("endpoint") == "/v1/messages" && s.Labels.Get("result") == "429"; failing != want {
			t.Errorf("%s: failure %v, want %v", source.SeriesKey(metric, s.Labels), failing, want)
		}
	}
}

func TestMulticonnect(t *testing.T) {
	snaps := polls(t, faketest.Multiconnect, 4)
	checkGrowing(t, snaps)
	want := []source.Node{{Name: faketest.ActiveNode}, {Name: faketest.StandbyNode, Standby: true}}
	for i := range snaps {
		s := &snaps[i]
		if !bytes.HasPrefix(s.Raw, []byte(`{"RESPONSE":{`)) || !bytes.Contains(s.Raw, []byte(`"`+faketest.StandbyNode+`":{}`)) {
			t.Errorf("poll %d: not a wrapped payload with a standby {}: %.100s", i+1, s.Raw)
		}
		if !slices.Equal(s.Nodes, want) {
			t.Errorf("poll %d: nodes %+v, want %+v", i+1, s.Nodes, want)
		}
		for _, m := range s.Metrics {
			node := faketest.ActiveNode
			if m.Group == "db" {
				node = ""
			}
			for _, smp := range m.Samples {
				if got := smp.Labels.Get("node"); got != node {
					t.Errorf("poll %d: %s has node %q, want %q", i+1, source.SeriesKey(m.Name, smp.Labels), got, node)
				}
			}
		}
		if s.Metric("db_pending_callbacks") == nil || s.Metric(source.QueueSize) == nil {
			t.Errorf("poll %d: the app queue or the db group is missing", i+1)
		}
	}
}

// Backwards models a counter read from another replica: a small drop every other poll,
// no restart, and traffic of the usual mix.
func TestBackwards(t *testing.T) {
	snaps := polls(t, faketest.Backwards, 9)
	for _, metric := range []string{source.CallbackCount, source.CallbackSum} {
		for _, ls := range callbackSeries {
			key := fmt.Sprint(metric, ls)
			for i := 1; i < len(snaps); i++ {
				a, b := value(t, &snaps[i-1], metric, ls...), value(t, &snaps[i], metric, ls...)
				poll := i + 1 // the server counts polls from 1
				if poll%2 == 1 {
					if b <= a {
						t.Errorf("%s: %v then %v at poll %d, want the first replica ahead again", key, a, b, poll)
					}
					continue
				}
				if drop := a - b; drop <= 0 || drop/a >= 0.01 {
					t.Errorf("%s: %v then %v at poll %d, want a drop well under 10%% (a replica behind, not a restart)", key, a, b, poll)
				}
				if i >= 2 { // each replica grows on its own
					if c := value(t, &snaps[i-2], metric, ls...); b <= c {
						t.Errorf("%s: the second replica went from %v to %v", key, c, b)
					}
				}
			}
		}
	}
	total := func(s *source.Snapshot) float64 { return s.Metric(source.CallbackCount).Sum() }
	for i := 1; i < len(snaps); i += 2 { // polls 2, 4 ...
		if total(&snaps[i]) < 500_000 {
			t.Errorf("poll %d: %v callbacks in all, want hundreds of thousands", i+1, total(&snaps[i]))
		}
		if drop := total(&snaps[i-1]) - total(&snaps[i]); drop < 150 || drop > 250 {
			t.Errorf("poll %d: the callback count fell by %v, want about 200", i+1, drop)
		}
	}
	// Whichever replica answers, the callbacks between two polls fail in Healthy's share:
	// the drops must not pass for a burst of failures.
	h := polls(t, faketest.Healthy, 2)
	share := func(a, b *source.Snapshot) float64 {
		failed := value(t, b, source.CallbackCount, callbackSeries[1]...) - value(t, a, source.CallbackCount, callbackSeries[1]...)
		return failed / (total(b) - total(a))
	}
	want := share(&h[0], &h[1])
	for i := 2; i < len(snaps); i++ {
		if got := share(&snaps[i-1], &snaps[i]); math.Abs(got-want) > 1e-9 {
			t.Errorf("poll %d: %.2f%% of the callbacks since the poll before failed, want %.2f%% as in Healthy", i+1, 100*got, 100*want)
		}
	}
}

// The healthy payloads' queue moves, and stays under the default warn threshold at every
// poll: a test that reads a healthy number as OK must not depend on how many polls it made.
func TestHealthyQueueStaysUnderWarn(t *testing.T) {
	warn := monitor.DefaultThresholds()[monitor.QueueThreshold].Warn
	if faketest.HealthyQueueMax > warn/2 {
		t.Fatalf("HealthyQueueMax %d is not well under the warn threshold %v", faketest.HealthyQueueMax, warn)
	}
	for _, sc := range []faketest.Scenario{faketest.Healthy, faketest.Wrapped, faketest.Backwards, faketest.Burst429, faketest.Multiconnect} {
		seen := map[float64]bool{}
		for i, s := range polls(t, sc, 3*faketest.HealthyQueueMax) {
			q := value(t, &s, source.QueueSize)
			if q < 0 || q >= faketest.HealthyQueueMax {
				t.Errorf("%s poll %d: queue %v, want it in [0, %d)", sc, i+1, q, faketest.HealthyQueueMax)
			}
			seen[q] = true
		}
		if len(seen) < faketest.HealthyQueueMax/2 {
			t.Errorf("%s: the queue took %d values over %d polls: it hardly moves", sc, len(seen), 3*faketest.HealthyQueueMax)
		}
	}
}

func TestHealthyGrows(t *testing.T) {
	checkGrowing(t, polls(t, faketest.Healthy, 3))
	checkGrowing(t, polls(t, faketest.Wrapped, 3))
}

// DB carries the db group's metrics and db request durations in µs, and they move.
func TestDBCarriesTheDatabaseMetrics(t *testing.T) {
	ps := polls(t, faketest.DB, 2)
	for _, name := range []string{"db_pending_callbacks", "db_pending_messages", "db_request_duration_us_count", "db_request_duration_us_sum"} {
		if m := ps[1].Metric(name); m == nil || len(m.Samples) != 1 {
			t.Errorf("%s: %+v", name, m)
		}
	}
	if m := ps[1].Metric("db_messages"); m == nil || m.Group != "db" || len(m.Samples) != 2 {
		t.Errorf("db_messages: %+v", m)
	}
	if d := value(t, &ps[1], "db_request_duration_us_count") - value(t, &ps[0], "db_request_duration_us_count"); d != 20 {
		t.Errorf("db requests grow by %v a poll, want 20", d)
	}
	if mean := value(t, &ps[1], "db_request_duration_us_sum") / value(t, &ps[1], "db_request_duration_us_count"); mean != 1500 {
		t.Errorf("db requests take %v µs, want 1500", mean)
	}
}

// Unpaired spells one callback type differently in the _count and the _sum.
func TestUnpairedHalvesDiffer(t *testing.T) {
	p := polls(t, faketest.Unpaired, 1)[0]
	value(t, &p, source.CallbackCount, "type", "status_change", "result", "99")
	value(t, &p, "callback_requests_duration_ms_sum", "type", "status", "result", "99")
	sums := p.Metric("callback_requests_duration_ms_sum")
	for _, s := range sums.Samples {
		if s.Labels.Get("type") == "status_change" && s.Labels.Get("result") == "99" {
			t.Errorf("the _sum has the _count's status_change 99: %v", s.Labels)
		}
	}
}

// Freeze stops every number's payload where it is; Clocked makes payloads follow the
// clock, so two pollers see the same figures.
func TestFreezeAndClocked(t *testing.T) {
	srv := faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	k, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(n string) source.Snapshot {
		t.Helper()
		s, err := k.Fetch(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	count := func(s source.Snapshot) float64 {
		return value(t, &s, source.CallbackCount, "type", "inbound_message", "result", "success")
	}
	a := fetch("+12025550100")
	srv.Freeze()
	b, c := fetch("+12025550100"), fetch("+12025550100")
	if count(b) != count(a) || count(c) != count(a) {
		t.Errorf("after Freeze the counter went %v, %v, %v", count(a), count(b), count(c))
	}
	// A number first polled after Freeze stays at its first poll.
	if x, y := fetch("+12025550101"), fetch("+12025550101"); count(x) != count(y) {
		t.Errorf("a number new after Freeze moves: %v, %v", count(x), count(y))
	}

	clocked := faketest.New(faketest.Healthy)
	t.Cleanup(clocked.Close)
	clocked.Clocked(time.Hour)
	k, _ = source.NewKaleyra(source.KaleyraOptions{BaseURL: clocked.URL, Timeout: 2 * time.Second})
	first := fetch("+12025550100")
	for range 3 {
		if s := fetch("+12025550100"); count(s) != count(first) {
			t.Errorf("polls within one tick differ: %v, %v", count(first), count(s))
		}
	}
	if s := fetch("+12025550102"); count(s) != count(first) {
		t.Errorf("two numbers at the same tick differ: %v, %v", count(first), count(s))
	}
}
