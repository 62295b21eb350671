package escpos_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"evalpad/device/escpos"
)

// TestDecode reads like a script of printer bytes: each job and the ops
// (as dumped) or the error it decodes to.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		job  string
		want []string // Op.String of each op
		err  error
	}{
		{"empty", "", nil, nil},
		{"init and text", "\x1b@AB 12\n", []string{"ESC @", `text "AB 12"`, "LF"}, nil},
		{"GB18030 two-byte", "\xb0\xec\xbc\xfe\xbb\xd8\xd6\xb4\n", []string{`text "办件回执"`, "LF"}, nil},
		{"GB18030 four-byte", "\x81\x30\x81\x30\x95\x32\x82\x36", []string{"text \"\\u0080\U00020000\""}, nil},
		{"GB18030 U+FFFD itself", "\x84\x31\xa4\x37", []string{"text \"\ufffd\""}, nil},
		{"Chinese mode off", "\x1c.\xb0\xec\x1c&\xb0\xec", []string{"FS .", `text "??"`, "FS &", `text "办"`}, nil},
		{"CR HT", "a\rb\tc", []string{`text "a"`, "CR", `text "b"`, "HT", `text "c"`}, nil},
		{"modes", "\x1ba\x01\x1bE\x01\x1b-\x02\x1b!\xb8\x1d!\x11\x1b3\x40\x1b2\x1bd\x04\x1bJ\x10",
			[]string{"ESC a 1", "ESC E 1", "ESC - 2", "ESC ! 184", "GS ! 17", "ESC 3 64", "ESC 2", "ESC d 4", "ESC J 16"}, nil},
		{"align ASCII digits", "\x1ba0\x1ba2", []string{"ESC a 48", "ESC a 50"}, nil},
		{"QR", "\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x06\x1d(k\x03\x001E1\x1d(k\x06\x001P0abc\x1d(k\x03\x001Q0",
			[]string{"GS ( k 165 model 50 0", "GS ( k 167 module 6", "GS ( k 169 level 49", `GS ( k 180 store "abc"`, "GS ( k 181"}, nil},
		{"QR size info skipped", "\x1d(k\x03\x001R0", []string{"skip GS ( k (8 bytes)"}, nil},
		{"PDF417 skipped", "\x1d(k\x03\x000A\x04", []string{"skip GS ( k (8 bytes)"}, nil},
		{"GS ( L skipped", "\x1d(L\x02\x000E", []string{"skip GS ( L (7 bytes)"}, nil},
		{"raster", "\x1dv0\x00\x01\x00\x02\x00\x80\x01", []string{"GS v 0 mode 0, 8×2 dots, crc32 " + fmt.Sprintf("%08x", crc([]byte{0x80, 0x01}))}, nil},
		{"cuts", "\x1dV\x00\x1dV1\x1dVB\x10\x1dVh\x00", []string{"GS V 0", "GS V 49", "GS V 66 16", "GS V 104 0"}, nil},
		{"skipped ESC", "\x1bt\x10\x1bR\x0f\x1b \x02\x1bM\x01\x1bp\x00\x19\xfa\x1bD\x08\x10\x00\x1b*\x00\x02\x00\xff\xff",
			[]string{"skip ESC t (3 bytes)", "skip ESC R (3 bytes)", "skip ESC 0x20 (3 bytes)", "skip ESC M (3 bytes)", "skip ESC p (5 bytes)", "skip ESC D (5 bytes)", "skip ESC * (7 bytes)"}, nil},
		{"skipped ESC * 24-dot", "\x1b*\x21\x01\x00abc", []string{"skip ESC * (8 bytes)"}, nil},
		{"skipped ESC &", "\x1b&\x03AB\x01abc\x00", []string{"skip ESC & (10 bytes)"}, nil},
		{"skipped GS", "\x1dL\x00\x00\x1dW\x80\x01\x1dH\x02\x1dh\x50\x1dkA\x03123\x1dk\x04ABC\x00\x1d8L\x01\x00\x00\x00x",
			[]string{"skip GS L (4 bytes)", "skip GS W (4 bytes)", "skip GS H (3 bytes)", "skip GS h (3 bytes)", "skip GS k (7 bytes)", "skip GS k (7 bytes)", "skip GS 8 L (8 bytes)"}, nil},
		{"skipped FS DLE NUL", "\x1c!\x04\x1cS\x00\x00\x10\x04\x01\x10\x14\x01\x00\x01\x00\x0c\x18",
			[]string{"skip FS ! (3 bytes)", "skip FS S (4 bytes)", "skip DLE 0x04 (3 bytes)", "skip DLE 0x14 (5 bytes)", "skip NUL (1 bytes)", "skip FF (1 bytes)", "skip CAN (1 bytes)"}, nil},

		{"unknown ESC", "\x1bZ", nil, escpos.ErrUnknown},
		{"unknown GS", "\x1d\x01", nil, escpos.ErrUnknown},
		{"unknown FS", "\x1cq\x01", nil, escpos.ErrUnknown},
		{"unknown DLE", "\x10\x01", nil, escpos.ErrUnknown},
		{"GS v 1", "\x1dv1\x00\x01\x00\x01\x00\x00", nil, escpos.ErrUnknown},
		{"GS 8 k", "\x1d8k\x01\x00\x00\x00\x00", nil, escpos.ErrUnknown},
		{"control byte", "ab\x07", nil, escpos.ErrUnknown},
		{"DEL", "\x7f", nil, escpos.ErrUnknown},
		{"ESC a 3", "\x1ba\x03", nil, escpos.ErrParam},
		{"ESC - 3", "\x1b-\x03", nil, escpos.ErrParam},
		{"GS ! 0x88", "\x1d!\x88", nil, escpos.ErrParam},
		{"GS V 2", "\x1dV\x02", nil, escpos.ErrParam},
		{"raster mode 4", "\x1dv0\x04\x01\x00\x01\x00\x00", nil, escpos.ErrParam},
		{"raster zero width", "\x1dv0\x00\x00\x00\x01\x00", nil, escpos.ErrParam},
		{"QR model 4", "\x1d(k\x04\x001A4\x00", nil, escpos.ErrParam},
		{"QR model long", "\x1d(k\x05\x001A2\x00\x00", nil, escpos.ErrParam},
		{"QR module 0", "\x1d(k\x03\x001C\x00", nil, escpos.ErrParam},
		{"QR module 17", "\x1d(k\x03\x001C\x11", nil, escpos.ErrParam},
		{"QR level 52", "\x1d(k\x03\x001E4", nil, escpos.ErrParam},
		{"QR store empty", "\x1d(k\x03\x001P0", nil, escpos.ErrParam},
		{"QR store m", "\x1d(k\x04\x001P1a", nil, escpos.ErrParam},
		{"QR print m", "\x1d(k\x03\x001Q1", nil, escpos.ErrParam},
		{"ESC * mode", "\x1b*\x02\x01\x00\x00", nil, escpos.ErrParam},
		{"ESC D too many", "\x1bD" + strings.Repeat("\x01", 33) + "\x00", nil, escpos.ErrParam},
		{"GS k system", "\x1dk\x07", nil, escpos.ErrParam},
		{"DLE DC4 fn", "\x10\x14\x03", nil, escpos.ErrParam},
		{"bad GB lead", "\x80", nil, escpos.ErrText},
		{"bad GB lead FF", "a\xff", nil, escpos.ErrText},
		{"bad GB trail", "\xb0\x20", nil, escpos.ErrText},
		{"GB cut by LF", "\xb0\n", nil, escpos.ErrText},
		{"bad GB four-byte", "\x81\x30\x20\x30", nil, escpos.ErrText},
		{"unmapped four-byte", "\x84\x31\xa5\x30", nil, escpos.ErrText},
		{"unmapped four-byte high", "\xfe\x39\xfe\x39", nil, escpos.ErrText},

		{"truncated ESC", "\x1b", nil, escpos.ErrTruncated},
		{"truncated ESC a", "\x1ba", nil, escpos.ErrTruncated},
		{"truncated GS V B", "\x1dVB", nil, escpos.ErrTruncated},
		{"truncated raster header", "\x1dv0\x00\x01\x00", nil, escpos.ErrTruncated},
		{"truncated raster data", "\x1dv0\x00\x02\x00\x02\x00abc", nil, escpos.ErrTruncated},
		{"truncated QR store", "\x1d(k\x10\x001P0https", nil, escpos.ErrTruncated},
		{"truncated GS ( k header", "\x1d(k\x03", nil, escpos.ErrTruncated},
		{"truncated GB18030", "\xb0", nil, escpos.ErrTruncated},
		{"truncated GB18030 four", "\x81\x30\x81", nil, escpos.ErrTruncated},
		{"truncated ESC D", "\x1bD\x01\x02", nil, escpos.ErrTruncated},
		{"truncated GS k", "\x1dk\x04AB", nil, escpos.ErrTruncated},
		{"truncated GS 8 L", "\x1d8L\xff\xff\xff\x7f", nil, escpos.ErrTruncated},
		{"truncated ESC &", "\x1b&\x03AB\x01abc", nil, escpos.ErrTruncated},
		{"truncated FS 2", "\x1c2\xfe\xa1", nil, escpos.ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := escpos.Decode([]byte(tc.job))
			if tc.err != nil {
				var e *escpos.Error
				if !errors.Is(err, tc.err) || !errors.As(err, &e) {
					t.Fatalf("Decode(%q) = %v, %v; want an *Error wrapping %v", tc.job, ops, err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "escpos: ") || strings.Contains(err.Error(), "escpos: escpos") {
					t.Errorf("error %q: want one package prefix", err)
				}
				if e.Off < 0 || e.Off >= len(tc.job) {
					t.Errorf("error offset %d outside the %d-byte job", e.Off, len(tc.job))
				}
				if ops != nil {
					t.Errorf("ops returned with an error: %v", ops)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tc.job, err)
			}
			var got []string
			for _, o := range ops {
				got = append(got, o.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode(%q) =\n%s\nwant\n%s", tc.job, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if back := escpos.Append(nil, ops...); string(back) != tc.job {
				t.Errorf("Append(Decode(job)) = %q, want the job %q", back, tc.job)
			}
		})
	}
}

