// Package hardware opens the pad's drivers as the config names them and
// defines the small interfaces the agent consumes them through:
//
//	[buttons] driver = gpio | evdev | serial  → StarSource  (device/gpiobuttons, device/evdev, device/serialboard)
//	[touch]   path                            → TouchSource (device/evdev)
//	[panel]   driver = fb | st7789            → Panel       (device/fb, device/st7789)
//	[printer] uri                             → Printer     (device/printer)
//
// Each driver's conformance is checked here (var _ lines beside the code
// that opens it): the drivers import nothing of the agent. A driver that
// fails to open is an error naming its device, and whatever was opened
// before it is closed.
package hardware
