// Package history keeps a bounded record of every series of every watched number and
// answers the questions the console asks of it: latest value, deltas, rates, resets, gaps.
//
// Layout: a Number holds one ring of poll times (unix nanoseconds) shared by all of its
// series, and one ring of float64 values per series, allocated at full capacity when the
// series first appears. A gap (failed poll, or a series absent from a poll) is stored as
// NaN, never as zero, so a chart can break the line instead of plunging to the axis.
// At steady state (ring full, same series set) Record allocates nothing: series keys are
// built in a reusable buffer and looked up without converting them to strings.
//
// Counters: a value lower than the one before is a reset. When the new value is below a
// tenth of the highest read since the last restart, the process restarted and the counter
// began again from zero, so the increase across it is the new value itself (Prometheus'
// assumption). A smaller drop is no restart (another multiconnect node or replica
// answered): the increase across it is unknown, a gap in rates, never the whole new
// value, and the climb back is counted from the highest value read, not from the lagging
// one. An increase is never negative.
//
// Poll times are expected to increase from one poll to the next; a pair of polls whose
// times do not is given no rate.
//
// Nothing here is safe for concurrent use: the engine (package monitor) guards each
// number's history with that number's lock.
package history

import (
	"math"
	"sort"
	"time"
	"unique"

	"github.com/wamon/wamon/source"
)

// Point is one value at one poll time. V is NaN for a gap (a failed poll, or a series
// absent from that poll).
type Point struct {
	T time.Time
	V float64
}

// Gap reports whether the point is a gap.
func (p Point) Gap() bool { return math.IsNaN(p.V) }

// Number is the history of one number: one ring of poll times shared by all its series,
// and one ring of values per series (source.SeriesKey). Fixed capacity.
//
// A Number is not safe for concurrent use.
type Number struct {
	times []int64 // ring of poll times, unix nanoseconds; len == capacity
	polls int     // polls recorded since creation; the newest is in slot (polls-1)%cap
	held  int     // polls held, min(polls, capacity)
	ok    bool    // whether the newest poll succeeded

	// series is kept sorted by key so that Keys needs no sort and no cache; index maps a
	// key to its position and is rewritten on the (rare) insertions and removals.
	series []series
	index  map[string]int
	keybuf []byte // reused to build keys without allocating
}

type series struct {
	key  string
	vals []float64 // ring parallel to Number.times
	// seen is the poll number (1-based) of the newest non-gap value; once the ring has
	// moved a full capacity past it, the series holds only gaps and is dropped, so that
	// label churn cannot grow a Number without bound.
	seen int
}

// NewNumber makes an empty history holding at most capacity polls. A capacity below 2
// is raised to 2, the least that can give a rate.
func NewNumber(capacity int) *Number {
	if capacity < 2 {
		capacity = 2
	}
	return &Number{
		times: make([]int64, capacity),
		index: make(map[string]int),
	}
}

// advance claims the ring slot for a new poll at t and returns it. Every series gets a
// gap there; Record then overwrites the series it has values for.
func (n *Number) advance(t time.Time, ok bool) int {
	slot := n.polls % len(n.times)
	n.polls++
	if n.held < len(n.times) {
		n.held++
	}
	n.times[slot] = t.UnixNano()
	n.ok = ok
	nan := math.NaN()
	for i := range n.series {
		n.series[i].vals[slot] = nan
	}
	return slot
}

// Drops tells what counters went down with one poll.
type Drops struct {
	Restarts int    // series that fell below a tenth of their previous value
	Others   int    // series that fell less (read from another node or replica)
	First    string // the key of the first series that went down, "" for none
}

