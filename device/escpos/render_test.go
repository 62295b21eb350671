package escpos_test

import (
	"bytes"
	"errors"
	"image"
	"math/rand/v2"
	"strings"
	"testing"

	"evalpad/device/escpos"
	"evalpad/display/receipt"
)

func render(t *testing.T, paper int, job []byte) *image.Paletted {
	t.Helper()
	img, err := tryRender(t, paper, job)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func tryRender(t *testing.T, paper int, job []byte) (*image.Paletted, error) {
	t.Helper()
	ops, err := escpos.Decode(job)
	if err != nil {
		t.Fatal(err)
	}
	return renderer(t, paper).Render(ops)
}

// black reports whether the dot at x, y is ink.
func black(img *image.Paletted, x, y int) bool { return img.ColorIndexAt(x, y) == 1 }

// ink is the bounding box of the black dots of rows y0..y1.
func ink(img *image.Paletted, y0, y1 int) image.Rectangle {
	var r image.Rectangle
	for y := y0; y < y1; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if black(img, x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// TestRenderQRModesAgree: the receipt with the printer's own QR code and
// the one with the pad's raster image come out as the same dots — the
// raster is drawn bit-exact, the native code from the stored data at the
// stored module size, and both sit where a centered code sits.
func TestRenderQRModesAgree(t *testing.T) {
	for _, paper := range papers {
		r := sampleReceipt(t, "")
		native := render(t, paper, encode(t, r, paper, receipt.QRNative))
		raster := render(t, paper, encode(t, r, paper, receipt.QRRaster))
		if native.Rect != raster.Rect {
			t.Fatalf("%d mm: native paper %v, raster paper %v", paper, native.Rect, raster.Rect)
		}
		if !bytes.Equal(native.Pix, raster.Pix) {
			t.Errorf("%d mm: native and raster receipts differ", paper)
		}
		if want := map[int]int{58: 384, 80: 576}[paper]; native.Rect.Dx() != want {
			t.Errorf("%d mm: paper %d dots wide, want %d", paper, native.Rect.Dx(), want)
		}
	}
}

// TestRenderRasterBitExact: every bit of a GS v 0 image is a dot on the
// paper, MSB leftmost, at the justification, doubled in the double modes.
func TestRenderRasterBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const xb, rows = 5, 13
	data := make([]byte, xb*rows)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, tc := range []struct {
		name     string
		align, m byte
		x0       int // left edge on 384 dots
		sx, sy   int
	}{
		{"left", 0, 0, 0, 1, 1},
		{"center", 1, 0, (384 - 40) / 2, 1, 1},
		{"right", 2, 48, 384 - 40, 1, 1},
		{"double width", 0, 1, 0, 2, 1},
		{"double height", 49, 50, (384 - 40) / 2, 1, 2},
		{"quadruple", 50, 51, 384 - 80, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := []byte{0x1b, '@', 0x1b, 'a', tc.align, 0x1d, 'v', '0', tc.m, xb, 0, rows, 0}
			job = append(job, data...)
			img := render(t, 58, job)
			y0 := escpos.TopMargin
			if img.Rect.Dy() != y0+rows*tc.sy {
				t.Fatalf("paper %d dots long, want %d", img.Rect.Dy(), y0+rows*tc.sy)
			}
			for y := range img.Rect.Dy() {
				for x := range 384 {
					want := false
					if bx, by := (x-tc.x0)/tc.sx, (y-y0)/tc.sy; x >= tc.x0 && bx < xb*8 && y >= y0 {
						want = data[by*xb+bx/8]&(0x80>>(bx%8)) != 0
					}
					if black(img, x, y) != want {
						t.Fatalf("dot (%d,%d) is %v, want %v", x, y, black(img, x, y), want)
					}
				}
			}
		})
	}
}

// TestRenderText: characters take 12- or 24-dot cells scaled by the size,
// lines follow the justification, a full line wraps by itself, and bold
// and underline add ink.
func TestRenderText(t *testing.T) {
	const y0, line = escpos.TopMargin, escpos.DefaultLineSpacing
	t.Run("justification", func(t *testing.T) {
		img := render(t, 58, []byte("\x1ba\x00\xb9\xfa\n\x1ba\x01\xb9\xfa\n\x1ba\x02\xb9\xfa\n")) // 国
		for i, want := range []int{0, (384 - 24) / 2, 384 - 24} {
			b := ink(img, y0+i*line, y0+(i+1)*line)
			if b.Empty() || b.Min.X < want || b.Max.X > want+24 || b.Dx() < 18 {
				t.Errorf("line %d: ink %v, want it inside the cell at x %d..%d, 18+ dots wide", i, b, want, want+24)
			}
			if b.Min.Y < y0+i*line || b.Max.Y > y0+i*line+24 || b.Dy() < 18 {
				t.Errorf("line %d: ink %v, want it inside rows %d..%d", i, b, y0+i*line, y0+i*line+24)
			}
		}
	})
	t.Run("half width", func(t *testing.T) {
		img := render(t, 58, []byte("\x1ba\x02WWWW\n"))
		if b := ink(img, y0, y0+line); b.Min.X < 384-48 || b.Max.X > 384 {
			t.Errorf("4 ASCII characters right-justified: ink %v, want within x %d..384", b, 384-48)
		}
	})
	t.Run("size", func(t *testing.T) {
		img := render(t, 58, []byte("\x1d!\x11\xb9\xfa\n\x1d!\x00\xb9\xfa\n"))
		big, small := ink(img, y0, y0+48), ink(img, y0+48, y0+48+line)
		if big.Dx() < 2*small.Dx()-2 || big.Dy() < 2*small.Dy()-2 {
			t.Errorf("2×2 character ink %v, 1×1 ink %v", big, small)
		}
		if small.Min.Y < y0+48 {
			t.Errorf("the line after a 48-dot line starts at %d, want %d", small.Min.Y, y0+48)
		}
	})
	t.Run("wrap", func(t *testing.T) {
		img := render(t, 58, []byte(strings.Repeat("\xb9\xfa", 17)+"\n")) // 17 × 24 = 408 > 384
		if b := ink(img, y0+line, y0+2*line); b.Empty() || b.Max.X > 24 {
			t.Errorf("17th character: ink %v on the second line, want it in the first cell", b)
		}
		if img.Rect.Dy() != y0+2*line {
			t.Errorf("paper %d dots long, want two lines: %d", img.Rect.Dy(), y0+2*line)
		}
	})
	t.Run("bold and underline", func(t *testing.T) {
		count := func(img *image.Paletted) (n int) {
			for _, p := range img.Pix {
				if p == 1 {
					n++
				}
			}
			return n
		}
		plain := count(render(t, 58, []byte("\xb9\xfa\n")))
		bold := count(render(t, 58, []byte("\x1bE\x01\xb9\xfa\n")))
		ul := render(t, 58, []byte("\x1b-\x02\xb9\xfa\n"))
		if bold <= plain {
			t.Errorf("bold has %d dots, plain %d", bold, plain)
		}
		for x := range 24 {
			if !black(ul, x, y0+23) || !black(ul, x, y0+22) || black(ul, x+24, y0+23) {
				t.Fatalf("two-dot underline missing under the cell at x %d", x)
			}
		}
	})
	t.Run("init resets", func(t *testing.T) {
		a := render(t, 58, []byte("\x1ba\x01\x1d!\x77\x1bE\x01\x1b3\x05\x1b@\xb9\xfa\n"))
		b := render(t, 58, []byte("\xb9\xfa\n"))
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Error("ESC @ does not reset justification, size, bold and spacing")
		}
	})
	t.Run("feeds", func(t *testing.T) {
		for job, want := range map[string]int{
			"\n":               line,
			"\x1bd\x03":        3 * line,
			"\x1bJ\x07":        7,
			"\x1b3\x40\n\n":    128,
			"\x1b3\x10\x1b2\n": line,
			"x\x1bd\x01":       24 + line, // the line, then one line more
		} {
			if got := render(t, 58, []byte(job)).Rect.Dy(); got != y0+want {
				t.Errorf("%q: paper %d dots long, want %d", job, got, y0+want)
			}
		}
	})
}

