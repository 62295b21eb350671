package rating

import "time"

// Kind tells a rating from a session that expired unrated.
type Kind string

// Record kinds.
const (
	KindRating  Kind = "rating"
	KindUnrated Kind = "unrated"
)

// Flags a record may carry. The central reads them to tell how a record came
// about (and to spot 刷好评 or malicious 差评); flags are only ever added.
const (
	// FlagWalkin: a press with no open session, recorded in walk-in mode.
	FlagWalkin = "walkin"
	// FlagReasonsTimeout: a 差评 recorded after the citizen left the reasons
	// screen without confirming; reasons are those chosen so far.
	FlagReasonsTimeout = "reasons_timeout"
	// FlagInterrupted: a 差评 recorded with the reasons chosen so far because
	// the business system opened the next session before it was confirmed.
	FlagInterrupted = "interrupted"
	// FlagSessionTimeout: an unrated record for a session not rated in time.
	FlagSessionTimeout = "session_timeout"
	// FlagReplaced: an unrated record for a session replaced by a newer one.
	FlagReplaced = "replaced"
	// FlagRecovered: the record was completed after the pad restarted.
	FlagRecovered = "recovered"
	// FlagInvalidSession: the record closes a session saved before an
	// update whose rules the session no longer passes: a restart closes it
	// (unrated, or with the 差评 being explained) instead of opening it again.
	FlagInvalidSession = "invalid_session"
)

// RecordStaff is the staff part of a record: no photo.
type RecordStaff struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Record is one rating, or one session that expired unrated: what the pad
// stores in its outbox and sends to the central (protocol v1).
type Record struct {
	V         int         `json:"v"`
	ID        string      `json:"id"`
	Seq       uint64      `json:"seq"`
	Kind      Kind        `json:"kind"`
	DeviceID  string      `json:"device_id"`
	AreaCode  string      `json:"area_code"`
	Hall      string      `json:"hall"`
	Window    string      `json:"window"`
	SessionID string      `json:"session_id"`
	Mode      Mode        `json:"mode"`
	Cases     []Case      `json:"cases"`
	Target    string      `json:"target"`
	Staff     RecordStaff `json:"staff"`
	Stars     Stars       `json:"stars"`
	Good      bool        `json:"good"`
	Reasons   []string    `json:"reasons"`
	Channel   string      `json:"channel"`
	OpenedAt  string      `json:"opened_at"`
	At        string      `json:"at"`
	Flags     []string    `json:"flags"`
	Sig       string      `json:"sig"`
}

// Origin is what every record of a pad carries about the pad.
type Origin struct {
	DeviceID, AreaCode, Hall, Window, Channel string
}

// TimeLayout is how records write times: device time with milliseconds and
// the zone offset, e.g. 2026-11-25T10:03:12.123+08:00.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// FormatTime writes t in TimeLayout in loc; the zero time gives "".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(TimeLayout)
}

// Verdict is what the citizen chose: the level and, for a 差评, the reasons.
type Verdict struct {
	Stars   Stars
	Reasons []string
	Target  string // project_no of the one case rated; "" = all cases
	Flags   []string
}

// NewRecord builds the record of a verdict on a session (or of a walk-in
// press when s is nil: no session, no cases, staff on duty, flag walkin).
// A zero Verdict (Stars 0) makes an unrated record. Seq is left 0: the store
// assigns it in the transaction that writes the record.
func NewRecord(id string, o Origin, s *Session, onDuty Staff, cases []Case, v Verdict, openedAt, at string) Record {
	r := Record{
		V: 1, ID: id, Kind: KindRating,
		DeviceID: o.DeviceID, AreaCode: o.AreaCode, Hall: o.Hall, Window: o.Window, Channel: o.Channel,
		Mode: ModeSingle, Cases: []Case{}, Target: v.Target,
		Staff: RecordStaff{ID: onDuty.ID, Name: onDuty.Name},
		Stars: v.Stars, Good: v.Stars.Good(), Reasons: []string{}, Flags: []string{},
		OpenedAt: openedAt, At: at,
	}
	if s != nil {
		r.SessionID, r.Mode = s.ID, s.Mode
		r.Staff = RecordStaff{ID: s.Staff.ID, Name: s.Staff.Name}
		r.Cases = append([]Case{}, cases...) // never null on the wire
	} else {
		r.Flags = append(r.Flags, FlagWalkin)
	}
	if v.Stars == 0 {
		r.Kind, r.Good = KindUnrated, false
	}
	if !v.Stars.Good() && v.Stars != 0 {
		r.Reasons = append(r.Reasons, v.Reasons...)
	}
	r.Flags = append(r.Flags, v.Flags...)
	return r
}
