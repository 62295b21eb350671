package central

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

// example2027 is the README's example override file. ILLUSTRATIVE: not
// the State Council's 2027 arrangement, which was not published when this
// was written; the test needs a 2027 file, not the official one.
const example2027 = `# 2027 (illustrative example; replace with the published arrangement)
2027-01-01 off   # 元旦
2027-02-05 off   # 春节
2027-02-08 off   # 春节
2027-02-09 off   # 春节
2027-02-10 off   # 春节
2027-02-11 off   # 春节
2027-02-12 off   # 春节
2027-02-14 work  # 春节调休
`

// TestCalendarMissing: lunar-go v1.4.6 has no 2027: a session whose
// deadlines fall in 2027 gets no default 4★ (status calendar_missing),
// where main counted 2027-02-08..12 as working days and gave it days
// early; with an override file for 2027 the deadlines follow the file.
func TestCalendarMissing(t *testing.T) {
	bare := &Calendar{}
	if bare.Source(2026) != SourceLunarGo || bare.Source(2027) != SourceMissing {
		t.Fatalf("sources: 2026 %s, 2027 %s", bare.Source(2026), bare.Source(2027))
	}
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	ctx := context.Background()
	unrated := func(n int, opened string) rating.Record {
		return rec(n, func(r *rating.Record) {
			r.Kind, r.Stars, r.Flags = rating.KindUnrated, 0, []string{rating.FlagSessionTimeout}
			r.OpenedAt, r.At = opened+"T16:50:00.000+08:00", opened+"T17:00:00.000+08:00"
		})
	}
	// Thursday before 春节 2027, and 2026-12-30, whose default day is in 2027.
	feb, dec := unrated(1, "2027-02-04"), unrated(2, "2026-12-30")
	if _, err := st.Insert(ctx, rowsOf(feb, dec), nil); err != nil {
		t.Fatal(err)
	}
	check := func(cal *Calendar, now string) (map[string]Unrated, int) {
		t.Helper()
		list, n, err := (&TimeRule{Cal: cal, Store: st}).Check(ctx, Filter{}, day(now).Add(9*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Unrated{}
		for _, u := range list {
			out[u.ID] = u
		}
		return out, n
	}
	got, n := check(bare, "2027-03-15")
	if got[feb.ID].Status != StatusCalendarMissing || got[dec.ID].Status != StatusCalendarMissing || n != 0 {
		t.Fatalf("without 2027: %s %s, %d defaults added", got[feb.ID].Status, got[dec.ID].Status, n)
	}
	if c, _ := st.Count(ctx); c != 2 {
		t.Fatalf("%d records: a default was given on a guessed calendar", c)
	}

	m, err := ParseOverrides([]byte(example2027))
	if err != nil {
		t.Fatal(err)
	}
	cal := &Calendar{Overrides: m}
	if cal.Source(2027) != SourceOverride {
		t.Fatalf("2027 with the file: %s", cal.Source(2027))
	}
	// Thu 02-04 → reminder Sun 02-14 (调休; 02-05 and 02-08..12 off) →
	// default Thu 02-18 (15, 16, 17, 18).
	got, n = check(cal, "2027-02-17")
	u := got[feb.ID]
	if u.Status != "remind" || u.Deadlines.Reminder.Format(time.DateOnly) != "2027-02-14" || u.Deadlines.Default.Format(time.DateOnly) != "2027-02-18" {
		t.Fatalf("with the file, on 02-17: %+v", u)
	}
	// 2026-12-30 (Wed) → reminder Thu 12-31 → 2027-01-01 off → default Thu 01-07.
	if d := got[dec.ID]; d.Status != "defaulted" || d.Deadlines.Default.Format(time.DateOnly) != "2027-01-07" || n != 1 {
		t.Fatalf("with the file, the December session: %+v (%d added)", d, n)
	}
	if got, n = check(cal, "2027-02-18"); got[feb.ID].Status != "defaulted" || n != 1 {
		t.Fatalf("with the file, on 02-18: %+v (%d added)", got[feb.ID], n)
	}
}

// TestCalendarHealthAndCheck: /api/v1/health says calendar_missing while
// next year is unknown, ok with an override file; `evalhub holidays check`
// says the source and lists the days, and fails for a missing year.
func TestCalendarHealthAndCheck(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, cst)
	m, _ := ParseOverrides([]byte(example2027))
	for _, tc := range []struct {
		cal    *Calendar
		status string
		y2027  string
	}{{&Calendar{}, StatusCalendarMissing, SourceMissing}, {&Calendar{Overrides: m}, "ok", SourceOverride}} {
		mux := http.NewServeMux()
		(&API{Rule: &TimeRule{Cal: tc.cal}, Now: func() time.Time { return now },
			Health: func() any { return HubCounters{Messages: 3} }}).Register(mux)
		rr := httptest.NewRecorder()
		mux.ServeHTTP(rr, httptest.NewRequest("GET", "/api/v1/health", nil))
		var h struct {
			Messages int            `json:"messages"`
			Calendar CalendarHealth `json:"calendar"`
		}
		if err := json.Unmarshal(rr.Body.Bytes(), &h); err != nil || h.Messages != 3 || h.Calendar.Status != tc.status ||
			h.Calendar.Years["2027"] != tc.y2027 || h.Calendar.Years["2026"] != SourceLunarGo {
			t.Errorf("health %s: %+v %v", rr.Body, h, err)
		}
	}

	file := filepath.Join(t.TempDir(), "holidays")
	if err := os.WriteFile(file, []byte(example2027), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := HolidaysCommand([]string{"check", "2027", "--holidays", file}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2027: override\n", "2027-01-01 Fri off  (holiday)  元旦\n", "2027-02-14 Sun work (调休)  春节调休\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check 2027 with the file lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := HolidaysCommand([]string{"check", "2027"}, &out); err == nil || !strings.Contains(err.Error(), "known neither") || out.String() != "2027: missing\n" {
		t.Errorf("check 2027 without: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := HolidaysCommand([]string{"check", "2026"}, &out); err != nil || !strings.Contains(out.String(), "2026: lunar-go\n") || !strings.Contains(out.String(), "2026-02-17 Tue off  (holiday)  春节") {
		t.Errorf("check 2026: %v\n%s", err, out.String())
	}
	for _, bad := range [][]string{{}, {"list"}, {"check"}, {"check", "x"}, {"check", "2027", "extra"}} {
		if err := HolidaysCommand(bad, &out); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
