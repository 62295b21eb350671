package central

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/rating"
)

// backends opens each storage engine; the same suite runs on both.
var backends = []struct {
	name string
	open func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "evalhub.db") }},
	{"postgres", func(t testing.TB) string { return centraltest.Postgres(t) }},
}

func openStore(t testing.TB, dsn string) *SQLStore {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// rec builds a valid record; n makes its id, seq and time.
func rec(n int, edit func(r *rating.Record)) rating.Record {
	id := fmt.Sprintf("019abcde-0000-7000-8000-%012d", n)
	r := rating.NewRecord(id, rating.Origin{DeviceID: "TA-1", AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "1", Channel: "4"},
		&rating.Session{ID: fmt.Sprintf("S-%d", n), Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA0123", Name: "李四"}},
		rating.Staff{}, []rating.Case{{ProjectNo: fmt.Sprintf("P%d", n), TaskCode: "T001", TaskName: "企业设立登记"}},
		rating.Verdict{Stars: 5}, rating.FormatTime(t0, t0.Location()), rating.FormatTime(t0.Add(time.Duration(n)*time.Minute), t0.Location()))
	r.Seq = uint64(n)
	if edit != nil {
		edit(&r)
		r.Good = r.Stars.Good()
	}
	return r
}

func row(r rating.Record) Row {
	b, _ := json.Marshal(r)
	return NewRow(r, b, t0)
}

func rowsOf(rs ...rating.Record) []Row {
	var out []Row
	for _, r := range rs {
		out = append(out, row(r))
	}
	return out
}

func ids(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func TestStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("once", func(t *testing.T) {
				dsn := b.open(t)
				testOnce(t, openStore(t, dsn))
				n, err := openStore(t, dsn).Count(context.Background())
				if err != nil || n != 4 {
					t.Fatalf("after reopening: %d records, %v", n, err)
				}
			})
			t.Run("filters", func(t *testing.T) { testFilters(t, openStore(t, b.open(t))) })
			t.Run("concurrent", func(t *testing.T) { testConcurrent(t, openStore(t, b.open(t))) })
		})
	}
}

