package pad_test

import (
	"reflect"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/rating"
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
	r.p.SetElder(false)
	r.p.SetElder(true) // nor does leaving it and choosing it again
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

// unratedAt asserts the last record closes sess as unrated (session_timeout)
// at the given time, listing cases.
func (r *rig) unratedAt(sess string, mode rating.Mode, at time.Time, cases ...string) {
	r.t.Helper()
	recs := r.records()
	if len(recs) == 0 {
		r.t.Fatal("no record")
	}
	last := recs[len(recs)-1]
	want := summary{Kind: rating.KindUnrated, Session: sess, Mode: mode, Reasons: []string{},
		Flags: []string{rating.FlagSessionTimeout}, Cases: cases}
	if got := summarize(last); !reflect.DeepEqual(got, want) {
		r.t.Fatalf("last record %s, want %s", dump([]summary{got}), dump([]summary{want}))
	}
	if w := rating.FormatTime(at, shanghai); last.At != w {
		r.t.Fatalf("unrated at %s, want %s", last.At, w)
	}
}

// deadline asserts when the view says the open session becomes unrated.
func (r *rig) deadline(at time.Time) {
	r.t.Helper()
	v := r.p.View()
	if v.Session == nil {
		r.t.Fatalf("no open session on the %s screen", v.Screen)
	}
	if w := rating.FormatTime(at, shanghai); v.Session.Deadline != w {
		r.t.Fatalf("session deadline %s, want %s", v.Session.Deadline, w)
	}
}

// The session's timeout (10 min) doubles when the citizen chooses elder
// mode, early or a second before it runs out; leaving elder mode does not
// shorten it again; without elder mode it stays 10 min, and the next
// session starts without it.
func TestElderDoublesSessionTimeout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		choose func(r *rig)
		after  time.Duration
	}{
		{"standard", func(r *rig) {}, 10 * time.Minute},
		{"chosen at once", func(r *rig) { r.p.SetElder(true) }, 20 * time.Minute},
		{"chosen late", func(r *rig) {
			r.clock.Advance(10*time.Minute - time.Second)
			r.screen(pad.ScreenRate)
			r.p.SetElder(true)
		}, 20 * time.Minute},
		{"chosen and left", func(r *rig) {
			r.clock.Advance(time.Minute)
			r.p.SetElder(true)
			r.p.SetElder(false)
			r.p.SetElder(true) // once doubled, never more
			r.p.SetElder(false)
		}, 20 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.openSession(single("S-1"))
			tc.choose(r)
			r.deadline(t0.Add(tc.after))
			r.clock.Advance(t0.Add(tc.after - time.Millisecond).Sub(r.clock.Now()))
			r.screen(pad.ScreenRate)
			r.clock.Advance(time.Millisecond)
			r.screen(pad.ScreenIdle)
			r.unratedAt("S-1", rating.ModeSingle, t0.Add(tc.after), pno1)

			opened := r.clock.Now()
			r.openSession(single("S-2"))
			r.deadline(opened.Add(10 * time.Minute))
			r.clock.Advance(10 * time.Minute)
			r.unratedAt("S-2", rating.ModeSingle, opened.Add(10*time.Minute), pno1)
		})
	}
}

// A theme in elder mode keeps the doubled timeout after an item is rated
// on its own: the items not rated become unrated at 20 min. A batch's
// cases become unrated together at 20 min.
func TestElderSessionTimeoutThemeAndBatch(t *testing.T) {
	t.Run("theme", func(t *testing.T) {
		r := newRig(t)
		r.openSession(theme("S-T"))
		r.p.SetElder(true)
		r.selectTarget(pno2)
		r.press(4, pad.ResultRecorded)
		r.clock.Advance(5 * time.Second) // the thank-you, doubled: 6 s
		r.screen(pad.ScreenThanks)
		r.clock.Advance(time.Second)
		r.screen(pad.ScreenRate)
		if v := r.p.View(); !v.Elder {
			t.Fatal("the theme's next item is not in elder mode")
		}
		r.deadline(t0.Add(20 * time.Minute))
		r.clock.Advance(20*time.Minute - 6*time.Second)
		r.unratedAt("S-T", rating.ModeTheme, t0.Add(20*time.Minute), pno1, pno3)
	})
	t.Run("batch", func(t *testing.T) {
		r := newRig(t)
		r.openSession(batch("S-B"))
		r.clock.Advance(3 * time.Minute)
		r.p.SetElder(true)
		r.clock.Advance(17*time.Minute - time.Millisecond)
		r.screen(pad.ScreenRate)
		r.clock.Advance(time.Millisecond)
		r.unratedAt("S-B", rating.ModeBatch, t0.Add(20*time.Minute), pno1, pno2, pno3)
	})
}

