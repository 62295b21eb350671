package firmware

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"evalpad/trust"
)

// The format's constants (doc.go draws the layout).
const (
	// FormatVersion is the manifest's "format": the version of this layout.
	FormatVersion = 1
	// Product is evalpad's product name in manifests.
	Product = "evalpad"
	// SignDomain comes before the manifest's bytes in what the vendor key
	// signs, so a firmware signature never passes for anything else.
	SignDomain = "evalpad-firmware-v1\n"
	// MaxManifest bounds manifest.json's size.
	MaxManifest = 64 << 10
	// MaxPayload bounds a payload's size (1 TiB: beyond any pad's storage).
	MaxPayload = 1 << 40

	// KindAgent: the payload is the evalpad binary (agent slots).
	KindAgent = "agent"
	// KindRootfs: the payload is a root filesystem image (U-Boot A/B).
	KindRootfs = "rootfs"
)

// The entries of an artifact, in their order.
const (
	nameManifest = "manifest.json"
	nameSig      = "manifest.sig"
	namePayload  = "payload"
)

// Manifest describes an artifact's payload; the vendor key signs its exact
// bytes. doc.go gives each field's rules.
type Manifest struct {
	Format      int    `json:"format"`
	Product     string `json:"product"`
	Version     string `json:"version"`
	Arch        string `json:"arch"`
	Kind        string `json:"kind"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	MinVersion  string `json:"min_version"`
	StoreFormat int    `json:"store_format"`
	KeyID       string `json:"key_id"`
	Created     string `json:"created"`
}

// Target is what a pad is now: an artifact is checked against it.
type Target struct {
	Product     string // Product
	Arch        string // GOARCH of the running binary
	Version     string // the running version (DevVersion for a development build)
	StoreFormat int    // the store's on-disk format; 0 when unknown (not checked)
}

// check tests each field against doc.go's rules.
func (m Manifest) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: manifest: "+format, append([]any{ErrFormat}, a...)...)
	}
	switch {
	case m.Format != FormatVersion:
		return bad("format %d is not %d", m.Format, FormatVersion)
	case !isToken(m.Product):
		return bad("product %q is not 1-64 of [A-Za-z0-9._-]", m.Product)
	case !ValidVersion(m.Version):
		return bad("version %q is not a semantic version", m.Version)
	case !isToken(m.Arch):
		return bad("arch %q is not 1-64 of [A-Za-z0-9._-]", m.Arch)
	case m.Kind != KindAgent && m.Kind != KindRootfs:
		return bad("kind %q is not %q or %q", m.Kind, KindAgent, KindRootfs)
	case m.Size < 1 || m.Size > MaxPayload:
		return bad("size %d is not in 1..%d", m.Size, int64(MaxPayload))
	case !isLowerHex(m.SHA256, sha256.Size*2):
		return bad("sha256 %q is not 64 lower-case hex digits", m.SHA256)
	case m.MinVersion != "" && !ValidVersion(m.MinVersion):
		return bad("min_version %q is not a semantic version", m.MinVersion)
	case m.StoreFormat < 1 || m.StoreFormat > 1<<20:
		return bad("store_format %d is not a format number", m.StoreFormat)
	case !isKeyID(m.KeyID):
		return bad("key_id %q is not a key fingerprint (SHA256:…)", m.KeyID)
	}
	if _, err := time.Parse(time.RFC3339, m.Created); err != nil || len(m.Created) > 40 {
		return bad("created %q is not an RFC 3339 time", m.Created)
	}
	return nil
}

// ParseManifest reads manifest.json's bytes: a JSON object of exactly the
// members of Manifest (each present, no other, none twice, names in their
// exact case), each valid by doc.go's rules. It does not check a
// signature.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if len(b) > MaxManifest {
		return m, fmt.Errorf("%w: manifest is over %d bytes", ErrFormat, MaxManifest)
	}
	canon, err := trust.Canonical(b) // I-JSON: one value, no duplicate names, valid UTF-8
	if err != nil {
		return m, fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	// encoding/json matches names case-insensitively and leaves missing
	// members zero: the manifest must be exactly what m marshals to.
	back, err := json.Marshal(m)
	if err == nil {
		back, err = trust.Canonical(back)
	}
	if err != nil || !bytes.Equal(back, canon) {
		return Manifest{}, fmt.Errorf("%w: manifest: members missing, misspelt or of the wrong type", ErrFormat)
	}
	if err := m.check(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// head is an artifact read up to its payload's header.
type head struct {
	f        *os.File
	tr       *tar.Reader
	raw      []byte // manifest.json's bytes
	sig      []byte
	m        Manifest
	payload  *tar.Header
	dataSize int64 // bytes before the payload's data
}

// block rounds n up to tar's 512-byte blocks.
func block(n int64) int64 { return (n + 511) &^ 511 }

// next reads the header of the entry named name, at most max bytes long.
func next(tr *tar.Reader, name string, max int64) (*tar.Header, error) {
	h, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: no %s entry", ErrFormat, name)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, name, err)
	}
	switch {
	case h.Format != tar.FormatUSTAR:
		return nil, fmt.Errorf("%w: entry %q is not a plain ustar header (%v)", ErrFormat, h.Name, h.Format)
	case h.Name != name:
		return nil, fmt.Errorf("%w: entry %q where %s belongs", ErrFormat, h.Name, name)
	case h.Typeflag != tar.TypeReg || h.Linkname != "":
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrFormat, name)
	case h.Size < 0 || h.Size > max:
		return nil, fmt.Errorf("%w: %s is %d bytes, over %d", ErrFormat, name, h.Size, max)
	}
	return h, nil
}

// readHead opens an artifact and reads its manifest, its signature and its
// payload's header; the caller closes h.f.
func readHead(path string) (*head, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	h, err := readHeadFrom(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return h, nil
}

func readHeadFrom(f *os.File) (*head, error) {
	h := &head{f: f, tr: tar.NewReader(f)}
	mh, err := next(h.tr, nameManifest, MaxManifest)
	if err != nil {
		return nil, err
	}
	if h.raw, err = io.ReadAll(h.tr); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, nameManifest, err)
	}
	sh, err := next(h.tr, nameSig, ed25519.SignatureSize)
	if err != nil {
		return nil, err
	}
	if sh.Size != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, not %d", ErrFormat, nameSig, sh.Size, ed25519.SignatureSize)
	}
	if h.sig, err = io.ReadAll(h.tr); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, nameSig, err)
	}
	if h.m, err = ParseManifest(h.raw); err != nil {
		return nil, err
	}
	if h.payload, err = next(h.tr, namePayload, MaxPayload); err != nil {
		return nil, err
	}
	h.dataSize = 512 + block(mh.Size) + 512 + block(sh.Size) + 512
	return h, nil
}

// finish reads the payload to its end (hashing it into sum) and checks
// that the archive ends there: its end-of-archive blocks and nothing more.
func (h *head) finish(sum hash.Hash) error {
	n, err := io.Copy(sum, h.tr)
	if err != nil {
		return fmt.Errorf("%w: payload truncated after %d of %d bytes: %v", ErrSize, n, h.payload.Size, err)
	}
	if _, err := h.tr.Next(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: an entry or data after %s", ErrFormat, namePayload)
	}
	st, err := h.f.Stat()
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	if want := h.dataSize + block(h.payload.Size) + 1024; st.Size() != want {
		return fmt.Errorf("%w: the file is %d bytes; its entries and the end of the archive make %d", ErrFormat, st.Size(), want)
	}
	return nil
}

// ReadManifest reads an artifact's manifest without verifying anything
// but its layout and fields: for listings (the central's), never to
// decide to install.
func ReadManifest(path string) (Manifest, error) {
	h, err := readHead(path)
	if err != nil {
		return Manifest{}, err
	}
	h.f.Close()
	return h.m, nil
}

// Verify checks the artifact at path for the pad t and returns its
// manifest. It reads the manifest and its signature first, then checks, in
// this order: the layout, the key id (ErrUnknownKey), the signature
// (ErrSignature), the product (ErrProduct), the arch (ErrArch), the
// minimum version it updates from (ErrMinVersion), the store format
// (ErrStoreFormat), then reads the payload for its size (ErrSize) and
// SHA-256 (ErrHash) and the end of the archive (ErrFormat). It writes
// nothing. It does not order versions: installing an older release is
// allowed while its store format is not below the pad's.
func Verify(path string, keys Keys, t Target) (Manifest, error) {
	if t.Product == "" || t.Arch == "" {
		return Manifest{}, errors.New("firmware: verify: the target has no product or arch")
	}
	h, err := readHead(path)
	if err != nil {
		return Manifest{}, err
	}
	defer h.f.Close()
	m := h.m
	pub, ok := keys[m.KeyID]
	switch {
	case !ok:
		return Manifest{}, fmt.Errorf("%w: %s", ErrUnknownKey, m.KeyID)
	case len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, signedBytes(h.raw), h.sig):
		return Manifest{}, fmt.Errorf("%w: manifest.sig does not verify with %s", ErrSignature, m.KeyID)
	case m.Product != t.Product:
		return Manifest{}, fmt.Errorf("%w: %q, this is %q", ErrProduct, m.Product, t.Product)
	case m.Arch != t.Arch:
		return Manifest{}, fmt.Errorf("%w: built for %s, this pad is %s", ErrArch, m.Arch, t.Arch)
	case m.MinVersion != "" && CompareVersions(t.Version, m.MinVersion) < 0:
		return Manifest{}, fmt.Errorf("%w: %s updates from %s or later, this pad runs %s", ErrMinVersion, m.Version, m.MinVersion, t.Version)
	case m.StoreFormat < t.StoreFormat:
		return Manifest{}, fmt.Errorf("%w: %s reads store format %d, the store is at %d", ErrStoreFormat, m.Version, m.StoreFormat, t.StoreFormat)
	case h.payload.Size != m.Size:
		return Manifest{}, fmt.Errorf("%w: payload is %d bytes, the manifest says %d", ErrSize, h.payload.Size, m.Size)
	}
	sum := sha256.New()
	if err := h.finish(sum); err != nil {
		return Manifest{}, err
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != m.SHA256 {
		return Manifest{}, fmt.Errorf("%w: payload sha256 %s, the manifest says %s", ErrHash, got, m.SHA256)
	}
	return m, nil
}

// signedBytes is what the vendor key signs: SignDomain, then the
// manifest's exact bytes.
func signedBytes(manifest []byte) []byte {
	return append([]byte(SignDomain), manifest...)
}

// OpenPayload opens the payload of the artifact at path, for installing it
// after Verify, and returns its size. Reading it to its end checks its
// SHA-256 against the manifest again: a file that changed since Verify
// ends in ErrHash (or ErrSize), so the caller must not switch to what it
// wrote unless the reader reached io.EOF.
func OpenPayload(path string) (io.ReadCloser, int64, error) {
	h, err := readHead(path)
	if err != nil {
		return nil, 0, err
	}
	if h.payload.Size != h.m.Size {
		h.f.Close()
		return nil, 0, fmt.Errorf("%w: payload is %d bytes, the manifest says %d", ErrSize, h.payload.Size, h.m.Size)
	}
	return &payloadReader{h: h, sum: sha256.New()}, h.payload.Size, nil
}

type payloadReader struct {
	h    *head
	sum  hash.Hash
	n    int64
	done error
}

func (r *payloadReader) Read(p []byte) (int, error) {
	if r.done != nil {
		return 0, r.done
	}
	n, err := r.h.tr.Read(p)
	r.sum.Write(p[:n])
	r.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		r.done = io.EOF
		if r.n != r.h.m.Size {
			r.done = fmt.Errorf("%w: payload ended after %d of %d bytes", ErrSize, r.n, r.h.m.Size)
		} else if got := hex.EncodeToString(r.sum.Sum(nil)); got != r.h.m.SHA256 {
			r.done = fmt.Errorf("%w: payload sha256 %s, the manifest says %s", ErrHash, got, r.h.m.SHA256)
		}
		return n, r.done
	case err != nil:
		r.done = fmt.Errorf("%w: payload: %v", ErrSize, err)
		return n, r.done
	}
	return n, nil
}

func (r *payloadReader) Close() error { return r.h.f.Close() }

// Build writes an artifact of payload to w, signed with key. It fills the
// manifest's KeyID, Size and SHA256 (and Format and Product when zero);
// the caller sets Version, Arch, Kind, MinVersion, StoreFormat and Created.
// A payload that is an io.ReadSeeker (a file) is read twice, from where it
// is; any other is spooled to a temporary file first. The manifest is
// checked as Verify would, so Build never writes what a pad would refuse
// as malformed.
func Build(w io.Writer, key ed25519.PrivateKey, m Manifest, payload io.Reader) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("firmware: build: not an ed25519 private key")
	}
	if m.Format == 0 {
		m.Format = FormatVersion
	}
	if m.Product == "" {
		m.Product = Product
	}
	m.KeyID = KeyID(trust.Public(key))

	rs, ok := payload.(io.ReadSeeker)
	if !ok {
		tmp, err := os.CreateTemp("", "evalpad-payload-*")
		if err != nil {
			return fmt.Errorf("firmware: build: %w", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, payload); err != nil {
			return fmt.Errorf("firmware: build: payload: %w", err)
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("firmware: build: %w", err)
		}
		rs = tmp
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("firmware: build: payload: %w", err)
	}
	sum := sha256.New()
	if m.Size, err = io.Copy(sum, rs); err != nil {
		return fmt.Errorf("firmware: build: payload: %w", err)
	}
	m.SHA256 = hex.EncodeToString(sum.Sum(nil))
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("firmware: build: payload: %w", err)
	}
	if err := m.check(); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	created, _ := time.Parse(time.RFC3339, m.Created)
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	sig := ed25519.Sign(key, signedBytes(raw))

	tw := tar.NewWriter(w)
	entry := func(name string, size int64) error {
		return tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644,
			ModTime: created.Truncate(time.Second), Format: tar.FormatUSTAR,
		})
	}
	if err := entry(nameManifest, int64(len(raw))); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	if _, err := tw.Write(raw); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	if err := entry(nameSig, int64(len(sig))); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	if _, err := tw.Write(sig); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	if err := entry(namePayload, m.Size); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	again := sha256.New()
	if _, err := io.Copy(tw, io.TeeReader(rs, again)); err != nil {
		return fmt.Errorf("firmware: build: payload: %w", err)
	}
	if hex.EncodeToString(again.Sum(nil)) != m.SHA256 {
		return errors.New("firmware: build: the payload changed while it was read")
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("firmware: build: %w", err)
	}
	return nil
}

func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// isKeyID: "SHA256:" and 43 characters of unpadded standard base64.
func isKeyID(s string) bool {
	const prefix = "SHA256:"
	if len(s) != len(prefix)+43 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
