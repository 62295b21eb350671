package escpos

import (
	"fmt"
	"image"
	"image/color"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"evalpad/display"
)

// Paper geometry at 8 dots/mm (203 dpi), the resolution of the pad's printers.
const (
	// DefaultMaxHeight bounds the paper of one job: 32768 dots, 4 m.
	DefaultMaxHeight = 1 << 15
	// DefaultLineSpacing is the line spacing after ESC @ and ESC 2.
	DefaultLineSpacing = 30
	// TopMargin is the blank paper drawn above the first line and after
	// each cut: the stretch between the cutter and the print head.
	TopMargin = 24
	cellH     = 24 // height of a character cell (Font A 12×24, Chinese 24×24)
	halfW     = 12 // width of an ASCII character cell
	fullW     = 24 // width of a Chinese character cell
	tabW      = 8 * halfW
)

// DotsFor is the printable width in dots of paper paperMM wide: 384 for
// 58 mm, 576 for 80 mm.
func DotsFor(paperMM int) (int, error) {
	switch paperMM {
	case 58:
		return 384, nil
	case 80:
		return 576, nil
	}
	return 0, fmt.Errorf("escpos: paper %d mm (supported: 58, 80)", paperMM)
}

// Colors of the rendered paper: Render's images use this palette.
var (
	PaperColor = color.Gray{Y: 0xff}
	InkColor   = color.Gray{Y: 0x00}
	CutColor   = color.Gray{Y: 0xa0}
	palette    = color.Palette{PaperColor, InkColor, CutColor}
)

const (
	white uint8 = iota // palette indices
	black
	cutMark
)

// Renderer draws decoded ops as the paper a thermal printer would print.
// Text is drawn from Font in fixed cells like the printer's own fonts:
// 12×24 dots for an ASCII character, 24×24 for any other, scaled by the
// character size; bold is drawn twice one dot apart. Raster images are
// copied dot for dot; native QR codes are drawn with go-qrcode from the
// stored data at the stored module size, with their 4-module quiet zone.
//
// Render is safe for concurrent use; calls are serialized, since font
// faces are not. The Renderer draws with Font's faces under its own lock,
// so Font must not be drawn with elsewhere at the same time: give each
// Renderer a Font of its own (nil loads one from display.DefaultFontPaths).
type Renderer struct {
	Dots      int           // printable width; 0 means 384 (58 mm)
	Font      *display.Font // nil: loaded on first use
	MaxHeight int           // 0 means DefaultMaxHeight

	mu       sync.Mutex
	glyphs   map[rune]*glyph
	baseline int
}

// glyph is a character's dots at size 1×1: w×cellH, row-major.
type glyph struct {
	w  int
	px []bool
}

// Render draws ops on paper Dots wide, as long as they need. Each cut
// leaves a dashed line across the paper, and the paper ends at the last
// cut when nothing follows it.
func (r *Renderer) Render(ops []Op) (*image.Paletted, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.loadFont(); err != nil {
		return nil, err
	}
	dots := r.Dots
	if dots == 0 {
		dots = 384
	}
	if dots < fullW*8 || dots > 4096 {
		return nil, fmt.Errorf("escpos: paper of %d dots (want %d..4096)", dots, fullW*8)
	}
	maxH := r.MaxHeight
	if maxH <= 0 {
		maxH = DefaultMaxHeight
	}
	p := &printer{r: r, sheet: sheet{dots: dots, max: maxH, y: TopMargin}}
	p.reset()
	for _, o := range ops {
		if err := p.do(o); err != nil {
			return nil, err
		}
	}
	if len(p.line) > 0 {
		// A real printer keeps an unterminated line in its buffer; the
		// simulator shows it rather than hide the missing LF.
		if err := p.lf(); err != nil {
			return nil, err
		}
	}
	return p.image(), nil
}

// printer is the state of one Render.
type printer struct {
	r *Renderer
	sheet

	align, lineAlign int // 0 left, 1 center, 2 right
	bold             bool
	underline        int // dots
	wm, hm           int // character size multipliers
	spacing          int
	line             []cell
	lineW            int

	qrModel, qrModule, qrLevel int
	qrData                     []byte
	op                         Op // the op being drawn, for errors
}

