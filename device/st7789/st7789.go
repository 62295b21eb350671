package st7789

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Sentinel errors of the package; test with errors.Is.
var (
	// ErrConfig: a Config the driver cannot use. Permanent.
	ErrConfig = errors.New("st7789: bad config")
	// ErrFrameSize: a frame whose size is not the panel's after rotation.
	ErrFrameSize = errors.New("st7789: frame size does not match the panel")
	// ErrClosed: Show after Close.
	ErrClosed = errors.New("st7789: closed")
)

// Commands of the ST7789 the driver sends.
const (
	cmdSWRESET = 0x01
	cmdSLPIN   = 0x10
	cmdSLPOUT  = 0x11
	cmdNORON   = 0x13
	cmdINVON   = 0x21
	cmdDISPOFF = 0x28
	cmdDISPON  = 0x29
	cmdCASET   = 0x2A
	cmdRASET   = 0x2B
	cmdRAMWR   = 0x2C
	cmdMADCTL  = 0x36
	cmdCOLMOD  = 0x3A

	madctlMY  = 0x80
	madctlMX  = 0x40
	madctlMV  = 0x20
	madctlBGR = 0x08

	colmodRGB565 = 0x55

	ramW, ramH = 240, 320 // the controller's frame memory

	defaultMaxTx = 4096
	defaultSpeed = 40 * physic.MegaHertz
)

// Config describes one panel module.
type Config struct {
	W, H     int  // visible pixels at rotation 0 (135×240, 170×320, 240×240, 240×320)
	X, Y     int  // where they start in the controller's 240×320 RAM at rotation 0
	Rotate   int  // 0, 90, 180 or 270; see the package doc
	NoInvert bool // leave out INVON (panels that show negative colours with it)
	BGR      bool // the panel's colour filter is BGR: set MADCTL bit 3

	Speed physic.Frequency // bus clock for NewSPI; 0 means 40 MHz
	Mode  spi.Mode         // SPI mode for NewSPI: Mode3 works with and without a CS line; Mode0 only with one

	// Sleep waits during reset and init; nil means time.Sleep. Tests pass
	// a recorder so they neither wait nor read the clock.
	Sleep func(time.Duration)
}

// Dev is an initialised ST7789 panel. Its methods are safe for concurrent
// use.
type Dev struct {
	c       spi.Conn
	dc, rst gpio.PinOut
	sleep   func(time.Duration)
	maxTx   int
	size    image.Point // frame size after rotation
	madctl  byte
	xoff    int
	yoff    int

	mu     sync.Mutex
	last   []uint16 // last frame sent, RGB565, row-major; nil: none or unknown
	next   []uint16
	buf    []byte
	closed bool
}

// NewSPI connects to the panel on port p (8-bit words at cfg.Speed, mode
// cfg.Mode) and initialises it as New does.
func NewSPI(p spi.Port, dc, rst gpio.PinOut, cfg Config) (*Dev, error) {
	speed := cfg.Speed
	if speed == 0 {
		speed = defaultSpeed
	}
	c, err := p.Connect(speed, cfg.Mode, 8)
	if err != nil {
		return nil, fmt.Errorf("st7789: connect %s: %w", p, err)
	}
	return New(c, dc, rst, cfg)
}

// New resets the panel through rst (nil: no reset line, software reset
// only), runs the init sequence over c with dc as the D/C line, and returns
// the panel, blank as far as the driver knows: the first Show sends a
// whole frame.
func New(c spi.Conn, dc, rst gpio.PinOut, cfg Config) (*Dev, error) {
	d, err := newDev(c, dc, rst, cfg)
	if err != nil {
		return nil, err
	}
	if err := d.init(cfg); err != nil {
		return nil, err
	}
	return d, nil
}

