package display

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/rating"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/")

// The panel sizes every screen is tested at: the hall pads' panels, and
// the SPI modules' (README "ST7789 modules").
var testSizes = []Size{{1024, 600}, {800, 480}, {480, 320}, {320, 240}, {240, 320}, {240, 240}, {170, 320}, {135, 240}}

var (
	fontOnce sync.Once
	theFont  *Font
	fontErr  error
)

// testFont loads the CJK font once for the package's tests. The font is
// required (Debian's fonts-droid-fallback): the golden tests are about it.
func testFont(tb testing.TB) *Font {
	tb.Helper()
	fontOnce.Do(func() { theFont, fontErr = LoadFont(nil) })
	if fontErr != nil {
		tb.Fatalf("%v", fontErr)
	}
	return theFont
}

func testRenderer(tb testing.TB, s Size) *Renderer {
	tb.Helper()
	r, err := NewRenderer(testFont(tb), s)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// testClock is a Wednesday morning in Tai'an.
var testClock = time.Date(2026, 11, 25, 10, 3, 0, 0, time.FixedZone("CST", 8*3600))

// testPhoto is a made-up portrait: a blue backdrop, a face, a dark jacket
// over a white shirt. Deterministic, and nobody's likeness.
func testPhoto() image.Image {
	const w, h = 300, 400
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	in := func(x, y, cx, cy, rx, ry int) bool {
		dx, dy := x-cx, y-cy
		return dx*dx*ry*ry+dy*dy*rx*rx <= rx*rx*ry*ry
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(60 + y/8), uint8(120 + y/10), 200, 255}
			switch {
			case in(x, y, 150, 470, 150, 190) && !in(x, y, 150, 300, 36, 60):
				c = color.RGBA{38, 44, 58, 255} // jacket
			case in(x, y, 150, 470, 150, 190):
				c = color.RGBA{240, 240, 236, 255} // shirt
			case x >= 128 && x <= 172 && y >= 200 && y <= 290:
				c = color.RGBA{226, 184, 150, 255} // neck
			case in(x, y, 150, 120, 66, 50) && y < 118:
				c = color.RGBA{34, 30, 28, 255} // hair
			case in(x, y, 150, 165, 62, 80):
				c = color.RGBA{236, 196, 162, 255} // face
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func baseModel() Model {
	return Model{
		Hall: "泰安市政务服务中心", Window: "12",
		StaffID: "TA0123", StaffName: "张晓明", Photo: testPhoto(),
		ScanURL: "https://hcp.taian.gov.cn/e/TA-ZWFW-W12",
		Clock:   testClock, Focus: -1,
	}
}

var themeNames = []string{
	"企业设立登记", "公章刻制备案", "税务登记及发票申领", "社会保险登记", "住房公积金单位缴存登记",
	"银行开户预约", "食品经营许可证核发", "卫生许可证核发", "消防安全检查", "户外广告设置许可",
	"城市建筑垃圾处置核准", "排水许可证核发", "特种设备使用登记", "道路运输经营许可证核发", "环境影响评价文件审批",
	"药品经营许可证核发", "医疗器械经营备案", "劳务派遣经营许可", "人力资源服务许可", "建设工程消防验收备案和抽查及其他相关事项",
}

func themeCases(n int) []rating.Case {
	cs := make([]rating.Case, n)
	for i := range cs {
		cs[i] = rating.Case{ProjectNo: fmt.Sprintf("370900202611250%05d", i+1), TaskName: themeNames[i]}
	}
	return cs
}

// goldenModels are the screens under test: each at every size.
func goldenModels() []struct {
	name string
	m    Model
} {
	reasons := rating.DefaultReasons()
	type tc = struct {
		name string
		m    Model
	}
	var out []tc
	add := func(name string, f func(m *Model)) {
		m := baseModel()
		f(&m)
		out = append(out, tc{name, m})
	}
	add("idle", func(m *Model) { m.Screen = ScreenIdle })
	add("idle_offline_nophoto_longname", func(m *Model) {
		m.Screen = ScreenIdle
		m.Offline = true
		m.Photo = nil
		m.StaffName = "欧阳娜娜·阿不都热合曼·买买提艾力·司马相如"
		m.StaffID = "TA-ZWFW-0012345"
		m.Hall = "泰安市泰山区政务服务中心（泰山区行政审批服务局）综合受理大厅"
		m.Window = "综合受理窗口A12"
	})
	add("rate_single", func(m *Model) {
		m.Screen = ScreenRate
		m.Mode = rating.ModeSingle
		m.Cases = []rating.Case{{ProjectNo: "37090020261125000123", TaskCode: "11370900MB28562XXX", TaskName: "企业设立登记"}}
	})
	add("rate_offer_elder", func(m *Model) { // the citizen may choose elder mode: 大字 (标准字 in it)
		m.Screen = ScreenRate
		m.Mode = rating.ModeBatch
		m.OfferElder = true
		for i := 0; i < 2; i++ {
			m.Cases = append(m.Cases, rating.Case{ProjectNo: fmt.Sprintf("3709002026112500013%d", i), TaskName: "不动产登记"})
		}
	})
	add("rate_batch", func(m *Model) {
		m.Screen = ScreenRate
		m.Mode = rating.ModeBatch
		for i := 0; i < 3; i++ {
			m.Cases = append(m.Cases, rating.Case{ProjectNo: fmt.Sprintf("3709002026112500012%d", i), TaskName: "个体工商户变更（备案）登记"})
		}
	})
	add("rate_theme_rated", func(m *Model) {
		m.Screen = ScreenRate
		m.Mode = rating.ModeTheme
		m.Cases = themeCases(5)
		m.Rated = []string{m.Cases[0].ProjectNo, m.Cases[1].ProjectNo}
		m.Target = m.Cases[2].ProjectNo
	})
	add("rate_theme20", func(m *Model) {
		m.Screen = ScreenRate
		m.Mode = rating.ModeTheme
		m.Cases = themeCases(20)
		m.StarOrder = []int{1, 2, 3, 4, 5}
	})
	add("reasons", func(m *Model) {
		m.Screen = ScreenReasons
		m.Stars = 2
		m.Offered = reasons.Two
		m.Selected = []string{"208", "213"}
	})
	add("reasons_read_none", func(m *Model) { // a voice to read them out; nothing chosen yet
		m.Screen = ScreenReasons
		m.Stars = 1
		m.Offered = reasons.One
		m.OfferRead = true
	})
	add("reasons_buttons", func(m *Model) {
		m.Screen = ScreenReasons
		m.Stars = 1
		m.Offered = reasons.One
		m.ButtonsOnly = true
		m.Focus = 4 // 112, not selected
		m.Selected = []string{"110"}
	})
	add("reasons12_long", func(m *Model) {
		m.Screen = ScreenReasons
		m.Stars = 2
		m.Offered = append(append([]rating.Reason{}, reasons.Two...),
			rating.Reason{Code: "215", Text: "窗口工作人员在办理过程中多次离开岗位导致等候时间过长且未作任何解释说明"},
			rating.Reason{Code: "216", Text: "其他"},
			rating.Reason{Code: "217", Text: "材料退回后未一次性告知需补正的全部内容"},
			rating.Reason{Code: "218", Text: "办事指南内容与窗口实际要求不一致"})
		m.Selected = []string{"215", "212"}
	})
	add("thanks", func(m *Model) {
		m.Screen = ScreenThanks
		m.LastStars = 5
	})
	add("idle_message", func(m *Model) {
		m.Screen = ScreenIdle
		m.Message = "今日16:30后暂停办理不动产业务，请提前取号"
	})
	add("thanks_message", func(m *Model) {
		m.Screen = ScreenThanks
		m.LastStars = 2
		m.Message = "您的意见已记录，我们将认真核实并改进工作"
	})
	add("paused", func(m *Model) {
		m.Screen = ScreenPaused
		m.Message = "系统维护中，请到相邻窗口办理"
	})
	add("fault", func(m *Model) {
		m.Screen = ScreenFault
		m.FaultCode = "E10"
		m.Offline = true
	})
	return out
}

func TestGolden(t *testing.T) {
	for _, s := range testSizes {
		r := testRenderer(t, s)
		img := r.NewImage()
		for _, tc := range goldenModels() {
			name := fmt.Sprintf("%s_%dx%d", tc.name, s.W, s.H)
			t.Run(name, func(t *testing.T) {
				r.Render(img, tc.m)
				checkGolden(t, name, img)
			})
		}
	}
}

// checkGolden compares img with testdata/name.png pixel by pixel, or
// rewrites it with -update. A channel may differ by 2: vector rasterising
// is float32 and some CPUs fuse multiply-adds.
func checkGolden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", name+".png")
	encode := func() []byte { // only to write: BestCompression is slow, under -race most of all
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, encode(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./display -update to create it)", err)
	}
	defer f.Close()
	dec, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dec.Bounds() != img.Bounds() {
		t.Fatalf("%s: golden is %v, got %v", path, dec.Bounds(), img.Bounds())
	}
	// The goldens are opaque: as RGBA their bytes compare directly.
	want, ok := dec.(*image.RGBA)
	if !ok {
		want = image.NewRGBA(dec.Bounds())
		draw.Draw(want, want.Rect, dec, dec.Bounds().Min, draw.Src)
	}
	if bytes.Equal(want.Pix, img.Pix) {
		return
	}
	bad, worst := 0, 0
	var first image.Point
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			w, g := want.RGBAAt(x, y), img.RGBAAt(x, y)
			d := max(absDiff(uint32(w.R), g.R), absDiff(uint32(w.G), g.G), absDiff(uint32(w.B), g.B))
			if d > 2 {
				if bad == 0 {
					first = image.Pt(x, y)
				}
				bad++
			}
			worst = max(worst, d)
		}
	}
	if bad > 0 {
		out := filepath.Join(t.ArtifactDir(), name+".got.png")
		os.WriteFile(out, encode(), 0o644)
		t.Errorf("%s: %d pixels differ (first at %v, worst by %d); got is in %s; if the change is meant, run go test ./display -update and look at the PNGs", path, bad, first, worst, out)
	}
}

