package hardware

import (
	"fmt"
	"image"
	"log/slog"
	"strconv"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"evalpad/agent/config"
	"evalpad/device/evdev"
	"evalpad/device/fb"
	"evalpad/device/gpiobuttons"
	"evalpad/device/printer"
	"evalpad/device/serialboard"
	"evalpad/device/st7789"
)

// The drivers the config can name, as the agent consumes them.
var (
	_ StarSource  = (*gpiobuttons.Buttons)(nil)
	_ StarSource  = (*evdev.Keypad)(nil)
	_ StarSource  = (*serialboard.Board)(nil)
	_ TouchSource = (*evdev.Touch)(nil)
	_ Panel       = (*fb.FB)(nil)
	_ Panel       = (*st7789.Dev)(nil)
	_ Printer     = (*printer.Printer)(nil)
)

// Open opens every driver cfg names. A driver that fails to open is an
// error naming its device; what was opened before it is closed again.
func Open(cfg config.Config, log *slog.Logger) (*Set, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Set{}
	if err := s.open(cfg, log); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Set) open(cfg config.Config, log *slog.Logger) error {
	w, h, err := cfg.Display.Dimensions()
	if err != nil {
		return err
	}
	if err := s.openButtons(cfg.Buttons, log); err != nil {
		return err
	}
	if t := cfg.Touch; t.Path != "" {
		touch := &evdev.Touch{Path: t.Path, Panel: image.Pt(w, h), Rotate: t.Rotate,
			SwapXY: t.SwapXY, InvertX: t.InvertX, InvertY: t.InvertY, Logger: log}
		if len(t.Range) == 4 {
			touch.Min, touch.Max = image.Pt(t.Range[0], t.Range[1]), image.Pt(t.Range[2], t.Range[3])
		}
		s.Touch, s.TouchName = touch, describe("evdev", t.Path)
	}
	if err := s.openPanel(cfg.Panel, w, h); err != nil {
		return err
	}
	if cfg.Printer.URI != "" {
		prof, err := printer.ProfileByName(cfg.Printer.Profile)
		if err != nil {
			return fmt.Errorf("printer %s: %w", cfg.Printer.URI, err)
		}
		pr, err := printer.OpenWith(cfg.Printer.URI, printer.Options{Logger: log, NoStatus: !cfg.Printer.Status, Profile: prof})
		if err != nil {
			return fmt.Errorf("printer %s: %w", cfg.Printer.URI, err)
		}
		s.Printer, s.PrinterName = pr, cfg.Printer.URI+" (profile "+prof.Name+")"
		s.OnClose(pr.Close)
	}
	return nil
}

func (s *Set) openButtons(b config.Buttons, log *slog.Logger) error {
	switch b.Driver {
	case "gpio":
		pins := map[int]string{}
		for k, v := range b.GPIOPins {
			n, _ := strconv.Atoi(k) // validated by config
			pins[n] = v
		}
		btn, err := gpiobuttons.Open(gpiobuttons.Config{Pins: pins, ActiveHigh: !b.GPIOActiveLow,
			Debounce: b.Debounce.Duration, LED: b.LED, Buzzer: b.Buzzer, Logger: log})
		if err != nil {
			return fmt.Errorf("buttons (gpio): %w", err)
		}
		s.Buttons, s.ButtonsName = btn, "gpio"
		s.OnClose(btn.Close)
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
		s.Buttons, s.ButtonsName = &evdev.Keypad{Path: b.EvdevPath, Keys: keys, Grab: true, Logger: log}, describe("evdev", b.EvdevPath)
	case "serial":
		board, err := serialboard.Open(b.SerialPort, b.SerialBaud)
		if err != nil {
			return fmt.Errorf("buttons (serial board): %w", err)
		}
		board.Logger = log
		s.Buttons, s.ButtonsName = board, describe("serial", b.SerialPort)
		s.OnClose(board.Close)
	}
	return nil
}

func (s *Set) openPanel(p config.Panel, w, h int) error {
	switch p.Driver {
	case "fb":
		var dev *fb.FB
		var err error
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
		if sz := dev.Size(); sz != image.Pt(w, h) {
			dev.Close()
			return fmt.Errorf("panel (framebuffer) %s: shows %dx%d after rotation, display.size is %dx%d", p.FBPath, sz.X, sz.Y, w, h)
		}
		s.Panel, s.PanelName = dev, describe("framebuffer", p.FBPath)
		s.OnClose(dev.Close)
	case "st7789":
		if _, err := host.Init(); err != nil {
			return fmt.Errorf("panel (st7789): periph host init: %w", err)
		}
		port, err := spireg.Open(p.SPIPort)
		if err != nil {
			return fmt.Errorf("panel (st7789): SPI port %s: %w", p.SPIPort, err)
		}
		s.OnClose(port.Close)
		dc := gpioreg.ByName(p.DCPin)
		if dc == nil {
			return fmt.Errorf("panel (st7789): dc_pin %q not found", p.DCPin)
		}
		rst := gpioreg.ByName(p.ResetPin) // nil without a reset pin: NewSPI takes none
		if p.ResetPin != "" && rst == nil {
			return fmt.Errorf("panel (st7789): reset_pin %q not found", p.ResetPin)
		}
		c := ST7789Config(p, w, h)
		dev, err := st7789.NewSPI(port, dc, rst, c)
		if err != nil {
			return fmt.Errorf("panel (st7789) on %s: %w", p.SPIPort, err)
		}
		s.Panel, s.PanelName = dev, describe("st7789", p.SPIPort)+" "+ModuleName(p, w, h)
		s.OnClose(dev.Close)
	}
	return nil
}

// ST7789Config is the driver's config for the [panel] of a w×h display:
// the module's size at rotation 0, its offsets in the controller's RAM,
// inversion, colour order, and the bus clock and SPI mode.
func ST7789Config(p config.Panel, w, h int) st7789.Config {
	mw, mh := p.ModuleSize(w, h)
	return st7789.Config{W: mw, H: mh, X: p.OffsetX, Y: p.OffsetY, Rotate: p.Rotate,
		NoInvert: !p.Invert, BGR: p.BGR,
		Speed: physic.Frequency(p.SPIHz) * physic.Hertz, Mode: spi.Mode(p.SPIMode)}
}

// ModuleName says which ST7789 module settings a [panel] of a w×h display
// drives, for logs and the selftest report: "135×240 at (52,40) rot 90,
// INVON, RGB, SPI mode 3".
func ModuleName(p config.Panel, w, h int) string {
	mw, mh := p.ModuleSize(w, h)
	inv, order := "INVON", "RGB"
	if !p.Invert {
		inv = "no INVON"
	}
	if p.BGR {
		order = "BGR"
	}
	return fmt.Sprintf("%d×%d at (%d,%d) rot %d, %s, %s, SPI mode %d", mw, mh, p.OffsetX, p.OffsetY, p.Rotate, inv, order, p.SPIMode)
}
