package central

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// The synthetic fraud suite: a day of honest traffic for a hall, seeded,
// with 刷好评 and malicious 差评 patterns injected on some staff and pads.
// Every injected pattern must be flagged; flags on the untouched staff and
// pads are false positives, counted over many honest days (README).

var simZone = time.FixedZone("CST", 8*3600)

const simWindows = 6

// simEvent is one press before it becomes a record.
type simEvent struct {
	win      int // 1..simWindows
	opened   time.Time
	at       time.Time
	received time.Time
	stars    int
	reasons  []string
	walkin   bool
	dropped  bool // never stored (a seq gap)
	id       string
}

// simDay is a hall's day.
type simDay struct {
	seed   int
	hall   string
	day    time.Time // 00:00 local
	events []*simEvent
	n      int
	// injected: the units ("staff:ID" or "pad:ID") that carry a pattern,
	// and the kind each must be flagged with.
	injected map[string]string
	pauses   [][2]time.Time // pad 1 paused from, to
	seqGap   bool           // pad 6 loses seq 20–22, pad 5 repeats seq 10
	// evidence: kind → the injected records its flag must list.
	evidence map[string][]string
}

func simStaff(w int) string { return fmt.Sprintf("S%d", w) }

func (d *simDay) pad(w int) string { return fmt.Sprintf("%s-W%d", d.hall, w) }

// honestDay generates windows 1..6 from 09:00 to 17:00: a service of 2
// minutes plus an exponential 6 on average, then the session opens and
// the citizen presses after a log-normal delay (median 8 s, σ 0.6, at
// least 0.8 s); 85% of sessions are rated; 3% of the gaps see a walk-in
// press. Stars: 5★ 90%, 4★ 5%, 3★ 2%, 2★ 2%, 1★ 1%; a 差评 picks one or
// two of six reasons.
func honestDay(seed int) *simDay {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	d := &simDay{seed: seed, hall: fmt.Sprintf("H%03d", seed), day: time.Date(2026, 10, 1, 0, 0, 0, 0, simZone).AddDate(0, 0, seed),
		injected: map[string]string{}}
	for w := 1; w <= simWindows; w++ {
		t := d.day.Add(9 * time.Hour)
		end := d.day.Add(17 * time.Hour)
		for {
			t = t.Add(2*time.Minute + time.Duration(rng.ExpFloat64()*float64(6*time.Minute)))
			if t.After(end) {
				break
			}
			if rng.Float64() < 0.85 {
				delay := max(800*time.Millisecond, time.Duration(8*math.Exp(0.6*rng.NormFloat64())*float64(time.Second)))
				stars, reasons := honestStars(rng)
				d.add(&simEvent{win: w, opened: t, at: t.Add(delay), stars: stars, reasons: reasons})
				t = t.Add(delay)
			}
			if rng.Float64() < 0.03 {
				stars, reasons := honestStars(rng)
				d.add(&simEvent{win: w, at: t.Add(time.Duration(30+rng.IntN(30)) * time.Second), stars: stars, reasons: reasons, walkin: true})
			}
		}
	}
	return d
}

func honestStars(rng *rand.Rand) (int, []string) {
	x := rng.Float64()
	switch {
	case x < 0.90:
		return 5, nil
	case x < 0.95:
		return 4, nil
	case x < 0.97:
		return 3, nil
	}
	stars := 2
	if x >= 0.99 {
		stars = 1
	}
	codes := []string{"201", "202", "203", "204", "205", "206"}
	rs := []string{codes[rng.IntN(6)]}
	if rng.IntN(2) == 0 {
		if c := codes[rng.IntN(6)]; c != rs[0] {
			rs = append(rs, c)
		}
	}
	return stars, rs
}

func (d *simDay) add(e *simEvent) *simEvent {
	d.n++
	e.id = fmt.Sprintf("019abcde-%04d-7000-8000-%012d", d.seed, d.n)
	if e.received.IsZero() {
		e.received = e.at.Add(time.Duration(1+d.n%5) * time.Second)
	}
	d.events = append(d.events, e)
	return e
}

