//go:build !linux

package store

import "os"

func noReadahead(f *os.File) {}
