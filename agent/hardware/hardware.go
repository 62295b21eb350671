package hardware

import (
	"context"
	"errors"
	"image"
	"strings"

	"evalpad/device/printer"
)

// StarSource reports star button presses. Run calls press with the level
// (1–5) of each press, from its own goroutine, until ctx ends (then it
// returns nil) or the device fails for good (an error naming the device). A
// source is run by one goroutine at a time.
type StarSource interface {
	Run(ctx context.Context, press func(star int)) error
}

// TouchSource reports touches on the screen in panel pixels, the way
// StarSource reports presses.
type TouchSource interface {
	Run(ctx context.Context, touch func(x, y int)) error
}

// Panel shows frames. Show copies img (the size of the display, after the
// panel's rotation) to the glass before it returns; the caller may reuse
// img afterwards. Close releases the device.
type Panel interface {
	Show(img *image.RGBA) error
	Close() error
}

// Printer prints receipt jobs. Print queues one job (ESC/POS bytes) and
// returns its number without waiting on a slow printer for long; Status is
// the printer's last known condition. Both are safe for concurrent use.
type Printer interface {
	Print(job []byte) (int, error)
	Status() printer.Status
}

// Set is the pad's drivers; a nil field is a part the config names none of.
// The names say which device each is, for logs and reports.
type Set struct {
	Buttons     StarSource
	ButtonsName string // "gpio", "evdev /dev/input/…", "serial /dev/ttyS1"
	Touch       TouchSource
	TouchName   string
	Panel       Panel
	PanelName   string
	Printer     Printer
	PrinterName string

	closers []func() error
}

// OnClose adds fn to what Close calls (last added, first called).
func (s *Set) OnClose(fn func() error) { s.closers = append(s.closers, fn) }

// Close closes every driver that was opened, last opened first.
func (s *Set) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Missing lists what a pad needs that the set lacks: something to rate
// with (buttons or touch) and a panel. Empty when the set is complete.
func (s *Set) Missing() []string {
	var out []string
	if s.Buttons == nil && s.Touch == nil {
		out = append(out, "buttons or touch ([buttons] driver, [touch] path)")
	}
	if s.Panel == nil {
		out = append(out, "panel ([panel] driver)")
	}
	return out
}

// PrinterFaults are the lines a printer's status puts among the pad's
// faults. A printer fault never holds up a rating.
func PrinterFaults(st printer.Status) []string {
	var out []string
	for _, f := range []struct {
		on   bool
		what string
	}{{!st.Online, "printer offline or not answering"}, {st.PaperOut, "printer: paper out"},
		{st.PaperNearEnd, "printer: paper near its end"}, {st.CoverOpen, "printer: cover open"},
		{st.Error, "printer: error"}, {st.MarkError, "printer: black mark not found (paper loaded wrongly?)"}} {
		if f.on {
			out = append(out, f.what)
		}
	}
	if st.LastError != "" && len(out) > 0 {
		out[len(out)-1] += " (" + st.LastError + ")"
	}
	return out
}

// describe joins a driver kind and its device path for a name.
func describe(kind, path string) string { return strings.TrimSpace(kind + " " + path) }
