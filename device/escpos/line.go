package escpos

import (
	"fmt"
	"unicode/utf8"
)

// LineRaster draws s as the printer draws one line of text at size 1×1,
// not bold — 12×24 dots for an ASCII character, 24×24 for any other, from
// Font, the same dots Render draws for s sent as text — as GS v 0 data:
// rows rows of xBytes bytes, MSB the leftmost dot, the glyphs in the top
// 24 rows. The image is whole bytes wide; the few dots over the line's
// width go on the right for align 0 (left), split for 1 (center), on the
// left for 2 (right), so that the glyphs land where the printer would put
// the text at that justification. It is how a receipt prints a character
// the printer's character set lacks: the line goes as an image.
func (r *Renderer) LineRaster(s string, rows, align int) (data []byte, xBytes int, err error) {
	if !utf8.ValidString(s) {
		return nil, 0, fmt.Errorf("escpos: line %q is not UTF-8", s)
	}
	if rows < cellH || rows > 255 {
		return nil, 0, fmt.Errorf("escpos: line raster of %d rows (want %d..255)", rows, cellH)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.loadFont(); err != nil {
		return nil, 0, err
	}
	w := 0
	for _, c := range s {
		w += r.glyph(c).w
	}
	xBytes = (w + 7) / 8
	if xBytes == 0 {
		return nil, 0, fmt.Errorf("escpos: empty line")
	}
	x := 0
	switch align {
	case 1:
		x = (xBytes*8 - w) / 2
	case 2:
		x = xBytes*8 - w
	}
	data = make([]byte, xBytes*rows)
	for _, c := range s {
		g := r.glyph(c)
		for gy := range cellH {
			for gx := range g.w {
				if g.px[gy*g.w+gx] {
					px := x + gx
					data[gy*xBytes+px/8] |= 0x80 >> (px % 8)
				}
			}
		}
		x += g.w
	}
	return data, xBytes, nil
}
