package firmware_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/firmware"
)

// fileServer serves one file as a real HTTP server does (http.ServeContent:
// Range, If-Range, ETag), and can misbehave.
type fileServer struct {
	mu          sync.Mutex
	data        []byte
	etag        string
	cutAt       int  // the next answer is cut after this many body bytes (0: none)
	ignoreRange bool // answer every request with the whole file, 200
	refuseRange bool // answer a range request with 416
	status      int  // answer with this status (0: normal)
	extra       int  // bytes sent beyond the file
	chunked     bool // with extra: no Content-Length

	ranges, ifRanges []string
	sent             int // body bytes sent, over all requests
}

type countingWriter struct {
	http.ResponseWriter
	n *int
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	*w.n += n
	return n, err
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.ifRanges = append(s.ifRanges, r.Header.Get("If-Range"))
	switch {
	case s.status != 0:
		http.Error(w, "busy", s.status)
	case s.cutAt > 0:
		// A cut connection: the header promises the whole file, the body
		// stops midway and the connection closes.
		cut := s.cutAt
		s.cutAt = 0
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\n\r\n", len(s.data), s.etag)
		buf.Write(s.data[:cut])
		buf.Flush()
		s.sent += cut
		conn.Close()
	case s.refuseRange && r.Header.Get("Range") != "":
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
	case s.ignoreRange || s.extra > 0:
		body := append(bytes.Clone(s.data), bytes.Repeat([]byte{'x'}, s.extra)...)
		if !s.chunked {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		}
		w.Header().Set("ETag", s.etag)
		countingWriter{w, &s.sent}.Write(body)
	default:
		w.Header().Set("ETag", s.etag)
		http.ServeContent(countingWriter{w, &s.sent}, r, "", time.Time{}, bytes.NewReader(s.data))
	}
}

func (s *fileServer) set(f func(s *fileServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func testFile(n int) ([]byte, string) {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// A download cut midway is resumed by the next call from where it stopped:
// the server sees a Range request with If-Range, and sends the file's bytes
// once in all, not twice. Over TLS, with the server's roots given.
func TestDownloadResumes(t *testing.T) {
	data, sum := testFile(1 << 20)
	fs := &fileServer{data: data, etag: `"v1"`, cutAt: 400_000}
	srv := httptest.NewTLSServer(fs)
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "update.fw")
	ctx := context.Background()

	err := firmware.Download(ctx, srv.URL+"/a.fw", dest, int64(len(data)), sum, nil, firmware.WithClient(srv.Client()))
	if !errors.Is(err, firmware.ErrDownload) {
		t.Fatalf("cut download: %v, want ErrDownload", err)
	}
	if exists(dest) {
		t.Fatal("a cut download left dest")
	}
	st, err := os.Stat(dest + ".part")
	if err != nil || st.Size() == 0 || st.Size() > 400_000 {
		t.Fatalf("the partial file: %v %v", st, err)
	}
	have := st.Size()

	var calls [][2]int64
	progress := func(done, total int64) { calls = append(calls, [2]int64{done, total}) }
	if err := firmware.Download(ctx, srv.URL+"/a.fw", dest, int64(len(data)), sum, progress, firmware.WithClient(srv.Client())); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, data) {
		t.Fatal("the resumed file is not the file")
	}
	if exists(dest+".part") || exists(dest+".part.meta") {
		t.Error("the partial file is left after success")
	}
	fs.mu.Lock() // the handler holds it while it answers
	defer fs.mu.Unlock()
	if len(fs.ranges) != 2 || fs.ranges[1] != fmt.Sprintf("bytes=%d-", have) || fs.ifRanges[1] != `"v1"` {
		t.Errorf("the resuming request: Range %q, If-Range %q", fs.ranges, fs.ifRanges)
	}
	if fs.sent != 400_000+len(data)-int(have) || fs.sent > len(data)+400_000 {
		t.Errorf("the server sent %d body bytes for a %d-byte file cut at %d (resumed at %d)", fs.sent, len(data), 400_000, have)
	}
	if len(calls) < 2 || calls[0] != [2]int64{have, int64(len(data))} || calls[len(calls)-1] != [2]int64{int64(len(data)), int64(len(data))} {
		t.Errorf("progress: first %v last %v", calls[0], calls[len(calls)-1])
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Fatalf("progress went back: %v", calls)
		}
	}
}

// A server that ignores Range answers the resuming request with 200 and the
// whole file: Download starts again from 0 and ends with the right file.
func TestDownloadServerIgnoresRange(t *testing.T) {
	data, sum := testFile(300_000)
	fs := &fileServer{data: data, etag: `"v1"`, cutAt: 100_000}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "update.fw")
	if err := firmware.Download(context.Background(), srv.URL, dest, int64(len(data)), sum, nil); !errors.Is(err, firmware.ErrDownload) {
		t.Fatalf("cut download: %v", err)
	}
	fs.set(func(s *fileServer) { s.ignoreRange = true })
	if err := firmware.Download(context.Background(), srv.URL, dest, int64(len(data)), sum, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
		t.Fatal("the file is not the file after a 200 to a range request")
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.ranges[1] == "" {
		t.Error("the second request asked for no range")
	}
}