func newDev(c spi.Conn, dc, rst gpio.PinOut, cfg Config) (*Dev, error) {
	switch {
	case c == nil || dc == nil:
		return nil, fmt.Errorf("%w: need an SPI connection and a D/C pin", ErrConfig)
	case cfg.W <= 0 || cfg.H <= 0 || cfg.X < 0 || cfg.Y < 0 || cfg.X+cfg.W > ramW || cfg.Y+cfg.H > ramH:
		return nil, fmt.Errorf("%w: %d×%d at (%d,%d) does not fit the controller's %d×%d RAM",
			ErrConfig, cfg.W, cfg.H, cfg.X, cfg.Y, ramW, ramH)
	}
	d := &Dev{c: c, dc: dc, rst: rst, sleep: cfg.Sleep, maxTx: defaultMaxTx}
	if d.sleep == nil {
		d.sleep = time.Sleep
	}
	if l, ok := c.(conn.Limits); ok && l.MaxTxSize() > 0 {
		d.maxTx = l.MaxTxSize()
	}
	switch cfg.Rotate {
	case 0:
		d.madctl, d.size, d.xoff, d.yoff = 0, image.Pt(cfg.W, cfg.H), cfg.X, cfg.Y
	case 90:
		d.madctl, d.size, d.xoff, d.yoff = madctlMX|madctlMV, image.Pt(cfg.H, cfg.W), cfg.Y, ramW-cfg.W-cfg.X
	case 180:
		d.madctl, d.size, d.xoff, d.yoff = madctlMX|madctlMY, image.Pt(cfg.W, cfg.H), ramW-cfg.W-cfg.X, ramH-cfg.H-cfg.Y
	case 270:
		d.madctl, d.size, d.xoff, d.yoff = madctlMY|madctlMV, image.Pt(cfg.H, cfg.W), ramH-cfg.H-cfg.Y, cfg.X
	default:
		return nil, fmt.Errorf("%w: rotation %d (want 0, 90, 180 or 270)", ErrConfig, cfg.Rotate)
	}
	if cfg.BGR {
		d.madctl |= madctlBGR
	}
	return d, nil
}

func (d *Dev) init(cfg Config) error {
	if d.rst != nil {
		if err := d.rst.Out(gpio.Low); err != nil {
			return fmt.Errorf("st7789: reset %s: %w", d.rst, err)
		}
		d.sleep(10 * time.Millisecond)
		if err := d.rst.Out(gpio.High); err != nil {
			return fmt.Errorf("st7789: reset %s: %w", d.rst, err)
		}
		d.sleep(120 * time.Millisecond)
	}
	type step struct {
		cmd  byte
		data []byte
		wait time.Duration
	}
	seq := []step{
		{cmdSWRESET, nil, 150 * time.Millisecond},
		{cmdSLPOUT, nil, 120 * time.Millisecond},
		{cmdCOLMOD, []byte{colmodRGB565}, 0},
		{cmdMADCTL, []byte{d.madctl}, 0},
		{cmdINVON, nil, 0},
		{cmdNORON, nil, 10 * time.Millisecond},
		{cmdDISPON, nil, 10 * time.Millisecond},
	}
	for _, s := range seq {
		if s.cmd == cmdINVON && cfg.NoInvert {
			continue
		}
		if err := d.command(s.cmd, s.data); err != nil {
			return fmt.Errorf("st7789: init: %w", err)
		}
		if s.wait > 0 {
			d.sleep(s.wait)
		}
	}
	return nil
}

// Size returns the size of the frames Show takes.
func (d *Dev) Size() image.Point { return d.size }