// inject adds the patterns, each on its own staff member or pad:
// S2 presses 5★ a second after opening 12 sessions (刷好评 by hand);
// pad W3 gets a burst of 10 5★ in 40 s; S4's ratings are all 5★ and 60
// more sessions are rated 5★ with citizen-like delays (an inflated share);
// S5 gets five identical 1★ (reasons 201+203) within 80 minutes
// (malicious); pad W2 gets 30 more walk-ins; pad W6 loses seq 20–22 and
// dates one record 10 minutes ahead of the central; pad W5 dates one
// before its key and stores seq 10 twice; pad W1 reports itself paused 12:00–12:30 and a rating
// is dated 12:10.
func (d *simDay) inject(seed int) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xbad))
	d.evidence = map[string][]string{}
	at := func(h, m, s int) time.Time {
		return d.day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	quick := 0
	for _, e := range d.events {
		if e.win == 2 && !e.walkin && quick < 12 {
			e.at, e.stars, e.reasons = e.opened.Add(time.Duration(500+rng.IntN(1000))*time.Millisecond), 5, nil
			e.received = e.at.Add(2 * time.Second)
			quick++
			d.evidence[SuspectQuickPress] = append(d.evidence[SuspectQuickPress], e.id)
		}
		if e.win == 4 {
			e.stars, e.reasons = 5, nil
		}
	}
	d.injected["staff:"+simStaff(2)] = SuspectQuickPress
	for i := range 10 {
		e := d.add(&simEvent{win: 3, at: at(14, 0, 4*i), stars: 5, walkin: true})
		d.evidence[SuspectBurst] = append(d.evidence[SuspectBurst], e.id)
	}
	d.injected["pad:"+d.pad(3)] = SuspectBurst
	for range 60 {
		o := at(9, 0, 0).Add(time.Duration(rng.Int64N(int64(8 * time.Hour))))
		d.add(&simEvent{win: 4, opened: o, at: o.Add(time.Duration(5+rng.IntN(20)) * time.Second), stars: 5})
	}
	d.injected["staff:"+simStaff(4)] = SuspectStaffShare
	for i := range 5 {
		o := at(10, 20*i, 7)
		e := d.add(&simEvent{win: 5, opened: o, at: o.Add(15 * time.Second), stars: 1, reasons: []string{"203", "201"}})
		d.evidence[SuspectRepeatedBad] = append(d.evidence[SuspectRepeatedBad], e.id)
	}
	d.injected["staff:"+simStaff(5)] = SuspectRepeatedBad
	for range 30 {
		d.add(&simEvent{win: 2, at: at(9, 0, 0).Add(time.Duration(rng.Int64N(int64(8 * time.Hour)))), stars: 5, walkin: true})
	}
	d.injected["pad:"+d.pad(2)] = SuspectWalkinShare
	ahead := d.add(&simEvent{win: 6, opened: at(15, 0, 0), at: at(15, 0, 9), stars: 5})
	ahead.received = ahead.at.Add(-10 * time.Minute)
	d.injected["pad:"+d.pad(6)] = SuspectSeqGap + "," + SuspectFuture
	d.add(&simEvent{win: 5, opened: at(6, 30, 0), at: at(6, 30, 10), received: at(9, 1, 0), stars: 5})
	d.injected["pad:"+d.pad(5)] = SuspectBeforeKey + "," + SuspectSeqRepeat
	// Pad 1 paused: its honest sessions in the pause go away (a paused pad
	// opens none), one rating is dated inside it.
	p0, p1 := at(12, 0, 0), at(12, 30, 0)
	d.events = slices.DeleteFunc(d.events, func(e *simEvent) bool { return e.win == 1 && !e.at.Before(p0) && e.at.Before(p1) })
	paused := d.add(&simEvent{win: 1, at: at(12, 10, 0), stars: 5, walkin: true})
	d.evidence[SuspectWhilePaused] = []string{paused.id}
	d.pauses = append(d.pauses, [2]time.Time{p0, p1})
	d.injected["pad:"+d.pad(1)] = SuspectWhilePaused
	// The gap: stored later, after seq are given.
	d.seqGap = true
}

