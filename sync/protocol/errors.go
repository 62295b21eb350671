package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Sentinel errors. Every parse error wraps one of them and names the field.
var (
	// ErrInvalid: a payload or topic is malformed or breaks a rule.
	ErrInvalid = errors.New("protocol: invalid message")
	// ErrUnknownCmd: a down/cmd names a command this pad does not know.
	ErrUnknownCmd = errors.New("protocol: unknown command")
)

// MaxPayload bounds any downlink payload (a session with a photo is the largest).
const MaxPayload = 1 << 20

func invalid(what, format string, args ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{ErrInvalid, what}, args...)...)
}

// decode reads exactly one JSON value into v, naming the field of a type error.
// Unknown fields are ignored: protocol v1 may add fields.
func decode(what string, data []byte, v any) error {
	if len(data) > MaxPayload {
		return invalid(what, "payload: %d bytes, at most %d", len(data), MaxPayload)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			f := te.Field
			if f == "" {
				f = "payload"
			}
			return invalid(what, "%s: expected %s, got a JSON %s", f, te.Type, te.Value)
		case errors.As(err, &se):
			return invalid(what, "payload: not JSON at byte %d: %v", se.Offset, se)
		case errors.Is(err, io.EOF):
			return invalid(what, "payload: empty")
		}
		return invalid(what, "payload: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid(what, "payload: more than one JSON value")
	}
	return nil
}

// checkCode accepts 1..64 of ASCII letters, digits and -_.:/ (ids and codes).
func checkCode(what, field, v string) error {
	if v == "" {
		return invalid(what, "%s: required", field)
	}
	if len(v) > 64 {
		return invalid(what, "%s: %d characters, at most 64", field, len(v))
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' || c == '/') {
			return invalid(what, "%s: %q has a character other than letters, digits and -_.:/", field, v)
		}
	}
	return nil
}
