//go:build unix

package store

import (
	"errors"
	"syscall"
	"time"
)

// errLocked: another process holds the store file's lock.
var errLocked = errors.New("locked")

// flockWait takes the exclusive lock bbolt takes on fd (flock), trying until
// deadline. bbolt's own flock on the same open file then succeeds at once.
func flockWait(fd uintptr, deadline time.Time) error {
	for {
		err := syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		case !time.Now().Before(deadline):
			return errLocked
		}
		time.Sleep(lockRetry)
	}
}
