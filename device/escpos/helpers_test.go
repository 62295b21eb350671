package escpos_test

import (
	"flag"
	"hash/crc32"
	"sync"
	"testing"
	"time"

	"evalpad/device/escpos"
	"evalpad/display"
	"evalpad/display/receipt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testKey is the receipts' token key (32 bytes, as provisioning hands out).
var testKey = receipt.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")}

// testAt is when the sample receipt is printed; its token expires 30 days later.
var testAt = time.Date(2026, 11, 25, 10, 3, 12, 0, time.FixedZone("CST", 8*3600))

const (
	testBase    = "https://hcp.example.gov.cn/rate"
	testDevice  = "TA-ZWFW-W12"
	testProject = "37090020261125000123"
)

var (
	papers  = []int{58, 80}
	qrModes = []string{receipt.QRNative, receipt.QRRaster}
)

// sampleReceipt is the receipt of display/receipt's golden files, with the
// given scan URL ("" = the genuine one).
func sampleReceipt(t testing.TB, url string) receipt.Receipt {
	t.Helper()
	if url == "" {
		var err error
		url, err = receipt.ScanURL(testBase, testKey, testProject, testDevice, testAt.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
	}
	return receipt.Receipt{
		Hall:      "泰安市政务服务中心",
		Window:    "12",
		StaffID:   "TA0123",
		ProjectNo: testProject,
		TaskName:  "企业设立登记（有限责任公司）变更登记及章程备案、公章刻制备案",
		At:        testAt,
		URL:       url,
	}
}

func encode(t testing.TB, r receipt.Receipt, paper int, mode string) []byte {
	t.Helper()
	b, err := receipt.Encode(r, receipt.Profile{Paper: paper, QR: mode})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testFont is parsed once for all tests; no test draws with it from two
// goroutines (the SimPrinter tests that print concurrently load their own).
var testFont = sync.OnceValues(func() (*display.Font, error) { return display.LoadFont(nil) })

func font(t testing.TB) *display.Font {
	t.Helper()
	f, err := testFont()
	if err != nil {
		t.Fatalf("%v (CI installs Debian's fonts-droid-fallback)", err)
	}
	return f
}

func renderer(t testing.TB, paper int) *escpos.Renderer {
	t.Helper()
	dots, err := escpos.DotsFor(paper)
	if err != nil {
		t.Fatal(err)
	}
	return &escpos.Renderer{Dots: dots, Font: font(t)}
}

func crc(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
