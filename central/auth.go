package central

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// API tokens: `evalhub token --role ROLE` makes one and prints it once;
// the store keeps only its SHA-256. A request shows it as
// "Authorization: Bearer <token>".
//
//	role        may
//	supervisor  read: records, figures, unrated sessions, rejected records,
//	            the pads' status, the registry, the messages sent to pads
//	            the firmware published and the rollouts
//	operator    what a supervisor may, and send pads commands, sessions and
//	            configs, make and halt rollouts
//	hall, department, staff: records, figures, unrated sessions, the
//	            ranking and the monthly report of their Scope only (scope.go)
//
// Public (no token): GET /api/v1/health (the hub's counters), POST
// /api/v1/enroll (a one-time code authenticates it), the figures page's
// files, which hold no data (the page asks for a token), and GET
// /firmware/<sha256>, the published artifacts (signed by the vendor; pads
// verify them).
const (
	RoleSupervisor = "supervisor"
	RoleOperator   = "operator"
)

// Roles lists the roles, least first.
var Roles = []string{RoleStaff, RoleDepartment, RoleHall, RoleSupervisor, RoleOperator}

// NewToken makes an API token: "evh_" and 32 random bytes as base64url.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:])
	return "evh_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// TokenHash is what the store keeps of a token.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte("evalhub-api-token\n" + token))
	return hex.EncodeToString(h[:])
}

// TokenStore finds a token's role by its hash (ErrNoToken when unknown).
type TokenStore interface {
	TokenRole(ctx context.Context, hash string) (string, error)
}

// Auth checks bearer tokens. A client that shows Limiter.Max bad tokens
// within Limiter.Window is refused (429) until the window ends.
type Auth struct {
	Tokens  TokenStore
	Limiter *Limiter
	Now     func() time.Time
	Logger  *slog.Logger
}

// IssueToken makes a token of role and stores its hash.
func IssueToken(ctx context.Context, st interface {
	AddToken(ctx context.Context, hash, role, note string, now time.Time) error
}, role, note string, now time.Time) (string, error) {
	if err := (Scope{Role: role}).Validate(); err != nil { // a scoped role needs its scope: IssueScopedToken
		return "", err
	}
	tok := NewToken()
	if err := st.AddToken(ctx, TokenHash(tok), role, note, now); err != nil {
		return "", err
	}
	return tok, nil
}

// allows reports whether a token of role has need; need "" (Scoped) is
// any role, its Scope narrowing what it sees.
func allows(role, need string) bool {
	return need == "" || role == need || role == RoleOperator && need == RoleSupervisor
}

// Scoped serves h to a token of any role; h narrows what it answers by
// ScopeOf(r) (scope.go).
func (a *Auth) Scoped(h http.HandlerFunc) http.HandlerFunc { return a.Require("", h) }

// Require serves h only to requests with a token of role need (or above).
func (a *Auth) Require(need string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := time.Now
		if a.Now != nil {
			now = a.Now
		}
		client := clientOf(r)
		if a.Limiter != nil && !a.Limiter.Allow(client, now()) {
			writeError(w, http.StatusTooManyRequests, errors.New("too many bad tokens; try again later"))
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="evalhub"`)
			writeError(w, http.StatusUnauthorized, errors.New("a token is needed: Authorization: Bearer <token> (evalhub token --role supervisor)"))
			return
		}
		var sc Scope
		err := ErrNoToken
		if a.Tokens != nil {
			sc, err = tokenScope(r.Context(), a.Tokens, TokenHash(tok))
		}
		role := sc.Role
		switch {
		case errors.Is(err, ErrNoToken):
			if a.Limiter != nil {
				a.Limiter.Fail(client, now())
			}
			if a.Logger != nil {
				a.Logger.Warn("evalhub: bad API token", "client", client, "path", r.URL.Path)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="evalhub", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, errors.New("the token is not valid"))
			return
		case err != nil:
			if a.Logger != nil {
				a.Logger.Error("evalhub: token", "err", err)
			}
			writeError(w, http.StatusInternalServerError, errors.New("central: the store failed; see the log"))
			return
		case !allows(role, need):
			writeError(w, http.StatusForbidden, fmt.Errorf("a %s token is needed (this one is %s)", need, role))
			return
		}
		h(w, r.WithContext(withScope(r.Context(), sc)))
	}
}
