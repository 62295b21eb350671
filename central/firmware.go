package central

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"evalpad/firmware"
	"evalpad/sync/protocol"
)

// Firmware is a published artifact: what its signed manifest says, the
// sha256 of the whole file (its name in the firmware store and in the
// URL pads fetch it at) and when it was published.
type Firmware struct {
	SHA256      string    `json:"sha256"`
	Version     string    `json:"version"`
	Arch        string    `json:"arch"`
	Kind        string    `json:"kind"`
	Size        int64     `json:"size"`
	MinVersion  string    `json:"min_version"`
	StoreFormat int       `json:"store_format"`
	KeyID       string    `json:"key_id"`
	PublishedAt time.Time `json:"published_at"`
}

// FirmwareDir is the firmware store in a data directory: one file per
// published artifact, named by the sha256 of its content (0600, the
// directory 0700).
func FirmwareDir(data string) string { return filepath.Join(data, "firmware") }

// FirmwarePath is where the store dir keeps the artifact whose file has sha.
func FirmwarePath(dir, sha string) string { return filepath.Join(dir, sha) }

// Publish makes the artifact at path available to pads: it copies it
// into the store dir, verifies the copy against the vendor keys (layout,
// key id, signature, product, payload size and sha256: a central never
// hands pads an artifact they would refuse), names it by the sha256 of
// the file, and records it (AddFirmware). It returns the artifact and
// whether it is new (publishing one file again changes nothing). On error
// nothing is stored; the errors of package firmware are wrapped.
func Publish(ctx context.Context, st interface {
	AddFirmware(ctx context.Context, f Firmware) (bool, error)
}, dir, path string, keys firmware.Keys, now time.Time) (Firmware, bool, error) {
	if len(keys) == 0 {
		return Firmware{}, false, fmt.Errorf("central: publish: no vendor keys to verify with")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish: %w", err)
	}
	// Verify the copy, not the file given: it cannot change after.
	tmp, sha, err := copyHashed(dir, path)
	if err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish: %w", err)
	}
	defer os.Remove(tmp) // gone by then when it was published
	m, err := firmware.ReadManifest(tmp)
	if err == nil {
		m, err = firmware.Verify(tmp, keys, firmware.Target{Product: firmware.Product, Arch: m.Arch, Version: cmp.Or(m.MinVersion, m.Version)})
	}
	if err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish %s: %w", path, err)
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish: %w", err)
	}
	if err := os.Rename(tmp, FirmwarePath(dir, sha)); err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return Firmware{}, false, fmt.Errorf("central: publish: %w", err)
	}
	f := Firmware{SHA256: sha, Version: m.Version, Arch: m.Arch, Kind: m.Kind, Size: fi.Size(), MinVersion: m.MinVersion,
		StoreFormat: m.StoreFormat, KeyID: m.KeyID, PublishedAt: now.UTC().Truncate(time.Millisecond)}
	isNew, err := st.AddFirmware(ctx, f)
	if err != nil {
		return Firmware{}, false, err
	}
	return f, isNew, nil
}

// copyHashed copies the file at path into a new temporary file in dir
// (0600, synced) and returns its name and the sha256 of its content.
func copyHashed(dir, path string) (string, string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil {
		return "", "", err
	} else if !fi.Mode().IsRegular() {
		return "", "", fmt.Errorf("%s is not a regular file", path)
	}
	dst, err := os.CreateTemp(dir, ".publish-*")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), io.LimitReader(src, protocol.MaxArtifactSize+1))
	if err == nil && n > protocol.MaxArtifactSize {
		err = fmt.Errorf("%s is over %d bytes, more than an update command may name", path, int64(protocol.MaxArtifactSize))
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", "", err
	}
	return dst.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// FirmwareFiles serves the published artifacts at GET /firmware/{sha256},
// with Range, If-Range and an ETag (http.ServeContent), to anyone: an
// artifact is signed by the vendor and every pad verifies it before it
// installs anything, so it needs no token. Only published artifacts are
// served (the firmware table names them); a client that asks for 10
// unknown ones in 10 minutes gets 429 until the window ends.
type FirmwareFiles struct {
	Dir   string
	Store interface {
		Firmware(ctx context.Context, sha string) (Firmware, error)
	}
	Limiter *Limiter // nil: none
	Now     func() time.Time
	Logger  *slog.Logger
}

// FirmwareRoute is the pattern FirmwareFiles serves.
const FirmwareRoute = "GET /firmware/{sha256}"

// ServeHTTP implements http.Handler.
func (f *FirmwareFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	client := clientOf(r)
	if f.Limiter != nil && !f.Limiter.Allow(client, now()) {
		writeError(w, http.StatusTooManyRequests, errors.New("too many unknown artifacts asked for; try again later"))
		return
	}
	sha := r.PathValue("sha256")
	var fw Firmware
	err := ErrNoFirmware
	if isLowerHex(sha, 64) {
		fw, err = f.Store.Firmware(r.Context(), sha)
	}
	if err != nil {
		if !errors.Is(err, ErrNoFirmware) {
			if f.Logger != nil {
				f.Logger.Error("evalhub: firmware", "err", err)
			}
			writeError(w, http.StatusInternalServerError, errors.New("central: the store failed; see the log"))
			return
		}
		if f.Limiter != nil {
			f.Limiter.Fail(client, now())
		}
		writeError(w, http.StatusNotFound, errors.New("no such published artifact"))
		return
	}
	file, err := os.Open(FirmwarePath(f.Dir, sha))
	if err != nil {
		if f.Logger != nil {
			f.Logger.Error("evalhub: firmware published but its file is not in the store", "sha256", sha, "err", err)
		}
		writeError(w, http.StatusNotFound, errors.New("the artifact's file is missing from this central's store"))
		return
	}
	defer file.Close()
	w.Header().Set("ETag", `"`+sha+`"`)
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable") // content-addressed
	http.ServeContent(w, r, fw.Version+".tar", fw.PublishedAt, file)
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
