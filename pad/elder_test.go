package pad_test

import (
	"testing"
	"time"

	"evalpad/pad"
)

// A citizen who chooses elder mode gets twice the time on the reasons
// screen (60 s → 120 s, also when chosen there) and the thank-you twice as
// long; the next session starts without it.
func TestElderDoublesTimeouts(t *testing.T) {
	r := newRig(t)
	r.openSession(single("S-1"))
	r.press(2, pad.ResultReasons)
	r.clock.Advance(30 * time.Second)
	r.p.SetElder(true)
	if !r.p.View().Elder {
		t.Fatal("the view does not show elder mode")
	}
	r.p.SetElder(true) // twice changes nothing
	r.clock.Advance(89 * time.Second)
	r.screen(pad.ScreenReasons) // 119 s in
	r.clock.Advance(2 * time.Second)
	r.screen(pad.ScreenThanks)
	r.clock.Advance(4 * time.Second)
	r.screen(pad.ScreenThanks) // shown at 120 s, for 3 s doubled
	r.clock.Advance(2 * time.Second)
	r.screen(pad.ScreenIdle)

	r.openSession(single("S-2"))
	if r.p.View().Elder {
		t.Fatal("elder mode carried over to the next session")
	}
	r.press(2, pad.ResultReasons)
	r.clock.Advance(61 * time.Second)
	r.screen(pad.ScreenThanks)
}
