package serialboard

import (
	"errors"
	"time"
)

// Sentinel errors of the package; test with errors.Is.
var (
	// ErrFrame: a frame that breaks the protocol (unknown type, wrong
	// payload length, a field out of range). Frame.Validate wraps it.
	ErrFrame = errors.New("serialboard: invalid frame")
	// ErrRange: an argument out of range, e.g. an LED mask above 0x1F or a
	// duration above MaxLEDDuration. Permanent: retrying fails the same way.
	ErrRange = errors.New("serialboard: argument out of range")
	// ErrRunning: Run was called while another Run of the board is running.
	ErrRunning = errors.New("serialboard: already running")
	// ErrTooManyErrors: Run gave up after MaxTransientErrors transient
	// read or write errors in a row. The port may work again if reopened.
	ErrTooManyErrors = errors.New("serialboard: too many transient I/O errors")
)

// MaxLEDDuration is the longest LED duration a frame can carry.
const MaxLEDDuration = 65535 * time.Millisecond
