package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wamon/wamon/source"
)

// The footer: a status line (the filter being typed, a note, or the active number's last
// update and error), then the keys of the screen in view.

func (m *Model) renderFooter() string {
	ctx, w := m.ctx, m.width
	th := &ctx.Theme
	top := m.top()
	var parts []string
	if c, ok := top.(capturer); ok && c.capturing() {
		parts = append(parts, top.(statusLiner).statusLine())
	} else if m.flash != "" {
		parts = append(parts, m.flash)
	} else if ctx.Engine.Len() > 0 {
		if ctx.paused() {
			parts = append(parts, th.Paused.Render("PAUSED")+" (p resumes)")
		}
		if s, ok := top.(statusLiner); ok && s.statusLine() != "" {
			parts = append(parts, s.statusLine())
		}
		st := ctx.Engine.Status(m.focus())
		switch {
		case st.Last == nil && st.Err == nil && ctx.Engine.Filling():
			parts = append(parts, "loading the window from "+ctx.cut(ctx.Engine.SourceName(), 60)+"; polls start after")
		case st.Last == nil && st.Err == nil:
			parts = append(parts, "waiting for the first poll of "+st.Number)
		case !st.LastOK.IsZero():
			// A time, not an age: an age would redraw the footer every second for
			// nothing (a number that stops answering turns STALE in its tab).
			parts = append(parts, "updated "+st.LastOK.In(ctx.Loc).Format("15:04:05"))
		}
		if st.Err != nil {
			e := th.Error.Render("ERR "+st.ErrAt.In(ctx.Loc).Format("15:04:05")) + ": " + source.Sanitize(st.Err.Error())
			if st.Failures > 1 {
				e += fmt.Sprintf(" (%d in a row)", st.Failures)
			}
			parts = append(parts, e)
		}
	}
	status := strings.Join(parts, th.Dim.Render(" · "))
	var bindings []key.Binding
	if c, ok := top.(capturer); ok && c.capturing() {
		bindings = typingKeys
	} else {
		bindings = top.ShortHelp()
	}
	return ansi.Truncate(status, w, th.Ellipsis) + "\n" + m.footerKeys(bindings, w)
}

// footerKeys is the line of keys: the screen's own as many as fit, then ? and q, which
// always show: whatever was cut, ? lists it.
func (m *Model) footerKeys(bindings []key.Binding, w int) string {
	ctx := m.ctx
	hm := ctx.Help
	hm.SetWidth(0)
	type item struct {
		text string
		key  string
	}
	var own, last []item
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		it := item{hm.ShortHelpView([]key.Binding{b}), firstKey(b)}
		if b.Help() == ctx.Keys.Help.Help() || b.Help() == ctx.Keys.Quit.Help() {
			last = append(last, it)
		} else {
			own = append(own, it)
		}
	}
	sep := hm.Styles.ShortSeparator.Render(hm.ShortSeparator)
	sepW := lipgloss.Width(sep)
	tailW := 0
	for i, it := range last {
		if i > 0 {
			tailW += sepW
		}
		tailW += lipgloss.Width(it.text)
	}
	ellipsis := " " + hm.Styles.Ellipsis.Render(hm.Ellipsis)
	// Whole keys only, as many as leave room for the ellipsis (when some are cut) and
	// the tail.
	room := w - tailW
	if tailW > 0 {
		room -= sepW
	}
	var line strings.Builder
	used := 0
	m.keySpans = m.keySpans[:0]
	write := func(it item) { // a key, and where it is for a click
		iw := lipgloss.Width(it.text)
		m.keySpans = append(m.keySpans, span{from: used, to: min(used+iw, w), key: it.key})
		line.WriteString(it.text)
		used += iw
	}
	for i, it := range own {
		iw := lipgloss.Width(it.text)
		if i > 0 {
			iw += sepW
		}
		need := used + iw
		if i < len(own)-1 {
			need += lipgloss.Width(ellipsis) // more would follow
		}
		if need > room {
			line.WriteString(ellipsis)
			used += lipgloss.Width(ellipsis)
			break
		}
		if i > 0 {
			line.WriteString(sep)
			used += sepW
		}
		write(it)
	}
	for i, it := range last {
		if i > 0 || line.Len() > 0 {
			line.WriteString(sep)
			used += sepW
		}
		write(it)
	}
	return ansi.Truncate(line.String(), w, ctx.Theme.Ellipsis)
}

// refreshKey is r as the footer shows it: hidden in a replay, which polls nothing.
func (c *Context) refreshKey() key.Binding {
	if c.Replay != nil {
		b := c.Keys.Refresh
		b.SetEnabled(false)
		return b
	}
	return c.Keys.Refresh
}

// pauseKey is p as the footer shows it: pause, or resume while paused.
func (c *Context) pauseKey() key.Binding {
	if c.Replay != nil {
		return c.Keys.ReplayPause
	}
	if c.paused() {
		return key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "resume"))
	}
	return c.Keys.Pause
}

// copyKey is y as the footers show it: in two words, for it to be seen at 80 columns
// (the ? screen says "copy summary").
func (c *Context) copyKey() key.Binding {
	b := c.Keys.Copy
	b.SetHelp(b.Help().Key, "copy")
	return b
}
