package st7789

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// pin is a fake gpio.PinOut that keeps its level and every level it was
// set to. (periph's gpiotest.Pin would do, but it pulls in clockwork,
// which this module's go.sum does not carry.)
type pin struct {
	name string
	mu   sync.Mutex
	l    gpio.Level
	outs []gpio.Level
}

func (p *pin) String() string   { return p.name }
func (p *pin) Halt() error      { return nil }
func (p *pin) Name() string     { return p.name }
func (p *pin) Number() int      { return -1 }
func (p *pin) Function() string { return "Out" }
func (p *pin) PWM(gpio.Duty, physic.Frequency) error {
	return errors.New("pin: no PWM")
}
func (p *pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.l = l
	p.outs = append(p.outs, l)
	return nil
}
func (p *pin) level() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.l
}

var _ gpio.PinOut = (*pin)(nil)

// bus is the script of one test: the spitest playback checks the bytes of
// every transfer; bus checks D/C at each and the transfer size limit.
type bus struct {
	t     *testing.T
	pb    *spitest.Playback
	c     spi.Conn
	dc    *pin
	maxTx int
	want  []gpio.Level // D/C for each transfer of the script
	sent  int          // transfers seen
}

func (b *bus) String() string      { return "bus" }
func (b *bus) Duplex() conn.Duplex { return conn.Half }
func (b *bus) MaxTxSize() int      { return b.maxTx }
func (b *bus) TxPackets([]spi.Packet) error {
	return errors.New("bus: TxPackets unused")
}
func (b *bus) Tx(w, r []byte) error {
	b.t.Helper()
	if len(w) > b.maxTx {
		b.t.Errorf("transfer #%d is %d bytes, over MaxTxSize %d", b.sent, len(w), b.maxTx)
	}
	if b.sent < len(b.want) && b.dc.level() != b.want[b.sent] {
		b.t.Errorf("transfer #%d (% x…) with D/C %v, want %v", b.sent, w[:min(len(w), 8)], b.dc.level(), b.want[b.sent])
	}
	b.sent++
	// Say briefly where a long transfer differs; the playback would print
	// both in full.
	b.pb.Lock()
	var exp []byte
	if b.pb.Count < len(b.pb.Ops) {
		exp = b.pb.Ops[b.pb.Count].W
	}
	b.pb.Unlock()
	if exp != nil && !bytes.Equal(exp, w) {
		i := 0
		for i < min(len(w), len(exp)) && w[i] == exp[i] {
			i++
		}
		return fmt.Errorf("transfer #%d: %d bytes, want %d; from byte %d: % x…, want % x…",
			b.sent-1, len(w), len(exp), i, w[i:min(len(w), i+8)], exp[i:min(len(exp), i+8)])
	}
	return b.c.Tx(w, r)
}

var _ conn.Limits = (*bus)(nil)

// script accumulates expected transfers: command bytes (D/C low) and
// their data chunked at maxTx (D/C high).
type script struct {
	maxTx int
	ops   []conntest.IO
	dc    []gpio.Level
}

func (s *script) cmd(c byte, data ...byte) *script {
	s.ops = append(s.ops, conntest.IO{W: []byte{c}})
	s.dc = append(s.dc, gpio.Low)
	for chunk := range slices.Chunk(data, s.maxTx) {
		s.ops = append(s.ops, conntest.IO{W: chunk})
		s.dc = append(s.dc, gpio.High)
	}
	return s
}

// newBus returns a bus that plays s back.
func newBus(t *testing.T, s *script) *bus {
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: s.ops, DontPanic: true}}
	c, err := pb.Connect(0, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	return &bus{t: t, pb: pb, c: c, dc: &pin{name: "DC"}, maxTx: s.maxTx, want: s.dc}
}

// expect makes the playback's next transfers those of s.
func (b *bus) expect(s *script) {
	b.pb.Lock()
	b.pb.Ops = append(b.pb.Ops, s.ops...)
	b.pb.Unlock()
	b.want = append(b.want, s.dc...)
}