// Show sends img to the panel: only the smallest rectangle holding every
// pixel that differs from the last frame sent, nothing when none does.
// img must be exactly Size(); alpha is ignored. After a bus error the
// driver no longer trusts the panel's memory and the next Show sends the
// whole frame.
func (d *Dev) Show(img *image.RGBA) error {
	if got := img.Rect.Size(); got != d.size {
		return fmt.Errorf("st7789: %w: frame is %d×%d, panel wants %d×%d",
			ErrFrameSize, got.X, got.Y, d.size.X, d.size.Y)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	w, h := d.size.X, d.size.Y
	if d.next == nil {
		d.next = make([]uint16, w*h)
	}
	for y := range h {
		row := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
		out := d.next[y*w : (y+1)*w]
		for x := range out {
			p := row[4*x : 4*x+3 : 4*x+3]
			out[x] = uint16(p[0]>>3)<<11 | uint16(p[1]>>2)<<5 | uint16(p[2]>>3)
		}
	}
	r := image.Rect(0, 0, w, h)
	if d.last != nil {
		r = changed(d.last, d.next, w, h)
		if r.Empty() {
			return nil
		}
	}
	if err := d.sendWindow(r); err != nil {
		d.last = nil
		return fmt.Errorf("st7789: show: %w", err)
	}
	d.last, d.next = d.next, d.last
	return nil
}

// changed returns the smallest rectangle holding every pixel where a and
// b, two w×h frames, differ.
func changed(a, b []uint16, w, h int) image.Rectangle {
	r := image.Rectangle{Min: image.Pt(w, h)}
	for y := range h {
		ra, rb := a[y*w:(y+1)*w], b[y*w:(y+1)*w]
		x0 := 0
		for x0 < w && ra[x0] == rb[x0] {
			x0++
		}
		if x0 == w {
			continue
		}
		x1 := w - 1
		for ra[x1] == rb[x1] {
			x1--
		}
		r.Min.X, r.Max.X = min(r.Min.X, x0), max(r.Max.X, x1+1)
		r.Min.Y, r.Max.Y = min(r.Min.Y, y), y+1
	}
	return r
}

// sendWindow sends rectangle r of d.next.
func (d *Dev) sendWindow(r image.Rectangle) error {
	x0, x1 := r.Min.X+d.xoff, r.Max.X-1+d.xoff
	y0, y1 := r.Min.Y+d.yoff, r.Max.Y-1+d.yoff
	if err := d.command(cmdCASET, []byte{byte(x0 >> 8), byte(x0), byte(x1 >> 8), byte(x1)}); err != nil {
		return err
	}
	if err := d.command(cmdRASET, []byte{byte(y0 >> 8), byte(y0), byte(y1 >> 8), byte(y1)}); err != nil {
		return err
	}
	buf := d.buf[:0]
	w := d.size.X
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, p := range d.next[y*w+r.Min.X : y*w+r.Max.X] {
			buf = append(buf, byte(p>>8), byte(p))
		}
	}
	d.buf = buf
	return d.command(cmdRAMWR, buf)
}

// command sends cmd with D/C low, then data, if any, with D/C high.
func (d *Dev) command(cmd byte, data []byte) error {
	if err := d.dc.Out(gpio.Low); err != nil {
		return fmt.Errorf("D/C %s: %w", d.dc, err)
	}
	if err := d.c.Tx([]byte{cmd}, nil); err != nil {
		return fmt.Errorf("command %#02x: %w", cmd, err)
	}
	if len(data) == 0 {
		return nil
	}
	if err := d.dc.Out(gpio.High); err != nil {
		return fmt.Errorf("D/C %s: %w", d.dc, err)
	}
	for len(data) > 0 {
		n := min(len(data), d.maxTx)
		if err := d.c.Tx(data[:n], nil); err != nil {
			return fmt.Errorf("command %#02x data: %w", cmd, err)
		}
		data = data[n:]
	}
	return nil
}

// Close turns the display off and puts the controller to sleep; a second
// Close does nothing. It does not close the SPI port or the pins, which
// belong to the caller.
func (d *Dev) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if err := d.command(cmdDISPOFF, nil); err != nil {
		return fmt.Errorf("st7789: close: %w", err)
	}
	if err := d.command(cmdSLPIN, nil); err != nil {
		return fmt.Errorf("st7789: close: %w", err)
	}
	return nil
}
