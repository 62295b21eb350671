package serialboard_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	sb "evalpad/device/serialboard"
)

// h decodes hex bytes written with spaces: h("a5 01").
func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestCRC16(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
	}{
		{"123456789", 0x29B1}, // the catalogue's check value of CRC-16/CCITT-FALSE
		{"", 0xFFFF},
		{"A", 0xB915},
		{"\x01\x10\x01\x05", 0xD283}, // LEN TYPE SEQ PAYLOAD of KEY star 5 SEQ 1
	} {
		if got := sb.CRC16([]byte(tc.in)); got != tc.want {
			t.Errorf("CRC16(%q) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

// vectors are frames and their exact bytes, computed outside this package
// (a Python CRC-16/CCITT-FALSE) so that the encoder and parser are checked
// against something they did not produce.
var vectors = []struct {
	name  string
	frame sb.Frame
	wire  string
}{
	{"KEY 5 seq 1", sb.Key(1, 5), "a5 01 10 01 05 d2 83"},
	{"KEY 3 seq 2", sb.Key(2, 3), "a5 01 10 02 03 e7 16"},
	{"ACK KEY seq 1", sb.Ack(1, sb.TypeKey), "a5 01 11 01 10 a7 27"},
	{"LED 1F 1500ms", sb.LED(0, 0x1F, 1500), "a5 03 20 00 1f 05 dc 52 12"},
	{"PING seq 7", sb.Ping(7), "a5 00 02 07 da 19"},
	{"HELLO pad", sb.Hello(0, sb.Info{Proto: 1}), "a5 04 01 00 01 00 00 00 03 1c"},
	{"PONG 1.2.3", sb.Pong(7, sb.Info{Proto: 1, FWMajor: 2, FWMinor: 3}), "a5 04 03 07 01 02 03 00 d4 bb"},
	{"ERROR 5/2", sb.Error(9, sb.CodePressLost, 2), "a5 02 7f 09 05 02 82 32"},
}

func TestEncodeVectors(t *testing.T) {
	for _, v := range vectors {
		if got := sb.Encode(v.frame); !bytes.Equal(got, h(v.wire)) {
			t.Errorf("%s: Encode = % x, want %s", v.name, got, v.wire)
		}
		if err := v.frame.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", v.name, err)
		}
	}
}

func TestAccessors(t *testing.T) {
	if got := sb.Key(1, 4).Star(); got != 4 {
		t.Errorf("Star = %d", got)
	}
	if got := sb.Ack(1, sb.TypeHello).AckOf(); got != sb.TypeHello {
		t.Errorf("AckOf = %v", got)
	}
	if m, d := sb.LED(0, 0x15, 65535).LEDState(); m != 0x15 || d != 65535*time.Millisecond {
		t.Errorf("LEDState = %#x %v", m, d)
	}
	in := sb.Info{Proto: 1, FWMajor: 3, FWMinor: 14, Status: sb.StatusKeyStuck | sb.StatusReset}
	if got := sb.Pong(0, in).Info(); got != in {
		t.Errorf("Info = %+v", got)
	}
	if c, d := sb.Error(0, sb.CodeHardware, 3).ErrorCode(); c != sb.CodeHardware || d != 3 {
		t.Errorf("ErrorCode = %v %v", c, d)
	}
	// An accessor of another type's frame gives zero.
	k := sb.Key(1, 4)
	if k.AckOf() != 0 || k.Info() != (sb.Info{}) {
		t.Errorf("accessors of KEY not zero")
	}
	if m, d := k.LEDState(); m != 0 || d != 0 {
		t.Errorf("LEDState of KEY not zero")
	}
	if sb.Ping(0).Star() != 0 {
		t.Errorf("Star of PING not zero")
	}
}

func TestValidate(t *testing.T) {
	bad := []struct {
		name string
		f    sb.Frame
	}{
		{"star 0", sb.Key(0, 0)},
		{"star 6", sb.Key(0, 6)},
		{"KEY long", sb.Frame{Type: sb.TypeKey, Payload: []byte{1, 0}}},
		{"KEY empty", sb.Frame{Type: sb.TypeKey}},
		{"PING payload", sb.Frame{Type: sb.TypePing, Payload: []byte{0}}},
		{"ACK of LED", sb.Ack(0, sb.TypeLED)},
		{"ACK of ACK", sb.Ack(0, sb.TypeAck)},
		{"LED mask bit 5", sb.LED(0, 0x20, 0)},
		{"HELLO proto 0", sb.Hello(0, sb.Info{})},
		{"PONG proto 0", sb.Pong(0, sb.Info{FWMajor: 1})},
		{"ERROR code 0", sb.Error(0, 0, 1)},
		{"unknown type", sb.Frame{Type: 0x42}},
		{"type 0", sb.Frame{}},
	}
	for _, tc := range bad {
		if err := tc.f.Validate(); !errors.Is(err, sb.ErrFrame) {
			t.Errorf("%s: Validate = %v, want ErrFrame", tc.name, err)
		}
	}
	for star := 1; star <= 5; star++ {
		if err := sb.Key(0, star).Validate(); err != nil {
			t.Errorf("star %d: %v", star, err)
		}
	}
}

func TestEncodePanicsOnOversize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Encode of a 33-byte payload did not panic")
		}
	}()
	sb.Encode(sb.Frame{Type: 0x42, Payload: make([]byte, sb.MaxPayload+1)})
}

func TestTypeString(t *testing.T) {
	if s := sb.TypeKey.String(); s != "KEY" {
		t.Error(s)
	}
	if s := sb.Type(0x42).String(); s != "Type(0x42)" {
		t.Error(s)
	}
	if s := sb.Key(3, 2).String(); s != "KEY seq=3 02" {
		t.Error(s)
	}
}

// equalFrames compares frames, nil and empty payloads alike.
func equalFrames(a, b []sb.Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Seq != b[i].Seq || !bytes.Equal(a[i].Payload, b[i].Payload) {
			return false
		}
	}
	return true
}
