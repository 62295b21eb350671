package display

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

// Characters Droid Sans Fallback does not have (checked below, so the
// test keeps meaning something if the font changes): an emoji and a CJK
// Extension B ideograph used in names (𠮷, the "tsuchi-yoshi" 吉).
const (
	emoji = '😀'
	extB  = '𠮷'
)

func TestMissingGlyphInStaffName(t *testing.T) {
	f := testFont(t)
	for _, ru := range []rune{emoji, extB} {
		if err := f.Check(string(ru)); err == nil {
			t.Fatalf("the font has %q (U+%04X): pick another character for this test", ru, ru)
		}
	}
	r := testRenderer(t, DefaultSize)
	for _, screen := range []string{ScreenIdle, ScreenRate} {
		m := model("rate_single")
		m.Screen = screen
		m.StaffName = "张" + string(extB) + "明"
		err := r.Check(m)
		if !errors.Is(err, ErrMissingGlyph) {
			t.Fatalf("%s: Check = %v, want ErrMissingGlyph", screen, err)
		}
		for _, want := range []string{"'𠮷'", "U+20BB7", "张𠮷明"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %s", screen, err, want)
			}
		}
	}
	// A reason text and the hall name are checked the same way.
	m := model("reasons")
	m.Offered = append(slices.Clone(m.Offered), rating.Reason{Code: "299", Text: "排队太久" + string(emoji)})
	if err := r.Check(m); !errors.Is(err, ErrMissingGlyph) || !strings.Contains(err.Error(), "排队太久") {
		t.Errorf("reason with an emoji: Check = %v", err)
	}
	m = model("paused")
	m.Hall = "泰安市" + string(extB) + "政务服务中心"
	if err := r.Check(m); !errors.Is(err, ErrMissingGlyph) {
		t.Errorf("hall with 𠮷: Check = %v", err)
	}
}

// Every text of every screen the tests draw has its glyphs: the fixed
// labels, digits and Latin (from the embedded Go font), the reasons.
func TestAllTextsHaveGlyphs(t *testing.T) {
	r := testRenderer(t, DefaultSize)
	for _, tc := range goldenModels() {
		if err := r.Check(tc.m); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if err := testFont(t).Check(txtKeyHint, txtKeyHintRead, ellipsis, "0123456789 ABCXYZ abcxyz -_.:/", txtRateHint, txtRateHintKeys); err != nil {
		t.Error(err)
	}
}

func TestNoFont(t *testing.T) {
	dir := t.TempDir()
	notFont := filepath.Join(dir, "notafont.ttf")
	if err := os.WriteFile(notFont, []byte("not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.ttf")
	_, err := LoadFont([]string{missing, notFont})
	if !errors.Is(err, ErrNoFont) {
		t.Fatalf("LoadFont = %v, want ErrNoFont", err)
	}
	for _, p := range []string{missing, notFont, "fonts-droid-fallback"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %s", err, p)
		}
	}
	// A font without CJK (the Latin one the package embeds would pass as a
	// font, but has no 好差评) is refused too.
	latin := "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	if _, err := os.Stat(latin); err == nil {
		if _, err := LoadFont([]string{latin}); !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "好差评") {
			t.Errorf("LoadFont(DejaVu) = %v, want ErrNoFont naming the missing CJK", err)
		}
	}
}

// Face draws digits and Latin too (the receipt printer's simulator draws
// 工号 and project numbers with it).
func TestFaceHasLatin(t *testing.T) {
	face := testFont(t).Face(24)
	if face != testFont(t).Face(24) {
		t.Error("Face(24) is not cached")
	}
	for _, ru := range "0A:好" {
		if adv, ok := face.GlyphAdvance(ru); !ok || adv <= 0 {
			t.Errorf("Face(24) has no glyph for %q", ru)
		}
	}
	if _, ok := face.GlyphAdvance(extB); ok {
		t.Errorf("Face(24) claims a glyph for %q", extB)
	}
}

func TestTexts(t *testing.T) {
	r := testRenderer(t, DefaultSize)
	idle := model("idle")
	texts := r.Texts(idle)
	for _, want := range []string{"泰安市政务服务中心", "12号窗口", "张晓明", "工号 TA0123", "扫码评价", "2026年11月25日 星期三 10:03", txtStaff} {
		if !slices.Contains(texts, want) {
			t.Errorf("idle Texts %q lack %q", texts, want)
		}
	}
	// The clock is shown in its own Location.
	idle.Clock = testClock.In(time.UTC)
	if texts := r.Texts(idle); !slices.Contains(texts, "2026年11月25日 星期三 02:03") {
		t.Errorf("UTC clock: Texts %q", texts)
	}
	idle.Clock = time.Date(2027, 1, 3, 23, 59, 0, 0, time.UTC)
	if texts := r.Texts(idle); !slices.Contains(texts, "2027年1月3日 星期日 23:59") {
		t.Errorf("Sunday: Texts %q", texts)
	}
	idle.Offline = true
	if texts := r.Texts(idle); !slices.Contains(texts, txtOffline) {
		t.Errorf("offline: Texts %q lack %s", texts, txtOffline)
	}

	reasons := model("reasons_buttons")
	texts = r.Texts(reasons)
	want := []string{txtReasonTitle, txtConfirm, txtKeyHint, "已选 1 项", "非常不满意"}
	for _, x := range reasons.Offered {
		want = append(want, x.Text)
	}
	for _, w := range want {
		if !slices.Contains(texts, w) {
			t.Errorf("reasons Texts %q lack %q", texts, w)
		}
	}
	batch := model("rate_batch")
	if texts := r.Texts(batch); !slices.Contains(texts, "批量办理 共3件") || !slices.Contains(texts, txtRateTitle) {
		t.Errorf("batch Texts %q", texts)
	}
	fault := model("fault")
	if texts := r.Texts(fault); !slices.Contains(texts, "E10") || !slices.Contains(texts, txtFault) {
		t.Errorf("fault Texts %q", texts)
	}
	for _, name := range []string{"rate_single", "rate_theme20"} {
		texts := r.Texts(model(name))
		for _, lv := range []rating.Stars{1, 2, 3, 4, 5} {
			if !slices.Contains(texts, lv.Word()) {
				t.Errorf("%s Texts lack %s", name, lv.Word())
			}
		}
	}
	// A theme item's name is listed whole even where it is cut with ….
	if texts := r.Texts(model("rate_theme20")); !slices.Contains(texts, themeNames[19]) {
		t.Errorf("theme Texts lack the long item %q", themeNames[19])
	}
}

// A fork draws the same glyphs with faces of its own.
func TestFork(t *testing.T) {
	f, err := LoadFont(nil)
	if err != nil {
		t.Skip(err)
	}
	g := f.Fork()
	if g.Path != f.Path || g.Face(20) == f.Face(20) {
		t.Fatal("fork shares faces or lost the path")
	}
	for _, r := range "好差评E10" {
		a, okA := f.Face(20).GlyphAdvance(r)
		b, okB := g.Face(20).GlyphAdvance(r)
		if a != b || okA != okB {
			t.Errorf("%q: advance %v/%v vs %v/%v", r, a, okA, b, okB)
		}
	}
}
