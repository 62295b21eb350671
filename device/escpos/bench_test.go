package escpos_test

import (
	"testing"

	"evalpad/device/escpos"
	"evalpad/display/receipt"
)

// BenchmarkDecode and BenchmarkRender: a 58 mm receipt with a raster QR
// code, the bigger of the two modes.
func BenchmarkDecode(b *testing.B) {
	job := encode(b, sampleReceipt(b, ""), 58, receipt.QRRaster)
	b.SetBytes(int64(len(job)))
	for b.Loop() {
		if _, err := escpos.Decode(job); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	for _, mode := range qrModes {
		b.Run(mode, func(b *testing.B) {
			ops, err := escpos.Decode(encode(b, sampleReceipt(b, ""), 58, mode))
			if err != nil {
				b.Fatal(err)
			}
			r := &escpos.Renderer{Dots: 384, Font: font(b)}
			for b.Loop() {
				if _, err := r.Render(ops); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
