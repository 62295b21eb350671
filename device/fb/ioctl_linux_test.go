package fb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestOpenRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb0")
	if err := os.WriteFile(path, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	fb, err := Open(path, 0)
	if err == nil {
		fb.Close()
		t.Fatal("Open(regular file) succeeded")
	}
	if !errors.Is(err, ErrNotFramebuffer) || !errors.Is(err, unix.ENOTTY) ||
		!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "FBIOGET_VSCREENINFO") {
		t.Fatalf("Open(regular file) = %v, want ErrNotFramebuffer (ENOTTY) naming %s and the ioctl", err, path)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "fb9"), 0); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "fb9") {
		t.Fatalf("Open(missing) = %v, want ErrNotExist naming the path", err)
	}
}

// The ioctl structs must be laid out as <linux/fb.h> has them.
func TestIoctlStructSizes(t *testing.T) {
	if got := unsafe.Sizeof(fbVarScreenInfo{}); got != 160 {
		t.Errorf("sizeof(fb_var_screeninfo) = %d, want 160", got)
	}
	want := uintptr(80) // 64-bit
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 68
	}
	if got := unsafe.Sizeof(fbFixScreenInfo{}); got != want {
		t.Errorf("sizeof(fb_fix_screeninfo) = %d, want %d", got, want)
	}
	if got := unsafe.Offsetof(fbFixScreenInfo{}.LineLength); got != map[uintptr]uintptr{80: 48, 68: 44}[want] {
		t.Errorf("offsetof(line_length) = %d", got)
	}
}
