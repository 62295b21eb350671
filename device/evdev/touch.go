package evdev

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
	"time"
)

// Touch reads taps from a touchscreen and reports them in panel pixels.
type Touch struct {
	// Path is the event device, e.g. /dev/input/by-path/…-event.
	Path string
	// Panel is the panel size in pixels as the UI sees it (after Rotate).
	Panel image.Point
	// Rotate is how far the UI is turned clockwise from the touch sensor's
	// axes: 0, 90, 180 or 270.
	Rotate int
	// Min and Max are the raw ABS range of the sensor's X and Y axes. When
	// both are zero they are read from the device with EVIOCGABS (ABS_X and
	// ABS_Y, or ABS_MT_POSITION_X/Y when those have no range) at each open.
	// Whatever the range, each open starts the touch where EVIOCGABS says
	// the axes are (ABS_X/Y, ABS_MT_SLOT and that slot's position): the
	// kernel does not send an axis again that has not changed.
	Min, Max image.Point
	// SwapXY, InvertX and InvertY correct the sensor's wiring before
	// rotation: swap its axes, then mirror them.
	SwapXY, InvertX, InvertY bool
	// Format is the record size; zero means NativeFormat.
	Format Format
	// MinRetry and MaxRetry bound the backoff between attempts to open a
	// missing device; zero means the defaults.
	MinRetry, MaxRetry time.Duration
	// Logger receives open/close/retry messages; nil discards them.
	Logger *slog.Logger

	getAbs absGetter // EVIOCGABS; nil: the ioctl (tests fake the device's answers)
}

// Run calls touch(x, y) once per tap, in panel pixels (0 ≤ x < Panel.X,
// 0 ≤ y < Panel.Y), at the SYN_REPORT where the finger lifts, with the last
// position seen while it was down. A missing or unplugged device is reopened
// when it comes back. Run returns ctx.Err() when ctx ends, or ErrConfig at
// once.
func (t *Touch) Run(ctx context.Context, touch func(x, y int)) error {
	if t.Path == "" {
		return fmt.Errorf("%w: Touch.Path is empty", ErrConfig)
	}
	if t.Panel.X <= 0 || t.Panel.Y <= 0 {
		return fmt.Errorf("%w: Touch.Panel %v is not a size", ErrConfig, t.Panel)
	}
	switch t.Rotate {
	case 0, 90, 180, 270:
	default:
		return fmt.Errorf("%w: Touch.Rotate %d, want 0, 90, 180 or 270", ErrConfig, t.Rotate)
	}
	fixed := t.Min != (image.Point{}) || t.Max != (image.Point{})
	if fixed && (t.Max.X <= t.Min.X || t.Max.Y <= t.Min.Y) {
		return fmt.Errorf("%w: Touch range %v..%v is empty", ErrConfig, t.Min, t.Max)
	}
	format := t.Format
	if format == 0 {
		format = NativeFormat
	}
	get := t.getAbs
	if get == nil {
		get = getAbs
	}
	fl := newFollower(t.Path, t.MinRetry, t.MaxRetry, t.Logger)
	return fl.run(ctx, func(f *os.File) (int, error) {
		m := t.mapper(t.Min, t.Max)
		if !fixed {
			lo, hi, err := absRange(f, get)
			if err != nil {
				return 0, err
			}
			fl.log.Info("evdev: touch range", "path", t.Path, "min", lo, "max", hi)
			m = t.mapper(lo, hi)
		}
		var s touchState
		s.start(f, get) // where the axes are now: an unchanged one is not sent again
		n := 0
		err := DecodeFormat(f, format, func(e Event) error {
			n++
			if p, ok := s.handle(e); ok {
				q := m.point(p)
				touch(q.X, q.Y)
			}
			return nil
		})
		return n, err
	})
}

// maxSlots is the number of multitouch slots followed; contacts in higher
// slots count as touching but give no position.
const maxSlots = 16

