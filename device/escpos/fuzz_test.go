package escpos_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"evalpad/device/escpos"
	"evalpad/display/receipt"
)

// smallJobs are seeds that reach every command the decoder knows, short
// enough for the fuzzer to minimize quickly.
var smallJobs = []string{
	"", "\x1b@\x1ba\x01\xb0\xec\n\x1dV\x01", "\x1c.\xb0\xec\x1c&\xb0",
	"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x03\x1d(k\x03\x001E1\x1d(k\x06\x001P0abc\x1d(k\x03\x001Q0",
	"\x1dv0\x03\x01\x00\x02\x00\xff\x81", "\x1b*\x21\x01\x00abc", "\x1b&\x03AB\x01abc\x00",
	"\x1dkA\x03123\x1dk\x04ABC\x00", "\x1d8L\x01\x00\x00\x00x", "\x10\x14\x08abcdefg",
	"\x1d!\x77\xb0\xec\t\x1b-\x01x\x1b!\xb8y\x1b3\x00\n\x1bJ\xff", "\x81\x30\x81\x30\x84\x31\xa4\x37",
	"\x1bD\x08\x10\x00\x1bt\x10\x1c!\x04\x1dVB\x10\x1b2\x1bd\x02\r",
}

// FuzzDecode: Decode never panics; what it accepts it gives back byte for
// byte (Append) and decodes the same again; what it rejects is an *Error
// wrapping a sentinel at an offset inside the job. Seeds: the receipts of
// both QR modes on both papers, and smallJobs.
func FuzzDecode(f *testing.F) {
	for _, paper := range papers {
		for _, mode := range qrModes {
			f.Add(encode(f, sampleReceipt(f, ""), paper, mode))
		}
	}
	for _, s := range smallJobs {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, job []byte) {
		ops, err := escpos.Decode(job)
		if err != nil {
			checkError(t, err, len(job))
			return
		}
		back := escpos.Append(nil, ops...)
		if !bytes.Equal(back, job) {
			t.Fatalf("Append(Decode(job)) = %q, want %q", back, job)
		}
		again, err := escpos.Decode(back)
		if err != nil || !reflect.DeepEqual(again, ops) {
			t.Fatalf("Decode(Append(ops)) = %v, %v; want the same ops", again, err)
		}
	})
}

// FuzzRender: drawing whatever Decode accepts never panics; it gives paper
// of the right width and bounded length, or an *Error. Seeds: the native
// QR receipts (the raster ones are too big to minimize quickly; their
// raster path is in smallJobs) and smallJobs.
func FuzzRender(f *testing.F) {
	for _, paper := range papers {
		f.Add(encode(f, sampleReceipt(f, ""), paper, receipt.QRNative))
	}
	for _, s := range smallJobs {
		f.Add([]byte(s))
	}
	r := &escpos.Renderer{Dots: 384, Font: font(f), MaxHeight: 4096}
	f.Fuzz(func(t *testing.T, job []byte) {
		ops, err := escpos.Decode(job)
		if err != nil {
			return
		}
		img, err := r.Render(ops)
		if err != nil {
			checkError(t, err, len(job))
			return
		}
		if img.Rect.Dx() != 384 || img.Rect.Dy() < 1 || img.Rect.Dy() > 4096 || len(img.Pix) != img.Rect.Dx()*img.Rect.Dy() {
			t.Fatalf("paper %v with %d dots", img.Rect, len(img.Pix))
		}
	})
}

func checkError(t *testing.T, err error, n int) {
	t.Helper()
	var e *escpos.Error
	if !errors.As(err, &e) || e.Err == nil || e.Off < 0 || e.Off > n {
		t.Fatalf("error %v (%T) is not an *Error at an offset in the %d-byte job", err, err, n)
	}
	for _, s := range []error{escpos.ErrTruncated, escpos.ErrUnknown, escpos.ErrParam, escpos.ErrText, escpos.ErrUnsupported, escpos.ErrPaper, escpos.ErrNoQRData} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}
