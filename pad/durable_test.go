package pad_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/rating"
)

// applicantPayload carries applicant data everywhere a business system
// might put it, and a staff photo.
const applicantPayload = `{
  "session_id": "S-20261125-0042", "mode": "theme",
  "applicant": {"name": "李小明", "phone": "13912345678", "id_number": "11010519491231002X", "address": "泰安市泰山区东岳大街"},
  "applicant_name": "李小明", "phone": "13912345678", "id_number": "11010519491231002X",
  "staff": {"id": "TA0123", "name": "王丽", "photo": "data:image/png;base64,iVBORw0KGgoSTAFFPHOTOxyz=",
            "applicant": {"name": "李小明", "phone": "13912345678"}},
  "cases": [
    {"project_no": "37090020261125000123", "task_code": "T1", "task_name": "企业设立登记 申请人电话13912345678",
     "applicant": "李小明", "id_number": "11010519491231002X", "more": {"holder": {"name": "李小明", "idcard": "11010519491231002X"}}},
    {"project_no": "37090020261125000124", "task_code": "T2", "task_name": "公章刻制（身份证11010519491231002X）"},
    {"project_no": "37090020261125000125", "task_code": "T3", "task_name": "税务登记", "contact": "李小明 13912345678"}
  ]
}`

var applicantData = []string{"李小明", "13912345678", "11010519491231002X", "泰安市泰山区东岳大街", "iVBORw0KGgoSTAFFPHOTOxyz", "data:image/png"}

func TestPersonalDataNeverStored(t *testing.T) {
	r := newRig(t)
	s, err := rating.ParseSession([]byte(applicantPayload))
	if err != nil {
		t.Fatalf("ParseSession: %v", err)
	}
	if s.Staff.Photo == "" {
		t.Fatal("the photo should reach the pad (for the screen)")
	}
	r.openSession(s)
	vb, _ := json.Marshal(r.p.View())
	r.selectTarget(pno2)
	r.press(2, pad.ResultReasons) // the snapshot with the pending 差评 is stored too
	r.toggle("213")
	r.confirm()
	r.clock.Advance(5 * time.Second)
	r.press(5, pad.ResultRecorded) // the rest, one by one
	r.clock.Advance(5 * time.Second)
	r.press(4, pad.ResultRecorded)
	r.wantRecords(
		rated("S-20261125-0042", rating.ModeTheme, 2, pno2).with(func(s *summary) { s.Target, s.Reasons = pno2, []string{"213"} }),
		rated("S-20261125-0042", rating.ModeTheme, 5, pno1).with(func(s *summary) { s.Target = pno1 }),
		rated("S-20261125-0042", rating.ModeTheme, 4, pno3).with(func(s *summary) { s.Target = pno3 }),
	)
	for _, pii := range applicantData {
		if bytes.Contains(vb, []byte(pii)) {
			t.Errorf("the view shows %q: %s", pii, vb)
		}
	}
	recs := r.records()
	if got := recs[0].Cases[0].TaskName; got != "公章刻制（身份证＊）" {
		t.Errorf("task name in record: %q", got)
	}
	if recs[0].Staff != (rating.RecordStaff{ID: "TA0123", Name: "王丽"}) {
		t.Errorf("staff in record: %+v", recs[0].Staff)
	}
	path := r.path
	r.checkRecords()
	r.shut()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, pii := range applicantData {
		if bytes.Contains(raw, []byte(pii)) {
			t.Errorf("the store file holds %q", pii)
		}
	}
	for _, keep := range []string{pno1, pno2, pno3, "TA0123", "王丽", "公章刻制"} {
		if !bytes.Contains(raw, []byte(keep)) {
			t.Errorf("the store file lacks %q", keep)
		}
	}
	r.open() // for the cleanup's checks
}

func TestRestartRestoresOpenSession(t *testing.T) {
	r := newRig(t)
	r.openSession(single("S-1"))
	r.clock.Advance(2 * time.Minute)
	r.restart()
	r.screen(pad.ScreenRate)
	v := r.p.View()
	if v.Session == nil || v.Session.ID != "S-1" || v.Session.OpenedAt != "2026-11-25T10:00:00.000+08:00" ||
		v.Session.Deadline != "2026-11-25T10:10:00.000+08:00" {
		t.Fatalf("restored session %+v", v.Session)
	}
	if res := r.openSession(single("S-1")); !res.Already {
		t.Fatalf("re-open after restart: %+v", res)
	}
	r.press(5, pad.ResultRecorded)
	recs := r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1))
	if recs[0].OpenedAt != "2026-11-25T10:00:00.000+08:00" || recs[0].At != "2026-11-25T10:02:00.000+08:00" {
		t.Errorf("record times: opened %s at %s", recs[0].OpenedAt, recs[0].At)
	}
	// seq goes on after a restart.
	r.clock.Advance(5 * time.Second)
	r.restart()
	r.screen(pad.ScreenIdle)
	r.openSession(single("S-2"))
	out := r.press(3, pad.ResultRecorded)
	if out.Record.Seq != recs[0].Seq+1 {
		t.Errorf("seq after restart %d, before %d", out.Record.Seq, recs[0].Seq)
	}
	_, err := r.p.OpenSession(single("S-1"))
	isErr(t, err, pad.ErrSessionClosed)
}

