package central

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"evalpad/central/passwd"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Enrollment codes: 20 characters of Crockford's base32 (100 bits) in
// groups of four, e.g. 7K3M-Q9XD-2HVA-PW4E-R8TN. Only the code's SHA-256
// is stored. People may type it in lower case, without the dashes, or
// with O for 0 and I or L for 1.
const (
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	codeChars    = 20
	// DefaultCodeValid is how long a code works unless said otherwise.
	DefaultCodeValid = 24 * time.Hour
	// MaxClockSkew is how far a pad's clock may be off: an enrollment
	// whose "at" is further from the central's clock is refused, and so
	// is a record dated further ahead, or further before the enrollment.
	MaxClockSkew = 15 * time.Minute
)

// NewCode makes a random enrollment code.
func NewCode() string {
	var b [codeChars]byte
	rand.Read(b[:])
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(codeAlphabet[c&31]) // 256 is a multiple of 32: uniform
	}
	return s.String()
}

// NormalizeCode is the code as it is hashed: upper case, without dashes
// and spaces, O read as 0 and I, L as 1.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ':
			return -1
		case 'o', 'O':
			return '0'
		case 'i', 'I', 'l', 'L':
			return '1'
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// CodeHash is what the registry stores of a code.
func CodeHash(code string) string {
	h := sha256.Sum256([]byte("evalhub-enroll-code\n" + NormalizeCode(code)))
	return hex.EncodeToString(h[:])
}

// IssueCode makes a code for device valid for valid from now and stores
// its hash (dropping the device's earlier unused codes).
func IssueCode(ctx context.Context, reg Registry, device string, valid time.Duration, newKey bool, cfg *protocol.Config, now time.Time) (string, Code, error) {
	if err := protocol.CheckDeviceID(device); err != nil {
		return "", Code{}, err
	}
	if valid <= 0 || valid > 30*24*time.Hour {
		return "", Code{}, fmt.Errorf("central: a code is valid for 1s to 30 days, not %v", valid)
	}
	code := NewCode()
	c := Code{Hash: CodeHash(code), DeviceID: device, CreatedAt: now.UTC(), ExpiresAt: now.Add(valid).UTC(), NewKey: newKey, Config: cfg}
	if err := reg.AddCode(ctx, c); err != nil {
		return "", Code{}, err
	}
	return code, c, nil
}

// NewReceiptKey makes a receipt key: an id and 32 random bytes as
// unpadded base64url (what a pad's receipt.key holds).
func NewReceiptKey() (id, key string) {
	var b [32]byte
	var i [4]byte
	rand.Read(b[:])
	rand.Read(i[:])
	return "rk-" + hex.EncodeToString(i[:]), base64.RawURLEncoding.EncodeToString(b[:])
}

// EnrollStore is what enrollment needs of the store.
type EnrollStore interface {
	Registry
	ReceiptKey(ctx context.Context, now time.Time, make func() (id, key string)) (id, key string, err error)
}

// Enroller serves POST /api/v1/enroll (protocol.EnrollPath): a pad with a
// one-time code registers its key and gets its credentials.
//
//  1. the request is parsed (protocol.ParseEnrollRequest)        400
//  2. its sig verifies with the key it carries (trust.EnrollDomain) 403
//  3. its "at" is within MaxClockSkew of the central's clock      400
//  4. in one transaction: the code is unused, unexpired and for
//     that device (403); a registered device keeps its key unless
//     the code was made with NewKey (409); the code is marked used
//     and the device stored with a new MQTT password's hash
//  5. 200 protocol.EnrollResponse
//
// A client whose requests fail at 2 or 4 Limiter.Max times is refused
// (429) for the rest of Limiter.Window.
type Enroller struct {
	Store   EnrollStore
	Key     ed25519.PrivateKey // the central's
	Broker  func(r *http.Request) string
	CA      string // PEM, for pads, when the broker's certificate is not a public one
	Limiter *Limiter
	// OnEnrolled runs after a device was stored: how is "new", "renewed"
	// (same key, new password) or "replaced" (a new key).
	OnEnrolled func(d Registered, how string)
	Now        func() time.Time
	Logger     *slog.Logger
}

