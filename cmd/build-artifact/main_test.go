package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"evalpad/firmware"
	"evalpad/store"
)

// keygen, then an artifact of a given payload, which firmware.Verify
// accepts with the new vendor.pub; what it prints is the file's size and
// sha256, as the update command carries them.
func TestKeygenAndBuild(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"--keygen", filepath.Join(dir, "keys")}, &out, &errb); code != 0 {
		t.Fatalf("keygen: %d %s", code, errb.String())
	}
	keys, err := firmware.LoadKeys(filepath.Join(dir, "keys", "vendor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for k := range keys {
		id = k
	}
	if !strings.Contains(out.String(), "key id "+id+"\n") {
		t.Errorf("keygen printed %q, not the key id %s", out.String(), id)
	}
	if code := run([]string{"--keygen", filepath.Join(dir, "keys")}, io.Discard, io.Discard); code != 1 {
		t.Errorf("a second keygen into the same directory: exit %d", code)
	}

	payload := filepath.Join(dir, "evalpad")
	os.WriteFile(payload, []byte("\x7fELF a pad's binary"), 0o755)
	art := filepath.Join(dir, "evalpad-1.3.0-arm64.fw")
	out.Reset()
	t.Setenv("SOURCE_DATE_EPOCH", "1795000000")
	code := run([]string{"--key", filepath.Join(dir, "keys", "vendor.key"), "--version", "1.3.0", "--arch", "arm64",
		"--out", art, "--payload", payload, "--min-version", "1.0.0", "--store-format", "2"}, &out, &errb)
	if code != 0 {
		t.Fatalf("build: %d %s", code, errb.String())
	}
	m, err := firmware.Verify(art, keys, firmware.Target{Product: "evalpad", Arch: "arm64", Version: "1.2.0", StoreFormat: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := firmware.Manifest{Format: 1, Product: "evalpad", Version: "1.3.0", Arch: "arm64", Kind: "agent", Size: 19,
		SHA256: m.SHA256, MinVersion: "1.0.0", StoreFormat: 2, KeyID: id, Created: "2026-11-18T11:06:40Z"}
	if m != want {
		t.Errorf("manifest %+v\nwant %+v", m, want)
	}
	b, _ := os.ReadFile(art)
	sum := sha256.Sum256(b)
	if !strings.Contains(out.String(), "sha256 "+hex.EncodeToString(sum[:])+"\n") {
		t.Errorf("build printed %q, not the artifact's sha256", out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("the build left %v in its directory", entries)
	}
}

// Bad arguments change nothing: no artifact, no temporary file.
func TestBuildRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := firmware.GenerateVendorKey(dir); err != nil {
		t.Fatal(err)
	}
	payload := filepath.Join(dir, "payload")
	os.WriteFile(payload, []byte("x"), 0o644)
	key := filepath.Join(dir, "vendor.key")
	out := filepath.Join(dir, "a.fw")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{}, 2},
		{[]string{"--key", key, "--version", "1.0.0", "--arch", "arm64", "--out", out}, 2},
		{[]string{"--key", key, "--version", "v1.0", "--arch", "arm64", "--out", out, "--payload", payload}, 1},
		{[]string{"--key", key, "--version", "1.0.0", "--arch", "arm64", "--out", out, "--payload", payload, "--kind", "script"}, 1},
		{[]string{"--key", key, "--version", "1.0.0", "--arch", "arm64", "--out", out, "--payload", filepath.Join(dir, "none")}, 1},
		{[]string{"--key", payload, "--version", "1.0.0", "--arch", "arm64", "--out", out, "--payload", payload}, 1},
		{[]string{"--key", key, "--version", "1.0.0", "--arch", "arm64", "--out", out, "--payload", payload, "extra"}, 2},
	} {
		if code := run(tc.args, io.Discard, io.Discard); code != tc.code {
			t.Errorf("%q: exit %d, want %d", tc.args, code, tc.code)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("refused builds left %v", entries)
	}
}

// The script itself, once: keygen and a build with a given payload.
func TestScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tool")
	}
	dir := t.TempDir()
	script := filepath.Join("..", "..", "scripts", "build-artifact")
	if b, err := exec.Command(script, "--keygen", filepath.Join(dir, "keys")).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, b)
	}
	payload := filepath.Join(dir, "payload")
	os.WriteFile(payload, []byte("a payload"), 0o644)
	art := filepath.Join(dir, "a.fw")
	b, err := exec.Command(script, "--key", filepath.Join(dir, "keys", "vendor.key"), "--version", "2.0.0",
		"--arch", runtime.GOARCH, "--out", art, "--payload", payload).CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	keys, err := firmware.LoadKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := firmware.Verify(art, keys, firmware.Target{Product: "evalpad", Arch: runtime.GOARCH, Version: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := firmware.Verify(art, keys, firmware.Target{Product: "evalpad", Arch: "riscv64", Version: "dev"}); !errors.Is(err, firmware.ErrArch) {
		t.Errorf("another arch: %v", err)
	}
}

// Without --store-format the artifact says the tree's store format.
func TestDefaultStoreFormat(t *testing.T) {
	dir := t.TempDir()
	if _, err := firmware.GenerateVendorKey(dir); err != nil {
		t.Fatal(err)
	}
	payload := filepath.Join(dir, "payload")
	os.WriteFile(payload, []byte("x"), 0o644)
	art := filepath.Join(dir, "a.fw")
	if code := run([]string{"--key", filepath.Join(dir, "vendor.key"), "--version", "1.0.0", "--arch", "amd64", "--out", art, "--payload", payload}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	m, err := firmware.ReadManifest(art)
	if err != nil {
		t.Fatal(err)
	}
	if m.StoreFormat != store.Format || m.Kind != "agent" || m.MinVersion != "" {
		t.Errorf("defaults: store_format %d (store.Format %d), kind %q, min_version %q", m.StoreFormat, store.Format, m.Kind, m.MinVersion)
	}
}
