package source

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Decode turns a response body into a Snapshot.
//
// It accepts the bare envelope {code, message, error, data:{stats:{GROUP:{...}}, meta}}
// and the same wrapped in {"RESPONSE": ...}. Codes are upper-cased ("ws201" -> "WS201").
// Values may be JSON numbers or numeric strings ("4353", "1.5e3").
//
// A WS2xx envelope (or one with data but no code) gives a Snapshot with Code, Message,
// Metrics, Meta, Nodes, Warnings and Raw set; Number, FetchedAt and Latency are left to
// the caller. Every group is kept ("app", "db", any other) and each Metric remembers it. In a
// multiconnect payload a group holds "host:container" nodes of metrics: the node becomes a
// "node" label on each sample, the same metric under several nodes is one Metric, and an
// empty node ({} under a key with a colon) adds no metric. Every node is listed in Nodes,
// standby when all its objects were empty; an empty object under a key without a colon is
// not a node but a metric without data (a warning). A metric name already taken by
// another group is stored under "group:name" (its Name says so too) with a warning. A
// malformed metric or sample is dropped with a one-line warning naming it (samples are
// counted from 1); so is a duplicate series (the last one is kept). A counter with a
// negative value is kept with a warning. An unknown or missing type is Untyped. A payload
// that yields no metric at all carries the warning "no stats in payload".
//
// Any other code gives a Snapshot with Code, Message and Raw set and an *APIError
// (HTTPStatus 0: the caller fills it). A body that is not the envelope gives a
// *DecodeError saying what was found ("empty body", "HTML page \"502 Bad Gateway\"",
// "truncated JSON at byte 812", ...; byte offsets count from 0). Every string in the
// result has passed Sanitize. Decode never panics.
func Decode(body []byte) (Snapshot, error) {
	snap := Snapshot{Raw: body}
	start := skipBOMAndSpace(body)
	if start == len(body) {
		return snap, &DecodeError{What: "empty body"}
	}
	d := decoder{s: scanner{buf: body, pos: start}}
	// The shared arrays sized from the body at once, rather than doubled up to it: a
	// sample takes 60 bytes of JSON and more, a label 20 (the demo's payloads: 4.2 KB,
	// 57 samples, 110 labels).
	d.samples = make([]Sample, 0, min(len(body)/60+1, 1<<15))
	d.labels = make([]Label, 0, min(len(body)/30+1, 1<<16))
	switch body[start] {
	case '<':
		return snap, &DecodeError{What: describeMarkup(body[start:])}
	case '[':
		if err := d.s.document(d.s.skipValue); err != nil {
			return snap, &DecodeError{What: describeSyntax(err, len(body))}
		}
		return snap, &DecodeError{What: "JSON array, not the API envelope"}
	case '{':
	default:
		if err := d.s.document(d.s.skipValue); err != nil {
			return snap, &DecodeError{What: describeText(body[start:])}
		}
		kind := kindOf(body[start]) // "a number": drop the article
		return snap, &DecodeError{What: "JSON " + kind[strings.IndexByte(kind, ' ')+1:] + ", not the API envelope"}
	}

	top := &envelope{}
	if err := d.s.document(func() error { return d.envelope(top) }); err != nil {
		return snap, &DecodeError{What: describeSyntax(err, len(body))}
	}
	env := top
	if !top.hasCode && !top.hasData && top.inner != nil {
		env = top.inner
	}
	if !env.hasCode && !env.hasData {
		return snap, &DecodeError{What: env.whatInstead()}
	}

	snap.Code = env.code
	snap.Message = env.message
	if snap.Message == "" {
		snap.Message = env.errText
	}
	if env.hasCode && !isSuccessCode(env.code) {
		return snap, &APIError{Code: snap.Code, Message: snap.Message}
	}
	if !env.hasCode {
		env.warn("no code in the envelope")
	}
	for _, m := range env.order {
		env.dedupe(m)
	}
	if len(env.metrics) == 0 {
		env.warn("no stats in payload")
		env.metrics = map[string]*Metric{}
	}
	snap.Metrics = env.metrics
	snap.Meta = env.meta
	snap.Nodes = env.nodes
	snap.Warnings = env.finishWarnings()
	return snap, nil
}

