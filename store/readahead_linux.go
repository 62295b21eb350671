package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// noReadahead turns readahead off on f and drops its cached pages, so the
// page cache holds it in 4 KiB folios: a commit that writes one 4 KiB page
// then dirties 4 KiB, not a 16–128 KiB folio around it (ext4 uses large
// folios). bbolt already reads its mmap with MADV_RANDOM.
func noReadahead(f *os.File) {
	// Advice only: a file system that ignores it costs flash wear, not data.
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM)
}