// The citizen's 大字 survives a restart of the pad over the same store:
// the rate screen comes back in elder mode with the same doubled deadline
// (also when the restart is past the standard 10 min), and the reasons
// screen and the thank-you that follow are doubled.
func TestElderSurvivesRestart(t *testing.T) {
	r := newRig(t)
	r.openSession(single("S-1"))
	r.clock.Advance(time.Minute)
	r.p.SetElder(true)
	r.shut()
	r.clock.Advance(11 * time.Minute) // down past the standard timeout
	r.open()
	r.screen(pad.ScreenRate)
	if !r.p.View().Elder {
		t.Fatal("elder mode lost at the restart")
	}
	r.deadline(t0.Add(20 * time.Minute))
	r.wantRecords() // the session is still open
	r.press(2, pad.ResultReasons)
	r.clock.Advance(119 * time.Second)
	r.screen(pad.ScreenReasons)
	r.clock.Advance(time.Second)
	r.screen(pad.ScreenThanks)
	r.clock.Advance(6*time.Second - time.Millisecond)
	r.screen(pad.ScreenThanks)
	r.clock.Advance(time.Millisecond)
	r.screen(pad.ScreenIdle)
	r.wantRecords(rated("S-1", rating.ModeSingle, 2, pno1).with(func(s *summary) { s.Flags = []string{rating.FlagReasonsTimeout} }))

	// Left before the restart: not elder, but the timeout stays doubled.
	opened := r.clock.Now()
	r.openSession(single("S-2"))
	r.p.SetElder(true)
	r.p.SetElder(false)
	r.restart()
	if r.p.View().Elder {
		t.Fatal("elder mode back after the citizen left it")
	}
	r.deadline(opened.Add(20 * time.Minute))
}

// A 差评 being explained in elder mode on a theme item is recovered at the
// restart; the theme's other items come back in elder mode, doubled.
func TestElderThemeRecoveredAtRestart(t *testing.T) {
	r := newRig(t)
	r.openSession(theme("S-T"))
	r.p.SetElder(true)
	r.selectTarget(pno1)
	r.press(1, pad.ResultReasons)
	r.toggle("115")
	r.restart()
	r.screen(pad.ScreenRate)
	if !r.p.View().Elder {
		t.Fatal("elder mode lost at the restart")
	}
	r.deadline(t0.Add(20 * time.Minute))
	r.wantRecords(rated("S-T", rating.ModeTheme, 1, pno1).with(func(s *summary) {
		s.Target, s.Reasons, s.Flags = pno1, []string{"115"}, []string{rating.FlagRecovered}
	}))
}

// A session saved before elder mode was kept (no elder fields) loads as
// not elder, with the standard timeout.
func TestOldSnapshotLoadsNotElder(t *testing.T) {
	r := newRig(t)
	r.openSession(single("S-1"))
	r.p.SetElder(true)
	editSavedSession(t, r, func(snap map[string]any) {
		if snap["elder"] != true || snap["slow"] != true {
			t.Fatalf("the choice is not in the saved session: %v", snap)
		}
		delete(snap, "elder")
		delete(snap, "slow")
	})
	r.restart()
	if r.p.View().Elder {
		t.Fatal("an old snapshot loads in elder mode")
	}
	r.deadline(t0.Add(10 * time.Minute))
	r.clock.Advance(10 * time.Minute)
	r.unratedAt("S-1", rating.ModeSingle, t0.Add(10*time.Minute), pno1)
}
