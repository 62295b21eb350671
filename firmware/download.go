package firmware

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DownloadOption changes how Download fetches.
type DownloadOption func(*downloader)

// WithClient makes Download use c (its TLS roots, proxy, timeouts) instead
// of the default client. Download still bounds a stalled body (StallTimeout).
func WithClient(c *http.Client) DownloadOption { return func(d *downloader) { d.client = c } }

// StallTimeout is how long a download waits for its next bytes before it
// gives up (ErrDownload, the partial file kept for the next try).
const StallTimeout = 60 * time.Second

type downloader struct{ client *http.Client }

// newTransport bounds each step of a request: connecting, the TLS
// handshake and the response's header. The body may take as long as it
// keeps coming (a rootfs over a slow hall link): StallTimeout bounds a
// pause, the caller's ctx the whole.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// partMeta is dest+".part.meta": what the partial file is a prefix of.
type partMeta struct {
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Validator string `json:"validator"` // the ETag, else Last-Modified, of the response the bytes came from
}

// Download fetches url (http or https) into dest, a file of size bytes
// whose SHA-256 is sha256hex (lower-case hex), reporting progress (may be
// nil) as bytes done of total.
//
// The bytes go to dest+".part" (with dest+".part.meta" beside it). When a
// partial file of the same sha256 exists, Download resumes: it asks for
// "Range: bytes=N-" with "If-Range:" the ETag (or Last-Modified) it was
// served before; a 206 from N appends, a 200 (the server ignores ranges,
// or the file changed) starts again from 0. Once size bytes are there,
// the whole file's size and SHA-256 are checked and only then renamed to
// dest. A cut connection, a stall, a server error or ctx's end leave the
// partial file for the next call (ErrDownload). A 416, a body longer than
// size or a file of another size delete it (ErrSize); so does a complete
// file of another hash (ErrHash). Download never writes dest unless the
// file is the one asked for.
func Download(ctx context.Context, rawURL, dest string, size int64, sha256hex string, progress func(done, total int64), opts ...DownloadOption) error {
	var d downloader
	for _, o := range opts {
		o(&d)
	}
	if d.client == nil {
		tr := newTransport()
		defer tr.CloseIdleConnections()
		d.client = &http.Client{Transport: tr}
	}
	u, err := url.Parse(rawURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("firmware: download: %q is not an http(s) URL", rawURL)
	case size < 1 || size > MaxPayload:
		return fmt.Errorf("firmware: download: size %d is not in 1..%d", size, int64(MaxPayload))
	case !isLowerHex(sha256hex, 64):
		return fmt.Errorf("firmware: download: sha256 %q is not 64 lower-case hex digits", sha256hex)
	case dest == "":
		return errors.New("firmware: download: no destination")
	}
	if progress == nil {
		progress = func(int64, int64) {}
	}
	return d.get(ctx, u.String(), dest, size, sha256hex, progress)
}

