package serialboard

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Wire constants; see the package documentation for the layout.
const (
	SOF        = 0xA5 // start of frame
	MaxPayload = 32   // largest LEN a receiver accepts
	Overhead   = 6    // SOF, LEN, TYPE, SEQ and two CRC bytes
	MaxFrame   = MaxPayload + Overhead
	Proto      = 1 // protocol version of this package
	Stars      = 5 // star buttons 1..Stars
)

// Type is a frame's TYPE byte.
type Type uint8

// Frame types.
const (
	TypeHello Type = 0x01
	TypePing  Type = 0x02
	TypePong  Type = 0x03
	TypeKey   Type = 0x10
	TypeAck   Type = 0x11
	TypeLED   Type = 0x20
	TypeError Type = 0x7F
)

// payloadLen is the payload length of each known type.
func (t Type) payloadLen() (int, bool) {
	switch t {
	case TypeHello, TypePong:
		return 4, true
	case TypePing:
		return 0, true
	case TypeKey, TypeAck:
		return 1, true
	case TypeLED:
		return 3, true
	case TypeError:
		return 2, true
	}
	return 0, false
}

func (t Type) String() string {
	switch t {
	case TypeHello:
		return "HELLO"
	case TypePing:
		return "PING"
	case TypePong:
		return "PONG"
	case TypeKey:
		return "KEY"
	case TypeAck:
		return "ACK"
	case TypeLED:
		return "LED"
	case TypeError:
		return "ERROR"
	}
	return fmt.Sprintf("Type(0x%02X)", uint8(t))
}

// Status is the MCU's health bits in HELLO and PONG.
type Status uint8

// Status bits.
const (
	StatusKeyStuck  Status = 1 << 0 // a key is held down
	StatusLEDFault  Status = 1 << 1 // an LED is open or shorted
	StatusPressLost Status = 1 << 2 // presses were dropped (queue full or unacked for 2 s)
	StatusReset     Status = 1 << 3 // brown-out or watchdog reset
)

// Info is the payload of HELLO and PONG.
type Info struct {
	Proto            uint8 // protocol version, never 0
	FWMajor, FWMinor uint8 // firmware version; 0.0 from the pad
	Status           Status
}

// ErrCode is the code of an ERROR frame.
type ErrCode uint8

// Error codes.
const (
	CodeCRC       ErrCode = 1 // frames with a bad CRC were seen
	CodeType      ErrCode = 2 // unexpected or unknown type; detail: the type
	CodeLength    ErrCode = 3 // bad length; detail: the type
	CodeRange     ErrCode = 4 // field out of range; detail: the type
	CodePressLost ErrCode = 5 // presses dropped; detail: how many
	CodeHardware  ErrCode = 6 // hardware fault; detail: Status bits
)

// Frame is one frame without its SOF, LEN and CRC, which Encode adds.
// Build frames with the constructors (Key, Ack, …) and read their
// payloads with the accessors (Star, AckOf, …); an accessor of another
// type's frame returns zero values.
type Frame struct {
	Type    Type
	Seq     uint8
	Payload []byte // nil when empty
}

// Hello is a HELLO frame.
func Hello(seq uint8, in Info) Frame { return Frame{TypeHello, seq, in.bytes()} }

// Ping is a PING frame.
func Ping(seq uint8) Frame { return Frame{TypePing, seq, nil} }

// Pong answers the PING with SEQ seq.
func Pong(seq uint8, in Info) Frame { return Frame{TypePong, seq, in.bytes()} }

// Key is a KEY frame: one press of star (1..5).
func Key(seq uint8, star int) Frame { return Frame{TypeKey, seq, []byte{byte(star)}} }

// Ack acknowledges the frame of type t with SEQ seq.
func Ack(seq uint8, t Type) Frame { return Frame{TypeAck, seq, []byte{byte(t)}} }

// LED lights the stars in mask (bit i is star i+1) for ms milliseconds,
// 0 meaning until the next LED frame.
func LED(seq, mask uint8, ms uint16) Frame {
	return Frame{TypeLED, seq, []byte{mask, byte(ms >> 8), byte(ms)}}
}

