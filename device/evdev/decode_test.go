package evdev

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

// Records written out byte by byte, independent of AppendEvent: KEY_5 down
// at 1795000000.123456.
var (
	rawKey5Down64 = []byte{
		0xc0, 0x86, 0xfd, 0x6a, 0, 0, 0, 0, // tv_sec 1795000000
		0x40, 0xe2, 0x01, 0, 0, 0, 0, 0, // tv_usec 123456
		0x01, 0x00, // EV_KEY
		0x06, 0x00, // KEY_5
		0x01, 0x00, 0x00, 0x00, // 1
	}
	rawKey5Down32 = []byte{
		0xc0, 0x86, 0xfd, 0x6a,
		0x40, 0xe2, 0x01, 0,
		0x01, 0x00,
		0x06, 0x00,
		0x01, 0x00, 0x00, 0x00,
	}
	// ABS_MT_TRACKING_ID -1, a negative value.
	rawLift64 = []byte{
		0xc0, 0x86, 0xfd, 0x6a, 0, 0, 0, 0,
		0x40, 0xe2, 0x01, 0, 0, 0, 0, 0,
		0x03, 0x00,
		0x39, 0x00,
		0xff, 0xff, 0xff, 0xff,
	}
)

func decodeAll(t *testing.T, b []byte, f Format) []Event {
	t.Helper()
	var evs []Event
	if err := DecodeFormat(bytes.NewReader(b), f, func(e Event) error {
		evs = append(evs, e)
		return nil
	}); err != nil {
		t.Fatalf("DecodeFormat: %v", err)
	}
	return evs
}

func TestDecodeLayout(t *testing.T) {
	key5 := Event{Sec: 1795000000, Usec: 123456, Type: EvKey, Code: Key5, Value: 1}
	lift := Event{Sec: 1795000000, Usec: 123456, Type: EvAbs, Code: AbsMTTrackingID, Value: -1}
	tests := []struct {
		name string
		b    []byte
		f    Format
		want []Event
	}{
		{"64-bit", rawKey5Down64, Format64, []Event{key5}},
		{"32-bit", rawKey5Down32, Format32, []Event{key5}},
		{"negative value", rawLift64, Format64, []Event{lift}},
		{"two records", append(slices.Clone(rawKey5Down64), rawLift64...), Format64, []Event{key5, lift}},
		{"empty", nil, Format64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, tt.b, tt.f)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			var enc []byte
			for _, e := range got {
				enc = AppendEvent(enc, tt.f, e)
			}
			if !bytes.Equal(enc, tt.b) {
				t.Fatalf("AppendEvent = % x, want % x", enc, tt.b)
			}
		})
	}
	// Decode reads this process's layout: 16 bytes on arm, 24 on arm64.
	native := map[Format][]byte{Format64: rawKey5Down64, Format32: rawKey5Down32}[NativeFormat]
	if native == nil {
		t.Fatalf("NativeFormat = %d", NativeFormat)
	}
	var got []Event
	if err := Decode(bytes.NewReader(native), func(e Event) error { got = append(got, e); return nil }); err != nil || !slices.Equal(got, []Event{key5}) {
		t.Fatalf("Decode native = %v, %v; want %v", got, err, key5)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, n := range []int{1, 8, 16, 23} {
		err := DecodeFormat(bytes.NewReader(rawKey5Down64[:n]), Format64, func(Event) error {
			t.Fatal("fn called for a truncated record")
			return nil
		})
		if !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%d bytes: err = %v, want ErrTruncated", n, err)
		}
	}
	// A whole record, then a partial one: the first is delivered.
	b := append(slices.Clone(rawKey5Down32), rawKey5Down32[:5]...)
	n := 0
	err := DecodeFormat(bytes.NewReader(b), Format32, func(Event) error { n++; return nil })
	if n != 1 || !errors.Is(err, ErrTruncated) {
		t.Errorf("whole+partial: %d events, err %v; want 1, ErrTruncated", n, err)
	}
	stop := errors.New("stop")
	if err := DecodeFormat(bytes.NewReader(rawKey5Down64), Format64, func(Event) error { return stop }); err != stop {
		t.Errorf("fn error: got %v", err)
	}
	if err := DecodeFormat(bytes.NewReader(nil), 20, nil); !errors.Is(err, ErrFormat) {
		t.Errorf("format 20: got %v", err)
	}
	// Records split across reads (a pipe) are reassembled.
	r := io.MultiReader(bytes.NewReader(rawKey5Down64[:5]), bytes.NewReader(rawKey5Down64[5:17]), bytes.NewReader(rawKey5Down64[17:]))
	var got []Event
	if err := DecodeFormat(r, Format64, func(e Event) error { got = append(got, e); return nil }); err != nil || len(got) != 1 || got[0].Code != Key5 {
		t.Errorf("split reads: %v, %v", got, err)
	}
}

func TestRecordedKeypad(t *testing.T) {
	for _, c := range []struct {
		file string
		f    Format
	}{{"keypad-5-2.ev64", Format64}, {"keypad-5-2.ev32", Format32}} {
		t.Run(c.file, func(t *testing.T) {
			evs := decodeAll(t, readRecording(t, c.file), c.f)
			if len(evs) != 22 {
				t.Fatalf("%d events, want 22", len(evs))
			}
			if want := (Event{Sec: 1795000000, Usec: 123456, Type: EvMsc, Code: MscScan, Value: 0x7005d}); evs[0] != want {
				t.Fatalf("first event %v, want %v", evs[0], want)
			}
			if want := (Event{Sec: 1795000000, Usec: 373456, Type: EvKey, Code: KeyKP5, Value: KeyRepeat}); evs[3] != want {
				t.Fatalf("event 3 %v, want %v", evs[3], want)
			}
			var d keyDecoder
			var stars []int
			for _, e := range evs {
				if s, ok := d.handle(e, DefaultKeys()); ok {
					stars = append(stars, s)
				}
			}
			if !slices.Equal(stars, []int{5, 2}) {
				t.Fatalf("stars %v, want [5 2]", stars)
			}
		})
	}
}

func TestKeySynDropped(t *testing.T) {
	r := newRec()
	r.key(Key1, KeyDown).syn(10)
	r.ev(EvSyn, SynDropped, 0).key(Key3, KeyDown).syn(10) // lost with the drop
	r.key(Key4, KeyDown).syn(10)
	var d keyDecoder
	var stars []int
	for _, e := range r.events {
		if s, ok := d.handle(e, DefaultKeys()); ok {
			stars = append(stars, s)
		}
	}
	if !slices.Equal(stars, []int{1, 4}) {
		t.Fatalf("stars %v, want [1 4]", stars)
	}
}

func FuzzDecode(f *testing.F) {
	for _, r := range recordings {
		f.Add(r.rec().bytes(r.format), r.format == Format32)
	}
	f.Add(rawKey5Down64[:7], false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, b []byte, small bool) {
		format := Format64
		if small {
			format = Format32
		}
		var enc []byte
		n := 0
		err := DecodeFormat(bytes.NewReader(b), format, func(e Event) error {
			n++
			enc = AppendEvent(enc, format, e)
			return nil
		})
		whole := len(b) / int(format)
		if n != whole {
			t.Fatalf("%d events from %d bytes, want %d", n, len(b), whole)
		}
		if len(b)%int(format) != 0 {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%d bytes: err %v, want ErrTruncated", len(b), err)
			}
		} else if err != nil {
			t.Fatalf("err %v", err)
		}
		if !bytes.Equal(enc, b[:whole*int(format)]) {
			t.Fatalf("round trip: % x, want % x", enc, b[:whole*int(format)])
		}
	})
}
