package firmware_test

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
)

var update = flag.Bool("update", false, "rewrite testdata/vector.fw")

// The test vector of doc.go.
const (
	vectorPayload  = "evalpad firmware test vector payload\n"
	vectorManifest = `{"format":1,"product":"evalpad","version":"1.3.0","arch":"arm64","kind":"agent","size":37,` +
		`"sha256":"d0c0ed1d66eab91f3dbf03dfe8dcd9387fa546d546e1616b4fab4034378c866f","min_version":"1.0.0",` +
		`"store_format":1,"key_id":"SHA256:BqmjuDQXyendn0GSGqrbdJLGxb8Ptm17RkfZ/Bl2pVc","created":"2026-11-29T12:00:00Z"}`
	vectorSig   = "73e1a18b899535663df4cfbf78bdadd4cd1f75144d793d94fd309360903f710cffb575dd618f00172e4f5326aaa40e51a939ad8622fa0d640547acf2f2e7730b"
	vectorKeyID = "SHA256:BqmjuDQXyendn0GSGqrbdJLGxb8Ptm17RkfZ/Bl2pVc"
)

var target = firmware.Target{Product: "evalpad", Arch: "arm64", Version: "1.2.0", StoreFormat: 1}

func vectorM() firmware.Manifest {
	m := firmwaretest.Manifest("1.3.0", "arm64")
	m.MinVersion = "1.0.0"
	return m
}

