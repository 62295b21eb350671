package receipt

import (
	"bytes"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// quietZone is the white border, in modules, around a QR code (ISO/IEC
// 18004 asks for 4).
const quietZone = 4

// qrCode is the scan URL's QR code laid out for one profile.
type qrCode struct {
	data   string
	module int      // dots per module
	bitmap [][]bool // modules, quiet zone included; true is black
	dots   int      // printable width of the paper
}

// newQR encodes url at error correction level M and picks the largest
// module size, at most p.Module, at which the code and its quiet zone fit
// the paper.
func newQR(url string, p Profile) (*qrCode, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("%w: scan URL (%d bytes) does not fit a QR code: %v", ErrInvalid, len(url), err)
	}
	bm := q.Bitmap() // includes the quiet zone
	n := len(bm)
	m := min(p.Module, p.Dots/n)
	if m < MinModule {
		return nil, fmt.Errorf("%w: scan URL (%d bytes) needs a QR code of %d modules: %d dots at the smallest module of %d dots, the paper has %d",
			ErrInvalid, len(url), n, n*MinModule, MinModule, p.Dots)
	}
	return &qrCode{data: url, module: m, bitmap: bm, dots: p.Dots}, nil
}

// native writes the printer's own QR commands (GS ( k, cn = 49):
// function 165 model 2, 167 module size, 169 error level M, 180 store the
// data, 181 print.
func (q *qrCode) native(b *bytes.Buffer) {
	b.Write([]byte{gs, '(', 'k', 4, 0, 49, 65, 50, 0})               // fn 165: model 2
	b.Write([]byte{gs, '(', 'k', 3, 0, 49, 67, byte(q.module)})      // fn 167: module size
	b.Write([]byte{gs, '(', 'k', 3, 0, 49, 69, 49})                  // fn 169: level M
	n := len(q.data) + 3                                             // cn fn m + data
	b.Write([]byte{gs, '(', 'k', byte(n), byte(n >> 8), 49, 80, 48}) // fn 180: store
	b.WriteString(q.data)
	b.Write([]byte{gs, '(', 'k', 3, 0, 49, 81, 48}) // fn 181: print
}

// raster writes the code as a GS v 0 raster image: module-sized squares,
// quiet zone included, rows MSB first, 1 = black. The image's width is a
// whole number of bytes; the code sits in the middle of it (the left
// padding is half the spare bits, rounded down), so that a centered image
// puts the code on the same dots as the printer's own centered QR code.
func (q *qrCode) raster(b *bytes.Buffer) {
	w := len(q.bitmap) * q.module // dots
	xb := (w + 7) / 8             // bytes per row
	pad := (xb*8 - w) / 2
	h := w
	b.Write([]byte{gs, 'v', '0', 0, byte(xb), byte(xb >> 8), byte(h), byte(h >> 8)})
	row := make([]byte, xb)
	for _, mods := range q.bitmap {
		clear(row)
		for x := range w {
			if mods[x/q.module] {
				d := pad + x
				row[d/8] |= 0x80 >> (d % 8)
			}
		}
		for range q.module {
			b.Write(row)
		}
	}
}
