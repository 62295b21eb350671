package central

import (
	"cmp"
	"slices"

	"evalpad/rating"
)

// FlagDefault marks the 4★ record the central adds for a session not rated
// within the time limit (1 + 4 working days).
const FlagDefault = "default"

// Figures are the counts of one group of records.
type Figures struct {
	Key     string `json:"key"`
	Name    string `json:"name,omitempty"`
	Records int    `json:"records"`
	Rated   int    `json:"rated"`   // ratings, default 4★ included
	Good    int    `json:"good"`    // 好评: 3★–5★
	Bad     int    `json:"bad"`     // 差评: 1★–2★
	Unrated int    `json:"unrated"` // sessions not rated on the pad and not yet given the default
	Default int    `json:"default"` // of Rated: default 4★ given by the time rule
	// Satisfaction is 满意率 per rating: good / rated, 0 when nothing is rated.
	Satisfaction float64 `json:"satisfaction"`

	// Per 办件, as the platform counts (see CaseCount): a batch rating of
	// 5 cases counts 5, a theme rated overall each of its cases once, a
	// theme rated item by item each case once with its own stars.
	Cases        int `json:"cases"`         // rated 办件, default 4★ included
	GoodCases    int `json:"good_cases"`    // of Cases: 3★–5★
	BadCases     int `json:"bad_cases"`     // of Cases: 1★–2★
	UnratedCases int `json:"unrated_cases"` // 办件 of the sessions counted in Unrated
	DefaultCases int `json:"default_cases"` // of Cases: given the default 4★
	// CaseSatisfaction is 服务满意率 per 办件, the headline figure:
	// GoodCases / Cases.
	CaseSatisfaction float64 `json:"case_satisfaction"`
	// Coverage is 评价覆盖率 per session: rated by the citizen (Rated −
	// Default) ÷ served (Rated + Unrated). A defaulted session is served
	// once and not covered: nobody rated it.
	Coverage float64 `json:"coverage"`
	// CaseCoverage is the same per 办件.
	CaseCoverage float64 `json:"case_coverage"`
}

func (f *Figures) add(r *rating.Record, defaulted bool) {
	f.Records++
	if r.Kind == rating.KindUnrated {
		if !defaulted { // else its default 4★ record counts
			f.Unrated++
		}
		return
	}
	f.Rated++
	if r.Good {
		f.Good++
	} else {
		f.Bad++
	}
	if slices.Contains(r.Flags, FlagDefault) {
		f.Default++
	}
}

func (f *Figures) finish() {
	ratio := func(a, b int) float64 {
		if b <= 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	f.Satisfaction = ratio(f.Good, f.Rated)
	f.CaseSatisfaction = ratio(f.GoodCases, f.Cases)
	f.Coverage = ratio(f.Rated-f.Default, f.Rated+f.Unrated)
	f.CaseCoverage = ratio(f.Cases-f.DefaultCases, f.Cases+f.UnratedCases)
}

// ReasonCount is how often one 差评 reason was chosen.
type ReasonCount struct {
	Code  string `json:"code"`
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// Stats are the figures a 政务服务管理办公室 reads.
type Stats struct {
	Total   Figures       `json:"total"`
	Stars   [6]int        `json:"stars"` // [0] unrated, [1..5] ratings per level
	Reasons []ReasonCount `json:"reasons"`
	ByHall  []Figures     `json:"by_hall"`
	ByWin   []Figures     `json:"by_window"` // key: hall/window
	ByStaff []Figures     `json:"by_staff"`
	ByItem  []Figures     `json:"by_item"` // key: task_code, else task_name
	ByDay   []Figures     `json:"by_day"`
}

// Compute builds the figures of rows in Go: the way evalhub counted before
// the rollups (SQLStore.Stats), kept for scripts/bench-central's ratio. It
// fills the per-rating figures only. A rating of a batch or theme session
// counts once in every figure but by_item, where it counts for each item.
func Compute(rows []Row) Stats {
	var s Stats
	texts := map[string]string{}
	for _, lv := range []rating.Stars{1, 2} {
		for _, r := range rating.DefaultReasons().For(lv) {
			texts[r.Code] = r.Text
		}
	}
	groups := [5]map[string]*Figures{{}, {}, {}, {}, {}}
	get := func(g int, key, name string) *Figures {
		f := groups[g][key]
		if f == nil {
			f = &Figures{Key: key, Name: name}
			groups[g][key] = f
		}
		return f
	}
	reasons := map[string]int{}
	ids := make(map[string]bool, len(rows))
	for i := range rows {
		ids[rows[i].ID] = true
	}
	for i := range rows {
		r := &rows[i].Record
		defaulted := r.Kind == rating.KindUnrated && ids[DefaultID(r.ID)]
		s.Total.add(r, defaulted)
		if int(r.Stars) >= 0 && int(r.Stars) <= 5 {
			s.Stars[r.Stars]++
		}
		for _, c := range r.Reasons {
			reasons[c]++
		}
		get(0, r.Hall, "").add(r, defaulted)
		get(1, r.Hall+"/"+r.Window, r.Window).add(r, defaulted)
		get(2, r.Staff.ID, r.Staff.Name).add(r, defaulted)
		get(4, rows[i].Day, "").add(r, defaulted)
		items := map[string]bool{}
		for _, c := range r.Cases {
			if r.Target != "" && c.ProjectNo != r.Target {
				continue
			}
			key := cmp.Or(c.TaskCode, c.TaskName)
			if items[key] {
				continue
			}
			items[key] = true
			get(3, key, c.TaskName).add(r, defaulted)
		}
	}
	s.Total.finish()
	for c, n := range reasons {
		s.Reasons = append(s.Reasons, ReasonCount{Code: c, Text: texts[c], Count: n})
	}
	slices.SortFunc(s.Reasons, func(a, b ReasonCount) int { return cmp.Or(b.Count-a.Count, cmp.Compare(a.Code, b.Code)) })
	out := make([][]Figures, 5)
	for g := range groups {
		out[g] = []Figures{}
		for _, f := range groups[g] {
			f.finish()
			out[g] = append(out[g], *f)
		}
		slices.SortFunc(out[g], func(a, b Figures) int { return cmp.Compare(a.Key, b.Key) })
	}
	s.ByHall, s.ByWin, s.ByStaff, s.ByItem, s.ByDay = out[0], out[1], out[2], out[3], out[4]
	if s.Reasons == nil {
		s.Reasons = []ReasonCount{}
	}
	return s
}