func TestVector(t *testing.T) {
	var buf bytes.Buffer
	if err := firmware.Build(&buf, firmwaretest.Key(), vectorM(), strings.NewReader(vectorPayload)); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "vector.fw")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Build made other bytes than %s (run with -update if the format changed on purpose)", golden)
	}
	// The entries: the manifest's exact bytes and the signature.
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	var got [3][]byte
	for i := range got {
		if _, err := tr.Next(); err != nil {
			t.Fatal(err)
		}
		got[i], _ = io.ReadAll(tr)
	}
	t.Logf("manifest.json %s\nmanifest.sig %x", got[0], got[1])
	if string(got[0]) != vectorManifest {
		t.Errorf("manifest.json\n%s\nwant (doc.go)\n%s", got[0], vectorManifest)
	}
	if hex.EncodeToString(got[1]) != vectorSig {
		t.Errorf("manifest.sig %x, want (doc.go) %s", got[1], vectorSig)
	}
	if string(got[2]) != vectorPayload {
		t.Errorf("payload %q", got[2])
	}
	// The key files in testdata are the vector's key.
	keys, err := firmware.LoadKeys(filepath.Join("testdata", "vendor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !keys[vectorKeyID].Equal(firmwaretest.Keys()[vectorKeyID]) {
		t.Errorf("testdata/vendor.pub holds %v, not the vector's key %s", keys, vectorKeyID)
	}
	tmp := filepath.Join(t.TempDir(), "vendor.key")
	b, err := os.ReadFile(filepath.Join("testdata", "vendor.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := firmware.LoadVendorKey(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(firmwaretest.Key()) {
		t.Error("testdata/vendor.key is not the test vector's key")
	}
	m, err := firmware.Verify(golden, keys, target)
	if err != nil {
		t.Fatal(err)
	}
	if m != mustParse(t, vectorManifest) {
		t.Errorf("Verify gave %+v", m)
	}
}

func mustParse(t *testing.T, s string) firmware.Manifest {
	t.Helper()
	m, err := firmware.ParseManifest([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// entry is one tar entry of a hand-made artifact.
type entry struct {
	name   string
	typ    byte
	body   []byte
	format tar.Format
}

// rawTar writes entries as a tar archive: what Build never makes.
func rawTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ, format := e.typ, e.format
		if typ == 0 {
			typ = tar.TypeReg
		}
		if format == 0 {
			format = tar.FormatUSTAR
		}
		h := &tar.Header{Typeflag: typ, Name: e.name, Mode: 0o644, Format: format}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if typ == tar.TypeSymlink {
			h.Linkname = "manifest.json"
		}
		if format == tar.FormatPAX {
			h.PAXRecords = map[string]string{"comment": "x"}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// signedManifest marshals m (with the test key's id, payload's size and
// hash) and signs it with the test key.
func signedManifest(t *testing.T, m firmware.Manifest, payload []byte) (raw, sig []byte) {
	t.Helper()
	m.Format, m.Product = 1, "evalpad"
	m.KeyID = vectorKeyID
	m.Size = int64(len(payload))
	sum := sha256.Sum256(payload)
	m.SHA256 = hex.EncodeToString(sum[:])
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw, sign(raw)
}

func sign(raw []byte) []byte {
	return ed25519.Sign(firmwaretest.Key(), append([]byte(firmware.SignDomain), raw...))
}

func write(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a.fw")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot is a directory's names and contents, to show Verify wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyRefuses(t *testing.T) {
	payload := []byte("#!/bin/false\nthe new evalpad\n")
	m := firmwaretest.Manifest("1.3.0", "arm64")
	m.MinVersion = "1.0.0"
	raw, sig := signedManifest(t, m, payload)
	good := rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload})
	if _, err := firmware.Verify(write(t, good), firmwaretest.Keys(), target); err != nil {
		t.Fatalf("the hand-made artifact: %v", err)
	}
	// The data's offset in good: after the manifest's and the signature's entries.
	dataAt := 512 + (len(raw)+511)/512*512 + 512 + 512 + 512

	mod := func(f func(m *firmware.Manifest)) (raw, sig []byte) {
		mm := m
		f(&mm)
		return signedManifest(t, mm, payload)
	}
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 1
		return b
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	var otherArt bytes.Buffer
	if err := firmware.Build(&otherArt, other, m, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	tamperedRaw := bytes.Replace(raw, []byte(`"1.3.0"`), []byte(`"1.4.0"`), 1)
	bigRaw, bigSig := mod(func(m *firmware.Manifest) { m.Created = "2026-11-29T12:00:00Z" })
	bigRaw = append(bigRaw[:len(bigRaw)-1], []byte(`,"x":"`+strings.Repeat("a", 70000)+`"}`)...)
	bigSig = sign(bigRaw)
	resign := func(s string) []byte { return []byte(s) }
	dup := bytes.Replace(raw, []byte(`"arch":"arm64"`), []byte(`"arch":"amd64","arch":"arm64"`), 1)
	upper := bytes.Replace(raw, []byte(`"arch"`), []byte(`"Arch"`), 1)
	missing := bytes.Replace(raw, []byte(`"min_version":"1.0.0",`), nil, 1)
	unknown := bytes.Replace(raw, []byte(`"format":1,`), []byte(`"format":1,"extra":true,`), 1)
	strSize := bytes.Replace(raw, []byte(`"size":29`), []byte(`"size":"29"`), 1)
	_ = resign

	tests := []struct {
		name string
		art  []byte
		t    firmware.Target
		want error
	}{
		{"unknown key", otherArt.Bytes(), target, firmware.ErrUnknownKey},
		{"signature flipped", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: flip(sig, 10)}, entry{name: "payload", body: payload}), target, firmware.ErrSignature},
		{"manifest changed after signing", rawTar(t, entry{name: "manifest.json", body: tamperedRaw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}), target, firmware.ErrSignature},
		{"signature of another domain", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: ed25519.Sign(firmwaretest.Key(), raw)}, entry{name: "payload", body: payload}), target, firmware.ErrSignature},
		{"wrong product", good, firmware.Target{Product: "other", Arch: "arm64", Version: "1.2.0"}, firmware.ErrProduct},
		{"wrong arch", good, firmware.Target{Product: "evalpad", Arch: "arm", Version: "1.2.0"}, firmware.ErrArch},
		{"below min version", good, firmware.Target{Product: "evalpad", Arch: "arm64", Version: "0.9.9"}, firmware.ErrMinVersion},
		{"dev build below min version", good, firmware.Target{Product: "evalpad", Arch: "arm64", Version: "dev"}, firmware.ErrMinVersion},
		{"store format downgrade", good, firmware.Target{Product: "evalpad", Arch: "arm64", Version: "1.2.0", StoreFormat: 2}, firmware.ErrStoreFormat},
		{"truncated payload", good[:dataAt+10], target, firmware.ErrSize},
		{"payload tampered", flip(good, dataAt+3), target, firmware.ErrHash},
		{"payload longer than the manifest says", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: append(bytes.Clone(payload), 'x')}), target, firmware.ErrSize},
		{"payload shorter than the manifest says", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload[1:]}), target, firmware.ErrSize},
		{"empty file", nil, target, firmware.ErrFormat},
		{"not a tar", []byte(strings.Repeat("evalpad ", 200)), target, firmware.ErrFormat},
		{"no end of archive", good[:len(good)-1024], target, firmware.ErrFormat},
		{"bytes after the end", append(bytes.Clone(good), 0), target, firmware.ErrFormat},
		{"a block after the end", append(bytes.Clone(good), make([]byte, 512)...), target, firmware.ErrFormat},
		{"extra entry", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}, entry{name: "extra", body: []byte("x")}), target, firmware.ErrFormat},
		{"duplicate payload", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"no payload", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}), target, firmware.ErrFormat},
		{"no signature", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"reordered", rawTar(t, entry{name: "manifest.sig", body: sig}, entry{name: "manifest.json", body: raw}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"duplicate manifest", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"entry before the manifest", rawTar(t, entry{name: "README", body: []byte("x")}, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"path with ./", rawTar(t, entry{name: "./manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"payload a symlink", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", typ: tar.TypeSymlink}), target, firmware.ErrFormat},
		{"payload a directory", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", typ: tar.TypeDir}), target, firmware.ErrFormat},
		{"pax header", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload, format: tar.FormatPAX}), target, firmware.ErrFormat},
		{"gnu header", rawTar(t, entry{name: "manifest.json", body: raw, format: tar.FormatGNU}, entry{name: "manifest.sig", body: sig}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"signature 63 bytes", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: sig[:63]}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"signature 65 bytes", rawTar(t, entry{name: "manifest.json", body: raw}, entry{name: "manifest.sig", body: append(bytes.Clone(sig), 0)}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
		{"manifest over 64 KiB", rawTar(t, entry{name: "manifest.json", body: bigRaw}, entry{name: "manifest.sig", body: bigSig}, entry{name: "payload", body: payload}), target, firmware.ErrFormat},
	}
	// Manifests that are signed but malformed.
	for _, bad := range []struct {
		name string
		raw  []byte
	}{
		{"duplicate member", dup}, {"member name in another case", upper}, {"missing member", missing},
		{"unknown member", unknown}, {"size a string", strSize}, {"not JSON", []byte("format=1")},
		{"trailing data", append(bytes.Clone(raw), []byte(" {}")...)},
		{"format 2", bytes.Replace(raw, []byte(`"format":1`), []byte(`"format":2`), 1)},
	} {
		tests = append(tests, struct {
			name string
			art  []byte
			t    firmware.Target
			want error
		}{"manifest: " + bad.name, rawTar(t, entry{name: "manifest.json", body: bad.raw}, entry{name: "manifest.sig", body: sign(bad.raw)}, entry{name: "payload", body: payload}), target, firmware.ErrFormat})
	}
	for _, f := range []struct {
		name string
		f    func(m *firmware.Manifest)
	}{
		{"version not semver", func(m *firmware.Manifest) { m.Version = "v1.3" }},
		{"version dev", func(m *firmware.Manifest) { m.Version = "dev" }},
		{"min_version not semver", func(m *firmware.Manifest) { m.MinVersion = "1" }},
		{"kind", func(m *firmware.Manifest) { m.Kind = "script" }},
		{"arch with a slash", func(m *firmware.Manifest) { m.Arch = "../arm64" }},
		{"store format 0", func(m *firmware.Manifest) { m.StoreFormat = 0 }},
		{"created", func(m *firmware.Manifest) { m.Created = "yesterday" }},
		{"control character", func(m *firmware.Manifest) { m.Arch = "arm64\n" }},
	} {
		r, s := mod(f.f)
		tests = append(tests, struct {
			name string
			art  []byte
			t    firmware.Target
			want error
		}{"manifest: " + f.name, rawTar(t, entry{name: "manifest.json", body: r}, entry{name: "manifest.sig", body: s}, entry{name: "payload", body: payload}), target, firmware.ErrFormat})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.art)
			before := snapshot(t, filepath.Dir(p))
			m, err := firmware.Verify(p, firmwaretest.Keys(), tc.t)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
			if m != (firmware.Manifest{}) {
				t.Errorf("Verify refused the artifact but returned a manifest: %+v", m)
			}
			for _, s := range []error{firmware.ErrFormat, firmware.ErrUnknownKey, firmware.ErrSignature, firmware.ErrProduct, firmware.ErrArch,
				firmware.ErrSize, firmware.ErrHash, firmware.ErrMinVersion, firmware.ErrStoreFormat} {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("Verify: %v is also %v", err, s)
				}
			}
			if after := snapshot(t, filepath.Dir(p)); len(after) != len(before) || after[p] != before[p] {
				t.Error("Verify changed the directory")
			}
		})
	}
}

