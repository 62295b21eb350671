package trust

import "errors"

// Sentinel errors. Every error of this package wraps one of them.
var (
	// ErrNotCanonical: the input is not I-JSON (RFC 7493): malformed JSON,
	// a duplicate member name, invalid UTF-8, a lone surrogate, or a number
	// out of the IEEE 754 double range.
	ErrNotCanonical = errors.New("trust: not I-JSON")
	// ErrUnsigned: the object has no "sig" member, or an empty one.
	ErrUnsigned = errors.New("trust: unsigned")
	// ErrBadSignature: the signature does not verify with the key.
	ErrBadSignature = errors.New("trust: bad signature")
	// ErrExpired: a signed message's "exp" has passed, is missing, or is
	// further ahead than MaxLifetime.
	ErrExpired = errors.New("trust: expired")
	// ErrKey: a key or key file is malformed, of the wrong type, or readable
	// by others than its owner.
	ErrKey = errors.New("trust: key")
)