// Record appends one successful poll: every series of snap gets its value at t; series
// known before but absent now get a gap; new series start here (gaps before). A nil
// snap is recorded as a gap. A sample whose key repeats within snap overwrites the
// earlier one. It reports the counters (source.Metric.IsCounter) that went down since
// their previous value, across gaps.
func (n *Number) Record(t time.Time, snap *source.Snapshot) (drops Drops) {
	if snap == nil {
		n.RecordGap(t)
		return drops
	}
	slot := n.advance(t, true)
	for name, m := range snap.Metrics {
		if m == nil {
			continue
		}
		counter := m.IsCounter()
		for i := range m.Samples {
			s := &m.Samples[i]
			if math.IsNaN(s.Value) {
				continue // already a gap; a NaN sample must not count as seen
			}
			n.keybuf = appendKey(n.keybuf[:0], name, s.Labels)
			idx, found := n.index[string(n.keybuf)] // no allocation for this form
			if !found {
				// Interned: the numbers of one account mostly share their series, and
				// with hundreds of numbers the key bytes would otherwise cost about as
				// much as a tenth of every ring.
				idx = n.insert(unique.Make(string(n.keybuf)).Value())
			}
			sr := &n.series[idx]
			if counter && sr.seen > 0 {
				// seen is still the newest value before this poll, and a series that
				// still exists still holds it.
				if prev := sr.vals[n.slot(sr.seen)]; s.Value < prev {
					if s.Value < prev*RestartBelow {
						drops.Restarts++
					} else {
						drops.Others++
					}
					if drops.First == "" {
						drops.First = sr.key
					}
				}
			}
			sr.vals[slot] = s.Value
			sr.seen = n.polls
		}
	}
	n.prune()
	return drops
}

// RecordGap appends a failed poll at t: a gap for every series.
func (n *Number) RecordGap(t time.Time) {
	n.advance(t, false)
	n.prune()
}

