package monitor

// Subscriptions: the change signal readers wait on and the alerts they collect.

import (
	"sync"
	"time"
)

// Alert is a number crossing a critical threshold: raised once per crossing, again only
// after the number has recovered and crossed again.
type Alert struct {
	Index  int
	Number string
	At     time.Time
}

// Subscription tells a reader that something changed, and which alerts were raised.
// Signals are coalesced: one waiting signal stands for any number of changes.
type Subscription struct {
	e      *Engine
	c      chan struct{}
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	alerts []Alert
}

// maxPendingAlerts bounds what a reader that never looks can make the engine hold.
const maxPendingAlerts = 64

// Subscribe starts a subscription; Close ends it.
func (e *Engine) Subscribe() *Subscription {
	s := &Subscription{e: e, c: make(chan struct{}, 1), done: make(chan struct{})}
	e.subsMu.Lock()
	e.subs[s] = struct{}{}
	e.subsMu.Unlock()
	return s
}

// C receives a value after changes, at most one waiting at a time.
func (s *Subscription) C() <-chan struct{} { return s.c }

// Done is closed by Close.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Alerts returns the alerts raised since the last call, oldest first.
func (s *Subscription) Alerts() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alerts
	s.alerts = nil
	return a
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.e.subsMu.Lock()
		delete(s.e.subs, s)
		s.e.subsMu.Unlock()
		close(s.done)
	})
}

// publish signals every subscriber without waiting for any.
func (e *Engine) publish(alert *Alert) {
	e.subsMu.Lock()
	defer e.subsMu.Unlock()
	for s := range e.subs {
		if alert != nil {
			s.mu.Lock()
			if len(s.alerts) == maxPendingAlerts {
				s.alerts = s.alerts[1:]
			}
			s.alerts = append(s.alerts, *alert)
			s.mu.Unlock()
		}
		select {
		case s.c <- struct{}{}:
		default:
		}
	}
}
