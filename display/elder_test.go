package display

import (
	"math"
	"testing"
)

// Where elder mode is drawn, and how large: at each panel at its usual
// DPI, whether it fits with buttons and with touch, and its body and
// title sizes in pixels, which must be at least the rule's 18 and 30 dp
// (and typographic 18 and 30 pt on the two panels with room for them).
func TestElderSupport(t *testing.T) {
	for _, tc := range []struct {
		s                   Size
		fits, touch, points bool
	}{
		{Size{1024, 600}, true, true, true},
		{Size{800, 480}, true, true, true},
		{Size{480, 320}, true, true, false},
		{Size{320, 240}, true, true, false},
		{Size{240, 320}, true, false, false},  // 60 dp is 75 px: five do not go across
		{Size{240, 240}, true, false, false},  // without the header, a 30 dp title and five 18 dp rows go down
		{Size{170, 320}, true, false, false},  // the levels as 5★ and the word: five stars do not go beside it
		{Size{135, 240}, false, false, false}, // 非常不满意 at 18 dp is wider than the panel
	} {
		dpi := PanelDPI(tc.s)
		fits, touch := ElderSupport(tc.s, dpi)
		if fits != tc.fits || touch != tc.touch {
			t.Errorf("%v at %.0f dpi: ElderSupport = %v, %v; want %v, %v", tc.s, dpi, fits, touch, tc.fits, tc.touch)
		}
		if z1, z2 := ElderSupport(tc.s, 0); z1 != fits || z2 != touch {
			t.Errorf("%v: ElderSupport with dpi 0 is not at PanelDPI", tc.s)
		}
		c := elderCsz(tc.s, dpi)
		unit := 160.0
		if tc.points {
			unit = 72
		}
		if body, title := int(math.Ceil(ElderBodyPt*dpi/unit)), int(math.Ceil(ElderTitlePt*dpi/unit)); c.body < body || c.title < title || c.tight == tc.points {
			t.Errorf("%v: elder body %d px, title %d px (tight %v); want %d and %d at least (1/%.0f inch)", tc.s, c.body, c.title, c.tight, body, title, unit)
		}
		mm := float64(c.tgt) / dpi * 25.4
		t.Logf("%dx%d at %.0f dpi: elder body %d px (%.1f mm), title %d px (%.1f mm), targets %d px (%.1f mm); fits %v, touch %v",
			tc.s.W, tc.s.H, dpi, c.body, float64(c.body)/dpi*25.4, c.title, float64(c.title)/dpi*25.4, c.tgt, mm, fits, touch)
	}
	// A finer panel of the same size holds less: 240×240 at 300 dpi (18
	// dp 34 px, 30 dp 58 px) has no room down for the title and five
	// level rows; 480×320 at 400 dpi is a 1.4" module, 60 dp 150 px.
	if fits, _ := ElderSupport(Size{240, 240}, 300); fits {
		t.Error("240×240 at 300 dpi: elder mode fits, want not (a 58 px title and five 34 px rows do not go down)")
	}
	if _, touch := ElderSupport(Size{480, 320}, 400); touch {
		t.Error("480×320 at 400 dpi: touch elder mode fits, want not (60 dp is 150 px)")
	}
}