// Each bad answer ends in its error, and leaves no dest.
func TestDownloadRefuses(t *testing.T) {
	data, sum := testFile(200_000)
	tampered := bytes.Clone(data)
	tampered[123_456] ^= 1
	tests := []struct {
		name     string
		first    func(s *fileServer) // the server before a first, cut, try (nil: no first try)
		then     func(s *fileServer)
		want     error
		keepPart bool // the partial file stays for the next try
	}{
		{name: "tampered file", then: func(s *fileServer) { s.data = tampered }, want: firmware.ErrHash},
		{name: "file changed since the cut", first: func(s *fileServer) { s.cutAt = 50_000 },
			then: func(s *fileServer) { s.data, s.etag = tampered, `"v2"` }, want: firmware.ErrHash},
		{name: "416", first: func(s *fileServer) { s.cutAt = 50_000 }, then: func(s *fileServer) { s.refuseRange = true }, want: firmware.ErrSize},
		{name: "longer body, Content-Length", then: func(s *fileServer) { s.extra = 10 }, want: firmware.ErrSize},
		{name: "longer body, chunked", then: func(s *fileServer) { s.extra, s.chunked = 10, true }, want: firmware.ErrSize},
		{name: "shorter file", then: func(s *fileServer) { s.data = data[:1000] }, want: firmware.ErrSize},
		{name: "server error after a cut", first: func(s *fileServer) { s.cutAt = 50_000 }, then: func(s *fileServer) { s.status = 503 }, want: firmware.ErrDownload, keepPart: true},
		{name: "not found", then: func(s *fileServer) { s.status = 404 }, want: firmware.ErrDownload},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fileServer{data: data, etag: `"v1"`}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			dest := filepath.Join(t.TempDir(), "update.fw")
			if tc.first != nil {
				fs.set(tc.first)
				if err := firmware.Download(context.Background(), srv.URL, dest, int64(len(data)), sum, nil); !errors.Is(err, firmware.ErrDownload) {
					t.Fatalf("first try: %v", err)
				}
			}
			fs.set(tc.then)
			err := firmware.Download(context.Background(), srv.URL, dest, int64(len(data)), sum, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Download: %v, want %v", err, tc.want)
			}
			if exists(dest) {
				t.Error("dest written")
			}
			if exists(dest+".part") != tc.keepPart {
				t.Errorf("partial file kept: %v, want %v", !tc.keepPart, tc.keepPart)
			}
		})
	}
}

func TestDownloadBadArguments(t *testing.T) {
	_, sum := testFile(10)
	dir := t.TempDir()
	dest := filepath.Join(dir, "update.fw")
	for _, tc := range []struct {
		url  string
		size int64
		sum  string
	}{
		{"ftp://example.com/a.fw", 10, sum},
		{"http:///a.fw", 10, sum},
		{"http://example.com/a.fw", 0, sum},
		{"http://example.com/a.fw", 10, strings.ToUpper(sum)},
		{"http://example.com/a.fw", 10, sum[:63]},
	} {
		if err := firmware.Download(context.Background(), tc.url, dest, tc.size, tc.sum, nil); err == nil {
			t.Errorf("Download(%q, %d, %q) took it", tc.url, tc.size, tc.sum)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad arguments wrote %v", entries)
	}
}

// A partial file already complete (the power went between the last byte
// and the rename) is checked and put in place without asking the server;
// one of the right size but another content is deleted.
func TestDownloadCompletePart(t *testing.T) {
	data, sum := testFile(50_000)
	fs := &fileServer{data: data, etag: `"v1"`, status: 503}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "update.fw")
	meta := fmt.Sprintf(`{"sha256":%q,"size":%d,"validator":"\"v1\""}`, sum, len(data))
	os.WriteFile(dest+".part", data, 0o644)
	os.WriteFile(dest+".part.meta", []byte(meta), 0o644)
	if err := firmware.Download(context.Background(), srv.URL, dest, int64(len(data)), sum, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) || exists(dest+".part") || exists(dest+".part.meta") {
		t.Fatal("the complete part is not in place")
	}
	fs.mu.Lock()
	if len(fs.ranges) != 0 {
		t.Errorf("asked the server %d times", len(fs.ranges))
	}
	fs.mu.Unlock()

	dest2 := filepath.Join(filepath.Dir(dest), "update2.fw")
	bad := bytes.Clone(data)
	bad[0] ^= 1
	os.WriteFile(dest2+".part", bad, 0o644)
	os.WriteFile(dest2+".part.meta", []byte(meta), 0o644)
	if err := firmware.Download(context.Background(), srv.URL, dest2, int64(len(data)), sum, nil); !errors.Is(err, firmware.ErrHash) {
		t.Fatalf("a complete part of another content: %v", err)
	}
	if exists(dest2) || exists(dest2+".part") {
		t.Error("a bad complete part was kept or put in place")
	}
}
