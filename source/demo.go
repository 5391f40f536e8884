package source

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The demo simulates one WhatsApp Business API client per number and answers each Fetch
// with the JSON the real API would send, decoded by Decode, so the demo exercises the same
// path as the HTTP client.
//
// Model: a personality (by the number's place in Numbers) sets, at every moment, a
// callback rate, a mean callback duration, failure shares and the callback queue's
// dynamics. Counters integrate those rates over simulated time. Time advances by the clock
// time elapsed since the number's previous Fetch, cut into sub-steps of at most demoStep,
// so the dynamics do not depend on the poll interval. A rare simulated client restart
// zeroes the counters, as a real client restart does. Every random draw comes from the
// number's own PCG stream seeded from Seed and the number, so a seed, the numbers and a
// sequence of clock times fix every byte of every body.

// DemoOptions configures the embedded simulator.
type DemoOptions struct {
	Seed    int64            // same seed, same sequence of snapshots
	Numbers []string         // numbers to simulate; empty means DemoNumbers()
	Now     func() time.Time // clock; nil means time.Now
}

// Demo simulates numbers with distinct personalities, producing the API's own JSON and
// decoding it with Decode, so the demo exercises the real path.
type Demo struct {
	opts    DemoOptions
	index   map[string]int
	mu      sync.Mutex
	numbers map[string]*demoNumber
}

// DemoNumbers are the three numbers the demo simulates when none are configured: a calm
// one, a bursty multiconnect one, and a failing one.
func DemoNumbers() []string { return []string{"+12025550100", "+12025550101", "+12025550102"} }

