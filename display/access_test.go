package display

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"testing"
)

// The accessibility check: for every golden screen at every tested size,
// on a touch pad and on a buttons-only pad, it computes from the layout
// (not from pixels) the contrast of every text against what lies under it,
// and the smallest touch target in millimetres at the panel's typical DPI
// (PanelDPI). Text under 4.5:1 (WCAG 2 AA, which the 适老化 rules cite)
// fails; the smallest figures are logged (README "Contrast and target
// sizes").

// relLum is a colour's relative luminance (WCAG 2).
func relLum(c color.RGBA) float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}

// contrast is the WCAG contrast ratio of two colours, 1 to 21.
func contrast(a, b color.RGBA) float64 {
	la, lb := relLum(a), relLum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// textFinding is one text's worst contrast on its screen.
type textFinding struct {
	text     string
	fg, bg   color.RGBA
	ratio    float64
	size     int // px
	fromText string
}

// textContrasts returns, for every text op of the layout of m, the lowest
// contrast of its colour against the backgrounds under points spread over
// its box: the topmost fill, rounded box or shape drawn before it there.
// Photos and QR codes under a text are reported with a zero colour (no
// screen draws text on them; the check fails if one does).
func textContrasts(r *Renderer, m Model) []textFinding {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(&m)
	var out []textFinding
	for i := range r.ops {
		o := &r.ops[i]
		if o.kind != opText || o.s == "" && !o.ell {
			continue
		}
		w := r.measure(o.fk, o.s)
		if o.ell {
			w += r.measure(o.fk, ellipsis)
		}
		x0, y := o.r.Min.X, o.r.Min.Y
		box := image.Rect(x0, y-o.fk.size*88/100, x0+max(w, 1), y+o.fk.size*12/100+1)
		f := textFinding{text: o.full, fg: o.c, ratio: 99, size: o.fk.size}
		for _, fx := range []int{0, 1, 2, 3, 4} {
			for _, fy := range []int{1, 2, 3} {
				pt := image.Pt(box.Min.X+(box.Dx()-1)*fx/4, box.Min.Y+(box.Dy()-1)*fy/4)
				bg := background(r.ops[:i], pt)
				if c := contrast(o.c, bg); c < f.ratio {
					f.ratio, f.bg = c, bg
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// background is the colour the ops paint at pt, topmost first; shapes
// count over their whole box (the text would sit on the shape).
func background(ops []op, pt image.Point) color.RGBA {
	for i := len(ops) - 1; i >= 0; i-- {
		o := &ops[i]
		if !pt.In(o.r) {
			continue
		}
		switch o.kind {
		case opFill, opRound, opShape:
			return o.c
		case opQR, opPhoto:
			return color.RGBA{}
		}
	}
	return cPage
}

// accessModes are the ways a pad shows the screens.
var accessModes = []struct {
	name string
	set  func(*Model)
}{
	{"touch", func(m *Model) { m.ButtonsOnly = false }},
	{"buttons", func(m *Model) { m.ButtonsOnly = true; m.Focus = max(m.Focus, 0) }},
	{"elder", func(m *Model) { m.ButtonsOnly = false; m.Elder = true }},
	{"elder-buttons", func(m *Model) { m.ButtonsOnly = true; m.Focus = max(m.Focus, 0); m.Elder = true }},
}

// elderTitles are the texts elder mode must draw at the title size (30
// dp at least; 30 pt where the panel takes it): every variant drawn.
var elderTitles = []string{txtRateTitle, txtRateTitleElder, txtReasonTitle, txtReasonTitleMid, txtReasonTitleElder,
	txtReasonTitleMin, txtThanks, txtThanksElder, txtThanksMin, txtPaused, txtFault, "设备故障", "暂停使用"}

// elderPointSizes are the panels whose elder type is in typographic
// points (18 pt body, 30 pt titles), not the rule's dp: there is room.
var elderPointSizes = []Size{{1024, 600}, {800, 480}}

func TestContrastAndTargets(t *testing.T) {
	worst := textFinding{ratio: 99}
	var worstAt string
	for _, s := range testSizes {
		r := testRenderer(t, s)
		dpi := PanelDPI(s)
		minMM, minAt := map[bool]float64{false: math.Inf(1), true: math.Inf(1)}, map[bool]string{}
		for _, mode := range accessModes {
			for _, tc := range goldenModels() {
				m := tc.m
				m.OfferElder, m.OfferRead = true, true // whatever the screens may draw
				mode.set(&m)
				at := fmt.Sprintf("%s/%s at %dx%d", tc.name, mode.name, s.W, s.H)
				elder := m.Elder && r.ElderFits() && (m.ButtonsOnly || r.ElderTouchFits())
				// The rule's floor: 18 dp body, 30 dp titles; typographic
				// points where the panel takes them.
				unit, body, title := "dp", int(math.Ceil(ElderBodyPt*dpi/160)), int(math.Ceil(ElderTitlePt*dpi/160))
				if slices.Contains(elderPointSizes, s) {
					unit, body, title = "pt", int(math.Ceil(ElderBodyPt*dpi/72)), int(math.Ceil(ElderTitlePt*dpi/72))
				}
				titles := 0
				for _, f := range textContrasts(r, m) {
					if elder && f.size < body {
						t.Errorf("%s: %q is %d px, under 18 %s (%d px at %.0f dpi)", at, f.text, f.size, unit, body, dpi)
					}
					if elder && slices.Contains(elderTitles, f.text) {
						titles++
						if f.size < title {
							t.Errorf("%s: the title %q is %d px, under 30 %s (%d px at %.0f dpi)", at, f.text, f.size, unit, title, dpi)
						}
					}
					if f.ratio < 4.5 {
						t.Errorf("%s: %q (%d px) is %v on %v: contrast %.2f:1, under 4.5:1", at, f.text, f.size, f.fg, f.bg, f.ratio)
					}
					if f.ratio < worst.ratio {
						worst, worstAt = f, at
					}
				}
				if elder && titles == 0 && m.Screen != ScreenIdle {
					t.Errorf("%s: no title of elderTitles drawn (%q)", at, r.Texts(m))
				}
				if m.ButtonsOnly {
					continue
				}
				for _, tr := range r.Targets(m) {
					side := min(tr.Rect.Dx(), tr.Rect.Dy())
					if dp := float64(side) / dpi * 160; elder && dp < ElderTargetDP {
						t.Errorf("%s: %v target %v is %.0f dp across, under 60 dp", at, tr.Kind, tr.Rect, dp)
					}
					if elder != (mode.name == "elder") {
						continue
					}
					mm := float64(side) / dpi * 25.4
					if mm < minMM[elder] {
						minMM[elder], minAt[elder] = mm, fmt.Sprintf("%s %v %dx%d px", at, tr.Kind, tr.Rect.Dx(), tr.Rect.Dy())
					}
				}
			}
		}
		t.Logf("%dx%d at %.0f dpi: smallest touch target %.1f mm (%s)", s.W, s.H, dpi, minMM[false], minAt[false])
		if r.ElderTouchFits() {
			t.Logf("%dx%d at %.0f dpi, elder mode: smallest touch target %.1f mm (%s)", s.W, s.H, dpi, minMM[true], minAt[true])
		}
	}
	t.Logf("lowest text contrast %.2f:1: %q %v on %v (%s)", worst.ratio, worst.text, worst.fg, worst.bg, worstAt)
}

// The contrast arithmetic on known pairs: black on white is 21:1, a
// colour on itself 1:1, WCAG's grey #767676 on white just over 4.5.
func TestContrastRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b     color.RGBA
		lo, high float64
	}{
		{rgb(0, 0, 0), rgb(255, 255, 255), 20.99, 21.01},
		{cBlue, cBlue, 1, 1},
		{rgb(0x76, 0x76, 0x76), rgb(255, 255, 255), 4.5, 4.6},
		{rgb(0x77, 0x77, 0x77), rgb(255, 255, 255), 4.4, 4.5},
	} {
		if c := contrast(tc.a, tc.b); c < tc.lo || c > tc.high {
			t.Errorf("contrast(%v, %v) = %.3f, want %.2f–%.2f", tc.a, tc.b, c, tc.lo, tc.high)
		}
	}
}
