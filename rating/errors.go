package rating

import "errors"

// Sentinel errors of the rating rules. Callers test with errors.Is; the
// wrapped message says which field or code was wrong.
var (
	// ErrInvalidSession: a session payload is malformed or breaks a rule.
	ErrInvalidSession = errors.New("rating: invalid session")
	// ErrUnknownReason: a 差评 reason code is not offered for the level.
	ErrUnknownReason = errors.New("rating: unknown reason")
	// ErrPersonalData: an identifier (session_id, staff.id, project_no,
	// task_code …) is, or holds, a mobile phone or resident ID number.
	ErrPersonalData = errors.New("looks like a mobile phone or resident ID number: an identifier must not carry personal data")
)
