package fb

import "errors"

// Sentinel errors of the package; test with errors.Is. All are permanent:
// retrying the same call fails the same way.
var (
	// ErrNotFramebuffer: the device did not answer the framebuffer ioctls
	// (a regular file or another kind of device given to Open).
	ErrNotFramebuffer = errors.New("fb: not a framebuffer")
	// ErrGeometry: a geometry the driver cannot use (pixel format, sizes,
	// a file smaller than the geometry needs).
	ErrGeometry = errors.New("fb: unsupported geometry")
	// ErrRotate: a rotation other than 0, 90, 180 or 270.
	ErrRotate = errors.New("fb: rotation must be 0, 90, 180 or 270")
	// ErrFrameSize: a frame whose size is not the panel's (after rotation).
	ErrFrameSize = errors.New("fb: frame size does not match the panel")
	// ErrClosed: Show after Close.
	ErrClosed = errors.New("fb: closed")
)
