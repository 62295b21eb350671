package receipt

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MinKeyLen is the shortest token key ScanURL and VerifyURL accept. The key
// is provisioned per device or per hall by the central; 16 random bytes is
// the floor, 32 is what provisioning should hand out.
const MinKeyLen = 16

// TokenBytes is how much of the HMAC-SHA256 the token keeps: 128 bits, 22
// base64url characters. See the package doc for why.
const TokenBytes = 16

// MaxFieldLen bounds project_no and the device id in a scan URL, so a URL
// always fits a QR code on 58 mm paper.
const MaxFieldLen = 64

// MaxKeyIDLen bounds a key id: it is printed in every QR code.
const MaxKeyIDLen = 16

// DefaultKeyID is the id of a key configured without one (receipt.key
// alone in the pad's config).
const DefaultKeyID = "0"

// MaxLifetime is how far after now a token's expiry may be: a token that
// claims more was made by a pad with a wrong clock, or not by a pad.
const MaxLifetime = 400 * 24 * time.Hour

// v1Cutoff is when tokens v1 stop verifying: 2027-03-01 00:00 China
// Standard Time. Receipts printed before the pads were updated to v2 are
// rated by then (the central defaults a case to 4★ after 5 working days).
const v1Cutoff = 1803830400

// V1Cutoff is when tokens v1 (no key id, no expiry) stop verifying.
func V1Cutoff() time.Time { return time.Unix(v1Cutoff, 0) }

// Domains separate these MACs from anything else the same key might ever
// sign, and name the version of the framing.
const (
	tokenDomainV1 = "evalpad/receipt-token/v1"
	tokenDomainV2 = "evalpad/receipt-token/v2"
)

// URL query fields.
const (
	fieldProject = "p"
	fieldDevice  = "d"
	fieldToken   = "t"
)

// Key is a token key: its secret and the id the central knows it by.
type Key struct {
	ID     string // 1..MaxKeyIDLen of A-Z a-z 0-9 _ -
	Secret []byte // at least MinKeyLen bytes
}

// Keys are what a verifier knows: the keys by id, and the one key of
// tokens v1, which carry no id (nil: v1 tokens are refused).
type Keys struct {
	ByID map[string][]byte
	V1   []byte
}

// Scan is what a verified scan URL vouches for.
type Scan struct {
	ProjectNo string
	DeviceID  string
	Version   int       // 1 or 2
	KeyID     string    // "" for v1
	Expires   time.Time // V1Cutoff for v1
}

// TokenV2 is the scan token of a case receipt:
//
//	kid "." exp "." mac
//
// where exp is the expiry in Unix seconds in lowercase base 36 and mac the
// unpadded base64url of HMAC-SHA256 under the key, truncated to
// TokenBytes, over
//
//	"evalpad/receipt-token/v2" 0x00
//	uint32be len(host) host          the scan URL's host, lowercase
//	uint32be len(projectNo) projectNo
//	uint32be len(deviceID) deviceID
//	uint32be len(kid) kid
//	uint64be exp
//
// TokenV2 does not check its inputs; ScanURL and VerifyURL do.
func TokenV2(key Key, host, projectNo, deviceID string, exp time.Time) string {
	e := exp.Unix()
	m := hmac.New(sha256.New, key.Secret)
	m.Write([]byte(tokenDomainV2))
	m.Write([]byte{0})
	writeFields(m, strings.ToLower(host), projectNo, deviceID, key.ID)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(e)))
	return key.ID + "." + strconv.FormatInt(e, 36) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:TokenBytes])
}

// TokenV1 is the token pads printed before v2: HMAC-SHA256 under key over
// "evalpad/receipt-token/v1" 0x00 and the length-prefixed project_no and
// device id, truncated to TokenBytes, unpadded base64url. No key id, no
// expiry, no host: VerifyURL takes it until V1Cutoff. Pads no longer make
// it; it is here to verify old receipts.
func TokenV1(key []byte, projectNo, deviceID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenDomainV1))
	m.Write([]byte{0})
	writeFields(m, projectNo, deviceID)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:TokenBytes])
}

