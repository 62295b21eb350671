package evdev

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"
)

// Event types and codes used by this package (linux/input-event-codes.h).
const (
	EvSyn = 0x00
	EvKey = 0x01
	EvAbs = 0x03
	EvMsc = 0x04

	SynReport  = 0x00
	SynDropped = 0x03

	MscScan = 0x04

	AbsX            = 0x00
	AbsY            = 0x01
	AbsMTSlot       = 0x2f
	AbsMTPositionX  = 0x35
	AbsMTPositionY  = 0x36
	AbsMTTrackingID = 0x39

	BtnTouch = 0x14a

	Key1   = 2 // KEY_1; Key2..Key5 follow
	Key2   = 3
	Key3   = 4
	Key4   = 5
	Key5   = 6
	KeyKP4 = 75
	KeyKP5 = 76
	KeyKP1 = 79
	KeyKP2 = 80
	KeyKP3 = 81
)

// Values of an EvKey event.
const (
	KeyUp     = 0
	KeyDown   = 1
	KeyRepeat = 2
)

const maxRecordsPerRead = 64

// Format is the size in bytes of one input_event record, which depends on
// the size of a C long on the reading process's architecture.
type Format int

const (
	// Format64 is the 24-byte record of 64-bit processes (arm64, amd64).
	Format64 Format = 24
	// Format32 is the 16-byte record of 32-bit processes (arm, 386),
	// including 32-bit processes on a 64-bit kernel.
	Format32 Format = 16
	// NativeFormat is the record this process reads from the kernel.
	NativeFormat = Format(8 + 2*unsafe.Sizeof(uintptr(0)))
)

// Event is one input_event record.
type Event struct {
	// Sec and Usec are the kernel's timestamp (CLOCK_REALTIME unless the
	// reader changed it with EVIOCSCLOCKID).
	Sec, Usec int64
	Type      uint16
	Code      uint16
	Value     int32
}

// Time returns the event's timestamp.
func (e Event) Time() time.Time { return time.Unix(e.Sec, e.Usec*1000) }

func (e Event) String() string {
	return fmt.Sprintf("%d.%06d type=%#x code=%#x value=%d", e.Sec, e.Usec, e.Type, e.Code, e.Value)
}

// ErrTruncated reports a stream that ends inside a record.
var ErrTruncated = errors.New("evdev: truncated input_event record")

// ErrFormat reports a Format other than Format32 or Format64.
var ErrFormat = errors.New("evdev: unknown record format")

// Decode reads NativeFormat records from r and calls fn for each until r
// ends. It returns nil when r ends on a record boundary, ErrTruncated (which
// wraps io.ErrUnexpectedEOF) when it ends inside one, r's error, or fn's
// error.
func Decode(r io.Reader, fn func(Event) error) error {
	return DecodeFormat(r, NativeFormat, fn)
}

// DecodeFormat is Decode for records of the given format.
func DecodeFormat(r io.Reader, f Format, fn func(Event) error) error {
	if f != Format32 && f != Format64 {
		return fmt.Errorf("%w: %d bytes", ErrFormat, f)
	}
	// A device read returns whole records and needs room for one; the
	// buffer holds a whole number of records of either size.
	br := bufio.NewReaderSize(r, maxRecordsPerRead*int(Format64)*2)
	rec := make([]byte, f)
	for {
		n, err := io.ReadFull(br, rec)
		switch {
		case err == io.EOF:
			return nil
		case err == io.ErrUnexpectedEOF:
			return fmt.Errorf("%w: %d of %d bytes: %w", ErrTruncated, n, f, err)
		case err != nil:
			return err
		}
		if err := fn(parse(rec, f)); err != nil {
			return err
		}
	}
}

// parse decodes one record. Linux on every target of evalpad (arm, arm64,
// amd64) is little-endian.
func parse(b []byte, f Format) Event {
	le := binary.LittleEndian
	var e Event
	var rest []byte
	if f == Format64 {
		e.Sec = int64(le.Uint64(b[0:]))
		e.Usec = int64(le.Uint64(b[8:]))
		rest = b[16:]
	} else {
		e.Sec = int64(le.Uint32(b[0:]))
		e.Usec = int64(le.Uint32(b[4:]))
		rest = b[8:]
	}
	e.Type = le.Uint16(rest[0:])
	e.Code = le.Uint16(rest[2:])
	e.Value = int32(le.Uint32(rest[4:]))
	return e
}

// AppendEvent appends e as one record of format f, the exact inverse of
// DecodeFormat (in Format32, Sec and Usec keep their low 32 bits).
func AppendEvent(b []byte, f Format, e Event) []byte {
	le := binary.LittleEndian
	if f == Format64 {
		b = le.AppendUint64(b, uint64(e.Sec))
		b = le.AppendUint64(b, uint64(e.Usec))
	} else {
		b = le.AppendUint32(b, uint32(e.Sec))
		b = le.AppendUint32(b, uint32(e.Usec))
	}
	b = le.AppendUint16(b, e.Type)
	b = le.AppendUint16(b, e.Code)
	return le.AppendUint32(b, uint32(e.Value))
}