func TestRestartKeepsTheSessionDeadline(t *testing.T) {
	r := newRig(t)
	r.openSession(batch("S-1"))
	r.clock.Advance(9 * time.Minute)
	r.shut()
	r.clock.Advance(5 * time.Minute) // the pad was off past the deadline
	r.open()
	r.screen(pad.ScreenIdle)
	recs := r.wantRecords(summary{Kind: rating.KindUnrated, Session: "S-1", Mode: rating.ModeBatch, Reasons: []string{},
		Flags: []string{rating.FlagSessionTimeout}, Cases: []string{pno1, pno2, pno3}})
	if recs[0].At != "2026-11-25T10:10:00.000+08:00" {
		t.Errorf("at %s, want the deadline", recs[0].At)
	}

	// A restored session that is not due yet times out on time.
	r.openSession(single("S-2"))
	r.clock.Advance(4 * time.Minute)
	r.restart()
	r.screen(pad.ScreenRate)
	r.clock.Advance(6 * time.Minute)
	r.screen(pad.ScreenIdle)
	r.wantRecords(recsSummary(recs)[0], summary{Kind: rating.KindUnrated, Session: "S-2", Mode: rating.ModeSingle, Reasons: []string{},
		Flags: []string{rating.FlagSessionTimeout}, Cases: []string{pno1}})
}

func recsSummary(recs []rating.Record) []summary {
	out := make([]summary, len(recs))
	for i, r := range recs {
		out[i] = summarize(r)
	}
	return out
}

func TestRestartMidReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []option
		do     func(r *rig)
		want   []summary
		screen pad.Screen
	}{
		{"single", nil, func(r *rig) {
			r.openSession(single("S-1"))
			r.clock.Advance(5 * time.Second)
			r.press(2, pad.ResultReasons)
			r.toggle("213", "214", "209", "214")
		}, []summary{rated("S-1", rating.ModeSingle, 2, pno1).with(func(s *summary) {
			s.Reasons, s.Flags = []string{"213", "209"}, []string{rating.FlagRecovered}
		})}, pad.ScreenIdle},
		{"no reason chosen yet", nil, func(r *rig) {
			r.openSession(single("S-1"))
			r.press(1, pad.ResultReasons)
		}, []summary{rated("S-1", rating.ModeSingle, 1, pno1).with(func(s *summary) { s.Flags = []string{rating.FlagRecovered} })}, pad.ScreenIdle},
		{"theme item: the rest stays open", nil, func(r *rig) {
			r.openSession(theme("S-1"))
			r.selectTarget(pno2)
			r.press(2, pad.ResultReasons)
			r.toggle("207")
		}, []summary{rated("S-1", rating.ModeTheme, 2, pno2).with(func(s *summary) {
			s.Target, s.Reasons, s.Flags = pno2, []string{"207"}, []string{rating.FlagRecovered}
		})}, pad.ScreenRate},
		{"walk-in", []option{withWalkin}, func(r *rig) {
			r.press(2, pad.ResultReasons)
			r.toggle("212")
		}, []summary{{Kind: rating.KindRating, Mode: rating.ModeSingle, Stars: 2, Reasons: []string{"212"},
			Flags: []string{rating.FlagWalkin, rating.FlagRecovered}, Cases: []string{}}}, pad.ScreenIdle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.opts...)
			tc.do(r)
			pressed := r.clock.Now()
			r.wantRecords()
			r.shut()
			r.clock.Advance(10 * time.Second)
			r.open()
			r.screen(tc.screen)
			recs := r.wantRecords(tc.want...)
			if want := rating.FormatTime(pressed, shanghai); recs[0].At != want {
				t.Errorf("recovered record at %s, want the press at %s", recs[0].At, want)
			}
			// Nothing is recorded twice, on this restart or the next.
			r.clock.Advance(2 * time.Minute)
			r.restart()
			r.wantRecords(tc.want...)
			if tc.screen == pad.ScreenRate {
				if v := r.p.View(); v.Session.Target != pno1 || len(v.Session.Rated) != 1 {
					t.Errorf("restored theme %+v", v.Session)
				}
				return
			}
			if _, err := r.p.OpenSession(single("S-1")); tc.name != "walk-in" {
				isErr(t, err, pad.ErrSessionClosed)
			}
		})
	}
}