// Error is an ERROR frame.
func Error(seq uint8, code ErrCode, detail uint8) Frame {
	return Frame{TypeError, seq, []byte{byte(code), detail}}
}

func (in Info) bytes() []byte {
	return []byte{in.Proto, in.FWMajor, in.FWMinor, byte(in.Status)}
}

// Star is the star of a KEY frame, 0 for other frames.
func (f Frame) Star() int {
	if f.Type != TypeKey || len(f.Payload) != 1 {
		return 0
	}
	return int(f.Payload[0])
}

// AckOf is the type an ACK frame acknowledges, 0 for other frames.
func (f Frame) AckOf() Type {
	if f.Type != TypeAck || len(f.Payload) != 1 {
		return 0
	}
	return Type(f.Payload[0])
}

// LEDState is the mask and duration of an LED frame (duration 0: until the
// next LED frame); zeros for other frames.
func (f Frame) LEDState() (mask uint8, d time.Duration) {
	if f.Type != TypeLED || len(f.Payload) != 3 {
		return 0, 0
	}
	return f.Payload[0], time.Duration(binary.BigEndian.Uint16(f.Payload[1:])) * time.Millisecond
}

// Info is the payload of a HELLO or PONG frame, zero for other frames.
func (f Frame) Info() Info {
	if (f.Type != TypeHello && f.Type != TypePong) || len(f.Payload) != 4 {
		return Info{}
	}
	p := f.Payload
	return Info{Proto: p[0], FWMajor: p[1], FWMinor: p[2], Status: Status(p[3])}
}

// ErrorCode is the code and detail of an ERROR frame, zeros for others.
func (f Frame) ErrorCode() (ErrCode, uint8) {
	if f.Type != TypeError || len(f.Payload) != 2 {
		return 0, 0
	}
	return ErrCode(f.Payload[0]), f.Payload[1]
}

// Validate reports whether f is a frame of protocol version 1: a known
// type, the payload length of that type, fields in range. The error wraps
// ErrFrame.
func (f Frame) Validate() error {
	n, ok := f.Type.payloadLen()
	if !ok {
		return fmt.Errorf("%w: unknown type 0x%02X", ErrFrame, uint8(f.Type))
	}
	if len(f.Payload) != n {
		return fmt.Errorf("%w: %v payload of %d bytes, want %d", ErrFrame, f.Type, len(f.Payload), n)
	}
	p := f.Payload
	switch f.Type {
	case TypeKey:
		if p[0] < 1 || p[0] > Stars {
			return fmt.Errorf("%w: KEY star %d", ErrFrame, p[0])
		}
	case TypeAck:
		if t := Type(p[0]); t != TypeKey && t != TypeHello {
			return fmt.Errorf("%w: ACK of %v", ErrFrame, t)
		}
	case TypeLED:
		if p[0] >= 1<<Stars {
			return fmt.Errorf("%w: LED mask 0x%02X", ErrFrame, p[0])
		}
	case TypeHello, TypePong:
		if p[0] == 0 {
			return fmt.Errorf("%w: %v protocol version 0", ErrFrame, f.Type)
		}
	case TypeError:
		if p[0] == 0 {
			return fmt.Errorf("%w: ERROR code 0", ErrFrame)
		}
	}
	return nil
}

func (f Frame) String() string {
	return fmt.Sprintf("%v seq=%d % X", f.Type, f.Seq, f.Payload)
}

// Encode returns the frame's bytes: SOF, LEN, TYPE, SEQ, payload, CRC. It
// encodes invalid frames too (tests need them), but panics if the payload
// is longer than MaxPayload, which no receiver would accept.
func Encode(f Frame) []byte { return Append(nil, f) }

// Append appends the bytes of f to dst, as Encode.
func Append(dst []byte, f Frame) []byte {
	if len(f.Payload) > MaxPayload {
		panic(fmt.Sprintf("serialboard: payload of %d bytes exceeds %d", len(f.Payload), MaxPayload))
	}
	dst = append(dst, SOF)
	start := len(dst)
	dst = append(dst, byte(len(f.Payload)), byte(f.Type), f.Seq)
	dst = append(dst, f.Payload...)
	return binary.BigEndian.AppendUint16(dst, CRC16(dst[start:]))
}