func (e *Enroller) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Enroller) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e *Enroller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := e.now()
	client := clientOf(r)
	if e.Limiter != nil && !e.Limiter.Allow(client, now) {
		writeError(w, http.StatusTooManyRequests, errors.New("enroll: too many failed attempts; try again later"))
		return
	}
	fail := func(code int, err error) {
		if code == http.StatusForbidden && e.Limiter != nil {
			e.Limiter.Fail(client, now)
		}
		e.log().Warn("evalhub: enrollment refused", "client", client, "status", code, "err", err)
		writeError(w, code, err)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxEnrollBytes+1))
	if err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("enroll: read: %w", err))
		return
	}
	req, err := protocol.ParseEnrollRequest(body)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	pub, err := trust.ParsePublicKey(req.PublicKey)
	if err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("enroll: public_key: %w", err))
		return
	}
	if err := trust.Verify(pub, trust.EnrollDomain, body); err != nil {
		fail(http.StatusForbidden, fmt.Errorf("enroll: sig: %w", err))
		return
	}
	at, err := time.Parse(time.RFC3339Nano, req.At)
	if err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("enroll: at: %q is not an RFC 3339 time", req.At))
		return
	}
	if off := at.Sub(now); off > MaxClockSkew || off < -MaxClockSkew {
		fail(http.StatusBadRequest, fmt.Errorf("enroll: at: the pad's clock is %v off the central's (at most %v): set its time, then enroll", off.Round(time.Second), MaxClockSkew))
		return
	}
	password := passwd.Random()
	hash, err := passwd.Hash(password)
	if err != nil {
		fail(http.StatusInternalServerError, err)
		return
	}
	how := "new"
	var oldFP string
	d, err := e.Store.Enroll(r.Context(), CodeHash(req.Code), now, func(cur *Registered, c Code) (Registered, error) {
		if c.DeviceID != req.DeviceID {
			return Registered{}, fmt.Errorf("%w (not %s)", ErrCodeDevice, req.DeviceID)
		}
		d := Registered{DeviceID: req.DeviceID, PublicKey: pub, Fingerprint: trust.Fingerprint(pub), MQTTUser: req.DeviceID,
			MQTTHash: hash, Hardware: req.Hardware, Version: req.Version, EnrolledAt: now.UTC(), UpdatedAt: now.UTC(),
			Status: DeviceActive, Config: c.Config}
		if d.Hardware == nil {
			d.Hardware = map[string]string{}
		}
		if cur == nil {
			return d, nil
		}
		if d.Config == nil {
			d.Config = cur.Config
		}
		if cur.PublicKey.Equal(pub) {
			how, d.EnrolledAt = "renewed", cur.EnrolledAt
			return d, nil
		}
		if !c.NewKey {
			return Registered{}, fmt.Errorf("%w %s; this code does not allow a new key (evalhub enroll --new-key)", ErrKeyChange, cur.Fingerprint)
		}
		how, oldFP = "replaced", cur.Fingerprint
		return d, nil
	})
	switch {
	case errors.Is(err, ErrKeyChange):
		fail(http.StatusConflict, err)
		return
	case errors.Is(err, ErrCodeUnknown), errors.Is(err, ErrCodeUsed), errors.Is(err, ErrCodeExpired), errors.Is(err, ErrCodeDevice):
		fail(http.StatusForbidden, err)
		return
	case err != nil:
		e.log().Error("evalhub: enroll", "err", err)
		writeError(w, http.StatusInternalServerError, errors.New("enroll: the store failed; see the central's log"))
		return
	}
	kid, rkey, err := e.Store.ReceiptKey(r.Context(), now, NewReceiptKey)
	if err != nil {
		e.log().Error("evalhub: enroll: receipt key", "err", err)
		writeError(w, http.StatusInternalServerError, errors.New("enroll: the store failed; see the central's log"))
		return
	}
	resp := protocol.EnrollResponse{V: 1, DeviceID: d.DeviceID, CentralKey: trust.EncodePublicKey(trust.Public(e.Key)),
		Broker: e.Broker(r), Username: d.MQTTUser, Password: password, CA: e.CA, ReceiptKeyID: kid, ReceiptKey: rkey, Config: d.Config}
	args := []any{"device", d.DeviceID, "key", d.Fingerprint, "how", how, "client", client, "version", d.Version}
	if how == "replaced" {
		e.log().Warn("evalhub: device enrolled with a NEW key (a replaced pad)", append(args, "old_key", oldFP)...)
	} else {
		e.log().Info("evalhub: device enrolled", args...)
	}
	if e.OnEnrolled != nil {
		e.OnEnrolled(d, how)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(resp.Marshal())
}
