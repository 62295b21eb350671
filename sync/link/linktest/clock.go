// Package linktest has helpers for testing with the link: a fake clock,
// and a fake central on a real broker that signs what it sends.
package linktest

import (
	"context"
	"sync"
	"time"

	"evalpad/sync/link"
)

// Clock is a fake link.Clock. Time moves only by Advance; a timer fires when
// Advance reaches its deadline (or when it is armed with d <= 0) by putting
// its deadline on C, which holds one value like a time.Timer's.
//
// The code under test runs in its own goroutines, so a test first waits
// until the timer it means to fire is armed (WaitArmed), then advances.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	armed   map[*timer]struct{}
	changed chan struct{} // closed and replaced when a timer is armed, stopped or fired
}

var _ link.Clock = (*Clock)(nil)

// NewClock starts a fake clock at t.
func NewClock(t time.Time) *Clock {
	return &Clock{now: t, armed: map[*timer]struct{}{}, changed: make(chan struct{})}
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer arms a timer that fires when Advance passes now+d.
func (c *Clock) NewTimer(d time.Duration) link.Timer {
	t := &timer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves time forward by d and fires every timer due by then,
// earliest first.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for {
		var due *timer
		for t := range c.armed {
			if !t.at.After(c.now) && (due == nil || t.at.Before(due.at)) {
				due = t
			}
		}
		if due == nil {
			return
		}
		due.fire()
	}
}

// Armed reports whether a timer is armed to fire within d from now, so that
// Advance(d) fires it.
func (c *Clock) Armed(d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.now.Add(d)
	for t := range c.armed {
		if !t.at.After(end) {
			return true
		}
	}
	return false
}

// WaitArmed blocks until Armed(d) holds or ctx ends.
func (c *Clock) WaitArmed(ctx context.Context, d time.Duration) error {
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if c.Armed(d) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes the waiters; c.mu is held.
func (c *Clock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type timer struct {
	c  *Clock
	ch chan time.Time
	at time.Time
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Reset(d time.Duration) bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	was := t.disarm()
	t.at = c.now.Add(d)
	c.armed[t] = struct{}{}
	if d <= 0 {
		t.fire()
	}
	c.notify()
	return was
}

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.disarm()
	t.c.notify()
	return was
}

// disarm takes t off the clock and drops a tick not yet received; c.mu is held.
func (t *timer) disarm() bool {
	_, was := t.c.armed[t]
	delete(t.c.armed, t)
	select {
	case <-t.ch:
	default:
	}
	return was
}

// fire puts the deadline on C and disarms t; c.mu is held.
func (t *timer) fire() {
	delete(t.c.armed, t)
	t.ch <- t.at // cannot block: disarm emptied ch when t was armed
	t.c.notify()
}
