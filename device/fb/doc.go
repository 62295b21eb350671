// Package fb drives a Linux framebuffer (/dev/fb*): it copies frames
// rendered as *image.RGBA into the mapped video memory, converting them to
// the panel's pixel format and rotating them to the way the panel is
// mounted.
//
// Open asks the kernel for the geometry (FBIOGET_VSCREENINFO and
// FBIOGET_FSCREENINFO) and maps the device; OpenFile maps a regular file
// laid out like a framebuffer with a Geometry given by the caller (tests,
// the simulator). Both share everything after the ioctls.
//
// # Memory layout
//
// The mapping holds YResVirtual lines of LineLength bytes; the visible
// XRes×YRes window starts at (XOffset, YOffset). A line may be padded:
// LineLength ≥ XResVirtual·BitsPerPixel/8.
//
//	       LineLength bytes
//	┌──────────────────────────────┬─────┐
//	│ XRes pixels of line 0        │ pad │  ◀ YOffset
//	│ XRes pixels of line 1        │ pad │
//	│ …                            │     │
//	│ XRes pixels of line YRes−1   │ pad │
//	├──────────────────────────────┴─────┤
//	│ rest of the virtual screen         │
//	└────────────────────────────────────┘
//
// A pixel is 16 or 32 bits, stored little-endian (the byte order of every
// board the pad runs on: arm, arm64, amd64). Each colour sits in the
// pixel's bitfield Offset…Offset+Length−1 and keeps its Length high bits:
//
//	RGB565   (R{11,5} G{5,6} B{0,5}):   bit 15 RRRRRGGG GGGBBBBB bit 0
//	                                    byte 0 = GGGBBBBB, byte 1 = RRRRRGGG
//	XRGB8888 (R{16,8} G{8,8} B{0,8}):   bytes B, G, R, X
//	XBGR8888 (R{0,8} G{8,8} B{16,8}):   bytes R, G, B, X
//
// A transparency field (Transp.Length > 0) is written all ones (opaque);
// other bits are zero.
//
// # Rotation
//
// Rotate is how far the picture is turned clockwise on its way to the
// panel, in degrees: 0, 90, 180 or 270. At 90 and 270 the frame is
// YRes×XRes (a landscape panel mounted as portrait). Frame corner → panel
// corner:
//
//	rotate   frame top-left   frame top-right   frame size
//	0        top-left         top-right         XRes×YRes
//	90       top-right        bottom-right      YRes×XRes
//	180      bottom-right     bottom-left       XRes×YRes
//	270      bottom-left      top-left          YRes×XRes
package fb
