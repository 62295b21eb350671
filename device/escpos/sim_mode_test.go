package escpos_test

import (
	"os"
	"path/filepath"
	"testing"

	"evalpad/device/escpos"
	"evalpad/display/receipt"
)

// TestSimPrinterFileModes: the receipts directory is 0700 and every
// receipt 0600, also where an older run left the directory 0755 and a
// temporary file 0644.
func TestSimPrinterFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "receipts")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "0001.bin.tmp"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "0001.bin.tmp"), 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	p := &escpos.SimPrinter{Dir: dir, Paper: 80, Font: font(t)}
	if _, err := p.Print(encode(t, sampleReceipt(t, ""), 80, receipt.QRNative)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("receipts dir: %v %v, want 0700", fi.Mode(), err)
	}
	des, err := os.ReadDir(dir)
	if err != nil || len(des) != 2 {
		t.Fatalf("receipts dir holds %v %v, want 0001.bin and 0001.png", des, err)
	}
	for _, de := range des {
		fi, err := de.Info()
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", de.Name(), fi.Mode(), err)
		}
	}
}
