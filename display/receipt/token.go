package receipt

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
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

// tokenDomain separates these MACs from anything else the same key might
// ever sign, and names the version of the framing.
const tokenDomain = "evalpad/receipt-token/v1"

// URL query fields.
const (
	fieldProject = "p"
	fieldDevice  = "d"
	fieldToken   = "t"
)

// Token is the scan token of a case receipt: HMAC-SHA256 under key over
//
//	"evalpad/receipt-token/v1" 0x00
//	uint32 big-endian len(projectNo) projectNo
//	uint32 big-endian len(deviceID)  deviceID
//
// truncated to TokenBytes and encoded as unpadded base64url. The length
// prefixes make the framing unambiguous: no two (projectNo, deviceID)
// pairs produce the same MAC input. Token does not check its inputs;
// ScanURL and VerifyURL do (key length, field syntax).
func Token(key []byte, projectNo, deviceID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenDomain))
	m.Write([]byte{0})
	var n [4]byte
	for _, f := range []string{projectNo, deviceID} {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:TokenBytes])
}

// ScanURL is the 扫码评价 URL of a case receipt: base with
// ?p=<project_no>&d=<device_id>&t=<token> added (after any query base
// already has), each value query-escaped. base must be an absolute http or
// https URL without a fragment and without its own p, d or t.
func ScanURL(base string, key []byte, projectNo, deviceID string) (string, error) {
	if len(key) < MinKeyLen {
		return "", fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(key), MinKeyLen)
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
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "?"))
	if u.RawQuery == "" {
		b.WriteByte('?')
	} else if !strings.HasSuffix(base, "&") {
		b.WriteByte('&')
	}
	b.WriteString(fieldProject + "=" + url.QueryEscape(projectNo))
	b.WriteString("&" + fieldDevice + "=" + url.QueryEscape(deviceID))
	b.WriteString("&" + fieldToken + "=" + Token(key, projectNo, deviceID))
	return b.String(), nil
}

// VerifyURL checks the token of a scan URL under key and returns the
// project_no and device id it vouches for. Any change to p, d or t makes it
// fail with ErrToken; a URL that lacks one of them, repeats one, or does not
// parse fails with ErrURL. The token is compared in constant time. Other
// query fields and the URL's scheme, host and path are not covered by the
// token: the central checks them against its own endpoint.
func VerifyURL(key []byte, rawURL string) (projectNo, deviceID string, err error) {
	if len(key) < MinKeyLen {
		return "", "", fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(key), MinKeyLen)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrURL, err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", "", fmt.Errorf("%w: query: %v", ErrURL, err)
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
	p, err := one(fieldProject, "project_no")
	if err != nil {
		return "", "", err
	}
	d, err := one(fieldDevice, "device_id")
	if err != nil {
		return "", "", err
	}
	t, err := one(fieldToken, "token")
	if err != nil {
		return "", "", err
	}
	if err := checkField("project_no", p); err != nil {
		return "", "", err
	}
	if err := checkField("device_id", d); err != nil {
		return "", "", err
	}
	want := Token(key, p, d)
	if subtle.ConstantTimeCompare([]byte(t), []byte(want)) != 1 {
		return "", "", fmt.Errorf("%w: the token does not match project_no %q and device_id %q (forged or altered URL, or another key)", ErrToken, p, d)
	}
	return p, d, nil
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
