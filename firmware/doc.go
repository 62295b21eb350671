// Package firmware holds evalpad's signed over-the-air updates: the
// artifact format (Build, Verify, ReadManifest, OpenPayload), the vendor
// keys that sign artifacts (LoadKeys, GenerateVendorKey), version ordering
// (CompareVersions) and the resumable download (Download). It imports
// nothing of agent, pad, device or sync/link.
//
// # Artifact
//
// An artifact is an uncompressed POSIX tar (ustar, no pax or GNU
// extension headers) of exactly three regular files, in this order, and
// nothing else:
//
//	offset  block(s)                     content
//	0       ustar header "manifest.json"  regular file, size M ≤ 65536
//	512     M bytes, zero-padded to 512   the manifest (JSON, below)
//	…       ustar header "manifest.sig"   regular file, size 64
//	…       64 bytes, padded to 512       ed25519 signature (raw, 64 bytes)
//	…       ustar header "payload"        regular file, size = manifest "size"
//	…       payload, padded to 512        the agent binary, or a rootfs image
//	…       two zero blocks (1024 bytes)  end of archive; the file ends here
//
// The signature is the vendor key's ed25519 signature of
//
//	"evalpad-firmware-v1\n" ‖ manifest.json's exact bytes
//
// (SignDomain: a firmware signature never verifies as anything else). The
// manifest's bytes are signed as they are, not re-encoded: a verifier
// checks the bytes it read and only then trusts what they say.
//
// manifest.json is one JSON object (I-JSON: UTF-8, no member twice) with
// exactly these members, each present, no other:
//
//	format        1 (FormatVersion)
//	product       "evalpad"; 1-64 of [A-Za-z0-9._-]
//	version       the payload's version: a semantic version (SemVer 2.0.0,
//	              no leading "v"), e.g. "1.3.0", "1.4.0-rc.1"
//	arch          GOARCH of the payload: "arm", "arm64", "amd64"…
//	kind          "agent" (the evalpad binary, for agent slots) or
//	              "rootfs" (a root filesystem image, for U-Boot A/B)
//	size          the payload's size in bytes, 1 … 2^40
//	sha256        the payload's SHA-256, 64 lower-case hex digits
//	min_version   the oldest version that may install it ("" = any,
//	              development builds included)
//	store_format  the store format (store.Format) the payload reads and
//	              writes; a pad whose store is at a later format refuses it
//	key_id        the signing key's id: KeyID, i.e. trust.Fingerprint,
//	              "SHA256:" + unpadded base64 of SHA-256(public key)
//	created       when it was built, RFC 3339
//
// Verify reads the manifest and the signature first and checks, before
// it returns and without writing anything: the layout (ErrFormat), the key
// id among the trusted keys (ErrUnknownKey), the signature (ErrSignature),
// product (ErrProduct), arch (ErrArch), min_version ≤ the pad's version
// (ErrMinVersion), store_format ≥ the pad's store format (ErrStoreFormat),
// then the payload's size (ErrSize) and SHA-256 (ErrHash) and that the
// archive ends right after it. A tar with an entry extra, missing,
// reordered, twice, of another type or name, a pax/GNU header, or bytes
// after its end is ErrFormat.
//
// # Versions
//
// Versions are semantic versions, ordered as SemVer 2.0.0 orders them
// (CompareVersions; build metadata "+…" does not count). A pad's own
// version may carry a leading "v" (VERSION=v1.2.3 scripts/cross-build).
// "dev" — a development build, cmd/evalpad's version without
// -ldflags "-X main.version=…" — and anything else that is not a semantic
// version compare lower than every release: a development pad installs
// only artifacts without a min_version.
//
// # Vendor keys
//
// The vendor signs with an ed25519 key: vendor.key is trust's key file
// (PKCS #8 PEM, mode 0600), vendor.pub one line of the standard base64 of
// the 32-byte public key. A pad trusts a set of public keys (LoadKeys: key
// files, or directories of *.pub) by key id, so a key is rotated by
// shipping the new vendor.pub beside the old one, signing with the new
// key, and later removing the old file.
//
// # Download
//
// Download fetches an artifact over HTTP(S) into dest+".part", with
// dest+".part.meta" ({"sha256","size","validator"}) saying what the part is
// a prefix of. A later call for the same sha256 resumes with
// "Range: bytes=N-" and "If-Range: <ETag or Last-Modified>"; a 206 from N
// appends, a 200 starts again from 0. A cut connection, a stall of
// StallTimeout, a server error or the context's end keep the part
// (ErrDownload: retry); a 416, a body longer than the size, or a complete
// file of another size (ErrSize) or hash (ErrHash) delete it. The file is
// renamed to dest only after its whole size and SHA-256 are checked.
//
// # Test vector
//
// Key: ed25519 seed "evalpad firmware test vendor!!!!" (32 ASCII bytes;
// testdata/vendor.key and vendor.pub — TEST ONLY, the private half is
// public); public key O8mZAemlYahUAzjlNmdbeQHdNLsuFzzvhjV4dSu/t4I=, key id
// SHA256:BqmjuDQXyendn0GSGqrbdJLGxb8Ptm17RkfZ/Bl2pVc. The payload is the
// 37 bytes "evalpad firmware test vector payload\n". manifest.json is
// (one line, no newline at its end):
//
//	{"format":1,"product":"evalpad","version":"1.3.0","arch":"arm64","kind":"agent",
//	"size":37,"sha256":"d0c0ed1d66eab91f3dbf03dfe8dcd9387fa546d546e1616b4fab4034378c866f",
//	"min_version":"1.0.0","store_format":1,"key_id":"SHA256:BqmjuDQXyendn0GSGqrbdJLGxb8Ptm17RkfZ/Bl2pVc",
//	"created":"2026-11-29T12:00:00Z"}
//
// and manifest.sig, the signature of "evalpad-firmware-v1\n" and those
// bytes, is (hex)
//
//	73e1a18b899535663df4cfbf78bdadd4cd1f75144d793d94fd309360903f710c
//	ffb575dd618f00172e4f5326aaa40e51a939ad8622fa0d640547acf2f2e7730b
//
// testdata/vector.fw is the whole artifact as Build writes it (entries
// mode 0644, uid/gid 0, mtime the manifest's created). TestVector checks
// all of it; testdata/vector_check.py checks it with Python's tarfile and
// cryptography packages.
package firmware
