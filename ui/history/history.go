// Package history keeps a bounded record of every series of every watched number and
// answers the questions the console asks of it: latest value, deltas, rates, resets, gaps.
// STUB: being implemented; the exported API below is the contract.
package history

import (
	"math"
	"time"

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
type Number struct{}

// NewNumber makes an empty history holding at most capacity polls.
func NewNumber(capacity int) *Number { return &Number{} }

// Record appends one successful poll: every series of snap gets its value at t; series
// known before but absent now get a gap; new series start here (gaps before).
func (n *Number) Record(t time.Time, snap *source.Snapshot) {}

// RecordGap appends a failed poll at t: a gap for every series.
func (n *Number) RecordGap(t time.Time) {}

// Len is the number of polls held (<= capacity).
func (n *Number) Len() int { return 0 }

// Keys lists every series ever seen (and still within capacity or kept), sorted.
func (n *Number) Keys() []string { return nil }

// Latest returns the newest non-gap value of a series and its time.
func (n *Number) Latest(key string) (Point, bool) { return Point{}, false }

// Points appends to dst the points of a series with T >= since, oldest first, gaps as NaN.
func (n *Number) Points(key string, since time.Time, dst []Point) []Point { return dst }

// Rates appends to dst the per-second rate of a counter between consecutive polls with
// T >= since: NaN where either side is a gap or where the counter went down (a reset).
func (n *Number) Rates(key string, since time.Time, dst []Point) []Point { return dst }

// Rate is the counter's mean per-second rate over the window ending at its latest point,
// summing increases only (a reset restarts from the new value, never negative).
func (n *Number) Rate(key string, window time.Duration) (float64, bool) { return 0, false }

// Delta is the counter's increase over the window (resets handled as in Rate).
func (n *Number) Delta(key string, window time.Duration) (float64, bool) { return 0, false }

// Resets counts the times the series went down between consecutive non-gap points, within
// everything held.
func (n *Number) Resets(key string) int { return 0 }
