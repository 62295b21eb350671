package firmware_test

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
)

// FuzzParseManifest: ParseManifest never panics, every error is ErrFormat,
// and what it accepts marshals back to a manifest it parses the same.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(vectorManifest))
	f.Add([]byte(strings.Replace(vectorManifest, `"arch"`, `"Arch"`, 1)))
	f.Add([]byte(strings.Replace(vectorManifest, `"format":1,`, `"format":1,"format":1,`, 1)))
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := firmware.ParseManifest(b)
		if err != nil {
			if !errors.Is(err, firmware.ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		back, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := firmware.ParseManifest(back)
		if err != nil || m2 != m {
			t.Fatalf("round trip: %+v → %s → %+v, %v", m, back, m2, err)
		}
	})
}

// FuzzVerify: over arbitrary artifact bytes, ReadManifest and Verify never
// panic, and Verify accepts only an artifact whose manifest.sig is the test
// key's signature of its manifest and whose payload matches it, as checked
// here independently with archive/tar and crypto/ed25519.
//
// Each input is a file written and opened, hence the smaller count.
// fuzz: 2000x
func FuzzVerify(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "vector.fw"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1024])
	f.Add(good[:700])
	f.Add(append(bytes.Clone(good), make([]byte, 512)...))
	flipped := bytes.Clone(good)
	flipped[512+300] ^= 1 // inside manifest.sig... or the manifest: either way refused
	f.Add(flipped)
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		tmp, err := os.CreateTemp(dir, "a-*.fw")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(b); err != nil {
			t.Fatal(err)
		}
		tmp.Close()
		rm, rerr := firmware.ReadManifest(tmp.Name())
		m, err := firmware.Verify(tmp.Name(), firmwaretest.Keys(), target)
		if err != nil {
			return
		}
		if rerr != nil || rm != m {
			t.Fatalf("Verify accepted what ReadManifest refused: %v", rerr)
		}
		// Accepted: check it independently.
		tr := tar.NewReader(bytes.NewReader(b))
		var parts [3][]byte
		for i := range parts {
			if _, err := tr.Next(); err != nil {
				t.Fatalf("accepted, but entry %d: %v", i, err)
			}
			parts[i], _ = io.ReadAll(tr)
		}
		pub := firmwaretest.Keys()[m.KeyID]
		if pub == nil || !ed25519.Verify(pub, append([]byte("evalpad-firmware-v1\n"), parts[0]...), parts[1]) {
			t.Fatal("Verify accepted a bad signature")
		}
		sum := sha256.Sum256(parts[2])
		if hex.EncodeToString(sum[:]) != m.SHA256 || int64(len(parts[2])) != m.Size {
			t.Fatal("Verify accepted a payload that is not the manifest's")
		}
	})
}
