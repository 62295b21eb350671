package rating

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mode is how a session's cases are rated.
type Mode string

// The session modes.
const (
	// ModeSingle: one case, one rating.
	ModeSingle Mode = "single"
	// ModeBatch: 2+ cases of the same item (批量); one rating covers all.
	ModeBatch Mode = "batch"
	// ModeTheme: several items (主题式/一链办); rated overall, or item by item.
	ModeTheme Mode = "theme"
)

// Case is one 办件 of a session. It names the case, never the applicant.
type Case struct {
	ProjectNo string `json:"project_no"`
	TaskCode  string `json:"task_code"`
	TaskName  string `json:"task_name"`
}

// Staff is the window's staff member serving the citizen.
// Photo is only carried into the pad (a data: URI or URL); records never hold it.
type Staff struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Photo string `json:"photo,omitempty"`
}

// Session is a service session as the counter's business system opens it
// (POST /api/v1/sessions, and later down/session over MQTT).
type Session struct {
	ID    string `json:"session_id"`
	Mode  Mode   `json:"mode"`
	Staff Staff  `json:"staff"`
	Cases []Case `json:"cases"`
}

// Limits on a session payload.
const (
	MaxSessionBytes = 1 << 20 // whole payload, photo included
	MaxCases        = 20
	MaxPhotoBytes   = 512 << 10
	maxIDLen        = 64
	maxNameRunes    = 40
)

// ParseSession decodes and validates a session payload. Only the fields of
// Session are kept: anything else the payload carries (applicant name, phone,
// ID number, addresses …) is dropped unread, and personal data found inside a
// kept free-text field (a phone or ID number written into a task name) is
// masked, so none of it is ever stored or shown. The error wraps
// ErrInvalidSession and names the field at fault.
func ParseSession(data []byte) (Session, error) {
	var s Session
	if len(data) > MaxSessionBytes {
		return s, invalid("payload: %d bytes, at most %d", len(data), MaxSessionBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return Session{}, invalid("%s: expected %s, got a JSON %s", jsonField(te), te.Type, te.Value)
		case errors.As(err, &se):
			return Session{}, invalid("payload: not JSON at byte %d: %v", se.Offset, se)
		case errors.Is(err, io.EOF):
			return Session{}, invalid("payload: empty")
		}
		return Session{}, invalid("payload: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Session{}, invalid("payload: more than one JSON value")
	}
	s = s.scrubbed(droppedPersonal(data))
	if err := s.Validate(); err != nil {
		return Session{}, err
	}
	return s, nil
}

func jsonField(te *json.UnmarshalTypeError) string {
	if te.Field == "" {
		return "payload"
	}
	return te.Field
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSession}, args...)...)
}

// scrubbed returns s with personal data masked in its free-text fields:
// phone and ID numbers, and the values (an applicant's name) that the
// payload carried in personal fields the pad drops.
func (s Session) scrubbed(dropped []string) Session {
	out := s
	out.Staff.Name = MaskPersonal(s.Staff.Name)
	out.Cases = make([]Case, len(s.Cases))
	for i, c := range s.Cases {
		c.TaskName = MaskPersonal(maskValues(c.TaskName, dropped))
		out.Cases[i] = c
	}
	return out
}

// kept are the fields of a session payload the pad keeps, by JSON path
// ("cases[]" for every element of cases).
var kept = map[string]bool{
	"session_id": true, "mode": true, "staff": true, "cases": true,
	"staff.id": true, "staff.name": true, "staff.photo": true,
	"cases[]": true, "cases[].project_no": true, "cases[].task_code": true, "cases[].task_name": true,
}

// personalKey reports whether a field name is about a person (the applicant).
func personalKey(k string) bool {
	k = strings.ToLower(k)
	for _, m := range []string{"name", "applicant", "person", "contact", "phone", "mobile", "tel", "card",
		"cert", "id_no", "idno", "id_number", "idnumber", "address", "addr", "email", "legal",
		"申请", "姓名", "名字", "电话", "手机", "身份证", "证件", "地址", "联系"} {
		if strings.Contains(k, m) {
			return true
		}
	}
	return false
}

