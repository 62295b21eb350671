// Package evdev reads USB keypads and touchscreens through the Linux input
// subsystem (/dev/input/event*), decoding the kernel's input_event records.
//
// The driver imports no business logic: [Keypad.Run] reports a star with
// the callback it is given and [Touch.Run] a tap in panel pixels; the
// caller decides what they mean. [Decode] is the record decoder, exported
// for tests, fuzzing and tools.
//
// # Records
//
// A read from an event device returns whole input_event records. Their size
// depends on the C long of the reading process (not of the kernel: a 32-bit
// process on a 64-bit kernel gets 16-byte records), so [NativeFormat] is
// derived from GOARCH; [Format32] and [Format64] name both layouts.
// Every target of evalpad (arm, arm64, amd64) is little-endian.
//
//	Format64 (arm64, amd64), 24 bytes
//	 0               8               16      18      20              24
//	+---------------+---------------+-------+-------+---------------+
//	| tv_sec   s64  | tv_usec  s64  | type  | code  | value    s32  |
//	+---------------+---------------+-------+-------+---------------+
//
//	Format32 (arm GOARM=7, 386), 16 bytes
//	 0       4       8   10  12      16
//	+-------+-------+---+---+-------+
//	|sec u32|usec   |typ|cod| value |
//	+-------+-------+---+---+-------+
//
// Events come in frames closed by EV_SYN/SYN_REPORT. EV_SYN/SYN_DROPPED
// means the kernel's buffer overflowed: events up to the next SYN_REPORT are
// discarded, and a touch in progress is forgotten.
//
// # Keypads
//
// A keypad press is a frame like the one below (most keyboards send
// MSC_SCAN first). Value 1 is key down and makes one press; value 2 is
// autorepeat of a held key and value 0 key up, both ignored. Key codes map
// to stars through Keypad.Keys (default: KEY_1..KEY_5 and KEY_KP1..KEY_KP5).
// With Keypad.Grab the device is taken with EVIOCGRAB so its keys do not
// also type into the console.
//
//	EV_MSC MSC_SCAN 0x7001e       EV_KEY KEY_5 2   (autorepeat, ignored)
//	EV_KEY KEY_5    1  → star 5   EV_SYN SYN_REPORT 0
//	EV_SYN SYN_REPORT 0           EV_KEY KEY_5 0   (release, ignored)
//
// # Touchscreens
//
// One tap is reported when the finger lifts, at the SYN_REPORT that ends
// the frame with BTN_TOUCH 0 (or, on devices without BTN_TOUCH, with no
// multitouch slot holding a contact), at the last position seen while the
// finger was down: ABS_X/ABS_Y, or the ABS_MT_POSITION_X/Y of the touch's
// first contact when the device has no ABS_X/ABS_Y. Reporting on lift-off
// means a finger that slides before lifting taps where it lifted, as
// buttons on a phone do. Only the type B multitouch protocol (slots) is
// decoded; type A devices work through their ABS_X/ABS_Y emulation.
//
//	single touch                          multitouch (type B)
//	EV_KEY BTN_TOUCH 1                    EV_ABS ABS_MT_SLOT 0
//	EV_ABS ABS_X 2048                     EV_ABS ABS_MT_TRACKING_ID 45
//	EV_ABS ABS_Y 1024                     EV_ABS ABS_MT_POSITION_X 2048
//	EV_SYN SYN_REPORT      (down)         EV_ABS ABS_MT_POSITION_Y 1024
//	EV_KEY BTN_TOUCH 0                    EV_SYN SYN_REPORT      (down)
//	EV_SYN SYN_REPORT      → tap          EV_ABS ABS_MT_TRACKING_ID -1
//	                                      EV_SYN SYN_REPORT      → tap
//
// Raw coordinates are scaled from the sensor range (Touch.Min..Max, or the
// device's EVIOCGABS ranges) to 0..1 per axis, clamped, then corrected and
// rotated to the panel, and scaled to 0..Panel-1:
//
//	swap    SwapXY:  (u, v) → (v, u)
//	mirror  InvertX: u → 1-u;  InvertY: v → 1-v
//	rotate  the UI turned clockwise from the sensor by Rotate:
//	          0: (u, v)   90: (1-v, u)   180: (1-u, 1-v)   270: (v, 1-u)
//
//	sensor axes             UI with Rotate 90
//	 A(0,0)──→ u             ┌─────┐
//	   │                     │    A│  A, the sensor's origin, is the
//	   ↓                     │     │  UI's top right corner
//	   v                     └─────┘
//
// # Hot plug
//
// Run opens its Path and keeps it open. A device that is missing, cannot be
// opened, or goes away (read fails with ENODEV when unplugged; a FIFO or
// file ends with EOF) is opened again with backoff from MinRetry to MaxRetry
// (100ms..2s by default); each change of failure is logged, and the backoff
// restarts after a device that delivered events. Use stable paths from
// /dev/input/by-id or by-path: event numbers change on replug. Files are
// opened non-blocking, so a FIFO opens without a writer and ending the
// context interrupts a pending read.
package evdev
