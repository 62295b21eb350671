// Package firmwaretest gives tests a fixed vendor key and signed artifacts
// made with it. The key is public (its seed is below and in
// firmware/testdata): never trust it outside tests.
package firmwaretest

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evalpad/firmware"
)

// Seed is the test vendor key's ed25519 seed (32 ASCII bytes), the key of
// firmware/doc.go's test vector and of firmware/testdata/vendor.key.
const Seed = "evalpad firmware test vendor!!!!"

// Key is the test vendor key: TEST ONLY, its private half is published.
func Key() ed25519.PrivateKey { return ed25519.NewKeyFromSeed([]byte(Seed)) }

// Keys is the set of trusted keys holding only Key's public half.
func Keys() firmware.Keys {
	pub := Key().Public().(ed25519.PublicKey)
	return firmware.Keys{firmware.KeyID(pub): pub}
}

// Manifest is a manifest for an agent artifact of version for arch, from
// any version, store format 1, created at a fixed time; Build fills the
// rest.
func Manifest(version, arch string) firmware.Manifest {
	return firmware.Manifest{
		Version: version, Arch: arch, Kind: firmware.KindAgent,
		StoreFormat: 1, Created: "2026-11-29T12:00:00Z",
	}
}

// Artifact writes an artifact of payload with manifest m, signed with key
// (Key when nil), into dir and returns its path.
func Artifact(tb testing.TB, dir string, key ed25519.PrivateKey, m firmware.Manifest, payload []byte) string {
	tb.Helper()
	if key == nil {
		key = Key()
	}
	path := filepath.Join(dir, "evalpad-"+m.Version+"-"+m.Arch+".fw")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := firmware.Build(f, key, m, strings.NewReader(string(payload))); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}