// store enrolls the hall's pads at 07:00, numbers each pad's presses in
// time order and stores them (but the dropped), and writes the pause
// history. It returns the number of records stored.
func (d *simDay) store(t testing.TB, st *SQLStore) int {
	t.Helper()
	ctx := context.Background()
	for w := 1; w <= simWindows; w++ {
		enrollPad(t, st, centraltest.NewPad(d.pad(w)), testKey(t), d.day.Add(7*time.Hour))
	}
	sort.SliceStable(d.events, func(i, j int) bool { return d.events[i].at.Before(d.events[j].at) })
	seq := map[int]int{}
	var rows []Row
	for _, e := range d.events {
		seq[e.win]++
		if d.seqGap && e.win == 6 && seq[e.win] >= 20 && seq[e.win] <= 22 {
			continue
		}
		o := rating.Origin{DeviceID: d.pad(e.win), AreaCode: "370900", Hall: d.hall, Window: fmt.Sprint(e.win), Channel: "4"}
		staff := rating.Staff{ID: simStaff(e.win), Name: "员工" + simStaff(e.win)}
		var s *rating.Session
		var cases []rating.Case
		opened := ""
		if !e.walkin {
			s = &rating.Session{ID: "SS-" + e.id, Mode: rating.ModeSingle, Staff: staff}
			cases = []rating.Case{{ProjectNo: "P-" + e.id, TaskCode: "T001", TaskName: "企业设立登记"}}
			opened = rating.FormatTime(e.opened, simZone)
		}
		r := rating.NewRecord(e.id, o, s, staff, cases, rating.Verdict{Stars: rating.Stars(e.stars), Reasons: e.reasons},
			opened, rating.FormatTime(e.at, simZone))
		r.Seq = uint64(seq[e.win])
		rows = append(rows, NewRow(r, mustJSON(r), e.received))
		if d.seqGap && e.win == 5 && r.Seq == 10 {
			// A regression: seq 10 again under another id (a store put back).
			again := r
			again.ID = strings.Replace(r.ID, "-7000-", "-7001-", 1)
			rows = append(rows, NewRow(again, mustJSON(again), e.received.Add(time.Hour)))
		}
	}
	for i := 0; i < len(rows); i += 200 {
		if _, err := st.Insert(ctx, rows[i:min(i+200, len(rows))], nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range d.pauses {
		for _, s := range []struct {
			at     time.Time
			screen string
		}{{p[0], "paused"}, {p[0].Add(time.Minute), "paused"}, {p[1], "idle"}} {
			if err := st.RecordStatus(ctx, d.pad(1), protocol.Status{Online: true, Screen: s.screen, At: rating.FormatTime(s.at, simZone)}, s.at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return len(rows)
}

// suspicious asks for the hall's day.
func (d *simDay) suspicious(t *testing.T, st *SQLStore) []Suspicion {
	t.Helper()
	list, err := st.Suspicious(context.Background(), SuspectQuery{From: d.day, To: d.day.AddDate(0, 0, 1), Hall: d.hall, T: DefaultThresholds()})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func unitOf(s Suspicion) string {
	if s.StaffID != "" {
		return "staff:" + s.StaffID
	}
	return "pad:" + s.DeviceID
}

// TestFraudSuite: on both backends, every pattern injected into a seeded
// day is flagged on its staff member or pad with its evidence, nothing
// injected is dropped from the store, and no untouched staff member or pad
// is flagged on those days. The flags of bursts, quick presses, repeated
// 差评 and ratings while paused list the injected records.
func TestFraudSuite(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			ctx := context.Background()
			total := 0
			for seed := 1; seed <= 5; seed++ {
				d := honestDay(seed)
				d.inject(seed)
				stored := d.store(t, st)
				before, err := st.Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				list := d.suspicious(t, st)
				flagged := map[string][]string{}
				for _, s := range list {
					flagged[unitOf(s)] = append(flagged[unitOf(s)], s.Kind)
					if s.Detail == "" || s.Count < 1 || len(s.Figures) == 0 || len(s.Threshold) == 0 {
						t.Errorf("seed %d: a flag without its evidence: %+v", seed, s)
					}
					if want := d.evidence[s.Kind]; len(want) > 0 {
						for _, id := range want {
							if !slices.Contains(s.Records, id) {
								t.Errorf("seed %d: %s flag does not list injected record %s: %v", seed, s.Kind, id, s.Records)
							}
						}
					}
					if _, ok := d.injected[unitOf(s)]; !ok {
						t.Errorf("seed %d: false positive on an untouched unit: %+v", seed, s)
					}
				}
				for unit, kinds := range d.injected {
					for _, k := range strings.Split(kinds, ",") {
						if !slices.Contains(flagged[unit], k) {
							t.Errorf("seed %d: %s injected with %s, flagged %v", seed, unit, k, flagged[unit])
						}
					}
				}
				// Nothing dropped: the flagged records are all still stored.
				total += stored
				if after, _ := st.Count(ctx); after != before || after != total {
					t.Errorf("seed %d: records %d before the list, %d after, %d stored", seed, before, after, total)
				}
				if seed == 1 {
					for _, s := range list {
						t.Logf("%s %s: %s", s.Kind, unitOf(s), s.Detail)
					}
				}
			}
		})
	}
}

// TestFraudFalsePositives: honest days only (seeds 1–40 on SQLite, 1–5 on
// PostgreSQL, which must agree): the flags on them are all false; the
// figures are logged for README and held to at most 3 hall-days of 40
// with any flag.
func TestFraudFalsePositives(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			seeds := 40
			if be.name == "postgres" {
				seeds = 5
			}
			ratings, flaggedDays := 0, 0
			kinds := map[string]int{}
			for seed := 1; seed <= seeds; seed++ {
				d := honestDay(seed)
				ratings += d.store(t, st)
				list := d.suspicious(t, st)
				if len(list) > 0 {
					flaggedDays++
				}
				for _, s := range list {
					kinds[s.Kind]++
					t.Logf("seed %d: false positive %s %s: %s", seed, s.Kind, unitOf(s), s.Detail)
				}
			}
			t.Logf("%s: %d honest hall-days (seeds 1-%d, %d windows, %d ratings): %d with a flag, flags by kind %v",
				be.name, seeds, seeds, simWindows, ratings, flaggedDays, kinds)
			if flaggedDays*40 > 3*seeds {
				t.Errorf("%d of %d honest days flagged", flaggedDays, seeds)
			}
		})
	}
}