// A pad at the artifact's minimum version, at a newer one, or going back to
// an older release with the same store format accepts it.
func TestVerifyAccepts(t *testing.T) {
	dir := t.TempDir()
	m := firmwaretest.Manifest("1.3.0", "arm64")
	m.MinVersion = "1.0.0"
	m.StoreFormat = 2
	p := firmwaretest.Artifact(t, dir, nil, m, []byte("payload"))
	for _, v := range []string{"1.0.0", "v1.2.9", "1.3.0", "2.0.0"} {
		got, err := firmware.Verify(p, firmwaretest.Keys(), firmware.Target{Product: "evalpad", Arch: "arm64", Version: v, StoreFormat: 2})
		if err != nil {
			t.Errorf("from %s: %v", v, err)
			continue
		}
		if got.Version != "1.3.0" || got.Size != 7 || got.KeyID != vectorKeyID || got.StoreFormat != 2 {
			t.Errorf("from %s: manifest %+v", v, got)
		}
	}
	// No min_version: a development build may install it.
	m.MinVersion = ""
	m.Version = "1.4.0"
	p = firmwaretest.Artifact(t, dir, nil, m, []byte("payload"))
	if _, err := firmware.Verify(p, firmwaretest.Keys(), firmware.Target{Product: "evalpad", Arch: "arm64", Version: "dev"}); err != nil {
		t.Error(err)
	}
}

