package display

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The idle screen's QR code scans, at every size, with a decoder that
// shares nothing with the encoder (zbarimg, Debian's zbar-tools).
func TestIdleQRScans(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg not installed (apt-get install zbar-tools)")
	}
	for _, s := range append([]Size{MinSize}, testSizes...) {
		r := testRenderer(t, s)
		img := r.NewImage()
		m := model("idle")
		m.ScanURL = "https://hcp.taian.gov.cn/e/TA-ZWFW-W12?w=12&h=370900"
		r.Render(img, m)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), fmt.Sprintf("idle_%dx%d.png", s.W, s.H))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
		if err != nil {
			t.Errorf("%v: zbarimg found no QR code: %v", s, err)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != m.ScanURL {
			t.Errorf("%v: QR code reads %q, want %q", s, got, m.ScanURL)
		}
	}
}

// A URL too long for a QR code draws no QR card rather than failing.
func TestQRTooLong(t *testing.T) {
	r := testRenderer(t, DefaultSize)
	m := model("idle")
	m.ScanURL = "https://x/" + strings.Repeat("a", 4000)
	r.Render(r.NewImage(), m)
	for _, x := range r.Texts(m) {
		if x == txtScan {
			t.Errorf("QR label drawn for a URL no QR code holds")
		}
	}
}
