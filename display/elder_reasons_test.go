package display

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"evalpad/rating"
)

// drawnTexts returns, for the layout of m, the text ops whose whole text
// is full, in drawing order (what textContrasts walks).
func drawnTexts(r *Renderer, m Model, full func(string) bool) []op {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(&m)
	var out []op
	for _, o := range r.ops {
		if o.kind == opText && full(o.full) {
			out = append(out, o)
		}
	}
	return out
}

// In elder mode a citizen reads every reason whole: for every reasons
// screen of the goldens (reasons12_long's 35-character one too), at every
// size elder mode is drawn, with buttons (every reason focused in turn)
// and with touch where it fits (every page), each reason is drawn on some
// page, its lines joined are its text, and none is cut with …. The one
// exception is 240×240's: a reason of more than four lines at 18 dp
// (over 18 characters) may be cut, and only where it has the page to
// itself, with no hint under it (the 4 键 reads it out whole).
func TestElderReasonsWhole(t *testing.T) {
	models := goldenModels()
	longest := baseModel() // a reason as long as the config takes (rating: 40 characters)
	longest.Screen, longest.Stars = ScreenReasons, 1
	longest.Offered = []rating.Reason{{Code: "108", Text: "在办事指南之外增加新的审批条件"},
		{Code: "199", Text: "窗口工作人员在办理过程中多次离开岗位导致等候时间过长且未作任何解释说明并拒绝登记"}}
	models = append(models, struct {
		name string
		m    Model
	}{"reasons_40", longest})
	for _, s := range testSizes {
		r := testRenderer(t, s)
		if !r.ElderFits() {
			continue
		}
		for _, tc := range models {
			if tc.m.Screen != ScreenReasons {
				continue
			}
			for _, keys := range []bool{true, false} {
				if !keys && !r.ElderTouchFits() {
					continue
				}
				whole := map[string]bool{}
				for i := range tc.m.Offered {
					m := tc.m
					m.Elder, m.ButtonsOnly, m.OfferRead = true, keys, true
					if keys {
						m.Focus = i
					} else {
						m.Page, m.Focus = i, -1 // (pages past the last draw the last)
					}
					at := fmt.Sprintf("%s at %v, buttons only %v, focus/page %d", tc.name, s, keys, i)
					texts := map[string]string{}
					cut := map[string]bool{}
					for _, o := range drawnTexts(r, m, func(string) bool { return true }) {
						texts[o.full] += o.s
						cut[o.full] = cut[o.full] || o.ell
					}
					hint := false
					for full := range texts {
						hint = hint || strings.Contains(full, "键")
					}
					drawn := 0
					for _, rs := range m.Offered {
						got, ok := texts[rs.Text]
						if !ok {
							continue
						}
						drawn++
						if !cut[rs.Text] && got == strings.ReplaceAll(rs.Text, " ", "") {
							whole[rs.Text] = true
							continue
						}
						if s == (Size{240, 240}) && runeCount(rs.Text) > 18 && cut[rs.Text] {
							if drawn > 1 || hint {
								t.Errorf("%s: %q is cut to %q, yet shares its page (hint %v)", at, rs.Text, got, hint)
							}
							whole[rs.Text] = true // as whole as the panel holds
							continue
						}
						t.Errorf("%s: the reason %q is drawn as %q (cut %v)", at, rs.Text, got, cut[rs.Text])
					}
				}
				for _, rs := range tc.m.Offered {
					if !whole[rs.Text] {
						t.Errorf("%s at %v, buttons only %v: the reason %q is never drawn whole", tc.name, s, keys, rs.Text)
					}
				}
			}
		}
	}
}

// The keys' hint breaks only at its " · " separators, at every size and
// in every mode, and is never cut: each line is whole instructions, and
// the lines joined are a hint (elder mode on a small module may draw less
// of it on a page whose reason needs the room, but whole instructions).
func TestKeyHintBreaks(t *testing.T) {
	hints := []string{txtKeyHint, txtKeyHintRead, txtKeyHintSelConfirm, txtKeyHintSel}
	instructions := strings.Split(txtKeyHintRead, hintSep)
	for _, s := range testSizes {
		r := testRenderer(t, s)
		for _, tc := range goldenModels() {
			if tc.m.Screen != ScreenReasons {
				continue
			}
			for _, elder := range []bool{false, true} {
				for _, read := range []bool{false, true} {
					m := tc.m
					m.ButtonsOnly, m.Elder, m.OfferRead, m.Focus = true, elder, read, max(m.Focus, 0)
					at := fmt.Sprintf("%s at %v, elder %v, read %v", tc.name, s, elder, read)
					ops := drawnTexts(r, m, func(f string) bool { return slices.Contains(hints, f) })
					if len(ops) == 0 {
						if !elder || !r.ElderFits() {
							t.Errorf("%s: no hint drawn", at)
						}
						continue
					}
					var lines []string
					for _, o := range ops {
						if o.ell || o.full != ops[0].full {
							t.Errorf("%s: hint line %q of %q is cut or from another hint", at, o.s, o.full)
						}
						for _, in := range strings.Split(o.s, hintSep) {
							if !slices.Contains(instructions, in) {
								t.Errorf("%s: hint line %q breaks an instruction (%q)", at, o.s, in)
							}
						}
						lines = append(lines, o.s)
					}
					if got := strings.Join(lines, hintSep); got != ops[0].full {
						t.Errorf("%s: the hint's lines %q do not make %q", at, lines, ops[0].full)
					}
					if !elder && ops[0].full != keyHint(&m) {
						t.Errorf("%s: the hint is %q, want %q", at, ops[0].full, keyHint(&m))
					}
				}
			}
		}
	}
}
