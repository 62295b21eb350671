package receipt

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Receipt is the case receipt (办件回执) of one case handled at a window.
// It carries no applicant data: only what identifies the case and the
// window, and the URL to rate the service.
type Receipt struct {
	Hall      string    // 泰安市政务服务中心
	Window    string    // 12
	StaffID   string    // 工号 TA0123
	ProjectNo string    // 办件编号, required
	TaskName  string    // 事项, wrapped to the paper
	At        time.Time // printed in its own Location as 2026-11-25 10:03; required
	URL       string    // the 扫码评价 URL (see ScanURL); printable ASCII, required
}

// QR modes of a Profile.
const (
	QRNative = "native" // the printer draws the code: GS ( k (model 2, level M)
	QRRaster = "raster" // the pad draws the code and sends it as GS v 0
)

// Profile is what the pad knows about its printer model (config).
type Profile struct {
	Paper int    // paper width in mm: 58 or 80
	QR    string // QRNative or QRRaster
	// Dots is the printable width in dots at 8 dots/mm; 0 means the usual
	// 384 for 58 mm paper and 576 for 80 mm.
	Dots int
	// Columns is the characters per line of the standard 12×24 font, a
	// Chinese character taking two; 0 means Dots/12 (32 and 48).
	Columns int
	// Module is the QR module size in dots (1..16); 0 means 6 on 58 mm
	// paper and 8 on 80 mm. Encode shrinks it, down to MinModule, until
	// the code with its quiet zone fits Dots.
	Module int
	// Charset is what the printer prints as text: CharsetGB18030 (also
	// "") or CharsetGB2312. A line holding a character outside it is sent
	// as an image that Lines draws, so a rare character in a hall or task
	// name prints right instead of as garbage that shifts what follows.
	Charset string
	// Lines draws those lines (escpos.Renderer.LineRaster); required with
	// CharsetGB2312.
	Lines LineDrawer
}

// Charsets of a Profile (device/printer's profiles name the same).
const (
	CharsetGB18030 = "gb18030"
	CharsetGB2312  = "gb2312"
)

// LineDrawer draws one line of text the way the printer draws it at size
// 1×1 (12×24 dots for ASCII, 24×24 for any other character), as GS v 0
// data rows high, with the glyphs placed for justification align (0 left,
// 1 center, 2 right) in the whole bytes.
type LineDrawer interface {
	LineRaster(s string, rows, align int) (data []byte, xBytes int, err error)
}

// lineRows is the height of a line drawn as an image: the printer's
// default line spacing, so it takes the paper a text line takes.
const lineRows = 30

// MinModule is the smallest QR module Encode prints: 3 dots (0.375 mm)
// is about what phone cameras still read off thermal paper.
const MinModule = 3

// paperDots is the printable width of the paper widths the pad supports.
var paperDots = map[int]int{58: 384, 80: 576}

// resolve checks p and fills in its defaults.
func (p Profile) resolve() (Profile, error) {
	max, ok := paperDots[p.Paper]
	if !ok {
		return p, fmt.Errorf("%w: paper %d mm (supported: 58, 80)", ErrInvalid, p.Paper)
	}
	if p.QR != QRNative && p.QR != QRRaster {
		return p, fmt.Errorf("%w: QR mode %q (supported: %q, %q)", ErrInvalid, p.QR, QRNative, QRRaster)
	}
	if p.Dots == 0 {
		p.Dots = max
	}
	if p.Dots < 192 || p.Dots > max || p.Dots%8 != 0 {
		return p, fmt.Errorf("%w: %d dots on %d mm paper (want a multiple of 8, 192..%d)", ErrInvalid, p.Dots, p.Paper, max)
	}
	if p.Columns == 0 {
		p.Columns = p.Dots / 12
	}
	if p.Columns < 16 || p.Columns*12 > p.Dots {
		return p, fmt.Errorf("%w: %d columns on %d dots (want 16..%d)", ErrInvalid, p.Columns, p.Dots, p.Dots/12)
	}
	if p.Module == 0 {
		p.Module = 6
		if p.Paper == 80 {
			p.Module = 8
		}
	}
	if p.Module < MinModule || p.Module > 16 {
		return p, fmt.Errorf("%w: QR module %d dots (want %d..16)", ErrInvalid, p.Module, MinModule)
	}
	switch p.Charset {
	case "":
		p.Charset = CharsetGB18030
	case CharsetGB18030:
	case CharsetGB2312:
		if p.Lines == nil {
			return p, fmt.Errorf("%w: charset %s needs Profile.Lines to draw the other characters", ErrInvalid, p.Charset)
		}
	default:
		return p, fmt.Errorf("%w: charset %q (supported: %q, %q)", ErrInvalid, p.Charset, CharsetGB18030, CharsetGB2312)
	}
	return p, nil
}

