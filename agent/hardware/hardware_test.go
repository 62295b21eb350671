package hardware

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"evalpad/agent/config"
	"evalpad/device/printer"
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
	} {
		if got := PrinterFaults(tc.st); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
}
