//go:build !linux

package store

import "os"

func openNoReadahead(path string, flag int, mode os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag, mode)
}
