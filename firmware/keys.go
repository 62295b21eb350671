package firmware

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"evalpad/trust"
)

// Keys is a set of trusted vendor public keys by key id (KeyID). A pad
// trusts several during a key rotation: artifacts signed with the old key
// and with the new one both verify until the old key's file is removed.
type Keys map[string]ed25519.PublicKey

// KeyID is the id a manifest names its signing key by: trust.Fingerprint
// of the public key ("SHA256:" and the unpadded base64 of its SHA-256).
func KeyID(pub ed25519.PublicKey) string { return trust.Fingerprint(pub) }

// maxPubFile bounds a public key file: one line of base64.
const maxPubFile = 4096

// ParsePublicKey reads a vendor public key file's content: the standard
// base64 of the key's 32 bytes (trust.EncodePublicKey), surrounding white
// space ignored.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	pub, err := trust.ParsePublicKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeys, err)
	}
	return pub, nil
}

// LoadKeys reads vendor public keys: each path is a key file, or a
// directory whose *.pub files are read (not its subdirectories). A path
// that does not exist, a malformed key file, or no key at all is an error.
func LoadKeys(paths ...string) (Keys, error) {
	keys := Keys{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("firmware: vendor keys: %w", err)
		}
		files := []string{p}
		if st.IsDir() {
			files, err = filepath.Glob(filepath.Join(p, "*.pub"))
			if err != nil {
				return nil, fmt.Errorf("firmware: vendor keys: %w", err)
			}
			sort.Strings(files)
		}
		for _, f := range files {
			pub, err := loadPublicKey(f)
			if err != nil {
				return nil, err
			}
			keys[KeyID(pub)] = pub
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no *.pub key in %s", ErrKeys, strings.Join(paths, ", "))
	}
	return keys, nil
}

func loadPublicKey(path string) (ed25519.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("firmware: vendor key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPubFile+1))
	if err != nil {
		return nil, fmt.Errorf("firmware: vendor key %s: %w", path, err)
	}
	if len(b) > maxPubFile {
		return nil, fmt.Errorf("%w: %s is longer than a public key file", ErrKeys, path)
	}
	pub, err := ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return pub, nil
}

// GenerateVendorKey makes a new vendor key pair in dir: vendor.key (the
// private key, trust's key file format: PKCS #8 PEM, mode 0600) and
// vendor.pub (the public key, one line of base64). It refuses to replace
// either file. It returns the key's id.
func GenerateVendorKey(dir string) (string, error) {
	pubPath := filepath.Join(dir, "vendor.pub")
	if _, err := os.Lstat(pubPath); err == nil {
		return "", fmt.Errorf("firmware: keygen: %s exists: %w", pubPath, fs.ErrExist)
	}
	key, err := trust.GenerateKey(filepath.Join(dir, "vendor.key"))
	if err != nil {
		return "", fmt.Errorf("firmware: keygen: %w", err)
	}
	pub := trust.Public(key)
	if err := writeFileSync(pubPath, []byte(trust.EncodePublicKey(pub)+"\n"), 0o644); err != nil {
		os.Remove(filepath.Join(dir, "vendor.key"))
		return "", fmt.Errorf("firmware: keygen: %w", err)
	}
	return KeyID(pub), nil
}

// LoadVendorKey reads a vendor private key written by GenerateVendorKey.
func LoadVendorKey(path string) (ed25519.PrivateKey, error) {
	key, err := trust.LoadKey(path)
	if err != nil {
		return nil, fmt.Errorf("firmware: vendor key: %w", err)
	}
	return key, nil
}

// writeFileSync writes a new file (never over one) and syncs it; nothing
// is left on error.
func writeFileSync(path string, b []byte, mode os.FileMode) error {
	err := writeSynced(path, b, os.O_EXCL, mode)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		os.Remove(path)
	}
	return err
}