func absDiff(a uint32, b uint8) int {
	d := int(a) - int(b)
	if d < 0 {
		return -d
	}
	return d
}

// TestLayoutInBounds: for every golden model at every size, and at odd
// sizes, all that is drawn lies on the panel and every text fits its line.
func TestLayoutInBounds(t *testing.T) {
	sizes := append([]Size{MinSize, {1280, 800}, {600, 1024}, {1920, 1080}}, testSizes...)
	for _, s := range sizes {
		r := testRenderer(t, s)
		for _, tc := range goldenModels() {
			checkInBounds(t, r, &tc.m, fmt.Sprintf("%s at %v", tc.name, s))
			for _, keys := range []bool{false, true} { // and in elder mode, where it is drawn
				m := tc.m
				m.Elder, m.ButtonsOnly, m.Focus = true, keys, max(m.Focus, 0)
				checkInBounds(t, r, &m, fmt.Sprintf("%s at %v, elder, buttons only %v", tc.name, s, keys))
			}
		}
	}
}

func TestNewRendererSizes(t *testing.T) {
	f := testFont(t)
	for _, s := range []Size{{134, 240}, {320, 239}, {240, 135}, {0, 0}, {-1, 600}} {
		if _, err := NewRenderer(f, s); err == nil || !strings.Contains(err.Error(), "display: ") {
			t.Errorf("NewRenderer(%v) = %v, want an error", s, err)
		}
	}
	if _, err := NewRenderer(nil, DefaultSize); err == nil {
		t.Error("NewRenderer(nil font) succeeded")
	}
	if _, err := NewRenderer(f, MinSize); err != nil {
		t.Errorf("NewRenderer(%v): %v", MinSize, err)
	}
}