// TestRenderCut: the paper ends at a cut with nothing after it; a cut
// inside the job leaves a dashed line.
func TestRenderCut(t *testing.T) {
	one := render(t, 58, []byte("a\n\x1bd\x02\x1dV\x01"))
	if want := escpos.TopMargin + 3*escpos.DefaultLineSpacing; one.Rect.Dy() != want {
		t.Errorf("cut paper %d dots long, want %d", one.Rect.Dy(), want)
	}
	fed := render(t, 58, []byte("a\n\x1dVB\x10"))
	if want := escpos.TopMargin + escpos.DefaultLineSpacing + 16; fed.Rect.Dy() != want {
		t.Errorf("GS V 66 16: paper %d dots long, want %d", fed.Rect.Dy(), want)
	}
	two := render(t, 58, []byte("a\n\x1dV\x00b\n\x1dV\x00"))
	cutY := escpos.TopMargin + escpos.DefaultLineSpacing
	if want := 2 * cutY; two.Rect.Dy() != want {
		t.Errorf("two receipts: paper %d dots long, want %d", two.Rect.Dy(), want)
	}
	if two.ColorIndexAt(0, cutY) != 2 || two.ColorIndexAt(6, cutY) != 0 {
		t.Errorf("no dashed cut mark at row %d", cutY)
	}
}

