package central

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"evalpad/rating"
)

// genPads is where generated records come from: devices at windows of two
// halls (window "1" in both), two staff each.
var genPads = []struct{ dev, hall, win string }{
	{"TA-1", "泰安市政务服务中心", "1"},
	{"TA-2", "泰安市政务服务中心", "2"},
	{"TA-3", "泰安市政务服务中心", "2"}, // a second pad at window 2
	{"TA-4", "岱岳区政务服务中心", "1"},
}

var genItems = []rating.Case{
	{TaskCode: "T001", TaskName: "企业设立登记"},
	{TaskCode: "T002", TaskName: "个体工商户登记"},
	{TaskCode: "T003", TaskName: "食品经营许可"},
	{TaskCode: "", TaskName: "不动产登记"}, // no code: its name is the key
}

// generate makes a varied set of records: every mode, walk-ins, unrated
// sessions (some given a default), 差评 with reasons, over many days. It
// returns them in the order a genPads might send them, and the defaults, which
// the time rule adds.
func generate(seed uint64, sessions int) (recs, defaults []rating.Record) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	n := 0
	next := func(dev, hall, win, staffID, staffName, sess string, mode rating.Mode, cases []rating.Case, at time.Time) rating.Record {
		n++
		r := rec(n, func(r *rating.Record) {
			r.DeviceID, r.Hall, r.Window, r.SessionID, r.Mode, r.Cases = dev, hall, win, sess, mode, cases
			r.Staff = rating.RecordStaff{ID: staffID, Name: staffName}
			r.OpenedAt = rating.FormatTime(at.Add(-5*time.Minute), at.Location())
			r.At = rating.FormatTime(at, at.Location())
		})
		return r
	}
	verdict := func(r *rating.Record) {
		switch x := rnd.IntN(20); {
		case x < 3:
			r.Kind, r.Stars, r.Flags = rating.KindUnrated, 0, []string{rating.FlagSessionTimeout}
		default:
			r.Stars = rating.Stars([]int{1, 2, 3, 4, 5, 5, 5, 5, 4, 5, 5, 3, 5, 5, 5, 5, 2}[x-3])
			if r.Stars <= 2 {
				rs := rating.DefaultReasons().For(r.Stars)
				r.Reasons = []string{rs[rnd.IntN(len(rs))].Code}
				if rnd.IntN(2) == 0 {
					r.Reasons = append(r.Reasons, rs[len(rs)-1].Code)
					r.Reasons = slices.Compact(r.Reasons)
				}
			}
		}
		r.Good = r.Stars.Good()
	}
	for s := range sessions {
		f := genPads[rnd.IntN(len(genPads))]
		staffID := fmt.Sprintf("%s-S%d", f.dev, rnd.IntN(2))
		staffName := "姓名" + staffID
		at := time.Date(2026, time.Month(1+rnd.IntN(12)), 1+rnd.IntN(28), 9+rnd.IntN(8), rnd.IntN(60), 0, 0, t0.Location())
		sess := fmt.Sprintf("S-%d", s)
		pc := func(i int, c rating.Case) rating.Case {
			c.ProjectNo = fmt.Sprintf("P%d-%d", s, i)
			return c
		}
		var out []rating.Record
		switch mode := rnd.IntN(6); mode {
		case 0, 1: // single
			r := next(f.dev, f.hall, f.win, staffID, staffName, sess, rating.ModeSingle, []rating.Case{pc(0, genItems[rnd.IntN(len(genItems))])}, at)
			verdict(&r)
			out = append(out, r)
		case 2: // batch
			it := genItems[rnd.IntN(len(genItems))]
			var cs []rating.Case
			for i := range 2 + rnd.IntN(5) {
				cs = append(cs, pc(i, it))
			}
			r := next(f.dev, f.hall, f.win, staffID, staffName, sess, rating.ModeBatch, cs, at)
			verdict(&r)
			out = append(out, r)
		case 3, 4: // theme: overall, or item by item
			var cs []rating.Case
			for i, j := range rnd.Perm(len(genItems))[:2+rnd.IntN(3)] {
				cs = append(cs, pc(i, genItems[j]))
			}
			if mode == 3 {
				r := next(f.dev, f.hall, f.win, staffID, staffName, sess, rating.ModeTheme, cs, at)
				verdict(&r)
				out = append(out, r)
				break
			}
			rated := 1 + rnd.IntN(len(cs))
			for i, c := range cs[:rated] {
				r := next(f.dev, f.hall, f.win, staffID, staffName, sess, rating.ModeTheme, []rating.Case{c}, at.Add(time.Duration(i)*time.Minute))
				if i == 1 {
					r.Cases = cs // the whole theme listed: the target says which one is rated
				}
				r.Target = c.ProjectNo
				verdict(&r)
				if r.Kind == rating.KindUnrated {
					r.Kind, r.Stars, r.Flags, r.Good = rating.KindRating, 3, []string{}, true
				}
				out = append(out, r)
			}
			if rated < len(cs) { // the rest unrated, as the pad closes the session
				r := next(f.dev, f.hall, f.win, staffID, staffName, sess, rating.ModeTheme, cs[rated:], at.Add(time.Hour))
				r.Kind, r.Stars, r.Good, r.Flags = rating.KindUnrated, 0, false, []string{rating.FlagSessionTimeout}
				out = append(out, r)
			}
		default: // a walk-in press: no session, no cases
			r := next(f.dev, f.hall, f.win, staffID, staffName, "", rating.ModeSingle, []rating.Case{}, at)
			r.Flags = []string{rating.FlagWalkin}
			verdict(&r)
			if r.Kind == rating.KindUnrated {
				r.Kind, r.Stars, r.Flags, r.Good = rating.KindRating, 5, []string{rating.FlagWalkin}, true
			}
			out = append(out, r)
		}
		for _, r := range out {
			if r.Kind == rating.KindUnrated && rnd.IntN(2) == 0 {
				defaults = append(defaults, DefaultRecord(r))
			}
		}
		recs = append(recs, out...)
	}
	return recs, defaults
}

