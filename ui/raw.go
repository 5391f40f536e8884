package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/wamon/wamon/monitor"
	"github.com/wamon/wamon/source"
)

// rawScreen is the newest payload of the number in view as received: indented when it is
// JSON, every line sanitised, in a scrollable viewport. Headers are never shown, so the
// key cannot be.
type rawScreen struct {
	screenBase
	vp     viewport.Model
	filled bool // the viewport holds the payload of the number and version drawn
	title  string
}

func newRawScreen(ctx *Context) *rawScreen {
	return &rawScreen{screenBase: screenBase{ctx: ctx}, vp: viewport.New()}
}

func (s *rawScreen) name() string { return "raw" }

func (s *rawScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.vp.SetWidth(max(0, w-2))
	s.vp.SetHeight(max(0, h-3))
	s.filled = false // lines are cut to the width
	s.fill()
}

func (s *rawScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Move, k.PageDown, k.Back, k.Help, k.Quit}
}

func (s *rawScreen) Update(msg tea.Msg) tea.Cmd {
	k := s.ctx.Keys
	switch msg := msg.(type) {
	case dataMsg, contextMsg:
		s.fill()
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Top):
			s.vp.GotoTop()
		case key.Matches(msg, k.Bottom):
			s.vp.GotoBottom()
		case key.Matches(msg, k.Raw):
			return nil
		case key.Matches(msg, k.Back, k.Refresh, k.Info):
			numberKeys(s.ctx, msg)
			return nil
		default:
			s.vp, _ = s.vp.Update(msg)
		}
		s.draw()
	}
	return nil
}

// fill puts the newest payload in the viewport when it changed, keeping the scroll.
func (s *rawScreen) fill() {
	ctx := s.ctx
	ctx.Engine.Read(ctx.Active, func(v *monitor.View) {
		if s.filled && s.drawnAt == ctx.Active && s.drawnFor == v.Version {
			return
		}
		if s.drawnAt != ctx.Active {
			s.vp.GotoTop()
		}
		s.filled = true
		s.drew(v)
		s.title = "no payload yet"
		if v.Last != nil {
			s.title = fmt.Sprintf("raw payload of %s · %s · fetched %s", v.Number, source.FormatBytes(int64(len(v.Last.Raw))), v.Last.FetchedAt.In(ctx.Loc).Format("15:04:05"))
		}
		s.vp.SetContent(ctx.rawText(v.Last, s.vp.Width()))
	})
	s.draw()
}

func (s *rawScreen) draw() {
	th := &s.ctx.Theme
	pct := fmt.Sprintf(" · %3.0f%%", s.vp.ScrollPercent()*100)
	s.body = s.ctx.pane(s.w-2, s.h-2, th.Title.Render(s.title)+th.Dim.Render(pct)+"\n"+s.vp.View())
}

// rawText formats a payload for the raw view. Long lines are cut to the width: a label
// of thousands of characters must not turn one line into a screenful.
func (c *Context) rawText(last *source.Snapshot, width int) string {
	if last == nil {
		return ""
	}
	body := last.Raw
	var buf bytes.Buffer
	if json.Indent(&buf, body, "", "  ") == nil {
		body = buf.Bytes()
	}
	const maxLines = 20000
	var b strings.Builder
	for i, line := range strings.Split(string(body), "\n") {
		if i == maxLines {
			b.WriteString(c.Theme.Ellipsis + " (cut)\n")
			break
		}
		b.WriteString(c.cut(line, max(10, width)))
		b.WriteByte('\n')
	}
	return b.String()
}

// scrollsText: the wheel scrolls the payload by lines.
func (s *rawScreen) scrollsText() bool { return true }
