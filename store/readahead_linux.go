package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// openNoReadahead opens the bbolt file with readahead off and its cached
// pages dropped, so the page cache holds it in 4 KiB folios: a commit that
// writes one 4 KiB page then dirties 4 KiB, not a 16–128 KiB folio around it
// (ext4 uses large folios). bbolt already reads its mmap with MADV_RANDOM.
func openNoReadahead(path string, flag int, mode os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag, mode)
	if err != nil {
		return nil, err
	}
	// Advice only: a file system that ignores it costs flash wear, not data.
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM)
	return f, nil
}
