package escpos_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/device/escpos"
	"evalpad/display/receipt"
)

// zbarimg decodes the QR code on a PNG with zbar, a decoder independent of
// the encoder (go-qrcode), and returns its text.
func zbarimg(t *testing.T, png []byte) string {
	t.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: the QR round trip needs an independent decoder; install Debian's zbar-tools (apt-get install zbar-tools; CI's .ci/run installs it)")
	}
	path := filepath.Join(t.TempDir(), "receipt.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("zbarimg found no QR code on the receipt (%v): %s", err, stderr.String())
	}
	out := strings.TrimSuffix(stdout.String(), "\n")
	if strings.Contains(out, "\n") {
		t.Fatalf("zbarimg found more than one code: %q", out)
	}
	return out
}

// TestQRRoundTrip prints receipts on the simulated printer, reads the QR
// code back from the paper with zbarimg, and checks the URL is the one
// encoded and that its token verifies — and that forged URLs, printed and
// scanned the same way, do not.
func TestQRRoundTrip(t *testing.T) {
	exp := testAt.Add(30 * 24 * time.Hour)
	genuine, err := receipt.ScanURL(testBase, testKey, testProject, testDevice, exp)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := receipt.ScanURL(testBase, receipt.Key{ID: testKey.ID, Secret: []byte("fedcba9876543210fedcba9876543210")}, testProject, testDevice, exp)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(genuine, "p="+testProject, "p=37090020261125000124", 1)
	if edited == genuine {
		t.Fatal("edit did not change the URL")
	}
	for _, tc := range []struct {
		name string
		url  string
		want error // from VerifyURL; nil: verifies
	}{
		{"genuine", genuine, nil},
		{"token of another key", otherKey, receipt.ErrToken},
		{"project_no edited", edited, receipt.ErrToken},
	} {
		for _, paper := range papers {
			for _, mode := range qrModes {
				t.Run(fmt.Sprintf("%s/%d/%s", tc.name, paper, mode), func(t *testing.T) {
					dir := t.TempDir()
					p := &escpos.SimPrinter{Dir: dir, Paper: paper, Font: font(t)}
					if _, err := p.Print(encode(t, sampleReceipt(t, tc.url), paper, mode)); err != nil {
						t.Fatal(err)
					}
					png, _, ok := p.Latest()
					if !ok {
						t.Fatal("Latest has no job after Print")
					}
					if os.Getenv("EVALPAD_RECEIPT_PNG_DIR") != "" { // for looking at the paper
						name := fmt.Sprintf("%s-%d-%s.png", strings.ReplaceAll(tc.name, " ", "_"), paper, mode)
						if err := os.WriteFile(filepath.Join(os.Getenv("EVALPAD_RECEIPT_PNG_DIR"), name), png, 0o644); err != nil {
							t.Fatal(err)
						}
					}
					got := zbarimg(t, png)
					if got != tc.url {
						t.Fatalf("zbarimg read %q off the paper, the receipt encoded %q", got, tc.url)
					}
					keys := receipt.Keys{ByID: map[string][]byte{testKey.ID: testKey.Secret}}
					s, err := receipt.VerifyURL(keys, "hcp.example.gov.cn", testAt, got)
					if tc.want == nil {
						if err != nil || s.ProjectNo != testProject || s.DeviceID != testDevice {
							t.Fatalf("VerifyURL(scanned URL) = %+v, %v; want %q, %q", s, err, testProject, testDevice)
						}
						return
					}
					if !errors.Is(err, tc.want) {
						t.Fatalf("VerifyURL(scanned forged URL) = %+v, %v; want %v", s, err, tc.want)
					}
				})
			}
		}
	}
}