// touchState follows one touch: down while BTN_TOUCH is 1 (or, on devices
// that never send BTN_TOUCH, while any multitouch slot has a contact), at
// the position of ABS_X/ABS_Y or, without those, of the touch's first
// contact. Positions persist between frames as the kernel only sends
// changes.
type touchState struct {
	dropped bool
	btnSeen bool   // the device sends BTN_TOUCH
	btn     bool   // BTN_TOUCH is 1
	legacy  bool   // the device sends ABS_X/ABS_Y
	slots   uint64 // slots with a contact
	slot    int32  // current ABS_MT_SLOT
	first   int32  // slot of the first contact of this touch
	pos     image.Point
	slotPos [maxSlots]image.Point
	wasDown bool
	tapPos  image.Point // position at the latest SYN_REPORT while down
}

// handle consumes one event and returns the raw position of a tap at the
// SYN_REPORT where the finger lifts.
func (s *touchState) handle(e Event) (image.Point, bool) {
	if e.Type == EvSyn {
		return s.syn(e.Code)
	}
	if s.dropped {
		return image.Point{}, false
	}
	switch e.Type {
	case EvKey:
		if e.Code == BtnTouch {
			s.btnSeen = true
			s.btn = e.Value != 0
		}
	case EvAbs:
		s.abs(e.Code, e.Value)
	}
	return image.Point{}, false
}

func (s *touchState) syn(code uint16) (image.Point, bool) {
	switch code {
	case SynDropped:
		s.dropped = true
	case SynReport:
		if s.dropped {
			// What happened since the drop is unknown: forget this
			// touch; the next one starts clean.
			s.dropped = false
			s.wasDown = false
			return image.Point{}, false
		}
		down := s.down()
		if down {
			s.tapPos = s.pos
			if !s.legacy && s.first >= 0 && s.first < maxSlots {
				s.tapPos = s.slotPos[s.first]
			}
		}
		tap := s.wasDown && !down
		s.wasDown = down
		return s.tapPos, tap
	}
	return image.Point{}, false
}

func (s *touchState) abs(code uint16, v int32) {
	inSlot := s.slot >= 0 && s.slot < maxSlots
	switch code {
	case AbsX:
		s.legacy, s.pos.X = true, int(v)
	case AbsY:
		s.legacy, s.pos.Y = true, int(v)
	case AbsMTSlot:
		s.slot = v
	case AbsMTTrackingID:
		if s.slot < 0 || s.slot > 63 {
			return
		}
		if v >= 0 {
			if s.slots == 0 {
				s.first = s.slot
			}
			s.slots |= 1 << s.slot
		} else {
			s.slots &^= 1 << s.slot
		}
	case AbsMTPositionX:
		if inSlot {
			s.slotPos[s.slot].X = int(v)
		}
	case AbsMTPositionY:
		if inSlot {
			s.slotPos[s.slot].Y = int(v)
		}
	}
}

func (s *touchState) down() bool {
	if s.btnSeen {
		return s.btn
	}
	return s.slots != 0
}

// mapper scales raw sensor coordinates to panel pixels.
type mapper struct {
	min, max image.Point
	panel    image.Point
	rotate   int
	swap     bool
	invX     bool
	invY     bool
}

func (t *Touch) mapper(lo, hi image.Point) mapper {
	return mapper{min: lo, max: hi, panel: t.Panel, rotate: t.Rotate, swap: t.SwapXY, invX: t.InvertX, invY: t.InvertY}
}

// point maps a raw position: normalise each axis to 0..1 (clamped), swap,
// invert, rotate, then scale to 0..Panel-1 rounding to nearest.
func (m mapper) point(raw image.Point) image.Point {
	u := norm(raw.X, m.min.X, m.max.X)
	v := norm(raw.Y, m.min.Y, m.max.Y)
	if m.swap {
		u, v = v, u
	}
	if m.invX {
		u = 1 - u
	}
	if m.invY {
		v = 1 - v
	}
	switch m.rotate {
	case 90:
		u, v = 1-v, u
	case 180:
		u, v = 1-u, 1-v
	case 270:
		u, v = v, 1-u
	}
	return image.Point{X: scale(u, m.panel.X), Y: scale(v, m.panel.Y)}
}

func norm(x, lo, hi int) float64 {
	if hi <= lo {
		return 0
	}
	f := float64(x-lo) / float64(hi-lo)
	return math.Min(1, math.Max(0, f))
}

func scale(f float64, size int) int {
	return int(math.Round(f * float64(size-1)))
}