// TestDecodeErrorMessage: the error names the command and the offset.
func TestDecodeErrorMessage(t *testing.T) {
	_, err := escpos.Decode([]byte("\x1b@ab\x1dv0\x00\x02\x00\x02\x00abc"))
	want := "escpos: GS v 0 at offset 4: truncated: needs 12 bytes, the job has 11 more"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	_, err = escpos.Decode([]byte("ok\n\xb0\xec\xb0\x20"))
	want = "escpos: text at offset 5: invalid GB18030 text: bad second byte: b0 20"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

// TestDecodeReceipts: the receipts decode to the ops in testdata (golden,
// reviewed by reading them), and every byte is accounted for.
func TestDecodeReceipts(t *testing.T) {
	for _, paper := range papers {
		for _, mode := range qrModes {
			job := encode(t, sampleReceipt(t, ""), paper, mode)
			ops, err := escpos.Decode(job)
			if err != nil {
				t.Fatalf("%d mm %s: %v", paper, mode, err)
			}
			if back := escpos.Append(nil, ops...); !bytes.Equal(back, job) {
				t.Fatalf("%d mm %s: Append(Decode(job)) differs from the job", paper, mode)
			}
			for _, o := range ops {
				if o.Code == escpos.Skip {
					t.Errorf("%d mm %s: the receipt has a command the simulator skips: %v", paper, mode, o)
				}
			}
			golden(t, fmt.Sprintf("receipt-%d-%s.txt", paper, mode), []byte(escpos.Dump(ops)))
		}
	}
}

// TestDecodePrefixes: every prefix of a receipt either ends between two
// ops and decodes to them, or is reported truncated — never anything else.
func TestDecodePrefixes(t *testing.T) {
	for _, mode := range qrModes {
		job := encode(t, sampleReceipt(t, ""), 58, mode)
		full, err := escpos.Decode(job)
		if err != nil {
			t.Fatal(err)
		}
		bounds := map[int]bool{}
		for _, o := range full {
			bounds[o.Off] = true
		}
		for n := range len(job) {
			ops, err := escpos.Decode(job[:n])
			switch {
			case err == nil:
				if back := escpos.Append(nil, ops...); !bytes.Equal(back, job[:n]) {
					t.Fatalf("%s prefix %d: Append(Decode(prefix)) differs", mode, n)
				}
			case errors.Is(err, escpos.ErrTruncated):
				if bounds[n] {
					t.Fatalf("%s prefix %d ends between two ops but is reported truncated: %v", mode, n, err)
				}
			default:
				t.Fatalf("%s prefix %d: %v; want success or ErrTruncated", mode, n, err)
			}
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
		t.Errorf("%s differs from the golden file (go test -update rewrites it after review):\n%s", name, got)
	}
}
