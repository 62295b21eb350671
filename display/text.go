package display

import (
	"image"
	"image/color"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/math/fixed"
)

// Text: a renderer keeps its own faces (faces are not goroutine-safe and
// the Font's are shared) and a cache of every glyph it has drawn, as a
// coverage mask and an advance. A frame then costs map look-ups and
// blending, never rasterising outlines again.

type faceKey struct {
	size int
	bold bool
}

type glyphKey struct {
	fk faceKey
	r  rune
}

type glyph struct {
	adv    int // pixels; hinting full makes advances whole pixels
	src    glyphSource
	mask   *alphaMask // nil until first drawn
	dx, dy int        // mask's top-left relative to the dot on the baseline
}

const ellipsis = "…"

func (r *Renderer) face(fk faceKey) *mixedFace {
	f, ok := r.faces[fk]
	if !ok {
		f = r.font.newFace(float64(fk.size), fk.bold)
		r.faces[fk] = f
	}
	return f
}

// glyph returns the cached glyph of ru (mask not yet made).
func (r *Renderer) glyph(fk faceKey, ru rune) *glyph {
	k := glyphKey{fk, ru}
	if g, ok := r.glyphs[k]; ok {
		return g
	}
	f := r.face(fk)
	g := &glyph{}
	face, src := f.face(ru)
	g.src = src
	if noGlyphNeeded(ru) {
		g.src = srcNone
		if ru == '\u3000' {
			g.adv = fk.size
		} else {
			a, _ := f.latin.GlyphAdvance(' ')
			g.adv = a.Round()
		}
	} else if src == srcNone {
		g.adv = fk.size / 2 // Check at start keeps this from ever showing
	} else {
		a, _ := face.GlyphAdvance(ru)
		g.adv = a.Round()
		if fk.bold && src == srcCJK {
			g.adv += boldWidth(fk.size)
		}
	}
	r.glyphs[k] = g
	return g
}

// boldWidth is how far a CJK glyph is smeared to make it bold.
func boldWidth(size int) int { return max(1, (size+12)/26) }

// glyphMask rasterises g's mask on first use.
func (r *Renderer) glyphMask(fk faceKey, ru rune, g *glyph) *alphaMask {
	if g.mask != nil || g.src == srcNone {
		return g.mask
	}
	f := r.face(fk)
	face, _ := f.face(ru)
	dr, mask, mp, _, ok := face.Glyph(fixed.Point26_6{}, ru)
	m := &alphaMask{}
	if ok && !dr.Empty() {
		a, _ := mask.(*image.Alpha)
		m.w, m.h = dr.Dx(), dr.Dy()
		m.pix = make([]byte, m.w*m.h)
		for y := 0; y < m.h; y++ {
			copy(m.pix[y*m.w:(y+1)*m.w], a.Pix[a.PixOffset(mp.X, mp.Y+y):])
		}
		g.dx, g.dy = dr.Min.X, dr.Min.Y
		if fk.bold && g.src == srcCJK {
			m = embolden(m, boldWidth(fk.size))
		}
	}
	g.mask = m
	return m
}

// embolden widens a mask by bw pixels: each pixel takes the most coverage
// of itself and the bw pixels to its left.
func embolden(m *alphaMask, bw int) *alphaMask {
	o := &alphaMask{w: m.w + bw, h: m.h, pix: make([]byte, (m.w+bw)*m.h)}
	for y := 0; y < m.h; y++ {
		src := m.pix[y*m.w : (y+1)*m.w]
		dst := o.pix[y*o.w : (y+1)*o.w]
		for x := range dst {
			var v byte
			for k := 0; k <= bw; k++ {
				if sx := x - k; sx >= 0 && sx < m.w && src[sx] > v {
					v = src[sx]
				}
			}
			dst[x] = v
		}
	}
	return o
}

// measure is the width of s in pixels.
func (r *Renderer) measure(fk faceKey, s string) int {
	w := 0
	for _, ru := range s {
		w += r.glyph(fk, ru).adv
	}
	return w
}

// drawText draws s with its baseline's left end at (x, y), then an
// ellipsis if ell.
func (p *painter) drawText(fk faceKey, x, y int, s string, ell bool, c color.RGBA) {
	r := p.r
	for _, ru := range s {
		g := r.glyph(fk, ru)
		if m := r.glyphMask(fk, ru, g); m != nil && m.w > 0 {
			blendGlyph(p.dst, x+g.dx, y+g.dy, m, c)
		}
		x += g.adv
	}
	if ell {
		p.drawText(fk, x, y, ellipsis, false, c)
	}
}

// line is one line of wrapped text: s is a substring of the text, ell
// says it was cut short and is drawn with an ellipsis; w includes it.
type line struct {
	s   string
	w   int
	ell bool
}

// Line breaking: CJK breaks between any two ideographs, but not before
// closing punctuation or after opening punctuation; Latin words and digit
// runs (project numbers, 工号) break only at spaces unless a run is wider
// than the line.
const (
	noLineStart = "，。、；：！？）》」』】〉…,.;:!?)%]}·"
	noLineEnd   = "（《「『【〈([{"
)

func isWide(ru rune) bool { return ru >= 0x2E80 }

// wrap breaks s into at most maxLines lines no wider than width, appending
// to out. The last line is cut with an ellipsis if the text goes on.
// It returns out and whether all of s fits.
func (r *Renderer) wrap(fk faceKey, s string, width, maxLines int, out []line) ([]line, bool) {
	s = strings.TrimSpace(s)
	for len(s) > 0 {
		if len(out) == maxLines-1 || maxLines <= 1 {
			out = append(out, r.cut(fk, s, width))
			return out, !out[len(out)-1].ell
		}
		n, w := r.breakLine(fk, s, width)
		out = append(out, line{s: strings.TrimRight(s[:n], " "), w: w})
		s = strings.TrimLeft(s[n:], " ")
	}
	return out, true
}

// cut returns s as one line, cut to fit width with an ellipsis if needed.
func (r *Renderer) cut(fk faceKey, s string, width int) line {
	if w := r.measure(fk, s); w <= width {
		return line{s: s, w: w}
	}
	ew := r.measure(fk, ellipsis)
	w := 0
	for i, ru := range s {
		a := r.glyph(fk, ru).adv
		if w+a+ew > width {
			return line{s: strings.TrimRight(s[:i], " "), w: w + ew, ell: true}
		}
		w += a
	}
	return line{s: s, w: w}
}

// breakLine returns how many bytes of s go on a line of width, and their
// width. At least one rune goes on every line.
func (r *Renderer) breakLine(fk faceKey, s string, width int) (n, w int) {
	brk, brkW := 0, 0 // last break opportunity and the width before it
	prev := rune(0)
	for i, ru := range s {
		if i > 0 && canBreak(prev, ru) {
			brk, brkW = i, w
		}
		a := r.glyph(fk, ru).adv
		if w+a > width && i > 0 {
			if brk > 0 {
				return brk, brkW
			}
			return i, w
		}
		w += a
		prev = ru
	}
	return len(s), w
}

// canBreak says whether a line may end after a and start with b.
func canBreak(a, b rune) bool {
	if strings.ContainsRune(noLineStart, b) || strings.ContainsRune(noLineEnd, a) {
		return false
	}
	if a == ' ' {
		return true
	}
	return isWide(a) || isWide(b)
}

// runeCount is utf8.RuneCountInString, named for the layout's use.
func runeCount(s string) int { return utf8.RuneCountInString(s) }
