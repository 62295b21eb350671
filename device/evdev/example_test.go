package evdev_test

import (
	"context"
	"image"
	"log/slog"

	"evalpad/device/evdev"
)

func Example() {
	ctx := context.Background()
	keypad := &evdev.Keypad{
		Path:   "/dev/input/by-id/usb-evaluator-keypad-event-kbd",
		Grab:   true,
		Logger: slog.Default(),
	}
	touch := &evdev.Touch{
		Path:   "/dev/input/by-path/platform-3f204000.spi-cs-1-event",
		Panel:  image.Pt(480, 800), // portrait UI
		Rotate: 90,                 // on a landscape sensor
	}
	go keypad.Run(ctx, func(star int) { /* pad.Press(star) */ })
	go touch.Run(ctx, func(x, y int) { /* pad.Touch(x, y) */ })
}
