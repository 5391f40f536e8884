package ui

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
	"github.com/NimbleMarkets/ntcharts/v2/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/monitor/history"
)

// chartLine is one line of a chart; NaN values are gaps and break the line.
type chartLine struct {
	points []history.Point
	style  lipgloss.Style
}

// chartSpec is everything a chart is drawn from. The chart is rebuilt from it on every
// change: ntcharts' time-series model keeps every pushed point and only ever widens its
// ranges, which is wrong for a sliding window, so wamon keeps the data (in history) and
// uses ntcharts for the axes, labels and the braille canvas.
type chartSpec struct {
	width, height int
	from, to      time.Time
	lines         []chartLine
	thresholds    []float64 // horizontal lines, drawn when inside the Y range
	loc           *time.Location
	theme         *Theme
	cache         *chartCache // optional: the pane's Y range of an earlier frame
}

// chartCache keeps a pane's Y range between frames, so that it changes only when it must.
type chartCache struct {
	w, h   int
	lo, hi float64 // the last Y range
	yStep  int
}

// Chart models are reused between frames, of any pane and any console of the same size
// (an SSH server draws many): a model's canvas holds a lipgloss style per cell, 560 bytes
// each, about 3 MB for a full-width chart, which neither every frame nor every viewer
// should allocate again. A console takes one for a frame and gives it back.
var chartModels sync.Map // [2]int{w, h} -> *sync.Pool of *timeserieslinechart.Model

func takeChart(w, h int) *timeserieslinechart.Model {
	pool, _ := chartModels.LoadOrStore([2]int{w, h}, &sync.Pool{})
	if c, ok := pool.(*sync.Pool).Get().(*timeserieslinechart.Model); ok {
		c.Canvas.Fill(canvas.Cell{})
		return c
	}
	m := timeserieslinechart.New(w, h)
	// Ranges are set, never guessed from pushed data.
	m.AutoMinX, m.AutoMaxX, m.AutoMinY, m.AutoMaxY = false, false, false, false
	return &m
}

func giveChart(w, h int, c *timeserieslinechart.Model) {
	if pool, ok := chartModels.Load([2]int{w, h}); ok {
		pool.(*sync.Pool).Put(c)
	}
}

