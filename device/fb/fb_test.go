//go:build unix

package fb

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Colours of the test frame's corners and background.
var (
	cTL = color.RGBA{0xFF, 0x00, 0x00, 0xFF} // top-left: red
	cTR = color.RGBA{0x00, 0xFF, 0x00, 0xFF} // top-right: green
	cBL = color.RGBA{0x00, 0x00, 0xFF, 0xFF} // bottom-left: blue
	cBR = color.RGBA{0x12, 0x34, 0x56, 0xFF} // bottom-right: odd bits
	cBG = color.RGBA{0x00, 0x00, 0x00, 0xFF} // everything else
)

// cornerFrame is a w×h frame, black but for a distinct colour in each
// corner, with bounds starting at min (Show must not assume (0,0)).
func cornerFrame(w, h int, min image.Point) *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Min: min, Max: min.Add(image.Pt(w, h))})
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			img.SetRGBA(x, y, cBG)
		}
	}
	r := img.Rect
	img.SetRGBA(r.Min.X, r.Min.Y, cTL)
	img.SetRGBA(r.Max.X-1, r.Min.Y, cTR)
	img.SetRGBA(r.Min.X, r.Max.Y-1, cBL)
	img.SetRGBA(r.Max.X-1, r.Max.Y-1, cBR)
	return img
}

