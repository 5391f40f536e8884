package monitor

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

func TestStateAt(t *testing.T) {
	const (
		interval = 5 * time.Second
		timeout  = 10 * time.Second
		stale    = 2*interval + timeout // 20 s
	)
	good := &source.Snapshot{}
	boom := errors.New("boom")
	tests := []struct {
		name   string
		st     Status
		now    time.Time
		paused bool
		want   State
	}{
		{"no poll yet", Status{}, sec(0), false, StateWaiting},
		{"no answer yet, long after", Status{}, sec(3600), false, StateWaiting},
		{"first poll failed", Status{Err: boom}, sec(0), false, StateError},
		{"error over critical", Status{Last: good, LastOK: sec(0), Err: boom, Level: LevelCrit}, sec(1), false, StateError},
		{"error over stale", Status{Last: good, LastOK: sec(0), Err: boom}, sec(1000), false, StateError},
		{"error while paused", Status{Last: good, LastOK: sec(0), Err: boom}, sec(1), true, StateError},
		{"fresh ok", Status{Last: good, LastOK: sec(0)}, sec(1), false, StateOK},
		{"at the stale limit: not yet", Status{Last: good, LastOK: sec(0)}, t0.Add(stale), false, StateOK},
		{"just past the stale limit", Status{Last: good, LastOK: sec(0)}, t0.Add(stale + time.Nanosecond), false, StateStale},
		{"stale over critical", Status{Last: good, LastOK: sec(0), Level: LevelCrit}, sec(21), false, StateStale},
		{"paused: never stale", Status{Last: good, LastOK: sec(0)}, sec(3600), true, StateOK},
		{"paused: level still shown", Status{Last: good, LastOK: sec(0), Level: LevelCrit}, sec(3600), true, StateCrit},
		{"critical", Status{Last: good, LastOK: sec(0), Level: LevelCrit}, sec(5), false, StateCrit},
		{"warn", Status{Last: good, LastOK: sec(0), Level: LevelWarn}, sec(5), false, StateWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			if got := st.StateAt(tt.now, interval, timeout, tt.paused); got != tt.want {
				t.Fatalf("StateAt = %s, want %s", got.Word(), tt.want.Word())
			}
		})
	}
}

func TestStateOrder(t *testing.T) {
	// Severity: ERR > CRIT = STALE > WARN > WAIT > OK.
	tests := []struct {
		worse, better State
		equal         bool
	}{
		{StateError, StateCrit, false},
		{StateError, StateStale, false},
		{StateCrit, StateStale, true},
		{StateCrit, StateWarn, false},
		{StateStale, StateWarn, false},
		{StateWarn, StateWaiting, false},
		{StateWaiting, StateOK, false},
	}
	for _, tt := range tests {
		w, b := tt.worse.Severity(), tt.better.Severity()
		if tt.equal && w != b || !tt.equal && w <= b {
			t.Errorf("Severity(%s) = %d, Severity(%s) = %d; want %s", tt.worse.Word(), w, tt.better.Word(), b,
				map[bool]string{true: "equal", false: "the first worse"}[tt.equal])
		}
	}

	want := []State{StateError, StateCrit, StateStale, StateWarn, StateWaiting, StateOK}
	if !slices.Equal(ByWorst, want) {
		t.Fatalf("ByWorst = %v, want %v", ByWorst, want)
	}
	for i := 1; i < len(ByWorst); i++ {
		if ByWorst[i-1].Severity() < ByWorst[i].Severity() {
			t.Errorf("ByWorst: %s before the worse %s", ByWorst[i-1].Word(), ByWorst[i].Word())
		}
	}
	words := map[string]bool{}
	for _, s := range ByWorst {
		words[s.Word()] = true
	}
	if len(words) != 6 {
		t.Errorf("words of ByWorst %v are not six distinct words", words)
	}
}
