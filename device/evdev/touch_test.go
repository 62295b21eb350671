package evdev

import (
	"image"
	"slices"
	"testing"
)

func TestMapper(t *testing.T) {
	panel := image.Pt(800, 480)
	r100 := image.Pt(100, 100)
	tests := []struct {
		name string
		t    Touch
		raw  image.Point
		want image.Point
	}{
		{"origin", Touch{}, image.Pt(0, 0), image.Pt(0, 0)},
		{"x max", Touch{}, image.Pt(100, 0), image.Pt(799, 0)},
		{"y max", Touch{}, image.Pt(0, 100), image.Pt(0, 479)},
		{"inside rounds", Touch{}, image.Pt(25, 50), image.Pt(200, 240)},
		{"clamped", Touch{}, image.Pt(-50, 200), image.Pt(0, 479)},
		{"rot90 origin", Touch{Rotate: 90}, image.Pt(0, 0), image.Pt(799, 0)},
		{"rot90 x max", Touch{Rotate: 90}, image.Pt(100, 0), image.Pt(799, 479)},
		{"rot90 y max", Touch{Rotate: 90}, image.Pt(0, 100), image.Pt(0, 0)},
		{"rot180 origin", Touch{Rotate: 180}, image.Pt(0, 0), image.Pt(799, 479)},
		{"rot180 inside", Touch{Rotate: 180}, image.Pt(25, 50), image.Pt(599, 240)},
		{"rot270 origin", Touch{Rotate: 270}, image.Pt(0, 0), image.Pt(0, 479)},
		{"rot270 x max", Touch{Rotate: 270}, image.Pt(100, 0), image.Pt(0, 0)},
		{"swap", Touch{SwapXY: true}, image.Pt(100, 0), image.Pt(0, 479)},
		{"invert x", Touch{InvertX: true}, image.Pt(0, 0), image.Pt(799, 0)},
		{"invert y", Touch{InvertY: true}, image.Pt(0, 0), image.Pt(0, 479)},
		{"swap then invert x", Touch{SwapXY: true, InvertX: true}, image.Pt(0, 100), image.Pt(0, 0)},
		{"offset range", Touch{Min: image.Pt(100, 200), Max: image.Pt(300, 400)}, image.Pt(200, 300), image.Pt(400, 240)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.t.Panel = panel
			lo, hi := tt.t.Min, tt.t.Max
			if hi == (image.Point{}) {
				hi = r100
			}
			if got := tt.t.mapper(lo, hi).point(tt.raw); got != tt.want {
				t.Fatalf("point(%v) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func taps(t *testing.T, evs []Event) []image.Point {
	t.Helper()
	var s touchState
	var got []image.Point
	for _, e := range evs {
		if p, ok := s.handle(e); ok {
			got = append(got, p)
		}
	}
	return got
}

func TestRecordedTouch(t *testing.T) {
	tests := []struct {
		file  string
		f     Format
		touch Touch
		raw   []image.Point
		panel []image.Point
	}{
		{
			"touch-single.ev64", Format64,
			Touch{Panel: image.Pt(800, 480), Max: image.Pt(4095, 4095)},
			// 1010/4095*799 = 197.07, 3000/4095*479 = 350.92, 500/4095*479 = 58.49
			[]image.Point{{1010, 3000}, {1010, 500}},
			[]image.Point{{197, 351}, {197, 58}},
		},
		{
			"touch-multi.ev64", Format64,
			Touch{Panel: image.Pt(1024, 600), Max: image.Pt(1023, 599)},
			[]image.Point{{310, 200}}, []image.Point{{310, 200}},
		},
		{
			"touch-multi.ev32", Format32,
			Touch{Panel: image.Pt(600, 1024), Max: image.Pt(1023, 599), Rotate: 90},
			// (1-200/599)*599 = 399, 310/1023*1023 = 310
			[]image.Point{{310, 200}}, []image.Point{{399, 310}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := taps(t, decodeAll(t, readRecording(t, tt.file), tt.f))
			if !slices.Equal(raw, tt.raw) {
				t.Fatalf("raw taps %v, want %v", raw, tt.raw)
			}
			m := tt.touch.mapper(tt.touch.Min, tt.touch.Max)
			for i, p := range raw {
				if got := m.point(p); got != tt.panel[i] {
					t.Fatalf("tap %d at %v, want %v", i, got, tt.panel[i])
				}
			}
		})
	}
}

func TestTouchTypeB(t *testing.T) {
	// No BTN_TOUCH, no ABS_X: slots only. The first finger (slot 2) lifts
	// first; the tap ends when the last finger lifts and is reported at the
	// first finger's last position.
	r := newRec()
	r.abs(AbsMTSlot, 2).abs(AbsMTTrackingID, 7).abs(AbsMTPositionX, 50).abs(AbsMTPositionY, 60).syn(10)
	r.abs(AbsMTSlot, 3).abs(AbsMTTrackingID, 8).abs(AbsMTPositionX, 500).abs(AbsMTPositionY, 600).syn(10)
	r.abs(AbsMTSlot, 2).abs(AbsMTPositionY, 61).syn(10)
	r.abs(AbsMTTrackingID, -1).syn(10)
	r.abs(AbsMTSlot, 3).abs(AbsMTPositionX, 510).syn(10)
	r.abs(AbsMTTrackingID, -1).syn(10)
	// A second tap in slot 3 only.
	r.abs(AbsMTTrackingID, 9).abs(AbsMTPositionX, 20).syn(10)
	r.abs(AbsMTTrackingID, -1).syn(10)
	got := taps(t, r.events)
	want := []image.Point{{50, 61}, {20, 600}}
	if !slices.Equal(got, want) {
		t.Fatalf("taps %v, want %v", got, want)
	}
}

func TestTouchSynDropped(t *testing.T) {
	r := newRec()
	r.key(BtnTouch, 1).abs(AbsX, 10).abs(AbsY, 20).syn(10)
	r.ev(EvSyn, SynDropped, 0).key(BtnTouch, 0).syn(10) // lift lost in the drop: no tap
	r.key(BtnTouch, 1).abs(AbsX, 30).syn(10)
	r.key(BtnTouch, 0).syn(10)
	got := taps(t, r.events)
	if want := []image.Point{{30, 20}}; !slices.Equal(got, want) {
		t.Fatalf("taps %v, want %v", got, want)
	}
}

func TestEVIOCGABS(t *testing.T) {
	// From linux/input.h on a 64-bit and a 32-bit build alike.
	if got := eviocgabs(AbsX); got != 0x80184540 {
		t.Errorf("EVIOCGABS(ABS_X) = %#x, want 0x80184540", got)
	}
	if got := eviocgabs(AbsMTPositionY); got != 0x80184576 {
		t.Errorf("EVIOCGABS(ABS_MT_POSITION_Y) = %#x, want 0x80184576", got)
	}
	if eviocgrab != 0x40044590 {
		t.Errorf("EVIOCGRAB = %#x, want 0x40044590", eviocgrab)
	}
}
