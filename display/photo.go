package display

import (
	"image"
	"reflect"

	"golang.org/x/image/draw"
)

// photoCache holds the staff photo scaled and cropped to each box it is
// drawn in (the idle screen's, the rate screen's), made again only when
// the photo changes.
type photoCache struct {
	entries [3]photoEntry
	next    int
}

type photoEntry struct {
	src    image.Image
	scaled *image.RGBA
}

// maxPhotoSide bounds the part of a photo that is scaled.
const maxPhotoSide = 4096

// get returns src covering a box of size (centred, cropped to the box's
// aspect, scaled with Catmull-Rom).
func (c *photoCache) get(src image.Image, size image.Point) *image.RGBA {
	comparable := reflect.TypeOf(src).Comparable()
	if comparable {
		for _, e := range c.entries {
			if e.scaled != nil && e.src == src && e.scaled.Rect.Size() == size {
				return e.scaled
			}
		}
	}
	b := src.Bounds()
	if c := b.Min.Add(b.Size().Div(2)); b.Dx() > maxPhotoSide || b.Dy() > maxPhotoSide {
		// An unbounded image (image.Uniform) or an absurd one: its middle.
		h := image.Pt(maxPhotoSide/2, maxPhotoSide/2)
		b = b.Intersect(image.Rectangle{Min: c.Sub(h), Max: c.Add(h)})
	}
	// The largest part of src with the box's aspect, centred; a little
	// above centre vertically, where a portrait's face is.
	cw, ch := b.Dx(), b.Dx()*size.Y/max(size.X, 1)
	if ch > b.Dy() {
		cw, ch = b.Dy()*size.X/max(size.Y, 1), b.Dy()
	}
	x0 := b.Min.X + (b.Dx()-cw)/2
	y0 := b.Min.Y + (b.Dy()-ch)/3
	crop := image.Rect(x0, y0, x0+cw, y0+ch)
	dst := image.NewRGBA(image.Rectangle{Max: size})
	fillRect(dst, dst.Rect, cWhite) // under a photo with transparency
	draw.CatmullRom.Scale(dst, dst.Rect, src, crop, draw.Over, nil)
	if comparable {
		c.entries[c.next] = photoEntry{src, dst}
		c.next = (c.next + 1) % len(c.entries)
	}
	return dst
}

// drawPhoto paints the model's photo into rc, or a neutral placeholder (a
// grey head and shoulders) when there is none.
func (p *painter) drawPhoto(rc image.Rectangle, m *Model) {
	if m.Photo == nil || m.Photo.Bounds().Empty() {
		fillRect(p.dst, rc, rgb(0xDD, 0xE1, 0xE7))
		s := min(rc.Dx(), rc.Dy())
		at := image.Pt(rc.Min.X+(rc.Dx()-s)/2, rc.Max.Y-s)
		blendMask(p.dst, at, p.r.shape(shapePerson, s, s), rgb(0xA9, 0xB0, 0xBC), false, false)
		return
	}
	img := p.r.pho.get(m.Photo, rc.Size())
	r := rc.Intersect(p.dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		si := img.PixOffset(r.Min.X-rc.Min.X, y-rc.Min.Y)
		di := p.dst.PixOffset(r.Min.X, y)
		copy(p.dst.Pix[di:di+r.Dx()*4], img.Pix[si:si+r.Dx()*4])
	}
}