// done checks that every scripted transfer was made, and no other.
func (b *bus) done() {
	b.t.Helper()
	if err := b.pb.Close(); err != nil {
		b.t.Error(err)
	}
	if b.sent != len(b.want) {
		b.t.Errorf("%d transfers, script has %d", b.sent, len(b.want))
	}
}

func initScript(maxTx int, madctl byte) *script {
	s := &script{maxTx: maxTx}
	return s.cmd(0x01).cmd(0x11).cmd(0x3A, 0x55).cmd(0x36, madctl).cmd(0x21).cmd(0x13).cmd(0x29)
}

// be16 is a 16-bit big-endian window bound.
func be16(a, b int) []byte { return []byte{byte(a >> 8), byte(a), byte(b >> 8), byte(b)} }

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

var (
	// RGB565 big-endian on the wire.
	bg    = color.RGBA{0x12, 0x34, 0x56, 0xFF} // 00010 001101 01010 = 0x11AA
	bgBE  = []byte{0x11, 0xAA}
	red   = color.RGBA{0xFF, 0x00, 0x00, 0xFF} // 0xF800
	redBE = []byte{0xF8, 0x00}
	grn   = color.RGBA{0x00, 0xFF, 0x00, 0xFF} // 0x07E0
	grnBE = []byte{0x07, 0xE0}
	blu   = color.RGBA{0x00, 0x00, 0xFF, 0xFF} // 0x001F
	bluBE = []byte{0x00, 0x1F}
)

func TestInit(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		seq  *script
		size image.Point
	}{
		{Config{W: 240, H: 240}, initScript(4096, 0x00), image.Pt(240, 240)},
		{Config{W: 135, H: 240, X: 52, Y: 40, Rotate: 90}, initScript(4096, 0x60), image.Pt(240, 135)},
		{Config{W: 240, H: 320, Rotate: 180, BGR: true}, initScript(4096, 0xC8), image.Pt(240, 320)},
		{Config{W: 240, H: 320, Rotate: 270, NoInvert: true},
			(&script{maxTx: 4096}).cmd(0x01).cmd(0x11).cmd(0x3A, 0x55).cmd(0x36, 0xA0).cmd(0x13).cmd(0x29), image.Pt(320, 240)},
	} {
		t.Run(fmt.Sprintf("%dx%d@%d", tc.cfg.W, tc.cfg.H, tc.cfg.Rotate), func(t *testing.T) {
			b := newBus(t, tc.seq)
			rst := &pin{name: "RST", l: gpio.High}
			var waits []time.Duration
			tc.cfg.Sleep = func(d time.Duration) { waits = append(waits, d) }
			d, err := New(b, b.dc, rst, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			b.done()
			if got := d.Size(); got != tc.size {
				t.Errorf("Size() = %v, want %v", got, tc.size)
			}
			if want := []gpio.Level{gpio.Low, gpio.High}; !slices.Equal(rst.outs, want) {
				t.Errorf("RESET went %v, want %v", rst.outs, want)
			}
			ms := time.Millisecond
			if want := []time.Duration{10 * ms, 120 * ms, 150 * ms, 120 * ms, 10 * ms, 10 * ms}; !slices.Equal(waits, want) {
				t.Errorf("waits %v, want %v", waits, want)
			}
		})
	}
}

