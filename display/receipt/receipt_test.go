package receipt_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/display/receipt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testKey is the token key of the tests (32 bytes, as provisioning hands out).
var testKey = []byte("0123456789abcdef0123456789abcdef")

// testK is testKey under the id "k1".
var testK = receipt.Key{ID: "k1", Secret: testKey}

const (
	testBase   = "https://hcp.example.gov.cn/rate"
	testHost   = "hcp.example.gov.cn"
	testDevice = "TA-ZWFW-W12"
)

// testAt is when the tests' receipts are printed; testExp when their
// tokens expire (30 days later, as the pad makes them).
var (
	testAt  = time.Date(2026, 11, 25, 10, 3, 12, 0, time.FixedZone("CST", 8*3600))
	testExp = testAt.Add(30 * 24 * time.Hour)
)

// sample is the receipt of the golden files: a long task name that wraps
// on both paper widths.
func sample(t testing.TB) receipt.Receipt {
	t.Helper()
	u, err := receipt.ScanURL(testBase, testK, "37090020261125000123", testDevice, testExp)
	if err != nil {
		t.Fatal(err)
	}
	return receipt.Receipt{
		Hall:      "泰安市政务服务中心",
		Window:    "12",
		StaffID:   "TA0123",
		ProjectNo: "37090020261125000123",
		TaskName:  "企业设立登记（有限责任公司）变更登记及章程备案、公章刻制备案",
		At:        testAt,
		URL:       u,
	}
}

func TestEncodeGolden(t *testing.T) {
	for _, paper := range []int{58, 80} {
		for _, mode := range []string{receipt.QRNative, receipt.QRRaster} {
			name := fmt.Sprintf("receipt-%d-%s.bin", paper, mode)
			t.Run(name, func(t *testing.T) {
				got, err := receipt.Encode(sample(t), receipt.Profile{Paper: paper, QR: mode})
				if err != nil {
					t.Fatal(err)
				}
				golden(t, name, got)
			})
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: %d bytes, golden has %d; first difference at offset %d: got % x, want % x (go test -update rewrites the golden file after review)",
			name, len(got), len(want), i, window(got, i), window(want, i))
	}
}

func window(b []byte, i int) []byte { return b[i:min(len(b), i+16)] }