// ingest stores recs and defaults as a genPads would: batches of random
// size, each with resends of records sent before and sometimes one record
// twice; defaults in later batches, a few before their unrated record
// (a restored backup) and a few with it; writers batches at a time, as
// several hubs do. It returns how many Insert said were new.
func ingest(t *testing.T, s Store, seed uint64, writers int, recs, defaults []rating.Record) int {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 11))
	ctx := context.Background()
	of := map[string]rating.Record{}
	for _, d := range defaults {
		of[d.SessionID+"/"+d.DeviceID] = d
	}
	var early, late []rating.Record
	for i, d := range defaults {
		if i%7 == 3 {
			early = append(early, d)
		} else {
			late = append(late, d)
		}
	}
	all := append(slices.Clone(early), recs...)
	all = append(all, late...)
	var batches [][]rating.Record
	var sent []rating.Record
	for i := 0; i < len(all); {
		k := 1 + rnd.IntN(40)
		batch := slices.Clone(all[i:min(i+k, len(all))])
		i += k
		for range rnd.IntN(4) {
			if len(sent) > 0 {
				batch = append(batch, sent[rnd.IntN(len(sent))])
			}
		}
		if rnd.IntN(5) == 0 {
			batch = append(batch, batch[0])
		}
		if rnd.IntN(9) == 0 { // an unrated record and its default in one message
			for _, r := range batch {
				if d, ok := of[r.SessionID+"/"+r.DeviceID]; ok && r.Kind == rating.KindUnrated && !slices.ContainsFunc(all[:i], func(x rating.Record) bool { return x.ID == d.ID }) {
					batch = append(batch, d)
					break
				}
			}
		}
		batches = append(batches, batch)
		sent = append(sent, batch...)
	}
	work := make(chan []rating.Record)
	var mu sync.Mutex
	var wg sync.WaitGroup
	newN := 0
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				res, err := s.Insert(ctx, rowsOf(b...), nil)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				newN += res.New
				mu.Unlock()
			}
		}()
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	return newN
}

