package hardware

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"evalpad/agent/config"
	"evalpad/device/printer"
	"evalpad/device/st7789"
)

// openFDs counts this process's open file descriptors and memory maps of
// path (the framebuffer driver maps its file).
func openFDs(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd: ", err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps: ", err)
	}
	for _, l := range strings.Split(string(maps), "\n") {
		if strings.HasSuffix(l, " "+path) {
			n++
		}
	}
	return n
}

// fbConfig is a config whose panel is a framebuffer-shaped file and whose
// buttons are an evdev keypad (waited for, not opened at start).
func fbConfig(t *testing.T) (config.Config, string) {
	dir := t.TempDir()
	fb := filepath.Join(dir, "fb0")
	if err := os.WriteFile(fb, make([]byte, 800*480*2), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Display.Size = "800x480"
	cfg.Panel = config.Panel{Driver: "fb", FBPath: fb, FBGeometry: "800x480x16"}
	cfg.Buttons.Driver, cfg.Buttons.EvdevPath = "evdev", filepath.Join(dir, "keypad")
	return cfg, fb
}

// Open opens what the config names, reports what a pad still lacks, and
// Close releases every device.
func TestOpen(t *testing.T) {
	cfg, fb := fbConfig(t)
	cfg.Touch.Path = filepath.Join(t.TempDir(), "touch")
	cfg.Printer.URI = "tcp://127.0.0.1:9"
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Buttons == nil || s.Touch == nil || s.Panel == nil || s.Printer == nil || len(s.Missing()) != 0 {
		t.Fatalf("set %+v, missing %v", s, s.Missing())
	}
	for _, name := range []string{s.ButtonsName, s.TouchName, s.PanelName, s.PrinterName} {
		if name == "" {
			t.Errorf("a driver without a name: %+v", s)
		}
	}
	if !strings.Contains(s.PanelName, fb) || !strings.Contains(s.ButtonsName, cfg.Buttons.EvdevPath) {
		t.Errorf("names do not say the device: %q %q", s.PanelName, s.ButtonsName)
	}
	if openFDs(t, fb) == 0 {
		t.Fatal("the framebuffer file is not open")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t, fb); n != 0 {
		t.Errorf("the framebuffer is still open %d times after Close", n)
	}
	if err := s.Close(); err != nil { // twice is harmless
		t.Errorf("second Close: %v", err)
	}

	empty, err := Open(config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := empty.Missing(); len(m) != 2 || !strings.Contains(m[0], "buttons or touch") || !strings.Contains(m[1], "panel") {
		t.Errorf("missing %v", m)
	}
}

// A driver that fails to open is an error naming its device, and what was
// opened before it is closed again.
func TestOpenFailsNamingTheDevice(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(c *config.Config, fb string)
		want string
	}{
		{"missing framebuffer", func(c *config.Config, fb string) { c.Panel.FBPath = fb + ".missing" }, "panel (framebuffer)"},
		{"framebuffer of another size", func(c *config.Config, fb string) { c.Display.Size = "1024x600" }, "display.size is 1024x600"},
		{"serial board not there", func(c *config.Config, fb string) {
			c.Buttons.Driver, c.Buttons.SerialPort = "serial", filepath.Join(filepath.Dir(fb), "ttyS9")
		}, "ttyS9"},
		{"printer file not there", func(c *config.Config, fb string) {
			c.Printer.URI = "file:" + filepath.Join(filepath.Dir(fb), "lp9")
		}, "lp9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, fb := fbConfig(t)
			tc.set(&cfg, fb)
			s, err := Open(cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error naming %q", err, tc.want)
			}
			if s != nil {
				t.Error("a set came back with the error")
			}
			if n := openFDs(t, fb); n != 0 {
				t.Errorf("the framebuffer was left open %d times", n)
			}
		})
	}
}

// A printer's condition becomes fault lines; a fine printer has none.
func TestPrinterFaults(t *testing.T) {
	for _, tc := range []struct {
		st   printer.Status
		want []string
	}{
		{printer.Status{Online: true}, nil},
		{printer.Status{}, []string{"printer offline or not answering"}},
		{printer.Status{Online: true, PaperOut: true, CoverOpen: true, LastError: "EIO"},
			[]string{"printer: paper out", "printer: cover open (EIO)"}},
		{printer.Status{Online: true, PaperNearEnd: true}, []string{"printer: paper near its end"}},
		{printer.Status{Online: true, Error: true}, []string{"printer: error"}},
		{printer.Status{Online: true, MarkError: true}, []string{"printer: black mark not found (paper loaded wrongly?)"}},
		{printer.Status{Online: true, Presenting: true}, nil},
	} {
		if got := PrinterFaults(tc.st); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
}

// The [panel] keys of each module in README's "ST7789 modules" table
// become the driver's config: the module's size at rotation 0 (a display
// mounted at 90 or 270 is the module turned), offsets, inversion, colour
// order, clock and SPI mode. device/st7789's TestModules plays back what
// the driver sends for each.
func TestST7789Config(t *testing.T) {
	for _, tc := range []struct {
		toml string
		want st7789.Config
		name string
	}{
		{"[display]\nsize = \"240x240\"\n[panel]\n",
			st7789.Config{W: 240, H: 240, Mode: spi.Mode3}, "240×240 at (0,0) rot 0, INVON, RGB, SPI mode 3"},
		{"[display]\nsize = \"240x240\"\n[panel]\nrotate = 180\n",
			st7789.Config{W: 240, H: 240, Rotate: 180, Mode: spi.Mode3}, "240×240 at (0,0) rot 180, INVON, RGB, SPI mode 3"},
		{"[display]\nsize = \"135x240\"\n[panel]\noffset_x = 52\noffset_y = 40\n",
			st7789.Config{W: 135, H: 240, X: 52, Y: 40, Mode: spi.Mode3}, "135×240 at (52,40) rot 0, INVON, RGB, SPI mode 3"},
		{"[display]\nsize = \"170x320\"\n[panel]\noffset_x = 35\nrotate = 180\n",
			st7789.Config{W: 170, H: 320, X: 35, Rotate: 180, Mode: spi.Mode3}, "170×320 at (35,0) rot 180, INVON, RGB, SPI mode 3"},
		{"[display]\nsize = \"320x240\"\n[panel]\nrotate = 90\n",
			st7789.Config{W: 240, H: 320, Rotate: 90, Mode: spi.Mode3}, "240×320 at (0,0) rot 90, INVON, RGB, SPI mode 3"},
		{"[display]\nsize = \"240x320\"\n[panel]\nbgr = true\ninvert = false\nspi_mode = 0\nspi_hz = 24000000\n",
			st7789.Config{W: 240, H: 320, BGR: true, NoInvert: true, Mode: spi.Mode0}, "240×320 at (0,0) rot 0, no INVON, BGR, SPI mode 0"},
	} {
		cfg, err := config.Parse([]byte(tc.toml + "driver = \"st7789\"\ndc_pin = \"GPIO25\"\n"))
		if err != nil {
			t.Fatalf("%q: %v", tc.toml, err)
		}
		w, h, _ := cfg.Display.Dimensions()
		got := ST7789Config(cfg.Panel, w, h)
		tc.want.Speed = physic.Frequency(cfg.Panel.SPIHz) * physic.Hertz
		if got.Sleep != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.toml, got, tc.want)
		}
		if n := ModuleName(cfg.Panel, w, h); n != tc.name {
			t.Errorf("%q: ModuleName = %q, want %q", tc.toml, n, tc.name)
		}
	}
}