// droppedPersonal walks the payload and returns the string values the pad
// will drop that may be personal: every string under a personal-sounding
// field, and anything shaped like a name anywhere it drops. Longest first,
// so a full name is masked before a part of it.
func droppedPersonal(data []byte) []string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	var walk func(path string, v any, personal bool)
	walk = func(path string, v any, personal bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, e, personal || (!kept[p] && personalKey(k)))
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e, personal)
			}
		case string:
			x = strings.TrimSpace(x)
			n := utf8.RuneCountInString(x)
			if !kept[path] && n >= 2 && n <= 40 && (personal || looksLikeName(x)) && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	walk("", v, false)
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// Validate checks the rules a session must meet. ParseSession calls it; it is
// exported for sessions that arrive by other routes (a stored snapshot, MQTT).
func (s Session) Validate() error {
	if err := checkCode("session_id", s.ID); err != nil {
		return err
	}
	switch s.Mode {
	case ModeSingle, ModeBatch, ModeTheme:
	case "":
		return invalid("mode: required (single, batch or theme)")
	default:
		return invalid("mode: %q is not single, batch or theme", s.Mode)
	}
	if err := checkCode("staff.id", s.Staff.ID); err != nil {
		return err
	}
	if err := checkText("staff.name", s.Staff.Name, maxNameRunes, false); err != nil {
		return err
	}
	if len(s.Staff.Photo) > MaxPhotoBytes {
		return invalid("staff.photo: %d bytes, at most %d", len(s.Staff.Photo), MaxPhotoBytes)
	}
	if err := CheckText(s.Staff.Photo); err != nil {
		return invalid("staff.photo: %v", err)
	}
	if p := s.Staff.Photo; p != "" && !strings.HasPrefix(p, "data:image/") && !strings.HasPrefix(p, "http://") && !strings.HasPrefix(p, "https://") {
		return invalid("staff.photo: must be a data:image/… URI or an http(s) URL")
	}
	n := len(s.Cases)
	switch {
	case n == 0:
		return invalid("cases: at least one case is required")
	case n > MaxCases:
		return invalid("cases: %d cases, at most %d", n, MaxCases)
	case s.Mode == ModeSingle && n != 1:
		return invalid("cases: a single session has exactly 1 case, got %d", n)
	case s.Mode == ModeBatch && n < 2:
		return invalid("cases: a batch session has 2 or more cases of the same item, got %d", n)
	case s.Mode == ModeTheme && n < 2:
		return invalid("cases: a theme session has 2 or more items, got %d", n)
	}
	seen := map[string]bool{}
	for i, c := range s.Cases {
		f := fmt.Sprintf("cases[%d]", i)
		if err := c.Validate(f+".project_no", f+".task_name"); err != nil {
			return err
		}
		if seen[c.ProjectNo] {
			return invalid("%s.project_no: %q appears twice", f, c.ProjectNo)
		}
		seen[c.ProjectNo] = true
		if c.TaskCode != "" {
			if err := checkCode(f+".task_code", c.TaskCode); err != nil {
				return err
			}
		}
		if s.Mode == ModeBatch && i > 0 && !sameItem(c, s.Cases[0]) {
			return invalid("%s: a batch is one item; %q differs from cases[0]", f, c.TaskName)
		}
	}
	return nil
}

// Validate checks a case's project_no (an identifier) and task_name (1 to
// 80 characters); the errors name the fields as given.
func (c Case) Validate(projectField, nameField string) error {
	if err := checkCode(projectField, c.ProjectNo); err != nil {
		return err
	}
	return checkText(nameField, c.TaskName, 80, true)
}

func sameItem(a, b Case) bool {
	if a.TaskCode != "" || b.TaskCode != "" {
		return a.TaskCode == b.TaskCode
	}
	return a.TaskName == b.TaskName
}

// CheckID checks an identifier that comes on its own (a staff id in a
// receipt request): 1..64 of letters, digits and -_.:/; the error names field.
func CheckID(field, v string) error { return checkCode(field, v) }

// checkCode accepts an identifier: 1..64 of letters, digits and -_.:/,
// and no phone or ID number (CheckNotPersonal).
func checkCode(field, v string) error {
	if v == "" {
		return invalid("%s: required", field)
	}
	if len(v) > maxIDLen {
		return invalid("%s: %d characters, at most %d", field, len(v), maxIDLen)
	}
	if err := CheckNotPersonal(v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSession, field, err)
	}
	for _, r := range v {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:/", r))) {
			return invalid("%s: %q has a character other than letters, digits and -_.:/", field, v)
		}
	}
	return nil
}

func checkText(field, v string, max int, required bool) error {
	if v == "" {
		if required {
			return invalid("%s: required", field)
		}
		return nil
	}
	if err := CheckText(v); err != nil {
		return invalid("%s: %v", field, err)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalid("%s: %d characters, at most %d", field, n, max)
	}
	return nil
}
