package central

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// WilsonZ is the normal quantile of the 95% Wilson score interval.
const WilsonZ = 1.959963984540054

// Wilson is the lower bound of the 95% Wilson score interval of good
// successes in n trials: the 满意率 a ranking may rely on for the volume
// (3 of 3 ranks below 95 of 100). 0 when n is 0.
func Wilson(good, n int) float64 {
	if n <= 0 {
		return 0
	}
	z2, fn := WilsonZ*WilsonZ, float64(n)
	p := float64(good) / fn
	return (p + z2/(2*fn) - WilsonZ*math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))) / (1 + z2/fn)
}

// Ranked is one staff member's or window's place in a month's ranking.
type Ranked struct {
	Rank int    `json:"rank"` // 1: best
	Key  string `json:"key"`  // staff id, or hall/window
	Name string `json:"name,omitempty"`
	// The counts per rating (a press is one trial), as in Figures.
	Rated        int     `json:"rated"`
	Good         int     `json:"good"`
	Satisfaction float64 `json:"satisfaction"`
	// CaseSatisfaction is 服务满意率 per 办件, shown beside; the rank
	// follows Wilson.
	CaseSatisfaction float64 `json:"case_satisfaction"`
	Wilson           float64 `json:"wilson"` // the 95% lower bound of Good/Rated: the rank's key
}

// Ranking is a month's ranking with those 连续排名靠后: in the bottom
// Bottom of each of the last Periods months (this one included).
type Ranking struct {
	Month   string   `json:"month"`
	By      string   `json:"by"` // staff or window
	Bottom  int      `json:"bottom"`
	Periods int      `json:"periods"`
	Ranked  []Ranked `json:"ranked"`
	// Persistent: the keys ranked in the bottom Bottom in each of the
	// Periods months (with at least one rating in each), worst first.
	Persistent []Ranked `json:"persistent"`
}

// RankingQuery asks for a ranking: f narrows the records (a Scope's part),
// Month is YYYY-MM, By staff or window.
type RankingQuery struct {
	Filter  Filter
	Month   string
	By      string
	Bottom  int // N; default 3
	Periods int // K; default 3
}

// rank orders the groups of one month by Wilson, best first.
func rank(groups []Figures) []Ranked {
	var out []Ranked
	for _, g := range groups {
		if g.Rated == 0 {
			continue
		}
		out = append(out, Ranked{Key: g.Key, Name: g.Name, Rated: g.Rated, Good: g.Good, Satisfaction: g.Satisfaction,
			CaseSatisfaction: g.CaseSatisfaction, Wilson: Wilson(g.Good, g.Rated)})
	}
	slices.SortStableFunc(out, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.Wilson, a.Wilson), cmp.Compare(b.Rated, a.Rated), cmp.Compare(a.Key, b.Key))
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// bottom is the last n of ranked (all when fewer).
func bottom(ranked []Ranked, n int) []Ranked { return ranked[max(0, len(ranked)-n):] }

// monthRange is the first and last day of month YYYY-MM.
func monthRange(month string) (from, to string, err error) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "", "", fmt.Errorf("%w: month: %q is not YYYY-MM", ErrBadFilter, month)
	}
	return t.Format(time.DateOnly), t.AddDate(0, 1, -1).Format(time.DateOnly), nil
}

// MakeRanking ranks q.By for q.Month from the rollups (Store.Stats) and
// names those in the bottom q.Bottom for q.Periods consecutive months.
func MakeRanking(ctx context.Context, st Store, q RankingQuery) (Ranking, error) {
	q.Bottom, q.Periods = cmp.Or(q.Bottom, 3), cmp.Or(q.Periods, 3)
	if q.By != "staff" && q.By != "window" {
		return Ranking{}, fmt.Errorf("%w: by: %q is not staff or window", ErrBadFilter, q.By)
	}
	if q.Bottom < 1 || q.Bottom > 1000 || q.Periods < 1 || q.Periods > 24 {
		return Ranking{}, fmt.Errorf("%w: bottom 1..1000 and periods 1..24", ErrBadFilter)
	}
	start, err := time.Parse("2006-01", q.Month)
	if err != nil {
		return Ranking{}, fmt.Errorf("%w: month: %q is not YYYY-MM", ErrBadFilter, q.Month)
	}
	out := Ranking{Month: q.Month, By: q.By, Bottom: q.Bottom, Periods: q.Periods}
	low := map[string]int{} // key → months in the bottom
	for k := range q.Periods {
		f := q.Filter
		if f.From, f.To, err = monthRange(start.AddDate(0, -k, 0).Format("2006-01")); err != nil {
			return Ranking{}, err
		}
		f.Limit = 0
		s, err := st.Stats(ctx, f)
		if err != nil {
			return Ranking{}, fmt.Errorf("central: ranking %s: %w", f.From[:7], err)
		}
		ranked := rank(map[bool][]Figures{true: s.ByStaff, false: s.ByWin}[q.By == "staff"])
		if k == 0 {
			out.Ranked = ranked
		}
		for _, r := range bottom(ranked, q.Bottom) {
			low[r.Key]++
		}
	}
	out.Persistent = []Ranked{}
	if out.Ranked == nil {
		out.Ranked = []Ranked{}
	}
	for _, r := range slices.Backward(out.Ranked) {
		if low[r.Key] == q.Periods {
			out.Persistent = append(out.Persistent, r)
		}
	}
	return out, nil
}

// rankingQuery reads GET /api/v1/ranking's parameters.
func rankingQuery(q url.Values, f Filter) (RankingQuery, error) {
	rq := RankingQuery{Filter: f, Month: q.Get("month"), By: q.Get("by")}
	if p := q.Get("period"); p != "" && p != "month" {
		return rq, fmt.Errorf("%w: period: %q: only month is ranked", ErrBadFilter, p)
	}
	for _, p := range []struct {
		name string
		v    *int
	}{{"bottom", &rq.Bottom}, {"periods", &rq.Periods}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return rq, fmt.Errorf("%w: %s: %q is not a number", ErrBadFilter, p.name, s)
			}
			*p.v = n
		}
	}
	return rq, nil
}

// serveRanking answers GET /api/v1/ranking?period=month&month=&by=staff|window&bottom=&periods=
// (and the filters), narrowed to the token's scope; a staff token is
// refused (a ranking names the others).
func (a *API) serveRanking(w http.ResponseWriter, r *http.Request) {
	if ScopeOf(r).Role == RoleStaff {
		writeError(w, http.StatusForbidden, fmt.Errorf("%w: a staff token sees its own figures, not the ranking of the others", ErrOutOfScope))
		return
	}
	f, ok := scopedFilter(w, r, false)
	if !ok {
		return
	}
	rq, err := rankingQuery(r.URL.Query(), f)
	if err == nil {
		var rk Ranking
		if rk, err = MakeRanking(r.Context(), a.Store, rq); err == nil {
			writeJSON(w, http.StatusOK, rk)
			return
		}
	}
	if errors.Is(err, ErrBadFilter) {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	a.fail(w, err)
}