// isSuccessCode reports a WS2xx code.
func isSuccessCode(code string) bool {
	return len(code) == 5 && code[:3] == "WS2" && isDigit(code[3]) && isDigit(code[4])
}

// maxWarnings bounds Snapshot.Warnings: a payload broken everywhere gives a summary line
// instead of thousands.
const maxWarnings = 50

// warningWidth bounds one warning line, in cells.
const warningWidth = 200

// envelope is what one API envelope held; Decode picks the outer one or the one inside
// "RESPONSE".
type envelope struct {
	code, message, errText string
	hasCode, hasData       bool
	keys                   [3][]byte // the first keys, to say what the object was instead
	nkeys                  int
	metrics                map[string]*Metric
	order                  []*Metric // metrics in payload order, for steady warnings
	meta                   map[string]string
	nodes                  []Node // multiconnect nodes in order of first appearance
	warnings               []string
	unshown                int
	inner                  *envelope
}

func (e *envelope) warn(format string, args ...any) {
	if len(e.warnings) >= maxWarnings {
		e.unshown++
		return
	}
	e.warnings = append(e.warnings, Truncate(fmt.Sprintf(format, args...), warningWidth))
}

// node notes a multiconnect node; empty says its object had no member. A node seen in
// several groups is listed once, and standby only while all its objects were empty.
func (e *envelope) node(name string, empty bool) {
	for i := range e.nodes {
		if e.nodes[i].Name == name {
			e.nodes[i].Standby = e.nodes[i].Standby && empty
			return
		}
	}
	if e.nodes == nil {
		e.nodes = make([]Node, 0, 4) // one allocation for the usual two or three nodes
	}
	e.nodes = append(e.nodes, Node{Name: name, Standby: empty})
}

func (e *envelope) finishWarnings() []string {
	if e.unshown > 0 {
		e.warnings = append(e.warnings, fmt.Sprintf("%d more warnings not shown", e.unshown))
	}
	return e.warnings
}

// whatInstead describes a JSON object that is not the envelope.
func (e *envelope) whatInstead() string {
	what := "JSON object without code or data"
	switch {
	case e.message != "":
		return what + `, message "` + Truncate(e.message, 60) + `"`
	case e.errText != "":
		return what + `, error "` + Truncate(e.errText, 60) + `"`
	case e.nkeys > 0:
		keys := make([]string, e.nkeys)
		for i, k := range e.keys[:e.nkeys] {
			keys[i] = Truncate(string(k), 20)
		}
		return what + " (keys: " + strings.Join(keys, ", ") + ")"
	}
	return what
}

// decoder walks one body. Samples and labels of all metrics share two backing arrays,
// each metric and sample taking a capped window of them, which keeps allocations few.
type decoder struct {
	s       scanner
	strs    map[string]string // raw text -> sanitised string, shared by equal labels
	samples []Sample
	labels  []Label
	slab    []Metric
}

// envelope reads {code, message, error, data, meta, RESPONSE}; keys are matched
// case-insensitively, unknown keys skipped.
func (d *decoder) envelope(e *envelope) error {
	return d.s.eachMember(func(key []byte) error {
		if e.nkeys < len(e.keys) {
			e.keys[e.nkeys] = key
			e.nkeys++
		}
		switch {
		case keyIs(key, "code"):
			code, _, err := d.scalar()
			e.code = strings.ToUpper(strings.TrimSpace(code))
			e.hasCode = e.code != ""
			return err
		case keyIs(key, "message"):
			msg, _, err := d.scalar()
			e.message = strings.TrimSpace(msg)
			return err
		case keyIs(key, "error"):
			if d.s.peek() != '"' {
				return d.s.skipValue()
			}
			text, _, err := d.scalar()
			e.errText = strings.TrimSpace(text)
			return err
		case keyIs(key, "data"):
			e.hasData = true
			if d.s.peek() != '{' {
				return d.s.skipValue()
			}
			return d.data(e)
		case keyIs(key, "meta"):
			return d.meta(e)
		case keyIs(key, "response") && d.s.peek() == '{':
			e.inner = &envelope{}
			return d.envelope(e.inner)
		}
		return d.s.skipValue()
	})
}