// countStats counts the figures of f over rows with plain loops, as the
// test's own reading of the rules (README "Figures").
func countStats(rows []Row, f Filter) Stats {
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.ID] = true
	}
	rated := func(r *Row) []rating.Case {
		if r.Target == "" {
			return r.Cases
		}
		var out []rating.Case
		for _, c := range r.Cases {
			if c.ProjectNo == r.Target {
				out = append(out, c)
			}
		}
		return out
	}
	key := func(c rating.Case) string {
		if c.TaskCode != "" {
			return c.TaskCode
		}
		return c.TaskName
	}
	match := func(r *Row) bool {
		if f.DeviceID != "" && r.DeviceID != f.DeviceID || f.Hall != "" && r.Hall != f.Hall || f.Window != "" && r.Window != f.Window ||
			f.StaffID != "" && r.Staff.ID != f.StaffID || f.Kind != "" && string(r.Kind) != f.Kind || f.Stars != 0 && int(r.Stars) != f.Stars ||
			f.Good != nil && r.Good != *f.Good || f.From != "" && r.Day < f.From || f.To != "" && r.Day > f.To {
			return false
		}
		if f.Item == "" {
			return true
		}
		for _, c := range rated(r) {
			if key(c) == f.Item || c.TaskName == f.Item {
				return true
			}
		}
		return false
	}
	count := func(fg *Figures, r *Row, cases int) {
		fg.Records++
		if r.Kind == rating.KindUnrated {
			if !ids[DefaultID(r.ID)] {
				fg.Unrated++
				fg.UnratedCases += cases
			}
			return
		}
		fg.Rated++
		fg.Cases += cases
		if r.Stars >= 3 {
			fg.Good++
			fg.GoodCases += cases
		} else {
			fg.Bad++
			fg.BadCases += cases
		}
		if slices.Contains(r.Flags, FlagDefault) {
			fg.Default++
			fg.DefaultCases += cases
		}
	}
	st := Stats{Reasons: []ReasonCount{}}
	groups := [5]map[string]*Figures{{}, {}, {}, {}, {}}
	group := func(g int, k, name string) *Figures {
		if groups[g][k] == nil {
			groups[g][k] = &Figures{Key: k, Name: name}
		}
		return groups[g][k]
	}
	reasons := map[string]int{}
	for i := range rows {
		r := &rows[i]
		if !match(r) {
			continue
		}
		cs := rated(r)
		n := max(1, len(cs))
		perItem := map[string]int{}
		for _, c := range cs {
			perItem[key(c)]++
		}
		if f.Item != "" { // the item's own count
			for _, c := range cs {
				if key(c) == f.Item || c.TaskName == f.Item {
					n = perItem[key(c)]
					break
				}
			}
		}
		count(&st.Total, r, n)
		st.Stars[r.Stars]++
		for _, c := range r.Reasons {
			reasons[c]++
		}
		count(group(1, r.Hall, ""), r, n)
		count(group(2, r.Hall+"/"+r.Window, r.Window), r, n)
		count(group(3, r.Staff.ID, r.Staff.Name), r, n)
		count(group(4, r.Day, ""), r, n)
		done := map[string]bool{}
		for _, c := range cs {
			k := key(c)
			if done[k] || f.Item != "" && k != f.Item && c.TaskName != f.Item {
				continue
			}
			done[k] = true
			count(group(0, k, c.TaskName), r, perItem[k])
		}
	}
	st.Total.finish()
	texts := reasonTexts()
	for c, n := range reasons {
		st.Reasons = append(st.Reasons, ReasonCount{Code: c, Text: texts[c], Count: n})
	}
	slices.SortFunc(st.Reasons, func(a, b ReasonCount) int { return cmp.Or(b.Count-a.Count, cmp.Compare(a.Code, b.Code)) })
	out := make([][]Figures, 5)
	for g := range groups {
		out[g] = []Figures{}
		for _, fg := range groups[g] {
			fg.finish()
			out[g] = append(out[g], *fg)
		}
		slices.SortFunc(out[g], func(a, b Figures) int { return cmp.Compare(a.Key, b.Key) })
	}
	st.ByItem, st.ByHall, st.ByWin, st.ByStaff, st.ByDay = out[0], out[1], out[2], out[3], out[4]
	return st
}

