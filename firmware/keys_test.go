package firmware_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
)

// Key rotation: a pad that trusts the old and the new vendor key accepts
// artifacts signed with either; once the old key's file is gone, the old
// key's artifacts are refused.
func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	keysDir := filepath.Join(dir, "vendor-keys")
	oldID, err := firmware.GenerateVendorKey(filepath.Join(dir, "old"))
	if err != nil {
		t.Fatal(err)
	}
	newID, err := firmware.GenerateVendorKey(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	if oldID == newID {
		t.Fatal("two keys with one id")
	}
	os.Mkdir(keysDir, 0o755)
	for _, n := range []string{"old", "new"} {
		b, _ := os.ReadFile(filepath.Join(dir, n, "vendor.pub"))
		os.WriteFile(filepath.Join(keysDir, n+".pub"), b, 0o644)
	}
	os.WriteFile(filepath.Join(keysDir, "notes.txt"), []byte("not a key"), 0o644) // ignored: not *.pub
	keys, err := firmware.LoadKeys(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[oldID] == nil || keys[newID] == nil {
		t.Fatalf("LoadKeys: %v", keys)
	}
	arts := map[string]string{}
	for _, n := range []string{"old", "new"} {
		key, err := firmware.LoadVendorKey(filepath.Join(dir, n, "vendor.key"))
		if err != nil {
			t.Fatal(err)
		}
		m := firmwaretest.Manifest("1.3.0", "arm64")
		m.Version = map[string]string{"old": "1.3.0", "new": "1.4.0"}[n]
		arts[n] = firmwaretest.Artifact(t, dir, key, m, []byte(n))
		if _, err := firmware.Verify(arts[n], keys, target); err != nil {
			t.Errorf("%s key: %v", n, err)
		}
	}
	os.Remove(filepath.Join(keysDir, "old.pub"))
	keys, err = firmware.LoadKeys(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := firmware.Verify(arts["old"], keys, target); !errors.Is(err, firmware.ErrUnknownKey) {
		t.Errorf("old key after rotation: %v", err)
	}
	if _, err := firmware.Verify(arts["new"], keys, target); err != nil {
		t.Errorf("new key after rotation: %v", err)
	}
}

func TestLoadKeysRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o644)
	big := filepath.Join(dir, "big.pub")
	os.WriteFile(big, bytes.Repeat([]byte("A"), 5000), 0o644)
	for _, tc := range []struct {
		paths []string
		want  error
	}{
		{nil, firmware.ErrKeys},
		{[]string{empty}, firmware.ErrKeys},
		{[]string{bad}, firmware.ErrKeys},
		{[]string{big}, firmware.ErrKeys},
		{[]string{dir}, firmware.ErrKeys}, // a bad *.pub in the directory spoils it
		{[]string{filepath.Join(dir, "none.pub")}, fs.ErrNotExist},
		{[]string{filepath.Join("testdata", "vendor.pub"), filepath.Join(dir, "none")}, fs.ErrNotExist},
	} {
		if k, err := firmware.LoadKeys(tc.paths...); !errors.Is(err, tc.want) || k != nil {
			t.Errorf("LoadKeys(%q): %v, %v; want %v", tc.paths, k, err, tc.want)
		}
	}
}

func TestGenerateVendorKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	id, err := firmware.GenerateVendorKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "vendor.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("vendor.key: %v %v", st.Mode(), err)
	}
	key, err := firmware.LoadVendorKey(filepath.Join(dir, "vendor.key"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := firmware.LoadKeys(filepath.Join(dir, "vendor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if !keys[id].Equal(key.Public().(ed25519.PublicKey)) {
		t.Errorf("vendor.pub is not vendor.key's public half, or %s not its id", id)
	}
	// A second keygen into the same directory replaces nothing.
	before, _ := os.ReadFile(filepath.Join(dir, "vendor.key"))
	if _, err := firmware.GenerateVendorKey(dir); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second keygen: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "vendor.key")); !bytes.Equal(before, after) {
		t.Error("second keygen changed vendor.key")
	}
	// A world-readable private key is refused.
	os.Chmod(filepath.Join(dir, "vendor.key"), 0o644)
	if _, err := firmware.LoadVendorKey(filepath.Join(dir, "vendor.key")); err == nil {
		t.Error("LoadVendorKey took a key file others can read")
	}
}

// The vector checked by Python's cryptography package as well, when it is
// installed (testdata/vector_check.py).
func TestVectorPython(t *testing.T) {
	if err := exec.Command("python3", "-c", "import cryptography").Run(); err != nil {
		t.Skip("python3 with the cryptography package is not installed")
	}
	out, err := exec.Command("python3", filepath.Join("testdata", "vector_check.py"), filepath.Join("testdata", "vector.fw")).CombinedOutput()
	if err != nil {
		t.Fatalf("vector_check.py: %v\n%s", err, out)
	}
}