// A config's texts replace the defaults where the screens draw them, and
// only the keys TextKeys names.
func TestTextsReplaceDefaults(t *testing.T) {
	r := testRenderer(t, DefaultSize)
	for _, tc := range []struct {
		screen, key, def, text string
	}{
		{ScreenThanks, "thanks", txtThanks, "谢谢您的评价，欢迎再来"},
		{ScreenPaused, "paused", txtPaused, "午间休息"},
		{ScreenIdle, "welcome", txtWelcome, "请为我的服务打分"},
		{ScreenRate, "rate_title", txtRateTitle, "您对本次服务满意吗"},
	} {
		m := baseModel()
		m.Screen = tc.screen
		m.Texts = map[string]string{tc.key: tc.text}
		texts := r.Texts(m)
		if !slices.Contains(texts, tc.text) || slices.Contains(texts, tc.def) {
			t.Errorf("%s with %s=%q draws %q", tc.screen, tc.key, tc.text, texts)
		}
		if TextKeys()[tc.key] != tc.def {
			t.Errorf("TextKeys()[%q] = %q, want %q", tc.key, TextKeys()[tc.key], tc.def)
		}
	}
}

// TestGoldenElder: every screen in elder mode at every size it is drawn
// at (ElderFits). Where it fits with buttons only (ElderTouchFits false:
// the small ST7789 modules, which ship without touch), the goldens are
// the buttons-only pad's. Where it does not fit at all, elder mode draws
// the normal screens.
func TestGoldenElder(t *testing.T) {
	for _, s := range testSizes {
		r := testRenderer(t, s)
		img, plain := r.NewImage(), r.NewImage()
		for _, tc := range goldenModels() {
			m := tc.m
			m.Elder = true
			if !r.ElderTouchFits() {
				m.ButtonsOnly, m.Focus = true, max(m.Focus, 0)
			}
			name := fmt.Sprintf("elder_%s_%dx%d", tc.name, s.W, s.H)
			t.Run(name, func(t *testing.T) {
				r.Render(img, m)
				if r.ElderFits() {
					checkGolden(t, name, img)
					return
				}
				m.Elder = false
				r.Render(plain, m)
				if !bytes.Equal(img.Pix, plain.Pix) {
					t.Errorf("elder mode does not fit %v, yet changes the screen", s)
				}
			})
		}
	}
}

