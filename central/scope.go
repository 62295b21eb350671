package central

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Roles that see a part of the figures (see README "Roles"). A token of one
// of them carries its Scope, stored beside the token's hash.
const (
	RoleHall       = "hall"       // a hall manager: one hall
	RoleDepartment = "department" // a department: a set of hall/window pairs
	RoleStaff      = "staff"      // a staff member: their own figures
)

// HallWindow is one window of one hall.
type HallWindow struct {
	Hall   string `json:"hall"`
	Window string `json:"window"`
}

// Scope is what a token may see: Role, and for the scoped roles the hall,
// the windows or the staff member.
type Scope struct {
	Role    string       `json:"role"`
	Hall    string       `json:"hall,omitempty"`
	Windows []HallWindow `json:"windows,omitempty"`
	StaffID string       `json:"staff_id,omitempty"`
}

// ErrOutOfScope: a request asks for what its token may not see (403).
var ErrOutOfScope = errors.New("central: outside this token's scope")

// Validate checks that the scope fits its role.
func (s Scope) Validate() error {
	switch s.Role {
	case RoleSupervisor, RoleOperator:
		if s.Hall != "" || len(s.Windows) > 0 || s.StaffID != "" {
			return fmt.Errorf("central: a %s token sees everything; it takes no --hall, --window or --staff", s.Role)
		}
	case RoleHall:
		if s.Hall == "" || len(s.Windows) > 0 || s.StaffID != "" {
			return errors.New("central: a hall token needs --hall NAME (and nothing else)")
		}
	case RoleDepartment:
		if len(s.Windows) == 0 || s.Hall != "" || s.StaffID != "" {
			return errors.New("central: a department token needs --window HALL/WINDOW (one or more, and nothing else)")
		}
		for _, w := range s.Windows {
			if w.Hall == "" || w.Window == "" {
				return fmt.Errorf("central: window %q/%q: both the hall and the window are needed", w.Hall, w.Window)
			}
		}
	case RoleStaff:
		if s.StaffID == "" || s.Hall != "" || len(s.Windows) > 0 {
			return errors.New("central: a staff token needs --staff ID (and nothing else)")
		}
	default:
		return fmt.Errorf("central: role %q is not one of %s", s.Role, strings.Join(Roles, ", "))
	}
	return nil
}

// All reports whether the scope sees everything (supervisor, operator).
func (s Scope) All() bool { return s.Role == RoleSupervisor || s.Role == RoleOperator }

// Allows reports whether the scope sees a record of hall, window and staff.
func (s Scope) Allows(hall, window, staffID string) bool {
	switch s.Role {
	case RoleSupervisor, RoleOperator:
		return true
	case RoleHall:
		return hall == s.Hall
	case RoleDepartment:
		return slices.Contains(s.Windows, HallWindow{hall, window})
	case RoleStaff:
		return staffID == s.StaffID
	}
	return false
}

// Filter narrows f to the scope: what f leaves open is filled in, and a
// value outside the scope is refused (ErrOutOfScope, naming why).
func (s Scope) Filter(f Filter) (Filter, error) {
	out := func(format string, args ...any) (Filter, error) {
		return Filter{}, fmt.Errorf("%w: "+format, append([]any{ErrOutOfScope}, args...)...)
	}
	switch s.Role {
	case RoleSupervisor, RoleOperator:
		return f, nil
	case RoleHall:
		if f.Hall != "" && f.Hall != s.Hall {
			return out("this token sees the hall %s only, not %s", s.Hall, f.Hall)
		}
		f.Hall = s.Hall
	case RoleDepartment:
		var ws []HallWindow
		for _, w := range s.Windows {
			if (f.Hall == "" || f.Hall == w.Hall) && (f.Window == "" || f.Window == w.Window) && s.inSet(f.Windows, w) {
				ws = append(ws, w)
			}
		}
		if len(ws) == 0 {
			return out("this token sees the windows %s only", s.windowList())
		}
		f.Windows = ws
	case RoleStaff:
		if f.StaffID != "" && f.StaffID != s.StaffID {
			return out("this token sees the staff member %s only, not %s", s.StaffID, f.StaffID)
		}
		f.StaffID = s.StaffID
	default:
		return out("role %q sees nothing", s.Role)
	}
	return f, nil
}

// inSet: w is in set, or set is empty (no set asked for).
func (Scope) inSet(set []HallWindow, w HallWindow) bool {
	return len(set) == 0 || slices.Contains(set, w)
}

func (s Scope) windowList() string {
	var b []string
	for _, w := range s.Windows {
		b = append(b, w.Hall+"/"+w.Window)
	}
	return strings.Join(b, ", ")
}

type scopeKey struct{}

// ScopeOf is the scope of the request's token, put there by Auth.Require;
// a request that passed no Auth sees nothing (an empty Scope).
func ScopeOf(r *http.Request) Scope {
	s, _ := r.Context().Value(scopeKey{}).(Scope)
	return s
}

func withScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// scopedTokens is a TokenStore that also keeps the tokens' scopes.
type scopedTokens interface {
	TokenScope(ctx context.Context, hash string) (Scope, error)
}

