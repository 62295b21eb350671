package agent

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/display"
	"evalpad/pad"
	"evalpad/pad/localapi"
	"evalpad/pad/padtest"
	"evalpad/rating"
)

// wantState asserts what the local API reports: the screen, and when the
// open session becomes unrated ("" none).
func wantState(t *testing.T, r *running, screen pad.Screen, deadline time.Time) {
	t.Helper()
	var st localapi.State
	r.call(t, "GET", "/api/v1/state", nil, &st)
	if st.Screen != screen {
		t.Fatalf("screen %s, want %s", st.Screen, screen)
	}
	if deadline.IsZero() {
		return
	}
	if st.Session == nil || st.Session.Deadline != rating.FormatTime(deadline, t0.Location()) {
		t.Fatalf("session %+v, want one due at %s", st.Session, rating.FormatTime(deadline, t0.Location()))
	}
}

// lastRecord asserts the newest stored record's kind, flags and time.
func lastRecord(t *testing.T, a *Agent, sess string, kind rating.Kind, flag string, at time.Time) {
	t.Helper()
	recs := records(t, a.store)
	if len(recs) == 0 {
		t.Fatal("no record")
	}
	r := recs[len(recs)-1]
	if r.SessionID != sess || r.Kind != kind || !slices.Equal(r.Flags, []string{flag}) || r.At != rating.FormatTime(at, t0.Location()) {
		t.Fatalf("last record %s %s %v at %s, want %s %s [%s] at %s", r.SessionID, r.Kind, r.Flags, r.At,
			sess, kind, flag, rating.FormatTime(at, t0.Location()))
	}
}

// unratedAt asserts that the open session sess is due at at, still open a
// millisecond before, and an unrated record (session_timeout) at at.
func unratedAt(t *testing.T, r *running, clock *padtest.Clock, sess string, at time.Time) {
	t.Helper()
	wantState(t, r, pad.ScreenRate, at)
	clock.Advance(at.Add(-time.Millisecond).Sub(clock.Now()))
	wantState(t, r, pad.ScreenRate, at)
	clock.Advance(time.Millisecond)
	wantState(t, r, pad.ScreenIdle, time.Time{})
	lastRecord(t, r.Agent, sess, rating.KindUnrated, rating.FlagSessionTimeout, at)
}