// cell is one character (or a blank) on the line being built.
type cell struct {
	g                *glyph // nil: blank
	w, h, wm, hm, ul int
	bold             bool
}

func (p *printer) reset() {
	p.align, p.bold, p.underline, p.wm, p.hm = 0, false, 0, 1, 1
	p.spacing = DefaultLineSpacing
	p.line, p.lineW = p.line[:0], 0
	p.qrModel, p.qrModule, p.qrLevel, p.qrData = 50, 3, 48, nil
}

func (p *printer) fail(sentinel error, format string, args ...any) error {
	return &Error{Off: p.op.Off, Cmd: p.op.Code.String(), Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

func (p *printer) do(o Op) error {
	p.op = o
	switch o.Code {
	case Text:
		for _, c := range o.Text {
			if err := p.char(c); err != nil {
				return err
			}
		}
	case LF:
		return p.lf()
	case HT:
		next := (p.lineW/tabW + 1) * tabW
		if next > p.dots {
			return p.lf()
		}
		p.add(cell{w: next - p.lineW, h: cellH * p.hm})
	case Init:
		p.reset()
	case Align:
		p.align = o.N % 48
		if p.align > 2 {
			p.align = 0
		}
		if len(p.line) == 0 {
			p.lineAlign = p.align
		}
	case Bold:
		p.bold = o.N&1 != 0
	case Underline:
		p.underline = o.N % 48
		if p.underline > 2 {
			p.underline = 0
		}
	case PrintMode:
		p.bold = o.N&0x08 != 0
		p.hm, p.wm = 1+(o.N>>4)&1, 1+(o.N>>5)&1
		p.underline = 0
		if o.N&0x80 != 0 {
			p.underline = 1
		}
	case CharSize:
		p.wm, p.hm = 1+(o.N>>4)&7, 1+o.N&7
	case LineSpacing:
		p.spacing = max(0, min(o.N, 255))
	case ResetLineSpacing:
		p.spacing = DefaultLineSpacing
	case FeedLines:
		return p.feed(max(0, min(o.N, 255)) * p.spacing)
	case FeedDots:
		return p.feed(max(0, min(o.N, 255)))
	case QRModel:
		p.qrModel = o.N
	case QRModule:
		if o.N < 1 || o.N > 16 {
			return p.fail(ErrParam, "QR module size %d", o.N)
		}
		p.qrModule = o.N
	case QRLevel:
		p.qrLevel = o.N
	case QRStore:
		p.qrData = o.Data
	case QRPrint:
		return p.qr()
	case Raster:
		return p.raster(o)
	case Cut:
		return p.cut(o)
	}
	return nil // CR, ChineseOn, ChineseOff, Skip
}

// char adds a character to the line, printing the line first when the
// character does not fit (the printer wraps by itself).
func (p *printer) char(c rune) error {
	g := p.r.glyph(c)
	cl := cell{g: g, w: g.w * p.wm, h: cellH * p.hm, wm: p.wm, hm: p.hm, ul: p.underline, bold: p.bold}
	if p.lineW+cl.w > p.dots {
		if err := p.lf(); err != nil {
			return err
		}
	}
	p.add(cl)
	return nil
}

func (p *printer) add(c cell) {
	if len(p.line) == 0 {
		p.lineAlign = p.align
	}
	p.line = append(p.line, c)
	p.lineW += c.w
}

// lf prints the line and feeds a line: the line spacing, or the height of
// the tallest character if that is more.
func (p *printer) lf() error {
	h, err := p.printLine()
	if err != nil {
		return err
	}
	return p.advance(max(p.spacing, h))
}

// feed prints the line, then feeds n dots.
func (p *printer) feed(n int) error {
	h, err := p.printLine()
	if err != nil {
		return err
	}
	return p.advance(h + n)
}

// flush prints a pending line (as LF does) before an image or a cut.
func (p *printer) flush() error {
	if len(p.line) == 0 {
		return nil
	}
	return p.lf()
}

// printLine draws the line at y, characters bottom-aligned, and returns
// its height without moving y.
func (p *printer) printLine() (int, error) {
	if len(p.line) == 0 {
		return 0, nil
	}
	h := 0
	for _, c := range p.line {
		h = max(h, c.h)
	}
	if err := p.ensure(p.y + h); err != nil {
		return 0, p.fail(ErrPaper, "%v", err)
	}
	x := p.alignX(p.lineW, p.lineAlign)
	for _, c := range p.line {
		top := p.y + h - c.h
		if c.g != nil {
			for gy := range cellH {
				for gx := range c.g.w {
					on := c.g.px[gy*c.g.w+gx] || c.bold && gx > 0 && c.g.px[gy*c.g.w+gx-1]
					if on {
						p.fill(x+gx*c.wm, top+gy*c.hm, c.wm, c.hm)
					}
				}
			}
		}
		if c.ul > 0 {
			p.fill(x, top+c.h-c.ul, c.w, c.ul)
		}
		x += c.w
	}
	p.line, p.lineW = p.line[:0], 0
	return h, nil
}

func (p *printer) alignX(w, align int) int {
	switch align {
	case 1:
		return (p.dots - w) / 2
	case 2:
		return p.dots - w
	}
	return 0
}

func (p *printer) advance(n int) error {
	p.y += n
	p.afterCut = false
	if p.y > p.max {
		return p.fail(ErrPaper, "the paper would be longer than %d dots", p.max)
	}
	return nil
}

// raster draws a GS v 0 image at the current justification.
func (p *printer) raster(o Op) error {
	if o.W <= 0 || o.H <= 0 || len(o.Data) < o.W*o.H {
		return p.fail(ErrParam, "raster %d bytes × %d rows with %d bytes of data", o.W, o.H, len(o.Data))
	}
	if err := p.flush(); err != nil {
		return err
	}
	sx, sy := 1, 1
	if o.N&1 != 0 {
		sx = 2
	}
	if o.N&2 != 0 {
		sy = 2
	}
	w, h := o.W*8*sx, o.H*sy
	if w > p.dots {
		return p.fail(ErrPaper, "raster image %d dots wide, the paper has %d", w, p.dots)
	}
	if err := p.ensure(p.y + h); err != nil {
		return p.fail(ErrPaper, "%v", err)
	}
	x0 := p.alignX(w, p.align)
	for row := range o.H {
		bits := o.Data[row*o.W : (row+1)*o.W]
		for x := range o.W * 8 {
			if bits[x/8]&(0x80>>(x%8)) != 0 {
				p.fill(x0+x*sx, p.y+row*sy, sx, sy)
			}
		}
	}
	return p.advance(h)
}

// qr draws the stored QR data as a model 2 symbol.
func (p *printer) qr() error {
	if p.qrData == nil {
		return p.fail(ErrNoQRData, "")
	}
	if p.qrModel != 50 {
		return p.fail(ErrUnsupported, "QR model %d (the simulator draws model 2, 50)", p.qrModel)
	}
	level := map[int]qrcode.RecoveryLevel{48: qrcode.Low, 49: qrcode.Medium, 50: qrcode.High, 51: qrcode.Highest}[p.qrLevel]
	q, err := qrcode.New(string(p.qrData), level)
	if err != nil {
		return p.fail(ErrUnsupported, "QR data of %d bytes: %v", len(p.qrData), err)
	}
	if err := p.flush(); err != nil {
		return err
	}
	bm := q.Bitmap() // with the quiet zone
	w := len(bm) * p.qrModule
	if w > p.dots {
		return p.fail(ErrPaper, "QR code of %d modules at %d dots is %d dots wide, the paper has %d", len(bm), p.qrModule, w, p.dots)
	}
	if err := p.ensure(p.y + w); err != nil {
		return p.fail(ErrPaper, "%v", err)
	}
	x0 := p.alignX(w, p.align)
	for my, row := range bm {
		for mx, on := range row {
			if on {
				p.fill(x0+mx*p.qrModule, p.y+my*p.qrModule, p.qrModule, p.qrModule)
			}
		}
	}
	return p.advance(w)
}

func (p *printer) cut(o Op) error {
	if err := p.flush(); err != nil {
		return err
	}
	if cutHasFeed(o.N) {
		if err := p.advance(max(0, min(o.M, 255))); err != nil {
			return err
		}
	}
	p.cuts = append(p.cuts, p.y)
	if err := p.advance(TopMargin); err != nil {
		return err
	}
	p.afterCut = true
	return nil
}

// loadFont loads the default font when the Renderer was given none.
func (r *Renderer) loadFont() error {
	if r.Font == nil {
		f, err := display.LoadFont(nil)
		if err != nil {
			return fmt.Errorf("escpos: %w", err)
		}
		r.Font = f
	}
	return nil
}

// glyph returns c's dots, drawing and caching them on first use.
func (r *Renderer) glyph(c rune) *glyph {
	if g, ok := r.glyphs[c]; ok {
		return g
	}
	if r.glyphs == nil {
		r.glyphs = map[rune]*glyph{}
	}
	face := r.Font.Face(cellH)
	if r.baseline == 0 {
		// Center a Chinese character's ink in the cell; every character
		// shares that baseline.
		b, _, ok := face.GlyphBounds('国')
		r.baseline = 20
		if ok {
			r.baseline = (cellH-(b.Max.Y-b.Min.Y).Round())/2 - b.Min.Y.Round()
		}
	}
	w := halfW
	if c >= 0x80 {
		w = fullW
	}
	g := &glyph{w: w, px: make([]bool, w*cellH)}
	r.glyphs[c] = g
	adv, ok := face.GlyphAdvance(c)
	if !ok || c == ' ' {
		return g
	}
	aw := max(1, adv.Ceil())
	scratch := image.NewAlpha(image.Rect(0, 0, aw, cellH))
	d := font.Drawer{Dst: scratch, Src: image.Opaque, Face: face, Dot: fixed.P(0, r.baseline)}
	d.DrawString(string(c))
	// Map the advance onto the cell: centered when narrower, squeezed
	// (keeping the darkest dot of each span) when wider.
	for gy := range cellH {
		for gx := range w {
			var a uint8
			if aw <= w {
				if sx := gx - (w-aw)/2; sx >= 0 && sx < aw {
					a = scratch.AlphaAt(sx, gy).A
				}
			} else {
				for sx := gx * aw / w; sx < max((gx+1)*aw/w, gx*aw/w+1); sx++ {
					a = max(a, scratch.AlphaAt(sx, gy).A)
				}
			}
			g.px[gy*w+gx] = a >= 0x70
		}
	}
	return g
}

// sheet is the paper being printed: one byte a dot, palette indices.
type sheet struct {
	dots, max int
	pix       []uint8
	y         int   // print position
	cuts      []int // rows of the cuts
	afterCut  bool  // nothing printed or fed since the last cut
}

// ensure makes the paper h rows long.
func (s *sheet) ensure(h int) error {
	if h > s.max {
		return fmt.Errorf("the paper would be longer than %d dots", s.max)
	}
	if need := h * s.dots; need > len(s.pix) {
		n := min(max(need, 2*len(s.pix)), s.max*s.dots)
		pix := make([]uint8, n)
		copy(pix, s.pix)
		s.pix = pix
	}
	return nil
}

// fill blackens a w×h block; the part off the paper is dropped.
func (s *sheet) fill(x, y, w, h int) {
	for yy := max(y, 0); yy < y+h && yy*s.dots < len(s.pix); yy++ {
		row := s.pix[yy*s.dots : (yy+1)*s.dots]
		for xx := max(x, 0); xx < x+w && xx < s.dots; xx++ {
			row[xx] = black
		}
	}
}

// image is the printed paper, cut marks drawn, ending at the last cut if
// nothing follows it.
func (s *sheet) image() *image.Paletted {
	h := s.y
	if s.afterCut && len(s.cuts) > 0 {
		h = s.cuts[len(s.cuts)-1]
	}
	h = max(h, 1)
	_ = s.ensure(h) // h ≤ y ≤ max: cannot fail
	img := &image.Paletted{Pix: s.pix[:h*s.dots], Stride: s.dots, Rect: image.Rect(0, 0, s.dots, h), Palette: palette}
	for _, y := range s.cuts {
		if y >= h {
			continue
		}
		for x := range s.dots {
			if x%12 < 6 {
				img.Pix[y*s.dots+x] = cutMark
			}
		}
	}
	return img
}
