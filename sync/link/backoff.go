package link

import "time"

// Backoff is capped exponential backoff with jitter: the delay before
// attempt n (0-based) is d = min(Max, Min·2ⁿ), jittered to a uniform value
// in [d/2, d) so pads that lost the same broker do not return in step.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a value in [0, 1); nil means no jitter (d itself).
	Rand func() float64
}

// Delay is the wait before attempt n.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Rand == nil {
		return d
	}
	return d/2 + time.Duration(b.Rand()*float64(d/2))
}
