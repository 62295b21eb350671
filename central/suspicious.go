package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Fakes are looked for, never silently dropped (the central's rules): the
// detectors below read the stored records of a bounded window and list
// what looks like 刷好评 or a malicious 差评 on the 可疑 list, each flag with
// its evidence — the records, the figures and the threshold that tripped.
// Nothing is removed or excluded: a flagged record stays stored and counted
// until a person decides (an appeal, complaints).

// Kinds of suspicion.
const (
	SuspectBurst        = "burst"        // many ratings from one pad within a short window
	SuspectQuickPress   = "quick_press"  // presses within seconds of the session opening (staff pressing)
	SuspectStaffShare   = "staff_5star"  // a staff member's 5★ share far above the hall's
	SuspectWalkinShare  = "walkin_share" // a pad's walk-in share far above the hall's
	SuspectSeqGap       = "seq_gap"      // seq never stored (lost, withheld or deleted)
	SuspectSeqRepeat    = "seq_repeat"   // seq stored under two ids: a store reset or cloned
	SuspectFuture       = "future"       // dated after the central received it
	SuspectBeforeKey    = "before_key"   // dated before the pad's key was registered
	SuspectWhilePaused  = "while_paused" // rated while the pad reported itself paused
	SuspectRepeatedBad  = "repeated_bad" // the same 差评 (stars and reasons) again and again against one staff member
	maxSuspectEvidence  = 50             // record ids listed per flag
	suspiciousPageLimit = 1000           // records read per query
	defaultSuspectRange = 7 * 24 * time.Hour
)

// Suspicion is one flag on the 可疑 list.
type Suspicion struct {
	Kind     string `json:"kind"`
	Hall     string `json:"hall,omitempty"`
	Window   string `json:"window,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
	StaffID  string `json:"staff_id,omitempty"`
	// Records are ids of the records that make the case (at most 50;
	// Count says how many there are).
	Records []string `json:"records"`
	Count   int      `json:"count"`
	// Figures are the numbers measured, Threshold those they were held to.
	Figures   map[string]float64 `json:"figures"`
	Threshold map[string]float64 `json:"threshold"`
	Detail    string             `json:"detail"`
}

// Duration is a time.Duration written "90s", "2h" in JSON.
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Thresholds configure the detectors. DefaultThresholds are the defaults;
// a deployment changes them in a JSON file (LoadThresholds) and a person
// may change any one for a request with a query parameter of the same name.
type Thresholds struct {
	// A burst: BurstCount or more ratings from one pad within BurstWindow.
	BurstCount  int      `json:"burst_count"`
	BurstWindow Duration `json:"burst_window"`
	// A quick press is rated less than QuickPress after its session opened;
	// a staff member with QuickPressMin or more on one day is flagged.
	QuickPress    Duration `json:"quick_press"`
	QuickPressMin int      `json:"quick_press_min"`
	// Shares (5★ of a staff member, walk-ins of a pad) are tested against
	// the rest of the hall with Fisher's exact test (one-sided), Holm's
	// correction across the staff (pads) of a hall at family-wise level
	// Alpha; only with MinVolume ratings or more and a share at least
	// MinExcess above the rest of the hall's.
	Alpha     float64 `json:"alpha"`
	MinVolume int     `json:"min_volume"`
	MinExcess float64 `json:"min_excess"`
	// Repeated 差评: RepeatCount or more 差评 with the same stars and the
	// same reasons against one staff member within RepeatWindow.
	RepeatCount  int      `json:"repeat_count"`
	RepeatWindow Duration `json:"repeat_window"`
}

// DefaultThresholds are the thresholds when nothing says otherwise.
func DefaultThresholds() Thresholds {
	return Thresholds{
		BurstCount: 6, BurstWindow: Duration(time.Minute),
		QuickPress: Duration(2 * time.Second), QuickPressMin: 5,
		Alpha: 0.01, MinVolume: 20, MinExcess: 0.05,
		RepeatCount: 4, RepeatWindow: Duration(2 * time.Hour),
	}
}

// Validate says what is wrong with t.
func (t Thresholds) Validate() error {
	switch {
	case t.BurstCount < 2:
		return errors.New("burst_count: at least 2")
	case t.BurstWindow <= 0 || t.QuickPress <= 0 || t.RepeatWindow <= 0:
		return errors.New("burst_window, quick_press, repeat_window: more than 0")
	case t.QuickPressMin < 1 || t.MinVolume < 1:
		return errors.New("quick_press_min, min_volume: at least 1")
	case !(t.Alpha > 0 && t.Alpha < 1):
		return errors.New("alpha: between 0 and 1")
	case !(t.MinExcess >= 0 && t.MinExcess < 1):
		return errors.New("min_excess: from 0 to under 1")
	case t.RepeatCount < 2:
		return errors.New("repeat_count: at least 2")
	}
	return nil
}

// LoadThresholds reads a JSON file of thresholds; what it leaves out keeps
// its default.
func LoadThresholds(path string) (Thresholds, error) {
	t := DefaultThresholds()
	b, err := os.ReadFile(path)
	if err != nil {
		return t, fmt.Errorf("central: thresholds: %w", err)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(&t); err != nil {
		return t, fmt.Errorf("central: thresholds %s: %w", path, err)
	}
	if err := t.Validate(); err != nil {
		return t, fmt.Errorf("central: thresholds %s: %w", path, err)
	}
	return t, nil
}

// withQuery returns t with the thresholds q names changed.
func (t Thresholds) withQuery(q url.Values) (Thresholds, error) {
	ints := map[string]*int{"burst_count": &t.BurstCount, "quick_press_min": &t.QuickPressMin,
		"min_volume": &t.MinVolume, "repeat_count": &t.RepeatCount}
	floats := map[string]*float64{"alpha": &t.Alpha, "min_excess": &t.MinExcess}
	durs := map[string]*Duration{"burst_window": &t.BurstWindow, "quick_press": &t.QuickPress, "repeat_window": &t.RepeatWindow}
	for k, p := range ints {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return t, fmt.Errorf("%s: %q is not a number", k, v)
			}
			*p = n
		}
	}
	for k, p := range floats {
		if v := q.Get(k); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return t, fmt.Errorf("%s: %q is not a number", k, v)
			}
			*p = f
		}
	}
	for k, p := range durs {
		if v := q.Get(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return t, fmt.Errorf("%s: %q is not a duration like 90s", k, v)
			}
			*p = Duration(d)
		}
	}
	return t, t.Validate()
}

// SuspectQuery is what GET /api/v1/suspicious asks: records dated in
// [From, To), of one hall or all.
type SuspectQuery struct {
	From, To time.Time
	Hall     string
	T        Thresholds
}

// suspectFinder is a store that can look for fakes (SQLStore).
type suspectFinder interface {
	Suspicious(ctx context.Context, q SuspectQuery) ([]Suspicion, error)
}

// registerSuspicious serves GET /api/v1/suspicious?from=&to=&hall=&(thresholds)
// → {"from","to","thresholds","suspicious":[Suspicion…]} (supervisor) when
// the store can look. from and to are YYYY-MM-DD (to inclusive) or RFC 3339;
// default the last 7 days.
func (a *API) registerSuspicious(sup func(http.HandlerFunc) http.HandlerFunc, mux *http.ServeMux) {
	sf, ok := a.Store.(suspectFinder)
	if !ok {
		return
	}
	base := DefaultThresholds()
	if a.Suspects != nil {
		base = *a.Suspects
	}
	mux.HandleFunc("GET /api/v1/suspicious", sup(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		if a.Now != nil {
			now = a.Now()
		}
		q, err := parseSuspectQuery(r.URL.Query(), base, now)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		list, err := sf.Suspicious(r.Context(), q)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"from": q.From.UTC(), "to": q.To.UTC(),
			"thresholds": q.T, "suspicious": list})
	}))
}

func parseSuspectQuery(v url.Values, base Thresholds, now time.Time) (SuspectQuery, error) {
	q := SuspectQuery{To: now, From: now.Add(-defaultSuspectRange), Hall: v.Get("hall")}
	for _, p := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &q.From, false}, {"to", &q.To, true}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			*p.dst = t
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, s, now.Location())
		if err != nil {
			return q, fmt.Errorf("%s: %q is not YYYY-MM-DD or RFC 3339", p.name, s)
		}
		if p.end {
			t = t.AddDate(0, 0, 1)
		}
		*p.dst = t
	}
	if !q.From.Before(q.To) {
		return q, errors.New("from: not before to")
	}
	if q.To.Sub(q.From) > 92*24*time.Hour {
		return q, errors.New("from, to: at most 92 days at a time")
	}
	var err error
	q.T, err = base.withQuery(v)
	return q, err
}

// fisherUpper is the one-sided p-value of Fisher's exact test that a unit
// with k of n is above the rest, the hall having K of N in all: P(X ≥ k)
// for X ~ Hypergeometric(N, K, n), summed in log space. Unlike a binomial
// test against the rest's share, it allows for the rest's share being a
// sample too (a hall of few walk-ins otherwise flags honest pads).
func fisherUpper(k, n, K, N int) float64 {
	lc := func(a, b int) float64 { // log C(a, b)
		x, _ := math.Lgamma(float64(a + 1))
		y, _ := math.Lgamma(float64(b + 1))
		z, _ := math.Lgamma(float64(a - b + 1))
		return x - y - z
	}
	total := lc(N, n)
	sum := 0.0
	for j := k; j <= min(n, K); j++ {
		if n-j > N-K {
			continue
		}
		sum += math.Exp(lc(K, j) + lc(N-K, n-j) - total)
	}
	return min(sum, 1)
}

// shareUnit is one staff member (or pad) of a hall: n ratings, k of them
// of the kind whose share is tested, and the records (evidence).
type shareUnit struct {
	hall, id string
	n, k     int
	ids      []string
}

// shareTest flags the units of one hall whose share k/n is far above the
// rest of the hall's: Fisher's exact test, one-sided, of the unit against
// the rest of its hall, Holm's step-down correction across the hall's units at level Alpha, and
// at least MinVolume ratings and MinExcess above the rest.
func shareTest(kind string, units []*shareUnit, t Thresholds, what string) []Suspicion {
	N, K := 0, 0
	for _, u := range units {
		N, K = N+u.n, K+u.k
	}
	type cand struct {
		u          *shareUnit
		p, rest, s float64
	}
	var cs []cand
	for _, u := range units {
		if u.n < t.MinVolume {
			continue
		}
		rest := float64(K-u.k) / float64(max(N-u.n, 1))
		cs = append(cs, cand{u, fisherUpper(u.k, u.n, K, N), rest, float64(u.k) / float64(u.n)})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].p < cs[j].p })
	var out []Suspicion
	m := len(cs)
	for i, c := range cs {
		level := t.Alpha / float64(m-i)
		if c.p > level {
			break // Holm: stop at the first not rejected
		}
		if c.s-c.rest < t.MinExcess {
			continue
		}
		s := Suspicion{Kind: kind, Hall: c.u.hall, Records: evidence(c.u.ids), Count: c.u.k,
			Figures: map[string]float64{"n": float64(c.u.n), "k": float64(c.u.k), "share": c.s, "hall_share": c.rest,
				"p_value": c.p, "holm_level": level},
			Threshold: map[string]float64{"alpha": t.Alpha, "min_volume": float64(t.MinVolume), "min_excess": t.MinExcess},
			Detail: fmt.Sprintf("%s %d of %d (%.1f%%) against %.1f%% in the rest of the hall; one-sided Fisher exact p=%.2g ≤ %.2g (Holm, α=%g over %d)",
				what, c.u.k, c.u.n, 100*c.s, 100*c.rest, c.p, level, t.Alpha, m)}
		if kind == SuspectStaffShare {
			s.StaffID = c.u.id
		} else {
			s.DeviceID = c.u.id
		}
		out = append(out, s)
	}
	return out
}

func evidence(ids []string) []string {
	if len(ids) > maxSuspectEvidence {
		return slices.Clone(ids[:maxSuspectEvidence])
	}
	return slices.Clone(ids)
}

// runs finds runs of at least min events of one key within a window:
// events come in time order; contiguous qualifying windows are one run.
type runs struct {
	min    int
	window int64 // ms
	open   map[string]*runState
	done   []run
}

type runState struct {
	at  []int64
	ids []string
	cur *run
}

type run struct {
	key       string
	ids       []string
	from, to  int64
	n         int
	attribute [3]string // hall, device or staff, window
}

func newRuns(min int, window time.Duration) *runs {
	return &runs{min: min, window: window.Milliseconds(), open: map[string]*runState{}}
}

// add takes one event; attr is kept with the run.
func (r *runs) add(key string, at int64, id string, attr [3]string) {
	st := r.open[key]
	if st == nil {
		st = &runState{}
		r.open[key] = st
	}
	st.at, st.ids = append(st.at, at), append(st.ids, id)
	for len(st.at) > 0 && at-st.at[0] > r.window {
		st.at, st.ids = st.at[1:], st.ids[1:]
	}
	if len(st.at) < r.min {
		return
	}
	if st.cur != nil && st.cur.to >= st.at[0] {
		st.cur.to, st.cur.n = at, st.cur.n+1
		if len(st.cur.ids) < maxSuspectEvidence {
			st.cur.ids = append(st.cur.ids, id)
		}
		return
	}
	if st.cur != nil {
		r.done = append(r.done, *st.cur)
	}
	st.cur = &run{key: key, ids: evidence(st.ids), from: st.at[0], to: at, n: len(st.at), attribute: attr}
}

// all returns the runs found, in the order they started.
func (r *runs) all() []run {
	out := slices.Clone(r.done)
	for _, st := range r.open {
		if st.cur != nil {
			out = append(out, *st.cur)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].from < out[j].from || out[i].from == out[j].from && out[i].key < out[j].key
	})
	return out
}