// data reads {stats:{...}, meta:{...}}.
func (d *decoder) data(e *envelope) error {
	return d.s.eachMember(func(key []byte) error {
		switch {
		case keyIs(key, "stats"):
			if c := d.s.peek(); c != '{' {
				e.warn("stats is %s, not an object", kindOf(c))
				return d.s.skipValue()
			}
			return d.s.eachMember(func(key []byte) error {
				group := d.intern(key)
				if c := d.s.peek(); c != '{' {
					e.warn("group %s is %s, not an object", group, kindOf(c))
					return d.s.skipValue()
				}
				return d.group(e, group)
			})
		case keyIs(key, "meta"):
			return d.meta(e)
		}
		return d.s.skipValue()
	})
}

// meta keeps the scalar members of a meta object as text; null says nothing, so it is
// left out.
func (d *decoder) meta(e *envelope) error {
	if d.s.peek() != '{' {
		return d.s.skipValue()
	}
	return d.s.eachMember(func(key []byte) error {
		switch d.s.peek() {
		case '{', '[', 'n':
			return d.s.skipValue()
		}
		text, _, err := d.scalar()
		if e.meta == nil {
			e.meta = make(map[string]string, 4)
		}
		e.meta[d.intern(key)] = text
		return err
	})
}

// group reads the members of a stats group: metrics, or nodes holding metrics.
func (d *decoder) group(e *envelope, group string) error {
	return d.s.eachMember(func(key []byte) error {
		name := d.intern(key)
		if c := d.s.peek(); c != '{' {
			e.warn("%s: not a metric (%s)", name, kindOf(c))
			return d.s.skipValue()
		}
		start := d.s.pos
		mp := metricParse{name: name, group: group}
		if err := d.metric(e, &mp); err != nil {
			return err
		}
		switch {
		case mp.isMetric:
			d.commit(e, &mp)
		case mp.members == 0:
			// An empty object is a standby node of an HA deployment; a metric name
			// without a colon is more likely a metric that lost its data.
			if strings.Contains(name, ":") {
				e.node(name, true)
			} else {
				e.warn("%s: no data", name)
			}
		case mp.nodeish:
			e.node(name, false)
			d.s.pos = start
			return d.node(e, group, name)
		default:
			e.warn("%s: not a metric (no data, type or help)", name)
		}
		return nil
	})
}

// node reads the metrics of one multiconnect node.
func (d *decoder) node(e *envelope, group, node string) error {
	return d.s.eachMember(func(key []byte) error {
		name := d.intern(key)
		if c := d.s.peek(); c != '{' {
			e.warn("%s on %s: not a metric (%s)", name, node, kindOf(c))
			return d.s.skipValue()
		}
		mp := metricParse{name: name, group: group, node: node}
		if err := d.metric(e, &mp); err != nil {
			return err
		}
		if mp.isMetric {
			d.commit(e, &mp)
		} else {
			e.warn("%s: not a metric (no data, type or help)", mp.where())
		}
		return nil
	})
}

// metricParse collects one metric object while it is read.
type metricParse struct {
	name, group, node string
	typ               MetricType
	help              string
	isMetric          bool   // it has data, type or help
	hasData           bool   // it has data
	dataProblem       string // why data was unusable
	nodeish           bool   // it has object members other than data: maybe a node
	members           int
	start             int // its first sample in decoder.samples
}

// where names the metric in a warning.
func (mp *metricParse) where() string {
	if mp.node == "" {
		return mp.name
	}
	return mp.name + " on " + mp.node
}

// metric reads one metric object {help, type, data:[...]}; its samples go to d.samples.
func (d *decoder) metric(e *envelope, mp *metricParse) error {
	mp.start = len(d.samples)
	return d.s.eachMember(func(key []byte) error {
		mp.members++
		c := d.s.peek()
		switch {
		case keyIs(key, "data"):
			mp.isMetric, mp.hasData = true, true
			if c != '[' {
				mp.dataProblem = "data is " + kindOf(c) + ", not an array"
				return d.s.skipValue()
			}
			return d.s.eachElement(func(i int) error { return d.sample(e, mp, i+1) })
		case keyIs(key, "type"):
			mp.isMetric = true
			if c != '"' {
				return d.s.skipValue()
			}
			raw, err := d.s.str()
			mp.typ = metricType(raw)
			return err
		case keyIs(key, "help"):
			mp.isMetric = true
			if c != '"' {
				return d.s.skipValue()
			}
			raw, err := d.s.str()
			mp.help = strings.TrimSpace(Sanitize(string(raw)))
			return err
		case c == '{':
			mp.nodeish = true
		}
		return d.s.skipValue()
	})
}