// TestEncodeStructure checks what the golden files hold without reading
// them byte by byte: the framing commands, the GB18030 text, the QR data
// or raster header, the cut at the end.
func TestEncodeStructure(t *testing.T) {
	r := sample(t)
	gb := func(s string) string {
		t.Helper()
		b, err := gbEncode(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		paper    int
		mode     string
		contains []string
	}{
		{58, receipt.QRNative, []string{
			"\x1b@\x1c&\x1ba\x01\x1bE\x01\x1d!\x11" + gb("办件回执") + "\n\x1d!\x00\x1bE\x00",
			gb("窗口：12") + "\n", gb("工号：TA0123") + "\n", gb("办件编号：37090020261125000123") + "\n",
			gb("时间：2026-11-25 10:03") + "\n",
			gb("事项：企业设立登记（有限责任公") + "\n" + gb("      司）变更登记及章程备案、公") + "\n" + gb("      章刻制备案") + "\n",
			"\x1d(k\x04\x001A2\x00", "\x1d(k\x03\x001C\x06", "\x1d(k\x03\x001E1",
			"\x1d(k" + string([]byte{byte(len(r.URL) + 3), 0}) + "1P0" + r.URL,
			"\x1d(k\x03\x001Q0" + gb("请扫码对本次服务进行评价") + "\n",
			strings.Repeat("-", 32) + "\n",
		}},
		{80, receipt.QRNative, []string{
			"\x1d(k\x03\x001C\x08",
			gb("事项：企业设立登记（有限责任公司）变更登记及章程") + "\n" + gb("      备案、公章刻制备案") + "\n",
			strings.Repeat("-", 48) + "\n",
		}},
		// The 103-byte URL (token v2) is a version 6 QR code (go-qrcode
		// puts the digits in a numeric segment): 41 modules + 8 quiet = 49;
		// ×6 = 294 dots = 37 bytes a row.
		{58, receipt.QRRaster, []string{"\x1bE\x00\x1dv0\x00\x25\x00\x26\x01"}},
		// ×8 = 392 dots = 49 bytes
		{80, receipt.QRRaster, []string{"\x1bE\x00\x1dv0\x00\x31\x00\x88\x01"}},
	} {
		b, err := receipt.Encode(r, receipt.Profile{Paper: tc.paper, QR: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.contains {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("%d mm %s: job lacks %q", tc.paper, tc.mode, want)
			}
		}
		if !bytes.HasSuffix(b, []byte("\x1ba\x00\x1bd\x04\x1dV\x01")) {
			t.Errorf("%d mm %s: job does not end with feed and cut: % x", tc.paper, tc.mode, b[len(b)-8:])
		}
		if tc.mode == receipt.QRRaster && bytes.Contains(b, []byte("\x1d(k")) {
			t.Errorf("raster job has a native QR command")
		}
	}
}

func TestEncodeRasterBits(t *testing.T) {
	r := sample(t)
	b, err := receipt.Encode(r, receipt.Profile{Paper: 58, QR: receipt.QRRaster, Module: 3})
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("\x1dv0\x00"))
	if i < 0 {
		t.Fatal("no GS v 0")
	}
	h := b[i+4:]
	xb, y := int(h[0])|int(h[1])<<8, int(h[2])|int(h[3])<<8
	// 49 modules × 3 = 147 dots → 19 bytes, 5 spare bits.
	if xb != 19 || y != 147 {
		t.Fatalf("raster %d bytes × %d rows, want 19 × 147", xb, y)
	}
	bits := h[4 : 4+xb*y]
	// The 5 spare bits are split 2 left, 3 right: dot x of the image is
	// bit x+2 of its row.
	at := func(x, y int) bool { x += 2; return bits[y*xb+x/8]&(0x80>>(x%8)) != 0 }
	// The quiet zone and the padding bits are white, the finder pattern's
	// corner black: the top left module of the symbol is at dot 4×3 = 12,
	// its last at 12 + 41×3 − 1 = 134.
	for y := range 147 {
		for x := -2; x < 150; x++ {
			if (y < 12 || x < 12 || y >= 135 || x >= 135) && at(x, y) {
				t.Fatalf("dot (%d,%d) of the quiet zone is black", x, y)
			}
		}
	}
	for _, p := range [][2]int{{12, 12}, {14, 14}, {12 + 6*3, 12}, {12, 12 + 6*3}, {134, 12}, {12, 134}} {
		if !at(p[0], p[1]) {
			t.Errorf("finder pattern dot (%d,%d) is white", p[0], p[1])
		}
	}
	if at(12+7*3, 12) || at(12+3, 12+3) || !at(12+6, 12+6) {
		t.Error("finder pattern: separator or ring not where expected")
	}
}

func TestEncodeInvalid(t *testing.T) {
	ok := sample(t)
	long := ok
	long.URL = "https://hcp.example.gov.cn/rate?x=" + strings.Repeat("a", 1200) // version 29+
	for _, tc := range []struct {
		name string
		edit func(*receipt.Receipt)
		p    receipt.Profile
		want string
	}{
		{"empty project_no", func(r *receipt.Receipt) { r.ProjectNo = "" }, receipt.Profile{Paper: 58, QR: "native"}, "empty project_no"},
		{"no time", func(r *receipt.Receipt) { r.At = time.Time{} }, receipt.Profile{Paper: 58, QR: "native"}, "no time"},
		{"no URL", func(r *receipt.Receipt) { r.URL = "" }, receipt.Profile{Paper: 58, QR: "native"}, "no scan URL"},
		{"URL with space", func(r *receipt.Receipt) { r.URL += " x" }, receipt.Profile{Paper: 58, QR: "native"}, "printable ASCII"},
		{"URL not ASCII", func(r *receipt.Receipt) { r.URL += "&x=评价" }, receipt.Profile{Paper: 58, QR: "native"}, "printable ASCII"},
		{"ESC in task", func(r *receipt.Receipt) { r.TaskName = "登记\x1bd\xff" }, receipt.Profile{Paper: 58, QR: "native"}, "task_name"},
		{"LF in hall", func(r *receipt.Receipt) { r.Hall = "大厅\n" }, receipt.Profile{Paper: 58, QR: "native"}, "control character"},
		{"C1 in staff", func(r *receipt.Receipt) { r.StaffID = "TA\u009b1" }, receipt.Profile{Paper: 58, QR: "native"}, "staff_id"},
		{"bad UTF-8", func(r *receipt.Receipt) { r.Window = "\xff" }, receipt.Profile{Paper: 58, QR: "native"}, "UTF-8"},
		{"paper 76", nil, receipt.Profile{Paper: 76, QR: "native"}, "paper 76 mm"},
		{"paper 0", nil, receipt.Profile{QR: "native"}, "paper 0 mm"},
		{"QR mode", nil, receipt.Profile{Paper: 58, QR: "bitmap"}, `QR mode "bitmap"`},
		{"QR mode empty", nil, receipt.Profile{Paper: 80}, `QR mode ""`},
		{"dots too wide", nil, receipt.Profile{Paper: 58, QR: "native", Dots: 576}, "576 dots"},
		{"dots odd", nil, receipt.Profile{Paper: 80, QR: "native", Dots: 500}, "500 dots"},
		{"columns", nil, receipt.Profile{Paper: 58, QR: "native", Columns: 33}, "33 columns"},
		{"module", nil, receipt.Profile{Paper: 58, QR: "native", Module: 17}, "module 17"},
		{"module small", nil, receipt.Profile{Paper: 58, QR: "raster", Module: 2}, "module 2"},
		{"URL too long", func(r *receipt.Receipt) { r.URL = long.URL }, receipt.Profile{Paper: 58, QR: "raster"}, "paper has 384"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			if tc.edit != nil {
				tc.edit(&r)
			}
			b, err := receipt.Encode(r, tc.p)
			if err == nil {
				t.Fatalf("Encode succeeded (%d bytes), want an error with %q", len(b), tc.want)
			}
			if !errors.Is(err, receipt.ErrInvalid) || !strings.HasPrefix(err.Error(), "receipt: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q: want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

// TestEncodeOptionalFields: empty optional fields leave their lines out.
func TestEncodeOptionalFields(t *testing.T) {
	r := sample(t)
	r.Hall, r.Window, r.StaffID, r.TaskName = "", "", "", ""
	b, err := receipt.Encode(r, receipt.Profile{Paper: 58, QR: receipt.QRNative})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"窗口", "工号", "事项"} {
		g, _ := gbEncode(s)
		if bytes.Contains(b, []byte(g)) {
			t.Errorf("empty field's label %s printed", s)
		}
	}
}

// TestEncodeShrinksModule: a URL longer than usual gets smaller modules,
// not an error, while it still fits.
func TestEncodeShrinksModule(t *testing.T) {
	r := sample(t)
	r.URL += "&x=" + strings.Repeat("a", 120) // 216 bytes: version 10, 57+8 = 65 modules
	b, err := receipt.Encode(r, receipt.Profile{Paper: 58, QR: receipt.QRNative})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\x1d(k\x03\x001C\x05")) { // 384/65 = 5
		t.Errorf("module size not shrunk to 5")
	}
}
