package central

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

// TestComplaintCases, on SQLite and PostgreSQL through the API: a pad's 2★
// and a 12345 1★ each open one case when stored (a resend opens none, a 4★
// none); a supervisor reads and may not act; a step out of order is 409
// naming the state; a case walks 待核实 → 整改中 → 已整改 → 已回访 with
// each step in its log; an upheld appeal marks the 1★ 恶意, keeps the
// record and takes it out of 满意率; an overdue 回访 is listed for 约谈.
func TestComplaintCases(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, be.open(t))
			bad := rec(2, func(r *rating.Record) { r.Stars, r.Reasons = 2, []string{"201"} })
			hotline := rec(3, func(r *rating.Record) { r.Stars, r.Flags = 1, []string{FlagChannel, FlagVia + "12345"} })
			if _, err := st.Insert(ctx, rowsOf(rec(1, nil), bad, hotline, rec(4, func(r *rating.Record) { r.Stars = 4 })), nil); err != nil {
				t.Fatal(err)
			}
			if res, err := st.Insert(ctx, rowsOf(bad), nil); err != nil || res.Duplicate != 1 {
				t.Fatalf("resend: %+v %v", res, err)
			}
			op, _ := IssueToken(ctx, st, RoleOperator, "", t0)
			sup, _ := IssueToken(ctx, st, RoleSupervisor, "", t0)
			now := t0.Add(2 * time.Hour)
			mux := http.NewServeMux()
			(&API{Auth: &Auth{Tokens: st}, Store: st, Rule: &TimeRule{Cal: &Calendar{}, Store: st}, Now: func() time.Time { return now }}).Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			call := func(tok, method, path string, body any) (int, Complaint, string) {
				t.Helper()
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var raw bytes.Buffer
				raw.ReadFrom(resp.Body)
				var c Complaint
				json.Unmarshal(raw.Bytes(), &c)
				return resp.StatusCode, c, raw.String()
			}
			list := func(query string) []Complaint {
				t.Helper()
				code, _, raw := call(sup, "GET", "/api/v1/complaints"+query, nil)
				var out struct{ Complaints []Complaint }
				if err := json.Unmarshal([]byte(raw), &out); code != 200 || err != nil {
					t.Fatalf("list%s: %d %s", query, code, raw)
				}
				return out.Complaints
			}
			cs := list("")
			if len(cs) != 2 || cs[0].ID != bad.ID || cs[0].Channel != "pad" || cs[0].State != StateVerify || cs[0].Person != "TA0123" ||
				cs[0].Unit != bad.Hall || cs[0].AppealDue != "2026-11-30" || cs[1].ID != hotline.ID || cs[1].Channel != "12345" || cs[1].Stars != 1 {
				t.Fatalf("cases %+v", cs)
			}
			if got := list("?limit=1"); len(got) != 1 || got[0].ID != bad.ID {
				t.Errorf("limit=1: %+v", got)
			}
			if got := list("?after=" + bad.ID); len(got) != 1 || got[0].ID != hotline.ID {
				t.Errorf("after: %+v", got)
			}
			path := "/api/v1/complaints/" + bad.ID
			if code, _, _ := call(sup, "POST", path+"/verify", map[string]string{"by": "x"}); code != http.StatusForbidden {
				t.Errorf("a supervisor verifies: %d", code)
			}
			if code, _, raw := call(op, "POST", path+"/rectify", map[string]string{"by": "x"}); code != http.StatusConflict || !strings.Contains(raw, StateVerify) {
				t.Errorf("rectify before verify: %d %s", code, raw)
			}
			if code, _, raw := call(op, "POST", path+"/verify", map[string]any{"by": "x", "evaluator": "y"}); code != http.StatusBadRequest {
				t.Errorf("an unknown field: %d %s", code, raw)
			}
			steps := []struct{ action, by, note, state string }{
				{"verify", "张主任", "核实属实", StateRectify},
				{"rectify", "李四", "已整改：补充告知单", StateCallback},
				{"callback", "回访员", "群众满意", StateClosed},
			}
			for _, s := range steps {
				body := map[string]string{"by": s.by, "note": s.note}
				if s.action == "verify" {
					body["person"] = "TA0999"
				}
				code, c, raw := call(op, "POST", path+"/"+s.action, body)
				if code != 200 || c.State != s.state {
					t.Fatalf("%s: %d %s", s.action, code, raw)
				}
				now = now.Add(time.Hour)
			}
			_, c, _ := call(sup, "GET", path, nil)
			if c.Person != "TA0999" || c.Closed == "" || len(c.Log) != 4 || c.Log[0].Action != "open" || c.Log[0].To != StateVerify {
				t.Fatalf("closed case %+v", c)
			}
			for i, s := range steps {
				if l := c.Log[i+1]; l.Action != s.action || l.By != s.by || l.Note != s.note || l.To != s.state || l.At == "" {
					t.Errorf("log %d: %+v", i+1, l)
				}
			}
			for _, q := range []string{"UPDATE complaint_log SET note = 'x'", "DELETE FROM complaint_log"} {
				if _, err := st.db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: %v, want refused", q, err)
				}
			}
			if code, _, raw := call(op, "POST", path+"/appeal", map[string]string{"by": "李四"}); code != http.StatusConflict || !strings.Contains(raw, StateClosed) {
				t.Errorf("an appeal of a closed case: %d %s", code, raw)
			}

			sat := func() float64 {
				s, err := st.Stats(ctx, Filter{})
				if err != nil {
					t.Fatal(err)
				}
				return s.Total.Satisfaction
			}
			if got := sat(); got != 0.5 { // 5★ 4★ of 5★ 2★ 1★ 4★
				t.Fatalf("满意率 before the appeal %v, want 0.5", got)
			}
			hp := "/api/v1/complaints/" + hotline.ID
			if code, c, raw := call(op, "POST", hp+"/appeal", map[string]string{"by": "李四", "note": "同一人连续恶意差评"}); code != 200 || c.Appeal != AppealPending {
				t.Fatalf("appeal: %d %s", code, raw)
			}
			if code, _, raw := call(op, "POST", hp+"/review", map[string]any{"by": "督查科", "upheld": true, "mark": MarkMalicious, "note": "复核属实"}); code != 200 {
				t.Fatalf("review: %d %s", code, raw)
			}
			if got := sat(); got != 2.0/3 {
				t.Errorf("满意率 after the appeal %v, want 2/3", got)
			}
			if r, err := st.Record(ctx, hotline.ID); err != nil || r.Stars != 1 {
				t.Errorf("the marked record: %+v %v", r, err)
			}
			_, c, _ = call(sup, "GET", hp, nil)
			if c.State != StateUpheld || c.Mark != MarkMalicious || c.Appeal != AppealUpheld || len(c.Log) != 3 ||
				c.Log[1].Action != "appeal" || c.Log[2].Action != "review" || !strings.Contains(c.Log[2].Note, MarkMalicious) {
				t.Errorf("upheld case %+v", c)
			}
			// Reopening the store keeps the figures (no recount).
			if got := sat(); got != 2.0/3 {
				t.Errorf("满意率 read again %v", got)
			}

			// A third 差评, rectified and not called back: overdue after 5 working days.
			late := rec(5, func(r *rating.Record) { r.Stars = 2 })
			if _, err := st.Insert(ctx, rowsOf(late), nil); err != nil {
				t.Fatal(err)
			}
			lp := "/api/v1/complaints/" + late.ID
			call(op, "POST", lp+"/verify", map[string]string{"by": "a"})
			call(op, "POST", lp+"/rectify", map[string]string{"by": "b"}) // Wednesday 11-25
			if got := list("?overdue=1"); len(got) != 0 {
				t.Errorf("overdue before the deadline: %+v", got)
			}
			now = cday("2026-12-03", 9) // due 12-02
			got := list("?overdue=1")
			if len(got) != 1 || got[0].ID != late.ID || !slices.Equal(got[0].Overdue, []string{"回访超期"}) || got[0].CallbackDue != "2026-12-02" {
				t.Errorf("overdue: %+v", got)
			}
			if got := list("?state=" + StateClosed); len(got) != 1 || got[0].ID != bad.ID {
				t.Errorf("state filter: %+v", got)
			}

			// The alerter claims each case once.
			cs, err := st.Unalerted(ctx, 100)
			if err != nil || len(cs) != 3 {
				t.Fatalf("unalerted %d %v", len(cs), err)
			}
			for _, c := range cs {
				if mine, err := st.ClaimAlert(ctx, c.ID); !mine || err != nil {
					t.Errorf("claim %s: %v %v", c.ID, mine, err)
				}
				if again, err := st.ClaimAlert(ctx, c.ID); again || err != nil {
					t.Errorf("claimed %s twice: %v", c.ID, err)
				}
			}
			if cs, err := st.Unalerted(ctx, 100); err != nil || len(cs) != 0 {
				t.Errorf("unalerted after the claims: %d %v", len(cs), err)
			}
		})
	}
}
