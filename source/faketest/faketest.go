// Package faketest is a fault-injection stand-in for the Kaleyra stats API, for tests.
// Each number answers with its own scenario (a healthy payload, an API error envelope, a
// proxy page, a hang, a reset, hostile text ...), so one server can exercise every failure
// at once, and scenarios can be switched while a test runs to watch recovery.
package faketest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario is how the server answers for one number.
type Scenario string

// The scenarios. Healthy ones carry counters that grow with every request of the number,
// so a console sees rates move.
const (
	Healthy         Scenario = "healthy"          // bare envelope, WS201
	Wrapped         Scenario = "wrapped"          // the same inside {"RESPONSE": ...}
	WS406           Scenario = "ws406"            // accept-header mismatch, HTTP 200
	WS500           Scenario = "ws500"            // bad number envelope, HTTP 200
	WS500Status     Scenario = "ws500-status"     // the same with HTTP 500
	LowerCase       Scenario = "lowercase"        // "ws500" with HTTP 400
	HTML502         Scenario = "html-502"         // a proxy's error page
	HTML503         Scenario = "html-503"         // ...
	HTML504         Scenario = "html-504"         // ...
	Empty           Scenario = "empty"            // 200 with no body
	Truncated       Scenario = "truncated"        // healthy JSON cut in the middle
	Huge            Scenario = "huge"             // tens of MiB, streamed
	Hang            Scenario = "hang"             // never answers (until the client gives up)
	Drip            Scenario = "drip"             // a byte at a time, slower than any timeout
	ResetMidBody    Scenario = "reset"            // headers, half a body, then a TCP reset
	RedirectLoop    Scenario = "redirect-loop"    // 302 to itself forever
	Backwards       Scenario = "backwards"        // every other poll a replica 200 behind: a small drop, no restart
	OddValues       Scenario = "odd-values"       // strings, null, NaN-like, huge and negative values
	MissingFields   Scenario = "missing-fields"   // metrics without data, type or help
	Hostile         Scenario = "hostile"          // escape sequences, bidi and zero-width characters in text
	LongLabels      Scenario = "long-labels"      // label values of 5,000 characters
	ThousandsSeries Scenario = "thousands-series" // 5,000 series in one payload
	QueueCritical   Scenario = "queue-critical"   // healthy, the callback queue at 1,500 (past the critical 1,000)
	Burst429        Scenario = "burst-429"        // healthy; endpoint_requests with 12% 429s on /v1/messages
	Multiconnect    Scenario = "multiconnect"     // wrapped; app on an active node and a standby {}; db flat
	DB              Scenario = "db"               // healthy, with the db group's pending messages, messages and contacts by type, and db request durations in µs
	Unpaired        Scenario = "unpaired"         // healthy, but one callback type is spelled differently in _count and _sum
)

// All lists every scenario, for tests that run them all together.
var All = []Scenario{Healthy, Wrapped, WS406, WS500, WS500Status, LowerCase, HTML502, HTML503,
	HTML504, Empty, Truncated, Huge, Hang, Drip, ResetMidBody, RedirectLoop, Backwards,
	OddValues, MissingFields, Hostile, LongLabels, ThousandsSeries, QueueCritical, Burst429,
	Multiconnect, DB, Unpaired}

// The nodes of the Multiconnect scenario, as the demo names its multiconnect client's.
const (
	ActiveNode  = "wa-core-1:3f2a9c1b" // the primary: holds the app metrics
	StandbyNode = "wa-core-2:7d41e0aa" // a standby: an empty object
)

// CriticalQueue is the callback queue of the QueueCritical scenario.
const CriticalQueue = 1500

// BackwardsLag is how many polls the second replica of the Backwards scenario is behind
// the first: its callback counters trail by that many polls' growth (200 callbacks on the
// busiest series), so they fall by a little less every other poll.
const BackwardsLag = 4

// HugeSize is how much the Huge scenario streams: far over the client's 8 MiB default.
const HugeSize = 40 << 20

// Server is the fake API. Numbers without a scenario of their own get the default.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	def       Scenario
	scenarios map[string]Scenario
	polls     map[string]int
	headers   http.Header // of the latest request

	requests atomic.Int64
	frozen   map[string]int // numbers whose payloads stay at this poll's, and the poll
	tick     time.Duration  // Clocked: payloads follow the clock, a step every tick
	started  time.Time
	stop     chan struct{}
	stopOnce sync.Once
}

