package agent

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The test pattern a technician reads the panel's settings off: at each
// display size the five bars are white, red, green, blue and black with
// their letters drawn in the bar's opposite ink, the ramp runs from black
// to white, and the frame and corners are white.
func TestTestPattern(t *testing.T) {
	for _, s := range []image.Point{{1024, 600}, {320, 240}, {240, 320}, {240, 240}, {170, 320}, {135, 240}} {
		t.Run(fmt.Sprintf("%dx%d", s.X, s.Y), func(t *testing.T) {
			img := TestPattern(s.X, s.Y)
			if dir := os.Getenv("EVALPAD_PATTERN_DIR"); dir != "" { // to look at
				f, _ := os.Create(filepath.Join(dir, fmt.Sprintf("pattern_%dx%d.png", s.X, s.Y)))
				png.Encode(f, img)
				f.Close()
			}
			w, h := s.X, s.Y
			barW := w / 5
			want := []color.RGBA{{255, 255, 255, 255}, {255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {0, 0, 0, 255}}
			ink := []color.RGBA{want[4], want[4], want[4], want[0], want[0]}
			for i, c := range want {
				x := i*w/5 + barW/10 + 4 // left of the letter, right of the frame
				if got := img.RGBAAt(x, h*15/100); got != c {
					t.Errorf("bar %d at (%d,%d) is %v, want %v", i, x, h*15/100, got, c)
				}
				// The letter's left stroke (every letter has a dot at column 0, row 1).
				dot := max(1, min(barW/2/5, h*60/100/2/7))
				lx := i*w/5 + (barW-5*dot)/2
				ly := (h*60/100-7*dot)/2 + dot + dot/2
				if got := img.RGBAAt(lx, ly); got != ink[i] {
					t.Errorf("letter of bar %d at (%d,%d) is %v, want %v", i, lx, ly, got, ink[i])
				}
			}
			if s == image.Pt(240, 320) { // README shows this one
				f, err := os.Open(filepath.Join("testdata", "pattern_240x320.png"))
				if err != nil {
					t.Fatal(err)
				}
				want, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				for y := range h {
					for x := range w {
						if r1, g1, b1, _ := want.At(x, y).RGBA(); color.RGBA64Model.Convert(img.At(x, y)) != (color.RGBA64{uint16(r1), uint16(g1), uint16(b1), 0xffff}) {
							t.Fatalf("testdata/pattern_240x320.png (README's) differs at (%d,%d): EVALPAD_PATTERN_DIR=dir go test -run TestTestPattern writes it", x, y)
						}
					}
				}
			}
			y := h * 80 / 100
			if l, r := img.RGBAAt(w/16+4, y), img.RGBAAt(w-w/16-5, y); l.R != 0 || r.R != 255 {
				t.Errorf("ramp runs %v to %v, want black to white", l, r)
			}
			for _, p := range []image.Point{{1, 1}, {w - 2, h / 2}, {w / 2, h - 1}, {w - 1 - w/20, h - 1 - h/20}} {
				if got := img.RGBAAt(p.X, p.Y); got != want[0] {
					t.Errorf("frame/corner at %v is %v, want white", p, got)
				}
			}
		})
	}
}
