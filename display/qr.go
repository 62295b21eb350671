package display

import (
	"image"

	qrcode "github.com/skip2/go-qrcode"
)

// qrCache holds the modules of the last URL encoded: the idle screen's QR
// code is the window's static one, encoded once.
type qrCache struct {
	url  string
	bits [][]bool // nil: url could not be encoded
	done bool
}

// get returns the modules of url (no quiet zone), nil if it cannot be
// encoded (longer than a QR code holds).
func (c *qrCache) get(url string) [][]bool {
	if c.done && c.url == url {
		return c.bits
	}
	c.url, c.bits, c.done = url, nil, true
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil
	}
	q.DisableBorder = true
	c.bits = q.Bitmap()
	return c.bits
}

// drawQR paints the code of url into rc: white, with the modules as whole
// pixels (a scanner wants sharp squares) centred, keeping a quiet zone of
// at least two modules.
func (p *painter) drawQR(rc image.Rectangle, url string) {
	bits := p.r.qr.get(url)
	fillRect(p.dst, rc, cWhite)
	n := len(bits)
	if n == 0 {
		return
	}
	mod := min(rc.Dx(), rc.Dy()) / (n + 4)
	if mod < 1 {
		mod = 1
	}
	size := n * mod
	x0 := rc.Min.X + (rc.Dx()-size)/2
	y0 := rc.Min.Y + (rc.Dy()-size)/2
	for y, row := range bits {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			run := x
			for run < n && row[run] {
				run++
			}
			fillRect(p.dst, image.Rect(x0+x*mod, y0+y*mod, x0+run*mod, y0+(y+1)*mod), cText)
			x = run
		}
	}
}
