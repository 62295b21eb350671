package central

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// TestIngestRefusesBrokenShapes: the records measured breaking the page
// and leaking data — staff, cases, reasons and flags null with at in 2099;
// an applicant's name and phone in members protocol v1 does not have; a
// NUL in a text; a hall longer than any pad's — are each kept as a reject
// whose reason names the member, acked, and never served as a record; the
// reject keeps no unknown member. Signed by a registered pad, so only the
// shape refuses them.
func TestIngestRefusesBrokenShapes(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			ctx := context.Background()
			now := time.Now()
			pad := centraltest.NewPad("TA-1")
			enrollPad(t, st, pad, testKey(t), now.Add(-time.Hour))
			sign := func(n int, edit func(m map[string]any)) []byte {
				var m map[string]any
				if err := json.Unmarshal(mustJSON(pad.Record(n, now, nil)), &m); err != nil {
					t.Fatal(err)
				}
				edit(m)
				m["sig"] = ""
				sig, err := trust.Sign(pad.Key, trust.RecordDomain, mustJSON(m))
				if err != nil {
					t.Fatal(err)
				}
				m["sig"] = sig
				return mustJSON(m)
			}
			cases := []struct {
				name, reason string
				body         []byte
			}{
				{"nulls and 2099", "cases: null", sign(1, func(m map[string]any) {
					m["staff"], m["cases"], m["reasons"], m["flags"], m["at"] = nil, nil, nil, nil, "2099-01-01T10:00:00.000+08:00"
				})},
				{"applicant", "applicant_name: not a member", sign(2, func(m map[string]any) {
					m["applicant_name"], m["applicant_phone"] = "张三", "13912345678"
				})},
				{"applicant in a case", "cases[0].phone: not a member", sign(3, func(m map[string]any) {
					m["cases"].([]any)[0].(map[string]any)["phone"] = "13912345678"
				})},
				{"NUL", "hall: has a control character", sign(4, func(m map[string]any) { m["hall"] = "泰安\x00" })},
				{"long hall", "hall: 41 characters, at most 40", sign(5, func(m map[string]any) { m["hall"] = strings.Repeat("厅", 41) })},
				{"staff a string", "staff: expected", sign(6, func(m map[string]any) { m["staff"] = "李四" })},
				{"reasons missing", "reasons: required", sign(7, func(m map[string]any) { delete(m, "reasons") })},
				{"year 9999", "at: \"9999", sign(8, func(m map[string]any) { m["at"] = "9999-01-01T10:00:00.000+08:00" })},
			}
			var recs [][]byte
			for _, c := range cases {
				recs = append(recs, c.body)
			}
			good := pad.Sign(t, pad.Record(9, now, nil))
			recs = append(recs, good)
			p, err := Parse("hcp/v1/TA-1/up/records", protocol.AppendRecords(nil, "TA-1", recs), now)
			if err != nil {
				t.Fatal(err)
			}
			h, err := NewHub(HubOptions{Broker: "tcp://127.0.0.1:1", ClientID: "x", Key: testKey(t), Devices: st.DevicesByID}, st)
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			b.Add(p)
			if err := h.check(ctx, &b); err != nil {
				t.Fatal(err)
			}
			acks, err := h.Store(ctx, &b)
			if err != nil || len(acks["TA-1"]) != len(recs) {
				t.Fatalf("acks %v %v: want all %d acked", acks, err, len(recs))
			}
			rows, _ := st.Records(ctx, Filter{})
			if len(rows) != 1 || rows[0].ID != centraltest.RecordID(9) {
				t.Fatalf("stored %d records, want only the good one", len(rows))
			}
			rej, _ := st.Rejected(ctx)
			if len(rej) != len(cases) {
				t.Fatalf("%d rejects, want %d: %+v", len(rej), len(cases), rej)
			}
			byID := map[string]Reject{}
			for _, r := range rej {
				byID[r.ID] = r
			}
			for i, c := range cases {
				r := byID[centraltest.RecordID(i+1)]
				if !strings.Contains(r.Reason, c.reason) {
					t.Errorf("%s: reason %q, want it to name %q", c.name, r.Reason, c.reason)
				}
				if bytes.Contains(r.Body, []byte("13912345678")) || bytes.Contains(r.Body, []byte("张三")) {
					t.Errorf("%s: the reject keeps the applicant: %s", c.name, r.Body)
				}
			}
		})
	}
}