// metricType maps the declared type; anything unknown is Untyped.
func metricType(raw []byte) MetricType {
	raw = bytes.TrimSpace(raw)
	for _, t := range [...]MetricType{Gauge, Counter, Histogram, Summary} {
		if bytes.EqualFold(raw, []byte(t)) {
			return t
		}
	}
	return Untyped
}

// sample reads one {labels, value} and appends it to d.samples, or warns and drops it.
func (d *decoder) sample(e *envelope, mp *metricParse, n int) error {
	if c := d.s.peek(); c != '{' {
		e.warn("%s: sample %d: %s, not an object", mp.where(), n, kindOf(c))
		return d.s.skipValue()
	}
	first := len(d.labels)
	var (
		value    float64
		hasValue bool
		problem  string
	)
	err := d.s.eachMember(func(key []byte) error {
		switch {
		case keyIs(key, "labels"):
			switch c := d.s.peek(); c {
			case '{':
				return d.labelSet(&problem)
			case 'n':
				return d.s.skipValue()
			default:
				if problem == "" {
					problem = "labels are " + kindOf(c) + ", not an object"
				}
				return d.s.skipValue()
			}
		case keyIs(key, "value"):
			v, why, err := d.value()
			value, hasValue = v, true
			if why != "" && problem == "" {
				problem = why
			}
			return err
		}
		return d.s.skipValue()
	})
	if err != nil {
		return err
	}
	if !hasValue && problem == "" {
		problem = "no value"
	}
	if problem != "" {
		d.labels = d.labels[:first]
		e.warn("%s: sample %d: %s", mp.where(), n, problem)
		return nil
	}
	if mp.node != "" {
		d.labels = append(d.labels, Label{Name: "node", Value: mp.node})
	}
	d.labels = d.labels[:first+sortLabels(d.labels[first:])]
	var ls Labels
	if len(d.labels) > first {
		ls = d.labels[first:len(d.labels):len(d.labels)]
	}
	d.samples = append(d.samples, Sample{Labels: ls, Value: value})
	return nil
}

// labelSet reads a labels object into d.labels. A label that is null is left out; one
// that is an object or array spoils the sample.
func (d *decoder) labelSet(problem *string) error {
	return d.s.eachMember(func(key []byte) error {
		switch c := d.s.peek(); c {
		case '{', '[':
			if *problem == "" {
				*problem = `label "` + d.intern(key) + `" is ` + kindOf(c)
			}
			return d.s.skipValue()
		case 'n':
			return d.s.skipValue()
		}
		name := d.intern(key)
		value, _, err := d.scalar()
		d.labels = append(d.labels, Label{Name: name, Value: value})
		return err
	})
}

// sortLabels sorts ls by name in place, keeps the last of equal names, and returns how
// many remain.
func sortLabels(ls []Label) int {
	// Insertion sort: sets are a handful of labels, and it is stable, so equal names
	// stay in payload order and the last one wins below.
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
	n := 0
	for i := range ls {
		if n > 0 && ls[n-1].Name == ls[i].Name {
			ls[n-1] = ls[i]
			continue
		}
		ls[n] = ls[i]
		n++
	}
	return n
}

// value reads a sample's value. why is set (and the value unusable) when it is not a
// finite number; err only for broken JSON.
func (d *decoder) value() (v float64, why string, err error) {
	c := d.s.peek()
	switch c {
	case '"':
		raw, err := d.s.str()
		if err != nil {
			return 0, "", err
		}
		text := bytes.TrimSpace(raw)
		if !isNumber(text) {
			if isInfOrNaN(text) {
				return 0, `value "` + Truncate(string(raw), 24) + `" is not a finite number`, nil
			}
			return 0, `value "` + Truncate(string(raw), 24) + `" is not a number`, nil
		}
		return parseFloat(text)
	case 'n':
		return 0, "value is null", d.s.skipValue()
	case '{', '[', 't', 'f':
		return 0, "value is " + kindOf(c), d.s.skipValue()
	}
	if c != '-' && !isDigit(c) {
		return 0, "", d.s.skipValue() // not a value at all: the syntax error
	}
	raw, err := d.s.number()
	if err != nil {
		return 0, "", err
	}
	return parseFloat(raw)
}

