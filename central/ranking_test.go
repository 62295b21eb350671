package central

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

// TestWilson: the 95% lower bounds against values computed by hand from
// the formula (and Evan Miller's 9 of 10 → 0.5958).
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		good, n int
		want    float64
	}{{9, 10, 0.5958}, {90, 100, 0.8256}, {0, 0, 0}, {0, 10, 0}, {10, 10, 0.7225}, {1, 1, 0.2065}, {50, 100, 0.4038}} {
		if got := Wilson(c.good, c.n); math.Abs(got-c.want) > 0.00005 {
			t.Errorf("Wilson(%d, %d) = %.5f, want %.4f", c.good, c.n, got, c.want)
		}
	}
	if Wilson(3, 3) >= Wilson(95, 100) {
		t.Error("3 of 3 must rank below 95 of 100")
	}
}

// rankingRecords: per staff member, month and counts of ratings and good
// ones, records of hall A厅 (window = the staff id's last digit).
func rankingRecords(t *testing.T, st *SQLStore) {
	t.Helper()
	n := 0
	var rows []Row
	add := func(staff, month string, rated, good int) {
		day, _ := time.ParseInLocation("2006-01-02", month+"-10", t0.Location())
		for i := range rated {
			n++
			stars := rating.Stars(5)
			if i >= good {
				stars = 1
			}
			rows = append(rows, row(rec(n, func(r *rating.Record) {
				r.Hall, r.Window, r.Staff.ID, r.Staff.Name, r.Stars = "A厅", staff[len(staff)-1:], staff, "员工"+staff, stars
				r.At = rating.FormatTime(day.Add(time.Duration(n)*time.Minute), t0.Location())
				if i >= good {
					r.Reasons = []string{"213"}
				}
			})))
		}
	}
	for _, m := range []string{"2026-09", "2026-10", "2026-11"} {
		add("S1", m, 30, 29)
		add("S2", m, 20, 10)
		add("S4", m, 2, 2)
		if m == "2026-09" {
			add("S3", m, 10, 3)
		} else {
			add("S3", m, 50, 50)
		}
	}
	if _, err := st.Insert(context.Background(), rows, nil); err != nil {
		t.Fatal(err)
	}
}

func keys(rs []Ranked) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}