// New starts a server whose numbers answer with def unless Set says otherwise.
func New(def Scenario) *Server {
	s := &Server{def: def, scenarios: map[string]Scenario{}, polls: map[string]int{}, frozen: map[string]int{}, stop: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close releases hanging requests first, so that closing never waits for a client timeout.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// Set gives a number its scenario from the next request on.
func (s *Server) Set(number string, sc Scenario) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scenarios[number] = sc
}

// Clocked makes payloads follow the clock from now on, not the polls: a number's payload
// is the one of poll k during the k-th tick since, whoever asks and however often, so
// that two pollers of one number see the same figures at the same moment, and counters
// grow by one poll's worth a tick.
func (s *Server) Clocked(tick time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick, s.started = tick, time.Now()
}

// Freeze makes every number's payload stay what its last poll's was (its counters stop
// growing, its queue stops moving), so that two pollers at different moments see the
// same figures. Polls are still counted.
func (s *Server) Freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, polls := range s.polls {
		if s.tick > 0 {
			polls = int(time.Since(s.started)/s.tick) + 1
		}
		s.frozen[n] = max(polls, 1)
	}
	s.frozen[""] = 1 // numbers not polled yet stay at their first poll
}

// Requests counts requests served (redirect hops included).
func (s *Server) Requests() int64 { return s.requests.Load() }

// Polls is how many requests the server has had for number.
func (s *Server) Polls(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls[number]
}

// LastHeaders returns a copy of the headers of the latest request.
func (s *Server) LastHeaders() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers.Clone()
}

// RefusedURL is a base URL where nothing listens: connecting is refused.
func RefusedURL() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "http://127.0.0.1:9"
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

const prefix = "/v1/wamonitor/stats/"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	number, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.headers = r.Header.Clone()
	sc, ok := s.scenarios[number]
	if !ok {
		sc = s.def
	}
	s.polls[number]++
	n := s.polls[number]
	if s.tick > 0 {
		n = int(time.Since(s.started)/s.tick) + 1
	}
	if at, ok := s.frozen[number]; ok {
		n = at
	} else if _, ok := s.frozen[""]; ok {
		s.frozen[number] = n
	}
	s.mu.Unlock()

	json := func(status int, body []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
	switch sc {
	case Healthy, "":
		json(200, Payload(n, false))
	case Wrapped:
		json(200, Payload(n, true))
	case WS406:
		json(200, []byte(`{"code":"WS406","message":"The accept header mismatches the supported server response!","error":{},"data":[]}`))
	case WS500:
		json(200, []byte(`{"code":"WS500","message":"Invalid or in-correct input of the From number.","error":{},"data":[]}`))
	case WS500Status:
		json(500, []byte(`{"code":"WS500","message":"somthing went wrong !!!","error":{},"data":[]}`))
	case LowerCase:
		json(400, []byte(`{"code":"ws500","message":"invalid from number","error":{},"data":[]}`))
	case HTML502, HTML503, HTML504:
		status, _ := strconv.Atoi(strings.TrimPrefix(string(sc), "html-"))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center><hr><center>nginx</center></body></html>\n",
			status, http.StatusText(status), status, http.StatusText(status))
	case Empty:
		w.WriteHeader(200)
	case Truncated:
		body := Payload(n, false)
		json(200, body[:len(body)/2])
	case Huge:
		s.huge(w)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
	case Drip:
		s.drip(w, r)
	case ResetMidBody:
		s.reset(w, n)
	case RedirectLoop:
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	case Backwards:
		json(200, backwards(n))
	case QueueCritical:
		p := healthy(n)
		p.queue = CriticalQueue
		json(200, p.render())
	case Burst429:
		p := healthy(n)
		p.app = endpointRequests(n)
		json(200, p.render())
	case Multiconnect:
		p := healthy(n)
		p.wrapped, p.node = true, ActiveNode
		json(200, p.render())
	case DB:
		p := healthy(n)
		p.app = dbRequests(n)
		p.db = dbGroup(n)
		json(200, p.render())
	case Unpaired:
		p := healthy(n)
		p.unpaired = true
		json(200, p.render())
	case OddValues:
		json(200, []byte(oddValues))
	case MissingFields:
		json(200, []byte(missingFields))
	case Hostile:
		json(200, []byte(hostile))
	case LongLabels:
		long := strings.Repeat("x", 5000)
		json(200, []byte(`{"code":"WS201","message":"ok","error":{},"data":{"stats":{"app":{"callback_requests_duration_ms_count":{"type":"counter","help":"h","data":[{"labels":{"type":"`+long+`","result":"success"},"value":1}]}}}}}`))
	case ThousandsSeries:
		json(200, ManySeries(5000, n))
	default:
		http.Error(w, "unknown scenario "+string(sc), http.StatusTeapot)
	}
}

// huge streams a well-formed start and then padding, so only the cap can stop the reader.
func (s *Server) huge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.Write([]byte(`{"code":"WS201","message":"`))
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	for sent := 0; sent < HugeSize; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	w.Write([]byte(`"}`))
}

func (s *Server) drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	flusher, _ := w.(http.Flusher)
	for _, c := range Payload(1, false) {
		w.Write([]byte{c})
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		}
	}
}

