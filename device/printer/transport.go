package printer

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"go.bug.st/serial"
)

// Transport is the byte link to one printer. Write sends job and query
// bytes; Close ends the link and unblocks a Write in progress.
//
// A Transport that also has Read and SetReadDeadline (see statusReader;
// net.Conn has both) is polled for status. One with SetWriteDeadline
// (see writeDeadliner) has its writes timed out by deadline; any other is
// closed when a write overruns.
type Transport interface {
	io.Writer
	io.Closer
}

// Dialer opens a Transport. The Printer calls it from its worker when it
// has no link: at start if it was given none, and after a failure.
type Dialer func(ctx context.Context) (Transport, error)

// statusReader is a Transport the printer's status can be read from.
// Read returns an error wrapping os.ErrDeadlineExceeded when the deadline
// passes with nothing read.
type statusReader interface {
	io.Reader
	SetReadDeadline(t time.Time) error
}

// writeDeadliner is a Transport whose writes can be given a deadline.
type writeDeadliner interface {
	SetWriteDeadline(t time.Time) error
}

var (
	_ statusReader   = net.Conn(nil)
	_ writeDeadliner = net.Conn(nil)
	_ statusReader   = serialLink{}
	_ statusReader   = charLink{}
	_ writeDeadliner = fileLink{}
)

// dialer returns how to open t. Serial ports and files are opened once by
// Open to check the path; TCP connects in the worker.
func (t target) dialer(dialTimeout time.Duration) Dialer {
	switch t.scheme {
	case "serial":
		return func(context.Context) (Transport, error) { return openSerial(t.path, t.baud) }
	case "file":
		return func(context.Context) (Transport, error) { return openFile(t.path) }
	default:
		return func(ctx context.Context) (Transport, error) {
			d := net.Dialer{Timeout: dialTimeout}
			c, err := d.DialContext(ctx, "tcp", t.addr)
			if err != nil {
				return nil, fmt.Errorf("printer: %w", err)
			}
			return c, nil
		}
	}
}

// serialLink is a serial port: 8 data bits, no parity, one stop bit.
type serialLink struct{ serial.Port }

func openSerial(path string, baud int) (Transport, error) {
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("printer: serial %s: %w", path, err)
	}
	return serialLink{p}, nil
}

// SetReadDeadline sets the port's read timeout to the time left.
func (s serialLink) SetReadDeadline(t time.Time) error {
	d := time.Until(t)
	if t.IsZero() {
		d = serial.NoTimeout
	} else if d < time.Millisecond {
		d = time.Millisecond
	}
	return s.Port.SetReadTimeout(d)
}

// Read reads from the port; the port's timeout, (0, nil) from go.bug.st,
// becomes os.ErrDeadlineExceeded.
func (s serialLink) Read(b []byte) (int, error) {
	n, err := s.Port.Read(b)
	if n == 0 && err == nil && len(b) > 0 {
		return 0, os.ErrDeadlineExceeded
	}
	return n, err
}

// fileLink is a printer device file (or any file) written to only.
type fileLink struct{ f *os.File }

func (l fileLink) Write(b []byte) (int, error)        { return l.f.Write(b) }
func (l fileLink) Close() error                       { return l.f.Close() }
func (l fileLink) SetWriteDeadline(t time.Time) error { return l.f.SetWriteDeadline(t) }

// charLink is a character device (/dev/usb/lp0) the printer's status may
// be read from: whether it can be depends on the printer and the driver,
// and shows at the first poll.
type charLink struct{ fileLink }

func (l charLink) Read(b []byte) (int, error)        { return l.f.Read(b) }
func (l charLink) SetReadDeadline(t time.Time) error { return l.f.SetReadDeadline(t) }

// openFile opens an existing file: read-write when it is a character
// device, so that status can be read, else append-only. It never creates
// the file: a missing /dev/usb/lp0 is a printer that is not there.
func openFile(path string) (Transport, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}
	if st.Mode()&os.ModeCharDevice != 0 {
		if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			return charLink{fileLink{f}}, nil
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("printer: %w", err)
		}
		return fileLink{f}, nil
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is neither a device nor a regular file", ErrURI, path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}
	return fileLink{f}, nil
}
