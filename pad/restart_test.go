package pad_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/rating"
)

// 暂停服务 is kept across a restart: a pad paused by the counter's staff (or
// the central) does not come back taking sessions after a power cut.
func TestPauseSurvivesRestart(t *testing.T) {
	r := newRig(t)
	if err := r.p.Pause(); err != nil {
		t.Fatal(err)
	}
	r.restart()
	r.screen(pad.ScreenPaused)
	_, err := r.p.OpenSession(single("S-1"))
	isErr(t, err, pad.ErrPaused)
	r.press(5, pad.ResultPaused)
	if err := r.p.Resume(); err != nil {
		t.Fatal(err)
	}
	r.screen(pad.ScreenIdle)
	r.restart()
	r.screen(pad.ScreenIdle) // resumed stays resumed
	r.openSession(single("S-1"))
	r.press(4, pad.ResultRecorded)
	r.wantRecords(rated("S-1", rating.ModeSingle, 4, pno1))
}

// breakSavedSession rewrites the stored open session so that it no longer
// passes the rules, as an update with stricter rules would find it.
func breakSavedSession(t *testing.T, r *rig) {
	t.Helper()
	editSavedSession(t, r, func(snap map[string]any) {
		snap["session"].(map[string]any)["mode"] = "retired-mode"
	})
}

// editSavedSession rewrites the stored open session's JSON with edit.
func editSavedSession(t *testing.T, r *rig, edit func(snap map[string]any)) {
	t.Helper()
	raw, err := r.st.Session()
	if err != nil || raw == nil {
		t.Fatalf("no saved session: %s, %v", raw, err)
	}
	var snap map[string]any
	if err := json.Unmarshal(raw, &snap); err != nil {
		t.Fatal(err)
	}
	edit(snap)
	b, _ := json.Marshal(snap)
	if err := r.st.SaveSession(b); err != nil {
		t.Fatal(err)
	}
}

// A saved session that the rules refuse after an update is closed at start
// (unrated, flagged) instead of stopping the pad from starting; a 差评 that
// was being explained in it is still recorded.
func TestInvalidSavedSessionClosedAtRestart(t *testing.T) {
	t.Run("unrated", func(t *testing.T) {
		r := newRig(t)
		r.openSession(single("S-1"))
		breakSavedSession(t, r)
		r.restart() // fails the test if pad.New refuses to start
		r.screen(pad.ScreenIdle)
		recs := r.records()
		if len(recs) != 1 || recs[0].Kind != rating.KindUnrated || recs[0].SessionID != "S-1" ||
			!slices.Contains(recs[0].Flags, rating.FlagInvalidSession) {
			t.Fatalf("records %+v", recs)
		}
		r.openSession(single("S-2")) // the pad takes sessions again
		r.press(5, pad.ResultRecorded)
	})
	t.Run("差评 being explained", func(t *testing.T) {
		r := newRig(t)
		r.openSession(single("S-1"))
		r.press(1, pad.ResultReasons)
		r.toggle("115")
		breakSavedSession(t, r)
		r.restart()
		r.screen(pad.ScreenIdle)
		recs := r.records()
		if len(recs) != 1 || recs[0].Kind != rating.KindRating || recs[0].Stars != 1 ||
			!slices.Equal(recs[0].Reasons, []string{"115"}) ||
			!slices.Contains(recs[0].Flags, rating.FlagRecovered) || !slices.Contains(recs[0].Flags, rating.FlagInvalidSession) {
			t.Fatalf("records %+v", recs)
		}
	})
}

// Views are numbered in the order the pad made them, so a listener that
// gets two of them out of order (listeners run outside the pad's lock) can
// keep the newer one.
func TestViewVersions(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	newest := pad.View{}
	r.p.Subscribe(func(v pad.View) {
		mu.Lock()
		defer mu.Unlock()
		if v.Version > newest.Version {
			newest = v
		}
	})
	v0 := r.p.View().Version
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := r.p.OpenSession(single("S-" + string(rune('A'+i%26)) + string(rune('a'+i/26)))); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() { r.p.Press(5) })
	}
	wg.Wait()
	r.clock.Advance(time.Second)
	final := r.p.View()
	if final.Version <= v0 {
		t.Fatalf("version did not grow: %d → %d", v0, final.Version)
	}
	mu.Lock()
	defer mu.Unlock()
	if newest.Version != final.Version || newest.Screen != final.Screen {
		t.Fatalf("newest view told %d %s, the pad is at %d %s", newest.Version, newest.Screen, final.Version, final.Screen)
	}
}
