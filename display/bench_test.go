package display

import (
	"fmt"
	"image"
	"testing"
)

// BenchmarkRender1024x600 draws a full frame of the busiest screen: a
// theme session of 20 items (the most text, 26 tiles).
func BenchmarkRender1024x600(b *testing.B) {
	r := testRenderer(b, DefaultSize)
	img := r.NewImage()
	m := model("rate_theme20")
	r.Render(img, m) // the first frame fills the caches
	b.ReportAllocs()
	for b.Loop() {
		r.Render(img, m)
	}
}

// BenchmarkRenderScreens: every golden screen at every size.
func BenchmarkRenderScreens(b *testing.B) {
	for _, s := range testSizes {
		r := testRenderer(b, s)
		img := r.NewImage()
		for _, tc := range goldenModels() {
			b.Run(fmt.Sprintf("%s_%dx%d", tc.name, s.W, s.H), func(b *testing.B) {
				r.Render(img, tc.m)
				b.ReportAllocs()
				for b.Loop() {
					r.Render(img, tc.m)
				}
			})
		}
	}
}

// BenchmarkHit: a touch maps through the layout without drawing.
func BenchmarkHit(b *testing.B) {
	r := testRenderer(b, DefaultSize)
	m := model("reasons")
	r.Hit(m, 510, 316)
	b.ReportAllocs()
	for b.Loop() {
		r.Hit(m, 510, 316)
	}
}

// A steady screen allocates nothing per frame once the caches are warm.
func TestRenderAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	for _, s := range testSizes {
		r := testRenderer(t, s)
		img := r.NewImage()
		for _, tc := range goldenModels() {
			for _, elder := range []bool{false, true} { // elder mode too, on a touch pad or with buttons as it fits
				m := tc.m
				m.Elder = elder
				m.ButtonsOnly = m.ButtonsOnly || elder && !r.ElderTouchFits()
				r.Render(img, m)
				if n := testing.AllocsPerRun(5, func() { r.Render(img, m) }); n != 0 {
					t.Errorf("%s at %v, elder %v: %v allocations per frame", tc.name, s, elder, n)
				}
			}
		}
	}
}

// BenchmarkFirstFrame1024x600 is a cold start: a new renderer's first
// frame of the busiest screen, every glyph and shape rasterised.
func BenchmarkFirstFrame1024x600(b *testing.B) {
	f := testFont(b)
	m := model("rate_theme20")
	img := image.NewRGBA(image.Rect(0, 0, 1024, 600))
	for b.Loop() {
		r, err := NewRenderer(f, DefaultSize)
		if err != nil {
			b.Fatal(err)
		}
		r.Render(img, m)
	}
}

// One renderer drawn and touched from several goroutines (the panel's
// loop, the simulator's screen.png, touches), and the font's shared faces
// used beside it: go test -race finds any sharing.
func TestConcurrent(t *testing.T) {
	r := testRenderer(t, Size{480, 320})
	f := testFont(t)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			img := r.NewImage()
			for i, tc := range goldenModels() {
				switch (g + i) % 3 {
				case 0:
					r.Render(img, tc.m)
				case 1:
					r.Hit(tc.m, 100, 300)
				case 2:
					if err := r.Check(tc.m); err != nil {
						t.Error(err)
					}
				}
			}
			if err := f.Check("好差评"); err != nil {
				t.Error(err)
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
