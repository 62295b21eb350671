package pad_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/rating"
)

// TestRating walks the rules of one evaluation, one scenario a row.
func TestRating(t *testing.T) {
	const S = "S-20261125-0001"
	single1 := func(stars int) summary { return rated(S, rating.ModeSingle, stars, pno1) }
	for _, tc := range []struct {
		name   string
		opts   []option
		do     func(t *testing.T, r *rig)
		want   []summary
		screen pad.Screen // after the steps
	}{
		{"single 5★", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.screen(pad.ScreenRate)
			r.press(5, pad.ResultRecorded)
		}, []summary{single1(5)}, pad.ScreenThanks},

		{"3★ is 好评, no reasons", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(3, pad.ResultRecorded)
		}, []summary{single1(3)}, pad.ScreenThanks},

		{"4★", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(4, pad.ResultRecorded)
		}, []summary{single1(4)}, pad.ScreenThanks},

		{"2★ asks reasons, two chosen, confirmed", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			r.screen(pad.ScreenReasons)
			if got := r.records(); len(got) != 0 {
				t.Fatalf("a 差评 was recorded before its reasons: %+v", got)
			}
			v := r.p.View()
			if v.Stars != 2 || len(v.Offered) != 8 || v.Offered[0].Code != "207" || len(v.Selected) != 0 {
				t.Fatalf("reasons screen %+v", v)
			}
			r.toggle("213", "214")
			if got := r.p.View().Selected; !reflect.DeepEqual(got, []string{"213", "214"}) {
				t.Fatalf("selected %v", got)
			}
			out := r.confirm()
			if out.Record.Good || out.Record.Stars != 2 {
				t.Errorf("confirmed record %+v", out.Record)
			}
		}, []summary{single1(2).with(func(s *summary) { s.Reasons = []string{"213", "214"} })}, pad.ScreenThanks},

		{"1★ with a reason", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(1, pad.ResultReasons)
			r.toggle("115")
			r.confirm()
		}, []summary{single1(1).with(func(s *summary) { s.Reasons = []string{"115"} })}, pad.ScreenThanks},

		{"toggle twice unselects", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			r.toggle("213", "209", "213")
			r.confirm()
		}, []summary{single1(2).with(func(s *summary) { s.Reasons = []string{"209"} })}, pad.ScreenThanks},

		{"SubmitReasons chooses exactly", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			r.toggle("213")
			out, err := r.p.SubmitReasons([]string{"207", "208"})
			if err != nil || out.Result != pad.ResultRecorded {
				t.Fatalf("SubmitReasons = %+v, %v", out, err)
			}
		}, []summary{single1(2).with(func(s *summary) { s.Reasons = []string{"207", "208"} })}, pad.ScreenThanks},

		{"confirm with none: ErrNoReason, nothing stored", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			out, err := r.p.Confirm()
			isErr(t, err, pad.ErrNoReason)
			if out.Screen != pad.ScreenReasons || out.Record != nil {
				t.Errorf("Confirm = %+v", out)
			}
			_, err = r.p.SubmitReasons([]string{})
			isErr(t, err, pad.ErrNoReason)
			r.toggle("213", "213")
			_, err = r.p.Confirm()
			isErr(t, err, pad.ErrNoReason)
		}, nil, pad.ScreenReasons},

		{"a 1★ reason on a 2★ changes nothing", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			r.toggle("213")
			_, err := r.p.ToggleReason("108")
			isErr(t, err, rating.ErrUnknownReason)
			_, err = r.p.ToggleReason("999")
			isErr(t, err, rating.ErrUnknownReason)
			_, err = r.p.SubmitReasons([]string{"214", "108"})
			isErr(t, err, rating.ErrUnknownReason)
			_, err = r.p.SubmitReasons([]string{"214", "214"})
			isErr(t, err, rating.ErrUnknownReason)
			if v := r.p.View(); v.Stars != 2 || !reflect.DeepEqual(v.Selected, []string{"213"}) {
				t.Fatalf("after bad codes: stars %d selected %v", v.Stars, v.Selected)
			}
		}, nil, pad.ScreenReasons},

		{"2★ then 1★ clears the choice", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			r.toggle("213", "214")
			r.press(2, pad.ResultChanged) // the same level again keeps the choice
			if got := r.p.View().Selected; len(got) != 2 {
				t.Fatalf("pressing 2★ again lost the choice: %v", got)
			}
			r.press(1, pad.ResultReasons)
			v := r.p.View()
			if v.Stars != 1 || len(v.Selected) != 0 || v.Offered[0].Code != "108" {
				t.Fatalf("after 1★: %+v", v)
			}
			_, err := r.p.ToggleReason("213")
			isErr(t, err, rating.ErrUnknownReason)
			r.toggle("108")
			r.confirm()
		}, []summary{single1(1).with(func(s *summary) { s.Reasons = []string{"108"} })}, pad.ScreenThanks},

		{"4★ on the reasons screen is a 好评", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(2, pad.ResultReasons)
			r.toggle("213")
			r.press(4, pad.ResultRecorded)
		}, []summary{single1(4)}, pad.ScreenThanks},

		{"batch: one record, all cases", nil, func(t *testing.T, r *rig) {
			r.openSession(batch(S))
			r.press(5, pad.ResultRecorded)
		}, []summary{rated(S, rating.ModeBatch, 5, pno1, pno2, pno3)}, pad.ScreenThanks},

		{"batch 差评: one record, all cases", nil, func(t *testing.T, r *rig) {
			r.openSession(batch(S))
			r.press(2, pad.ResultReasons)
			r.toggle("210")
			r.confirm()
		}, []summary{rated(S, rating.ModeBatch, 2, pno1, pno2, pno3).with(func(s *summary) { s.Reasons = []string{"210"} })}, pad.ScreenThanks},

		{"theme overall", nil, func(t *testing.T, r *rig) {
			r.openSession(theme(S))
			if v := r.p.View(); v.Session.Target != "" || len(v.Session.Rated) != 0 {
				t.Fatalf("theme opens on %+v", v.Session)
			}
			r.selectTarget(pno2)
			r.selectTarget("") // back to overall before any item is rated
			r.press(4, pad.ResultRecorded)
			r.clock.Advance(3 * time.Second)
			r.screen(pad.ScreenIdle)
			_, err := r.p.OpenSession(theme(S))
			isErr(t, err, pad.ErrSessionClosed)
		}, []summary{rated(S, rating.ModeTheme, 4, pno1, pno2, pno3)}, pad.ScreenIdle},

		{"theme per item", nil, func(t *testing.T, r *rig) {
			r.openSession(theme(S))
			r.selectTarget(pno2)
			r.press(5, pad.ResultRecorded)
			r.clock.Advance(3 * time.Second)
			r.screen(pad.ScreenRate) // the rest are still to rate
			v := r.p.View()
			if v.Session == nil || v.Session.Target != pno1 || !reflect.DeepEqual(v.Session.Rated, []string{pno2}) {
				t.Fatalf("after the first item: %+v", v.Session)
			}
			_, err := r.p.SelectTarget("")
			isErr(t, err, pad.ErrUnknownTarget)
			_, err = r.p.SelectTarget(pno2) // already rated
			isErr(t, err, pad.ErrUnknownTarget)
			_, err = r.p.SelectTarget("37090020261125000999")
			isErr(t, err, pad.ErrUnknownTarget)
			if res := r.openSession(theme(S)); !res.Already {
				t.Fatalf("re-opening the theme half rated: %+v", res)
			}
			r.press(2, pad.ResultReasons) // rates pno1, selected for us
			_, err = r.p.SelectTarget(pno3)
			isErr(t, err, pad.ErrNotNow)
			r.toggle("207")
			r.confirm()
			r.clock.Advance(3 * time.Second)
			if v := r.p.View(); v.Screen != pad.ScreenRate || v.Session.Target != pno3 {
				t.Fatalf("after the second item: %+v", v)
			}
			r.press(3, pad.ResultRecorded)
			if v := r.p.View(); v.Session != nil {
				t.Fatalf("session still open after the last item: %+v", v.Session)
			}
			r.clock.Advance(3 * time.Second)
			r.screen(pad.ScreenIdle)
			if raw, err := r.st.Session(); err != nil || raw != nil {
				t.Fatalf("store still holds a session: %s, %v", raw, err)
			}
			_, err = r.p.OpenSession(theme(S))
			isErr(t, err, pad.ErrSessionClosed)
		}, []summary{
			rated(S, rating.ModeTheme, 5, pno2).with(func(s *summary) { s.Target = pno2 }),
			rated(S, rating.ModeTheme, 2, pno1).with(func(s *summary) { s.Target, s.Reasons = pno1, []string{"207"} }),
			rated(S, rating.ModeTheme, 3, pno3).with(func(s *summary) { s.Target = pno3 }),
		}, pad.ScreenIdle},

		{"SelectTarget only on a theme's rate screen", nil, func(t *testing.T, r *rig) {
			_, err := r.p.SelectTarget(pno1)
			isErr(t, err, pad.ErrNotNow)
			r.openSession(single(S))
			_, err = r.p.SelectTarget(pno1)
			isErr(t, err, pad.ErrNotNow)
		}, nil, pad.ScreenRate},

		{"reasons timeout records the reasons chosen", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.clock.Advance(5 * time.Second)
			r.press(2, pad.ResultReasons)
			r.clock.Advance(20 * time.Second)
			r.toggle("213", "209") // choosing does not extend the time
			r.clock.Advance(39 * time.Second)
			r.screen(pad.ScreenReasons)
			r.clock.Advance(2 * time.Second)
			recs := r.records()
			if len(recs) == 1 && recs[0].At != "2026-11-25T10:01:05.000+08:00" {
				t.Errorf("at %s, want the reasons deadline", recs[0].At)
			}
		}, []summary{single1(2).with(func(s *summary) {
			s.Reasons, s.Flags = []string{"213", "209"}, []string{rating.FlagReasonsTimeout}
		})}, pad.ScreenThanks},

		{"reasons timeout with none chosen", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(1, pad.ResultReasons)
			r.clock.Advance(61 * time.Second)
		}, []summary{single1(1).with(func(s *summary) { s.Flags = []string{rating.FlagReasonsTimeout} })}, pad.ScreenThanks},

		{"session timeout: unrated", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.clock.Advance(10*time.Minute - time.Millisecond)
			r.screen(pad.ScreenRate)
			r.clock.Advance(time.Millisecond)
			recs := r.records()
			if len(recs) == 1 && (recs[0].At != "2026-11-25T10:10:00.000+08:00" || recs[0].OpenedAt != "2026-11-25T10:00:00.000+08:00" || recs[0].Good) {
				t.Errorf("unrated record %+v", recs[0])
			}
			if r.clock.Pending() != 0 {
				t.Errorf("an idle pad keeps %d timers armed", r.clock.Pending())
			}
			r.clock.Advance(5 * time.Second)
			r.press(5, pad.ResultNoSession)
			_, err := r.p.OpenSession(single(S))
			isErr(t, err, pad.ErrSessionClosed)
		}, []summary{{Kind: rating.KindUnrated, Session: S, Mode: rating.ModeSingle, Reasons: []string{},
			Flags: []string{rating.FlagSessionTimeout}, Cases: []string{pno1}}}, pad.ScreenIdle},

		{"session timeout of a half-rated theme: the rest unrated", nil, func(t *testing.T, r *rig) {
			r.openSession(theme(S))
			r.selectTarget(pno3)
			r.press(4, pad.ResultRecorded)
			r.clock.Advance(10 * time.Minute)
		}, []summary{
			rated(S, rating.ModeTheme, 4, pno3).with(func(s *summary) { s.Target = pno3 }),
			{Kind: rating.KindUnrated, Session: S, Mode: rating.ModeTheme, Reasons: []string{},
				Flags: []string{rating.FlagSessionTimeout}, Cases: []string{pno1, pno2}},
		}, pad.ScreenIdle},

		{"one session, one evaluation", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(5, pad.ResultRecorded)
			r.clock.Advance(10 * time.Second)
			r.screen(pad.ScreenIdle)
			r.press(5, pad.ResultNoSession)
			r.press(1, pad.ResultNoSession)
			if c := r.p.View().Counters; c.NoSession != 2 || c.Ignored != 0 {
				t.Errorf("counters %+v", c)
			}
			_, err := r.p.OpenSession(single(S))
			isErr(t, err, pad.ErrSessionClosed)
			r.screen(pad.ScreenIdle)
		}, []summary{single1(5)}, pad.ScreenIdle},

		{"re-open while open: already, nothing changes", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.clock.Advance(time.Minute)
			again := single(S)
			again.Cases[0].TaskName = "别的事项"
			res := r.openSession(again)
			if !res.Already || res.Closed != nil || res.Screen != pad.ScreenRate {
				t.Fatalf("OpenSession again = %+v", res)
			}
			v := r.p.View()
			if v.Session.OpenedAt != "2026-11-25T10:00:00.000+08:00" || v.Session.Cases[0].TaskName != "企业设立登记" {
				t.Fatalf("re-opening changed the session: %+v", v.Session)
			}
			r.press(2, pad.ResultReasons)
			r.toggle("213")
			res = r.openSession(single(S))
			if !res.Already || res.Screen != pad.ScreenReasons {
				t.Fatalf("OpenSession on the reasons screen = %+v", res)
			}
			if got := r.p.View().Selected; !reflect.DeepEqual(got, []string{"213"}) {
				t.Fatalf("re-opening lost the choice: %v", got)
			}
		}, nil, pad.ScreenReasons},

		{"walk-in off: counted, no record", nil, func(t *testing.T, r *rig) {
			r.press(5, pad.ResultNoSession)
			r.press(2, pad.ResultNoSession)
			if c := r.p.View().Counters; c.NoSession != 2 {
				t.Errorf("counters %+v", c)
			}
		}, nil, pad.ScreenIdle},

		{"walk-in on: recorded and flagged", []option{withWalkin}, func(t *testing.T, r *rig) {
			out := r.press(4, pad.ResultRecorded)
			if out.Record.Staff != (rating.RecordStaff{ID: "TA0999", Name: "值班员"}) || out.Record.OpenedAt != "" {
				t.Errorf("walk-in record %+v", out.Record)
			}
			r.clock.Advance(5 * time.Second)
			r.press(1, pad.ResultReasons)
			r.toggle("113")
			r.confirm()
		}, []summary{
			{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 4, Reasons: []string{}, Flags: []string{rating.FlagWalkin}, Cases: []string{}},
			{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 1, Reasons: []string{"113"}, Flags: []string{rating.FlagWalkin}, Cases: []string{}},
		}, pad.ScreenThanks},

		{"walk-in 差评 left on the reasons screen", []option{withWalkin}, func(t *testing.T, r *rig) {
			r.press(2, pad.ResultReasons)
			r.toggle("208")
			r.clock.Advance(time.Minute)
		}, []summary{{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 2, Reasons: []string{"208"},
			Flags: []string{rating.FlagWalkin, rating.FlagReasonsTimeout}, Cases: []string{}}}, pad.ScreenThanks},

		{"anti-abuse interval", []option{withWalkin}, func(t *testing.T, r *rig) {
			r.press(5, pad.ResultRecorded)
			r.clock.Advance(2 * time.Second)
			r.press(5, pad.ResultIgnored) // thank-you screen, and within the interval
			r.clock.Advance(4 * time.Second)
			r.press(5, pad.ResultRecorded) // +6s
			if c := r.p.View().Counters; c.Ignored != 1 {
				t.Errorf("counters %+v", c)
			}
		}, []summary{
			{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 5, Reasons: []string{}, Flags: []string{rating.FlagWalkin}, Cases: []string{}},
			{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 5, Reasons: []string{}, Flags: []string{rating.FlagWalkin}, Cases: []string{}},
		}, pad.ScreenThanks},

		{"anti-abuse interval outlasts the thank-you screen", []option{withWalkin, withSettings(func(s *pad.Settings) {
			s.MinInterval = 10 * time.Second
		})}, func(t *testing.T, r *rig) {
			r.press(5, pad.ResultRecorded)
			r.clock.Advance(4 * time.Second)
			r.screen(pad.ScreenIdle)
			r.openSession(single(S)) // a new session does not lift the interval
			r.press(1, pad.ResultIgnored)
			r.clock.Advance(6 * time.Second)
			r.press(3, pad.ResultRecorded)
			if c := r.p.View().Counters; c.Ignored != 1 {
				t.Errorf("counters %+v", c)
			}
		}, []summary{
			{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 5, Reasons: []string{}, Flags: []string{rating.FlagWalkin}, Cases: []string{}},
			single1(3),
		}, pad.ScreenThanks},

		{"replaced session: unrated", nil, func(t *testing.T, r *rig) {
			r.openSession(single("S-A"))
			r.clock.Advance(30 * time.Second)
			res := r.openSession(batch("S-B"))
			if len(res.Closed) != 1 || res.Closed[0].Kind != rating.KindUnrated || res.Screen != pad.ScreenRate {
				t.Fatalf("OpenSession = %+v", res)
			}
			if recs := r.records(); len(recs) != 1 || res.Closed[0].Seq != recs[0].Seq || res.Closed[0].ID != recs[0].ID {
				t.Errorf("OpenResult.Closed %+v is not the stored record %+v", res.Closed, recs)
			}
			if v := r.p.View(); v.Session.ID != "S-B" || v.Session.OpenedAt != "2026-11-25T10:00:30.000+08:00" {
				t.Fatalf("open session %+v", v.Session)
			}
			r.clock.Advance(5 * time.Second)
			r.press(5, pad.ResultRecorded)
			_, err := r.p.OpenSession(single("S-A"))
			isErr(t, err, pad.ErrSessionClosed)
		}, []summary{
			{Kind: rating.KindUnrated, Session: "S-A", Mode: rating.ModeSingle, Reasons: []string{}, Flags: []string{rating.FlagReplaced}, Cases: []string{pno1}},
			rated("S-B", rating.ModeBatch, 5, pno1, pno2, pno3),
		}, pad.ScreenThanks},

		{"replaced on the reasons screen: 差评 interrupted", nil, func(t *testing.T, r *rig) {
			r.openSession(single("S-A"))
			r.press(2, pad.ResultReasons)
			r.toggle("214")
			res := r.openSession(single("S-B"))
			if len(res.Closed) != 1 || res.Closed[0].Stars != 2 || res.Screen != pad.ScreenRate {
				t.Fatalf("OpenSession = %+v", res)
			}
			if v := r.p.View(); v.Session.ID != "S-B" || v.Stars != 0 {
				t.Fatalf("after replacing: %+v", v)
			}
			r.clock.Advance(2 * time.Minute) // no reasons timeout for the closed 差评
		}, []summary{
			rated("S-A", rating.ModeSingle, 2, pno1).with(func(s *summary) {
				s.Reasons, s.Flags = []string{"214"}, []string{rating.FlagInterrupted}
			}),
		}, pad.ScreenRate},

		{"replaced half-rated theme: the rest unrated", nil, func(t *testing.T, r *rig) {
			r.openSession(theme("S-A"))
			r.selectTarget(pno1)
			r.press(5, pad.ResultRecorded)
			r.openSession(single("S-B")) // during the thank-you screen
		}, []summary{
			rated("S-A", rating.ModeTheme, 5, pno1).with(func(s *summary) { s.Target = pno1 }),
			{Kind: rating.KindUnrated, Session: "S-A", Mode: rating.ModeTheme, Reasons: []string{}, Flags: []string{rating.FlagReplaced}, Cases: []string{pno2, pno3}},
		}, pad.ScreenRate},

		{"replaced theme on an item's reasons screen: 差评 interrupted, the rest unrated", nil, func(t *testing.T, r *rig) {
			r.openSession(theme("S-A"))
			r.selectTarget(pno1)
			r.press(4, pad.ResultRecorded)
			r.clock.Advance(3 * time.Second)
			r.press(1, pad.ResultReasons) // pno2, selected for us
			r.toggle("110")
			res := r.openSession(single("S-B"))
			if res.Closed == nil || res.Screen != pad.ScreenRate {
				t.Fatalf("OpenSession = %+v", res)
			}
			if v := r.p.View(); v.Session.ID != "S-B" {
				t.Fatalf("after replacing: %+v", v.Session)
			}
		}, []summary{
			rated("S-A", rating.ModeTheme, 4, pno1).with(func(s *summary) { s.Target = pno1 }),
			rated("S-A", rating.ModeTheme, 1, pno2).with(func(s *summary) {
				s.Target, s.Reasons, s.Flags = pno2, []string{"110"}, []string{rating.FlagInterrupted}
			}),
			{Kind: rating.KindUnrated, Session: "S-A", Mode: rating.ModeTheme, Reasons: []string{}, Flags: []string{rating.FlagReplaced}, Cases: []string{pno3}},
		}, pad.ScreenRate},

		{"replaced theme on the first item's reasons screen", nil, func(t *testing.T, r *rig) {
			r.openSession(theme("S-A"))
			r.selectTarget(pno2)
			r.press(2, pad.ResultReasons)
			r.openSession(theme("S-B"))
		}, []summary{
			rated("S-A", rating.ModeTheme, 2, pno2).with(func(s *summary) { s.Target, s.Flags = pno2, []string{rating.FlagInterrupted} }),
			{Kind: rating.KindUnrated, Session: "S-A", Mode: rating.ModeTheme, Reasons: []string{}, Flags: []string{rating.FlagReplaced}, Cases: []string{pno1, pno3}},
		}, pad.ScreenRate},

		{"replaced theme on the overall reasons screen: one 差评 for all", nil, func(t *testing.T, r *rig) {
			r.openSession(theme("S-A"))
			r.press(1, pad.ResultReasons)
			r.toggle("113")
			r.openSession(single("S-B"))
		}, []summary{
			rated("S-A", rating.ModeTheme, 1, pno1, pno2, pno3).with(func(s *summary) { s.Reasons, s.Flags = []string{"113"}, []string{rating.FlagInterrupted} }),
		}, pad.ScreenRate},

		{"walk-in 差评 interrupted by a session", []option{withWalkin}, func(t *testing.T, r *rig) {
			r.press(2, pad.ResultReasons)
			r.toggle("211")
			res := r.openSession(single("S-B"))
			if len(res.Closed) != 1 || res.Closed[0].SessionID != "" {
				t.Fatalf("OpenSession = %+v", res)
			}
		}, []summary{{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 2, Reasons: []string{"211"},
			Flags: []string{rating.FlagWalkin, rating.FlagInterrupted}, Cases: []string{}}}, pad.ScreenRate},

		{"a session opened on the thank-you screen", nil, func(t *testing.T, r *rig) {
			r.openSession(single("S-A"))
			r.press(4, pad.ResultRecorded)
			r.clock.Advance(time.Second)
			res := r.openSession(single("S-B"))
			if res.Closed != nil || res.Screen != pad.ScreenRate {
				t.Fatalf("OpenSession = %+v", res)
			}
		}, []summary{rated("S-A", rating.ModeSingle, 4, pno1)}, pad.ScreenRate},

		{"an invalid session changes nothing", nil, func(t *testing.T, r *rig) {
			r.openSession(single("S-A"))
			bad := single("S-B")
			bad.Cases = append(bad.Cases, rating.Case{ProjectNo: pno2, TaskName: "x"})
			_, err := r.p.OpenSession(bad)
			isErr(t, err, rating.ErrInvalidSession)
			_, err = r.p.OpenSession(rating.Session{})
			isErr(t, err, rating.ErrInvalidSession)
			if v := r.p.View(); v.Session.ID != "S-A" {
				t.Fatalf("open session %+v", v.Session)
			}
		}, nil, pad.ScreenRate},

		{"pause", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			isErr(t, r.p.Pause(), pad.ErrSessionOpen)
			r.press(2, pad.ResultReasons)
			isErr(t, r.p.Pause(), pad.ErrSessionOpen)
			r.toggle("213")
			r.confirm()
			if err := r.p.Pause(); err != nil { // on the thank-you screen, no session left
				t.Fatalf("Pause: %v", err)
			}
			r.screen(pad.ScreenPaused)
			if err := r.p.Pause(); err != nil {
				t.Fatalf("Pause again: %v", err)
			}
			r.clock.Advance(time.Hour)
			r.press(5, pad.ResultPaused)
			r.press(1, pad.ResultPaused)
			if c := r.p.View().Counters; c.WhilePaused != 2 || c.NoSession != 0 {
				t.Errorf("counters %+v", c)
			}
			_, err := r.p.OpenSession(single("S-B"))
			isErr(t, err, pad.ErrPaused)
			if err := r.p.Resume(); err != nil {
				t.Fatal(err)
			}
			r.screen(pad.ScreenIdle)
			r.openSession(single("S-B"))
			r.press(5, pad.ResultRecorded)
		}, []summary{
			single1(2).with(func(s *summary) { s.Reasons = []string{"213"} }),
			rated("S-B", rating.ModeSingle, 5, pno1),
		}, pad.ScreenThanks},

		{"pause refused while a theme waits on the thank-you screen", nil, func(t *testing.T, r *rig) {
			r.openSession(theme(S))
			r.selectTarget(pno1)
			r.press(5, pad.ResultRecorded)
			isErr(t, r.p.Pause(), pad.ErrSessionOpen)
		}, []summary{rated(S, rating.ModeTheme, 5, pno1).with(func(s *summary) { s.Target = pno1 })}, pad.ScreenThanks},

		{"thanks, then idle", nil, func(t *testing.T, r *rig) {
			r.openSession(single(S))
			r.press(5, pad.ResultRecorded)
			r.press(5, pad.ResultIgnored)
			r.clock.Advance(3*time.Second - time.Millisecond)
			r.screen(pad.ScreenThanks)
			r.clock.Advance(time.Millisecond)
			r.screen(pad.ScreenIdle)
			if v := r.p.View(); v.Last == nil || v.Last.Stars != 5 || v.Counters.Ignored != 1 {
				t.Errorf("view %+v", v)
			}
			if n := r.clock.Pending(); n != 0 {
				t.Errorf("idle pad keeps %d timers", n)
			}
		}, []summary{single1(5)}, pad.ScreenIdle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.opts...)
			tc.do(t, r)
			r.screen(tc.screen)
			r.wantRecords(tc.want...)
		})
	}
}

