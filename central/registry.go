package central

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"evalpad/sync/protocol"
)

// The device registry: which pads may send records, with which key, and
// with which broker credentials. SQLStore keeps it in the same database as
// the records (tables devices and enroll_codes); evalhub enroll writes the
// codes, POST /api/v1/enroll uses them.

// Device statuses. Only an active device's records are stored and only an
// active device may log in to the embedded broker.
const (
	DeviceActive  = "active"
	DeviceRevoked = "revoked"
)

// Registered is a pad in the registry.
type Registered struct {
	DeviceID    string            `json:"device_id"`
	PublicKey   ed25519.PublicKey `json:"-"`
	Fingerprint string            `json:"key_fingerprint"`
	MQTTUser    string            `json:"mqtt_username"`
	MQTTHash    string            `json:"-"` // passwd.Hash of its MQTT password
	Hardware    map[string]string `json:"hardware"`
	Version     string            `json:"version"`
	// EnrolledAt is when the current key was registered: records dated
	// before it are refused. UpdatedAt is the last enrollment (credentials
	// issued).
	EnrolledAt time.Time        `json:"enrolled_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	Status     string           `json:"status"`
	Config     *protocol.Config `json:"config,omitempty"` // what down/config sets on it; nil for none
}

// Code is a one-time enrollment code as stored: only its hash.
type Code struct {
	Hash      string // CodeHash of the code
	DeviceID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
	// NewKey lets the code register a key other than the device's current
	// one (a replaced pad). Without it a registered device may only renew
	// its credentials with the key it has.
	NewKey bool
	Config *protocol.Config // set on the device at enrollment; nil keeps the device's
}

// Registry errors. Enroll's errors wrap one of them.
var (
	ErrNoDevice      = errors.New("central: device not registered")
	ErrCodeUnknown   = errors.New("central: enrollment code unknown")
	ErrCodeUsed      = errors.New("central: enrollment code already used")
	ErrCodeExpired   = errors.New("central: enrollment code expired")
	ErrCodeDevice    = errors.New("central: enrollment code is for another device")
	ErrKeyChange     = errors.New("central: device registered with another key")
	ErrNoToken       = errors.New("central: token unknown")
	ErrNoDownlink    = errors.New("central: downlink unknown")
	ErrCentralFlag   = errors.New("central: flag owned by the central")
	errEnrollAborted = errors.New("central: enrollment aborted")
)

// Registry is the device registry as the hub, the broker and the
// enrollment route use it. Device returns ErrNoDevice for an unknown id.
// Enroll, in one transaction: takes the unused, unexpired code whose hash
// is codeHash (ErrCodeUnknown, ErrCodeUsed, ErrCodeExpired), lets decide
// build the device's new row from the current one (nil for a new device)
// and the code, marks the code used and stores the row; when decide fails
// nothing changes and the code stays usable.
type Registry interface {
	Device(ctx context.Context, id string) (Registered, error)
	DevicesByID(ctx context.Context, ids []string) (map[string]Registered, error)
	Devices(ctx context.Context) ([]Registered, error)
	AddCode(ctx context.Context, c Code) error
	Enroll(ctx context.Context, codeHash string, now time.Time, decide func(cur *Registered, c Code) (Registered, error)) (Registered, error)
	SetConfig(ctx context.Context, id string, c *protocol.Config) error
}

var _ Registry = (*SQLStore)(nil)
