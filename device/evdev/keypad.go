package evdev

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// DefaultKeys maps the digit keys 1..5 of a keyboard and of a numeric keypad
// to the stars of the same number.
func DefaultKeys() map[uint16]int {
	return map[uint16]int{
		Key1: 1, Key2: 2, Key3: 3, Key4: 4, Key5: 5,
		KeyKP1: 1, KeyKP2: 2, KeyKP3: 3, KeyKP4: 4, KeyKP5: 5,
	}
}

// ErrConfig reports an invalid Keypad or Touch; the message says which field.
var ErrConfig = errors.New("evdev: bad config")

// Keypad reads star presses from a key device such as a USB keypad.
type Keypad struct {
	// Path is the event device, e.g. /dev/input/by-id/usb-…-event-kbd.
	Path string
	// Keys maps a key code to a star (1..5); nil means DefaultKeys.
	Keys map[uint16]int
	// Grab takes the device for this process alone (EVIOCGRAB), so its keys
	// do not also type into a console or another reader. A device that
	// cannot be grabbed is read anyway, with a warning.
	Grab bool
	// Format is the record size; zero means NativeFormat.
	Format Format
	// MinRetry and MaxRetry bound the backoff between attempts to open a
	// missing device; zero means the defaults.
	MinRetry, MaxRetry time.Duration
	// Logger receives open/close/retry messages; nil discards them.
	Logger *slog.Logger
}

// Run calls press(star) for each key down (value 1) of a mapped key; key up
// and autorepeat (value 2) are ignored, as are events between SYN_DROPPED
// and the next SYN_REPORT. A missing or unplugged device is reopened when it
// comes back (with backoff, logged). Run returns ctx.Err() when ctx ends, or
// ErrConfig at once.
func (k *Keypad) Run(ctx context.Context, press func(star int)) error {
	keys := k.Keys
	if keys == nil {
		keys = DefaultKeys()
	}
	if k.Path == "" {
		return fmt.Errorf("%w: Keypad.Path is empty", ErrConfig)
	}
	for code, star := range keys {
		if star < 1 || star > 5 {
			return fmt.Errorf("%w: key %d maps to star %d, want 1..5", ErrConfig, code, star)
		}
	}
	format := k.Format
	if format == 0 {
		format = NativeFormat
	}
	fl := newFollower(k.Path, k.MinRetry, k.MaxRetry, k.Logger)
	return fl.run(ctx, func(f *os.File) (int, error) {
		if k.Grab {
			if err := ioctlInt(f, eviocgrab, 1); err != nil {
				fl.log.Warn("evdev: cannot grab keypad; reading it shared", "path", k.Path, "err", err)
			}
		}
		var d keyDecoder
		n := 0
		err := DecodeFormat(f, format, func(e Event) error {
			n++
			if star, ok := d.handle(e, keys); ok {
				press(star)
			}
			return nil
		})
		return n, err
	})
}

// keyDecoder turns events into presses.
type keyDecoder struct {
	dropped bool // after SYN_DROPPED, until SYN_REPORT
}

func (d *keyDecoder) handle(e Event, keys map[uint16]int) (star int, ok bool) {
	switch {
	case e.Type == EvSyn && e.Code == SynDropped:
		d.dropped = true
	case e.Type == EvSyn && e.Code == SynReport:
		d.dropped = false
	case d.dropped:
	case e.Type == EvKey && e.Value == KeyDown:
		star, ok = keys[e.Code]
	}
	return star, ok
}