func (d *downloader) get(ctx context.Context, rawURL, dest string, size int64, want string, progress func(done, total int64)) error {
	part, metaPath := dest+".part", dest+".part.meta"
	discard := func() {
		os.Remove(part)
		os.Remove(metaPath)
	}

	// What is there from an earlier try.
	var have int64
	var meta partMeta
	if b, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(b, &meta) == nil && meta.SHA256 == want && meta.Size == size {
		if st, err := os.Stat(part); err == nil && st.Mode().IsRegular() && st.Size() <= size {
			have = st.Size()
		}
	}
	if have == 0 {
		discard()
		meta = partMeta{SHA256: want, Size: size}
	}

	if have < size {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return fmt.Errorf("firmware: download: %w", err)
		}
		req.Header.Set("Accept-Encoding", "identity") // offsets are of the file itself
		if have > 0 {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
			if meta.Validator != "" {
				req.Header.Set("If-Range", meta.Validator)
			}
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrDownload, redactURL(rawURL), err)
		}
		defer resp.Body.Close()

		switch {
		case resp.StatusCode == http.StatusPartialContent && have > 0:
			start, total, ok := contentRange(resp.Header.Get("Content-Range"))
			if !ok || start != have {
				return fmt.Errorf("%w: asked for bytes from %d, got Content-Range %q", ErrDownload, have, resp.Header.Get("Content-Range"))
			}
			if total >= 0 && total != size {
				discard()
				return fmt.Errorf("%w: the server's file is %d bytes, not %d", ErrSize, total, size)
			}
		case resp.StatusCode == http.StatusOK:
			// A fresh start: no range asked, the server ignores ranges, or
			// the file changed (If-Range).
			discard()
			have = 0
			meta = partMeta{SHA256: want, Size: size, Validator: validator(resp.Header)}
			if resp.ContentLength >= 0 && resp.ContentLength != size {
				return fmt.Errorf("%w: the server's file is %d bytes, not %d", ErrSize, resp.ContentLength, size)
			}
		case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
			discard()
			return fmt.Errorf("%w: the server has no bytes from %d (416): its file is shorter than %d", ErrSize, have, size)
		default:
			return fmt.Errorf("%w: %s: %s", ErrDownload, redactURL(rawURL), resp.Status)
		}
		if have == 0 {
			mb, _ := json.Marshal(meta)
			if err := writeSynced(metaPath, mb, os.O_TRUNC, 0o644); err != nil {
				return fmt.Errorf("firmware: download: %w", err)
			}
		}

		f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("firmware: download: %w", err)
		}
		if err := f.Truncate(have); err == nil {
			_, err = f.Seek(have, io.SeekStart)
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("firmware: download: %w", err)
		}
		// A stall watchdog: each read that brings bytes pushes it back.
		stall := time.AfterFunc(StallTimeout, func() { cancel(fmt.Errorf("no bytes for %v", StallTimeout)) })
		defer stall.Stop()
		progress(have, size)
		buf := make([]byte, 64<<10)
		var rerr error
		for have < size {
			n, err := resp.Body.Read(buf[:min(int64(len(buf)), size-have)])
			if n > 0 {
				stall.Reset(StallTimeout)
				if _, werr := f.Write(buf[:n]); werr != nil {
					f.Close()
					return fmt.Errorf("firmware: download: %w", werr)
				}
				have += int64(n)
				progress(have, size)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					rerr = err
					if c := context.Cause(ctx); c != nil {
						rerr = c
					}
				}
				break
			}
		}
		// Keep what came, durably, for the next try.
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("firmware: download: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("firmware: download: %w", err)
		}
		if rerr != nil {
			return fmt.Errorf("%w: %s: cut after %d of %d bytes: %v", ErrDownload, redactURL(rawURL), have, size, rerr)
		}
		if have < size {
			return fmt.Errorf("%w: %s: the body ended after %d of %d bytes", ErrDownload, redactURL(rawURL), have, size)
		}
		// Nothing may follow the size bytes.
		if n, _ := resp.Body.Read(buf[:1]); n > 0 {
			discard()
			return fmt.Errorf("%w: the server sends more than %d bytes", ErrSize, size)
		}
	}

	// The whole file: its size and hash, then into place.
	f, err := os.Open(part)
	if err != nil {
		return fmt.Errorf("firmware: download: %w", err)
	}
	sum := sha256.New()
	n, err := io.Copy(sum, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("firmware: download: %w", err)
	}
	if n != size {
		discard()
		return fmt.Errorf("%w: downloaded %d bytes, want %d", ErrSize, n, size)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != want {
		discard()
		return fmt.Errorf("%w: downloaded a file of sha256 %s, want %s", ErrHash, got, want)
	}
	if err := os.Rename(part, dest); err != nil {
		return fmt.Errorf("firmware: download: %w", err)
	}
	os.Remove(metaPath)
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("firmware: download: %w", err)
	}
	return nil
}

// validator is what If-Range may carry: a strong ETag, else Last-Modified
// (RFC 9110 §13.1.5: a weak ETag may not be used).
func validator(h http.Header) string {
	if e := h.Get("ETag"); e != "" && !strings.HasPrefix(e, "W/") {
		return e
	}
	return h.Get("Last-Modified")
}

// contentRange parses "bytes START-END/TOTAL" (TOTAL may be "*": -1).
func contentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, false
		}
	}
	return start, total, true
}

// redactURL drops a URL's query (a signed URL's token) from messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		u.RawQuery, u.User = "", nil
		return u.String()
	}
	return "<url>"
}

// writeSynced writes b to path, opened write-only with os.O_CREATE, flag
// (os.O_TRUNC, or os.O_EXCL for a file that must be new) and mode, and
// syncs it.
func writeSynced(path string, b []byte, flag int, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