// TestShow plays a panel's life: init, a whole first frame, a 10×10
// change, an unchanged frame, a change spread over two pixels, Close.
func TestShow(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        Config
		madctl     byte
		xoff, yoff int
	}{
		{"240x240", Config{W: 240, H: 240}, 0x00, 0, 0},
		{"135x240@90", Config{W: 135, H: 240, X: 52, Y: 40, Rotate: 90}, 0x60, 40, 53},
		{"135x240@180", Config{W: 135, H: 240, X: 52, Y: 40, Rotate: 180}, 0xC0, 53, 40},
		{"240x240@270", Config{W: 240, H: 240, Rotate: 270}, 0xA0, 80, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const maxTx = 1000 // frames are not multiples of it: a short last chunk
			b := newBus(t, initScript(maxTx, tc.madctl))
			tc.cfg.Sleep = func(time.Duration) {}
			d, err := New(b, b.dc, nil, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			w, h := d.Size().X, d.Size().Y

			// 1. The first frame goes out whole: background, a red
			// top-left pixel and a blue bottom-right one.
			f1 := solid(w, h, bg)
			f1.SetRGBA(0, 0, red)
			f1.SetRGBA(w-1, h-1, blu)
			px := bytes.Repeat(bgBE, w*h)
			copy(px, redBE)
			copy(px[len(px)-2:], bluBE)
			b.expect((&script{maxTx: maxTx}).
				cmd(0x2A, be16(tc.xoff, tc.xoff+w-1)...).
				cmd(0x2B, be16(tc.yoff, tc.yoff+h-1)...).
				cmd(0x2C, px...))
			if err := d.Show(f1); err != nil {
				t.Fatal(err)
			}

			// 2. A 10×10 area turns green: only its window is sent.
			f2 := solid(w, h, bg)
			f2.Pix = slices.Clone(f1.Pix)
			fill(f2, image.Rect(100, 50, 110, 60), grn)
			b.expect((&script{maxTx: maxTx}).
				cmd(0x2A, be16(tc.xoff+100, tc.xoff+109)...).
				cmd(0x2B, be16(tc.yoff+50, tc.yoff+59)...).
				cmd(0x2C, bytes.Repeat(grnBE, 100)...))
			if err := d.Show(f2); err != nil {
				t.Fatal(err)
			}

			// 3. The same frame again: nothing on the bus.
			if err := d.Show(f2); err != nil {
				t.Fatal(err)
			}

			// 4. Two pixels far apart change: their bounding window goes,
			// unchanged pixels inside it included, row by row.
			f3 := solid(w, h, bg)
			f3.Pix = slices.Clone(f2.Pix)
			f3.SetRGBA(3, 40, red)   // top-left of the window
			f3.SetRGBA(104, 55, blu) // inside the green square
			var win []byte           // x 3…104, y 40…55
			for y := 40; y <= 55; y++ {
				for x := 3; x <= 104; x++ {
					switch {
					case x == 3 && y == 40:
						win = append(win, redBE...)
					case x == 104 && y == 55:
						win = append(win, bluBE...)
					case x >= 100 && y >= 50:
						win = append(win, grnBE...)
					default:
						win = append(win, bgBE...)
					}
				}
			}
			b.expect((&script{maxTx: maxTx}).
				cmd(0x2A, be16(tc.xoff+3, tc.xoff+104)...).
				cmd(0x2B, be16(tc.yoff+40, tc.yoff+55)...).
				cmd(0x2C, win...))
			if err := d.Show(f3); err != nil {
				t.Fatal(err)
			}

			b.expect((&script{maxTx: maxTx}).cmd(0x28).cmd(0x10))
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("second Close = %v", err)
			}
			if err := d.Show(f3); !errors.Is(err, ErrClosed) {
				t.Errorf("Show after Close = %v, want ErrClosed", err)
			}
			b.done()
		})
	}
}

// After a failed transfer the panel's memory is unknown: the next frame
// goes out whole even though it equals the one that failed.
func TestShowAfterBusError(t *testing.T) {
	const maxTx = 4096
	b := newBus(t, initScript(maxTx, 0))
	d, err := New(b, b.dc, nil, Config{W: 16, H: 8, Sleep: func(time.Duration) {}})
	if err != nil {
		t.Fatal(err)
	}
	frame := solid(16, 8, bg)
	b.expect((&script{maxTx: maxTx}).cmd(0x2A, 0xFF)) // not what the driver sends
	if err := d.Show(frame); err == nil || !strings.Contains(err.Error(), "st7789: show: command 0x2a data: transfer #10") {
		t.Fatalf("Show = %v, want a bus error", err)
	}
	// The playback has consumed the CASET command byte only; script the
	// failed transfer away and expect the full frame again.
	b.pb.Lock()
	b.pb.Ops = b.pb.Ops[:b.pb.Count]
	b.pb.Unlock()
	b.want = b.want[:len(b.pb.Ops)]
	b.sent = len(b.pb.Ops)
	b.expect((&script{maxTx: maxTx}).
		cmd(0x2A, be16(0, 15)...).cmd(0x2B, be16(0, 7)...).cmd(0x2C, bytes.Repeat(bgBE, 16*8)...))
	if err := d.Show(frame); err != nil {
		t.Fatal(err)
	}
	b.done()
}

