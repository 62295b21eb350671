package central

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/firmware"
	"evalpad/firmware/firmwaretest"
)

var testPayload = bytes.Repeat([]byte("evalpad agent binary 0123456789\n"), 2000)

// TestPublish: an artifact that does not verify with the central's
// vendor keys is refused with firmware's reason and leaves nothing in the
// store; a good one is copied under its file's sha256 (0600 in a 0700
// directory) and recorded once.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	src := t.TempDir()
	dir := filepath.Join(t.TempDir(), "firmware")
	keys := firmwaretest.Keys()
	good := firmwaretest.Artifact(t, src, nil, firmwaretest.Manifest("1.3.0", "arm64"), testPayload)
	raw, _ := os.ReadFile(good)

	_, other, _ := ed25519.GenerateKey(rand.Reader)
	unknownKey := firmwaretest.Artifact(t, t.TempDir(), other, firmwaretest.Manifest("1.3.0", "arm64"), testPayload)
	write := func(name string, b []byte) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tampered := bytes.Clone(raw)
	tampered[bytes.Index(tampered, testPayload)+100] ^= 1
	i := bytes.Index(raw, []byte(`"version":"1.3.0"`))
	forgedManifest := bytes.Clone(raw)
	copy(forgedManifest[i:], `"version":"1.4.0"`)
	for _, tc := range []struct {
		name, path string
		err        error
	}{
		{"unknown key", unknownKey, firmware.ErrUnknownKey},
		{"payload changed", write("tampered.fw", tampered), firmware.ErrHash},
		{"manifest changed", write("forged.fw", forgedManifest), firmware.ErrSignature},
		{"truncated", write("short.fw", raw[:len(raw)-3000]), firmware.ErrSize},
		{"not an artifact", write("junk.fw", []byte("#!/bin/sh\nrm -rf /\n")), firmware.ErrFormat},
		{"missing", filepath.Join(src, "nothing.fw"), os.ErrNotExist},
	} {
		if _, _, err := Publish(ctx, st, dir, tc.path, keys, t0); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	if _, _, err := Publish(ctx, st, dir, good, nil, t0); err == nil {
		t.Error("published with no vendor keys")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused artifacts left %d files in the store", len(ents))
	}
	if list, _ := st.Firmwares(ctx, ""); len(list) != 0 {
		t.Fatalf("refused artifacts recorded: %+v", list)
	}

	f, isNew, err := Publish(ctx, st, dir, good, keys, t0)
	if err != nil || !isNew {
		t.Fatalf("publish: %v new=%v", err, isNew)
	}
	sum := sha256.Sum256(raw)
	if f.SHA256 != hex.EncodeToString(sum[:]) || f.Version != "1.3.0" || f.Arch != "arm64" || f.Kind != "agent" || f.Size != int64(len(raw)) ||
		f.StoreFormat != 1 || f.KeyID != firmware.KeyID(firmwaretest.Key().Public().(ed25519.PublicKey)) {
		t.Errorf("published %+v", f)
	}
	stored, err := os.ReadFile(FirmwarePath(dir, f.SHA256))
	if err != nil || !bytes.Equal(stored, raw) {
		t.Fatalf("stored file: %v", err)
	}
	for p, mode := range map[string]os.FileMode{dir: 0o700, FirmwarePath(dir, f.SHA256): 0o600} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), mode)
		}
	}
	if got, err := st.Firmware(ctx, f.SHA256); err != nil || got != f {
		t.Errorf("recorded %+v %v, want %+v", got, err, f)
	}
	if _, isNew, err := Publish(ctx, st, dir, good, keys, t0.Add(time.Hour)); err != nil || isNew {
		t.Errorf("published again: new=%v %v", isNew, err)
	}
	if list, _ := st.Firmwares(ctx, "1.3.0"); len(list) != 1 || !list[0].PublishedAt.Equal(t0) {
		t.Errorf("list %+v", list)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the store, want 1", len(ents))
	}
}

// TestFirmwareFiles: a published artifact is served to anyone, whole or
// by Range (a cut download resumes with If-Range on the ETag); an
// unpublished file, even in the store, is not; a client asking for too
// many unknown ones is refused for a while.
func TestFirmwareFiles(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	dir := filepath.Join(t.TempDir(), "firmware")
	good := firmwaretest.Artifact(t, t.TempDir(), nil, firmwaretest.Manifest("1.3.0", "arm64"), testPayload)
	raw, _ := os.ReadFile(good)
	f, _, err := Publish(ctx, st, dir, good, firmwaretest.Keys(), t0)
	if err != nil {
		t.Fatal(err)
	}
	stray := strings.Repeat("0", 64) // in the store's directory, never published
	os.WriteFile(FirmwarePath(dir, stray), []byte("stray"), 0o600)
	mux := http.NewServeMux()
	mux.Handle(FirmwareRoute, &FirmwareFiles{Dir: dir, Store: st, Limiter: &Limiter{Max: 5}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	path := "/firmware/" + f.SHA256
	resp, body := get(path)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || !bytes.Equal(body, raw) || etag != `"`+f.SHA256+`"` || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("whole: %d, %d bytes, etag %q", resp.StatusCode, len(body), etag)
	}
	resp, body = get(path, "Range", "bytes=1000-", "If-Range", etag)
	if resp.StatusCode != 206 || !bytes.Equal(body, raw[1000:]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 1000-%d/%d", len(raw)-1, len(raw)) {
		t.Errorf("resumed: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), len(body))
	}
	resp, body = get(path, "Range", "bytes=10-19")
	if resp.StatusCode != 206 || !bytes.Equal(body, raw[10:20]) {
		t.Errorf("range: %d %q", resp.StatusCode, body)
	}
	// If-Range with another ETag: the whole file, not a piece of another.
	if resp, body = get(path, "Range", "bytes=1000-", "If-Range", `"other"`); resp.StatusCode != 200 || len(body) != len(raw) {
		t.Errorf("stale If-Range: %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp, _ = get(path, "Range", fmt.Sprintf("bytes=%d-", len(raw)+10)); resp.StatusCode != 416 {
		t.Errorf("past the end: %d", resp.StatusCode)
	}
	for _, p := range []string{"/firmware/" + stray, "/firmware/" + strings.ToUpper(f.SHA256), "/firmware/..%2fh.db", "/firmware/" + strings.Repeat("1", 64)} {
		if resp, _ := get(p); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	// 4 unknown so far, the limit is 5: one more, then 429 even for a good one.
	get("/firmware/" + strings.Repeat("2", 64))
	if resp, _ := get(path); resp.StatusCode != 429 {
		t.Errorf("after 5 unknown artifacts: %d, want 429", resp.StatusCode)
	}
}
