package protocol

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"evalpad/rating"
)

// MaxRecordsPerMessage bounds the records of one up/records message.
const MaxRecordsPerMessage = 5000

// AppendRecords appends the up/records message of device carrying records
// (each a stored protocol v1 record, sent as it is) to buf.
func AppendRecords(buf []byte, device string, records [][]byte) []byte {
	buf = append(buf, `{"v":1,"device_id":`...)
	buf = strconv.AppendQuote(buf, device)
	buf = append(buf, `,"records":[`...)
	for i, r := range records {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r...)
	}
	return append(buf, "]}"...)
}

// Records is an up/records message with each record kept raw.
type Records struct {
	V        int               `json:"v"`
	DeviceID string            `json:"device_id"`
	Records  []json.RawMessage `json:"records"`
}

// ParseRecords decodes the envelope of an up/records message (the central's
// side). The records are checked one by one with ParseRecord, so one bad
// record does not hold up the others.
func ParseRecords(data []byte) (Records, error) {
	var m Records
	if len(data) > 64<<20 {
		return Records{}, invalid("records", "payload: %d bytes, at most 64 MiB", len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return Records{}, invalid("records", "payload: %v", err)
	}
	if dec.More() {
		return Records{}, invalid("records", "payload: more than one JSON value")
	}
	if m.V != 1 {
		return Records{}, invalid("records", "v: %d, this central speaks 1", m.V)
	}
	if err := CheckDeviceID(m.DeviceID); err != nil {
		return Records{}, err
	}
	if len(m.Records) == 0 {
		return Records{}, invalid("records", "records: empty")
	}
	if len(m.Records) > MaxRecordsPerMessage {
		return Records{}, invalid("records", "records: %d, at most %d", len(m.Records), MaxRecordsPerMessage)
	}
	return m, nil
}

// RecordID returns the id of a raw record if it has a UUID one, else "".
// The central acks a record it rejects by this id, so the pad stops sending it.
func RecordID(raw []byte) string {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil || !IsUUID(head.ID) {
		return ""
	}
	return head.ID
}

// ParseRecord decodes and validates one protocol v1 record sent by device.
func ParseRecord(raw []byte, device string) (rating.Record, error) {
	var r rating.Record
	if err := decode("record", raw, &r); err != nil {
		return rating.Record{}, err
	}
	if name := upperMemberName(raw); name != "" {
		// Go's decoder matches member names case-insensitively: a signed
		// record holding "stars":1 and "Stars":5 would count as 5★ while
		// any other reader sees 1★.
		return rating.Record{}, invalid("record", "member %q: protocol v1 names are lower case", name)
	}
	bad := func(format string, args ...any) (rating.Record, error) {
		return rating.Record{}, invalid("record "+r.ID, format, args...)
	}
	if !IsUUID(r.ID) {
		return rating.Record{}, invalid("record", "id: %q is not a UUID", r.ID)
	}
	if err := checkShape(raw); err != nil {
		return bad("%v", err)
	}
	switch {
	case r.V != 1:
		return bad("v: %d, expected 1", r.V)
	case r.Seq == 0:
		return bad("seq: required (from 1)")
	case r.DeviceID != device:
		return bad("device_id: %q, but sent by %q", r.DeviceID, device)
	}
	switch r.Kind {
	case rating.KindRating:
		if !r.Stars.Valid() {
			return bad("stars: %d, a rating has 1 to 5", r.Stars)
		}
		if r.Good != r.Stars.Good() {
			return bad("good: %v does not match stars %d", r.Good, r.Stars)
		}
	case rating.KindUnrated:
		if r.Stars != 0 || r.Good {
			return bad("stars: an unrated record has stars 0 and good false")
		}
	default:
		return bad("kind: %q is not rating or unrated", r.Kind)
	}
	if r.Good && len(r.Reasons) > 0 {
		return bad("reasons: a 好评 has none")
	}
	if len(r.Reasons) > 16 {
		return bad("reasons: %d, at most 16", len(r.Reasons))
	}
	if len(r.Cases) > rating.MaxCases {
		return bad("cases: %d, at most %d", len(r.Cases), rating.MaxCases)
	}
	switch r.Mode {
	case rating.ModeSingle, rating.ModeBatch, rating.ModeTheme:
	default:
		return bad("mode: %q is not single, batch or theme", r.Mode)
	}
	if r.Target != "" && !slices.ContainsFunc(r.Cases, func(c rating.Case) bool { return c.ProjectNo == r.Target }) {
		return bad("target: %q is none of the cases", r.Target)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.At); err != nil {
		return bad("at: %q is not an RFC 3339 time", r.At)
	}
	if r.OpenedAt != "" {
		if _, err := time.Parse(time.RFC3339Nano, r.OpenedAt); err != nil {
			return bad("opened_at: %q is not an RFC 3339 time", r.OpenedAt)
		}
	}
	if r.SessionID != "" {
		if err := checkCode("record "+r.ID, "session_id", r.SessionID); err != nil {
			return rating.Record{}, err
		}
	}
	if err := checkRecordTexts(r); err != nil {
		return bad("%v", err)
	}
	if err := checkBounds(r); err != nil {
		return bad("%v", err)
	}
	return r, nil
}

// upperMemberName returns the first object member name in the JSON text
// raw that has an upper-case ASCII letter, "" if none: one pass, no
// allocation, for the central's ingest path.
func upperMemberName(raw []byte) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		start, upper := i+1, false
		for i++; i < len(raw) && raw[i] != '"'; i++ {
			switch c := raw[i]; {
			case c == '\\':
				i++
			case c >= 'A' && c <= 'Z':
				upper = true
			}
		}
		end := i
		for i++; i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r'); i++ {
		}
		if i < len(raw) && raw[i] == ':' && upper {
			return string(raw[start:end])
		}
		i-- // the loop's i++ looks at this byte again
	}
	return ""
}
