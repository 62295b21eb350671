package evdev

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guard bounds every wait for the driver. It is a failure timeout, not a
// timing assertion: a passing run never waits for it.
const guard = 5 * time.Second

// fifo stands in for a device node: a named pipe held open by a reader of
// the test's own, so data written while the driver has it closed (between
// retries) waits in the pipe.
type fifo struct {
	t      *testing.T
	path   string
	holder *os.File
}

func plug(t *testing.T, path string) *fifo {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fifo{t: t, path: path, holder: h}
	t.Cleanup(func() { h.Close() })
	return f
}

// open returns a writer on the pipe; the driver sees EOF once it is closed.
func (f *fifo) open() *os.File {
	f.t.Helper()
	w, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { w.Close() })
	return w
}

func (f *fifo) write(b []byte) {
	f.t.Helper()
	w := f.open()
	if _, err := w.Write(b); err != nil {
		f.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.t.Fatal(err)
	}
}

// unplug removes the node, as udev does when a USB device goes.
func (f *fifo) unplug() {
	f.t.Helper()
	if err := os.Remove(f.path); err != nil {
		f.t.Fatal(err)
	}
	f.holder.Close()
}

// logs is a slog handler that hands each record's text to a channel.
type logs chan string

func (l logs) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }
func (l logs) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l logs) WithGroup(string) slog.Handler                 { return l }
func (l logs) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	select {
	case l <- b.String():
	default:
	}
	return nil
}

// waitLog waits for a log line containing all of subs.
func (l logs) wait(t *testing.T, subs ...string) {
	t.Helper()
	timeout := time.After(guard)
	for {
		select {
		case s := <-l:
			ok := true
			for _, sub := range subs {
				ok = ok && strings.Contains(s, sub)
			}
			if ok {
				return
			}
		case <-timeout:
			t.Fatalf("no log line with %q", subs)
		}
	}
}

func next[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		var zero T
		t.Fatalf("no %T from the driver", zero)
		return zero
	}
}

func expectNone[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %v", v)
	default:
	}
}

func TestKeypadHotPlug(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usb-keypad-event-kbd")
	log := make(logs, 256)
	k := &Keypad{Path: path, Format: Format64, Grab: true, MinRetry: time.Millisecond, MaxRetry: 5 * time.Millisecond, Logger: slog.New(log)}
	presses := make(chan int, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx, func(s int) { presses <- s }) }()

	// Not there yet: Run waits for it and says why.
	log.wait(t, "retrying", "no such file")

	// Plugged in: 5 (with autorepeat) then 2, then unplugged. A pipe
	// cannot be grabbed: Run warns and reads it anyway.
	dev := plug(t, path)
	log.wait(t, "cannot grab")
	dev.write(readRecording(t, "keypad-5-2.ev64"))
	if a, b := next(t, presses), next(t, presses); a != 5 || b != 2 {
		t.Fatalf("first device: presses %d, %d; want 5, 2", a, b)
	}
	dev.unplug()
	log.wait(t, "retrying", "no such file")

	// Plugged in again: 1 then 3, device kept open.
	dev = plug(t, path)
	r := newRec()
	r.scan(0x7001e).key(Key1, KeyDown).syn(100).key(Key1, KeyUp).syn(100)
	r.key(KeyKP3, KeyDown).syn(100).key(KeyKP3, KeyRepeat).syn(100).key(KeyKP3, KeyUp).syn(0)
	w := dev.open()
	if _, err := w.Write(r.bytes(Format64)); err != nil {
		t.Fatal(err)
	}
	if a, b := next(t, presses), next(t, presses); a != 1 || b != 3 {
		t.Fatalf("second device: presses %d, %d; want 1, 3", a, b)
	}

	// Cancel while Run is blocked reading an open device.
	cancel()
	if err := next(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	expectNone(t, presses)
}

func TestTouchRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touch-event")
	dev := plug(t, path)
	tc := &Touch{Path: path, Panel: image.Pt(1024, 600), Max: image.Pt(1023, 599), Format: Format64, MinRetry: time.Millisecond, MaxRetry: 5 * time.Millisecond}
	taps := make(chan image.Point, 4)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tc.Run(ctx, func(x, y int) { taps <- image.Pt(x, y) }) }()
	dev.write(readRecording(t, "touch-multi.ev64"))
	if p := next(t, taps); p != image.Pt(310, 200) {
		t.Fatalf("tap at %v, want (310,200)", p)
	}
	cancel()
	if err := next(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	expectNone(t, taps)
}

