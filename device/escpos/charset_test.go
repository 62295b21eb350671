package escpos_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"evalpad/device/escpos"
	"evalpad/display/receipt"
)

// A gb2312-only printer (device/printer's profile) gets every line with a
// character outside GB2312 as an image: 喆 (GBK 86 B4, a lead byte such a
// printer takes as a single byte) in the task name, 堃 (GBK 88 D2) in the
// centred hall. Decoded back, the job has no text such a printer would
// garble; drawn, its paper is dot for dot the paper of the same receipt
// sent all as text to a GB18030 printer — the right text in the right
// place — and zbarimg reads the signed URL off it.
func TestGB2312OnlyReceipt(t *testing.T) {
	for _, paper := range papers {
		for _, mode := range qrModes {
			t.Run(fmt.Sprintf("%d/%s", paper, mode), func(t *testing.T) {
				r := sampleReceipt(t, "")
				r.Hall = "泰安市堃园政务服务中心"
				r.TaskName = "企业设立登记（张喆）变更登记及章程备案、公章刻制备案"
				gb2312, err := receipt.Encode(r, receipt.Profile{Paper: paper, QR: mode,
					Charset: receipt.CharsetGB2312, Lines: renderer(t, paper)})
				if err != nil {
					t.Fatal(err)
				}
				ops, err := escpos.Decode(gb2312)
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				rasters := 0
				for _, o := range ops {
					switch o.Code {
					case escpos.Text:
						texts = append(texts, o.Text)
						for i := 0; i < len(o.Data); i++ {
							if b := o.Data[i]; b >= 0x80 && (b < 0xA1 || i+1 >= len(o.Data) || o.Data[i+1] < 0xA1) {
								t.Errorf("text %q has byte %#02x outside GB2312's A1–FE pairs", o.Text, b)
							}
							if o.Data[i] >= 0x80 {
								i++
							}
						}
					case escpos.Raster:
						if o.H == 30 {
							rasters++
						}
					}
				}
				all := strings.Join(texts, "")
				if strings.ContainsAny(all, "喆堃") || !strings.Contains(all, "办件编号：") || !strings.Contains(all, "扫码评价") {
					t.Errorf("text ops %q: want the GB2312 lines as text and no 喆 or 堃", texts)
				}
				// The hall's line and the task's first line went as images.
				if rasters != 2 {
					t.Errorf("%d line images, want 2 (the hall's, the task's first line)", rasters)
				}

				gb18030, err := receipt.Encode(r, receipt.Profile{Paper: paper, QR: mode})
				if err != nil {
					t.Fatal(err)
				}
				want := paperPNG(t, gb18030, paper)
				got := paperPNG(t, gb2312, paper)
				if !bytes.Equal(got, want) {
					t.Errorf("the gb2312-only receipt's paper differs from the same receipt printed as GB18030 text")
				}
				if u := zbarimg(t, got); u != r.URL {
					t.Errorf("zbarimg read %q, want %q", u, r.URL)
				}
			})
		}
	}
}

func paperPNG(t *testing.T, job []byte, paper int) []byte {
	t.Helper()
	ops, err := escpos.Decode(job)
	if err != nil {
		t.Fatal(err)
	}
	img, err := renderer(t, paper).Render(ops)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A profile that needs line images but has nothing to draw them with,
// or a charset nobody knows, is refused.
func TestCharsetProfileErrors(t *testing.T) {
	r := sampleReceipt(t, "")
	for _, p := range []receipt.Profile{
		{Paper: 58, QR: receipt.QRNative, Charset: receipt.CharsetGB2312},
		{Paper: 58, QR: receipt.QRNative, Charset: "big5"},
	} {
		if _, err := receipt.Encode(r, p); err == nil {
			t.Errorf("Encode with charset %q and Lines %v succeeded", p.Charset, p.Lines)
		}
	}
}
