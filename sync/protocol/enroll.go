package protocol

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Enrollment: a pad registers with the central over HTTP(S) once, with a
// one-time code a technician got from the central:
//
//	pad ── POST /api/v1/enroll  EnrollRequest (signed with the new device key) ──▶ central
//	pad ◀── 200 EnrollResponse: the central's key, the broker and the pad's MQTT
//	         credentials, the receipt key, the pad's config ────────────────────── central
//
// Errors are JSON {"error": "…"} with 400 (malformed), 403 (a code unknown,
// used, expired, or for another device; a bad signature) or 409 (the device
// is registered with another key and the code does not allow a new one).

// EnrollPath is the central's enrollment route.
const EnrollPath = "/api/v1/enroll"

// EnrollRequest is what a pad sends to enroll. Sig is the device key's
// signature (trust.EnrollDomain) over the request without sig: proof that
// the pad holds the key it registers.
type EnrollRequest struct {
	V         int               `json:"v"`
	Code      string            `json:"code"`
	DeviceID  string            `json:"device_id"`
	PublicKey string            `json:"public_key"` // trust.EncodePublicKey
	Hardware  map[string]string `json:"hardware"`   // a summary for the central's records: "buttons", "panel", "printer", "arch"…
	Version   string            `json:"version"`
	At        string            `json:"at"` // the pad's clock, RFC 3339: the central can tell a pad whose clock is off
	Sig       string            `json:"sig"`
}

// EnrollResponse is what the central answers a pad that enrolled.
type EnrollResponse struct {
	V          int    `json:"v"`
	DeviceID   string `json:"device_id"`
	CentralKey string `json:"central_public_key"` // trust.EncodePublicKey
	Broker     string `json:"broker"`             // tcp://, ssl://, ws://, wss://
	Username   string `json:"mqtt_username"`
	Password   string `json:"mqtt_password"`
	CA         string `json:"ca_pem,omitempty"` // PEM CA of the broker's certificate, when it is not a public one
	// ReceiptKeyID and ReceiptKey sign the 扫码评价 tokens on receipts.
	ReceiptKeyID string  `json:"receipt_key_id"`
	ReceiptKey   string  `json:"receipt_key"`
	Config       *Config `json:"config,omitempty"` // hall, window, staff… as down/config sets them
}

// Limits of enrollment messages.
const (
	MaxEnrollBytes    = 64 << 10
	MaxHardwareFields = 16
	MaxHardwareRunes  = 200
	MaxCodeLen        = 64
)

// ParseEnrollRequest decodes and checks an enrollment request's fields
// (the signature is the central's to verify, with trust.Verify).
func ParseEnrollRequest(data []byte) (EnrollRequest, error) {
	var r EnrollRequest
	if len(data) > MaxEnrollBytes {
		return r, invalid("enroll", "payload: %d bytes, at most %d", len(data), MaxEnrollBytes)
	}
	if err := decode("enroll", data, &r); err != nil {
		return EnrollRequest{}, err
	}
	switch {
	case r.V != 1:
		return r, invalid("enroll", "v: %d is not 1", r.V)
	case r.Code == "" || len(r.Code) > MaxCodeLen || !printableASCII(r.Code):
		return r, invalid("enroll", "code: 1 to %d printable characters", MaxCodeLen)
	case r.PublicKey == "" || len(r.PublicKey) > 64:
		return r, invalid("enroll", "public_key: required, the base64 of an ed25519 key")
	case r.Sig == "" || len(r.Sig) > 128:
		return r, invalid("enroll", "sig: required")
	case len(r.Hardware) > MaxHardwareFields:
		return r, invalid("enroll", "hardware: %d fields, at most %d", len(r.Hardware), MaxHardwareFields)
	}
	if err := CheckDeviceID(r.DeviceID); err != nil {
		return r, err
	}
	if err := checkText("version", r.Version, 1, 64); err != nil {
		return r, invalid("enroll", "%v", err)
	}
	if err := checkText("at", r.At, 1, 40); err != nil {
		return r, invalid("enroll", "%v", err)
	}
	for k, v := range r.Hardware {
		if err := checkCode("enroll", "hardware key", k); err != nil {
			return r, err
		}
		if err := checkText("hardware."+k, v, 0, MaxHardwareRunes); err != nil {
			return r, invalid("enroll", "%v", err)
		}
	}
	return r, nil
}

// ParseEnrollResponse decodes and checks the central's answer.
func ParseEnrollResponse(data []byte) (EnrollResponse, error) {
	var r EnrollResponse
	if len(data) > MaxEnrollBytes {
		return r, invalid("enroll response", "payload: %d bytes, at most %d", len(data), MaxEnrollBytes)
	}
	if err := decode("enroll response", data, &r); err != nil {
		return EnrollResponse{}, err
	}
	if r.V != 1 {
		return r, invalid("enroll response", "v: %d is not 1", r.V)
	}
	if err := CheckDeviceID(r.DeviceID); err != nil {
		return r, err
	}
	u, err := url.Parse(r.Broker)
	if err != nil || u.Host == "" || !strings.Contains("tcp ssl tls mqtts ws wss", u.Scheme) || u.User != nil {
		return r, invalid("enroll response", "broker: %q is not scheme://host:port (no credentials in it)", r.Broker)
	}
	for _, f := range []struct{ name, v string }{{"central_public_key", r.CentralKey}, {"mqtt_username", r.Username},
		{"mqtt_password", r.Password}, {"receipt_key_id", r.ReceiptKeyID}, {"receipt_key", r.ReceiptKey}} {
		if f.v == "" || len(f.v) > 256 || !printableASCII(f.v) {
			return r, invalid("enroll response", "%s: 1 to 256 printable characters", f.name)
		}
	}
	if len(r.CA) > 32<<10 || !utf8.ValidString(r.CA) {
		return r, invalid("enroll response", "ca_pem: at most 32 KiB of PEM")
	}
	if r.Config != nil {
		if err := r.Config.Validate(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Marshal encodes r.
func (r EnrollRequest) Marshal() []byte { b, _ := json.Marshal(r); return b }

// Marshal encodes r.
func (r EnrollResponse) Marshal() []byte { b, _ := json.Marshal(r); return b }

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