// Without Min/Max the range comes from EVIOCGABS; a pipe has none, so Run
// logs why and keeps retrying.
func TestTouchNoRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a-touchscreen")
	plug(t, path)
	log := make(logs, 256)
	tc := &Touch{Path: path, Panel: image.Pt(800, 480), MinRetry: time.Millisecond, MaxRetry: 5 * time.Millisecond, Logger: slog.New(log)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tc.Run(ctx, func(x, y int) { t.Errorf("tap %d,%d", x, y) }) }()
	log.wait(t, "retrying", "EVIOCGABS", "set Touch.Min/Max")
	cancel()
	if err := next(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := t.Context()
	noop := func(int) {}
	tap := func(int, int) {}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"keypad path", func() error { return (&Keypad{}).Run(ctx, noop) }, "Path is empty"},
		{"keypad star", func() error { return (&Keypad{Path: "x", Keys: map[uint16]int{Key1: 6}}).Run(ctx, noop) }, "star 6"},
		{"touch path", func() error { return (&Touch{Panel: image.Pt(1, 1)}).Run(ctx, tap) }, "Path is empty"},
		{"touch panel", func() error { return (&Touch{Path: "x"}).Run(ctx, tap) }, "Panel"},
		{"touch rotate", func() error { return (&Touch{Path: "x", Panel: image.Pt(1, 1), Rotate: 45}).Run(ctx, tap) }, "Rotate 45"},
		{"touch range", func() error {
			return (&Touch{Path: "x", Panel: image.Pt(1, 1), Min: image.Pt(5, 5), Max: image.Pt(5, 9)}).Run(ctx, tap)
		}, "range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrConfig containing %q", err, tt.want)
			}
		})
	}
}

// fakeAbs answers EVIOCGABS as a touch controller whose axes were left
// where the last touch before the open ended: ranges 0..4095, ABS_X/Y at
// (1010, 3000), multitouch slot 1 at (2047, 1024).
func fakeAbs(f *os.File, code uint16) (absInfo, error) {
	switch code {
	case AbsX:
		return absInfo{Value: 1010, Maximum: 4095}, nil
	case AbsY:
		return absInfo{Value: 3000, Maximum: 4095}, nil
	}
	return fakeMTAbs(f, code)
}

// fakeMTAbs is a multitouch-only controller (no ABS_X/ABS_Y).
func fakeMTAbs(f *os.File, code uint16) (absInfo, error) {
	switch code {
	case AbsMTSlot:
		return absInfo{Value: 1, Maximum: 9}, nil
	case AbsMTPositionX:
		return absInfo{Value: 2047, Maximum: 4095}, nil
	case AbsMTPositionY:
		return absInfo{Value: 1024, Maximum: 4095}, nil
	}
	return absInfo{}, syscall.EINVAL
}

// After a (re)open the kernel does not send an axis that has not changed:
// a finger put down where the last one lifted sends BTN_TOUCH (or a
// tracking id in the current slot) and no position. The tap lands where
// EVIOCGABS says the axes are, not at the sensor's corner.
func TestTouchStartsAtEVIOCGABS(t *testing.T) {
	single := newRec() // ABS_X/ABS_Y pad: the first tap sends no position
	single.key(BtnTouch, 1).syn(60)
	single.key(BtnTouch, 0).syn(300)
	single.key(BtnTouch, 1).abs(AbsX, 4095).syn(60) // then one that moves in X only
	single.key(BtnTouch, 0).syn(0)
	multi := newRec() // type B, no BTN_TOUCH: a contact in slot 1, no ABS_MT_SLOT
	multi.abs(AbsMTTrackingID, 42).syn(60)
	multi.abs(AbsMTTrackingID, -1).syn(0)
	for _, tc := range []struct {
		name string
		r    *rec
		abs  absGetter
		want []image.Point
	}{
		// 1010/4095*799 = 197.07, 3000/4095*479 = 350.92
		{"abs x/y", single, fakeAbs, []image.Point{{197, 351}, {799, 351}}},
		// 2047/4095*799 = 399.40, 1024/4095*479 = 119.78
		{"multitouch slot", multi, fakeMTAbs, []image.Point{{399, 120}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "touch-event")
			dev := plug(t, path)
			tch := &Touch{Path: path, Panel: image.Pt(800, 480), Format: Format64, getAbs: tc.abs,
				MinRetry: time.Millisecond, MaxRetry: 5 * time.Millisecond}
			taps := make(chan image.Point, 4)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- tch.Run(ctx, func(x, y int) { taps <- image.Pt(x, y) }) }()
			dev.write(tc.r.bytes(Format64))
			for i, want := range tc.want {
				if p := next(t, taps); p != want {
					t.Errorf("tap %d at %v, want %v", i, p, want)
				}
			}
			cancel()
			if err := next(t, done); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			expectNone(t, taps)
		})
	}
}