// TestSuspiciousAPI: GET /api/v1/suspicious lists an injected day's flags
// for a supervisor, refuses a bad window or threshold with 400 naming it,
// and a threshold set in the query changes the list.
func TestSuspiciousAPI(t *testing.T) {
	st := openStore(t, backends[0].open(t))
	ctx := context.Background()
	d := honestDay(7)
	d.inject(7)
	d.store(t, st)
	sup, err := IssueToken(ctx, st, RoleSupervisor, "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&API{Store: st, Auth: &Auth{Tokens: st}}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(query, token string) (int, map[string]json.RawMessage) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/suspicious?"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]json.RawMessage
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	day := d.day.Format(time.DateOnly)
	kindsOf := func(body map[string]json.RawMessage) map[string]bool {
		var list []Suspicion
		if err := json.Unmarshal(body["suspicious"], &list); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range list {
			out[s.Kind] = true
		}
		return out
	}
	code, body := get("from="+day+"&to="+day+"&hall="+d.hall, sup)
	if k := kindsOf(body); code != 200 || !k[SuspectBurst] || !k[SuspectRepeatedBad] || !k[SuspectQuickPress] || !k[SuspectStaffShare] {
		t.Fatalf("%d %v", code, k)
	}
	// Stricter: a burst needs 11 presses now (the injected one has 10).
	if _, body := get("from="+day+"&to="+day+"&hall="+d.hall+"&burst_count=11", sup); kindsOf(body)[SuspectBurst] {
		t.Error("burst_count=11 still lists the burst of 10")
	}
	for q, want := range map[string]string{"from=yesterday": "from", "burst_count=1": "burst_count",
		"quick_press=soon": "quick_press", "from=2026-11-02&to=2026-11-01": "from", "alpha=2": "alpha"} {
		code, body := get(q, sup)
		if code != 400 || !json.Valid(body["error"]) || !strings.Contains(string(body["error"]), want) {
			t.Errorf("%s: %d %s", q, code, body["error"])
		}
	}
	if code, _ := get("", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
}

// BenchmarkSuspicious: the 可疑 list of every hall over 92 days of honest
// traffic (92 hall-days of the generator, about 29,000 ratings) on SQLite.
func BenchmarkSuspicious(b *testing.B) {
	st := openStore(b, filepath.Join(b.TempDir(), "evalhub.db"))
	n := 0
	for seed := 1; seed <= 92; seed++ {
		n += honestDay(seed).store(b, st)
	}
	q := SuspectQuery{From: honestDay(1).day, To: honestDay(92).day.AddDate(0, 0, 1), T: DefaultThresholds()}
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Suspicious(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "ratings")
}
