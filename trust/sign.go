package trust

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"time"
)

// Domains: the signed bytes are a domain, then the canonical form of the
// object without its "sig" member, so a signature made for one use never
// verifies for another.
const (
	// RecordDomain: a record, signed by its pad.
	RecordDomain = "evalpad-record-v1\n"
	// EnrollDomain: a pad's enrollment request, signed with the key it
	// registers (proof that the pad holds it).
	EnrollDomain = "evalpad-enroll-v1\n"
)

// DownDomain is the domain of a message the central sends on topic: it
// binds the message to one pad's topic, so it cannot be replayed to
// another pad or as another kind of message.
func DownDomain(topic string) string { return "evalpad-down-v1\n" + topic + "\n" }

// MaxLifetime is how far ahead a signed downlink message's "exp" may be;
// the pad keeps the ids it saw until they expire, so this bounds its memory.
const MaxLifetime = 7 * 24 * time.Hour

// Sign signs the JSON object obj under domain: the signature covers the
// canonical form (Canonical) of obj without its "sig" member. It returns
// the signature as unpadded base64url.
func Sign(key ed25519.PrivateKey, domain string, obj []byte) (string, error) {
	msg, _, err := signedBytes(domain, obj)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, msg)), nil
}

// Verify checks the "sig" member of the JSON object obj against pub under
// domain.
func Verify(pub ed25519.PublicKey, domain string, obj []byte) error {
	msg, sig, err := signedBytes(domain, obj)
	if err != nil {
		return err
	}
	if sig == "" {
		return ErrUnsigned
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("%w: sig is not %d bytes of base64url", ErrBadSignature, ed25519.SignatureSize)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, raw) {
		return ErrBadSignature
	}
	return nil
}

// signedBytes is domain ‖ Canonical(obj without "sig"), and obj's sig.
func signedBytes(domain string, obj []byte) (msg []byte, sig string, err error) {
	v, err := parse(obj)
	if err != nil {
		return nil, "", err
	}
	if v.kind != 'o' {
		return nil, "", fmt.Errorf("%w: a signed value is a JSON object", ErrNotCanonical)
	}
	kept := v.members[:0:0]
	for _, m := range v.members {
		if m.name == "sig" {
			if m.val.kind != 's' {
				return nil, "", fmt.Errorf("%w: sig is not a string", ErrBadSignature)
			}
			sig = m.val.str
			continue
		}
		kept = append(kept, m)
	}
	v.members = kept
	return v.appendTo([]byte(domain)), sig, nil
}

// SignDown makes a message for the central to send on topic: msg (a JSON
// object) with "exp" (RFC 3339, UTC, milliseconds) and "sig" added, the
// signature under DownDomain(topic) covering exp. Members msg already has
// named exp or sig are replaced.
func SignDown(key ed25519.PrivateKey, topic string, msg []byte, exp time.Time) ([]byte, error) {
	v, err := parse(msg)
	if err != nil {
		return nil, err
	}
	if v.kind != 'o' {
		return nil, fmt.Errorf("%w: a message is a JSON object", ErrNotCanonical)
	}
	kept := v.members[:0:0]
	for _, m := range v.members {
		if m.name != "exp" && m.name != "sig" {
			kept = append(kept, m)
		}
	}
	v.members = append(kept, member{"exp", value{kind: 's', str: exp.UTC().Format(ExpLayout)}})
	body := v.appendTo(nil)
	sig := base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, append([]byte(DownDomain(topic)), body...)))
	out := append(body[:len(body)-1], `,"sig":"`...)
	return append(append(out, sig...), `"}`...), nil
}

// ExpLayout is how "exp" is written.
const ExpLayout = "2006-01-02T15:04:05.000Z07:00"

// VerifyDown checks a message from the central on topic: its signature by
// pub under DownDomain(topic), and its "exp": present, not passed at now,
// and at most MaxLifetime ahead. It returns exp.
func VerifyDown(pub ed25519.PublicKey, topic string, msg []byte, now time.Time) (time.Time, error) {
	if err := Verify(pub, DownDomain(topic), msg); err != nil {
		return time.Time{}, err
	}
	v, _ := parse(msg) // parsed by Verify already
	var exp time.Time
	for _, m := range v.members {
		if m.name == "exp" && m.val.kind == 's' {
			exp, _ = time.Parse(time.RFC3339Nano, m.val.str)
		}
	}
	switch {
	case exp.IsZero():
		return exp, fmt.Errorf("%w: no exp", ErrExpired)
	case !now.Before(exp):
		return exp, fmt.Errorf("%w: at %s", ErrExpired, exp.Format(ExpLayout))
	case exp.Sub(now) > MaxLifetime:
		return exp, fmt.Errorf("%w: exp %s is more than %v ahead", ErrExpired, exp.Format(ExpLayout), MaxLifetime)
	}
	return exp, nil
}
