package printer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Recorded replies to DLE EOT 1, 2, 3, 4.
var (
	rFine      = replies{0x12, 0x12, 0x12, 0x12}
	rFineDrawe = replies{0x16, 0x12, 0x12, 0x12} // drawer pin 3 high: not a fault
	rPaperOut  = replies{0x1A, 0x32, 0x12, 0x7E} // offline; stopped by paper end; sensors: near end + end
	rCoverOpen = replies{0x1A, 0x16, 0x12, 0x12} // offline; cover open
	rOffline   = replies{0x1A, 0x1A, 0x12, 0x12} // offline while paper is fed by the button
	rNearEnd   = replies{0x12, 0x12, 0x12, 0x1E} // online, paper near end
	rCutter    = replies{0x1A, 0x52, 0x1A, 0x12} // offline; error: autocutter
	rMechError = replies{0x12, 0x12, 0x16, 0x12} // error cause bit 2 alone
	rEndSensor = replies{0x12, 0x12, 0x12, 0x72} // paper end sensor only (n=4 bits 5, 6)
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    replies
		want Status
	}{
		{"fine", rFine, Status{Online: true}},
		{"fine, drawer pin high", rFineDrawe, Status{Online: true}},
		{"paper out", rPaperOut, Status{Offline: true, PaperOut: true, PaperNearEnd: true}},
		{"cover open", rCoverOpen, Status{Offline: true, CoverOpen: true}},
		{"offline", rOffline, Status{Offline: true}},
		{"near end", rNearEnd, Status{Online: true, PaperNearEnd: true}},
		{"cutter error", rCutter, Status{Offline: true, Error: true}},
		{"mechanical error", rMechError, Status{Online: true, Error: true}},
		{"end sensor", rEndSensor, Status{Online: true, PaperOut: true}},
		{"n=2 bit 5 alone", replies{0x12, 0x32, 0x12, 0x12}, Status{Online: true, PaperOut: true}},
		{"n=4 bit 2 alone", replies{0x12, 0x12, 0x12, 0x16}, Status{Online: true, PaperNearEnd: true}},
		{"n=3 unrecoverable", replies{0x12, 0x12, 0x32, 0x12}, Status{Online: true, Error: true}},
		{"n=3 auto-recoverable", replies{0x12, 0x12, 0x52, 0x12}, Status{Online: true, Error: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Status{Jobs: 3, Failed: 1, LastError: "kept"}
			if err := tc.r.decode(&got, Profile{}); err != nil {
				t.Fatal(err)
			}
			tc.want.Jobs, tc.want.Failed, tc.want.LastError = 3, 1, "kept"
			if got != tc.want {
				t.Errorf("decode(% x) = %+v, want %+v", tc.r[:], got, tc.want)
			}
		})
	}
	for _, r := range []replies{{0x00, 0x12, 0x12, 0x12}, {0x12, 0x13, 0x12, 0x12}, {0x12, 0x12, 0x92, 0x12}, {0x12, 0x12, 0x12, 0x02}} {
		var s Status
		if err := r.decode(&s, Profile{}); !errors.Is(err, ErrBadReply) {
			t.Errorf("decode(% x) = %v, want ErrBadReply", r[:], err)
		}
	}
}

// Any four bytes decode to an error or to a status whose every flag is
// the bit(s) the spec says.
func FuzzDecode(f *testing.F) {
	for _, r := range []replies{rFine, rPaperOut, rCoverOpen, rCutter, {0xFF, 0, 0, 0}} {
		f.Add(r[0], r[1], r[2], r[3])
	}
	f.Fuzz(func(t *testing.T, a, b, c, d byte) {
		r := replies{a, b, c, d}
		var s Status
		err := r.decode(&s, Profile{})
		valid := true
		for _, x := range r {
			valid = valid && x&0x93 == 0x12
		}
		if (err == nil) != valid {
			t.Fatalf("decode(% x) = %v, valid %v", r[:], err, valid)
		}
		if err != nil {
			return
		}
		want := Status{
			Offline:      a&8 != 0,
			Online:       a&8 == 0,
			CoverOpen:    b&4 != 0,
			PaperOut:     b&0x20 != 0 || d&0x60 != 0,
			PaperNearEnd: d&0x0C != 0,
			Error:        b&0x40 != 0 || c&0x6C != 0,
		}
		if s != want {
			t.Fatalf("decode(% x) = %+v, want %+v", r[:], s, want)
		}
	})
}

// The same replies read per profile: Citizen presenter models set DLE EOT
// 4 bit 6 when no receipt waits at the presenter (normal), and some
// printers set DLE EOT 3 bit 2 for a black mark not found.
func TestDecodeProfiles(t *testing.T) {
	profile := func(name string) Profile {
		p, err := ProfileByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	noPresented := replies{0x12, 0x12, 0x12, 0x52} // n=4 bit 6 alone
	paperEnd := replies{0x1A, 0x32, 0x12, 0x72}    // n=4 bits 5 and 6, n=2 bit 5
	for _, tc := range []struct {
		profile string
		r       replies
		want    Status
	}{
		{"epson", noPresented, Status{Online: true, PaperOut: true}},
		{"citizen-presenter", noPresented, Status{Online: true}},
		{"citizen-presenter", rFine, Status{Online: true, Presenting: true}},
		{"citizen-presenter", paperEnd, Status{Offline: true, PaperOut: true}},
		{"citizen-presenter", replies{0x12, 0x12, 0x12, 0x32}, Status{Online: true, PaperOut: true, Presenting: true}},
		{"epson", rMechError, Status{Online: true, Error: true}},
		{"black-mark", rMechError, Status{Online: true, MarkError: true}},
		{"black-mark", rCutter, Status{Offline: true, Error: true}},
		{"black-mark", replies{0x12, 0x12, 0x1E, 0x12}, Status{Online: true, Error: true, MarkError: true}},
		{"gb2312-only", rPaperOut, Status{Offline: true, PaperOut: true, PaperNearEnd: true}},
		{"", noPresented, Status{Online: true, PaperOut: true}},
	} {
		t.Run(fmt.Sprintf("%s/% x", tc.profile, tc.r[:]), func(t *testing.T) {
			var got Status
			if err := tc.r.decode(&got, profile(tc.profile)); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("decode = %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := ProfileByName("star"); err == nil || !strings.Contains(err.Error(), `unknown profile "star" (known: epson, citizen-presenter, gb2312-only, black-mark)`) {
		t.Errorf("ProfileByName(star) = %v", err)
	}
}