// fakeFB writes a file laid out like g, every byte 0xEE so that bytes the
// driver must not touch (line padding, the virtual screen) can be checked.
func fakeFB(t *testing.T, g Geometry) string {
	t.Helper()
	n, err := g.normalized()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fb0")
	if err := os.WriteFile(path, bytes.Repeat([]byte{0xEE}, n.size()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestShowFormatsAndRotations(t *testing.T) {
	const xres, yres = 7, 4 // not square: a transposition shows
	type format struct {
		name string
		g    Geometry
		// Expected bytes of the four corner colours and the background.
		tl, tr, bl, br, bg []byte
	}
	pad := func(g Geometry, extra int) Geometry { g.LineLength = g.XRes*g.BitsPerPixel/8 + extra; return g }
	bgr565 := RGB565(xres, yres)
	bgr565.Red, bgr565.Blue = Bitfield{0, 5}, Bitfield{11, 5}
	abgr := XRGB8888(xres, yres)
	abgr.Red, abgr.Blue, abgr.Transp = Bitfield{0, 8}, Bitfield{16, 8}, Bitfield{24, 8}
	panned := pad(XRGB8888(xres, yres), 12)
	panned.XResVirtual, panned.YResVirtual, panned.XOffset, panned.YOffset = xres+2, yres*2, 1, 3
	formats := []format{
		{"RGB565", pad(RGB565(xres, yres), 6),
			// 0xF800, 0x07E0, 0x001F, 0x11AA (00010 001101 01010) little-endian
			[]byte{0x00, 0xF8}, []byte{0xE0, 0x07}, []byte{0x1F, 0x00}, []byte{0xAA, 0x11}, []byte{0, 0}},
		{"BGR565", pad(bgr565, 2),
			// 0x001F, 0x07E0, 0xF800, 0x51A2 (01010 001101 00010)
			[]byte{0x1F, 0x00}, []byte{0xE0, 0x07}, []byte{0x00, 0xF8}, []byte{0xA2, 0x51}, []byte{0, 0}},
		{"XRGB8888", pad(XRGB8888(xres, yres), 8),
			// bytes B G R X
			[]byte{0, 0, 0xFF, 0}, []byte{0, 0xFF, 0, 0}, []byte{0xFF, 0, 0, 0}, []byte{0x56, 0x34, 0x12, 0}, []byte{0, 0, 0, 0}},
		{"ABGR8888", pad(abgr, 4),
			// bytes R G B A, alpha opaque
			[]byte{0xFF, 0, 0, 0xFF}, []byte{0, 0xFF, 0, 0xFF}, []byte{0, 0, 0xFF, 0xFF}, []byte{0x12, 0x34, 0x56, 0xFF}, []byte{0, 0, 0, 0xFF}},
		{"XRGB8888-panned", panned,
			[]byte{0, 0, 0xFF, 0}, []byte{0, 0xFF, 0, 0}, []byte{0xFF, 0, 0, 0}, []byte{0x56, 0x34, 0x12, 0}, []byte{0, 0, 0, 0}},
	}
	// Where each frame corner lands on the panel, per rotation (doc.go).
	type corners struct{ tl, tr, bl, br image.Point }
	L, R, T, B := 0, xres-1, 0, yres-1
	rotations := []struct {
		rotate int
		frame  image.Point
		at     corners
	}{
		{0, image.Pt(xres, yres), corners{image.Pt(L, T), image.Pt(R, T), image.Pt(L, B), image.Pt(R, B)}},
		{90, image.Pt(yres, xres), corners{image.Pt(R, T), image.Pt(R, B), image.Pt(L, T), image.Pt(L, B)}},
		{180, image.Pt(xres, yres), corners{image.Pt(R, B), image.Pt(L, B), image.Pt(R, T), image.Pt(L, T)}},
		{270, image.Pt(yres, xres), corners{image.Pt(L, B), image.Pt(L, T), image.Pt(R, B), image.Pt(R, T)}},
	}
	for _, f := range formats {
		for _, r := range rotations {
			t.Run(fmt.Sprintf("%s/%d", f.name, r.rotate), func(t *testing.T) {
				path := fakeFB(t, f.g)
				fb, err := OpenFile(path, f.g, r.rotate)
				if err != nil {
					t.Fatal(err)
				}
				if got := fb.Size(); got != r.frame {
					t.Fatalf("Size() = %v, want %v", got, r.frame)
				}
				if err := fb.Show(cornerFrame(r.frame.X, r.frame.Y, image.Pt(-3, 5))); err != nil {
					t.Fatal(err)
				}
				if err := fb.Close(); err != nil {
					t.Fatal(err)
				}
				mem, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				g := fb.Geometry()
				bpp := g.BitsPerPixel / 8
				want := map[image.Point][]byte{r.at.tl: f.tl, r.at.tr: f.tr, r.at.bl: f.bl, r.at.br: f.br}
				for i := range mem {
					line, col := i/g.LineLength, i%g.LineLength
					px, py := col/bpp-g.XOffset, line-g.YOffset
					if col >= (g.XOffset+g.XRes)*bpp || px < 0 || py < 0 || py >= g.YRes {
						if mem[i] != 0xEE {
							t.Fatalf("byte %d (line %d, column byte %d) outside the visible window = %#02x, want untouched 0xEE", i, line, col, mem[i])
						}
						continue
					}
					exp, ok := want[image.Pt(px, py)]
					if !ok {
						exp = f.bg
					}
					if got := mem[i]; got != exp[col%bpp] {
						p := line*g.LineLength + (g.XOffset+px)*bpp
						t.Fatalf("panel pixel (%d,%d) = % x, want % x", px, py, mem[p:p+bpp], exp)
					}
				}
			})
		}
	}
}

func TestShowFrameSize(t *testing.T) {
	g := XRGB8888(8, 4)
	fb, err := OpenFile(fakeFB(t, g), g, 90)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	err = fb.Show(image.NewRGBA(image.Rect(0, 0, 8, 4))) // unrotated size
	if !errors.Is(err, ErrFrameSize) || !strings.Contains(err.Error(), "frame is 8×4, panel wants 4×8 (rotate 90)") {
		t.Fatalf("Show(8×4) at rotate 90 = %v, want ErrFrameSize naming both sizes", err)
	}
	if err := fb.Show(image.NewRGBA(image.Rect(0, 0, 4, 8))); err != nil {
		t.Fatalf("Show(4×8) = %v", err)
	}
}

func TestOpenFileErrors(t *testing.T) {
	g := RGB565(10, 10)
	path := fakeFB(t, g)
	for _, tc := range []struct {
		name   string
		g      Geometry
		rotate int
		want   error
		text   string
	}{
		{"rotate", g, 45, ErrRotate, "got 45"},
		{"bpp", func() Geometry { g := g; g.BitsPerPixel = 24; return g }(), 0, ErrGeometry, "24 bits per pixel"},
		{"line", func() Geometry { g := g; g.LineLength = 19; return g }(), 0, ErrGeometry, "line length 19"},
		{"small", RGB565(10, 11), 0, ErrGeometry, "file is 200 bytes"},
		{"field", func() Geometry { g := g; g.Red = Bitfield{12, 5}; return g }(), 0, ErrGeometry, "red bitfield"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb, err := OpenFile(path, tc.g, tc.rotate)
			if err == nil {
				fb.Close()
				t.Fatal("OpenFile succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("OpenFile = %v, want %v naming %s and %q", err, tc.want, path, tc.text)
			}
		})
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing"), g, 0); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenFile(missing) = %v, want ErrNotExist", err)
	}
}

func TestClose(t *testing.T) {
	g := RGB565(2, 2)
	fb, err := OpenFile(fakeFB(t, g), g, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fb.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := fb.Show(image.NewRGBA(image.Rect(0, 0, 2, 2))); !errors.Is(err, ErrClosed) {
		t.Fatalf("Show after Close = %v, want ErrClosed", err)
	}
}

func BenchmarkShow1024x600(b *testing.B) {
	for _, g := range []Geometry{RGB565(1024, 600), XRGB8888(1024, 600)} {
		b.Run(fmt.Sprint(g.BitsPerPixel), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "fb0")
			n, _ := g.normalized()
			if err := os.WriteFile(path, make([]byte, n.size()), 0o600); err != nil {
				b.Fatal(err)
			}
			fb, err := OpenFile(path, g, 90)
			if err != nil {
				b.Fatal(err)
			}
			defer fb.Close()
			img := cornerFrame(fb.Size().X, fb.Size().Y, image.Point{})
			b.ResetTimer()
			for b.Loop() {
				if err := fb.Show(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The pad's panel interface.
var _ interface {
	Show(img *image.RGBA) error
	Close() error
} = (*FB)(nil)