// writeFields writes each field with its length first, so that no two
// lists of fields make the same MAC input.
func writeFields(m hash.Hash, fields ...string) {
	var n [4]byte
	for _, f := range fields {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
}

// CheckKeyID accepts 1..MaxKeyIDLen of A-Z a-z 0-9 _ - (no ".": it
// separates the token's parts).
func CheckKeyID(id string) error {
	if id == "" || len(id) > MaxKeyIDLen {
		return fmt.Errorf("%w: key id %q: 1 to %d characters", ErrKey, id, MaxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: key id %q: only A-Z a-z 0-9 _ -", ErrKey, id)
		}
	}
	return nil
}

// ScanURL is the 扫码评价 URL of a case receipt: base with
// ?p=<project_no>&d=<device_id>&t=<token v2> added (after any query base
// already has), each value query-escaped; the token expires at exp and
// binds base's host. base must be an absolute http or https URL without a
// fragment and without its own p, d or t.
func ScanURL(base string, key Key, projectNo, deviceID string, exp time.Time) (string, error) {
	if len(key.Secret) < MinKeyLen {
		return "", fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(key.Secret), MinKeyLen)
	}
	if err := CheckKeyID(key.ID); err != nil {
		return "", err
	}
	if err := checkField("project_no", projectNo); err != nil {
		return "", err
	}
	if err := checkField("device_id", deviceID); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%w: base: %v", ErrURL, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return "", fmt.Errorf("%w: base %q: want an absolute http(s) URL", ErrURL, base)
	}
	if u.Fragment != "" || strings.Contains(base, "#") {
		return "", fmt.Errorf("%w: base %q has a fragment", ErrURL, base)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: base query: %v", ErrURL, err)
	}
	for _, k := range []string{fieldProject, fieldDevice, fieldToken} {
		if _, ok := q[k]; ok {
			return "", fmt.Errorf("%w: base %q already has %q", ErrURL, base, k)
		}
	}
	if exp.Unix() <= 0 {
		return "", fmt.Errorf("%w: expiry %v is before 1970", ErrURL, exp)
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "?"))
	if u.RawQuery == "" {
		b.WriteByte('?')
	} else if !strings.HasSuffix(base, "&") {
		b.WriteByte('&')
	}
	b.WriteString(fieldProject + "=" + url.QueryEscape(projectNo))
	b.WriteString("&" + fieldDevice + "=" + url.QueryEscape(deviceID))
	b.WriteString("&" + fieldToken + "=" + TokenV2(key, u.Host, projectNo, deviceID, exp))
	return b.String(), nil
}

