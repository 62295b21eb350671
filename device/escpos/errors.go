package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the package. Decode and Render wrap them in an *Error
// that says where in the job and in which command; test with errors.Is.
// All of them are permanent for the job that caused them: printing the
// same bytes again fails the same way.
var (
	// ErrTruncated: the job ends inside a command or a character.
	ErrTruncated = errors.New("escpos: truncated")
	// ErrUnknown: a command (or control byte) this decoder does not know,
	// so it cannot tell how long it is.
	ErrUnknown = errors.New("escpos: unknown command")
	// ErrParam: a known command with a parameter out of its range.
	ErrParam = errors.New("escpos: parameter out of range")
	// ErrText: bytes that are not GB18030 in Chinese character mode.
	ErrText = errors.New("escpos: invalid GB18030 text")
	// ErrUnsupported: a valid command the simulator cannot draw (QR model 1,
	// micro QR, QR data too long for any version).
	ErrUnsupported = errors.New("escpos: unsupported")
	// ErrPaper: an image or QR code wider than the paper, or a job whose
	// paper would be longer than the renderer's MaxHeight.
	ErrPaper = errors.New("escpos: does not fit the paper")
	// ErrNoQRData: a QR print command with no QR data stored.
	ErrNoQRData = errors.New("escpos: QR print without stored data")
)

// Error is a decoding or rendering error at one command of a job.
type Error struct {
	Off    int    // offset of the command's first byte in the job
	Cmd    string // the command, e.g. "GS v 0"
	Err    error  // one of the sentinel errors
	Detail string // what exactly was wrong
}

func (e *Error) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "escpos: ")
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return fmt.Sprintf("escpos: %s at offset %d: %s", e.Cmd, e.Off, msg)
}

func (e *Error) Unwrap() error { return e.Err }
