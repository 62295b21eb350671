package agent

import (
	"strings"
	"testing"

	"evalpad/device/escpos"
)

// printer.profile reaches the receipts: for a gb2312-only printer a hall
// with 堃 (not in GB2312) goes as a line image, and no text byte is one
// such a printer would garble; for the default (epson) it goes as text.
func TestReceiptFollowsPrinterProfile(t *testing.T) {
	for _, tc := range []struct {
		profile string
		images  int
	}{{"epson", 0}, {"gb2312-only", 1}} {
		t.Run(tc.profile, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Hall = "泰安市堃园政务服务中心"
			cfg.Printer.Profile = tc.profile
			f := newFakes()
			a := build(t, cfg, Parts{Hardware: f.set(), Font: testFont(t)})
			if _, err := a.PrintTestReceipt(); err != nil {
				t.Fatal(err)
			}
			jobs := f.printer.Jobs()
			if len(jobs) != 1 {
				t.Fatalf("%d jobs printed, want 1", len(jobs))
			}
			ops, err := escpos.Decode(jobs[0])
			if err != nil {
				t.Fatal(err)
			}
			images, hallText := 0, false
			for _, o := range ops {
				switch o.Code {
				case escpos.Raster:
					if o.H == 30 { // a line, not the QR
						images++
					}
				case escpos.Text:
					hallText = hallText || strings.Contains(o.Text, "堃")
				}
			}
			if images != tc.images || hallText != (tc.images == 0) {
				t.Errorf("%d line images, 堃 as text %v; want %d line images", images, hallText, tc.images)
			}
		})
	}
}
