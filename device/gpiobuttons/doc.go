// Package gpiobuttons reads the pad's five star buttons from GPIO lines and drives
// an optional LED and buzzer for press feedback.
//
// Pins are periph.io pins (periph.io/x/conn/v3/gpio). On the board, [Open]
// initialises periph.io/x/host/v3 and resolves pin names through gpioreg;
// edges come from the Linux GPIO character device (/dev/gpiochipN, periph's
// gpioioctl driver), never from sysfs, whose edge detection broke on recent
// kernels. Tests build [Buttons] with [New] from gpiotest pins.
//
// The driver imports no business logic: [Buttons.Run] reports a press with
// the callback it is given, and the caller decides what a press means.
//
// # Wiring
//
// The default is a button between the pin and ground, with the SoC's pull-up
// enabled (active low). Config.ActiveHigh selects buttons to 3V3 with the
// pull-down enabled. The LED and buzzer outputs are driven high while on.
//
//	3V3                      SoC
//	 |                    +--------+
//	[R pull-up, internal] |        |
//	 +--------------------| GPIO17 |  star 1   (Config.Pins[1] = "GPIO17")
//	 |                    |  ...   |
//	_|_ star button       | GPIO27 |  LED, lit ~80ms on a press
//	 |                    +--------+
//	GND
//
// # Pin names
//
// A name is looked up in gpioreg ("GPIO17" on a Raspberry Pi, the line name
// the device tree gives elsewhere). Boards whose lines have no names can use
// "gpiochip0:17" (chip name, colon, line offset or line name), resolved
// through gpioioctl directly.
//
// # Edges and debounce
//
// Each pin is configured for both edges and waited on with WaitForEdge; an
// idle pin costs a blocked read, no polling. A level change is accepted only
// once the line has been quiet for the debounce window (default 30ms); a
// press is an accepted change from released to pressed. However much the
// contact bounces, one physical press is one press; a held button is one
// press; a glitch shorter than the window is nothing.
//
//	level (active low)
//	 high ‾‾‾‾‾|_|‾|___________________________|‾|_|‾‾‾‾‾‾‾‾‾‾‾
//	 low        bounce    held                  bounce
//	           |<->|<-- window -->|            |<->|<-- window -->|
//	           edges             press          edges           release
//	                             reported                       (nothing)
//
// The press is reported one window after the last bounce. A button already
// held when Run starts is taken as the resting state and not reported until
// it is released and pressed again.
//
// # Stopping
//
// Run returns when its context ends. Pending WaitForEdge calls are
// interrupted with Halt (gpioioctl sets a past read deadline); a pin whose
// Halt cannot interrupt a wait is left at the latest after one idle wait
// (one second).
package gpiobuttons