func TestOutboxFull(t *testing.T) {
	r := newRig(t, withOutboxMax(2))
	r.openSession(single("S-1"))
	r.press(5, pad.ResultRecorded)
	r.clock.Advance(5 * time.Second)
	r.openSession(single("S-2"))
	r.press(4, pad.ResultRecorded)
	r.clock.Advance(5 * time.Second)
	r.openSession(single("S-3"))
	pressed := r.clock.Now()
	r.press(2, pad.ResultReasons)
	r.toggle("213")
	out, err := r.p.Confirm()
	if err != nil || out.Result != pad.ResultFault || out.Screen != pad.ScreenFault || out.Record != nil {
		t.Fatalf("Confirm on a full outbox = %+v, %v; want fault", out, err)
	}
	v := r.p.View()
	if v.Fault == nil || v.Fault.Code != pad.FaultOutboxFull || v.Fault.Since != "2026-11-25T10:00:10.000+08:00" {
		t.Fatalf("fault %+v", v.Fault)
	}
	r.press(5, pad.ResultFault)
	if c := r.p.View().Counters; c.WhileFault != 1 {
		t.Errorf("counters %+v", c)
	}
	_, err = r.p.OpenSession(single("S-4"))
	isErr(t, err, pad.ErrFault)
	isErr(t, r.p.Pause(), pad.ErrFault)
	_, err = r.p.ToggleReason("213")
	isErr(t, err, pad.ErrNotNow)
	// Still full at the next retry: still a fault, nothing written.
	r.clock.Advance(10 * time.Second)
	r.screen(pad.ScreenFault)
	r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1), rated("S-2", rating.ModeSingle, 4, pno1))

	if n := r.ackPending(); n != 2 {
		t.Fatalf("acked %d", n)
	}
	r.screen(pad.ScreenFault) // until the retry
	r.clock.Advance(10 * time.Second)
	r.screen(pad.ScreenThanks)
	if v := r.p.View(); v.Fault != nil || v.Last == nil || v.Last.Stars != 2 {
		t.Fatalf("after the retry: %+v", v)
	}
	recs := r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1), rated("S-2", rating.ModeSingle, 4, pno1),
		rated("S-3", rating.ModeSingle, 2, pno1).with(func(s *summary) { s.Reasons = []string{"213"} }))
	if want := rating.FormatTime(pressed, shanghai); recs[2].At != want {
		t.Errorf("held record at %s, want %s", recs[2].At, want)
	}
	if p := r.pending(); len(p) != 1 || p[0].ID != recs[2].ID {
		t.Errorf("pending %+v", p)
	}
	r.clock.Advance(3 * time.Second)
	r.screen(pad.ScreenIdle)
	r.openSession(single("S-4"))
	_, err = r.p.OpenSession(single("S-3"))
	isErr(t, err, pad.ErrSessionClosed)
}

func TestOutboxFullOnReplace(t *testing.T) {
	r := newRig(t, withOutboxMax(1))
	r.openSession(single("S-1"))
	r.press(5, pad.ResultRecorded)
	r.clock.Advance(5 * time.Second)
	r.openSession(single("S-2"))
	_, err := r.p.OpenSession(single("S-3")) // S-2 must close as unrated: no room
	isErr(t, err, pad.ErrFault)
	r.screen(pad.ScreenFault)
	if v := r.p.View(); v.Fault == nil || v.Fault.Code != pad.FaultOutboxFull {
		t.Fatalf("fault %+v", v.Fault)
	}
	r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1))
	r.ackPending()
	r.clock.Advance(10 * time.Second)
	// The held commit lands: S-2 closed, S-3 open, no thank-you screen.
	r.screen(pad.ScreenRate)
	if v := r.p.View(); v.Session == nil || v.Session.ID != "S-3" || v.Fault != nil {
		t.Fatalf("after the retry: %+v", v)
	}
	r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1),
		summary{Kind: rating.KindUnrated, Session: "S-2", Mode: rating.ModeSingle, Reasons: []string{}, Flags: []string{rating.FlagReplaced}, Cases: []string{pno1}})
}

func TestStoreKeepsNoPhoto(t *testing.T) {
	r := newRig(t)
	s := single("S-1")
	s.Staff.Photo = "data:image/png;base64,UEhPVE9QSE9UT1BIT1RP"
	r.openSession(s)
	raw, err := r.st.Session()
	if err != nil || raw == nil {
		t.Fatalf("session snapshot %s, %v", raw, err)
	}
	if strings.Contains(string(raw), "UEhPVE9") || strings.Contains(string(raw), "photo") {
		t.Errorf("snapshot holds the photo: %s", raw)
	}
	out := r.press(5, pad.ResultRecorded)
	b, _ := json.Marshal(out.Record)
	if strings.Contains(string(b), "UEhPVE9") || strings.Contains(string(b), "photo") {
		t.Errorf("record holds the photo: %s", b)
	}
	if s.Staff.Photo == "" {
		t.Error("OpenSession changed the caller's session")
	}
}