// TestRanking: on both backends, staff ranked by the Wilson bound (2 of 2
// ranks below 29 of 30), and 连续排名靠后 is who is in the bottom 2 of each
// of 3 months: S2 (10 of 20 every month); not S3 (3 of 10 in September
// only) nor S4 (2 of 2, in the bottom 2 in October and November only; over
// 2 months it is named). Over the API a hall manager gets their hall's
// ranking and report; another hall's is 403, a staff token 403.
func TestRanking(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, be.open(t))
			rankingRecords(t, st)
			rk, err := MakeRanking(ctx, st, RankingQuery{Month: "2026-11", By: "staff", Bottom: 2, Periods: 3})
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(rk.Ranked); !slices.Equal(got, []string{"S3", "S1", "S4", "S2"}) {
				t.Errorf("November: %v", got)
			}
			if got := keys(rk.Persistent); !slices.Equal(got, []string{"S2"}) {
				t.Errorf("bottom 2 for 3 months: %v, want [S2]", got)
			}
			if r := rk.Ranked[1]; r.Rated != 30 || r.Good != 29 || math.Abs(r.Wilson-Wilson(29, 30)) > 1e-12 || r.Name != "员工S1" {
				t.Errorf("S1: %+v", r)
			}
			rk, _ = MakeRanking(ctx, st, RankingQuery{Month: "2026-11", By: "staff", Bottom: 2, Periods: 2})
			if got := keys(rk.Persistent); !slices.Equal(got, []string{"S2", "S4"}) {
				t.Errorf("bottom 2 for 2 months: %v, want [S2 S4]", got)
			}
			rk, _ = MakeRanking(ctx, st, RankingQuery{Month: "2026-09", By: "window", Bottom: 1, Periods: 1})
			if got := keys(rk.Persistent); !slices.Equal(got, []string{"A厅/3"}) {
				t.Errorf("September's worst window: %v", got)
			}
			if _, err := MakeRanking(ctx, st, RankingQuery{Month: "2026-13", By: "staff"}); err == nil {
				t.Error("month 2026-13 accepted")
			}

			mux := http.NewServeMux()
			(&API{Auth: &Auth{Tokens: st}, Store: st, Now: func() time.Time { return t0 }}).Register(mux)
			srv := httptestServer(t, mux)
			hall, _ := IssueScopedToken(ctx, st, Scope{Role: RoleHall, Hall: "A厅"}, "", t0)
			other, _ := IssueScopedToken(ctx, st, Scope{Role: RoleHall, Hall: "B厅"}, "", t0)
			staff, _ := IssueScopedToken(ctx, st, Scope{Role: RoleStaff, StaffID: "S1"}, "", t0)
			q := url.Values{"period": {"month"}, "month": {"2026-11"}, "by": {"staff"}, "bottom": {"2"}, "periods": {"3"}}
			if code, b := getJSON(t, srv, hall, "/api/v1/ranking", q); code != http.StatusOK || !strings.Contains(string(b), `"persistent":[{"rank":4,"key":"S2"`) {
				t.Errorf("hall manager: %d %s", code, b)
			}
			if code, b := getJSON(t, srv, other, "/api/v1/ranking", q); code != http.StatusOK || !strings.Contains(string(b), `"ranked":[]`) {
				t.Errorf("another hall's manager: %d %s", code, b)
			}
			q.Set("hall", "A厅")
			if code, _ := getJSON(t, srv, other, "/api/v1/ranking", q); code != http.StatusForbidden {
				t.Errorf("another hall's manager asking for A厅: %d", code)
			}
			if code, _ := getJSON(t, srv, staff, "/api/v1/ranking", q); code != http.StatusForbidden {
				t.Errorf("staff: %d", code)
			}
			q.Set("by", "item")
			if code, _ := getJSON(t, srv, hall, "/api/v1/ranking", q); code != http.StatusBadRequest {
				t.Errorf("by=item: %d", code)
			}

			// The monthly report.
			code, b := getJSON(t, srv, hall, "/report/A厅/2026-11", nil)
			page := string(b)
			if code != http.StatusOK {
				t.Fatalf("report: %d %s", code, b)
			}
			for _, want := range []string{"A厅 · 2026-11 好差评月报", `<div id="case-satisfaction">89.2%<small>服务满意率（按办件）`,
				`<div id="coverage">100.0%`, "<tr><td>11</td><td>11</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>" /* the month's 11 差评, each a case 待核实 */, `<tr class="low"><td>4</td><td class="k">S2</td>`,
				`<strong class="persistent">S2 员工S2</strong>、<strong class="persistent">S4 员工S4</strong>`, "@media print"} {
				if !strings.Contains(page, want) {
					t.Errorf("the report lacks %q:\n%s", want, page)
				}
			}
			if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "<script") {
				t.Error("the report loads something from outside")
			}
			if code, _ := getJSON(t, srv, other, "/report/A厅/2026-11", nil); code != http.StatusForbidden {
				t.Errorf("another hall's report: %d", code)
			}
			if code, _ := getJSON(t, srv, hall, "/report/A厅/2026-1", nil); code != http.StatusBadRequest {
				t.Errorf("report of a bad month: %d", code)
			}
		})
	}
}

type fakeComplaints ComplaintCounts

func (f fakeComplaints) ComplaintSummary(context.Context, string, string) (ComplaintCounts, error) {
	return ComplaintCounts(f), nil
}

// TestReportComplaints: with a complaint source wired, the report shows
// its counts instead of "not available".
func TestReportComplaints(t *testing.T) {
	st := openStore(t, backends[0].open(t))
	rankingRecords(t, st)
	rp, err := MakeReport(context.Background(), st, fakeComplaints{Opened: 7, Overdue: 2}, "A厅", "2026-11", t0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := rp.Render()
	if page := string(b); !strings.Contains(page, "<td>7</td>") || strings.Contains(page, "not available") {
		t.Errorf("report: %s", page)
	}
}