// NewDemo builds a simulator; no number is simulated before its first Fetch.
func NewDemo(opts DemoOptions) *Demo {
	if len(opts.Numbers) == 0 {
		opts.Numbers = DemoNumbers()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Demo{opts: opts, index: map[string]int{}, numbers: map[string]*demoNumber{}}
	for i := len(opts.Numbers) - 1; i >= 0; i-- { // a repeated number keeps its first place
		d.index[opts.Numbers[i]] = i
	}
	return d
}

func (d *Demo) Name() string { return "demo" }

// Fetch advances the number's simulation to the clock's time and returns its stats.
func (d *Demo) Fetch(ctx context.Context, number string) (Snapshot, error) {
	now := d.opts.Now()
	if err := ctx.Err(); err != nil {
		kind := Network
		if errors.Is(err, context.DeadlineExceeded) {
			kind = Timeout
		}
		return Snapshot{Number: number, FetchedAt: now}, &TransportError{Kind: kind, Detail: err.Error(), Err: err}
	}
	n := d.number(number)
	n.mu.Lock()
	body, latency := n.poll(now)
	n.mu.Unlock()
	snap, err := Interpret(http.StatusOK, body, number)
	snap.Number, snap.FetchedAt, snap.Latency = number, now, latency
	return snap, err
}

// number returns the number's simulated client, made on first use: its personality by
// its place in Numbers (by hash when it is not there), its own random stream.
func (d *Demo) number(number string) *demoNumber {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := d.numbers[number]; n != nil {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(number))
	sum := h.Sum64()
	pers := personality(sum % 3)
	if i, ok := d.index[number]; ok {
		pers = personality(i % 3)
	}
	n := &demoNumber{pers: pers, rng: rand.New(rand.NewPCG(uint64(d.opts.Seed), sum))}
	d.numbers[number] = n
	return n
}

type personality int

const (
	calm personality = iota
	bursty
	failing
)

const burstIdle, burstClimbing, burstDraining = 0, 1, 2 // bursty's phases

const (
	demoStep      = 5.0                  // longest simulated sub-step, seconds
	demoMaxGap    = 6 * 3600.0           // a longer gap (a laptop asleep) is simulated as this long
	demoRestartIn = 4 * 3600.0           // mean simulated time between client restarts, seconds
	failingCycle  = 20 * 60.0            // failing: the failure share rises for 10 min, falls for 10
	ws500Odds     = 25                   // failing: one poll in this many answers WS500
	inboundPart   = 0.3                  // share of callbacks that are inbound messages
	nodeFilled    = "wa-core-1:3f2a9c1b" // multiconnect primary
	nodeStandby   = "wa-core-2:7d41e0aa" // multiconnect standby: an empty object
	ws500Body     = `{"code":"WS500","message":"Unable to fetch stats for the FROM number","error":{},"data":[]}`
)

// cbSeries are the callback series (type, result); failWeight splits a type's failure
// share over its failure results.
var (
	cbSeries = [...][2]string{{"inbound_message", "success"}, {"inbound_message", "99"},
		{"status_change", "success"}, {"status_change", "301"}, {"status_change", "1"}, {"status_change", "99"}}
	failWeight = [...]float64{0, 1, 0, 0.5, 0.3, 0.2}
)

// epSeries are the endpoint series with their base rate (per second) and mean duration.
var epSeries = [...]struct {
	endpoint, method, result string
	rate, meanMS             float64
}{
	{"messages", "post", "ok", 2.0, 70}, {"messages", "post", "470", 0.01, 40},
	{"contacts", "post", "ok", 0.3, 90}, {"media", "post", "ok", 0.15, 240},
	{"media", "get", "ok", 0.4, 160}, {"media", "get", "1006", 0.004, 30},
}

// flow is what a personality says about the client for one sub-step.
type flow struct {
	rate        float64 // callbacks per second
	meanMS      float64 // mean duration of a successful callback
	inboundFail float64 // failure share of inbound_message callbacks
	statusFail  float64 // failure share of status_change callbacks
	epErrScale  float64 // multiplies the rate of endpoint errors
	rateLimit   float64 // concurrent_rate_limit_triggered per second
}

// demoNumber is the simulated client of one number.
type demoNumber struct {
	mu   sync.Mutex
	pers personality
	rng  *rand.Rand

	started bool
	last    time.Time
	age     float64 // simulated seconds since the first Fetch

	c demoCounters // zeroed by a restart

	// Gauges, and the db group (which outlives a restart).
	queue, share                  float64
	pendingCallbacks, pendingMsgs float64
	dbIn, dbOut, dbValid, dbBad   float64

	// bursty: phase, seconds left idle, and the current burst's peak and speed.
	phase             int
	idleLeft          float64
	peak, burstPerSec float64
}

// demoCounters are the client's counters, by series where a metric has several.
type demoCounters struct {
	cbCount, cbSum                                [len(cbSeries)]float64
	epCount, epSum                                [len(epSeries)]float64
	fromServer, decoded, persisted, rateLimitHits float64
}

// poll advances the simulation to now and renders the response body.
func (n *demoNumber) poll(now time.Time) ([]byte, time.Duration) {
	if !n.started {
		n.start()
		n.started, n.last = true, now
	} else if now.After(n.last) {
		gap := min(now.Sub(n.last).Seconds(), demoMaxGap)
		n.last = now
		for gap > 0 {
			h := min(gap, demoStep)
			n.step(h)
			gap -= h
		}
	}
	ms := min(40+n.rng.IntN(60)+int(min(n.queue/10, 80)+n.share*300), 200) // a slow client answers slowly
	latency := time.Duration(ms) * time.Millisecond
	if n.pers == failing && n.rng.IntN(ws500Odds) == 0 {
		return []byte(ws500Body), latency
	}
	return n.render(), latency
}

// start gives a client that has been up for one to ten days its plausible totals.
func (n *demoNumber) start() {
	n.idleLeft = 20 + n.rng.Float64()*70 // the first burst comes soon: the demo should show it
	n.queue = [...]float64{calm: 4, bursty: 30, failing: 12}[n.pers]
	uptime := (1 + n.rng.Float64()*9) * 86400
	n.accrue(uptime, n.personalityStep(0))
}

func (n *demoNumber) step(h float64) {
	n.age += h
	if n.rng.Float64() < h/demoRestartIn {
		// A client restart: counters start again from zero and the in-memory queue is
		// lost; the database stays.
		n.c = demoCounters{}
		n.queue, n.phase, n.idleLeft = 0, burstIdle, 60+n.rng.Float64()*240
	}
	n.accrue(h, n.personalityStep(h))
}

func (n *demoNumber) personalityStep(h float64) flow {
	switch n.pers {
	case bursty:
		return n.stepBursty(h)
	case failing:
		return n.stepFailing(h)
	}
	return n.stepCalm(h)
}

// stepCalm: a small queue wandering around 4, about 5 callbacks/s, 0.2% failing.
func (n *demoNumber) stepCalm(h float64) flow {
	n.queue = n.wander(n.queue, 4, 3, h, 15)
	return flow{rate: 5, meanMS: 110, inboundFail: 0.001, statusFail: 0.0025, epErrScale: 1, rateLimit: 0.0003}
}

// stepBursty: the webhook slows down now and then; the queue then climbs past a thousand
// within a minute or two while few callbacks get through, and drains fast once it recovers.
func (n *demoNumber) stepBursty(h float64) flow {
	f := flow{rate: 9, meanMS: 100, inboundFail: 0.001, statusFail: 0.003, epErrScale: 1, rateLimit: 0.001}
	jitter := 0.7 + 0.6*n.rng.Float64()
	switch n.phase {
	case burstIdle:
		n.queue = n.wander(n.queue, 30, 6, h, 80)
		if n.idleLeft -= h; n.idleLeft <= 0 {
			n.phase, n.peak, n.burstPerSec = burstClimbing, 1100+n.rng.Float64()*800, 12+n.rng.Float64()*14
		}
	case burstClimbing:
		n.queue += n.burstPerSec * h * jitter
		f.rate, f.meanMS, f.statusFail, f.rateLimit = 3, min(250+n.queue/10, 400), 0.02, 0.05
		if n.queue >= n.peak {
			n.phase, n.burstPerSec = burstDraining, 15+n.rng.Float64()*15
		}
	case burstDraining:
		n.queue = max(n.queue-n.burstPerSec*h*jitter, 0)
		f.rate, f.meanMS, f.rateLimit = 9+n.burstPerSec, 180, 0.01
		if n.queue <= 40 {
			n.phase, n.idleLeft = burstIdle, 60+n.rng.Float64()*240
		}
	}
	return f
}

// stepFailing: the share of failed status_change callbacks follows a cycle from about 1%
// up to about 20% and back, and durations and the queue grow with it.
func (n *demoNumber) stepFailing(h float64) flow {
	wave := (1 - math.Cos(2*math.Pi*n.age/failingCycle)) / 2
	n.share = (0.01 + 0.19*wave) * (0.9 + 0.2*n.rng.Float64())
	n.queue = n.wander(n.queue, 10+n.share*400, 5, h, 200)
	return flow{rate: 6, meanMS: 140 + n.share*800, inboundFail: 0.005, statusFail: n.share,
		epErrScale: 1 + n.share*30, rateLimit: 0.003}
}

// wander moves v towards target with noise of about sd per demoStep, within [0, hi].
func (n *demoNumber) wander(v, target, sd, h, hi float64) float64 {
	v += (target-v)*min(1, 0.2*h/demoStep) + (n.rng.Float64()*2-1)*sd*math.Sqrt(h/demoStep)
	return min(max(v, 0), hi)
}

// draw turns an expected count into a whole one, rounding at random so that small rates
// still add up over many steps.
func (n *demoNumber) draw(expect float64) float64 {
	expect *= 0.8 + 0.4*n.rng.Float64()
	whole, frac := math.Modf(expect)
	if n.rng.Float64() < frac {
		whole++
	}
	return whole
}

// accrue adds h seconds of traffic at flow f to the counters and the db group.
func (n *demoNumber) accrue(h float64, f flow) {
	var inbound float64
	for i, s := range cbSeries {
		part, fail := 1-inboundPart, f.statusFail
		if s[0] == "inbound_message" {
			part, fail = inboundPart, f.inboundFail
		}
		share, mean := 1-fail, f.meanMS
		if s[1] != "success" {
			share, mean = fail*failWeight[i], 200+f.meanMS/2 // failures often wait for a timeout
		}
		c := n.draw(f.rate * part * share * h)
		n.c.cbCount[i] += c
		n.c.cbSum[i] += math.Round(c * mean * (0.85 + 0.3*n.rng.Float64()))
		if s[0] == "inbound_message" {
			inbound += c
		}
	}
	for i, s := range epSeries {
		rate := s.rate
		if s.result != "ok" {
			rate *= f.epErrScale
		}
		c := n.draw(rate * h)
		n.c.epCount[i] += c
		n.c.epSum[i] += math.Round(c * s.meanMS * (0.85 + 0.3*n.rng.Float64()))
		switch {
		case s.endpoint == "messages" && s.result == "ok":
			n.dbOut += c
		case s.endpoint == "contacts":
			bad := n.draw(c * 0.08)
			n.dbValid, n.dbBad = n.dbValid+c-bad, n.dbBad+bad
		}
	}
	n.c.rateLimitHits += n.draw(f.rateLimit * h)

	// The inbound pipeline: decoding and persisting trail receiving by a few messages,
	// more while the queue is long.
	lag := float64(n.rng.IntN(3)) + math.Floor(n.queue/200)
	persistedBefore := n.c.persisted
	n.c.fromServer += inbound
	n.c.decoded = max(n.c.decoded, n.c.fromServer-lag)
	n.c.persisted = max(n.c.persisted, n.c.decoded-float64(n.rng.IntN(3)))
	n.dbIn += n.c.persisted - persistedBefore
	n.pendingCallbacks = math.Round(n.queue) + float64(n.rng.IntN(4))
	n.pendingMsgs = float64(n.rng.IntN(6)) + math.Floor(n.queue/50)
}

// render writes the API's success envelope; a bursty (multiconnect) client's stats sit
// under its primary node, beside an empty standby, and its body comes wrapped in
// {"RESPONSE": ...} like the documentation's example.
func (n *demoNumber) render() []byte {
	w := &demoJSON{b: make([]byte, 0, 4096)}
	multi := n.pers == bursty
	if multi {
		w.raw(`{"RESPONSE":`)
	}
	w.raw(`{"code":"WS201","message":"Requested processed successfully","error":{},"data":{"stats":{"app":{`)
	if multi {
		w.raw(`"` + nodeFilled + `":{`)
	}
	n.renderApp(w)
	if multi {
		w.raw(`},"` + nodeStandby + `":{}`)
	}
	w.raw(`},"db":{`)
	w.single("db_pending_callbacks", "gauge", "Callbacks stored and not yet delivered", n.pendingCallbacks)
	w.single("db_pending_messages", "gauge", "Outgoing messages stored and not yet sent", n.pendingMsgs)
	w.metric("db_messages", "gauge", "Messages in the database, by type")
	w.sample(n.dbIn, "type", "incoming")
	w.sample(n.dbOut, "type", "outgoing")
	w.metric("db_contacts", "gauge", "Contacts in the database, by type")
	w.sample(n.dbValid, "type", "valid")
	w.sample(n.dbBad, "type", "invalid")
	w.raw(`]}}},"meta":{"api_status":"stable","version":"v2.45.2"}}}`)
	if multi {
		w.raw(`}`)
	}
	return w.b
}

func (n *demoNumber) renderApp(w *demoJSON) {
	w.single("callback_queue_size", "gauge", "Current callback queue size", math.Round(n.queue))
	w.metric("callback_requests_duration_ms_count", "counter", "Callback requests to the webhook, by type and result")
	for i, s := range cbSeries {
		w.sample(n.c.cbCount[i], "result", s[1], "type", s[0])
	}
	w.metric("callback_requests_duration_ms_sum", "counter", "Total duration of callback requests in milliseconds")
	for i, s := range cbSeries {
		w.sample(n.c.cbSum[i], "result", s[1], "type", s[0])
	}
	for _, m := range [...]struct {
		name, help string
		v          *[len(epSeries)]float64
	}{
		{"endpoint_requests", "Requests to the API endpoints, by endpoint, method and result", &n.c.epCount},
		{"endpoint_requests_duration_ms_count", "Endpoint requests timed", &n.c.epCount},
		{"endpoint_requests_duration_ms_sum", "Total duration of endpoint requests in milliseconds", &n.c.epSum},
	} {
		w.metric(m.name, "counter", m.help)
		for i, s := range epSeries {
			w.sample(m.v[i], "endpoint", s.endpoint, "method", s.method, "result", s.result)
		}
	}
	w.single("in_message_from_server", "counter", "Inbound messages received from the WhatsApp server", n.c.fromServer)
	w.single("in_message_decoded", "counter", "Inbound messages decrypted and decoded", n.c.decoded)
	w.single("in_message_persisted", "counter", "Inbound messages written to the database", n.c.persisted)
	w.single("in_messages_pending_processing", "gauge", "Inbound messages received and not yet persisted", n.c.fromServer-n.c.persisted)
	w.single("concurrent_rate_limit_triggered", "counter", "Requests refused by the concurrency rate limit", n.c.rateLimitHits)
	w.raw(`]}`)
}

// demoJSON appends JSON. Every string it writes is a constant of this file (plain ASCII,
// nothing to escape) and every number is finite, so the output is valid JSON.
type demoJSON struct{ b []byte }

func (w *demoJSON) raw(s string) { w.b = append(w.b, s...) }

// metric closes the previous metric's data array (if any) and opens the next one's.
func (w *demoJSON) metric(name, typ, help string) {
	if w.b[len(w.b)-1] != '{' {
		w.raw(`]},`)
	}
	w.raw(`"` + name + `":{"help":"` + help + `","type":"` + typ + `","data":[`)
}

// single writes a metric with one sample and no labels.
func (w *demoJSON) single(name, typ, help string, v float64) {
	w.metric(name, typ, help)
	w.sample(v)
}

// sample writes one {labels, value}; kv alternates label names and values. A sample
// without labels has no labels member, as in the documentation's example.
func (w *demoJSON) sample(v float64, kv ...string) {
	if w.b[len(w.b)-1] != '[' {
		w.raw(`,`)
	}
	w.raw(`{`)
	for i := 0; i+1 < len(kv); i += 2 {
		sep := `,`
		if i == 0 {
			sep = `"labels":{`
		}
		w.raw(sep + `"` + kv[i] + `":"` + kv[i+1] + `"`)
	}
	if len(kv) > 0 {
		w.raw(`},`)
	}
	w.raw(`"value":`)
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
	w.raw(`}`)
}
