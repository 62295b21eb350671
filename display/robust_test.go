package display

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"evalpad/rating"
)

// Odd models at odd sizes: nothing panics, nothing is drawn off the
// panel, every text fits its line. The seed is fixed: the same models
// every run.
func TestRobust(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	chars := []rune("张王李赵欧阳娜热合曼买提艾力企业设立登记税务社保公积金许可证核发窗口服务态度（）·0123456789ABCxyz -")
	str := func(maxRunes int) string {
		n := rnd.IntN(maxRunes + 1)
		var b strings.Builder
		for range n {
			b.WriteRune(chars[rnd.IntN(len(chars))])
		}
		return b.String()
	}
	screens := []string{ScreenIdle, ScreenRate, ScreenReasons, ScreenThanks, ScreenPaused, ScreenFault, "", "bogus"}
	modes := []rating.Mode{rating.ModeSingle, rating.ModeBatch, rating.ModeTheme, ""}
	photos := []image.Image{nil, testPhoto(), image.NewRGBA(image.Rect(5, 5, 6, 6)), image.NewGray(image.Rect(-10, -10, 90, 20)),
		&image.Uniform{C: color.RGBA{10, 20, 30, 255}}}
	sizes := []Size{MinSize, {480, 320}, {800, 480}, {1024, 600}, {600, 1024}, {2000, 250 + 0}, {321, 1000}}
	renderers := map[Size]*Renderer{}
	for i := 0; i < 400; i++ {
		s := sizes[rnd.IntN(len(sizes))]
		if s.H < MinSize.H {
			s.H = MinSize.H
		}
		r := renderers[s]
		if r == nil {
			r = testRenderer(t, s)
			renderers[s] = r
		}
		m := Model{
			Screen: screens[rnd.IntN(len(screens))], Hall: str(40), Window: str(12),
			StaffID: str(20), StaffName: str(40), Photo: photos[rnd.IntN(len(photos))],
			Offline: rnd.IntN(2) == 0, Mode: modes[rnd.IntN(len(modes))],
			Stars: rnd.IntN(7) - 1, Focus: rnd.IntN(15) - 2, ButtonsOnly: rnd.IntN(2) == 0,
			Message: str(60), FaultCode: str(8), LastStars: rnd.IntN(7) - 1,
		}
		if rnd.IntN(2) == 0 {
			m.ScanURL = "https://hcp.example/e/" + str(30)
			m.Clock = testClock
		}
		if rnd.IntN(4) == 0 {
			m.StarOrder = []int{rnd.IntN(6), rnd.IntN(6), rnd.IntN(6), rnd.IntN(6), rnd.IntN(6)}
		}
		for j := range rnd.IntN(rating.MaxCases + 1) {
			c := rating.Case{ProjectNo: fmt.Sprintf("P%d", j), TaskName: str(80)}
			m.Cases = append(m.Cases, c)
			if rnd.IntN(3) == 0 {
				m.Rated = append(m.Rated, c.ProjectNo)
			}
		}
		if len(m.Cases) > 0 && rnd.IntN(2) == 0 {
			m.Target = m.Cases[rnd.IntN(len(m.Cases))].ProjectNo
		}
		for j := range rnd.IntN(rating.MaxReasons + 1) {
			code := fmt.Sprint(100 + j)
			m.Offered = append(m.Offered, rating.Reason{Code: code, Text: str(40)})
			if rnd.IntN(3) == 0 {
				m.Selected = append(m.Selected, code)
			}
		}
		r.Render(r.NewImage(), m)
		r.Hit(m, rnd.IntN(s.W), rnd.IntN(s.H))
		checkInBounds(t, r, &m, fmt.Sprintf("model %d at %v", i, s))
	}
}

// checkInBounds lays m out and checks every op lies on the panel.
func checkInBounds(t *testing.T, r *Renderer, m *Model, what string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(m)
	panel := image.Rect(0, 0, r.size.W, r.size.H)
	for _, o := range r.ops {
		switch o.kind {
		case opText:
			w := r.measure(o.fk, o.s)
			if o.ell {
				w += r.measure(o.fk, ellipsis)
			}
			box := image.Rect(o.r.Min.X, o.r.Min.Y-o.fk.size*88/100, o.r.Min.X+w, o.r.Min.Y+o.fk.size*12/100)
			if !box.In(panel) {
				t.Errorf("%s (%s): text %q at %v runs off the panel", what, m.Screen, o.s, box)
			}
		case opFill, opTarget:
			if !o.r.Empty() && !o.r.In(panel) {
				t.Errorf("%s (%s): op %d at %v runs off the panel", what, m.Screen, o.kind, o.r)
			}
		default:
			if !o.r.In(panel) {
				t.Errorf("%s (%s): op %d at %v runs off the panel", what, m.Screen, o.kind, o.r)
			}
		}
	}
}