func TestConfigErrors(t *testing.T) {
	b := newBus(t, &script{maxTx: 64})
	for _, tc := range []struct {
		cfg  Config
		text string
	}{
		{Config{W: 240, H: 240, Rotate: 45}, "rotation 45"},
		{Config{W: 135, H: 240, X: 106}, "135×240 at (106,0)"},
		{Config{W: 240, H: 321}, "240×321"},
		{Config{}, "0×0"},
	} {
		if _, err := New(b, b.dc, nil, tc.cfg); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("New(%+v) = %v, want ErrConfig with %q", tc.cfg, err, tc.text)
		}
	}
	if _, err := New(b, nil, nil, Config{W: 240, H: 240}); !errors.Is(err, ErrConfig) {
		t.Errorf("New without D/C = %v, want ErrConfig", err)
	}
	b.done() // nothing was sent

	b = newBus(t, initScript(64, 0))
	d, err := New(b, b.dc, nil, Config{W: 240, H: 240, Sleep: func(time.Duration) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Show(solid(240, 241, bg)); !errors.Is(err, ErrFrameSize) || !strings.Contains(err.Error(), "240×241") {
		t.Errorf("Show(240×241) = %v, want ErrFrameSize", err)
	}
	b.done()
}

func TestNewSPI(t *testing.T) {
	s := initScript(4096, 0)
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: s.ops, DontPanic: true}}
	dc := &pin{name: "DC"}
	if _, err := NewSPI(pb, dc, nil, Config{W: 240, H: 320, Sleep: func(time.Duration) {}}); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSPI(pb, dc, nil, Config{W: 240, H: 320}); err == nil || !strings.Contains(err.Error(), "st7789: connect playback") {
		t.Fatalf("second Connect = %v, want an error naming the port", err)
	}
}

// discard is an spi.Conn that drops everything.
type discard struct{ conntest.Discard }

func (discard) TxPackets([]spi.Packet) error { return nil }