// statFilters are the filters the figures are compared under.
func statFilters() []Filter {
	yes, no := true, false
	return []Filter{
		{},
		{Hall: genPads[0].hall},
		{Hall: genPads[3].hall, Window: "1"},
		{Window: "1"},
		{StaffID: "TA-2-S1"},
		{DeviceID: "TA-3"},
		{From: "2026-03-01", To: "2026-03-31"},
		{From: "2026-06-01"},
		{From: "2026-02-10", To: "2026-05-20"},
		{To: "2026-04-15"},
		{From: "2026-03-03", To: "2026-03-09"},
		{From: "2026-02-01", To: "2026-02-28", Kind: "unrated"},
		{Hall: genPads[0].hall, From: "2026-02-10", To: "2026-05-20"},
		{StaffID: "TA-1-S0", From: "2026-07-15"},
		{Item: "T001", From: "2026-02-10", To: "2026-09-20"},
		{Kind: "rating"},
		{Kind: "unrated"},
		{Stars: 2},
		{Stars: 4, Hall: genPads[0].hall},
		{Good: &yes},
		{Good: &no},
		{Item: "T002"},
		{Item: "不动产登记"},
		{Item: "企业设立登记", Window: "2", Good: &no},
		{Hall: "别处"},
	}
}

// TestFiguresIndependent: the figures from the rollups equal a count done
// here with plain loops over the stored records, for a varied generated
// set sent with resends and in-message repeats, on both backends.
func TestFiguresIndependent(t *testing.T) {
	recs, defaults := generate(1, 400)
	for _, b := range backends {
		for _, writers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/%d-writers", b.name, writers), func(t *testing.T) {
				testFiguresIndependent(t, openStore(t, b.open(t)), writers, recs, defaults)
			})
		}
	}
}

func testFiguresIndependent(t *testing.T, s *SQLStore, writers int, recs, defaults []rating.Record) {
	n := ingest(t, s, 2, writers, recs, defaults)
	if want := len(recs) + len(defaults); n != want {
		t.Fatalf("Insert said %d new, want %d", n, want)
	}
	rows, err := s.Records(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs)+len(defaults) {
		t.Fatalf("%d stored, want %d", len(rows), len(recs)+len(defaults))
	}
	checkFigures(t, s, rows)
	checkUnrated(t, s, rows)
}

func checkFigures(t *testing.T, s Store, rows []Row) {
	t.Helper()
	for _, f := range statFilters() {
		got, err := s.Stats(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		want := countStats(rows, f)
		if f.Item == "" && f.Hall != "别处" && want.Total.Records == 0 {
			t.Fatalf("%+v: nothing generated to compare", f)
		}
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"total", got.Total, want.Total}, {"stars", got.Stars, want.Stars}, {"reasons", got.Reasons, want.Reasons},
			{"by_hall", got.ByHall, want.ByHall}, {"by_window", got.ByWin, want.ByWin}, {"by_staff", got.ByStaff, want.ByStaff},
			{"by_item", got.ByItem, want.ByItem}, {"by_day", got.ByDay, want.ByDay},
		} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("filter %+v: %s\n got %+v\nwant %+v", f, c.name, c.got, c.want)
			}
		}
	}
}

// checkUnrated: the pending list is the unrated records without a stored
// default, oldest served first, the same when read page by page.
func checkUnrated(t *testing.T, s Store, rows []Row) {
	t.Helper()
	ctx := context.Background()
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.ID] = true
	}
	type pending struct {
		id     string
		served time.Time
	}
	for _, f := range []Filter{{}, {Hall: genPads[0].hall}, {Item: "T001"}, {From: "2026-05-01", To: "2026-08-31"}} {
		var want []pending
		for _, r := range rows {
			inItem := f.Item == ""
			for _, c := range r.Cases {
				inItem = inItem || c.TaskCode == f.Item || c.TaskName == f.Item
			}
			if r.Kind != rating.KindUnrated || ids[DefaultID(r.ID)] || f.Hall != "" && r.Hall != f.Hall || !inItem ||
				f.From != "" && r.Day < f.From || f.To != "" && r.Day > f.To {
				continue
			}
			served, _ := time.Parse(time.RFC3339Nano, r.OpenedAt)
			want = append(want, pending{r.ID, served})
		}
		slices.SortFunc(want, func(a, b pending) int { return cmp.Or(a.served.Compare(b.served), cmp.Compare(a.id, b.id)) })
		var wantIDs, got []string
		for _, p := range want {
			wantIDs = append(wantIDs, p.id)
		}
		page := f
		page.Limit = 7
		for {
			list, err := s.Unrated(ctx, UnratedQuery{Filter: page})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range list {
				got = append(got, u.ID)
			}
			if len(list) < page.Limit {
				break
			}
			page.After = list[len(list)-1].ID
		}
		if len(wantIDs) == 0 || !slices.Equal(got, wantIDs) {
			t.Errorf("%+v: pending unrated %v, want %v", f, got, wantIDs)
		}
	}
}

