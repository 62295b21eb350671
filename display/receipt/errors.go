package receipt

import "errors"

// Sentinel errors of the receipt package. Callers test with errors.Is; the
// wrapped message says which field or parameter was wrong.
var (
	// ErrInvalid: a receipt field or profile setting cannot be printed
	// (empty project_no, control characters, unsupported paper or QR mode,
	// a URL too long for the paper).
	ErrInvalid = errors.New("receipt: invalid receipt")
	// ErrKey: the token key is missing or shorter than MinKeyLen bytes, or
	// its id is malformed.
	ErrKey = errors.New("receipt: token key too short")
	// ErrURL: a scan URL or its base is malformed, or lacks or repeats
	// one of the fields p, d, t.
	ErrURL = errors.New("receipt: bad scan URL")
	// ErrToken: the token of a scan URL does not match its project_no,
	// device id, key id, expiry and host under the key: the URL was forged
	// or altered.
	ErrToken = errors.New("receipt: token does not verify")
	// ErrKeyID: the token names a key the verifier does not know (or is a
	// token v1 and the verifier has no v1 key).
	ErrKeyID = errors.New("receipt: unknown token key")
	// ErrExpired: a genuine token past its expiry (a v1 token from
	// V1Cutoff on), or one whose expiry is implausibly far ahead.
	ErrExpired = errors.New("receipt: token expired")
	// ErrHost: the scan URL is not on the host of the central verifying it.
	ErrHost = errors.New("receipt: scan URL on another host")
)
