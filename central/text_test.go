package central

import (
	"strings"
	"testing"

	"evalpad/rating"
	"evalpad/sync/protocol"
)

// TestParseRefusesFormatChars: a record whose task name, hall or staff name
// carries a bidi override or a zero-width character is not counted: it is
// kept as a reject that names the field (and acked, so the pad stops).
func TestParseRefusesFormatChars(t *testing.T) {
	for field, edit := range map[string]func(r *rating.Record){
		"cases[0].task_name": func(r *rating.Record) { r.Cases[0].TaskName = "\u202e记登立设业企" },
		"hall":               func(r *rating.Record) { r.Hall = "泰安市\u200b政务服务中心" },
		"staff.name":         func(r *rating.Record) { r.Staff.Name = "李\u2066四" },
	} {
		bad := raw(rec(2, edit))
		p, err := Parse("hcp/v1/TA-1/up/records", protocol.AppendRecords(nil, "TA-1", [][]byte{raw(rec(1, nil)), bad}), t0)
		if err != nil || len(p.Rows) != 1 || len(p.Rejects) != 1 {
			t.Fatalf("%s: %d rows %d rejects %v, want 1 row and 1 reject", field, len(p.Rows), len(p.Rejects), err)
		}
		if !strings.Contains(p.Rejects[0].Reason, field+": has an invisible format character") {
			t.Errorf("%s: reject reason %q does not name it", field, p.Rejects[0].Reason)
		}
	}
}