// TestPlatformCounting: 服务满意率 per 办件 as the platform counts, per
// rating, and 评价覆盖率, for each way a session is rated, on both backends.
func TestPlatformCounting(t *testing.T) {
	a := rating.Case{ProjectNo: "A", TaskCode: "T001", TaskName: "企业设立登记"}
	b := rating.Case{ProjectNo: "B", TaskCode: "T002", TaskName: "个体工商户登记"}
	c := rating.Case{ProjectNo: "C", TaskCode: "T003", TaskName: "食品经营许可"}
	batch := func(it rating.Case, n int) []rating.Case {
		var out []rating.Case
		for i := range n {
			it.ProjectNo = fmt.Sprintf("B%d", i)
			out = append(out, it)
		}
		return out
	}
	single := rec(1, func(r *rating.Record) { r.Cases = []rating.Case{a} })
	batch5 := rec(2, func(r *rating.Record) {
		r.Mode, r.Cases, r.Stars, r.Reasons = rating.ModeBatch, batch(b, 5), 2, []string{"213"}
	})
	theme := rec(3, func(r *rating.Record) { r.Mode, r.Cases, r.Stars = rating.ModeTheme, []rating.Case{a, b, c}, 4 })
	item := func(n int, cs rating.Case, stars rating.Stars) rating.Record {
		return rec(n, func(r *rating.Record) {
			r.SessionID, r.Mode, r.Cases, r.Target, r.Stars = "S-4", rating.ModeTheme, []rating.Case{cs}, cs.ProjectNo, stars
			if stars <= 2 {
				r.Reasons = []string{"115"}
			}
		})
	}
	unrated := func(n int, cs []rating.Case) rating.Record {
		return rec(n, func(r *rating.Record) {
			r.Kind, r.Stars, r.Cases, r.Flags = rating.KindUnrated, 0, cs, []string{rating.FlagSessionTimeout}
			if len(cs) > 1 {
				r.Mode = rating.ModeBatch
			}
		})
	}
	defaulted, pending := unrated(7, batch(a, 2)), unrated(8, []rating.Case{c})
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			s := openStore(t, be.open(t))
			ctx := context.Background()
			all := []rating.Record{single, batch5, theme, item(4, a, 5), item(5, b, 1), item(6, c, 3), defaulted, pending}
			if _, err := s.Insert(ctx, rowsOf(all...), nil); err != nil {
				t.Fatal(err)
			}
			before, err := s.Stats(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if before.Total.Unrated != 2 || before.Total.UnratedCases != 3 || before.Total.Default != 0 {
				t.Errorf("before the default: %+v", before.Total)
			}
			// The default 4★ arrives; a resend of everything changes nothing.
			if _, err := s.Insert(ctx, rowsOf(append(all, DefaultRecord(defaulted))...), nil); err != nil {
				t.Fatal(err)
			}
			st, err := s.Stats(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			want := Figures{Records: 9, Rated: 7, Good: 5, Bad: 2, Unrated: 1, Default: 1,
				Cases: 14, GoodCases: 8, BadCases: 6, UnratedCases: 1, DefaultCases: 2}
			want.Satisfaction, want.CaseSatisfaction = 5.0/7, 8.0/14
			want.Coverage, want.CaseCoverage = 6.0/8, 12.0/15
			if st.Total != want {
				t.Errorf("total\n got %+v\nwant %+v", st.Total, want)
			}
			if st.Stars != [6]int{2, 1, 1, 1, 2, 2} {
				t.Errorf("stars %v", st.Stars)
			}
			items := map[string]Figures{}
			for _, f := range st.ByItem {
				items[f.Key] = f
			}
			// T001: the single case, the theme's, item A, the defaulted batch of 2.
			if f := items["T001"]; f.Records != 5 || f.Rated != 4 || f.Cases != 5 || f.GoodCases != 5 || f.DefaultCases != 2 || f.Unrated != 0 {
				t.Errorf("T001 %+v", f)
			}
			// T002: the batch of 5 (2★), the theme's case (4★), item B (1★).
			if f := items["T002"]; f.Records != 3 || f.Cases != 7 || f.GoodCases != 1 || f.BadCases != 6 || f.CaseSatisfaction != 1.0/7 {
				t.Errorf("T002 %+v", f)
			}
			// T003: the theme's case, item C (3★), and the case still unrated.
			if f := items["T003"]; f.Records != 3 || f.Cases != 2 || f.GoodCases != 2 || f.UnratedCases != 1 || f.CaseCoverage != 2.0/3 {
				t.Errorf("T003 %+v", f)
			}
			if len(st.Reasons) != 2 || st.Reasons[0].Count != 1 {
				t.Errorf("reasons %+v", st.Reasons)
			}
			list, err := s.Unrated(ctx, UnratedQuery{})
			if err != nil || len(list) != 1 || list[0].ID != pending.ID {
				t.Errorf("pending %+v %v, want %s only", list, err, pending.ID)
			}
		})
	}
}

