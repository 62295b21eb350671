//go:build unix

package fb

import (
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// FB is an open framebuffer. Its methods are safe for concurrent use.
type FB struct {
	path   string
	g      Geometry
	rotate int
	frame  image.Point // size of the frames Show takes
	pix    pixelFormat

	mu  sync.Mutex
	mem []byte // the mapping; nil once closed
	row []byte // one visible line, converted
}

// OpenFile maps the regular file at path as a framebuffer of geometry g,
// shown rotated by rotate degrees clockwise. The file must already hold at
// least LineLength·YResVirtual bytes. It is how tests and the simulator
// stand in for /dev/fb*; the driver does the same after Open's ioctls.
func OpenFile(path string, g Geometry, rotate int) (*FB, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("fb: %w", err)
	}
	defer f.Close() // the mapping outlives the descriptor
	return mapFile(f, path, g, rotate)
}

// mapFile checks g and rotate and maps f.
func mapFile(f *os.File, path string, g Geometry, rotate int) (*FB, error) {
	switch rotate {
	case 0, 90, 180, 270:
	default:
		return nil, fmt.Errorf("fb: %s: %w (got %d)", path, ErrRotate, rotate)
	}
	g, err := g.normalized()
	if err != nil {
		return nil, fmt.Errorf("fb: %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("fb: %w", err)
	}
	if st.Mode().IsRegular() && st.Size() < int64(g.size()) {
		return nil, fmt.Errorf("fb: %s: %w: file is %d bytes, geometry %v needs %d",
			path, ErrGeometry, st.Size(), g, g.size())
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, g.size(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("fb: %s: mmap %d bytes: %w", path, g.size(), err)
	}
	return &FB{
		path:   path,
		g:      g,
		rotate: rotate,
		frame:  g.frameSize(rotate),
		pix:    newPixelFormat(g),
		mem:    mem,
		row:    make([]byte, g.XRes*g.BitsPerPixel/8),
	}, nil
}

// Geometry returns the framebuffer's geometry, defaults filled in.
func (fb *FB) Geometry() Geometry { return fb.g }

// Size returns the size of the frames Show takes: the panel's resolution,
// turned by the rotation.
func (fb *FB) Size() image.Point { return fb.frame }

// Show copies img to the panel. img must be exactly Size(); its bounds need
// not start at (0,0). Alpha is ignored: frames are opaque.
func (fb *FB) Show(img *image.RGBA) error {
	if got := img.Rect.Size(); got != fb.frame {
		return fmt.Errorf("fb: %s: %w: frame is %d×%d, panel wants %d×%d (rotate %d)",
			fb.path, ErrFrameSize, got.X, got.Y, fb.frame.X, fb.frame.Y, fb.rotate)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.mem == nil {
		return fmt.Errorf("fb: %s: %w", fb.path, ErrClosed)
	}
	g := fb.g
	bpp := g.BitsPerPixel / 8
	for py := 0; py < g.YRes; py++ {
		// The frame pixel shown at panel (0, py), and the step in img.Pix
		// to the one shown at (1, py).
		var sx, sy, step int
		switch fb.rotate {
		case 0:
			sx, sy, step = 0, py, 4
		case 90:
			sx, sy, step = py, g.XRes-1, -img.Stride
		case 180:
			sx, sy, step = g.XRes-1, g.YRes-1-py, -4
		case 270:
			sx, sy, step = g.YRes-1-py, 0, img.Stride
		}
		i := img.PixOffset(img.Rect.Min.X+sx, img.Rect.Min.Y+sy)
		if bpp == 2 {
			for o := 0; o < len(fb.row); o += 2 {
				p := img.Pix[i : i+3 : i+3]
				binary.LittleEndian.PutUint16(fb.row[o:], uint16(fb.pix.convert(p[0], p[1], p[2])))
				i += step
			}
		} else {
			for o := 0; o < len(fb.row); o += 4 {
				p := img.Pix[i : i+3 : i+3]
				binary.LittleEndian.PutUint32(fb.row[o:], fb.pix.convert(p[0], p[1], p[2]))
				i += step
			}
		}
		off := (g.YOffset+py)*g.LineLength + g.XOffset*bpp
		copy(fb.mem[off:off+len(fb.row)], fb.row)
	}
	return nil
}

// Close unmaps the framebuffer. The picture stays on the panel. Close is
// idempotent.
func (fb *FB) Close() error {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.mem == nil {
		return nil
	}
	err := unix.Munmap(fb.mem)
	fb.mem = nil
	if err != nil {
		return fmt.Errorf("fb: %s: munmap: %w", fb.path, err)
	}
	return nil
}

// pixelFormat converts 8-bit colours to a pixel of the geometry's format.
type pixelFormat struct {
	rs, gs, bs uint32 // right shift: 8 − length
	ro, gO, bo uint32 // left shift: offset
	fixed      uint32 // transparency bits, all ones
}

func newPixelFormat(g Geometry) pixelFormat {
	return pixelFormat{
		rs: 8 - g.Red.Length, gs: 8 - g.Green.Length, bs: 8 - g.Blue.Length,
		ro: g.Red.Offset, gO: g.Green.Offset, bo: g.Blue.Offset,
		fixed: (1<<g.Transp.Length - 1) << g.Transp.Offset,
	}
}

func (f pixelFormat) convert(r, g, b uint8) uint32 {
	return uint32(r)>>f.rs<<f.ro | uint32(g)>>f.gs<<f.gO | uint32(b)>>f.bs<<f.bo | f.fixed
}
