package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"evalpad/central"
	"evalpad/firmware"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// KeyFile is the central's ed25519 key in the data directory (mode 0600,
// made at the first start or the first `evalhub enroll`). Instances of one
// central (one database, one shared group) need the same key file.
const KeyFile = "central.key"

// DSN is the database evalhub uses: db, else SQLite in data.
func DSN(db, data string) (string, error) {
	if db != "" {
		return db, nil
	}
	if data == "" {
		return "", errors.New("server: no database: set DB or Data")
	}
	// The state directory is evalhub's alone; an older one is tightened.
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", fmt.Errorf("server: data dir: %w", err)
	}
	if err := os.Chmod(data, 0o700); err != nil {
		return "", fmt.Errorf("server: data dir: %w", err)
	}
	return filepath.Join(data, "evalhub.db"), nil
}

// LoadKey loads the central's key from data, making it when there is none.
func LoadKey(data string, log *slog.Logger) (ed25519.PrivateKey, error) {
	if data == "" {
		return nil, errors.New("server: no data directory for the central's key")
	}
	key, created, err := trust.LoadOrGenerateKey(filepath.Join(data, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("server: central key: %w", err)
	}
	if created && log != nil {
		log.Info("evalhub: made the central's key", "file", filepath.Join(data, KeyFile), "fingerprint", trust.Fingerprint(trust.Public(key)))
	}
	return key, nil
}

// Admin is the central's store and key for the commands that run beside a
// central (evalhub enroll, token, broker-users): they need no broker.
type Admin struct {
	Store *central.SQLStore
	Key   ed25519.PrivateKey
	Data  string // the data directory (the firmware store is in it)
}

// OpenAdmin opens the store of db (or data) and the key in data.
func OpenAdmin(ctx context.Context, db, data string) (*Admin, error) {
	dsn, err := DSN(db, data)
	if err != nil {
		return nil, err
	}
	key, err := LoadKey(data, nil)
	if err != nil {
		return nil, err
	}
	st, err := central.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Admin{Store: st, Key: key, Data: data}, nil
}

// Close closes the store.
func (a *Admin) Close() error { return a.Store.Close() }

// Fingerprint is the central key's.
func (a *Admin) Fingerprint() string { return trust.Fingerprint(trust.Public(a.Key)) }

// Issued is an enrollment code made by IssueCode.
type Issued struct {
	Code     string
	Device   string
	Expires  time.Time
	Enrolled *central.Registered // the device as registered now; nil when new
	NewKey   bool
}

// IssueCode makes a one-time enrollment code for device.
func (a *Admin) IssueCode(ctx context.Context, device string, valid time.Duration, newKey bool, cfg *protocol.Config, now time.Time) (Issued, error) {
	code, c, err := central.IssueCode(ctx, a.Store, device, valid, newKey, cfg, now)
	if err != nil {
		return Issued{}, err
	}
	is := Issued{Code: code, Device: device, Expires: c.ExpiresAt, NewKey: newKey}
	if d, err := a.Store.Device(ctx, device); err == nil {
		is.Enrolled = &d
	} else if !errors.Is(err, central.ErrNoDevice) {
		return Issued{}, err
	}
	return is, nil
}

// VendorKeysDir is the directory of vendor public keys (*.pub) in a data
// directory that evalhub firmware publish uses when no --vendor-key is given.
const VendorKeysDir = "vendor-keys"

// VendorKeys loads the vendor public keys given (files or directories of
// *.pub), else those in DATA/vendor-keys.
func (a *Admin) VendorKeys(given []string) (firmware.Keys, error) {
	if len(given) == 0 {
		dir := filepath.Join(a.Data, VendorKeysDir)
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("server: no vendor keys: give --vendor-key PUB (a file or a directory of *.pub) or put them in %s", dir)
		}
		given = []string{dir}
	}
	return firmware.LoadKeys(given...)
}

// Publish verifies the artifact at path against keys and adds it to the
// firmware store in the data directory and to the database.
func (a *Admin) Publish(ctx context.Context, path string, keys firmware.Keys, now time.Time) (central.Firmware, bool, error) {
	return central.Publish(ctx, a.Store, central.FirmwareDir(a.Data), path, keys, now)
}
