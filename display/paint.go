package display

import (
	"image"
	"image/color"
)

// The raster primitives: opaque fills and coverage masks blended in one
// colour, straight into an *image.RGBA's Pix. They clip to dst's bounds.
// Every colour is opaque, so premultiplied and straight alpha agree.

// alphaMask is coverage, 0..255, w×h, row-major with stride w.
type alphaMask struct {
	w, h int
	pix  []byte
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 0xff} }

// fillRect paints r in c.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	i0 := dst.PixOffset(r.Min.X, r.Min.Y)
	n := r.Dx() * 4
	row := dst.Pix[i0 : i0+n]
	row[0], row[1], row[2], row[3] = c.R, c.G, c.B, c.A
	for filled := 4; filled < n; filled *= 2 {
		copy(row[filled:], row[:filled])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		i := dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[i:i+n], row)
	}
}

// blendMask paints c through m placed with its top-left at at; flipX and
// flipY mirror the mask (one quarter-circle serves four corners).
func blendMask(dst *image.RGBA, at image.Point, m *alphaMask, c color.RGBA, flipX, flipY bool) {
	r := image.Rect(at.X, at.Y, at.X+m.w, at.Y+m.h).Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	cr, cg, cb := uint32(c.R), uint32(c.G), uint32(c.B)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		my := y - at.Y
		if flipY {
			my = m.h - 1 - my
		}
		mrow := m.pix[my*m.w : my*m.w+m.w]
		d := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		for x := r.Min.X; x < r.Max.X; x++ {
			mx := x - at.X
			if flipX {
				mx = m.w - 1 - mx
			}
			a := uint32(mrow[mx])
			if a == 0 {
				continue
			}
			i := (x - r.Min.X) * 4
			p := d[i : i+4 : i+4]
			if a == 0xff {
				p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 0xff
				continue
			}
			ia := 0xff - a
			p[0] = uint8((uint32(p[0])*ia + cr*a + 127) / 255)
			p[1] = uint8((uint32(p[1])*ia + cg*a + 127) / 255)
			p[2] = uint8((uint32(p[2])*ia + cb*a + 127) / 255)
			p[3] = 0xff
		}
	}
}

// blendGlyph is blendMask without mirroring, for the many small glyphs.
func blendGlyph(dst *image.RGBA, x0, y0 int, m *alphaMask, c color.RGBA) {
	r := image.Rect(x0, y0, x0+m.w, y0+m.h).Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	cr, cg, cb := uint32(c.R), uint32(c.G), uint32(c.B)
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		mo := (y-y0)*m.w + (r.Min.X - x0)
		mrow := m.pix[mo : mo+w]
		d := dst.Pix[dst.PixOffset(r.Min.X, y):]
		d = d[:w*4]
		for x, a8 := range mrow {
			if a8 == 0 {
				continue
			}
			p := d[x*4 : x*4+4 : x*4+4]
			if a8 == 0xff {
				p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 0xff
				continue
			}
			a := uint32(a8)
			ia := 0xff - a
			p[0] = uint8((uint32(p[0])*ia + cr*a + 127) / 255)
			p[1] = uint8((uint32(p[1])*ia + cg*a + 127) / 255)
			p[2] = uint8((uint32(p[2])*ia + cb*a + 127) / 255)
			p[3] = 0xff
		}
	}
}

// quarterCircle is the coverage of a disc of radius rad centred on the
// mask's bottom-right corner: the top-left corner of a rounded rectangle.
// Integer supersampling (8×8) keeps it identical on every machine.
func quarterCircle(rad int) *alphaMask {
	m := &alphaMask{w: rad, h: rad, pix: make([]byte, rad*rad)}
	const ss = 8
	R := int64(rad * ss)
	for y := 0; y < rad; y++ {
		for x := 0; x < rad; x++ {
			n := 0
			for sy := 0; sy < ss; sy++ {
				dy := R - int64(y*ss+sy) // to the centre, in subsamples
				dy2 := (2*dy - 1) * (2*dy - 1)
				for sx := 0; sx < ss; sx++ {
					dx := R - int64(x*ss+sx)
					if (2*dx-1)*(2*dx-1)+dy2 <= 4*R*R {
						n++
					}
				}
			}
			m.pix[y*rad+x] = uint8((n*255 + ss*ss/2) / (ss * ss))
		}
	}
	return m
}

// roundRect paints r with corners of radius rad in c.
func (p *painter) roundRect(r image.Rectangle, rad int, c color.RGBA) {
	if r.Empty() {
		return
	}
	rad = min(rad, r.Dx()/2, r.Dy()/2)
	if rad <= 0 {
		fillRect(p.dst, r, c)
		return
	}
	fillRect(p.dst, image.Rect(r.Min.X+rad, r.Min.Y, r.Max.X-rad, r.Max.Y), c)
	fillRect(p.dst, image.Rect(r.Min.X, r.Min.Y+rad, r.Min.X+rad, r.Max.Y-rad), c)
	fillRect(p.dst, image.Rect(r.Max.X-rad, r.Min.Y+rad, r.Max.X, r.Max.Y-rad), c)
	q := p.corner(rad)
	blendMask(p.dst, r.Min, q, c, false, false)
	blendMask(p.dst, image.Pt(r.Max.X-rad, r.Min.Y), q, c, true, false)
	blendMask(p.dst, image.Pt(r.Min.X, r.Max.Y-rad), q, c, false, true)
	blendMask(p.dst, image.Pt(r.Max.X-rad, r.Max.Y-rad), q, c, true, true)
}

// painter draws ops on one frame with the renderer's caches.
type painter struct {
	r   *Renderer
	dst *image.RGBA
}

func (p *painter) corner(rad int) *alphaMask {
	k := shapeKey{kind: shapeCorner, w: rad, h: rad}
	m, ok := p.r.shapes[k]
	if !ok {
		m = quarterCircle(rad)
		p.r.shapes[k] = m
	}
	return m
}

// paint draws one op; off is where the panel's origin is in dst.
func (p *painter) paint(o *op, off image.Point, m *Model) {
	rc := o.r.Add(off)
	switch o.kind {
	case opFill:
		fillRect(p.dst, rc, o.c)
	case opRound:
		p.roundRect(rc, o.rad, o.c)
	case opText:
		p.drawText(o.fk, rc.Min.X, rc.Min.Y, o.s, o.ell, o.c)
	case opShape:
		if rc.Dx() > 0 && rc.Dy() > 0 {
			blendMask(p.dst, rc.Min, p.r.shape(o.shape, rc.Dx(), rc.Dy()), o.c, false, false)
		}
	case opQR:
		p.drawQR(rc, o.s)
	case opPhoto:
		p.drawPhoto(rc, m)
	}
}
