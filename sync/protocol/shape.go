package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"evalpad/rating"
)

// The members of a protocol v1 record, of its staff and of each case. The
// central refuses a record with any other member: what it stores it serves
// back, and a member nobody checks (an applicant's name and phone) must not
// ride along. A new member is added here, in the central, before any pad
// sends it.
var (
	recordMembers = []string{"v", "id", "seq", "kind", "device_id", "area_code", "hall", "window", "session_id",
		"mode", "cases", "target", "staff", "stars", "good", "reasons", "channel", "opened_at", "at", "flags", "sig"}
	staffMembers = []string{"id", "name"}
	caseMembers  = []string{"project_no", "task_code", "task_name"}
)

// Bounds of a record's fields: those of the pad's own config and sessions
// (agent/config, rating.Session), with room to spare, so that no stored
// value is larger than a page or a report can show.
const (
	MaxRecordReasons = 16
	MaxRecordFlags   = 16
	// MaxSeq is the largest seq a record may carry: the largest integer a
	// JavaScript number holds exactly (the page reads it).
	MaxSeq = 1<<53 - 1
)

// textBounds are the most characters (runes) each text member may have.
var textBounds = map[string]int{
	"area_code": 12, "hall": 40, "window": 16, "channel": 8, "target": 64, "session_id": 64,
	"staff.id": 64, "staff.name": 40, "opened_at": 40, "at": 40, "sig": 200,
	"project_no": 64, "task_code": 64, "task_name": 80, "reason": 16, "flag": 32,
}

// Years a record's times may name: a clock far outside is broken, and a
// reader must not have to handle year 0 or 9999.
const minYear, maxYear = 2000, 2199

// checkShape checks the members of the raw record: only known ones, none
// null (an array or object member null, or any other, is not the value the
// protocol says), staff an object, cases an array of objects. It runs
// before the record is decoded into rating.Record, where a null or a
// missing member would read as the zero value.
func checkShape(raw []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return fmt.Errorf("payload: not a JSON object: %v", err)
	}
	if err := members("", top, recordMembers); err != nil {
		return err
	}
	for _, name := range []string{"staff", "cases", "reasons", "flags"} {
		if _, ok := top[name]; !ok {
			return fmt.Errorf("%s: required", name)
		}
	}
	var staff map[string]json.RawMessage
	if err := json.Unmarshal(top["staff"], &staff); err != nil {
		return fmt.Errorf("staff: expected an object")
	}
	if err := members("staff.", staff, staffMembers); err != nil {
		return err
	}
	var cases []map[string]json.RawMessage
	if err := json.Unmarshal(top["cases"], &cases); err != nil {
		return fmt.Errorf("cases: expected an array of objects")
	}
	for i, c := range cases {
		if c == nil {
			return fmt.Errorf("cases[%d]: expected an object, got null", i)
		}
		if err := members(fmt.Sprintf("cases[%d].", i), c, caseMembers); err != nil {
			return err
		}
	}
	return nil
}

// members checks that m has only known members, none null.
func members(prefix string, m map[string]json.RawMessage, known []string) error {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names) // the first one named is always the same
	for _, k := range names {
		if !slices.Contains(known, k) {
			if len(k) > 40 || !utf8.ValidString(k) {
				return fmt.Errorf("%s: a member this central does not know (protocol v1 has only %v)", prefix+"…", known)
			}
			return fmt.Errorf("%s%s: not a member of a protocol v1 record: refused, not stored", prefix, k)
		}
		if bytes.Equal(bytes.TrimSpace(m[k]), []byte("null")) {
			return fmt.Errorf("%s%s: null (a protocol v1 record has a value here)", prefix, k)
		}
	}
	return nil
}

// checkBounds checks the lengths and counts of a decoded record's members
// and that its times name sane years.
func checkBounds(r rating.Record) error {
	if r.Seq > MaxSeq {
		return fmt.Errorf("seq: %d, at most %d", r.Seq, uint64(MaxSeq))
	}
	if len(r.Flags) > MaxRecordFlags {
		return fmt.Errorf("flags: %d, at most %d", len(r.Flags), MaxRecordFlags)
	}
	fields := []struct{ name, bound, v string }{
		{"area_code", "area_code", r.AreaCode}, {"hall", "hall", r.Hall}, {"window", "window", r.Window},
		{"channel", "channel", r.Channel}, {"target", "target", r.Target}, {"session_id", "session_id", r.SessionID},
		{"staff.id", "staff.id", r.Staff.ID}, {"staff.name", "staff.name", r.Staff.Name},
		{"opened_at", "opened_at", r.OpenedAt}, {"at", "at", r.At}, {"sig", "sig", r.Sig},
	}
	for i, c := range r.Cases {
		p := fmt.Sprintf("cases[%d].", i)
		fields = append(fields, struct{ name, bound, v string }{p + "project_no", "project_no", c.ProjectNo},
			struct{ name, bound, v string }{p + "task_code", "task_code", c.TaskCode},
			struct{ name, bound, v string }{p + "task_name", "task_name", c.TaskName})
	}
	for i, v := range r.Reasons {
		fields = append(fields, struct{ name, bound, v string }{fmt.Sprintf("reasons[%d]", i), "reason", v})
	}
	for i, v := range r.Flags {
		fields = append(fields, struct{ name, bound, v string }{fmt.Sprintf("flags[%d]", i), "flag", v})
	}
	for _, f := range fields {
		if n, max := utf8.RuneCountInString(f.v), textBounds[f.bound]; n > max {
			return fmt.Errorf("%s: %d characters, at most %d", f.name, n, max)
		}
	}
	for _, t := range []struct{ name, v string }{{"at", r.At}, {"opened_at", r.OpenedAt}} {
		if t.v == "" {
			continue
		}
		if at, err := time.Parse(time.RFC3339Nano, t.v); err == nil && (at.Year() < minYear || at.Year() > maxYear) {
			return fmt.Errorf("%s: %q: the year is not within %d–%d", t.name, t.v, minYear, maxYear)
		}
	}
	return nil
}

// KnownMembers returns raw with only the members a protocol v1 record has
// (in the record, its staff and each of its cases): what the central keeps
// of a record it refuses, so that a member nobody checked (an applicant's
// name and phone) is not stored and served back with the reject. A raw
// that is not a JSON object is returned as it is.
func KnownMembers(raw []byte) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil || top == nil {
		return raw
	}
	prune(top, recordMembers)
	var staff map[string]json.RawMessage
	if json.Unmarshal(top["staff"], &staff) == nil && staff != nil {
		prune(staff, staffMembers)
		top["staff"], _ = json.Marshal(staff)
	}
	var cases []json.RawMessage
	if json.Unmarshal(top["cases"], &cases) == nil && cases != nil {
		for i, c := range cases {
			var m map[string]json.RawMessage
			if json.Unmarshal(c, &m) == nil && m != nil {
				prune(m, caseMembers)
				cases[i], _ = json.Marshal(m)
			}
		}
		top["cases"], _ = json.Marshal(cases)
	}
	out, err := json.Marshal(top)
	if err != nil {
		return raw
	}
	return out
}

func prune(m map[string]json.RawMessage, known []string) {
	for k := range m {
		if !slices.Contains(known, k) {
			delete(m, k)
		}
	}
}