func TestRenderErrors(t *testing.T) {
	wide := append([]byte("\x1dv0\x00\x31\x00\x01\x00"), make([]byte, 49)...)                                              // 392 dots
	wideReceipt, err := receipt.Encode(sampleReceipt(t, ""), receipt.Profile{Paper: 80, QR: receipt.QRRaster, Module: 10}) // 450 dots
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		paper int
		job   []byte
		want  error
	}{
		{"QR print without data", 58, []byte("\x1d(k\x03\x001Q0"), escpos.ErrNoQRData},
		{"QR data cleared by ESC @", 58, []byte("\x1d(k\x04\x001P0a\x1b@\x1d(k\x03\x001Q0"), escpos.ErrNoQRData},
		{"QR model 1", 58, []byte("\x1d(k\x04\x001A1\x00\x1d(k\x04\x001P0a\x1d(k\x03\x001Q0"), escpos.ErrUnsupported},
		{"QR too long", 58, append(append([]byte("\x1d(k\x00\x0c1P0"), bytes.Repeat([]byte{0xaa}, 3069)...), "\x1d(k\x03\x001Q0"...), escpos.ErrUnsupported},
		{"QR too wide", 58, []byte("\x1d(k\x03\x001C\x10\x1d(k\x04\x001P0a\x1d(k\x03\x001Q0"), escpos.ErrPaper}, // 29 × 16 = 464
		{"raster too wide", 58, wide, escpos.ErrPaper},
		{"raster fits 80 mm", 80, wide, nil},
		{"80 mm receipt on 58 mm paper", 58, wideReceipt, escpos.ErrPaper},
		{"endless paper", 58, bytes.Repeat([]byte("\x1bd\xff"), 10), escpos.ErrPaper}, // 10 × 255 × 30 dots
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := tryRender(t, tc.paper, tc.job)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *escpos.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) {
				t.Fatalf("Render = %v, %v; want an *Error wrapping %v", img != nil, err, tc.want)
			}
		})
	}
}

func TestDotsFor(t *testing.T) {
	for paper, want := range map[int]int{58: 384, 80: 576, 76: 0, 0: 0} {
		got, err := escpos.DotsFor(paper)
		if got != want || (err != nil) != (want == 0) {
			t.Errorf("DotsFor(%d) = %d, %v; want %d", paper, got, err, want)
		}
	}
}
