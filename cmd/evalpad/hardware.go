package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strconv"
	"time"

	"evalpad/device/evdev"
	"evalpad/device/fb"
	"evalpad/device/gpiobuttons"
	"evalpad/device/printer"
	"evalpad/device/serialboard"
	"evalpad/device/st7789"
	"evalpad/agent/config"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"
)

// starSource is a driver that reports star presses (gpio, evdev, serial).
type starSource interface {
	Run(ctx context.Context, press func(star int)) error
}

// panel is a driver that shows frames (fb, st7789).
type panel interface {
	Show(img *image.RGBA) error
	Close() error
}

// hardware is the pad's drivers as the config names them; nil where the
// config names none.
type hardware struct {
	buttons     starSource
	buttonsName string // "gpio GPIO17,…", "evdev /dev/input/…", "serial /dev/ttyS1"
	touch       *evdev.Touch
	panel       panel
	panelName   string
	printer     *printer.Printer
	closers     []func() error
}

// openHardware opens every driver the config names. A driver that fails to
// open is a start-up error naming its device; what was opened is closed.
func openHardware(cfg config.Config, log *slog.Logger) (*hardware, error) {
	hw := &hardware{}
	if err := hw.open(cfg, log); err != nil {
		hw.close()
		return nil, err
	}
	return hw, nil
}

func (hw *hardware) open(cfg config.Config, log *slog.Logger) error {
	w, h, err := cfg.Display.Dimensions()
	if err != nil {
		return err
	}
	b := cfg.Buttons
	switch b.Driver {
	case "gpio":
		pins := map[int]string{}
		for k, v := range b.GPIOPins {
			n, _ := strconv.Atoi(k) // validated by config
			pins[n] = v
		}
		btn, err := gpiobuttons.Open(gpiobuttons.Config{Pins: pins, ActiveHigh: !b.GPIOActiveLow, Debounce: b.Debounce.Duration,
			LED: b.LED, Buzzer: b.Buzzer, Logger: log})
		if err != nil {
			return fmt.Errorf("buttons (gpio): %w", err)
		}
		hw.buttons, hw.buttonsName = btn, "gpio"
		hw.closers = append(hw.closers, btn.Close)
	case "evdev":
		var keys map[uint16]int
		if len(b.EvdevKeys) > 0 {
			keys = map[uint16]int{}
			for k, lv := range b.EvdevKeys {
				n, _ := strconv.Atoi(k) // validated by config
				keys[uint16(n)] = lv
			}
		}
		// A keypad that is not plugged in yet is waited for, not an error.
		hw.buttons, hw.buttonsName = &evdev.Keypad{Path: b.EvdevPath, Keys: keys, Grab: true, Logger: log}, "evdev "+b.EvdevPath
	case "serial":
		board, err := serialboard.Open(b.SerialPort, b.SerialBaud)
		if err != nil {
			return fmt.Errorf("buttons (serial board): %w", err)
		}
		board.Logger = log
		hw.buttons, hw.buttonsName = board, "serial "+b.SerialPort
		hw.closers = append(hw.closers, board.Close)
	}
	if t := cfg.Touch; t.Path != "" {
		hw.touch = &evdev.Touch{Path: t.Path, Panel: image.Pt(w, h), Rotate: t.Rotate,
			SwapXY: t.SwapXY, InvertX: t.InvertX, InvertY: t.InvertY, Logger: log}
		if len(t.Range) == 4 {
			hw.touch.Min, hw.touch.Max = image.Pt(t.Range[0], t.Range[1]), image.Pt(t.Range[2], t.Range[3])
		}
	}
	p := cfg.Panel
	switch p.Driver {
	case "fb":
		var dev *fb.FB
		if p.FBGeometry != "" {
			gw, gh, bpp, _ := p.Geometry() // validated by config
			g := fb.XRGB8888(gw, gh)
			if bpp == 16 {
				g = fb.RGB565(gw, gh)
			}
			dev, err = fb.OpenFile(p.FBPath, g, p.Rotate)
		} else {
			dev, err = fb.Open(p.FBPath, p.Rotate)
		}
		if err != nil {
			return fmt.Errorf("panel (framebuffer): %w", err)
		}
		if s := dev.Size(); s != image.Pt(w, h) {
			dev.Close()
			return fmt.Errorf("panel (framebuffer) %s: shows %dx%d after rotation, display.size is %dx%d", p.FBPath, s.X, s.Y, w, h)
		}
		hw.panel, hw.panelName = dev, "framebuffer "+p.FBPath
	case "st7789":
		if _, err := host.Init(); err != nil {
			return fmt.Errorf("panel (st7789): periph host init: %w", err)
		}
		port, err := spireg.Open(p.SPIPort)
		if err != nil {
			return fmt.Errorf("panel (st7789): SPI port %s: %w", p.SPIPort, err)
		}
		hw.closers = append(hw.closers, port.Close)
		dc := gpioreg.ByName(p.DCPin)
		if dc == nil {
			return fmt.Errorf("panel (st7789): dc_pin %q not found", p.DCPin)
		}
		rst := gpioreg.ByName(p.ResetPin) // nil without a reset pin: NewSPI takes none
		if p.ResetPin != "" && rst == nil {
			return fmt.Errorf("panel (st7789): reset_pin %q not found", p.ResetPin)
		}
		pw, ph := w, h
		if p.Rotate == 90 || p.Rotate == 270 {
			pw, ph = h, w
		}
		c := st7789.Config{W: pw, H: ph, Rotate: p.Rotate, Speed: physic.Frequency(p.SPIHz) * physic.Hertz}
		dev, err := st7789.NewSPI(port, dc, rst, c)
		if err != nil {
			return fmt.Errorf("panel (st7789) on %s: %w", p.SPIPort, err)
		}
		hw.panel, hw.panelName = dev, "st7789 "+p.SPIPort
	}
	if p.Driver != "" {
		hw.closers = append(hw.closers, hw.panel.Close)
	}
	if cfg.Printer.URI != "" {
		pr, err := printer.OpenWith(cfg.Printer.URI, printer.Options{Logger: log})
		if err != nil {
			return fmt.Errorf("printer %s: %w", cfg.Printer.URI, err)
		}
		hw.printer = pr
		hw.closers = append(hw.closers, pr.Close)
	}
	return nil
}

// missing lists what a pad needs that the config does not name.
func (hw *hardware) missing() []string {
	var out []string
	if hw.buttons == nil && hw.touch == nil {
		out = append(out, "buttons or touch ([buttons] driver, [touch] path)")
	}
	if hw.panel == nil {
		out = append(out, "panel ([panel] driver)")
	}
	return out
}

func (hw *hardware) close() error {
	var errs []error
	for i := len(hw.closers) - 1; i >= 0; i-- {
		errs = append(errs, hw.closers[i]())
	}
	return errors.Join(errs...)
}

// testPattern is the panel's test picture: colour bars, and a white frame
// with a corner mark at each corner so a cut-off edge shows.
func testPattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bars := [][3]uint8{{255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0}, {255, 0, 255}, {255, 0, 0}, {0, 0, 255}, {0, 0, 0}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bars[x*len(bars)/w]
			edge := x < 4 || y < 4 || x >= w-4 || y >= h-4
			corner := (x < w/10 || x >= w-w/10) && (y < h/10 || y >= h-h/10)
			if edge || corner {
				c = [3]uint8{255, 255, 255}
			}
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c[0], c[1], c[2], 255
		}
	}
	return img
}

// waitTimeout is how long a driver's Run gets to stop after its ctx ends.
const waitTimeout = 2 * time.Second