// appendKey appends source.SeriesKey(name, ls) to b. It must stay byte-identical to
// SeriesKey, since callers query with keys built by it (tests check both agree).
func appendKey(b []byte, name string, ls source.Labels) []byte {
	b = append(b, name...)
	if len(ls) == 0 {
		return b
	}
	b = append(b, '{')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.Name...)
		b = append(b, '=', '"')
		b = append(b, l.Value...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// insert adds a series for key in sorted position, all gaps, and returns its index.
func (n *Number) insert(key string) int {
	pos := sort.Search(len(n.series), func(i int) bool { return n.series[i].key >= key })
	vals := make([]float64, len(n.times))
	nan := math.NaN()
	for i := range vals {
		vals[i] = nan
	}
	if len(n.series) == cap(n.series) {
		// Grow by an eighth, not append's doubling: a Number's series set is mostly
		// fixed after the first poll, and slack here is kept for the life of the number.
		grown := make([]series, len(n.series), len(n.series)+len(n.series)/8+1)
		copy(grown, n.series)
		n.series = grown
	}
	n.series = n.series[:len(n.series)+1]
	copy(n.series[pos+1:], n.series[pos:])
	n.series[pos] = series{key: key, vals: vals}
	for i := pos; i < len(n.series); i++ {
		n.index[n.series[i].key] = i
	}
	return pos
}

// prune drops the series whose every held value is a gap.
func (n *Number) prune() {
	stale := n.polls - len(n.times) // a series last seen at or before this poll is all gaps
	if stale <= 0 {
		return
	}
	kept := n.series[:0]
	dropped := false
	for _, s := range n.series {
		if s.seen <= stale {
			delete(n.index, s.key)
			dropped = true
			continue
		}
		kept = append(kept, s)
	}
	if !dropped {
		return
	}
	clear(n.series[len(kept):]) // let the dropped rings be collected
	n.series = kept
	for i := range n.series {
		n.index[n.series[i].key] = i
	}
}

// Len is the number of polls held (<= capacity).
func (n *Number) Len() int { return n.held }

// Capacity is the most polls the history holds.
func (n *Number) Capacity() int { return len(n.times) }

// LastPollOK reports whether the newest poll was recorded by Record (true) or RecordGap
// (false). It is false before any poll.
func (n *Number) LastPollOK() bool { return n.ok }

// Times returns the times of the oldest and newest polls held, or zero times when none
// is. Times come back in the local zone and without a monotonic reading.
func (n *Number) Times() (oldest, newest time.Time) {
	if n.held == 0 {
		return time.Time{}, time.Time{}
	}
	return time.Unix(0, n.times[n.slot(n.polls-n.held+1)]), time.Unix(0, n.times[n.slot(n.polls)])
}

// slot is the ring position of poll number p (1-based).
func (n *Number) slot(p int) int { return (p - 1) % len(n.times) }

// Keys lists every series that still has a value within the polls held, sorted. A
// series that disappears stays listed until its last value rolls out of the ring. The
// slice is the caller's.
func (n *Number) Keys() []string {
	keys := make([]string, len(n.series))
	for i := range n.series {
		keys[i] = n.series[i].key
	}
	return keys
}

// Key finds the series of metric name with labels ls, the one source.SeriesKey(name, ls)
// names, and returns its key as the history holds it: a reader that asks about many
// series at every poll builds no string for them. It is false for a series not held.
func (n *Number) Key(name string, ls source.Labels) (string, bool) {
	var buf [256]byte
	i, ok := n.index[string(appendKey(buf[:0], name, ls))]
	if !ok {
		return "", false
	}
	return n.series[i].key, true
}

// Has reports whether key is one of Keys.
func (n *Number) Has(key string) bool {
	_, ok := n.index[key]
	return ok
}

func (n *Number) find(key string) *series {
	i, ok := n.index[key]
	if !ok {
		return nil
	}
	return &n.series[i]
}

// Latest returns the newest non-gap value of a series and its time.
func (n *Number) Latest(key string) (Point, bool) {
	s := n.find(key)
	if s == nil {
		return Point{}, false
	}
	// A known series always has a held value (prune removes the others).
	i := n.slot(s.seen)
	return Point{T: time.Unix(0, n.times[i]), V: s.vals[i]}, true
}

// first returns the poll number of the oldest poll held with time >= since. Poll times
// increase, so the scan runs back from the newest and stops at the first older one;
// with a zero since it returns the oldest held at once.
func (n *Number) first(since time.Time) int {
	oldest := n.polls - n.held + 1
	if since.IsZero() || n.held == 0 {
		return oldest
	}
	lim := since.UnixNano()
	p := n.polls
	for p >= oldest && n.times[n.slot(p)] >= lim {
		p--
	}
	return p + 1
}

// Points appends to dst the points of a series with T >= since, oldest first, gaps as
// NaN. An unknown key appends nothing.
func (n *Number) Points(key string, since time.Time, dst []Point) []Point {
	s := n.find(key)
	if s == nil {
		return dst
	}
	for p := n.first(since); p <= n.polls; p++ {
		i := n.slot(p)
		dst = append(dst, Point{T: time.Unix(0, n.times[i]), V: s.vals[i]})
	}
	return dst
}

// Values appends to dst the values of a series with poll time >= since, oldest first,
// gaps as NaN: Points without the times, for sparklines.
func (n *Number) Values(key string, since time.Time, dst []float64) []float64 {
	s := n.find(key)
	if s == nil {
		return dst
	}
	for p := n.first(since); p <= n.polls; p++ {
		dst = append(dst, s.vals[n.slot(p)])
	}
	return dst
}

// RestartBelow: a counter that falls below this share of its previous value restarted
// from zero; one that falls less was read from somewhere else.
const RestartBelow = 0.1

// climb follows a counter through its readings, oldest first, and tells each reading's
// increase. The increase is measured against the highest value read since the counter
// last restarted, and over the time since that reading, so that a reading from a lagging
// node or replica is no increase (unknown) and the climb back to where the counter was
// is counted once, over the time it took. A value below a tenth of that mark is a
// restart: the increase is the value itself, over the interval from the reading before.
// A negative value is no reading at all.
type climb struct {
	mark  float64 // the highest value since the last restart; NaN before any
	markT int64
}

// start sets the mark for a walk that begins at poll from: the value there, or the one
// before it when from is a lagging reading.
func (n *Number) start(s *series, from int) climb {
	c := climb{mark: math.NaN()}
	if from > n.polls-n.held+1 {
		j := n.slot(from - 1)
		if a, b := s.vals[j], s.vals[n.slot(from)]; b < a && b >= a*RestartBelow {
			c.mark, c.markT = a, n.times[j]
		}
	}
	return c
}

// next takes the reading v at t (not a gap) and the previous poll's time, and returns
// the increase and the nanoseconds it took; dt <= 0 when the increase is unknown. It is
// small enough to be inlined: the rate loops are the history's hot path.
func (c *climb) next(v float64, t, prevT int64) (inc float64, dt int64) {
	switch {
	case v < 0:
		return 0, 0
	case c.mark != c.mark: // NaN: the first reading
		c.mark, c.markT = v, t
		return 0, 0
	case v < c.mark*RestartBelow:
		inc, dt = v, t-prevT
	case v >= c.mark:
		inc, dt = v-c.mark, t-c.markT
	default:
		return 0, 0
	}
	c.mark, c.markT = v, t
	return inc, dt
}

// Rates appends to dst the per-second rate of a counter at every poll with T >= since,
// oldest first, over the interval from the poll before: the same times as Points, so the
// two line up. A rate is NaN where either side is a gap, there is no poll before (the
// oldest held), or the counter was read lower than before without restarting (walk).
// Across a restart the increase is the new value itself, so a rate is never negative.
func (n *Number) Rates(key string, since time.Time, dst []Point) []Point {
	s := n.find(key)
	if s == nil {
		return dst
	}
	oldest := n.polls - n.held + 1
	first := n.first(since)
	from := max(first-1, oldest)
	c := n.start(s, from)
	for p := from; p <= n.polls; p++ {
		i := n.slot(p)
		v, t := s.vals[i], n.times[i]
		r := math.NaN()
		if v == v {
			inc, dt := c.next(v, t, n.times[n.slot(max(p-1, oldest))])
			if p > oldest && dt > 0 {
				// A pair needs both readings: across a gap nothing is counted.
				if prev := s.vals[n.slot(p-1)]; prev == prev && prev >= 0 {
					r = inc / (float64(dt) / 1e9)
				}
			}
		}
		if p >= first {
			dst = append(dst, Point{T: time.Unix(0, t), V: r})
		}
	}
	return dst
}

// window sums, over the pairs of consecutive polls that both have a value and both lie
// within window of the series' latest point, the counter's known increases and the
// seconds between them. A gap splits pairs and the time around it is not counted, nor is
// a pair whose increase is unknown. A window <= 0 covers everything held.
func (n *Number) window(key string, window time.Duration, back int) (inc, secs float64, pairs int) {
	s := n.find(key)
	if s == nil {
		return 0, 0, 0
	}
	oldest := n.polls - n.held + 1
	end := s.seen
	if back > 0 {
		// The window as it stood back polls ago: it ends at the newest value at or
		// before that poll.
		end = min(end, n.polls-back)
		for end >= oldest && math.IsNaN(s.vals[n.slot(end)]) {
			end--
		}
		if end < oldest {
			return 0, 0, 0
		}
	}
	from := end
	if window > 0 {
		lim := n.times[n.slot(end)] - int64(window)
		for from > oldest && n.times[n.slot(from-1)] >= lim {
			from--
		}
	} else {
		from = oldest
	}
	var dtSum int64
	c := n.start(s, from)
	size := len(n.times)
	i := n.slot(from)
	j := i - 1 // the slot of the poll before, walked along without a division each step
	if j < 0 {
		j += size
	}
	for p := from; p <= end; p++ {
		if v := s.vals[i]; v == v {
			d, dt := c.next(v, n.times[i], n.times[j])
			// A pair needs both readings: across a gap nothing is counted.
			if prev := s.vals[j]; dt > 0 && p > from && p > oldest && prev == prev && prev >= 0 {
				inc += d
				dtSum += dt
				pairs++
			}
		}
		j = i
		if i++; i == size {
			i = 0
		}
	}
	return inc, float64(dtSum) / 1e9, pairs
}

// Rate is the counter's mean per-second rate over the window ending at its latest point,
// summing increases only (a reset restarts from the new value, never negative): the
// increase between consecutive non-gap polls divided by the time those pairs span, so a
// failed poll neither adds to nor dilutes the rate. A window <= 0 covers everything held.
// It is false without at least one such pair in the window.
func (n *Number) Rate(key string, window time.Duration) (float64, bool) {
	return n.RateBefore(key, window, 0)
}

// RateBefore is Rate as it stood back polls ago: over the window ending at the newest
// value at or before that poll. RateBefore(key, w, 1) against Rate(key, w) tells whether
// a rate rose or fell with the newest poll.
func (n *Number) RateBefore(key string, window time.Duration, back int) (float64, bool) {
	inc, secs, pairs := n.window(key, window, back)
	if pairs == 0 || secs <= 0 {
		return 0, false
	}
	return inc / secs, true
}

// Delta is the counter's increase over the window (resets and gaps handled as in Rate).
// It is false without at least one pair of consecutive non-gap polls in the window.
func (n *Number) Delta(key string, window time.Duration) (float64, bool) {
	inc, _, pairs := n.window(key, window, 0)
	return inc, pairs > 0
}

// Increase is Delta and Rate from one walk through the window: the counter's increase
// over it and its mean per-second rate. ok is false when Delta's and Rate's are (they
// agree: a pair counts only when time passed across it).
func (n *Number) Increase(key string, window time.Duration) (delta, rate float64, ok bool) {
	inc, secs, pairs := n.window(key, window, 0)
	if pairs == 0 || secs <= 0 {
		return inc, 0, false
	}
	return inc, inc / secs, true
}

// Resets counts the times the series went down between consecutive non-gap points, within
// everything held: restarts and smaller drops alike. Unlike Rate this looks across gaps:
// a counter that is lower after a failed poll than before it was reset all the same (a
// restart often is the failure).
func (n *Number) Resets(key string) int { return n.ResetsSince(key, time.Time{}) }

// ResetsSince is Resets counting only the drops onto a point at or after since. Poll
// times increase, so it walks only the polls since then, and the newest value before
// them, not everything held.
func (n *Number) ResetsSince(key string, since time.Time) int {
	s := n.find(key)
	if s == nil {
		return 0
	}
	from := n.first(since)
	prev := math.NaN() // the newest value before from: a drop onto from counts
	for p := from - 1; p > n.polls-n.held; p-- {
		if v := s.vals[n.slot(p)]; !math.IsNaN(v) {
			prev = v
			break
		}
	}
	count := 0
	for p := from; p <= n.polls; p++ {
		v := s.vals[n.slot(p)]
		if math.IsNaN(v) {
			continue
		}
		if v < prev {
			count++
		}
		prev = v
	}
	return count
}

// MemBytes approximates the heap bytes the history holds: its rings, keys and index,
// for the console's "memory" line and for sizing capacity. Keys are counted in full
// although numbers with the same series share them, so it errs high.
func (n *Number) MemBytes() int {
	const (
		perSeries = 48 + 32 // series struct, plus a map slot with its share of control bytes
		perNumber = 160     // Number struct, map header, key buffer
	)
	b := perNumber + 8*len(n.times) + cap(n.keybuf)
	for i := range n.series {
		b += perSeries + len(n.series[i].key) + 8*len(n.series[i].vals)
	}
	return b
}
