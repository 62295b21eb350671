package firmware

import "errors"

// Sentinel errors. Every error of Verify, ReadManifest, OpenPayload and
// LoadKeys wraps one of them (or an fs error for a file that cannot be
// read), so a caller can tell the pad and the central why an artifact was
// refused.
var (
	// ErrFormat: the file is not an artifact of this format: not a ustar
	// archive of exactly manifest.json, manifest.sig and payload (in this
	// order, regular files, nothing before, between or after them), a
	// manifest that is not the JSON object doc.go describes, or a
	// signature that is not 64 bytes.
	ErrFormat = errors.New("firmware: not a valid artifact")
	// ErrUnknownKey: the manifest's key_id names no trusted vendor key.
	ErrUnknownKey = errors.New("firmware: unknown vendor key")
	// ErrSignature: manifest.sig is not the vendor key's signature of the
	// manifest.
	ErrSignature = errors.New("firmware: bad signature")
	// ErrProduct: the artifact is for another product.
	ErrProduct = errors.New("firmware: wrong product")
	// ErrArch: the artifact is built for another CPU architecture.
	ErrArch = errors.New("firmware: wrong architecture")
	// ErrSize: the payload's size is not the manifest's size (a truncated
	// or padded payload), or a download's size is not the one expected.
	ErrSize = errors.New("firmware: wrong size")
	// ErrHash: the payload's (or a download's) SHA-256 is not the one
	// expected.
	ErrHash = errors.New("firmware: wrong sha256")
	// ErrMinVersion: the pad runs a version older than the artifact's
	// min_version: it must be updated to an intermediate version first.
	ErrMinVersion = errors.New("firmware: version too old to update from")
	// ErrStoreFormat: the artifact's software reads an older store format
	// than the pad's store has: installing it would be a downgrade the
	// store cannot take.
	ErrStoreFormat = errors.New("firmware: store format downgrade")
	// ErrKeys: a vendor key file is malformed, or no key was found.
	ErrKeys = errors.New("firmware: vendor keys")
	// ErrDownload: a download failed in a way a retry may fix (a cut
	// connection, a server error); the partial file is kept for the next
	// try. Size and hash mismatches are ErrSize and ErrHash instead.
	ErrDownload = errors.New("firmware: download")
)