func BenchmarkShowFull240x320(b *testing.B) {
	d, err := New(&discard{}, &pin{}, nil, Config{W: 240, H: 320, Sleep: func(time.Duration) {}})
	if err != nil {
		b.Fatal(err)
	}
	f := [2]*image.RGBA{solid(240, 320, bg), solid(240, 320, red)}
	for i := 0; b.Loop(); i++ {
		if err := d.Show(f[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// The pad's panel interface.
var _ interface {
	Show(img *image.RGBA) error
	Close() error
} = (*Dev)(nil)

// port is an spi.Port that plays s back and records how it was connected.
type port struct {
	*spitest.Playback
	mode  spi.Mode
	speed physic.Frequency
	bits  int
}

func (p *port) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	p.speed, p.mode, p.bits = f, mode, bits
	return p.Playback.Connect(f, mode, bits)
}

// modules are the ST7789 modules of README's "ST7789 modules" table with
// the bytes they must get. The offsets are those of TFT_eSPI's
// TFT_Drivers/ST7789_Rotation.h (Bodmer/TFT_eSPI, CGRAM_OFFSET):
// colstart/rowstart 52/40 at rotation 0 and 53/40 at 2 for a 135-wide
// module, 35/0 at 0 and 2 for a 170-wide one, and 0/80 at rotation 2 for
// the 240×240 (whose glass is the top of the 240×320 RAM); its MADCTL per
// rotation is 00, MX|MV, MX|MY, MV|MY, ORed with the colour order bit
// (TFT_MAD_COLOR_ORDER, 08 for BGR), as here. Adafruit_ST7789 takes the
// SPI mode as a parameter and TFT_eSPI defaults the ST7789 to mode 3
// (some boards, CS-less ones, do not work in mode 0).
var modules = []struct {
	name       string
	cfg        Config
	madctl     byte
	invon      bool
	xoff, yoff int // of the window's top-left corner in RAM
}{
	{`1.3" 240x240`, Config{W: 240, H: 240, Mode: spi.Mode3}, 0x00, true, 0, 0},
	{`1.3" 240x240 rot 180`, Config{W: 240, H: 240, Rotate: 180, Mode: spi.Mode3}, 0xC0, true, 0, 80},
	{`1.14" 135x240`, Config{W: 135, H: 240, X: 52, Y: 40, Mode: spi.Mode3}, 0x00, true, 52, 40},
	{`1.14" 135x240 rot 180`, Config{W: 135, H: 240, X: 52, Y: 40, Rotate: 180, Mode: spi.Mode3}, 0xC0, true, 53, 40},
	{`1.9" 170x320`, Config{W: 170, H: 320, X: 35, Mode: spi.Mode3}, 0x00, true, 35, 0},
	{`1.9" 170x320 rot 180`, Config{W: 170, H: 320, X: 35, Rotate: 180, Mode: spi.Mode3}, 0xC0, true, 35, 0},
	{`2.0" 240x320`, Config{W: 240, H: 320, Mode: spi.Mode3}, 0x00, true, 0, 0},
	{`2.0" 240x320 rot 90`, Config{W: 240, H: 320, Rotate: 90, Mode: spi.Mode3}, 0x60, true, 0, 0},
	{`2.4" 240x320 BGR, no INVON, mode 0`, Config{W: 240, H: 320, BGR: true, NoInvert: true, Mode: spi.Mode0}, 0x08, false, 0, 0},
	{`2.4" 240x320 BGR rot 270`, Config{W: 240, H: 320, BGR: true, Rotate: 270, Mode: spi.Mode3}, 0xA8, true, 0, 0},
}

// TestModules plays back each module of the README table: the SPI mode
// and clock on the port, MADCTL with its BGR bit, INVON or not, and the
// first frame's window at the module's offsets.
func TestModules(t *testing.T) {
	for _, m := range modules {
		t.Run(m.name, func(t *testing.T) {
			s := &script{maxTx: 4096}
			s.cmd(0x01).cmd(0x11).cmd(0x3A, 0x55).cmd(0x36, m.madctl)
			if m.invon {
				s.cmd(0x21)
			}
			s.cmd(0x13).cmd(0x29)
			w, h := m.cfg.W, m.cfg.H
			if m.cfg.Rotate == 90 || m.cfg.Rotate == 270 {
				w, h = h, w
			}
			px := bytes.Repeat(bgBE, w*h)
			copy(px, redBE) // the frame's top-left pixel, first on the wire
			s.cmd(0x2A, be16(m.xoff, m.xoff+w-1)...).cmd(0x2B, be16(m.yoff, m.yoff+h-1)...).cmd(0x2C, px...)

			p := &port{Playback: &spitest.Playback{Playback: conntest.Playback{Ops: s.ops, DontPanic: true}}}
			dc := &pin{name: "DC"}
			cfg := m.cfg
			cfg.Speed = 24 * physic.MegaHertz
			cfg.Sleep = func(time.Duration) {}
			d, err := NewSPI(p, dc, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if p.mode != m.cfg.Mode || p.speed != 24*physic.MegaHertz || p.bits != 8 {
				t.Errorf("port connected in %v at %v, %d bits; want %v at 24MHz, 8 bits", p.mode, p.speed, p.bits, m.cfg.Mode)
			}
			if got := d.Size(); got != image.Pt(w, h) {
				t.Errorf("Size() = %v, want %d×%d", got, w, h)
			}
			f := solid(w, h, bg)
			f.SetRGBA(0, 0, red)
			if err := d.Show(f); err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}
