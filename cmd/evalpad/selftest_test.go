package main

import (
	"evalpad/agent"

	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"evalpad/device/evdev"
)

// fakePrinter answers DLE EOT n with replies[n-1], like an ESC/POS printer,
// and swallows everything else. It returns its address.
func fakePrinter(t *testing.T, replies [4]byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				var last [2]byte
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					for _, b := range buf[:n] {
						if last == [2]byte{0x10, 0x04} && b >= 1 && b <= 4 {
							c.Write([]byte{replies[b-1]})
						}
						last = [2]byte{last[1], b}
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

var (
	printerFine     = [4]byte{0x12, 0x12, 0x12, 0x12}
	printerPaperOut = [4]byte{0x1A, 0x32, 0x12, 0x7E}
)

// feed writes evdev records to a FIFO once a reader opens it.
func feed(t *testing.T, path string, events []evdev.Event) {
	var b []byte
	for _, e := range events {
		b = evdev.AppendEvent(b, evdev.NativeFormat, e)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.Write(b)
	}()
}

func keys(stars ...int) []evdev.Event {
	var out []evdev.Event
	for _, s := range stars {
		code := uint16(evdev.Key1 + s - 1)
		out = append(out, evdev.Event{Type: evdev.EvKey, Code: code, Value: evdev.KeyDown}, evdev.Event{Type: evdev.EvSyn, Code: evdev.SynReport},
			evdev.Event{Type: evdev.EvKey, Code: code, Value: evdev.KeyUp}, evdev.Event{Type: evdev.EvSyn, Code: evdev.SynReport})
	}
	return out
}

func taps(points ...[2]int32) []evdev.Event {
	var out []evdev.Event
	for _, p := range points {
		out = append(out,
			evdev.Event{Type: evdev.EvKey, Code: evdev.BtnTouch, Value: 1},
			evdev.Event{Type: evdev.EvAbs, Code: evdev.AbsX, Value: p[0]},
			evdev.Event{Type: evdev.EvAbs, Code: evdev.AbsY, Value: p[1]},
			evdev.Event{Type: evdev.EvSyn, Code: evdev.SynReport},
			evdev.Event{Type: evdev.EvKey, Code: evdev.BtnTouch, Value: 0},
			evdev.Event{Type: evdev.EvSyn, Code: evdev.SynReport})
	}
	return out
}

// TestSelftest runs `evalpad selftest` against fakes at the lowest layer: a
// keypad and a touch panel as FIFOs fed with input_event records, a
// framebuffer as a file laid out like one, a printer on TCP answering DLE
// EOT. It passes with all of them working, and fails naming the part when
// one is broken.
func TestSelftest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs evalpad selftest")
	}
	corners := [][2]int32{{100, 100}, {4000, 100}, {100, 4000}, {4000, 4000}}
	for _, tc := range []struct {
		name    string
		stars   []int
		printer [4]byte
		failed  []string
		detail  string
	}{
		{"all working", []int{5, 4, 3, 2, 1}, printerFine, nil, ""},
		{"paper out", []int{1, 2, 3, 4, 5}, printerPaperOut, []string{"printer"}, "paper out"},
		{"a dead button", []int{1, 2, 3, 4}, printerFine, []string{"buttons"}, "5★"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			keypad, touch, fbPath := filepath.Join(dir, "keypad"), filepath.Join(dir, "touch"), filepath.Join(dir, "fb")
			for _, p := range []string{keypad, touch} {
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(fbPath, make([]byte, 1024*600*4), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "pad.toml")
			os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir = %q
[buttons]
driver = "evdev"
evdev_path = %q
[touch]
path = %q
range = [0, 0, 4095, 4095]
[panel]
driver = "fb"
fb_path = %q
fb_geometry = "1024x600x32"
[printer]
uri = "tcp://%s"
[receipt]
key = "0123456789abcdef-test"
`, filepath.Join(dir, "data"), keypad, touch, fbPath, fakePrinter(t, tc.printer))), 0o600)
			feed(t, keypad, keys(tc.stars...))
			feed(t, touch, taps(corners...))

			cmd := exec.Command(evalpadBinary(t), "selftest", "--config", cfg, "--json", "--yes", "--timeout", "4s")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			var rep agent.Report
			if jerr := json.Unmarshal(out, &rep); jerr != nil {
				t.Fatalf("report is not JSON (%v): %s\n%s", jerr, out, stderr.String())
			}
			wantFail := len(tc.failed) > 0
			if exit, _ := err.(*exec.ExitError); (exit != nil) != wantFail || rep.Pass == wantFail {
				t.Fatalf("exit %v, pass %v; want failing %v\n%s\n%s", err, rep.Pass, wantFail, out, stderr.String())
			}
			if !slices.Equal(rep.Failed, append([]string{}, tc.failed...)) {
				t.Errorf("failed parts %v, want %v\n%s", rep.Failed, tc.failed, out)
			}
			var parts []string
			for _, p := range rep.Parts {
				parts = append(parts, p.Part)
				if p.Result == "fail" && !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("%s failed with %q, want it to say %q", p.Part, p.Detail, tc.detail)
				}
				if p.Result == "skip" && p.Part != "sync" { // no broker: the pad is not syncing
					t.Errorf("%s skipped: %s", p.Part, p.Detail)
				}
				// The report names the panel and the printer's profile it tested.
				if p.Result == "pass" && (p.Part == "panel" && !strings.Contains(p.Detail, "framebuffer "+fbPath+", 1024x600: test pattern shown (bars W R G B K") ||
					p.Part == "printer" && !strings.Contains(p.Detail, "(profile epson)")) {
					t.Errorf("%s: %q does not name what was tested", p.Part, p.Detail)
				}
			}
			if want := []string{"config", "font", "store", "identity", "sync", "panel", "buttons", "touch", "printer"}; !slices.Equal(parts, want) {
				t.Errorf("parts %v, want %v", parts, want)
			}
			// The test pattern reached the framebuffer: the first colour bar
			// (W) is white (XRGB8888: B G R X), the last (K) black, the
			// corners white.
			fbBytes, _ := os.ReadFile(fbPath)
			px := func(x, y int) uint32 { return binary.LittleEndian.Uint32(fbBytes[(y*1024+x)*4:]) & 0xffffff }
			if px(60, 300) != 0xffffff || px(1000-60, 300) != 0 || px(20, 20) != 0xffffff || px(1010, 590) != 0xffffff {
				t.Errorf("framebuffer does not hold the test pattern: %06x %06x %06x %06x", px(60, 300), px(1000-60, 300), px(20, 20), px(1010, 590))
			}
		})
	}
}
