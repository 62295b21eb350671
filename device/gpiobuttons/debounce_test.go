package gpiobuttons

import (
	"testing"
	"time"
)

// TestDebouncer drives the pure debounce decision with exact timestamps.
func TestDebouncer(t *testing.T) {
	const w = 30 * time.Millisecond
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		edge   bool // an edge at ms; otherwise settle at ms with level
		ms     int
		active bool
		press  bool // expected from settle
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"clean press", []step{{edge: true, ms: 0}, {ms: 30, active: true, press: true}}},
		{"too early to settle", []step{{edge: true, ms: 0}, {ms: 29, active: true}, {ms: 30, active: true, press: true}}},
		{"bounce is one press", []step{
			{edge: true, ms: 0}, {edge: true, ms: 2}, {edge: true, ms: 5}, {edge: true, ms: 9},
			{ms: 38, active: true}, {ms: 39, active: true, press: true},
			{ms: 500, active: true}, // held: nothing more
		}},
		{"release only", []step{{edge: true, ms: 0}, {ms: 40, active: false}}},
		{"glitch shorter than window", []step{{edge: true, ms: 0}, {edge: true, ms: 3}, {ms: 33, active: false}}},
		{"press, release, press", []step{
			{edge: true, ms: 0}, {ms: 30, active: true, press: true},
			{edge: true, ms: 100}, {ms: 130, active: false},
			{edge: true, ms: 200}, {ms: 230, active: true, press: true},
		}},
		{"spurious edge while held", []step{
			{edge: true, ms: 0}, {ms: 30, active: true, press: true},
			{edge: true, ms: 100}, {ms: 130, active: true},
		}},
		{"settle without edges", []step{{ms: 100, active: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := debouncer{window: w}
			for i, s := range tt.steps {
				if s.edge {
					d.edge(at(s.ms))
					continue
				}
				if got := d.settle(at(s.ms), s.active); got != s.press {
					t.Fatalf("step %d (settle at %dms, active=%t) = %t, want %t", i, s.ms, s.active, got, s.press)
				}
			}
		})
	}
}
