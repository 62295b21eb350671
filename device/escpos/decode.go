package escpos

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Decode splits a job into ops. Every byte of the job belongs to exactly
// one op, and Append(nil, ops...) gives the job back. Commands the
// simulator does not draw but whose length is known become Skip ops; a
// command of unknown length, a parameter out of range, a truncated
// command or invalid GB18030 text is an *Error wrapping ErrUnknown,
// ErrParam, ErrTruncated or ErrText. Decode never panics.
func Decode(job []byte) ([]Op, error) {
	d := decoder{job: job, chinese: true, gb: simplifiedchinese.GB18030.NewDecoder()}
	for d.i < len(job) {
		if err := d.next(); err != nil {
			return nil, err
		}
	}
	return d.ops, nil
}

type decoder struct {
	job     []byte
	i       int // offset of the command being decoded
	ops     []Op
	chinese bool // FS & (the default of Chinese printers) or FS .
	gb      *encoding.Decoder
}

// fail makes the error of the command at d.i.
func (d *decoder) fail(sentinel error, format string, args ...any) error {
	return &Error{Off: d.i, Cmd: commandName(d.job[d.i:]), Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

// need checks that the command at d.i has n bytes.
func (d *decoder) need(n int) error {
	if have := len(d.job) - d.i; n < 0 || have < n {
		return d.fail(ErrTruncated, "needs %d bytes, the job has %d more", n, have)
	}
	return nil
}

// emit appends an op of size bytes at d.i and moves past it.
func (d *decoder) emit(o Op, size int) error {
	o.Off = d.i
	d.ops = append(d.ops, o)
	d.i += size
	return nil
}

// skip emits the size bytes at d.i as a Skip op, after checking they are there.
func (d *decoder) skip(size int) error {
	if err := d.need(size); err != nil {
		return err
	}
	return d.emit(Op{Code: Skip, Data: d.job[d.i : d.i+size]}, size)
}

// arg is the byte k bytes into the command at d.i (checked by need).
func (d *decoder) arg(k int) int { return int(d.job[d.i+k]) }

// oneOf checks a parameter against a list.
func (d *decoder) oneOf(v int, what string, ok ...int) error {
	for _, o := range ok {
		if v == o {
			return nil
		}
	}
	return d.fail(ErrParam, "%s %d (want one of %v)", what, v, ok)
}

func (d *decoder) next() error {
	switch c := d.job[d.i]; {
	case c == lf:
		return d.emit(Op{Code: LF}, 1)
	case c == cr:
		return d.emit(Op{Code: CR}, 1)
	case c == ht:
		return d.emit(Op{Code: HT}, 1)
	case c == nul || c == ff || c == can:
		return d.skip(1) // padding; page-mode print and cancel
	case c == esc:
		return d.esc()
	case c == gs:
		return d.gs()
	case c == fs:
		return d.fs()
	case c == dle:
		return d.dle()
	case c < 0x20 || c == 0x7f:
		return d.fail(ErrUnknown, "control byte %#02x", c)
	default:
		return d.text()
	}
}

// escArgs: ESC commands of fixed length the simulator does not draw, by
// their second byte, with their number of parameter bytes.
var escArgs = map[byte]int{
	' ': 1, '$': 2, '%': 1, '=': 1, '?': 1, 'G': 1, 'L': 0, 'M': 1, 'R': 1,
	'S': 0, 'T': 1, 'U': 1, 'V': 1, 'W': 8, '\\': 2, 'c': 2, 'e': 1, 'i': 0,
	'm': 0, 'p': 3, 'r': 1, 't': 1, '{': 1, '<': 0,
}

func (d *decoder) esc() error {
	if err := d.need(2); err != nil {
		return err
	}
	c := d.job[d.i+1]
	one := func(code Code, check func(n int) error) error {
		if err := d.need(3); err != nil {
			return err
		}
		n := d.arg(2)
		if check != nil {
			if err := check(n); err != nil {
				return err
			}
		}
		return d.emit(Op{Code: code, N: n}, 3)
	}
	switch c {
	case '@':
		return d.emit(Op{Code: Init}, 2)
	case '2':
		return d.emit(Op{Code: ResetLineSpacing}, 2)
	case 'a':
		return one(Align, func(n int) error { return d.oneOf(n, "justification", 0, 1, 2, 48, 49, 50) })
	case 'E':
		return one(Bold, nil)
	case '-':
		return one(Underline, func(n int) error { return d.oneOf(n, "underline", 0, 1, 2, 48, 49, 50) })
	case '!':
		return one(PrintMode, nil)
	case '3':
		return one(LineSpacing, nil)
	case 'd':
		return one(FeedLines, nil)
	case 'J':
		return one(FeedDots, nil)
	case '*': // ESC * m nL nH d…: bit image
		if err := d.need(5); err != nil {
			return err
		}
		n := d.arg(3) | d.arg(4)<<8
		switch m := d.arg(2); m {
		case 0, 1:
			return d.skip(5 + n)
		case 32, 33:
			return d.skip(5 + 3*n)
		default:
			return d.fail(ErrParam, "bit image mode %d (want 0, 1, 32, 33)", m)
		}
	case 'D': // ESC D n1 … nk NUL: tab positions, k ≤ 32
		for k := 2; k < 2+33; k++ {
			if d.i+k >= len(d.job) {
				return d.fail(ErrTruncated, "tab positions without the closing NUL")
			}
			if d.job[d.i+k] == nul {
				return d.skip(k + 1)
			}
		}
		return d.fail(ErrParam, "more than 32 tab positions")
	case '&': // ESC & y c1 c2 [x d1 … d(y·x)]…: user-defined characters
		if err := d.need(5); err != nil {
			return err
		}
		y, c1, c2 := d.arg(2), d.arg(3), d.arg(4)
		if y != 3 || c1 < 32 || c2 > 126 || c1 > c2 {
			return d.fail(ErrParam, "y=%d c1=%d c2=%d (want y 3, 32 ≤ c1 ≤ c2 ≤ 126)", y, c1, c2)
		}
		k := 5
		for range c2 - c1 + 1 {
			if err := d.need(k + 1); err != nil {
				return err
			}
			k += 1 + y*d.arg(k)
		}
		return d.skip(k)
	}
	if n, ok := escArgs[c]; ok {
		return d.skip(2 + n)
	}
	return d.fail(ErrUnknown, "")
}

// gsArgs: GS commands of fixed length the simulator does not draw.
var gsArgs = map[byte]int{
	'$': 2, '/': 1, ':': 0, 'B': 1, 'H': 1, 'I': 1, 'L': 2, 'P': 2, 'W': 2,
	'\\': 2, '^': 3, 'a': 1, 'b': 1, 'f': 1, 'h': 1, 'r': 1, 'w': 1, 'E': 1,
}

func (d *decoder) gs() error {
	if err := d.need(2); err != nil {
		return err
	}
	switch c := d.job[d.i+1]; c {
	case '!':
		if err := d.need(3); err != nil {
			return err
		}
		n := d.arg(2)
		if n&0x88 != 0 {
			return d.fail(ErrParam, "character size %#02x (width and height 1..8: bits 3 and 7 clear)", n)
		}
		return d.emit(Op{Code: CharSize, N: n}, 3)
	case 'V':
		if err := d.need(3); err != nil {
			return err
		}
		m := d.arg(2)
		if err := d.oneOf(m, "cut mode", 0, 1, 48, 49, 65, 66, 97, 98, 103, 104); err != nil {
			return err
		}
		if !cutHasFeed(m) {
			return d.emit(Op{Code: Cut, N: m}, 3)
		}
		if err := d.need(4); err != nil {
			return err
		}
		return d.emit(Op{Code: Cut, N: m, M: d.arg(3)}, 4)
	case 'v':
		return d.raster()
	case '(':
		return d.gsParen()
	case '8': // GS 8 L p1 p2 p3 p4 …: graphics with a 32-bit length
		if err := d.need(7); err != nil {
			return err
		}
		if l := d.job[d.i+2]; l != 'L' {
			return d.fail(ErrUnknown, "GS 8 %q", l)
		}
		// 32 bits do not fit an int on 32-bit ARM: bound it first.
		p := uint64(d.arg(3)) | uint64(d.arg(4))<<8 | uint64(d.arg(5))<<16 | uint64(d.arg(6))<<24
		if rest := uint64(len(d.job) - d.i - 7); p > rest {
			return d.fail(ErrTruncated, "needs %d bytes, the job has %d more", 7+p, rest+7)
		}
		return d.skip(7 + int(p))
	case '*': // GS * x y d…: downloaded bit image, x·y·8 bytes
		if err := d.need(4); err != nil {
			return err
		}
		return d.skip(4 + d.arg(2)*d.arg(3)*8)
	case 'k': // GS k m …: bar code
		if err := d.need(3); err != nil {
			return err
		}
		switch m := d.arg(2); {
		case m <= 6: // data up to NUL
			for k := 3; d.i+k < len(d.job); k++ {
				if d.job[d.i+k] == nul {
					return d.skip(k + 1)
				}
			}
			return d.fail(ErrTruncated, "bar code data without the closing NUL")
		case m >= 65 && m <= 79: // n then n bytes
			if err := d.need(4); err != nil {
				return err
			}
			return d.skip(4 + d.arg(3))
		default:
			return d.fail(ErrParam, "bar code system %d", m)
		}
	}
	if n, ok := gsArgs[d.job[d.i+1]]; ok {
		return d.skip(2 + n)
	}
	return d.fail(ErrUnknown, "")
}

// raster decodes GS v 0 m xL xH yL yH d1 … dk, k = x·y.
func (d *decoder) raster() error {
	if err := d.need(8); err != nil {
		return err
	}
	if c := d.job[d.i+2]; c != '0' {
		return d.fail(ErrUnknown, "GS v %q", c)
	}
	m := d.arg(3)
	if err := d.oneOf(m, "raster mode", 0, 1, 2, 3, 48, 49, 50, 51); err != nil {
		return err
	}
	x, y := d.arg(4)|d.arg(5)<<8, d.arg(6)|d.arg(7)<<8
	if x == 0 || y == 0 {
		return d.fail(ErrParam, "raster image of %d bytes × %d rows", x, y)
	}
	k := x * y
	if err := d.need(8 + k); err != nil {
		return err
	}
	return d.emit(Op{Code: Raster, N: m, W: x, H: y, Data: d.job[d.i+8 : d.i+8+k]}, 8+k)
}

// gsParen decodes GS ( X pL pH p1 … pp: QR code functions (GS ( k with
// cn = 49) become ops; every other function of the family is skipped.
func (d *decoder) gsParen() error {
	if err := d.need(5); err != nil {
		return err
	}
	p := d.arg(3) | d.arg(4)<<8
	size := 5 + p
	if err := d.need(size); err != nil {
		return err
	}
	if d.job[d.i+2] != 'k' || p < 2 || d.arg(5) != 49 {
		return d.skip(size)
	}
	fn := d.arg(6)
	want := func(pp int) error {
		if p != pp {
			return d.fail(ErrParam, "QR function %d takes %d parameter bytes, got %d", 100+fn, pp, p)
		}
		return nil
	}
	switch fn {
	case 65:
		if err := want(4); err != nil {
			return err
		}
		if err := d.oneOf(d.arg(7), "QR model", 49, 50, 51); err != nil {
			return err
		}
		if err := d.oneOf(d.arg(8), "QR model n2", 0); err != nil {
			return err
		}
		return d.emit(Op{Code: QRModel, N: d.arg(7), M: d.arg(8)}, size)
	case 67:
		if err := want(3); err != nil {
			return err
		}
		if n := d.arg(7); n < 1 || n > 16 {
			return d.fail(ErrParam, "QR module size %d (want 1..16)", n)
		}
		return d.emit(Op{Code: QRModule, N: d.arg(7)}, size)
	case 69:
		if err := want(3); err != nil {
			return err
		}
		if err := d.oneOf(d.arg(7), "QR error correction", 48, 49, 50, 51); err != nil {
			return err
		}
		return d.emit(Op{Code: QRLevel, N: d.arg(7)}, size)
	case 80:
		if p < 4 {
			return d.fail(ErrParam, "QR store with no data")
		}
		if err := d.oneOf(d.arg(7), "QR store m", 48); err != nil {
			return err
		}
		return d.emit(Op{Code: QRStore, Data: d.job[d.i+8 : d.i+size]}, size)
	case 81:
		if err := want(3); err != nil {
			return err
		}
		if err := d.oneOf(d.arg(7), "QR print m", 48); err != nil {
			return err
		}
		return d.emit(Op{Code: QRPrint}, size)
	}
	return d.skip(size) // fn 182: transmit size information, and others
}

func (d *decoder) fs() error {
	if err := d.need(2); err != nil {
		return err
	}
	switch d.job[d.i+1] {
	case '&':
		d.chinese = true
		return d.emit(Op{Code: ChineseOn}, 2)
	case '.':
		d.chinese = false
		return d.emit(Op{Code: ChineseOff}, 2)
	case '!', '-', 'W', 'C': // Chinese print mode, underline, quadruple size, code system
		return d.skip(3)
	case 'S', 'p': // Chinese character spacing; NV bit image print
		return d.skip(4)
	case '2': // FS 2 c1 c2 d1 … d72: define a user Chinese character
		return d.skip(76)
	}
	return d.fail(ErrUnknown, "")
}

func (d *decoder) dle() error {
	if err := d.need(2); err != nil {
		return err
	}
	switch d.job[d.i+1] {
	case 0x04, 0x05: // DLE EOT n, DLE ENQ n: real-time status and request
		return d.skip(3)
	case 0x14: // DLE DC4 fn …: real-time pulse, power off, buffer clear
		if err := d.need(3); err != nil {
			return err
		}
		switch fn := d.arg(2); fn {
		case 1, 2: // fn m t
			return d.skip(5)
		case 7: // fn m
			return d.skip(4)
		case 8: // fn d1 … d7
			return d.skip(10)
		default:
			return d.fail(ErrParam, "DLE DC4 function %d", fn)
		}
	}
	return d.fail(ErrUnknown, "")
}

// text decodes a run of printable bytes, up to the next control byte.
func (d *decoder) text() error {
	end := d.i
	for end < len(d.job) && d.job[end] >= 0x20 && d.job[end] != 0x7f {
		end++
	}
	run := d.job[d.i:end]
	s := make([]rune, 0, len(run))
	for k := 0; k < len(run); {
		c := run[k]
		if c < 0x80 {
			s = append(s, rune(c))
			k++
			continue
		}
		if !d.chinese {
			s = append(s, '?') // a code page character the simulator does not draw
			k++
			continue
		}
		n, err := gbLen(run[k:])
		if err != nil {
			sentinel := ErrText
			if end == len(d.job) && k+n > len(run) {
				sentinel = ErrTruncated // the job ends inside the character
			}
			return &Error{Off: d.i + k, Cmd: "text", Err: sentinel, Detail: fmt.Sprintf("%v: % x", err, run[k:min(k+4, len(run))])}
		}
		seq := run[k : k+n]
		dec, _ := d.gb.Bytes(seq)
		r, _ := utf8.DecodeRune(dec)
		if r == utf8.RuneError && string(seq) != "\x84\x31\xa4\x37" { // GB18030 for U+FFFD itself
			return &Error{Off: d.i + k, Cmd: "text", Err: ErrText, Detail: fmt.Sprintf("% x maps to no character", seq)}
		}
		s = append(s, r)
		k += n
	}
	return d.emit(Op{Code: Text, Data: run, Text: string(s)}, len(run))
}

// gbLen is the length of the GB18030 multi-byte character at the start of
// b (b[0] ≥ 0x80): 2 for lead 0x81–0xFE and trail 0x40–0x7E or 0x80–0xFE,
// 4 for 0x81–0xFE 0x30–0x39 0x81–0xFE 0x30–0x39. When b is too short for
// the character its first bytes start, n is the length it needs.
func gbLen(b []byte) (n int, err error) {
	if b[0] == 0x80 || b[0] == 0xff {
		return 1, fmt.Errorf("byte %#02x cannot start a character", b[0])
	}
	if len(b) < 2 {
		return 2, fmt.Errorf("character cut short")
	}
	switch c1 := b[1]; {
	case c1 >= 0x40 && c1 <= 0x7e || c1 >= 0x80 && c1 <= 0xfe:
		return 2, nil
	case c1 >= 0x30 && c1 <= 0x39:
		if len(b) < 4 {
			return 4, fmt.Errorf("four-byte character cut short")
		}
		if b[2] < 0x81 || b[2] > 0xfe || b[3] < 0x30 || b[3] > 0x39 {
			return 4, fmt.Errorf("bad four-byte character")
		}
		return 4, nil
	}
	return 2, fmt.Errorf("bad second byte")
}

// commandName is the mnemonic of the command at the start of b.
func commandName(b []byte) string {
	if len(b) == 0 {
		return "end"
	}
	ch := func(k int) string {
		if k >= len(b) {
			return "…"
		}
		if c := b[k]; c > ' ' && c < 0x7f {
			return string(rune(c))
		}
		return fmt.Sprintf("%#02x", b[k])
	}
	switch b[0] {
	case esc:
		return "ESC " + ch(1)
	case fs:
		return "FS " + ch(1)
	case gs:
		switch {
		case len(b) > 1 && (b[1] == '(' || b[1] == '8' || b[1] == 'v'):
			return "GS " + ch(1) + " " + ch(2)
		}
		return "GS " + ch(1)
	case dle:
		return "DLE " + ch(1)
	case nul:
		return "NUL"
	case ff:
		return "FF"
	case can:
		return "CAN"
	}
	if b[0] < 0x20 || b[0] == 0x7f {
		return fmt.Sprintf("%#02x", b[0])
	}
	return "text"
}
