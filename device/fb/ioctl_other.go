//go:build unix && !linux

package fb

import "fmt"

// Open is only implemented on Linux; elsewhere use OpenFile.
func Open(path string, rotate int) (*FB, error) {
	return nil, fmt.Errorf("fb: %s: %w: framebuffer ioctls need Linux", path, ErrNotFramebuffer)
}
