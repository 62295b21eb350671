package fb

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The framebuffer ioctls of <linux/fb.h>.
const (
	fbiogetVScreenInfo = 0x4600
	fbiogetFScreenInfo = 0x4602
	fbTypePackedPixels = 0
)

// fbBitfield is struct fb_bitfield.
type fbBitfield struct {
	Offset, Length, MsbRight uint32
}

// fbVarScreenInfo is struct fb_var_screeninfo (160 bytes on every arch).
type fbVarScreenInfo struct {
	XRes, YRes, XResVirtual, YResVirtual uint32
	XOffset, YOffset                     uint32
	BitsPerPixel, Grayscale              uint32
	Red, Green, Blue, Transp             fbBitfield
	Nonstd, Activate, Height, Width      uint32
	AccelFlags, Pixclock                 uint32
	LeftMargin, RightMargin              uint32
	UpperMargin, LowerMargin             uint32
	HsyncLen, VsyncLen, Sync, Vmode      uint32
	Rotate, Colorspace                   uint32
	Reserved                             [4]uint32
}

// fbFixScreenInfo is struct fb_fix_screeninfo; unsigned long is uintptr,
// so Go lays it out as C does on 32- and 64-bit targets.
type fbFixScreenInfo struct {
	ID                            [16]byte
	SmemStart                     uintptr
	SmemLen                       uint32
	Type, TypeAux, Visual         uint32
	XPanStep, YPanStep, YWrapStep uint16
	LineLength                    uint32
	MmioStart                     uintptr
	MmioLen, Accel                uint32
	Capabilities                  uint16
	Reserved                      [2]uint16
}

// Open opens the framebuffer device at path (e.g. /dev/fb0), reads its
// geometry with FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO and maps it;
// frames are shown turned clockwise by rotate degrees. A path that is not
// a framebuffer fails with ErrNotFramebuffer, naming the path.
func Open(path string, rotate int) (*FB, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("fb: %w", err)
	}
	defer f.Close()
	g, err := readGeometry(f, path)
	if err != nil {
		return nil, err
	}
	return mapFile(f, path, g, rotate)
}

// readGeometry asks the kernel for the geometry of the framebuffer f.
func readGeometry(f *os.File, path string) (Geometry, error) {
	var v fbVarScreenInfo
	if err := ioctl(f, fbiogetVScreenInfo, unsafe.Pointer(&v)); err != nil {
		return Geometry{}, fmt.Errorf("fb: %s: %w: FBIOGET_VSCREENINFO: %w", path, ErrNotFramebuffer, err)
	}
	var x fbFixScreenInfo
	if err := ioctl(f, fbiogetFScreenInfo, unsafe.Pointer(&x)); err != nil {
		return Geometry{}, fmt.Errorf("fb: %s: %w: FBIOGET_FSCREENINFO: %w", path, ErrNotFramebuffer, err)
	}
	if x.Type != fbTypePackedPixels {
		return Geometry{}, fmt.Errorf("fb: %s: %w: framebuffer type %d is not packed pixels", path, ErrGeometry, x.Type)
	}
	if v.Red.MsbRight|v.Green.MsbRight|v.Blue.MsbRight != 0 {
		return Geometry{}, fmt.Errorf("fb: %s: %w: msb_right bitfields", path, ErrGeometry)
	}
	bf := func(b fbBitfield) Bitfield { return Bitfield{Offset: b.Offset, Length: b.Length} }
	return Geometry{
		XRes: int(v.XRes), YRes: int(v.YRes),
		XResVirtual: int(v.XResVirtual), YResVirtual: int(v.YResVirtual),
		XOffset: int(v.XOffset), YOffset: int(v.YOffset),
		BitsPerPixel: int(v.BitsPerPixel),
		LineLength:   int(x.LineLength),
		Red:          bf(v.Red), Green: bf(v.Green), Blue: bf(v.Blue), Transp: bf(v.Transp),
	}, nil
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
