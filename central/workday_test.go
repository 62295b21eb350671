package central

import (
	"context"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

var cst = time.FixedZone("CST", 8*3600)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIsWorkday2026(t *testing.T) {
	cal := &Calendar{}
	for _, tc := range []struct {
		day  string
		work bool
		why  string
	}{
		{"2026-02-13", true, "Friday before 春节"},
		{"2026-02-14", true, "Saturday, 春节调休 make-up day"},
		{"2026-02-15", false, "春节 (Sunday)"},
		{"2026-02-16", false, "春节 Monday"},
		{"2026-02-17", false, "春节 初一"},
		{"2026-02-20", false, "春节 Friday"},
		{"2026-02-23", false, "春节 last day, a Monday"},
		{"2026-02-24", true, "back to work"},
		{"2026-02-28", true, "Saturday, 春节调休 make-up day"},
		{"2026-03-01", false, "plain Sunday"},
		{"2026-09-19", false, "plain Saturday"},
		{"2026-09-20", true, "Sunday, 国庆节调休 make-up day"},
		{"2026-09-25", false, "中秋节 Friday"},
		{"2026-09-30", true, "Wednesday before 国庆"},
		{"2026-10-01", false, "国庆节"},
		{"2026-10-05", false, "国庆节 Monday"},
		{"2026-10-07", false, "国庆节 last day"},
		{"2026-10-08", true, "back to work"},
		{"2026-10-10", true, "Saturday, 国庆节调休 make-up day"},
		{"2026-10-11", false, "plain Sunday"},
		{"2026-11-25", true, "plain Wednesday"},
	} {
		if got := cal.IsWorkday(day(tc.day)); got != tc.work {
			t.Errorf("%s (%s): workday %v, want %v", tc.day, tc.why, got, tc.work)
		}
	}
}

func TestDeadlines2026(t *testing.T) {
	cal := &Calendar{}
	for _, tc := range []struct {
		served, reminder, def string
	}{
		// Plain week: Mon → Tue, then Wed Thu Fri Mon.
		{"2026-11-23", "2026-11-24", "2026-11-30"},
		// Friday before 春节: the make-up Saturday is the reminder day, then
		// the nine days off, then Tue–Fri.
		{"2026-02-13", "2026-02-14", "2026-02-27"},
		// Served on the make-up Saturday: the next working day is after the holiday;
		// the 4th after it is the second make-up Saturday.
		{"2026-02-14", "2026-02-24", "2026-02-28"},
		// Served during 春节 (a pad in a hall open on a holiday).
		{"2026-02-17", "2026-02-24", "2026-02-28"},
		// Friday before the 国庆 make-up Sunday.
		{"2026-09-18", "2026-09-20", "2026-09-24"},
		// Thursday before 中秋: Fri 25 off, weekend, then Mon 28; 29, 30, then 国庆, 10-08, 10-09.
		{"2026-09-24", "2026-09-28", "2026-10-09"},
		// Day before 国庆: 10-08, then 10-09, the make-up Saturday 10-10, 10-12, 10-13.
		{"2026-09-30", "2026-10-08", "2026-10-13"},
	} {
		served := day(tc.served).Add(10*time.Hour + 3*time.Minute)
		d := cal.Deadlines(served)
		if got := d.Reminder.Format(time.DateOnly); got != tc.reminder {
			t.Errorf("served %s: reminder %s, want %s", tc.served, got, tc.reminder)
		}
		if got := d.Default.Format(time.DateOnly); got != tc.def {
			t.Errorf("served %s: default %s, want %s", tc.served, got, tc.def)
		}
		if d.Default.Location() != cst || d.Default.Hour() != 0 {
			t.Errorf("served %s: default %v not midnight in the pad's zone", tc.served, d.Default)
		}
	}
}

func TestOverrides(t *testing.T) {
	m, err := ParseOverrides([]byte("# 2027 arrangement, published after the release\n2026-11-25 off  # a local holiday\n\n2026-11-28 work\n"))
	if err != nil {
		t.Fatal(err)
	}
	cal := &Calendar{Overrides: m}
	if cal.IsWorkday(day("2026-11-25")) || !cal.IsWorkday(day("2026-11-28")) || !cal.IsWorkday(day("2026-11-26")) {
		t.Error("overrides not applied")
	}
	// Served Tue 11-24: Wed 25 is off now, so the reminder is Thu 26; then 27, Sat 28 (work), 30, 12-01.
	d := cal.Deadlines(day("2026-11-24"))
	if d.Reminder.Format(time.DateOnly) != "2026-11-26" || d.Default.Format(time.DateOnly) != "2026-12-01" {
		t.Errorf("deadlines %v", d)
	}
	for _, bad := range []string{"2026-11-25", "2026-13-01 off", "2026-11-25 holiday", "2026-11-25 off extra"} {
		if _, err := ParseOverrides([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestTimeRule(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testTimeRule(t, openStore(t, b.open(t))) })
	}
}

func testTimeRule(t *testing.T, st *SQLStore) {
	ctx := context.Background()
	unrated := func(n int, opened string) rating.Record {
		return rec(n, func(r *rating.Record) {
			r.Kind, r.Stars, r.Flags = rating.KindUnrated, 0, []string{rating.FlagSessionTimeout}
			r.OpenedAt, r.At = opened+"T16:50:00.000+08:00", opened+"T17:00:00.000+08:00"
			r.Sig = "the-pads-signature"
		})
	}
	// Before 春节, and before 国庆.
	a, b := unrated(1, "2026-02-13"), unrated(2, "2026-09-30")
	if _, err := st.Insert(ctx, rowsOf(a, b, rec(3, nil)), nil); err != nil {
		t.Fatal(err)
	}
	tr := &TimeRule{Cal: &Calendar{}, Store: st}
	status := func(now string) (map[string]string, int) {
		t.Helper()
		list, n, err := tr.Check(ctx, Filter{}, day(now).Add(9*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, u := range list {
			out[u.ID] = u.Status
		}
		return out, n
	}
	for _, step := range []struct {
		now          string
		a, b         string
		added, total int
	}{
		{"2026-02-13", "waiting", "waiting", 0, 3},
		{"2026-02-14", "remind", "waiting", 0, 3},
		{"2026-02-26", "remind", "waiting", 0, 3},
		{"2026-02-27", "defaulted", "waiting", 1, 4},
		{"2026-02-28", "defaulted", "waiting", 0, 4}, // again: stored once
		{"2026-10-08", "defaulted", "remind", 0, 4},
		{"2026-10-13", "defaulted", "defaulted", 1, 5},
	} {
		got, n := status(step.now)
		if got[a.ID] != step.a || got[b.ID] != step.b || n != step.added {
			t.Errorf("%s: %s %s, %d added; want %s %s, %d", step.now, got[a.ID], got[b.ID], n, step.a, step.b, step.added)
		}
		if c, _ := st.Count(ctx); c != step.total {
			t.Errorf("%s: %d records, want %d", step.now, c, step.total)
		}
	}
	rows, _ := st.Records(ctx, Filter{Flag: FlagDefault})
	if len(rows) != 2 || rows[0].ID != DefaultID(a.ID) || rows[0].Stars != 4 || !rows[0].Good || rows[0].SessionID != a.SessionID || rows[0].Sig != "" {
		t.Fatalf("default records %+v", rows)
	}
	// The figures count a defaulted session once, as a 4★ rating.
	s, err := st.Stats(ctx, Filter{})
	if err != nil || s.Total.Unrated != 0 || s.Total.Rated != 3 || s.Total.Default != 2 || s.Total.Records != 5 {
		t.Errorf("figures %+v %v", s.Total, err)
	}
	// Nothing pending is left; all of them listed with their state.
	if list, err := tr.List(ctx, Filter{}, false, day("2026-10-13")); err != nil || len(list) != 0 {
		t.Errorf("pending %+v %v", list, err)
	}
}
