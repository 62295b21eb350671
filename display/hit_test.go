package display

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"evalpad/rating"
)

func model(name string) Model {
	for _, tc := range goldenModels() {
		if tc.name == name {
			return tc.m
		}
	}
	panic("no golden model " + name)
}

// Each level tile lines up with its button: the width in five columns,
// StarOrder left to right; under 240 wide, five rows, StarOrder top to
// bottom.
func TestHitStars(t *testing.T) {
	for _, s := range testSizes {
		r := testRenderer(t, s)
		for _, tc := range []struct {
			order []int
			want  [5]int
		}{
			{nil, [5]int{5, 4, 3, 2, 1}},
			{[]int{5, 4, 3, 2, 1}, [5]int{5, 4, 3, 2, 1}},
			{[]int{1, 2, 3, 4, 5}, [5]int{1, 2, 3, 4, 5}},
			{[]int{3, 1, 5, 2, 4}, [5]int{3, 1, 5, 2, 4}},
			{[]int{5, 5, 3, 2, 1}, [5]int{5, 4, 3, 2, 1}}, // not a permutation: the default
			{[]int{1, 2, 3, 4}, [5]int{5, 4, 3, 2, 1}},
		} {
			for _, name := range []string{"rate_single", "rate_batch", "rate_theme_rated"} {
				m := model(name)
				m.StarOrder = tc.order
				if s.W < 240 {
					var rows []TargetRect
					for _, x := range r.Targets(m) {
						if x.Kind == TargetStar {
							rows = append(rows, x)
						}
					}
					slices.SortFunc(rows, func(a, b TargetRect) int { return a.Rect.Min.Y - b.Rect.Min.Y })
					for i, want := range tc.want {
						if len(rows) != 5 || rows[i].Stars != want || rows[i].Rect.Min.X != 0 || rows[i].Rect.Max.X != s.W {
							t.Errorf("%v %s order %v: row %d is %+v, want %d★ across the panel", s, name, tc.order, i, rows, want)
							break
						}
					}
					continue
				}
				for i, want := range tc.want {
					// The centre of the button's column, and its edges, low on the screen.
					for _, x := range []int{(2*i + 1) * s.W / 10, i*s.W/5 + 1, (i+1)*s.W/5 - 2} {
						got, ok := r.Hit(m, x, s.H-8)
						if !ok || got != (Target{Kind: TargetStar, Stars: want}) {
							t.Errorf("%v %s order %v: Hit(%d, %d) = %+v %v, want %d★", s, name, tc.order, x, s.H-8, got, ok, want)
						}
					}
				}
			}
		}
	}
}

// Points read off the 1024×600 goldens: what a finger there means.
func TestHitTable(t *testing.T) {
	r := testRenderer(t, DefaultSize)
	theme := model("rate_theme_rated")
	for _, tc := range []struct {
		model string
		x, y  int
		want  Target
		ok    bool
	}{
		{"reasons", 180, 197, Target{Kind: TargetReason, Code: "207"}, true},
		{"reasons", 510, 197, Target{Kind: TargetReason, Code: "208"}, true},
		{"reasons", 840, 197, Target{Kind: TargetReason, Code: "209"}, true},
		{"reasons", 180, 316, Target{Kind: TargetReason, Code: "210"}, true},
		{"reasons", 510, 316, Target{Kind: TargetReason, Code: "211"}, true},
		{"reasons", 840, 316, Target{Kind: TargetReason, Code: "212"}, true},
		{"reasons", 180, 436, Target{Kind: TargetReason, Code: "213"}, true},
		{"reasons", 510, 436, Target{Kind: TargetReason, Code: "214"}, true},
		{"reasons", 840, 436, Target{}, false}, // the empty ninth cell
		{"reasons", 870, 552, Target{Kind: TargetConfirm}, true},
		{"reasons", 1020, 596, Target{Kind: TargetConfirm}, true},
		{"reasons", 100, 552, Target{}, false},          // 已选 2 项
		{"reasons", 500, 30, Target{}, false},           // the header
		{"rate_theme_rated", 260, 210, Target{}, false}, // 整体评价, off once items are rated
		{"rate_theme_rated", 260, 294, Target{}, false}, // rated: ticked, not touchable
		{"rate_theme_rated", 760, 210, Target{Kind: TargetItem, ProjectNo: theme.Cases[2].ProjectNo}, true},
		{"rate_theme_rated", 760, 294, Target{Kind: TargetItem, ProjectNo: theme.Cases[3].ProjectNo}, true},
		{"rate_theme_rated", 760, 378, Target{Kind: TargetItem, ProjectNo: theme.Cases[4].ProjectNo}, true},
		{"rate_theme_rated", 512, 210, Target{}, false}, // the gap between columns
		{"rate_theme20", 140, 169, Target{Kind: TargetOverall}, true},
		{"rate_theme20", 140, 219, Target{Kind: TargetItem, ProjectNo: theme.Cases[0].ProjectNo}, true},
		{"rate_theme20", 880, 269, Target{Kind: TargetItem, ProjectNo: "37090020261125000020"}, true},
		{"rate_theme20", 60, 540, Target{Kind: TargetStar, Stars: 1}, true}, // StarOrder 1..5
		{"rate_single", 500, 230, Target{}, false},                          // the case card
	} {
		got, ok := r.Hit(model(tc.model), tc.x, tc.y)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: Hit(%d, %d) = %+v %v, want %+v %v", tc.model, tc.x, tc.y, got, ok, tc.want, tc.ok)
		}
	}
}