// parseFloat converts a validated JSON number. Overflow is refused; an underflow to 0
// (or a denormal) is close enough.
func parseFloat(num []byte) (float64, string, error) {
	f, _ := strconv.ParseFloat(string(num), 64)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, "value " + Truncate(string(num), 24) + " is out of range", nil
	}
	return f, "", nil
}

func isInfOrNaN(b []byte) bool {
	b = bytes.TrimLeft(b, "+-")
	return bytes.EqualFold(b, []byte("nan")) || bytes.EqualFold(b, []byte("inf")) ||
		bytes.EqualFold(b, []byte("infinity"))
}

// scalar reads a string, number, boolean or null as sanitised text ("" for null), and
// skips an object or array (giving ""). kind is the value's first byte.
func (d *decoder) scalar() (text string, kind byte, err error) {
	kind = d.s.peek()
	switch kind {
	case '"':
		raw, err := d.s.str()
		return d.intern(raw), kind, err
	case 't', 'f', 'n', '{', '[':
		start := d.s.pos
		err := d.s.skipValue()
		if kind == 't' || kind == 'f' {
			return d.intern(d.s.buf[start:d.s.pos]), kind, err
		}
		return "", kind, err
	}
	if kind != '-' && !isDigit(kind) {
		return "", kind, d.s.skipValue() // not a value at all: the syntax error
	}
	raw, err := d.s.number()
	return d.intern(raw), kind, err
}

// intern returns the sanitised string for raw, sharing one string between equal texts
// (label names and values repeat across samples).
func (d *decoder) intern(raw []byte) string {
	if s, ok := d.strs[string(raw)]; ok {
		return s
	}
	if d.strs == nil {
		d.strs = make(map[string]string, 32)
	}
	k := string(raw)
	s := Sanitize(k)
	d.strs[k] = s
	return s
}

// commit files a finished metric under its name, merging it with the same metric of
// another node, or under "group:name" when another group has that name.
func (d *decoder) commit(e *envelope, mp *metricParse) {
	switch {
	case mp.name == "":
		e.warn("metric with an empty name in group %s: dropped", mp.group)
		d.samples = d.samples[:mp.start]
		return
	case !mp.hasData:
		e.warn("%s: no data", mp.where())
		return
	case mp.dataProblem != "":
		e.warn("%s: %s", mp.where(), mp.dataProblem)
		d.samples = d.samples[:mp.start]
		return
	}
	if mp.typ == "" {
		mp.typ = Untyped
	}
	var samples []Sample
	if len(d.samples) > mp.start {
		samples = d.samples[mp.start:len(d.samples):len(d.samples)]
	}
	if mp.typ == Counter {
		for _, s := range samples {
			if s.Value < 0 {
				e.warn("%s: negative counter value %s", SeriesKey(mp.name, s.Labels),
					strconv.FormatFloat(s.Value, 'g', -1, 64))
			}
		}
	}
	key := mp.name
	m := e.metrics[key]
	if m != nil && m.Group != mp.group {
		key = mp.group + ":" + mp.name
		m = e.metrics[key]
		if m == nil {
			e.warn("%s: also in group %s; kept as %s", mp.name, e.metrics[mp.name].Group, key)
		}
	}
	if m == nil {
		m = d.newMetric()
		*m = Metric{Name: key, Group: mp.group, Type: mp.typ, Help: mp.help, Samples: samples}
		if e.metrics == nil {
			e.metrics = make(map[string]*Metric, 16)
			e.order = make([]*Metric, 0, 16)
		}
		e.metrics[key] = m
		e.order = append(e.order, m)
		return
	}
	m.Samples = append(m.Samples, samples...)
	if m.Help == "" {
		m.Help = mp.help
	}
	if m.Type == Untyped {
		m.Type = mp.typ
	}
}

