package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runConfig writes a config for `evalpad run` on fakes at the lowest layer
// (a keypad FIFO, a framebuffer file, a TCP printer); extra is appended.
func runConfig(t *testing.T, extra string) (cfg, keypad, fbPath string) {
	dir := t.TempDir()
	keypad, fbPath = filepath.Join(dir, "keypad"), filepath.Join(dir, "fb")
	if err := syscall.Mkfifo(keypad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fbPath, make([]byte, 800*480*2), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "pad.toml")
	body := fmt.Sprintf(`data_dir = %q
[api]
listen = "127.0.0.1:0"
[display]
size = "800x480"
[buttons]
driver = "evdev"
evdev_path = %q
[panel]
driver = "fb"
fb_path = %q
fb_geometry = "800x480x16"
[printer]
uri = "tcp://%s"
[receipt]
key = "0123456789abcdef-test"
%s`, filepath.Join(dir, "data"), keypad, fbPath, fakePrinter(t, printerFine), extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, keypad, fbPath
}

// TestRunOnFakeHardware starts `evalpad run` on fake devices, opens a session
// over the local API, presses 4★ on the keypad, and finds the record stored,
// the thank-you on the framebuffer, and the printer's status in the state.
func TestRunOnFakeHardware(t *testing.T) {
	if testing.Short() {
		t.Skip("runs evalpad run")
	}
	cfg, keypad, fbPath := runConfig(t, "")
	c := startEvalpad(t, "run", "--config", cfg)
	fb0, _ := os.ReadFile(fbPath)
	if code, err := c.call("POST", "/api/v1/sessions", map[string]any{"session_id": "S-1", "mode": "single",
		"staff": map[string]string{"id": "TA0123", "name": "李四"},
		"cases": []map[string]string{{"project_no": "37090020261125000123", "task_name": "企业设立登记"}}}, nil); err != nil || code != 201 {
		t.Fatalf("open session: %d %v\n%s", code, err, c.stderr())
	}
	feed(t, keypad, keys(4))
	var st struct {
		Screen  string                 `json:"screen"`
		Last    *struct{ Stars int }   `json:"last_record"`
		Printer *struct{ Online bool } `json:"printer"`
		Outbox  struct{ Pending int }  `json:"outbox"`
	}
	waitFor(t, func() bool {
		c.call("GET", "/api/v1/state", nil, &st)
		return st.Last != nil && st.Printer != nil && st.Printer.Online
	}, "the keypad's 4★ recorded and the printer online\n"+c.stderr())
	if st.Last.Stars != 4 || st.Outbox.Pending != 1 {
		t.Errorf("state %+v", st)
	}
	waitFor(t, func() bool {
		fb1, _ := os.ReadFile(fbPath)
		return string(fb1) != string(fb0) && !allZero(fb1)
	}, "a frame on the framebuffer")
	var job map[string]any
	if code, _ := c.call("POST", "/api/v1/receipts", map[string]string{"project_no": "37090020261125000123", "task_name": "企业设立登记"}, &job); code != 200 {
		t.Errorf("receipt on the TCP printer: %d %v", code, job)
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// A driver that fails to open stops the start with an error naming its device.
func TestRunNamesTheFailingDevice(t *testing.T) {
	if testing.Short() {
		t.Skip("runs evalpad run")
	}
	for _, tc := range []struct{ config, want string }{
		{"[panel]\ndriver = \"fb\"\nfb_path = \"/nonexistent/fb7\"\nfb_geometry = \"800x480x16\"\n", "/nonexistent/fb7"},
		{"[buttons]\ndriver = \"serial\"\nserial_port = \"/nonexistent/ttyS9\"\n[panel]\ndriver = \"fb\"\nfb_path = \"/nonexistent/fb0\"\n", "/nonexistent/ttyS9"},
		{"[display]\nsize = \"240x320\"\n[panel]\ndriver = \"st7789\"\nspi_port = \"/nonexistent/spidev9.9\"\ndc_pin = \"GPIO25\"\n", "spidev9.9"},
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "pad.toml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir = %q\n%s", dir, tc.config)), 0o600)
		cmd := exec.Command(evalpadBinary(t), "run", "--config", cfg)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("evalpad run with a missing device did not stop")
		}
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("run with %q: %v, output %q; want an error naming %s", tc.config, err, out, tc.want)
		}
	}
}
