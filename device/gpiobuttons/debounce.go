package gpiobuttons

import "time"

// debouncer decides presses from edge times and settled levels. It is pure:
// the caller passes the time, so tests state exact timings.
//
// A level change is accepted once no edge has been seen for window. A press
// is an accepted change from released to pressed.
type debouncer struct {
	window  time.Duration
	pressed bool      // the accepted (debounced) state
	pending bool      // edges seen since the last accepted state
	last    time.Time // time of the latest edge
}

// edge records an edge seen at t.
func (d *debouncer) edge(t time.Time) {
	d.pending = true
	d.last = t
}

// remaining is how long the line must still stay quiet before settle may
// accept its level. It is only meaningful while pending.
func (d *debouncer) remaining(now time.Time) time.Duration {
	return d.window - now.Sub(d.last)
}

// settle is called with the line's level (true = pressed) when no edge came
// for the window. It reports whether this is a new press.
func (d *debouncer) settle(now time.Time, active bool) bool {
	if !d.pending || d.remaining(now) > 0 {
		return false
	}
	d.pending = false
	press := active && !d.pressed
	d.pressed = active
	return press
}
