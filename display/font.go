package display

import (
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// DefaultFontPaths is where a CJK font is looked for when the config names
// none: Debian's fonts-droid-fallback first, then the usual places.
var DefaultFontPaths = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/droid/DroidSansFallbackFull.ttf",
	"/usr/local/share/fonts/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
	"fonts/DroidSansFallbackFull.ttf",
}

// ErrNoFont: none of the font paths holds a font sfnt can parse.
var ErrNoFont = errors.New("display: no usable CJK font")

// ErrMissingGlyph: the font has no glyph for a character of a text the
// pad must show (a configured text, a staff name).
var ErrMissingGlyph = errors.New("display: font lacks a glyph")

// Font is a CJK font loaded from a file, paired with the Go fonts (embedded
// in the binary) for Latin letters, digits and punctuation: Droid Sans
// Fallback has no glyph below U+2E80 at all, so "E10", "TA0123" and
// "10:03" would be tofu without them. Faces are cached by size.
// It is safe for concurrent use; the faces it returns are not.
type Font struct {
	Path string // the CJK font file that was loaded

	cjk, latin, latinBold *sfnt.Font

	mu    sync.Mutex
	faces map[float64]font.Face
	buf   sfnt.Buffer
}

// LoadFont parses the first of paths (DefaultFontPaths when empty) that
// exists, parses and has CJK glyphs. The error wraps ErrNoFont and lists
// every path tried and why it failed.
func LoadFont(paths []string) (*Font, error) {
	if len(paths) == 0 {
		paths = DefaultFontPaths
	}
	latin, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("display: embedded Go Regular font: %w", err)
	}
	latinBold, err := sfnt.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("display: embedded Go Bold font: %w", err)
	}
	var why []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		sf, err := sfnt.Parse(data)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: not a font sfnt can parse: %v", p, err))
			continue
		}
		f := &Font{Path: p, cjk: sf, latin: latin, latinBold: latinBold, faces: map[float64]font.Face{}}
		if err := f.Check("好差评非常满意"); err != nil {
			why = append(why, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		return f, nil
	}
	return nil, fmt.Errorf("%w (install Debian's fonts-droid-fallback, or set the font path): %s", ErrNoFont, strings.Join(why, "; "))
}

// Check reports the first character of texts that the font cannot draw,
// naming the text, so a missing glyph is an error at start rather than a
// tofu box on a counter. Spaces and control characters need no glyph.
// The error wraps ErrMissingGlyph.
func (f *Font) Check(texts ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range texts {
		for _, r := range t {
			if noGlyphNeeded(r) {
				continue
			}
			if f.pick(&f.buf, r) == srcNone {
				return fmt.Errorf("%w: %q (U+%04X) in %q", ErrMissingGlyph, r, r, t)
			}
		}
	}
	return nil
}

// noGlyphNeeded: spaces and control characters are drawn as an advance.
func noGlyphNeeded(r rune) bool { return r <= ' ' || r == '\u3000' }

// glyphSource says which of a Font's files draws a rune.
type glyphSource uint8

const (
	srcNone glyphSource = iota
	srcCJK
	srcLatin
)

// pick chooses the font for r: the Go font for what it has below the CJK
// blocks (letters, digits, punctuation, …), the CJK font for the rest, and
// the other one as a fallback.
func (f *Font) pick(buf *sfnt.Buffer, r rune) glyphSource {
	has := func(sf *sfnt.Font) bool {
		i, err := sf.GlyphIndex(buf, r)
		return err == nil && i != 0
	}
	if r < 0x2E80 && has(f.latin) {
		return srcLatin
	}
	if has(f.cjk) {
		return srcCJK
	}
	if has(f.latin) {
		return srcLatin
	}
	return srcNone
}

// Fork returns a Font that shares f's parsed font files (sfnt fonts are safe
// for concurrent use) but has its own cache of faces: for a second goroutine
// that draws text, such as a printer, without loading the 4 MB file again.
func (f *Font) Fork() *Font {
	return &Font{Path: f.Path, cjk: f.cjk, latin: f.latin, latinBold: f.latinBold, faces: map[float64]font.Face{}}
}

// Face returns a face of the font at size pixels (72 dpi: points = pixels)
// that draws each rune from the file that has it. Faces are cached; a face
// must not be used from two goroutines at once.
func (f *Font) Face(size float64) font.Face {
	f.mu.Lock()
	defer f.mu.Unlock()
	if face, ok := f.faces[size]; ok {
		return face
	}
	face := f.newFace(size, false)
	f.faces[size] = face
	return face
}

// newFace makes an uncached face; bold uses Go Bold for Latin (the CJK
// file has no bold: the renderer emboldens those glyphs itself).
func (f *Font) newFace(size float64, bold bool) *mixedFace {
	latin := f.latin
	if bold {
		latin = f.latinBold
	}
	return &mixedFace{f: f, cjk: mustFace(f.cjk, size), latin: mustFace(latin, size), src: map[rune]glyphSource{}}
}

func mustFace(sf *sfnt.Font, size float64) font.Face {
	face, err := opentype.NewFace(sf, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(fmt.Sprintf("display: face at %v px: %v", size, err)) // only for size <= 0
	}
	return face
}

// mixedFace is a font.Face over the CJK and the Latin faces of one size.
// Metrics are the CJK face's, so lines keep one height whatever they hold.
type mixedFace struct {
	f          *Font
	cjk, latin font.Face
	buf        sfnt.Buffer
	src        map[rune]glyphSource
}

var _ font.Face = (*mixedFace)(nil)

func (m *mixedFace) face(r rune) (font.Face, glyphSource) {
	s, ok := m.src[r]
	if !ok {
		s = m.f.pick(&m.buf, r)
		m.src[r] = s
	}
	if s == srcLatin {
		return m.latin, s
	}
	return m.cjk, s
}

func (m *mixedFace) Close() error { return nil }

func (m *mixedFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	face, _ := m.face(r)
	return face.Glyph(dot, r)
}

func (m *mixedFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	face, _ := m.face(r)
	return face.GlyphBounds(r)
}

func (m *mixedFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	face, _ := m.face(r)
	return face.GlyphAdvance(r)
}

func (m *mixedFace) Kern(r0, r1 rune) fixed.Int26_6 {
	f0, s0 := m.face(r0)
	_, s1 := m.face(r1)
	if s0 != s1 {
		return 0
	}
	return f0.Kern(r0, r1)
}

func (m *mixedFace) Metrics() font.Metrics { return m.cjk.Metrics() }