func TestPressOutOfRange(t *testing.T) {
	r := newRig(t, withWalkin)
	for _, n := range []int{0, -1, 6, 10} {
		if _, err := r.p.Press(n); err == nil {
			t.Errorf("Press(%d) = nil error", n)
		}
	}
	if c := r.p.View().Counters; c != (pad.Counters{}) {
		t.Errorf("counters %+v", c)
	}
	r.wantRecords()
}

func TestNotNow(t *testing.T) {
	r := newRig(t)
	_, err := r.p.ToggleReason("213")
	isErr(t, err, pad.ErrNotNow)
	_, err = r.p.Confirm()
	isErr(t, err, pad.ErrNotNow)
	_, err = r.p.SubmitReasons([]string{"213"})
	isErr(t, err, pad.ErrNotNow)
	r.openSession(single("S-1"))
	_, err = r.p.Confirm()
	isErr(t, err, pad.ErrNotNow)
	r.wantRecords()
}

// With buttons only, the reasons screen is driven by the star buttons:
// 2 previous, 1 next, 3 selects, 5 confirms.
func TestButtonsOnlyReasons(t *testing.T) {
	r := newRig(t, withSettings(func(s *pad.Settings) { s.ButtonsOnly = true }))
	r.openSession(single("S-1"))
	r.press(2, pad.ResultReasons)
	if v := r.p.View(); v.Focus != 0 || v.Offered[0].Code != "207" {
		t.Fatalf("reasons view %+v", v)
	}
	r.press(5, pad.ResultChanged) // nothing chosen yet: no confirm
	r.press(2, pad.ResultChanged) // wraps to the last: 214
	r.press(3, pad.ResultChanged)
	r.press(1, pad.ResultChanged) // on to the first: 207
	r.press(1, pad.ResultChanged) // 208
	r.press(3, pad.ResultChanged)
	r.press(3, pad.ResultChanged) // unselect 208
	r.press(1, pad.ResultChanged) // 209
	r.press(3, pad.ResultChanged)
	if v := r.p.View(); v.Focus != 2 || !slices.Equal(v.Selected, []string{"214", "209"}) {
		t.Fatalf("focus %d selected %v", v.Focus, v.Selected)
	}
	r.press(4, pad.ResultChanged) // 4 does nothing here
	r.screen(pad.ScreenReasons)
	r.press(5, pad.ResultRecorded)
	r.wantRecords(rated("S-1", rating.ModeSingle, 2, pno1).with(func(s *summary) { s.Reasons = []string{"214", "209"} }))
}

// A config from the central applies live: a shorter session timeout ends the
// open session by it, and walk-in turns on from the next press.
func TestReconfigureLive(t *testing.T) {
	r := newRig(t)
	r.openSession(single("S-1"))
	set := settings()
	set.SessionTimeout = time.Minute
	set.Walkin = true
	if err := r.p.Reconfigure(set); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(61 * time.Second)
	r.screen(pad.ScreenIdle)
	r.clock.Advance(5 * time.Second)
	r.press(5, pad.ResultRecorded)
	r.wantRecords(
		summary{Kind: rating.KindUnrated, Session: "S-1", Mode: rating.ModeSingle, Reasons: []string{}, Flags: []string{rating.FlagSessionTimeout}, Cases: []string{pno1}},
		summary{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 5, Reasons: []string{}, Flags: []string{rating.FlagWalkin}, Cases: []string{}})
	bad := settings()
	bad.Reasons.One = nil
	if err := r.p.Reconfigure(bad); err == nil {
		t.Error("Reconfigure took reasons that fail validation")
	}
}
