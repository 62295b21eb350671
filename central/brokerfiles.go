package central

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"evalpad/central/passwd"
)

// Broker files for an external Mosquitto (`evalhub broker-users`):
//
//	DIR/passwd   password_file: "<device id>:$7$…" for every active device,
//	             "<central user>:$7$…" for each of the central's users
//	DIR/acl      acl_file: WriteACL
//
// Both are replaced whole (written beside, then renamed), mode 0640: give
// the group to the user Mosquitto runs as. Mosquitto reads them again on
// SIGHUP.
const (
	PasswdFile = "passwd"
	ACLFile    = "acl"
)

// WriteBrokerFiles writes DIR/passwd and DIR/acl for devices and the
// central's users, who all log in with centralPassword.
func WriteBrokerFiles(dir string, devices []Registered, centralUsers []string, centralPassword string) (pads int, err error) {
	if len(centralUsers) == 0 || centralPassword == "" {
		return 0, fmt.Errorf("central: broker files: the central's user and password are needed")
	}
	var pw, acl bytes.Buffer
	for _, u := range centralUsers {
		if err := CheckCentralUser(u); err != nil {
			return 0, err
		}
		h, err := passwd.Hash(centralPassword)
		if err != nil {
			return 0, err
		}
		fmt.Fprintln(&pw, passwd.Line(u, h))
	}
	for _, d := range devices {
		if d.Status != DeviceActive {
			continue
		}
		fmt.Fprintln(&pw, passwd.Line(d.MQTTUser, d.MQTTHash))
		pads++
	}
	if err := WriteACL(&acl, centralUsers); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("central: broker files: %w", err)
	}
	for name, b := range map[string][]byte{PasswdFile: pw.Bytes(), ACLFile: acl.Bytes()} {
		if err := writeReplace(filepath.Join(dir, name), b, 0o640); err != nil {
			return 0, err
		}
	}
	return pads, nil
}

// writeReplace writes b to path through a temporary file and a rename, so a
// reader sees the old file or the new one.
func writeReplace(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("central: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("central: write %s: %w", path, err)
	}
	return nil
}