// At every size: each reason and theme item has one target, targets do
// not overlap, the centre of each hits it, and the screens without
// touch have none.
func TestTargets(t *testing.T) {
	for _, s := range append([]Size{MinSize}, testSizes...) {
		r := testRenderer(t, s)
		for _, tc := range goldenModels() {
			t.Run(fmt.Sprintf("%s_%dx%d", tc.name, s.W, s.H), func(t *testing.T) {
				var want []Target
				switch tc.m.Screen {
				case ScreenReasons:
					for _, x := range tc.m.Offered {
						want = append(want, Target{Kind: TargetReason, Code: x.Code})
					}
					want = append(want, Target{Kind: TargetConfirm})
					if tc.m.OfferRead && !tc.m.ButtonsOnly { // under 240 wide on a row of its own
						want = append(want, Target{Kind: TargetRead})
					}
				case ScreenRate:
					if tc.m.OfferElder && r.ElderTouchFits() {
						want = append(want, Target{Kind: TargetElder, Elder: true})
					}
					for lv := 1; lv <= 5; lv++ {
						want = append(want, Target{Kind: TargetStar, Stars: lv})
					}
					if tc.m.Mode == rating.ModeTheme {
						if len(tc.m.Rated) == 0 {
							want = append(want, Target{Kind: TargetOverall})
						}
						for _, c := range tc.m.Cases {
							if !slices.Contains(tc.m.Rated, c.ProjectNo) {
								want = append(want, Target{Kind: TargetItem, ProjectNo: c.ProjectNo})
							}
						}
					}
				}
				// A small panel pages its list: every page's targets,
				// reached by its page targets (or, buttons only, by focus).
				var got []Target
				views := []Model{tc.m}
				if tc.m.ButtonsOnly && tc.m.Screen == ScreenReasons {
					for i := range tc.m.Offered {
						v := tc.m
						v.Focus = i
						views = append(views, v)
					}
				}
				seen := map[int]bool{0: true}
				for len(views) > 0 {
					m := views[0]
					views = views[1:]
					ts := r.Targets(m)
					for _, x := range ts {
						if x.Kind == TargetPage {
							if !seen[x.Page] {
								seen[x.Page] = true
								v := m
								v.Page = x.Page
								views = append(views, v)
							}
							continue
						}
						if !slices.Contains(got, x.Target) {
							got = append(got, x.Target)
						}
					}
					checkTargets(t, r, m, ts, s)
				}
				if s.W >= compactWidth && len(seen) > 1 {
					t.Errorf("%v pages the list: only panels under %d wide do", s, compactWidth)
				}
				key := func(a Target) string { return fmt.Sprint(a) }
				slices.SortFunc(got, func(a, b Target) int { return cmpStr(key(a), key(b)) })
				slices.SortFunc(want, func(a, b Target) int { return cmpStr(key(a), key(b)) })
				if !slices.Equal(got, want) {
					t.Fatalf("targets\n got %v\nwant %v", got, want)
				}
			})
		}
	}
}

// checkTargets checks the targets ts of m's screen: on the panel, big
// enough to touch, not overlapping, and hit at their centres.
func checkTargets(t *testing.T, r *Renderer, m Model, ts []TargetRect, s Size) {
	t.Helper()
	panel := image.Rect(0, 0, s.W, s.H)
	for i, a := range ts {
		if !a.Rect.In(panel) || a.Rect.Dx() < 16 || a.Rect.Dy() < 16 {
			t.Errorf("%v at %v: off the panel or too small to touch", a.Target, a.Rect)
		}
		for _, b := range ts[i+1:] {
			if a.Rect.Overlaps(b.Rect) {
				t.Errorf("%v at %v overlaps %v at %v", a.Target, a.Rect, b.Target, b.Rect)
			}
		}
		c := image.Pt((a.Rect.Min.X+a.Rect.Max.X)/2, (a.Rect.Min.Y+a.Rect.Max.Y)/2)
		if got, ok := r.Hit(m, c.X, c.Y); !ok || got != a.Target {
			t.Errorf("Hit at the centre %v of %v = %+v %v", c, a.Target, got, ok)
		}
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// The focus ring is drawn only for a buttons-only pad with a valid Focus:
// a zero Model's Focus of 0 draws nothing.
func TestFocusOnlyWithButtons(t *testing.T) {
	r := testRenderer(t, DefaultSize)
	a, b := r.NewImage(), r.NewImage()
	m := model("reasons_buttons")
	m.Focus = -1
	r.Render(a, m)
	for _, f := range []int{-1, 8, 100} {
		m.Focus = f
		r.Render(b, m)
		if !slices.Equal(a.Pix, b.Pix) {
			t.Errorf("Focus %d (out of range) changed the frame", f)
		}
	}
	m.Focus = 0
	m.ButtonsOnly = false
	r.Render(a, m)
	m.Focus = -1
	r.Render(b, m)
	if !slices.Equal(a.Pix, b.Pix) {
		t.Error("Focus drawn without ButtonsOnly")
	}
	m.ButtonsOnly = true
	m.Focus = 3
	r.Render(b, m)
	if slices.Equal(a.Pix, b.Pix) {
		t.Error("Focus 3 with ButtonsOnly draws no ring")
	}
}
