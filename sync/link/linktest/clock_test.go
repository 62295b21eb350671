package linktest

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)

// fired reports the value waiting on a timer's channel, if any.
func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-ch:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestTimerFiresOnAdvance(t *testing.T) {
	c := NewClock(t0)
	tm := c.NewTimer(10 * time.Second)
	c.Advance(9 * time.Second)
	if _, ok := fired(tm.C()); ok {
		t.Fatal("fired before its deadline")
	}
	c.Advance(time.Second)
	if v, ok := fired(tm.C()); !ok || !v.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("tick %v %v, want the deadline", v, ok)
	}
	if got := c.Now(); !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("now %v", got)
	}
	if tm.Stop() {
		t.Error("Stop of a fired timer reported armed")
	}
}

func TestResetAndStopDropStaleTicks(t *testing.T) {
	c := NewClock(t0)
	tm := c.NewTimer(time.Second)
	c.Advance(time.Second) // fired, not received
	if tm.Reset(time.Minute) {
		t.Error("Reset of a fired timer reported armed")
	}
	if _, ok := fired(tm.C()); ok {
		t.Fatal("a stale tick survived Reset")
	}
	if !tm.Stop() {
		t.Error("Stop of an armed timer reported not armed")
	}
	c.Advance(time.Hour)
	if _, ok := fired(tm.C()); ok {
		t.Fatal("a stopped timer fired")
	}
	tm.Reset(0)
	if _, ok := fired(tm.C()); !ok {
		t.Fatal("Reset(0) did not fire at once")
	}
	tm.Reset(-time.Second)
	if _, ok := fired(tm.C()); !ok {
		t.Fatal("Reset(<0) did not fire at once")
	}
}

func TestArmedAndWaitArmed(t *testing.T) {
	c := NewClock(t0)
	if c.Armed(time.Hour) {
		t.Fatal("armed with no timer")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.WaitArmed(ctx, time.Minute) }()
	far := c.NewTimer(time.Hour) // not within a minute: the wait goes on
	near := c.NewTimer(time.Minute)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !c.Armed(time.Minute) || c.Armed(59*time.Second) {
		t.Error("Armed disagrees with the deadlines")
	}
	near.Stop()
	far.Stop()
	go func() { done <- c.WaitArmed(ctx, time.Minute) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("WaitArmed after cancel: %v", err)
	}
}