// VerifyURL checks a scan URL at now, for the central that serves host
// (host[:port], compared without regard to case), and returns what it
// vouches for:
//
//   - a URL on another host: ErrHost;
//   - a token v2 whose key id keys.ByID lacks: ErrKeyID; one that does not
//     match p, d, its key id, its expiry and the host: ErrToken; one
//     expired at now, or expiring more than MaxLifetime after now:
//     ErrExpired;
//   - a token v1: checked with keys.V1 (ErrKeyID when nil), refused with
//     ErrExpired from V1Cutoff on;
//   - a URL that lacks p, d or t, repeats one, or does not parse: ErrURL.
//
// Other query fields and the URL's scheme and path are not covered. The
// MAC is compared in constant time, and only the canonical encoding of a
// token verifies.
func VerifyURL(keys Keys, host string, now time.Time, rawURL string) (Scan, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Scan{}, fmt.Errorf("%w: %v", ErrURL, err)
	}
	if host == "" || !strings.EqualFold(u.Host, host) {
		return Scan{}, fmt.Errorf("%w: the URL is for %q, this central is %q", ErrHost, u.Host, host)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Scan{}, fmt.Errorf("%w: query: %v", ErrURL, err)
	}
	one := func(k, name string) (string, error) {
		switch v := q[k]; len(v) {
		case 1:
			return v[0], nil
		case 0:
			return "", fmt.Errorf("%w: no %s (%s=)", ErrURL, name, k)
		default:
			return "", fmt.Errorf("%w: %s (%s=) given %d times", ErrURL, name, k, len(v))
		}
	}
	var f [3]string
	for i, k := range [][2]string{{fieldProject, "project_no"}, {fieldDevice, "device_id"}, {fieldToken, "token"}} {
		if f[i], err = one(k[0], k[1]); err != nil {
			return Scan{}, err
		}
	}
	p, d, t := f[0], f[1], f[2]
	if err := checkField("project_no", p); err != nil {
		return Scan{}, err
	}
	if err := checkField("device_id", d); err != nil {
		return Scan{}, err
	}
	if !strings.Contains(t, ".") {
		return verifyV1(keys.V1, now, p, d, t)
	}
	kid, rest, _ := strings.Cut(t, ".")
	expS, _, _ := strings.Cut(rest, ".")
	e, err := strconv.ParseInt(expS, 36, 64)
	if err != nil || strconv.FormatInt(e, 36) != expS || e <= 0 || CheckKeyID(kid) != nil {
		return Scan{}, fmt.Errorf("%w: token %q is not kid.expiry.mac", ErrToken, t)
	}
	secret, ok := keys.ByID[kid]
	if !ok {
		return Scan{}, fmt.Errorf("%w: %q", ErrKeyID, kid)
	}
	exp := time.Unix(e, 0)
	want := TokenV2(Key{ID: kid, Secret: secret}, u.Host, p, d, exp)
	if len(secret) < MinKeyLen || subtle.ConstantTimeCompare([]byte(t), []byte(want)) != 1 {
		return Scan{}, fmt.Errorf("%w: the token does not match project_no %q, device_id %q, key %q and its expiry (forged or altered URL, or another key)", ErrToken, p, d, kid)
	}
	switch {
	case !now.Before(exp):
		return Scan{}, fmt.Errorf("%w: at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	case exp.Sub(now) > MaxLifetime:
		return Scan{}, fmt.Errorf("%w: expiry %s is more than %v ahead", ErrExpired, exp.UTC().Format(time.RFC3339), MaxLifetime)
	}
	return Scan{ProjectNo: p, DeviceID: d, Version: 2, KeyID: kid, Expires: exp}, nil
}

func verifyV1(key []byte, now time.Time, p, d, t string) (Scan, error) {
	if key == nil {
		return Scan{}, fmt.Errorf("%w: a token v1, and no v1 key", ErrKeyID)
	}
	if len(key) < MinKeyLen || subtle.ConstantTimeCompare([]byte(t), []byte(TokenV1(key, p, d))) != 1 {
		return Scan{}, fmt.Errorf("%w: the token v1 does not match project_no %q and device_id %q (forged or altered URL, or another key)", ErrToken, p, d)
	}
	if !now.Before(V1Cutoff()) {
		return Scan{}, fmt.Errorf("%w: tokens v1 are refused from %s", ErrExpired, V1Cutoff().UTC().Format(time.RFC3339))
	}
	return Scan{ProjectNo: p, DeviceID: d, Version: 1, Expires: V1Cutoff()}, nil
}

// checkField: a project_no or device id is 1..MaxFieldLen bytes of valid
// UTF-8 without control characters or spaces.
func checkField(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty %s", ErrURL, name)
	case len(v) > MaxFieldLen:
		return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrURL, name, len(v), MaxFieldLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrURL, name)
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u3000' {
			return fmt.Errorf("%w: %s %q contains space or control character %U", ErrURL, name, v, r)
		}
	}
	return nil
}
