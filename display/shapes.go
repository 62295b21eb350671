package display

import (
	"image"
	"math"

	"golang.org/x/image/vector"
)

// The icons are vector shapes rasterised once per size into coverage
// masks: the CJK font has no ★ or ✓, and drawing them as glyphs of another
// font would make the screens depend on one more file.

type shapeKind uint8

const (
	shapeCorner   shapeKind = iota // quarter circle (rounded corners, discs)
	shapeStar                      // five-pointed star
	shapeCheck                     // tick
	shapeTriangle                  // warning triangle
	shapePerson                    // head and shoulders (photo placeholder)
)

type shapeKey struct {
	kind shapeKind
	w, h int
}

// shape returns the mask of kind at w×h, rasterising it on first use.
func (r *Renderer) shape(kind shapeKind, w, h int) *alphaMask {
	k := shapeKey{kind, w, h}
	if m, ok := r.shapes[k]; ok {
		return m
	}
	z := vector.NewRasterizer(w, h)
	fw, fh := float32(w), float32(h)
	switch kind {
	case shapeStar:
		cx, cy := fw/2, fh*0.53
		ro, ri := fw*0.5, fw*0.5*0.40
		for i := 0; i < 10; i++ {
			rad := ro
			if i%2 == 1 {
				rad = ri
			}
			a := -math.Pi/2 + float64(i)*math.Pi/5
			x := cx + rad*float32(math.Cos(a))
			y := cy + rad*float32(math.Sin(a))
			if i == 0 {
				z.MoveTo(x, y)
			} else {
				z.LineTo(x, y)
			}
		}
		z.ClosePath()
	case shapeCheck:
		// Two thick strokes, each a quad wound the same way: the
		// rasteriser's accumulation makes their overlap a clean union.
		t := fw * 0.15
		seg := func(ax, ay, bx, by float32) {
			dx, dy := bx-ax, by-ay
			l := float32(math.Hypot(float64(dx), float64(dy)))
			ux, uy := dx/l*t/2, dy/l*t/2 // along, half width
			nx, ny := -uy, ux            // across, half width
			ax, ay, bx, by = ax-ux, ay-uy, bx+ux, by+uy
			z.MoveTo(ax+nx, ay+ny)
			z.LineTo(bx+nx, by+ny)
			z.LineTo(bx-nx, by-ny)
			z.LineTo(ax-nx, ay-ny)
			z.ClosePath()
		}
		seg(0.14*fw, 0.54*fh, 0.40*fw, 0.78*fh)
		seg(0.40*fw, 0.78*fh, 0.86*fw, 0.24*fh)
	case shapeTriangle:
		z.MoveTo(fw/2, 0)
		z.LineTo(fw, fh)
		z.LineTo(0, fh)
		z.ClosePath()
	case shapePerson:
		circle(z, fw/2, fh*0.36, fw*0.20)
		// Shoulders: the top half of an ellipse, cut by the bottom edge.
		cx, cy, rx, ry := fw/2, fh*1.02, fw*0.40, fh*0.40
		for i := 0; i <= 32; i++ {
			a := math.Pi + float64(i)*math.Pi/32
			x := cx + rx*float32(math.Cos(a))
			y := cy + ry*float32(math.Sin(a))
			if i == 0 {
				z.MoveTo(x, y)
			} else {
				z.LineTo(x, y)
			}
		}
		z.ClosePath()
	case shapeCorner:
		m := quarterCircle(w)
		r.shapes[k] = m
		return m
	}
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	z.Draw(a, a.Rect, image.Opaque, image.Point{})
	m := &alphaMask{w: w, h: h, pix: a.Pix}
	r.shapes[k] = m
	return m
}

// circle adds a closed polygon of 48 sides approximating a circle.
func circle(z *vector.Rasterizer, cx, cy, rad float32) {
	for i := 0; i <= 48; i++ {
		a := float64(i) * 2 * math.Pi / 48
		x := cx + rad*float32(math.Cos(a))
		y := cy + rad*float32(math.Sin(a))
		if i == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()
}
