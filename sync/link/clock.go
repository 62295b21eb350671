package link

import "time"

// Clock is the link's only source of time: the ack deadlines, the status
// refresh, the reconnect backoff and the connect and goodbye waits all read
// it and arm its timers. SystemClock is the real one; linktest.Clock is a
// fake that moves only when a test advances it.
type Clock interface {
	Now() time.Time
	// NewTimer arms a timer that sends the time on C once d has passed.
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's one-shot timer, with time.Timer's contract (Go 1.23
// and later): Reset and Stop discard a value not yet received from C, so
// after either no stale tick arrives. Each reports whether the timer was
// armed.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration) bool
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.Timer.C }