func TestOpenPayload(t *testing.T) {
	dir := t.TempDir()
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	p := firmwaretest.Artifact(t, dir, nil, firmwaretest.Manifest("1.3.0", "arm64"), payload)
	if _, err := firmware.Verify(p, firmwaretest.Keys(), target); err != nil {
		t.Fatal(err)
	}
	rc, n, err := firmware.OpenPayload(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || n != int64(len(payload)) || !bytes.Equal(got, payload) {
		t.Fatalf("OpenPayload: %d bytes, size %d, %v", len(got), n, err)
	}

	// The file changed after Verify: reading it to the end says so.
	b, _ := os.ReadFile(p)
	b[len(b)-1024-512-100] ^= 0xff // inside the payload's data, before its padding and the end blocks
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rc, _, err = firmware.OpenPayload(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, firmware.ErrHash) {
		t.Fatalf("reading a payload changed after Verify: %v, want ErrHash", err)
	}
	if _, _, err := firmware.OpenPayload(filepath.Join(dir, "none.fw")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenPayload of no file: %v", err)
	}
}

func TestReadManifest(t *testing.T) {
	dir := t.TempDir()
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	// Signed by a key nobody trusts: ReadManifest still lists it.
	p := firmwaretest.Artifact(t, dir, other, firmwaretest.Manifest("2.0.0", "arm"), []byte("x"))
	m, err := firmware.ReadManifest(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "2.0.0" || m.Arch != "arm" || m.Kind != "agent" || m.KeyID != firmware.KeyID(other.Public().(ed25519.PublicKey)) {
		t.Errorf("ReadManifest: %+v", m)
	}
	if _, err := firmware.ReadManifest(write(t, []byte("not an artifact"))); !errors.Is(err, firmware.ErrFormat) {
		t.Errorf("ReadManifest of junk: %v", err)
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		m       firmware.Manifest
		payload string
	}{
		{"no version", firmwaretest.Manifest("", "arm64"), "x"},
		{"bad arch", firmwaretest.Manifest("1.0.0", "arm 64"), "x"},
		{"empty payload", firmwaretest.Manifest("1.0.0", "arm64"), ""},
		{"no created", firmware.Manifest{Version: "1.0.0", Arch: "arm64", Kind: "agent", StoreFormat: 1}, "x"},
	} {
		var buf bytes.Buffer
		err := firmware.Build(&buf, firmwaretest.Key(), tc.m, strings.NewReader(tc.payload))
		if !errors.Is(err, firmware.ErrFormat) || buf.Len() != 0 {
			t.Errorf("%s: Build: %v, wrote %d bytes", tc.name, err, buf.Len())
		}
	}
}

// A payload given as a file is read from where it is, twice.
func TestBuildFromFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "evalpad")
	if err := os.WriteFile(src, []byte("HEADERthe binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(6, io.SeekStart)
	out := filepath.Join(dir, "a.fw")
	w, _ := os.Create(out)
	if err := firmware.Build(w, firmwaretest.Key(), firmwaretest.Manifest("1.0.0", "arm64"), f); err != nil {
		t.Fatal(err)
	}
	w.Close()
	rc, _, err := firmware.OpenPayload(out)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "the binary" {
		t.Errorf("payload %q", b)
	}
}