// TestRollupBackfill: a database from before the rollups (records only)
// gets them counted once when opened, equal to what ingest counts.
func TestRollupBackfill(t *testing.T) {
	recs, defaults := generate(3, 150)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dsn := be.open(t)
			s := openStore(t, dsn)
			ctx := context.Background()
			ingest(t, s, 4, 1, recs, defaults)
			var want []Stats
			for _, f := range statFilters() {
				st, err := s.Stats(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, st)
			}
			for _, tb := range []string{"rollup", "rollup_reason", "unrated_sessions", "rollup_meta"} {
				if _, err := s.db.ExecContext(ctx, "DROP TABLE "+tb); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			s = openStore(t, dsn)
			for i, f := range statFilters() {
				got, err := s.Stats(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%+v after backfill\n got %+v\nwant %+v", f, got, want[i])
				}
			}
			// Once: opening again counts nothing twice.
			s.Close()
			s = openStore(t, dsn)
			if got, _ := s.Stats(ctx, Filter{}); !reflect.DeepEqual(got, want[0]) {
				t.Errorf("reopened: %+v", got.Total)
			}
			rows, _ := s.Records(ctx, Filter{})
			checkUnrated(t, s, rows)
		})
	}
}

// TestUnratedAPI: GET /api/v1/unrated pages the pending sessions (or all
// with status=all) oldest served first, and applies the time rule first.
func TestUnratedAPI(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testUnratedAPI(t, openStore(t, b.open(t))) })
	}
}

func testUnratedAPI(t *testing.T, st *SQLStore) {
	ctx := context.Background()
	var recs []rating.Record
	for n := 1; n <= 5; n++ {
		recs = append(recs, rec(n, func(r *rating.Record) {
			r.Kind, r.Stars, r.Flags = rating.KindUnrated, 0, []string{rating.FlagSessionTimeout}
			r.OpenedAt = fmt.Sprintf("2026-11-%02dT09:00:00.000+08:00", 10+n) // 11-11 … 11-15
		}))
	}
	if _, err := st.Insert(ctx, rowsOf(recs...), nil); err != nil {
		t.Fatal(err)
	}
	sup, err := IssueToken(ctx, st, RoleSupervisor, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 18, 9, 0, 0, 0, t0.Location()) // 11-11 is due on 11-18 (1 + 4 working days)
	mux := http.NewServeMux()
	(&API{Store: st, Auth: &Auth{Tokens: st}, Rule: &TimeRule{Cal: &Calendar{}, Store: st}, Now: func() time.Time { return now }}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	type page struct {
		Unrated []Unrated `json:"unrated"`
		Next    string    `json:"next"`
	}
	get := func(q string) (page, int) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/unrated?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+sup)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p page
		json.NewDecoder(resp.Body).Decode(&p)
		return p, resp.StatusCode
	}
	var got []string
	p, code := get("limit=2")
	for ; ; p, code = get("limit=2&after=" + p.Next) {
		if code != 200 {
			t.Fatalf("status %d", code)
		}
		for _, u := range p.Unrated {
			got = append(got, u.ID+" "+u.Status)
		}
		if p.Next == "" {
			break
		}
	}
	want := []string{recs[1].ID + " remind", recs[2].ID + " remind", recs[3].ID + " remind", recs[4].ID + " remind"}
	if !slices.Equal(got, want) {
		t.Errorf("pending pages %v, want %v", got, want)
	}
	if p, code := get("status=all&limit=1"); code != 200 || len(p.Unrated) != 1 || p.Unrated[0].ID != recs[0].ID || p.Unrated[0].Status != "defaulted" || p.Next != recs[0].ID {
		t.Errorf("status=all: %d %+v", code, p)
	}
	if _, code := get("status=maybe"); code != 400 {
		t.Errorf("status=maybe: %d, want 400", code)
	}
	if s, _ := st.Stats(ctx, Filter{}); s.Total.Unrated != 4 || s.Total.Default != 1 || s.Total.Records != 6 {
		t.Errorf("figures after the rule: %+v", s.Total)
	}
}

