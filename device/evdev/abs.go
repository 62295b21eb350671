package evdev

import (
	"fmt"
	"image"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// absInfo is struct input_absinfo.
type absInfo struct {
	Value, Minimum, Maximum, Fuzz, Flat, Resolution int32
}

// eviocgabs is EVIOCGABS(abs): _IOR('E', 0x40 + abs, struct input_absinfo).
func eviocgabs(abs uint16) uint {
	const iocRead = 2
	return iocRead<<30 | uint(unsafe.Sizeof(absInfo{}))<<16 | 'E'<<8 | (0x40 + uint(abs))
}

// absGetter reads one axis with EVIOCGABS (getAbs; tests fake it).
type absGetter func(f *os.File, abs uint16) (absInfo, error)

// absRange reads the X and Y ranges of a touch device: ABS_X/ABS_Y, or the
// multitouch axes when the former have none.
func absRange(f *os.File, get absGetter) (lo, hi image.Point, err error) {
	for _, axes := range [][2]uint16{{AbsX, AbsY}, {AbsMTPositionX, AbsMTPositionY}} {
		x, errX := get(f, axes[0])
		y, errY := get(f, axes[1])
		if errX != nil || errY != nil {
			err = fmt.Errorf("evdev: EVIOCGABS on %s (not a touch device? set Touch.Min/Max): %w", f.Name(), firstErr(errX, errY))
			continue
		}
		if x.Maximum > x.Minimum && y.Maximum > y.Minimum {
			return image.Pt(int(x.Minimum), int(y.Minimum)), image.Pt(int(x.Maximum), int(y.Maximum)), nil
		}
		err = fmt.Errorf("evdev: %s reports no X/Y range (set Touch.Min/Max)", f.Name())
	}
	return lo, hi, err
}

// start sets where s begins from the axes' current values: the kernel
// sends an axis only when it changes, so a finger put down after an open
// where the last one left sends no ABS_X/ABS_Y (nor ABS_MT_SLOT, nor the
// slot's position), and only EVIOCGABS says where it is. The position of
// ABS_X/ABS_Y (which then count, as if sent), the current slot, and that
// slot's position are taken; an axis the device lacks (the ioctl fails)
// keeps its zero.
func (s *touchState) start(f *os.File, get absGetter) {
	if x, err := get(f, AbsX); err == nil {
		s.pos.X = int(x.Value)
		s.legacy = x.Maximum > x.Minimum // the device has ABS_X/ABS_Y: their position counts
	}
	if y, err := get(f, AbsY); err == nil {
		s.pos.Y = int(y.Value)
	}
	if sl, err := get(f, AbsMTSlot); err == nil {
		s.slot = sl.Value
	}
	if s.slot < 0 || s.slot >= maxSlots {
		return
	}
	if x, err := get(f, AbsMTPositionX); err == nil {
		s.slotPos[s.slot].X = int(x.Value)
	}
	if y, err := get(f, AbsMTPositionY); err == nil {
		s.slotPos[s.slot].Y = int(y.Value)
	}
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// eviocgrab is EVIOCGRAB: _IOW('E', 0x90, int).
const eviocgrab = 1<<30 | 4<<16 | 'E'<<8 | 0x90

// ioctlInt issues an ioctl whose argument is an int passed by value.
func ioctlInt(f *os.File, req uint, arg int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return fmt.Errorf("evdev: ioctl %#x on %s: %w", req, f.Name(), errno)
	}
	return nil
}

func getAbs(f *os.File, abs uint16) (absInfo, error) {
	var info absInfo
	rc, err := f.SyscallConn()
	if err != nil {
		return info, err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(eviocgabs(abs)), uintptr(unsafe.Pointer(&info)))
	}); err != nil {
		return info, err
	}
	if errno != 0 {
		return info, errno
	}
	return info, nil
}