// display.elder = true in the pad's config file doubles, end to end, the
// reasons screen's timeout (60 → 120 s), the thank-you's duration (3 → 6 s)
// and the session's timeout (10 → 20 min): a session from the LAN, a 2★ on
// the buttons, the records in the store.
func TestElderConfigFileDoublesTimeouts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evalpad.toml")
	file := "data_dir = " + `"` + filepath.Join(dir, "data") + `"` + `
[api]
listen = "127.0.0.1:0"
[display]
elder = true
[receipt]
key = "0123456789abcdef-test"
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	f := newFakes()
	clock := newClock()
	r := start(t, cfg, Parts{Hardware: f.set(), Font: testFont(t), Clock: clock})

	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	wantState(t, r, pad.ScreenRate, t0.Add(20*time.Minute))
	if err := f.buttons.Press(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	wantState(t, r, pad.ScreenReasons, time.Time{})
	clock.Advance(120*time.Second - time.Millisecond)
	wantState(t, r, pad.ScreenReasons, time.Time{})
	clock.Advance(time.Millisecond)
	wantState(t, r, pad.ScreenThanks, time.Time{})
	lastRecord(t, r.Agent, "S-1", rating.KindRating, rating.FlagReasonsTimeout, t0.Add(120*time.Second))
	clock.Advance(6*time.Second - time.Millisecond)
	wantState(t, r, pad.ScreenThanks, time.Time{})
	clock.Advance(time.Millisecond)
	wantState(t, r, pad.ScreenIdle, time.Time{})

	opened := clock.Now()
	if code := r.call(t, "POST", "/api/v1/sessions", session("S-2"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	unratedAt(t, r, clock, "S-2", opened.Add(20*time.Minute))
}

// A down/config from the central that changes the rules keeps them doubled
// on a pad with display.elder, live and after a restart (the same overlay
// of the file's config at start).
func TestCentralRulesKeepElderDoubling(t *testing.T) {
	cfg := testConfig(t)
	cfg.Display.Elder = true
	clock := newClock()
	a := build(t, cfg, Parts{Font: testFont(t), Clock: clock})
	a.pad.Start()
	c := parseConfig(t, `{"id":"cfg-rules","rules":{"session_timeout":"3m","reasons_timeout":"30s","thanks_duration":"2s"}}`)
	if err := (downlink{a}).ApplyConfig(c); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !a.Config().Display.Elder {
		t.Fatal("the central's config turned display.elder off")
	}
	check := func(a *Agent, sess string) {
		t.Helper()
		opened := clock.Now()
		if _, err := a.OpenSession(ratingSession(sess)); err != nil {
			t.Fatal(err)
		}
		if v := a.pad.View(); v.Session == nil || v.Session.Deadline != rating.FormatTime(opened.Add(6*time.Minute), t0.Location()) {
			t.Fatalf("session %+v, want one due in 6 min (3 doubled)", v.Session)
		}
		if out, err := a.pad.Press(1); err != nil || out.Result != pad.ResultReasons {
			t.Fatalf("press: %+v %v", out, err)
		}
		clock.Advance(60*time.Second - time.Millisecond)
		if s := a.pad.View().Screen; s != pad.ScreenReasons {
			t.Fatalf("screen %s before 60 s (30 doubled)", s)
		}
		clock.Advance(time.Millisecond)
		lastRecord(t, a, sess, rating.KindRating, rating.FlagReasonsTimeout, opened.Add(time.Minute))
		clock.Advance(4*time.Second - time.Millisecond)
		if s := a.pad.View().Screen; s != pad.ScreenThanks {
			t.Fatalf("screen %s before 4 s of thanks (2 doubled)", s)
		}
		clock.Advance(time.Millisecond)
		if s := a.pad.View().Screen; s != pad.ScreenIdle {
			t.Fatalf("screen %s after the thank-you", s)
		}
	}
	check(a, "S-1")
	a.Close()

	b := build(t, cfg, Parts{Font: testFont(t), Clock: clock})
	b.pad.Start()
	check(b, "S-2")
}

// The citizen's touch on 大字 survives a restart of the agent over the same
// store: the screen comes back in elder mode (its toggle now says 标准字),
// and the session's timeout stays doubled past the standard 10 min.
func TestElderTouchSurvivesAgentRestart(t *testing.T) {
	cfg := testConfig(t)
	clock := newClock()
	f := newFakes()
	r := start(t, cfg, Parts{Hardware: f.set(), Font: testFont(t), Clock: clock})
	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	elder := make(chan struct{})
	unsub := r.pad.Subscribe(func(v pad.View) {
		if v.Elder {
			select {
			case <-elder:
			default:
				close(elder)
			}
		}
	})
	tg, ok := elderToggle(r.Screen().Targets())
	if !ok || !tg.Elder {
		t.Fatalf("no 大字 on the rate screen: %+v", tg)
	}
	c := tg.Rect.Min.Add(tg.Rect.Size().Div(2))
	if err := f.touch.Tap(context.Background(), c.X, c.Y); err != nil {
		t.Fatal(err)
	}
	within(t, "elder mode", elder)
	unsub()
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	r.Close()

	clock.Advance(11 * time.Minute) // the pad was off past the standard timeout
	r = start(t, cfg, Parts{Hardware: newFakes().set(), Font: testFont(t), Clock: clock})
	if v := r.pad.View(); !v.Elder || v.Screen != pad.ScreenRate {
		t.Fatalf("after the restart: screen %s, elder %v", v.Screen, v.Elder)
	}
	if tg, ok := elderToggle(r.Screen().Targets()); !ok || tg.Elder {
		t.Fatalf("after the restart the screen is not in elder mode (toggle %+v)", tg)
	}
	unratedAt(t, r, clock, "S-1", t0.Add(20*time.Minute))
}

func elderToggle(ts []display.TargetRect) (display.TargetRect, bool) {
	for _, tg := range ts {
		if tg.Kind == display.TargetElder {
			return tg, true
		}
	}
	return display.TargetRect{}, false
}