func TestRestartMidReasonsWithFullOutbox(t *testing.T) {
	r := newRig(t, withOutboxMax(1))
	r.openSession(single("S-1"))
	r.press(5, pad.ResultRecorded)
	r.clock.Advance(5 * time.Second)
	r.openSession(single("S-2"))
	pressed := r.clock.Now()
	r.press(2, pad.ResultReasons)
	r.toggle("213")
	r.shut()
	r.clock.Advance(time.Minute)
	r.open() // must come up, in fault, holding the recovered 差评
	v := r.p.View()
	if v.Screen != pad.ScreenFault || v.Fault == nil || v.Fault.Code != pad.FaultOutboxFull {
		t.Fatalf("after restart on a full outbox: %+v", v)
	}
	r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1))
	if _, err := r.st.Ack([]string{r.pending()[0].ID}, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(10 * time.Second)
	if v := r.p.View(); v.Screen == pad.ScreenFault || v.Fault != nil {
		t.Fatalf("fault not cleared: %+v", v)
	}
	recs := r.wantRecords(rated("S-1", rating.ModeSingle, 5, pno1), rated("S-2", rating.ModeSingle, 2, pno1).with(func(s *summary) {
		s.Reasons, s.Flags = []string{"213"}, []string{rating.FlagRecovered}
	}))
	if want := rating.FormatTime(pressed, shanghai); recs[1].At != want {
		t.Errorf("recovered at %s, want %s", recs[1].At, want)
	}
	r.restart() // recorded once
	r.wantRecords(summarize(recs[0]), summarize(recs[1]))
}

// A theme item's 差评 interrupted by the next session and the unrated rest
// of the theme land in one commit with the new session: with no room for
// both, neither lands; the fault holds them until acks make room.
func TestOutboxFullOnInterruptedTheme(t *testing.T) {
	r := newRig(t, withOutboxMax(2))
	r.openSession(single("S-0"))
	r.press(5, pad.ResultRecorded)
	r.clock.Advance(5 * time.Second)
	r.openSession(theme("S-A"))
	r.selectTarget(pno1)
	r.press(2, pad.ResultReasons)
	r.toggle("213")
	_, err := r.p.OpenSession(single("S-B"))
	isErr(t, err, pad.ErrFault)
	r.screen(pad.ScreenFault)
	first := rated("S-0", rating.ModeSingle, 5, pno1)
	r.wantRecords(first)
	r.ackPending()
	r.clock.Advance(10 * time.Second)
	r.screen(pad.ScreenRate)
	if v := r.p.View(); v.Session.ID != "S-B" || v.Fault != nil {
		t.Fatalf("after the retry: %+v", v)
	}
	r.wantRecords(first, rated("S-A", rating.ModeTheme, 2, pno1).with(func(s *summary) {
		s.Target, s.Reasons, s.Flags = pno1, []string{"213"}, []string{rating.FlagInterrupted}
	}), summary{Kind: rating.KindUnrated, Session: "S-A", Mode: rating.ModeTheme, Reasons: []string{},
		Flags: []string{rating.FlagReplaced}, Cases: []string{pno2, pno3}})
}

// A 好评 held by a full-outbox fault is not lost when the pad restarts before
// the fault clears: the snapshot keeps it, and it lands once, after acks.
// A 大字 touch in fault (a stale frame) changes nothing, and does not
// overwrite that snapshot.
func TestHeldRecordSurvivesRestart(t *testing.T) {
	r := newRig(t, withOutboxMax(1))
	r.openSession(single("S-0"))
	r.press(5, pad.ResultRecorded)
	r.clock.Advance(5 * time.Second)
	r.openSession(batch("S-1"))
	r.press(4, pad.ResultFault)
	r.screen(pad.ScreenFault)
	r.p.SetElder(true)
	if r.p.View().Elder {
		t.Error("elder mode chosen on the fault screen")
	}
	first := rated("S-0", rating.ModeSingle, 5, pno1)
	r.wantRecords(first)

	r.restart()
	r.screen(pad.ScreenFault) // still full: held again, not dropped
	r.restart()
	r.ackPending()
	r.clock.Advance(10 * time.Second)
	if v := r.p.View(); v.Fault != nil || v.Session != nil {
		t.Fatalf("after the retry: %+v", v)
	}
	r.wantRecords(first, rated("S-1", rating.ModeBatch, 4, pno1, pno2, pno3))
	r.restart()
	r.wantRecords(first, rated("S-1", rating.ModeBatch, 4, pno1, pno2, pno3))
	_, err := r.p.OpenSession(batch("S-1"))
	isErr(t, err, pad.ErrSessionClosed)
}