// newMetric hands out Metrics from a slab, a few allocations for many metrics.
func (d *decoder) newMetric() *Metric {
	if len(d.slab) == cap(d.slab) {
		d.slab = make([]Metric, 0, 16)
	}
	d.slab = d.slab[:len(d.slab)+1]
	return &d.slab[len(d.slab)-1]
}

// dedupe drops all but the last sample of each label set, with a warning.
func (e *envelope) dedupe(m *Metric) {
	n := len(m.Samples)
	if n < 2 {
		return
	}
	later := func(i int) bool { // a later sample has the same labels
		for j := i + 1; j < n; j++ {
			if labelsEqual(m.Samples[i].Labels, m.Samples[j].Labels) {
				return true
			}
		}
		return false
	}
	if n > 32 { // pairwise is quadratic: find candidates by hash first
		last := make(map[uint64]int, n)
		for i, s := range m.Samples {
			last[labelsHash(s.Labels)] = i
		}
		later = func(i int) bool {
			j := last[labelsHash(m.Samples[i].Labels)]
			return j != i && labelsEqual(m.Samples[i].Labels, m.Samples[j].Labels)
		}
	}
	var drop []int
	for i := range m.Samples {
		if later(i) {
			drop = append(drop, i)
		}
	}
	if len(drop) == 0 {
		return
	}
	for _, i := range drop {
		e.warn("%s: duplicate series {%s}, kept the last", m.Name, m.Samples[i].Labels)
	}
	kept := make([]Sample, 0, n-len(drop))
	for i, s := range m.Samples {
		if len(drop) > 0 && drop[0] == i {
			drop = drop[1:]
			continue
		}
		kept = append(kept, s)
	}
	m.Samples = kept
}

func labelsEqual(a, b Labels) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// labelsHash is FNV-1a over the label set, with separators so that
// {a="bc"} and {ab="c"} differ.
func labelsHash(ls Labels) uint64 {
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	for _, l := range ls {
		add(l.Name)
		add(l.Value)
	}
	return h
}

// keyIs compares an object key case-insensitively.
func keyIs(key []byte, name string) bool {
	return len(key) == len(name) && bytes.EqualFold(key, []byte(name))
}

// kindOf names the JSON value that starts with c, for messages.
func kindOf(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}

func skipBOMAndSpace(b []byte) int {
	i := 0
	if bytes.HasPrefix(b, []byte("\uFEFF")) {
		i = 3
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// describeMarkup says what a body starting with '<' is, with its title if it has one.
func describeMarkup(b []byte) string {
	head := b[:min(len(b), 64<<10)]
	lower := asciiLower(head)
	what := "HTML page"
	if hasPrefixFold(head, "<?xml") && !bytes.Contains(lower, []byte("<html")) {
		what = "XML document"
	}
	open := bytes.Index(lower, []byte("<title"))
	if open < 0 {
		return what
	}
	gt := bytes.IndexByte(lower[open:], '>')
	if gt < 0 {
		return what
	}
	text := head[open+gt+1:]
	if end := bytes.Index(lower[open+gt+1:], []byte("</title")); end >= 0 {
		text = text[:end]
	}
	title := oneLine(html.UnescapeString(string(text[:min(len(text), 1024)])))
	if title == "" {
		return what
	}
	return what + ` "` + Truncate(title, 60) + `"`
}

// describeText quotes the start of a body that is not JSON.
func describeText(b []byte) string {
	b = b[:min(len(b), 512)]
	return `plain text "` + Truncate(oneLine(string(b)), 40) + `"`
}

// oneLine sanitises s and collapses its whitespace.
func oneLine(s string) string {
	return strings.Join(strings.Fields(Sanitize(s)), " ")
}

// asciiLower lower-cases ASCII letters only, so that offsets in the copy match b.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// describeSyntax turns a scanner error into DecodeError.What.
func describeSyntax(err error, size int) string {
	se, ok := err.(*syntaxError)
	switch {
	case !ok:
		return Sanitize(err.Error())
	case se.eof:
		return fmt.Sprintf("truncated JSON at byte %d", size)
	}
	return Sanitize(fmt.Sprintf("invalid JSON at byte %d: %s", se.off, se.msg))
}