func testOnce(t *testing.T, s *SQLStore) {
	ctx := context.Background()
	res, err := s.Insert(ctx, rowsOf(rec(1, nil), rec(2, nil), rec(3, nil)), nil)
	if err != nil || !reflect.DeepEqual(res, Inserted{New: 3}) {
		t.Fatalf("first insert: %+v %v", res, err)
	}
	// A resend with one new record and one repeated inside the message.
	res, err = s.Insert(ctx, rowsOf(rec(2, nil), rec(3, nil), rec(4, nil), rec(4, nil)), nil)
	if err != nil || !reflect.DeepEqual(res, Inserted{New: 1, Duplicate: 3}) {
		t.Fatalf("resend: %+v %v", res, err)
	}
	// Another device's record with an id stored already (and one twice in
	// one call): refused, kept as rejects, not duplicates.
	other := func(r rating.Record) rating.Record { r.DeviceID = "TA-2"; return r }
	res, err = s.Insert(ctx, rowsOf(other(rec(1, nil)), rec(5, nil), other(rec(5, nil))), nil)
	if err != nil || res.New != 1 || res.Duplicate != 0 || len(res.Refused) != 2 || res.Refused[0].DeviceID != "TA-2" ||
		!strings.Contains(res.Refused[0].Reason, "already stored for device TA-1") {
		t.Fatalf("foreign ids: %+v %v", res, err)
	}
	if got, _ := s.Rejected(ctx); len(got) != 2 {
		t.Fatalf("%d rejects stored for the foreign ids, want 2", len(got))
	}
	s.db.ExecContext(ctx, "DELETE FROM rejected")
	s.db.ExecContext(ctx, s.q("DELETE FROM records WHERE id = ?"), rec(5, nil).ID)
	rj := Reject{ID: "019abcde-0000-7000-8000-999999999999", DeviceID: "TA-1", Reason: "stars: 9", Body: []byte(`{"id":"x"}`), ReceivedAt: t0}
	for i, want := range []int{1, 0} {
		res, err = s.Insert(ctx, nil, []Reject{rj})
		if err != nil || res.Rejected != want {
			t.Fatalf("reject %d: %+v %v", i, res, err)
		}
	}
	if n, err := s.Count(ctx); err != nil || n != 4 {
		t.Fatalf("count %d %v, want 4", n, err)
	}
	got, err := s.Records(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{rec(1, nil).ID, rec(2, nil).ID, rec(3, nil).ID, rec(4, nil).ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("records %v, want %v", ids(got), want)
	}
	r2 := rec(2, nil)
	if g := got[1]; g.Day != "2026-11-25" || !g.AtUTC.Equal(t0.Add(2*time.Minute)) || g.Staff.Name != "李四" || g.Cases[0].TaskName != "企业设立登记" {
		t.Errorf("row %+v", g)
	}
	var back rating.Record
	if err := json.Unmarshal(got[1].Body, &back); err != nil || back.ID != r2.ID || back.Seq != 2 {
		t.Errorf("body %s", got[1].Body)
	}
	rejs, err := s.Rejected(ctx)
	if err != nil || len(rejs) != 1 || rejs[0].Reason != "stars: 9" {
		t.Errorf("rejected %+v %v", rejs, err)
	}
}

func testFilters(t *testing.T, s *SQLStore) {
	ctx := context.Background()
	rows := rowsOf(
		rec(10, nil),
		rec(11, func(r *rating.Record) { r.Stars, r.Reasons = 2, []string{"213"} }),
		rec(12, func(r *rating.Record) { r.Window = "12"; r.Staff = rating.RecordStaff{ID: "TA9", Name: "王五"} }),
		rec(13, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 }),
		rec(14, func(r *rating.Record) { r.Cases[0].TaskCode, r.Cases[0].TaskName = "T002", "个体工商户登记" }),
		rec(15000, func(r *rating.Record) { r.At = "2026-11-26T09:00:00.000+08:00" }),
	)
	if _, err := s.Insert(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	f := false
	for _, tc := range []struct {
		f    Filter
		want []int
	}{
		{Filter{Window: "12"}, []int{12}},
		{Filter{StaffID: "TA9"}, []int{12}},
		{Filter{Stars: 2}, []int{11}},
		{Filter{Good: &f, Kind: "rating"}, []int{11}},
		{Filter{Kind: "unrated"}, []int{13}},
		{Filter{Item: "T002"}, []int{14}},
		{Filter{Item: "个体工商户登记"}, []int{14}},
		{Filter{Item: "T00_"}, nil}, // LIKE wildcards are literal
		{Filter{Item: "%"}, nil},
		{Filter{Item: "登记"}, nil}, // whole names only
		{Filter{From: "2026-11-26"}, []int{15000}},
		{Filter{To: "2026-11-25", Limit: 2}, []int{10, 11}},
		{Filter{To: "2026-11-25", Limit: 2, After: rec(11, nil).ID}, []int{12, 13}},
		{Filter{Hall: "别处"}, nil},
	} {
		got, err := s.Records(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, n := range tc.want {
			want = append(want, rec(n, nil).ID)
		}
		if !slices.Equal(ids(got), want) {
			t.Errorf("%+v: %v, want %v", tc.f, ids(got), want)
		}
	}
}

func testConcurrent(t *testing.T, s *SQLStore) {
	ctx := context.Background()
	var all []Row
	for n := 100; n < 400; n++ {
		all = append(all, row(rec(n, nil)))
	}
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every worker stores every record, in a different order of batches.
			for i := 0; i < len(all); i += 50 {
				j := (i + w*50) % len(all)
				res, err := s.Insert(ctx, all[j:j+50], nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += res.New
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if total != len(all) {
		t.Errorf("%d stored as new by 4 concurrent writers, want %d", total, len(all))
	}
	got, err := s.Records(ctx, Filter{From: "2026-11-25", Item: "T001"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range got {
		seen[r.ID]++
	}
	for _, r := range all {
		if seen[r.ID] != 1 {
			t.Fatalf("%s stored %d times", r.ID, seen[r.ID])
		}
	}
}
