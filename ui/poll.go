package ui

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wamon/wamon/source"
)

// The poll loop. Each number has its own chain: a pollDueMsg starts a fetch, the fetch's
// pollDoneMsg arms the next pollDueMsg. The chain is re-armed only from the reply, never
// from the tick, so a number is never polled twice at once. Every arm gets a fresh
// sequence number; a due message whose sequence is not the current one (a refresh or a
// resume re-armed the chain meanwhile) is dropped, so ticks never double.

// pollDueMsg says it is time to poll numbers[idx].
type pollDueMsg struct {
	idx int
	seq uint64
}

// pollDoneMsg carries a fetch's outcome.
type pollDoneMsg struct {
	idx  int
	seq  uint64
	snap source.Snapshot
	err  error
}

// Backoff after failures: the interval doubled per consecutive failure, capped, with
// jitter so that many failing numbers do not hammer a recovering server in step.
const maxBackoff = 5 * time.Minute

func backoff(interval time.Duration, failures int, jitter float64) time.Duration {
	d := interval
	for i := 0; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	// ±20%: enough to spread retries, not enough to confuse the operator reading ages.
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}

// armPoll schedules the next poll of a number after d, superseding any armed before.
func (m *Model) armPoll(idx int, d time.Duration) tea.Cmd {
	n := m.numbers[idx]
	n.seq++
	seq := n.seq
	n.nextPoll = m.now().Add(d)
	if m.manual {
		return nil
	}
	if d <= 0 {
		return func() tea.Msg { return pollDueMsg{idx: idx, seq: seq} }
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return pollDueMsg{idx: idx, seq: seq} })
}

// startPoll marks a number in flight and returns the fetch. The fetch waits for a slot of
// the concurrency bound inside its own goroutine, never in Update.
func (m *Model) startPoll(idx int) tea.Cmd {
	n := m.numbers[idx]
	n.inFlight = true
	n.seq++
	seq := n.seq
	ctx, src, sem, timeout, number := m.ctx, m.opts.Source, m.sem, m.opts.Timeout, n.number
	now := m.now
	return func() tea.Msg {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-ctx.Done():
			return pollDoneMsg{idx: idx, seq: seq, err: ctx.Err()}
		}
		snap, err := source.Poll(ctx, src, number, timeout, now)
		return pollDoneMsg{idx: idx, seq: seq, snap: snap, err: err}
	}
}

// onPollDue starts a poll unless it is stale, the number is busy, or the console is paused.
func (m *Model) onPollDue(msg pollDueMsg) tea.Cmd {
	if msg.idx < 0 || msg.idx >= len(m.numbers) {
		return nil
	}
	n := m.numbers[msg.idx]
	if msg.seq != n.seq || n.inFlight || m.paused {
		return nil
	}
	return m.startPoll(msg.idx)
}

// onPollDone records the outcome and arms the next poll.
func (m *Model) onPollDone(msg pollDoneMsg) tea.Cmd {
	if msg.idx < 0 || msg.idx >= len(m.numbers) || errors.Is(msg.err, context.Canceled) && m.ctx.Err() != nil {
		return nil
	}
	n := m.numbers[msg.idx]
	n.inFlight = false
	at := msg.snap.FetchedAt
	if at.IsZero() {
		at = m.now()
	}
	n.record(at, msg.snap, msg.err)
	m.logPoll(n, msg.err)
	m.touch(msg.idx)
	if m.paused {
		return nil
	}
	delay := m.opts.Interval
	if n.failures > 0 {
		delay = backoff(m.opts.Interval, n.failures-1, rand.Float64())
	}
	return m.armPoll(msg.idx, delay)
}

// pollNow polls the given numbers at once (those already in flight keep their poll).
func (m *Model) pollNow(idxs ...int) tea.Cmd {
	var cmds []tea.Cmd
	for _, i := range idxs {
		if !m.numbers[i].inFlight {
			cmds = append(cmds, m.startPoll(i))
		}
	}
	return tea.Batch(cmds...)
}

// initialPolls staggers the first polls over one interval, so a fleet of numbers does not
// arrive as one burst every tick forever after. The first number is polled at once.
func (m *Model) initialPolls() tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.numbers))
	step := m.opts.Interval / time.Duration(max(1, len(m.numbers)))
	for i := range m.numbers {
		cmds = append(cmds, m.armPoll(i, time.Duration(i)*step))
	}
	return tea.Batch(cmds...)
}

func (m *Model) logPoll(n *numberState, err error) {
	if err != nil {
		m.opts.Logger.Warn("poll failed", "number", n.number, "kind", source.ErrorKind(err),
			"error", err.Error(), "failures", n.failures)
		return
	}
	m.opts.Logger.Debug("poll", "number", n.number, "latency_ms", n.latency.last().Milliseconds(),
		"metrics", len(n.last.Metrics), "warnings", len(n.last.Warnings))
}
