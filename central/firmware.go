package central

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"
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
