package escpos_test

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"evalpad/device/escpos"
	"evalpad/display"
	"evalpad/display/receipt"
)

func TestSimPrinterFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "receipts")
	p := &escpos.SimPrinter{Dir: dir, Paper: 80, Font: font(t)}
	if _, _, ok := p.Latest(); ok {
		t.Fatal("Latest has a job before any Print")
	}
	job := encode(t, sampleReceipt(t, ""), 80, receipt.QRNative)
	for want := 1; want <= 2; want++ {
		n, err := p.Print(job)
		if err != nil || n != want {
			t.Fatalf("Print = %d, %v; want job %d", n, err, want)
		}
	}
	pngBytes, bin, ok := p.Latest()
	if !ok || !bytes.Equal(bin, job) {
		t.Fatalf("Latest: ok %v, bin %d bytes; want the job's %d", ok, len(bin), len(job))
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 576 {
		t.Errorf("80 mm paper is %d dots wide, want 576", img.Bounds().Dx())
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, "0002.png"))
	if err != nil || !bytes.Equal(onDisk, pngBytes) {
		t.Errorf("0002.png (%v) is not Latest's PNG", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "0001.bin")); err != nil || !bytes.Equal(b, job) {
		t.Errorf("0001.bin (%v) is not the job", err)
	}

	// A bad job keeps its bytes, gets no paper, and leaves Latest alone.
	bad := []byte("\x1b@hello\n\x1bZ")
	n, err := p.Print(bad)
	var e *escpos.Error
	if n != 3 || !errors.Is(err, escpos.ErrUnknown) || !errors.As(err, &e) || e.Off != 8 {
		t.Fatalf("Print(bad job) = %d, %v; want job 3 failing with ErrUnknown at offset 8", n, err)
	}
	if want := "escpos: ESC Z at offset 8: unknown command (job 3)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "0003.bin")); err != nil || !bytes.Equal(b, bad) {
		t.Errorf("0003.bin (%v) does not keep the bad job", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "0003.png")); !os.IsNotExist(err) {
		t.Errorf("a bad job has a PNG: %v", err)
	}
	if _, lbin, _ := p.Latest(); !bytes.Equal(lbin, job) {
		t.Error("a bad job replaced Latest")
	}

	// A new printer on the same directory continues the numbering.
	p2 := &escpos.SimPrinter{Dir: dir, Paper: 80, Font: font(t)}
	if n, err := p2.Print(job); n != 4 || err != nil {
		t.Fatalf("restarted printer: Print = %d, %v; want job 4", n, err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, n := range names {
		base = append(base, filepath.Base(n))
	}
	want := []string{"0001.bin", "0001.png", "0002.bin", "0002.png", "0003.bin", "0004.bin", "0004.png"}
	if !slices.Equal(base, want) {
		t.Errorf("files %v, want %v", base, want)
	}
}

func TestSimPrinterConfig(t *testing.T) {
	p := &escpos.SimPrinter{Paper: 76}
	if _, err := p.Print([]byte("\n")); err == nil {
		t.Error("76 mm paper accepted")
	}
	mem := &escpos.SimPrinter{Font: font(t)} // no Dir, 58 mm
	if n, err := mem.Print(encode(t, sampleReceipt(t, ""), 58, receipt.QRRaster)); n != 1 || err != nil {
		t.Fatalf("Print = %d, %v", n, err)
	}
	pngBytes, _, ok := mem.Latest()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if !ok || err != nil || img.Bounds().Dx() != 384 {
		t.Fatalf("in-memory printer: Latest ok %v, png %v", ok, err)
	}
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&escpos.SimPrinter{Dir: filepath.Join(blocked, "sub")}).Print([]byte("\n")); err == nil {
		t.Error("a Dir that cannot be made is not an error")
	}
}

// TestSimPrinterConcurrent: concurrent jobs get distinct numbers and each
// file pair belongs together (run with -race).
func TestSimPrinterConcurrent(t *testing.T) {
	f, err := display.LoadFont(nil) // this printer's own font
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &escpos.SimPrinter{Dir: dir, Font: f}
	jobs := [][]byte{
		encode(t, sampleReceipt(t, ""), 58, receipt.QRNative),
		encode(t, sampleReceipt(t, ""), 58, receipt.QRRaster),
		[]byte("\x1b@\x1ba\x01TEST\n\x1dV\x01"),
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]int{}
	for i := range 12 {
		wg.Go(func() {
			n, err := p.Print(jobs[i%len(jobs)])
			if err != nil {
				t.Error(err)
				return
			}
			p.Latest()
			mu.Lock()
			seen[n] = i % len(jobs)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 12 {
		t.Fatalf("%d distinct job numbers for 12 jobs", len(seen))
	}
	for n, j := range seen {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%04d.bin", n)))
		if err != nil || !bytes.Equal(b, jobs[j]) {
			t.Errorf("job %d: file %v does not hold its bytes", n, err)
		}
	}
}
