package gpiobuttons_test

import (
	"context"
	"log"

	"evalpad/device/gpiobuttons"
)

func Example() {
	b, err := gpiobuttons.Open(gpiobuttons.Config{
		Pins: map[int]string{1: "GPIO5", 2: "GPIO6", 3: "GPIO13", 4: "GPIO19", 5: "GPIO26"},
		LED:  "GPIO21",
	})
	if err != nil {
		log.Fatal(err) // e.g. gpiobuttons: pin "GPIO26" (star 5): not found (…)
	}
	defer b.Close()
	_ = b.Run(context.Background(), func(star int) { /* pad.Press(star) */ })
}