// TestTimeRuleAfterRetention: an unrated session whose record an operator
// deleted (README "Figures", retention) is skipped, the others defaulted.
func TestTimeRuleAfterRetention(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := openStore(t, b.open(t))
			ctx := context.Background()
			var recs []rating.Record
			for n := 1; n <= 3; n++ {
				recs = append(recs, rec(n, func(r *rating.Record) {
					r.Kind, r.Stars, r.Flags = rating.KindUnrated, 0, []string{rating.FlagSessionTimeout}
				}))
			}
			if _, err := st.Insert(ctx, rowsOf(recs...), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := st.db.ExecContext(ctx, st.q("DELETE FROM records WHERE id = ?"), recs[0].ID); err != nil {
				t.Fatal(err)
			}
			tr := &TimeRule{Cal: &Calendar{}, Store: st}
			n, err := tr.Apply(ctx, t0.AddDate(0, 1, 0))
			if err != nil || n != 2 {
				t.Fatalf("Apply: %d added, %v; want 2", n, err)
			}
		})
	}
}

// A session closed by a rating through another channel (a scanned receipt,
// under ClosingID) counts once, as that rating: not unrated, not defaulted,
// whichever of the two records is stored first; the time rule lists it as
// rated and gives it no default.
func TestChannelClosesSession(t *testing.T) {
	for _, be := range backends {
		for _, closerFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/closer-first=%v", be.name, closerFirst), func(t *testing.T) {
				s := openStore(t, be.open(t))
				ctx := context.Background()
				u := rec(1, func(r *rating.Record) {
					r.Kind, r.Stars, r.Flags = rating.KindUnrated, 0, []string{rating.FlagSessionTimeout}
				})
				scan := DefaultRecord(u) // the same id and session as a default would have
				scan.ID, scan.Stars, scan.Good, scan.Reasons = ClosingID(u.ID), 2, false, []string{"214"}
				scan.Channel, scan.Flags = "3", []string{FlagChannel, FlagVia + "qr"}
				order := []rating.Record{u, scan}
				if closerFirst {
					order = []rating.Record{scan, u}
				}
				for _, r := range order {
					if _, err := s.Insert(ctx, rowsOf(r), nil); err != nil {
						t.Fatal(err)
					}
				}
				st, err := s.Stats(ctx, Filter{})
				if err != nil {
					t.Fatal(err)
				}
				if st.Total.Rated != 1 || st.Total.Bad != 1 || st.Total.Unrated != 0 || st.Total.Default != 0 {
					t.Errorf("figures %+v: want one 差评, nothing unrated or defaulted", st.Total)
				}
				tr := &TimeRule{Cal: &Calendar{}, Store: s}
				later := t0.AddDate(0, 1, 0)
				list, n, err := tr.Check(ctx, Filter{}, later)
				if err != nil {
					t.Fatal(err)
				}
				if n != 0 || len(list) != 1 || list[0].Status != StatusRated {
					t.Errorf("time rule a month later: %d defaults, %+v; want none and status rated", n, list)
				}
			})
		}
	}
}