// The elder toggle is a target where elder mode fits a touch pad
// (ElderTouchFits): a touch on it asks for elder mode, and in elder mode
// for the standard one. Elsewhere, and on a buttons-only pad, there is
// none.
func TestElderToggleTarget(t *testing.T) {
	for _, s := range testSizes {
		r := testRenderer(t, s)
		m := baseModel()
		m.Screen, m.OfferElder = ScreenRate, true
		for _, elder := range []bool{false, true} {
			m.Elder = elder
			var found []TargetRect
			for _, tr := range r.Targets(m) {
				if tr.Kind == TargetElder {
					found = append(found, tr)
				}
			}
			switch {
			case !r.ElderTouchFits() && len(found) != 0:
				t.Errorf("%v: an elder toggle where elder mode does not fit a touch pad", s)
			case r.ElderTouchFits() && (len(found) != 1 || found[0].Elder == elder):
				t.Errorf("%v elder=%v: toggles %+v, want one turning it to %v", s, elder, found, !elder)
			case r.ElderTouchFits():
				c := found[0].Rect.Min.Add(found[0].Rect.Size().Div(2))
				if got, ok := r.Hit(m, c.X, c.Y); !ok || got.Kind != TargetElder {
					t.Errorf("%v: a touch on the toggle hits %+v", s, got)
				}
				// 60 dp each way, in elder mode and out of it: it is for
				// those who need large targets.
				if side, want := min(found[0].Rect.Dx(), found[0].Rect.Dy()), int(math.Ceil(ElderTargetDP*r.DPI()/160)); side < want {
					t.Errorf("%v elder=%v: the toggle is %d px across, under 60 dp (%d px)", s, elder, side, want)
				}
			}
			m.ButtonsOnly = true
			for _, tr := range r.Targets(m) {
				if tr.Kind == TargetElder {
					t.Errorf("%v: an elder toggle on a buttons-only pad", s)
				}
			}
			m.ButtonsOnly = false
		}
	}
}
