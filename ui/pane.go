package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Boxes and blocks that every screen is built from, drawn without re-wrapping.

// pane draws content in a bordered box of inner size w x h. Every line is cut to the
// width and the content to the height first: a pane never wraps or grows.
func (c *Context) pane(w, h int, content string) string {
	w, h = max(w, 0), max(h, 0)
	lines := strings.Split(content, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	// The box is drawn here rather than by a lipgloss border: a border re-measures and
	// re-wraps every line, a third of a frame's cost, for lines already cut to fit.
	b := c.Theme.Border
	edge := func(s string) string { return c.Theme.Dim.Render(s) }
	var out strings.Builder
	out.WriteString(edge(b.TopLeft + strings.Repeat(b.Top, w) + b.TopRight))
	left, right := edge(b.Left), edge(b.Right)
	for _, l := range lines {
		lw := ansi.StringWidth(l)
		if lw > w {
			l, lw = ansi.Truncate(l, w, c.Theme.Ellipsis), w
		}
		out.WriteByte('\n')
		out.WriteString(left)
		out.WriteString(l)
		out.WriteString(strings.Repeat(" ", w-lw))
		out.WriteString(right)
	}
	out.WriteByte('\n')
	out.WriteString(edge(b.BottomLeft + strings.Repeat(b.Bottom, w) + b.BottomRight))
	return out.String()
}

// besides puts the lines of right next to left, left padded to leftW columns and right
// cut to rightW: the chart and its side panel, without a lipgloss box per frame.
func besides(left string, leftW int, right []string, rightW int) string {
	ll := strings.Split(left, "\n")
	n := max(len(ll), len(right))
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('\n')
		}
		l := ""
		if i < len(ll) {
			l = ll[i]
		}
		b.WriteString(l)
		if pad := leftW - ansi.StringWidth(l); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		if i < len(right) {
			b.WriteByte(' ')
			b.WriteString(ansi.Truncate(right[i], rightW, ""))
		}
	}
	return b.String()
}

// fitBlock makes s exactly h lines, none wider than w. It is cheaper than a lipgloss
// box: lines that fit are left alone (the renderer clears the rest of each line).
func fitBlock(s string, w, h int, ellipsis string) string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, ellipsis)
		}
	}
	return strings.Join(lines, "\n")
}