// check validates the receipt's fields.
func (r Receipt) check() error {
	if r.ProjectNo == "" {
		return fmt.Errorf("%w: empty project_no", ErrInvalid)
	}
	if r.At.IsZero() {
		return fmt.Errorf("%w: no time", ErrInvalid)
	}
	if r.URL == "" {
		return fmt.Errorf("%w: no scan URL", ErrInvalid)
	}
	for _, f := range []struct{ name, v string }{
		{"hall", r.Hall}, {"window", r.Window}, {"staff_id", r.StaffID},
		{"project_no", r.ProjectNo}, {"task_name", r.TaskName},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, f.name)
		}
		for _, c := range f.v {
			// Control characters would reach the printer as commands.
			if c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				return fmt.Errorf("%w: %s %q contains control character %U", ErrInvalid, f.name, f.v, c)
			}
		}
	}
	for i := 0; i < len(r.URL); i++ {
		if c := r.URL[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: scan URL has byte %#02x at %d (want printable ASCII: escape it)", ErrInvalid, c, i)
		}
	}
	return nil
}

// ESC/POS bytes.
const (
	esc = 0x1b
	gs  = 0x1d
	fs  = 0x1c
	lf  = 0x0a
)

// Encode renders r as the ESC/POS job for a printer of profile p. The
// layout is drawn in the package doc. Text is GB18030; the QR code is sent
// as the printer's own QR command or as a raster image, per p.QR.
func Encode(r Receipt, p Profile) ([]byte, error) {
	p, err := p.resolve()
	if err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	qr, err := newQR(r.URL, p)
	if err != nil {
		return nil, err
	}
	e := &encoder{cols: p.Columns, p: p}
	e.cmd(esc, '@')      // initialize
	e.cmd(fs, '&')       // Chinese (GB18030) character mode
	e.justify(1)         // center
	e.cmd(esc, 'E', 1)   // bold
	e.cmd(gs, '!', 0x11) // double width and height
	e.line("办件回执")
	e.cmd(gs, '!', 0)
	e.cmd(esc, 'E', 0)
	if r.Hall != "" {
		for _, l := range wrap(r.Hall, p.Columns) {
			e.line(l)
		}
	}
	e.justify(0) // left
	e.rule()
	e.field("窗口：", r.Window)
	e.field("工号：", r.StaffID)
	e.field("办件编号：", r.ProjectNo)
	e.field("事项：", r.TaskName)
	e.field("时间：", r.At.Format("2006-01-02 15:04"))
	e.rule()
	e.justify(1)
	e.cmd(esc, 'E', 1)
	e.line("扫码评价")
	e.cmd(esc, 'E', 0)
	switch p.QR {
	case QRNative:
		qr.native(&e.b)
	case QRRaster:
		qr.raster(&e.b)
	}
	for _, l := range wrap("请扫码对本次服务进行评价", p.Columns) {
		e.line(l)
	}
	e.justify(0)
	e.cmd(esc, 'd', 4) // feed the printed part past the cutter
	e.cmd(gs, 'V', 1)  // partial cut
	if e.err != nil {
		return nil, e.err
	}
	return e.b.Bytes(), nil
}

// encoder accumulates a job; the first text encoding error sticks.
type encoder struct {
	b     bytes.Buffer
	cols  int
	p     Profile
	align int // the justification set: 0 left, 1 center
	err   error
}

func (e *encoder) cmd(b ...byte) { e.b.Write(b) }

// justify sets the justification (ESC a n).
func (e *encoder) justify(n int) {
	e.cmd(esc, 'a', byte(n))
	e.align = n
}

// line prints s (which fits a line) and a line feed: as text, or, when the
// printer's charset lacks a character of s, as an image of the line.
func (e *encoder) line(s string) {
	if e.err != nil {
		return
	}
	if e.p.Charset == CharsetGB2312 && !inGB2312(s) {
		data, xb, err := e.p.Lines.LineRaster(s, lineRows, e.align)
		if err != nil {
			e.err = fmt.Errorf("%w: drawing %q: %v", ErrInvalid, s, err)
			return
		}
		// GS v 0, normal size: x = xb bytes, y = lineRows rows. The image
		// ends the line itself; no LF.
		e.cmd(gs, 'v', '0', 0, byte(xb), byte(xb>>8), lineRows, 0)
		e.b.Write(data)
		return
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		e.err = fmt.Errorf("%w: %q has no GB18030 encoding: %v", ErrInvalid, s, err)
		return
	}
	e.b.WriteString(gb)
	e.b.WriteByte(lf)
}

// field prints "label value", value wrapped under itself; an empty value
// prints nothing.
func (e *encoder) field(label, v string) {
	if v == "" {
		return
	}
	indent := width(label)
	for i, l := range wrap(v, e.cols-indent) {
		if i == 0 {
			e.line(label + l)
		} else {
			e.line(strings.Repeat(" ", indent) + l)
		}
	}
}

// inGB2312 says whether a GB2312-only printer prints every character of s
// as text: ASCII, or a GBK code whose two bytes are both in A1–FE (the
// GB2312 area; GBK's other codes lead with 81–A0, which such printers take
// as single bytes).
func inGB2312(s string) bool {
	enc := simplifiedchinese.GBK.NewEncoder()
	for _, c := range s {
		if c < 0x80 {
			continue
		}
		b, err := enc.Bytes([]byte(string(c)))
		if err != nil || len(b) != 2 || b[0] < 0xA1 || b[0] > 0xFE || b[1] < 0xA1 || b[1] > 0xFE {
			return false
		}
	}
	return true
}

// rule prints a dashed line across the paper.
func (e *encoder) rule() { e.line(strings.Repeat("-", e.cols)) }