// tokenScope finds the scope of a token's hash: its role alone for a
// store without scopes.
func tokenScope(ctx context.Context, ts TokenStore, hash string) (Scope, error) {
	if ss, ok := ts.(scopedTokens); ok {
		return ss.TokenScope(ctx, hash)
	}
	role, err := ts.TokenRole(ctx, hash)
	return Scope{Role: role}, err
}

// scopeSchema keeps the scopes of the scoped tokens beside api_tokens
// (a table of its own, so that stores made before it need no migration):
//
//	api_token_scopes  token_hash PK, scope (JSON Scope)
var scopeSchema = []string{
	`CREATE TABLE IF NOT EXISTS api_token_scopes (
		token_hash TEXT PRIMARY KEY,
		scope TEXT NOT NULL)`,
}

// AddScopedToken stores the hash of a token with its role and scope.
func (s *SQLStore) AddScopedToken(ctx context.Context, hash string, sc Scope, note string, now time.Time) error {
	b, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("central: add token: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("central: add token: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO api_tokens (token_hash, role, note, created_ms) VALUES (?, ?, ?, ?)"),
		hash, sc.Role, note, now.UnixMilli()); err != nil {
		return fmt.Errorf("central: add token: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO api_token_scopes (token_hash, scope) VALUES (?, ?)"), hash, string(b)); err != nil {
		return fmt.Errorf("central: add token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("central: add token: %w", err)
	}
	return nil
}

// TokenScope is the scope of the token whose hash is hash (ErrNoToken).
// A scoped role whose scope is missing or unreadable sees nothing.
func (s *SQLStore) TokenScope(ctx context.Context, hash string) (Scope, error) {
	var role string
	var scope sql.NullString
	err := s.db.QueryRowContext(ctx, s.q(`SELECT t.role, c.scope FROM api_tokens t
		LEFT JOIN api_token_scopes c ON c.token_hash = t.token_hash WHERE t.token_hash = ?`), hash).Scan(&role, &scope)
	if errors.Is(err, sql.ErrNoRows) {
		return Scope{}, ErrNoToken
	}
	if err != nil {
		return Scope{}, fmt.Errorf("central: token: %w", err)
	}
	sc := Scope{Role: role}
	if scope.Valid {
		var st Scope
		if err := json.Unmarshal([]byte(scope.String), &st); err != nil || st.Role != role || st.Validate() != nil {
			return Scope{}, fmt.Errorf("central: token: the stored scope is not valid")
		}
		sc = st
	}
	if !sc.All() && sc.Validate() != nil {
		return Scope{}, fmt.Errorf("central: token: a %s token without its scope", role)
	}
	return sc, nil
}

// IssueScopedToken makes a token of sc's role and scope and stores its hash.
func IssueScopedToken(ctx context.Context, st interface {
	AddScopedToken(ctx context.Context, hash string, sc Scope, note string, now time.Time) error
}, sc Scope, note string, now time.Time) (string, error) {
	if err := sc.Validate(); err != nil {
		return "", err
	}
	tok := NewToken()
	if err := st.AddScopedToken(ctx, TokenHash(tok), sc, note, now); err != nil {
		return "", err
	}
	return tok, nil
}

// ScopeFlags adds --hall, --window (repeatable) and --staff to fs (the
// token command); the func returned builds the Scope of role from them.
func ScopeFlags(fs *flag.FlagSet) func(role string) (Scope, error) {
	hall := fs.String("hall", "", "the hall a hall token sees")
	staff := fs.String("staff", "", "the staff id a staff token sees")
	var wins windowFlags
	fs.Var(&wins, "window", "HALL/WINDOW a department token sees (repeat for more)")
	return func(role string) (Scope, error) {
		sc := Scope{Role: role, Hall: *hall, Windows: wins, StaffID: *staff}
		return sc, sc.Validate()
	}
}

type windowFlags []HallWindow

func (w *windowFlags) String() string { return fmt.Sprint(*w) }

func (w *windowFlags) Set(v string) error {
	i := strings.LastIndex(v, "/")
	if i <= 0 || i == len(v)-1 {
		return fmt.Errorf("%q is not HALL/WINDOW", v)
	}
	*w = append(*w, HallWindow{v[:i], v[i+1:]})
	return nil
}

// windowsCond is the SQL condition "(hall, win) in ws" with ph giving each
// placeholder in turn.
func windowsCond(ws []HallWindow, ph func() string) (string, []any) {
	var or []string
	var args []any
	for _, w := range ws {
		or = append(or, "(hall = "+ph()+" AND win = "+ph()+")")
		args = append(args, w.Hall, w.Window)
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// scopedFilter reads the request's Filter narrowed to its token's scope;
// it answers 400 or 403 itself when it cannot.
func scopedFilter(w http.ResponseWriter, r *http.Request, paging bool) (Filter, bool) {
	f, err := ParseFilter(r.URL.Query(), paging)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return Filter{}, false
	}
	if f, err = ScopeOf(r).Filter(f); err != nil {
		writeError(w, http.StatusForbidden, err)
		return Filter{}, false
	}
	return f, true
}

// whoami answers the token's scope (the page shows only what it may see).
func whoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, ScopeOf(r))
}