// reset sends the headers and half the body, then closes the socket with SO_LINGER 0,
// which makes the kernel send a RST instead of a clean FIN.
func (s *Server) reset(w http.ResponseWriter, n int) {
	body := Payload(n, false)
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faketest: response writer cannot be hijacked")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// Payload is a healthy stats payload at poll n: counters grow with n, the queue moves.
func Payload(n int, wrapped bool) []byte {
	p := healthy(n)
	p.wrapped = wrapped
	return p.render()
}

// payload is what a healthy-ish payload carries; render writes it.
type payload struct {
	wrapped bool
	node    string // when set, the app metrics sit under this node, beside StandbyNode's {}
	queue   int    // callback_queue_size
	// The callback counters: inbound_message success, status_change 99, status_change
	// success. Their sums are the counts times cbMeanMS.
	cb      [3]int
	pending int    // in_messages_pending_processing
	dbCB    int    // db_pending_callbacks
	app     string // more app metrics, rendered after the usual ones
	db      string // more db metrics, rendered after db_pending_callbacks
	// unpaired spells the status_change type of the 99 series "status" in the _sum (a
	// client that names a type differently in the two halves).
	unpaired bool
}

// cbMeanMS are the mean durations of the callback series, in ms.
var cbMeanMS = [3]int{120, 900, 95}

// HealthyQueueMax bounds the callback queue of the healthy payloads (Healthy, Wrapped,
// Backwards, Burst429, Multiconnect): it moves from poll to poll, always below this,
// half the console's default warn threshold of 100, so that a healthy number never
// flaps between OK and WARN with the poll count.
const HealthyQueueMax = 50

// healthy is the Healthy scenario's payload at poll n.
func healthy(n int) payload {
	return payload{queue: (n * 37) % HealthyQueueMax, cb: [3]int{4000 + n*10, 300 + n, 540000 + n*50}, pending: n % 7, dbCB: n % 5}
}

// backwards is the Backwards scenario at poll n: two replicas answer in turn, the one of
// even polls BackwardsLag polls behind the other, so counters of hundreds of thousands
// fall by a little (about 200 in all, well under 10%) on every even poll and climb back on
// the next. No restart. Both grow as Healthy's do, with the same share of failures,
// across a drop or not.
func backwards(n int) []byte {
	p := healthy(n)
	at := n
	if n%2 == 0 {
		at = n - BackwardsLag
	}
	p.cb = [3]int{400000 + at*10, 6000 + at, 540000 + at*50}
	return p.render()
}

// dbRequests are the db request durations (in µs) of the DB scenario at poll n: 20
// requests a poll, 1.5 ms each.
func dbRequests(n int) string {
	return fmt.Sprintf(`"db_request_duration_us_count":{"help":"DB request durations","type":"counter","data":[{"value":%d}]},`+
		`"db_request_duration_us_sum":{"help":"DB request durations","type":"counter","data":[{"value":%d}]}`, 1000+n*20, (1000+n*20)*1500)
}

// dbGroup is the db group's metrics of the DB scenario at poll n, beside
// db_pending_callbacks: pending messages, and messages and contacts by type.
func dbGroup(n int) string {
	return fmt.Sprintf(`,"db_pending_messages":{"help":"Messages pending in the database","type":"gauge","data":[{"value":%d}]},`+
		`"db_messages":{"help":"Messages in the database","type":"gauge","data":[`+
		`{"labels":{"type":"inbound"},"value":%d},{"labels":{"type":"outbound"},"value":%d}]},`+
		`"db_contacts":{"help":"Contacts in the database","type":"gauge","data":[{"labels":{"type":"valid"},"value":%d}]}`,
		n%11, 50000+n*3, 80000+n*5, 1200)
}

// endpointRequests is the endpoint_requests counter of the Burst429 scenario at poll n:
// of every 1,000 posts to /v1/messages 880 are ok and 120 refused with 429 (12%), and
// /v1/contacts is all ok.
func endpointRequests(n int) string {
	return fmt.Sprintf(`"endpoint_requests":{"help":"Endpoint requests","type":"counter","data":[`+
		`{"labels":{"endpoint":"/v1/messages","method":"post","result":"ok"},"value":%d},`+
		`{"labels":{"endpoint":"/v1/messages","method":"post","result":"429"},"value":%d},`+
		`{"labels":{"endpoint":"/v1/contacts","method":"post","result":"ok"},"value":%d}]}`,
		88000+n*880, 12000+n*120, 9000+n*40)
}

func (p payload) render() []byte {
	var b bytes.Buffer
	if p.wrapped {
		b.WriteString(`{"RESPONSE":`)
	}
	b.WriteString(`{"code":"WS201","message":"Requested processed successfully","error":{},"data":{"stats":{"app":{`)
	if p.node != "" {
		b.WriteString(`"` + p.node + `":{`)
	}
	sumType99 := "status_change"
	if p.unpaired {
		sumType99 = "status"
	}
	fmt.Fprintf(&b, `"callback_queue_size":{"help":"Current callback queue size","type":"gauge","data":[{"value":%d}]},`+
		`"callback_requests_duration_ms_count":{"help":"Callback request durations","type":"counter","data":[`+
		`{"labels":{"result":"success","type":"inbound_message"},"value":%d},`+
		`{"labels":{"result":"99","type":"status_change"},"value":%d},`+
		`{"labels":{"result":"success","type":"status_change"},"value":%d}]},`+
		`"callback_requests_duration_ms_sum":{"help":"Callback request durations","type":"counter","data":[`+
		`{"labels":{"result":"success","type":"inbound_message"},"value":%d},`+
		`{"labels":{"result":"99","type":"`+sumType99+`"},"value":%d},`+
		`{"labels":{"result":"success","type":"status_change"},"value":%d}]},`+
		`"in_messages_pending_processing":{"help":"Inbound messages waiting","type":"gauge","data":[{"value":%d}]}`,
		p.queue, p.cb[0], p.cb[1], p.cb[2], p.cb[0]*cbMeanMS[0], p.cb[1]*cbMeanMS[1], p.cb[2]*cbMeanMS[2], p.pending)
	if p.app != "" {
		b.WriteString(`,` + p.app)
	}
	if p.node != "" {
		b.WriteString(`},"` + StandbyNode + `":{}`)
	}
	fmt.Fprintf(&b, `},"db":{"db_pending_callbacks":{"help":"Callbacks pending in the database","type":"gauge","data":[{"value":%d}]}%s}},`+
		`"meta":{"api_status":"stable","version":"v2.45.2"}}}`, p.dbCB, p.db)
	if p.wrapped {
		b.WriteString(`}`)
	}
	return b.Bytes()
}

// ManySeries is a payload of count series of one counter, growing with n.
func ManySeries(count, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"code":"WS201","message":"ok","error":{},"data":{"stats":{"app":{"endpoint_requests":{"help":"Endpoint requests","type":"counter","data":[`)
	for i := range count {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"labels":{"endpoint":"e%d","method":"post","result":"ok"},"value":%d}`, i, i+n)
	}
	b.WriteString(`]}}}}}`)
	return b.Bytes()
}

const oddValues = `{"code":"WS201","message":"ok","error":{},"data":{"stats":{"app":{
"callback_queue_size":{"help":"q","type":"gauge","data":[{"value":"17"}]},
"as_string":{"help":"s","type":"counter","data":[{"labels":{"k":"a"},"value":"4353"},{"labels":{"k":"b"},"value":"1.5e3"}]},
"as_null":{"help":"n","type":"gauge","data":[{"value":null}]},
"nan_like":{"help":"n","type":"gauge","data":[{"labels":{"k":"nan"},"value":"NaN"},{"labels":{"k":"inf"},"value":"Infinity"}]},
"huge":{"help":"h","type":"counter","data":[{"value":1e308},{"labels":{"k":"over"},"value":1e999}]},
"negative":{"help":"n","type":"counter","data":[{"value":-5}]}}}}}`

const missingFields = `{"code":"WS201","message":"ok","error":{},"data":{"stats":{"app":{
"callback_queue_size":{"help":"q","type":"gauge","data":[{"value":3}]},
"no_data":{"help":"h","type":"counter"},
"no_type":{"help":"h","data":[{"value":1}]},
"no_help":{"type":"gauge","data":[{"value":2}]},
"no_value":{"help":"h","type":"gauge","data":[{"labels":{"a":"b"}}]},
"not_an_object":42}}}}`

// hostile carries, in every kind of server text, what would hijack a terminal: an OSC
// title set, clear screen, cursor moves, a bidi override and zero-width characters.
const hostile = `{"code":"WS201","message":"ok\u001b]0;pwned\u0007\u001b[2J","error":{},"data":{"stats":{"app":{
"callback_queue_size":{"help":"queue\u001b[H\u001b[2Jsize","type":"gauge","data":[{"value":5}]},
"callback_requests_duration_ms_count":{"help":"\u001b]0;title\u0007counts\u202e","type":"counter","data":[
{"labels":{"result":"success","type":"inbound\u001b[31m_message\u200b"},"value":10},
{"labels":{"result":"9\u001b[5A9","type":"status\u202echange\u2066"},"value":3}]},
"evil\u001b[2Jmetric":{"help":"x\rx\bx","type":"gauge","data":[{"labels":{"k\u0007":"\u009b31m"},"value":1}]}}},
"meta":{"version":"v2\u001b]52;c;Y29weQ==\u0007"}}}`
