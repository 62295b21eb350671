//go:build !unix

package store

import (
	"errors"
	"time"
)

var errLocked = errors.New("locked")

// flockWait does nothing where there is no flock: bbolt locks the file itself
// when it opens it.
func flockWait(fd uintptr, deadline time.Time) error { return nil }
