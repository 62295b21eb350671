package fb

import (
	"fmt"
	"image"
)

// Bitfield is where one colour sits in a pixel: Length bits from bit
// Offset up (the kernel's struct fb_bitfield, msb_right not supported).
type Bitfield struct {
	Offset, Length uint32
}

// Geometry is what the driver needs of the kernel's fb_var_screeninfo and
// fb_fix_screeninfo.
type Geometry struct {
	XRes, YRes               int // visible resolution, pixels
	XResVirtual, YResVirtual int // virtual resolution; 0 means the visible one
	XOffset, YOffset         int // visible window in the virtual screen
	BitsPerPixel             int // 16 or 32
	LineLength               int // bytes per line, padding included; 0 means unpadded
	Red, Green, Blue, Transp Bitfield
}

// RGB565 returns the geometry of an unpadded w×h RGB565 framebuffer.
func RGB565(w, h int) Geometry {
	return Geometry{XRes: w, YRes: h, BitsPerPixel: 16,
		Red: Bitfield{11, 5}, Green: Bitfield{5, 6}, Blue: Bitfield{0, 5}}
}

// XRGB8888 returns the geometry of an unpadded w×h XRGB8888 framebuffer
// (bytes B, G, R, X in memory).
func XRGB8888(w, h int) Geometry {
	return Geometry{XRes: w, YRes: h, BitsPerPixel: 32,
		Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}}
}

// normalized fills the zero defaults and checks that the driver can use g.
func (g Geometry) normalized() (Geometry, error) {
	if g.XResVirtual == 0 {
		g.XResVirtual = g.XRes
	}
	if g.YResVirtual == 0 {
		g.YResVirtual = g.YRes
	}
	if g.BitsPerPixel != 16 && g.BitsPerPixel != 32 {
		return g, fmt.Errorf("%w: %d bits per pixel (want 16 or 32)", ErrGeometry, g.BitsPerPixel)
	}
	bpp := g.BitsPerPixel / 8
	if g.LineLength == 0 {
		g.LineLength = g.XResVirtual * bpp
	}
	switch {
	case g.XRes <= 0 || g.YRes <= 0:
		return g, fmt.Errorf("%w: resolution %d×%d", ErrGeometry, g.XRes, g.YRes)
	case g.XOffset < 0 || g.YOffset < 0 ||
		g.XOffset+g.XRes > g.XResVirtual || g.YOffset+g.YRes > g.YResVirtual:
		return g, fmt.Errorf("%w: visible %d×%d at (%d,%d) outside virtual %d×%d",
			ErrGeometry, g.XRes, g.YRes, g.XOffset, g.YOffset, g.XResVirtual, g.YResVirtual)
	case g.LineLength < g.XResVirtual*bpp:
		return g, fmt.Errorf("%w: line length %d < %d pixels × %d bytes",
			ErrGeometry, g.LineLength, g.XResVirtual, bpp)
	}
	for _, f := range []struct {
		name string
		b    Bitfield
	}{{"red", g.Red}, {"green", g.Green}, {"blue", g.Blue}, {"transp", g.Transp}} {
		if f.name != "transp" && f.b.Length == 0 {
			return g, fmt.Errorf("%w: %s bitfield is empty", ErrGeometry, f.name)
		}
		if f.b.Length > 8 || f.b.Offset+f.b.Length > uint32(g.BitsPerPixel) {
			return g, fmt.Errorf("%w: %s bitfield {offset %d, length %d} in %d-bit pixels",
				ErrGeometry, f.name, f.b.Offset, f.b.Length, g.BitsPerPixel)
		}
	}
	return g, nil
}

// size is the number of bytes the mapping must hold.
func (g Geometry) size() int { return g.LineLength * g.YResVirtual }

// frameSize is the size of the frames Show takes at rotation rotate.
func (g Geometry) frameSize(rotate int) image.Point {
	if rotate == 90 || rotate == 270 {
		return image.Pt(g.YRes, g.XRes)
	}
	return image.Pt(g.XRes, g.YRes)
}

// String describes the geometry the way a technician reads it.
func (g Geometry) String() string {
	return fmt.Sprintf("%d×%d %dbpp line %d R{%d,%d} G{%d,%d} B{%d,%d}",
		g.XRes, g.YRes, g.BitsPerPixel, g.LineLength,
		g.Red.Offset, g.Red.Length, g.Green.Offset, g.Green.Length, g.Blue.Offset, g.Blue.Length)
}
