package agent

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"evalpad/store"
	"evalpad/trust"
)

// StoreFile is the name of the store's file in the data directory.
const StoreFile = "evalpad.db"

// DeviceKeyFile is the name of the pad's ed25519 key in the data
// directory: made on the pad the first time it starts (or is provisioned),
// mode 0600, never sent anywhere. It signs every record.
const DeviceKeyFile = "device.key"

// LoadDeviceKey loads the pad's key from the data directory dir, or makes
// it when there is none (created says so).
func LoadDeviceKey(dir string) (key ed25519.PrivateKey, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("data dir: %w", err)
	}
	return trust.LoadOrGenerateKey(filepath.Join(dir, DeviceKeyFile))
}

// recordSigner signs records with the device key, as the store writes them.
func recordSigner(key ed25519.PrivateKey) func([]byte) (string, error) {
	return func(rec []byte) (string, error) { return trust.Sign(key, trust.RecordDomain, rec) }
}

// openStore opens the store in the data directory, signing every record
// with key, and refuses one whose unacked records belong to another device
// id.
func (a *Agent) openStore(key ed25519.PrivateKey) error {
	dir := a.file.DataDir
	if err := privateDir(dir); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, StoreFile)
	st, err := store.Open(path, store.Options{
		OutboxMax: a.file.Store.OutboxMax, Retention: a.file.Store.Retention.Duration, Logger: a.log,
		Sign: recordSigner(key),
	})
	if err != nil {
		return err
	}
	a.store = st
	return checkDeviceID(st, a.file.DeviceID)
}

// privateDir makes dir, the pad's state, the pad's alone: created 0700,
// and tightened to 0700 if an older install made it wider. A directory
// shared by design (sticky, like /tmp) is refused rather than changed.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSticky != 0 {
		return fmt.Errorf("%s is a shared directory (sticky bit): give the pad a directory of its own", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// ErrOtherDevice: the outbox holds unacked records of another device id.
var ErrOtherDevice = fmt.Errorf("agent: the store holds unacked records of another device id")

// checkDeviceID refuses a store whose unacked records carry a device id
// other than id: the link would send them under id, and the central would
// refuse every one of them (never counted). The error says how many are
// waiting and how to drain them first.
func checkDeviceID(st *store.Store, id string) error {
	others := map[string]int{}
	var after uint64
	for {
		page, err := st.Pending(after, 1000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			var head struct {
				DeviceID string `json:"device_id"`
			}
			if err := json.Unmarshal(e.JSON, &head); err == nil && head.DeviceID != id {
				others[head.DeviceID]++
			}
		}
		after = page[len(page)-1].Seq
	}
	if len(others) == 0 {
		return nil
	}
	var parts []string
	ids := make([]string, 0, len(others))
	for d := range others {
		ids = append(ids, d)
	}
	sort.Strings(ids)
	for _, d := range ids {
		parts = append(parts, fmt.Sprintf("%d of device_id %q", others[d], d))
	}
	return fmt.Errorf("%w: %s holds %s not yet acked by the central, and the config says device_id %q. "+
		"Set device_id back to %q and run the pad until GET /api/v1/state shows outbox.pending 0, then change it; "+
		"or move %s aside to start anew (its records then never reach the central)",
		ErrOtherDevice, st.Path(), strings.Join(parts, " and "), id, ids[0], st.Path())
}
