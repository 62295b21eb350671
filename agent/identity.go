package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"evalpad/agent/config"
	"evalpad/display/receipt"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Files of a provisioned pad in its data directory.
const (
	// IdentityFile is what enrollment gave the pad (Identity), mode 0600.
	IdentityFile = "identity.json"
	// BrokerCAFile is the PEM CA of the broker's certificate, when the
	// central sent one.
	BrokerCAFile = "broker-ca.pem"
)

// Identity is what provisioning gave the pad: who it is to the central,
// the central's key, how to reach the broker, and the receipt key. It is
// kept as DATA/identity.json, mode 0600 (it holds the MQTT password and the
// receipt key), and laid over the config file at every start (Apply).
//
//	{"v":1, "device_id":"TA-ZWFW-W12", "central":"https://hcp.example.gov.cn:8443",
//	 "central_public_key":"<base64 ed25519>", "broker":"ssl://mqtt.example.gov.cn:8883",
//	 "mqtt_username":"TA-ZWFW-W12", "mqtt_password":"…", "ca_file":"broker-ca.pem",
//	 "receipt_key_id":"k3", "receipt_key":"…", "enrolled_at":"2026-11-29T10:00:00+08:00"}
type Identity struct {
	V            int    `json:"v"`
	DeviceID     string `json:"device_id"`
	Central      string `json:"central"`            // the central's enrollment base URL
	CentralKey   string `json:"central_public_key"` // trust.EncodePublicKey
	Broker       string `json:"broker"`
	Username     string `json:"mqtt_username"`
	Password     string `json:"mqtt_password"`
	CAFile       string `json:"ca_file,omitempty"` // BrokerCAFile, in the data directory; "" = the system's roots
	ReceiptKeyID string `json:"receipt_key_id"`
	ReceiptKey   string `json:"receipt_key"`
	EnrolledAt   string `json:"enrolled_at"` // RFC 3339, the pad's clock

	dir string // the data directory it was read from or written to
}

// ErrIdentity: identity.json is malformed, or readable by others.
var ErrIdentity = errors.New("agent: provisioned identity")

// Provisioned sets cfg's data directory (the config file's, else dflt)
// and lays the identity provisioned there over cfg, validated; the
// identity is nil when the pad was never provisioned.
func Provisioned(cfg config.Config, dflt string) (config.Config, *Identity, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = dflt
	}
	id, err := LoadIdentity(cfg.DataDir)
	if err != nil {
		return cfg, nil, err
	}
	cfg = id.Apply(cfg)
	return cfg, id, cfg.Validate()
}

// LoadIdentity reads the identity in the data directory dir; nil when the
// pad was never provisioned.
func LoadIdentity(dir string) (*Identity, error) {
	path := filepath.Join(dir, IdentityFile)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is mode %04o: others may have read its MQTT password and receipt key; "+
			"make it 0600 and provision again to rotate them", ErrIdentity, path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	var id Identity
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&id); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrIdentity, path, err)
	}
	if err := id.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrIdentity, path, err)
	}
	id.dir = dir
	return &id, nil
}

// check validates what the pad relies on: the fields Apply sets must make
// a config that validates.
func (id *Identity) check() error {
	if id.V != 1 {
		return fmt.Errorf("v: %d is not 1", id.V)
	}
	if err := protocol.CheckDeviceID(id.DeviceID); err != nil {
		return err
	}
	if _, err := trust.ParsePublicKey(id.CentralKey); err != nil {
		return fmt.Errorf("central_public_key: %w", err)
	}
	if id.CAFile != "" && id.CAFile != BrokerCAFile {
		return fmt.Errorf("ca_file: %q, want %q or none", id.CAFile, BrokerCAFile)
	}
	if len(id.ReceiptKey) < receipt.MinKeyLen {
		return fmt.Errorf("receipt_key: %d characters, want at least %d", len(id.ReceiptKey), receipt.MinKeyLen)
	}
	if err := receipt.CheckKeyID(id.ReceiptKeyID); err != nil {
		return fmt.Errorf("receipt_key_id: %w", err)
	}
	return nil
}

// Apply lays the identity over cfg: the device id, the broker, its user,
// CA and the central's key (sync), and the receipt key and its id. It wins
// over the config file; a command's flags win over it. The password is
// not a config field: the command hands it to the agent
// (Parts.BrokerPassword).
func (id *Identity) Apply(cfg config.Config) config.Config {
	if id == nil {
		return cfg
	}
	cfg.DeviceID = id.DeviceID
	cfg.Sync.Broker, cfg.Sync.Username, cfg.Sync.CentralKey = id.Broker, id.Username, id.CentralKey
	if id.CAFile != "" {
		cfg.Sync.CAFile = filepath.Join(id.dir, id.CAFile)
	}
	if id.Password != "" {
		cfg.Sync.PasswordFile = "" // the identity's password, not an older file's
	}
	cfg.Receipt.Key, cfg.Receipt.KeyID = id.ReceiptKey, id.ReceiptKeyID
	return cfg
}

// MQTTPassword is the MQTT password, "" for none (a nil identity too).
func (id *Identity) MQTTPassword() string {
	if id == nil {
		return ""
	}
	return id.Password
}

// writeFileAtomic writes data to path with mode perm so that a crash
// leaves the old file or the new one: a temporary file beside it, synced,
// renamed over it, and the directory synced.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename: nothing there
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