// renderChart draws the chart, or a one-line note when there is nothing to draw.
func renderChart(s chartSpec) string {
	if s.width < 12 || s.height < 3 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range s.lines {
		for _, p := range l.points {
			if !p.Gap() && !math.IsInf(p.V, 0) && !p.T.Before(s.from) {
				lo, hi = min(lo, p.V), max(hi, p.V)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return lipgloss.Place(s.width, s.height, lipgloss.Center, lipgloss.Center, s.theme.Dim.Render("no data in this window yet"))
	}
	// The Y axis starts at zero for counts (a queue of 900 next to one of 1000 must not
	// look empty) and leaves headroom above the highest value.
	lo = min(lo, 0)
	hi += max((hi-lo)*0.1, math.Abs(hi)*0.1, 1e-9)
	if hi <= lo {
		hi = lo + 1
	}
	for _, t := range s.thresholds {
		if t > hi && t < hi*1.25 {
			hi = t * 1.05 // a threshold just above the data is worth showing
		}
	}
	minX, maxX := float64(s.from.Unix()), float64(max(s.to.Unix(), s.from.Unix()+1))

	loc := s.loc
	c := takeChart(s.width, s.height)
	defer giveChart(s.width, s.height, c)
	// The axes in this console's own colours (the model may have drawn another's).
	c.AxisStyle, c.LabelStyle = s.theme.Dim, s.theme.Dim
	if s.cache != nil && (s.cache.w != s.width || s.cache.h != s.height) {
		*s.cache = chartCache{w: s.width, h: s.height}
	}
	c.SetYStep(2)
	c.YLabelFormatter = func(_ int, v float64) string { return compact(v) }
	c.SetTimeRange(s.from, time.Unix(int64(maxX), 0))
	c.SetViewTimeRange(s.from, time.Unix(int64(maxX), 0))
	c.SetYRange(lo, hi)
	c.SetViewYRange(lo, hi)
	c.UpdateGraphSizes()
	// Round Y labels: ntcharts labels every yStep rows with lo + (hi-lo)*row/height, so
	// the top is stretched until yStep rows are a round step (1, 2 or 5 x 10^k). Of the
	// label spacings 2 to 6 rows, the one that stretches least wins.
	// The Y range only shrinks when the data falls below 40% of it, and grows only when
	// the data leaves it: a rescale redraws every line of the chart on the terminal.
	top := hi
	if k := s.cache; k != nil && k.yStep > 0 && k.lo == lo && top <= k.hi && top >= 0.4*k.hi {
		hi = k.hi
		c.SetYStep(k.yStep)
		c.SetYRange(lo, hi)
		c.SetViewYRange(lo, hi)
		c.UpdateGraphSizes()
	} else if gh := float64(c.GraphHeight()); gh >= 2 {
		best, bestStep := math.Inf(1), 2
		for ys := 2; ys <= 6; ys++ {
			top := lo + niceStep((hi-lo)*float64(ys)/gh)*gh/float64(ys)
			if top < best*0.999 {
				best, bestStep = top, ys
			}
		}
		hi = best
		c.SetYStep(bestStep)
		c.SetYRange(lo, hi)
		c.SetViewYRange(lo, hi)
		c.UpdateGraphSizes()
		if s.cache != nil {
			s.cache.lo, s.cache.hi, s.cache.yStep = lo, hi, bestStep
		}
	}
	// Time labels sit on round times (every 10 s ... 6 h, as the width allows), at the
	// column that holds that time. ntcharts offers every column (step 1) and places a
	// label wherever the formatter returns one.
	colSecs := (maxX - minX) / float64(max(1, c.GraphWidth()))
	tick, timeFmt := timeTick(colSecs)
	tickSecs := tick.Seconds()
	c.SetXStep(1)
	c.XLabelFormatter = func(_ int, v float64) string {
		b := math.Ceil(v/tickSecs) * tickSecs
		if b >= v+colSecs {
			return ""
		}
		return time.Unix(int64(b), 0).In(loc).Format(timeFmt)
	}
	c.UpdateGraphSizes()
	c.DrawXYAxisAndLabel()

	gw, gh := c.GraphWidth(), c.GraphHeight()
	if gw < 2 || gh < 1 {
		return ""
	}
	origin := canvas.Point{X: c.Origin().X + 1, Y: 0}
	if s.theme.ASCII {
		for _, t := range s.thresholds {
			if t > lo && t < hi {
				c.DrawRuneLineWithStyle(canvas.Float64Point{X: minX, Y: t}, canvas.Float64Point{X: maxX, Y: t}, '-', s.theme.Threshold)
			}
		}
		for _, l := range s.lines {
			eachSegment(l.points, s.from, func(a, b history.Point) {
				c.DrawRuneLineWithStyle(canvas.Float64Point{X: float64(a.T.Unix()), Y: a.V},
					canvas.Float64Point{X: float64(b.T.Unix()), Y: b.V}, '*', l.style)
			})
		}
		return asciiAxes.Replace(canvasString(&c.Canvas))
	}
	for _, t := range s.thresholds {
		if t > lo && t < hi {
			g := graph.NewBrailleGrid(gw, gh, minX, maxX, lo, hi)
			for _, p := range graph.GetLinePoints(g.GridPoint(canvas.Float64Point{X: minX, Y: t}), g.GridPoint(canvas.Float64Point{X: maxX, Y: t})) {
				// A dotted line: every other dot, so the threshold never reads as data.
				if p.X%4 == 0 {
					g.Set(p)
				}
			}
			graph.DrawBraillePatterns(&c.Canvas, origin, g.BraillePatterns(), s.theme.Threshold)
		}
	}
	for _, l := range s.lines {
		g := graph.NewBrailleGrid(gw, gh, minX, maxX, lo, hi)
		eachSegment(l.points, s.from, func(a, b history.Point) {
			p1 := g.GridPoint(canvas.Float64Point{X: float64(a.T.Unix()), Y: a.V})
			p2 := g.GridPoint(canvas.Float64Point{X: float64(b.T.Unix()), Y: b.V})
			for _, p := range graph.GetLinePoints(p1, p2) {
				g.Set(p)
			}
		})
		graph.DrawBraillePatterns(&c.Canvas, origin, g.BraillePatterns(), l.style)
	}
	return canvasString(&c.Canvas)
}

// canvasString renders a canvas with one Render call per run of same-coloured cells.
// ntcharts' own View renders every cell on its own, which costs a millisecond per few
// thousand cells; a chart has a handful of colours, so runs are long.
func canvasString(cv *canvas.Model) string {
	w, h := cv.Width(), cv.Height()
	var b strings.Builder
	b.Grow(w * h * 3)
	// The escape sequences around a run of each colour, rendered once per frame.
	type wrap struct{ pre, post string }
	wraps := map[color.Color]wrap{}
	var run []rune
	var runColor color.Color = lipgloss.NoColor{}
	var runStyle lipgloss.Style
	flush := func() {
		if len(run) == 0 {
			return
		}
		if _, plain := runColor.(lipgloss.NoColor); plain {
			b.WriteString(string(run))
		} else {
			wr, ok := wraps[runColor]
			if !ok {
				const mark = "\x00"
				r := runStyle.Render(mark)
				i := strings.Index(r, mark)
				wr = wrap{pre: r[:max(i, 0)], post: r[max(i, 0)+len(mark):]}
				wraps[runColor] = wr
			}
			b.WriteString(wr.pre)
			b.WriteString(string(run))
			b.WriteString(wr.post)
		}
		run = run[:0]
	}
	for y := range h {
		if y > 0 {
			flush()
			b.WriteByte('\n')
		}
		for x := range w {
			cell := cv.Cell(canvas.Point{X: x, Y: y})
			r := cell.Rune
			var fg color.Color = lipgloss.NoColor{}
			if r == 0 {
				r = ' '
			} else {
				fg = cell.Style.GetForeground() // NoColor{} when the cell has none
			}
			if fg != runColor {
				flush()
				runStyle, runColor = cell.Style, fg
			}
			run = append(run, r)
		}
	}
	flush()
	return b.String()
}

// asciiAxes swaps ntcharts' box-drawing axes for ASCII in --ascii mode.
var asciiAxes = strings.NewReplacer("│", "|", "─", "-", "└", "+", "┼", "+", "├", "+", "┤", "+", "┬", "+", "┴", "+")

// eachSegment calls f for every pair of neighbouring non-gap points at or after from, and
// for a lone point between gaps with itself, so that a gap breaks the line.
func eachSegment(pts []history.Point, from time.Time, f func(a, b history.Point)) {
	prevOK := false
	bad := func(p history.Point) bool { return p.Gap() || math.IsInf(p.V, 0) }
	for i, p := range pts {
		if bad(p) || p.T.Before(from) {
			prevOK = false
			continue
		}
		nextOK := i+1 < len(pts) && !bad(pts[i+1])
		switch {
		case prevOK:
			f(pts[i-1], p)
		case !nextOK:
			f(p, p)
		}
		prevOK = true
	}
}

// sparkline draws values as one row of block glyphs, scaled to their own maximum; gaps
// are blank. Only the newest width values are drawn.
func sparkline(vals []float64, width int, glyphs []rune) string {
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	// Scaled between the lowest and highest finite values, and from zero when all are
	// positive; a value that is not finite (a sum that overflowed) is drawn as a gap.
	lo, hi := 0.0, 0.0
	for _, v := range vals {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	var b strings.Builder
	for i := len(vals); i < width; i++ {
		b.WriteByte(' ')
	}
	top := float64(len(glyphs) - 1)
	for _, v := range vals {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			b.WriteByte(' ')
		case hi <= lo:
			b.WriteRune(glyphs[0])
		default:
			b.WriteRune(glyphs[max(0, min(len(glyphs)-1, int((v-lo)/(hi-lo)*top+0.5)))])
		}
	}
	return b.String()
}

// compact and percent are the engine's number formats, so that a reason the engine
// writes ("callback_queue_size 1.2k!") reads like the figure beside it.
var compact, percent, millis = monitor.Compact, monitor.Percent, monitor.Millis

// thousands prints an integer total with separators: 545,780.
func thousands(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if math.IsInf(v, 0) || math.Abs(v) >= 1e15 {
		return compact(v) // beyond what separators make readable
	}
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// age prints how long ago: 4s, 3m, 2h, 5d.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// bucketMax spreads the span [from, to] over width buckets and keeps the highest value
// of each (NaN where a bucket has none), so a sparkline shows the whole window at any
// width, and a short spike is not averaged away.
func bucketMax(pts []history.Point, from, to time.Time, width int, dst []float64) []float64 {
	for range width {
		dst = append(dst, math.NaN())
	}
	span := to.Sub(from)
	if span <= 0 || width == 0 {
		return dst
	}
	for _, p := range pts {
		if p.Gap() || p.T.Before(from) || p.T.After(to) {
			continue
		}
		i := min(width-1, int(float64(p.T.Sub(from))/float64(span)*float64(width)))
		if math.IsNaN(dst[i]) || p.V > dst[i] {
			dst[i] = p.V
		}
	}
	return dst
}

// timeTick picks the spacing of time labels for a chart whose columns are colSecs
// seconds wide: the shortest round interval that leaves room for a label and a gap.
func timeTick(colSecs float64) (time.Duration, string) {
	for _, t := range []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour} {
		format, width := "15:04", 5.0
		if t < time.Minute {
			format, width = "15:04:05", 8.0
		}
		if t.Seconds()/colSecs >= width+4 {
			return t, format
		}
	}
	return 24 * time.Hour, "01-02"
}

// niceStep rounds up to 1, 2 or 5 times a power of ten: steps whose multiples print
// exactly in compact form (2.5 would give 37.5, shown as "38").
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}
