package central

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

// roleFixture stores records of two halls, three windows and three staff
// and serves the API.
func roleFixture(t *testing.T, dsn string) (*SQLStore, *httptest.Server) {
	t.Helper()
	st := openStore(t, dsn)
	at := func(hall, win, staff string, stars rating.Stars) func(r *rating.Record) {
		return func(r *rating.Record) { r.Hall, r.Window, r.Staff.ID, r.Stars = hall, win, staff, stars }
	}
	if _, err := st.Insert(context.Background(), rowsOf(
		rec(1, at("A厅", "1", "TA0123", 5)), rec(2, at("A厅", "1", "TA0123", 2)),
		rec(3, at("A厅", "2", "TA0200", 5)), rec(4, at("B厅", "1", "TA0300", 4)),
		rec(5, at("B厅", "2", "TA0301", 1))), nil); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&API{Auth: &Auth{Tokens: st}, Store: st, Rule: &TimeRule{Store: st, Cal: &Calendar{}},
		Now: func() time.Time { return t0.Add(time.Hour) }}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return st, srv
}

func getJSON(t *testing.T, srv *httptest.Server, tok, path string, q url.Values) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestRoles: on SQLite and PostgreSQL, each role's token sees exactly its
// part of records and figures; asking outside it is 403 naming why; the
// pad and system routes and the write routes refuse the scoped roles.
func TestRoles(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st, srv := roleFixture(t, be.open(t))
			issue := func(sc Scope) string {
				tok, err := IssueScopedToken(ctx, st, sc, "", t0)
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			sup := issue(Scope{Role: RoleSupervisor})
			op := issue(Scope{Role: RoleOperator})
			hall := issue(Scope{Role: RoleHall, Hall: "A厅"})
			dept := issue(Scope{Role: RoleDepartment, Windows: []HallWindow{{"A厅", "1"}, {"B厅", "2"}}})
			staff := issue(Scope{Role: RoleStaff, StaffID: "TA0200"})
			old, _ := IssueToken(ctx, st, RoleSupervisor, "", t0) // a token made before scopes
			records := func(tok string, q url.Values) (int, []string) {
				code, b := getJSON(t, srv, tok, "/api/v1/records", q)
				var out struct{ Records []rating.Record }
				json.Unmarshal(b, &out)
				var seqs []string
				for _, r := range out.Records {
					seqs = append(seqs, r.ID[len(r.ID)-1:])
				}
				if code != http.StatusOK {
					return code, []string{string(b)}
				}
				return code, seqs
			}
			stats := func(tok string, q url.Values) (int, Stats) {
				code, b := getJSON(t, srv, tok, "/api/v1/stats", q)
				var s Stats
				json.Unmarshal(b, &s)
				return code, s
			}
			for _, c := range []struct {
				name, tok string
				q         url.Values
				want      []string
				rated     int
			}{
				{"supervisor", sup, nil, []string{"1", "2", "3", "4", "5"}, 5},
				{"operator", op, nil, []string{"1", "2", "3", "4", "5"}, 5},
				{"old supervisor token", old, nil, []string{"1", "2", "3", "4", "5"}, 5},
				{"supervisor, hall B", sup, url.Values{"hall": {"B厅"}}, []string{"4", "5"}, 2},
				{"hall", hall, nil, []string{"1", "2", "3"}, 3},
				{"hall, its own named", hall, url.Values{"hall": {"A厅"}}, []string{"1", "2", "3"}, 3},
				{"hall, a window", hall, url.Values{"window": {"2"}}, []string{"3"}, 1},
				{"department", dept, nil, []string{"1", "2", "5"}, 3},
				{"department, one hall", dept, url.Values{"hall": {"B厅"}}, []string{"5"}, 1},
				{"department, window 1", dept, url.Values{"window": {"1"}}, []string{"1", "2"}, 2},
				{"staff", staff, nil, []string{"3"}, 1},
				{"staff, named", staff, url.Values{"staff_id": {"TA0200"}}, []string{"3"}, 1},
			} {
				code, got := records(c.tok, c.q)
				if code != http.StatusOK || !slices.Equal(got, c.want) {
					t.Errorf("%s: records %d %v, want %v", c.name, code, got, c.want)
				}
				code, s := stats(c.tok, c.q)
				if code != http.StatusOK || s.Total.Rated != c.rated {
					t.Errorf("%s: stats %d rated %d, want %d", c.name, code, s.Total.Rated, c.rated)
				}
				if c.tok == dept && c.q == nil && (len(s.ByWin) != 2 || s.ByWin[0].Key != "A厅/1" || s.ByWin[1].Key != "B厅/2") {
					t.Errorf("department: by_window %+v", s.ByWin)
				}
				if code, b := getJSON(t, srv, c.tok, "/api/v1/unrated", c.q); code != http.StatusOK {
					t.Errorf("%s: unrated %d %s", c.name, code, b)
				}
			}
			for _, c := range []struct {
				name, tok, path string
				q               url.Values
				why             string
			}{
				{"hall, another hall", hall, "/api/v1/records", url.Values{"hall": {"B厅"}}, "sees the hall A厅 only"},
				{"hall, another hall's stats", hall, "/api/v1/stats", url.Values{"hall": {"B厅"}}, "sees the hall A厅 only"},
				{"department, another window", dept, "/api/v1/stats", url.Values{"hall": {"A厅"}, "window": {"2"}}, "windows A厅/1, B厅/2 only"},
				{"staff, another's figures", staff, "/api/v1/stats", url.Values{"staff_id": {"TA0123"}}, "staff member TA0200 only"},
				{"staff, another's unrated", staff, "/api/v1/unrated", url.Values{"staff_id": {"TA0123"}}, "staff member TA0200 only"},
				{"hall, rejected", hall, "/api/v1/rejected", nil, "supervisor token is needed"},
				{"department, devices", dept, "/api/v1/devices", nil, "supervisor token is needed"},
				{"staff, rejected", staff, "/api/v1/rejected", nil, "supervisor token is needed"},
			} {
				code, b := getJSON(t, srv, c.tok, c.path, c.q)
				if code != http.StatusForbidden || !strings.Contains(string(b), c.why) {
					t.Errorf("%s: %d %s, want 403 %q", c.name, code, b, c.why)
				}
			}
			code, b := getJSON(t, srv, dept, "/api/v1/whoami", nil)
			if code != http.StatusOK || !strings.Contains(string(b), `"role":"department"`) {
				t.Errorf("whoami: %d %s", code, b)
			}
		})
	}
}

// TestScopeValidate: a token's scope must fit its role.
func TestScopeValidate(t *testing.T) {
	for _, sc := range []Scope{
		{Role: RoleSupervisor, Hall: "A厅"}, {Role: RoleHall}, {Role: RoleHall, Hall: "A", StaffID: "x"},
		{Role: RoleDepartment}, {Role: RoleDepartment, Windows: []HallWindow{{"A", ""}}}, {Role: RoleStaff}, {Role: "root"},
	} {
		if sc.Validate() == nil {
			t.Errorf("%+v: valid", sc)
		}
	}
	if !(Scope{Role: RoleDepartment, Windows: []HallWindow{{"A", "1"}}}).Allows("A", "1", "x") ||
		(Scope{Role: RoleDepartment, Windows: []HallWindow{{"A", "1"}}}).Allows("B", "1", "x") ||
		!(Scope{Role: RoleStaff, StaffID: "s"}).Allows("A", "1", "s") || (Scope{}).Allows("A", "1", "s") {
		t.Error("Allows")
	}
	for _, role := range []string{RoleHall, RoleDepartment, RoleStaff} {
		if allows(role, RoleSupervisor) || allows(role, RoleOperator) || !allows(role, "") {
			t.Errorf("%s: may read the system's lists or write", role)
		}
	}
	if _, err := IssueToken(context.Background(), (*SQLStore)(nil), RoleHall, "", t0); err == nil || !strings.Contains(err.Error(), "needs --hall") {
		t.Errorf("a hall token without its hall: %v", err)
	}
	if allows(RoleSupervisor, RoleOperator) || !allows(RoleOperator, RoleSupervisor) {
		t.Error("supervisor and operator as before")
	}
}

// TestNoEvaluatorIdentity: no answer of the API to any role carries a field
// about the 评价人 (the applicant): records hold none (the ingest refuses a
// record with one), and the figures and lists add none.
func TestNoEvaluatorIdentity(t *testing.T) {
	ctx := context.Background()
	st, srv := roleFixture(t, backends[0].open(t))
	for _, sc := range []Scope{{Role: RoleSupervisor}, {Role: RoleHall, Hall: "A厅"},
		{Role: RoleDepartment, Windows: []HallWindow{{"A厅", "1"}}}, {Role: RoleStaff, StaffID: "TA0123"}} {
		tok, err := IssueScopedToken(ctx, st, sc, "", t0)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/v1/records", "/api/v1/stats", "/api/v1/unrated", "/api/v1/whoami"} {
			code, b := getJSON(t, srv, tok, path, nil)
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d", sc.Role, path, code)
			}
			if k := applicantKey(t, b); k != "" {
				t.Errorf("%s %s: the field %q is about the applicant: %s", sc.Role, path, k, b)
			}
		}
	}
}

// applicantKey is the first JSON field name in b that is about a citizen.
func applicantKey(t *testing.T, b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) string
	walk = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				l := strings.ToLower(k)
				for _, m := range []string{"applicant", "citizen", "phone", "mobile", "id_card", "id_no", "idcard", "contact", "address", "email", "申请", "身份证", "电话", "手机"} {
					if strings.Contains(l, m) {
						return k
					}
				}
				if s := walk(e); s != "" {
					return s
				}
			}
		case []any:
			for _, e := range x {
				if s := walk(e); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return walk(v)
}

func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestComplaintRoles: each role sees the 差评 cases of its part only, and
// acts as its role allows: a hall manager verifies its hall's cases, a
// staff member appeals the cases against them but cannot review, a
// supervisor reads and does not act.
func TestComplaintRoles(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st, srv := roleFixture(t, be.open(t)) // 差评: rec 2 (A厅/1, TA0123), rec 5 (B厅/2, TA0301)
			issue := func(sc Scope) string {
				tok, err := IssueScopedToken(ctx, st, sc, "", t0)
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			sup := issue(Scope{Role: RoleSupervisor})
			hall := issue(Scope{Role: RoleHall, Hall: "A厅"})
			dept := issue(Scope{Role: RoleDepartment, Windows: []HallWindow{{"A厅", "1"}, {"B厅", "2"}}})
			staff := issue(Scope{Role: RoleStaff, StaffID: "TA0123"})
			other := issue(Scope{Role: RoleStaff, StaffID: "TA0200"})
			a, b := rec(2, nil).ID, rec(5, nil).ID
			list := func(tok string) []string {
				code, body := getJSON(t, srv, tok, "/api/v1/complaints", nil)
				var out struct{ Complaints []Complaint }
				json.Unmarshal(body, &out)
				if code != http.StatusOK {
					t.Fatalf("list: %d %s", code, body)
				}
				var ids []string
				for _, c := range out.Complaints {
					ids = append(ids, c.ID)
				}
				slices.Sort(ids)
				return ids
			}
			both := []string{a, b}
			slices.Sort(both)
			for name, c := range map[string]struct {
				tok  string
				want []string
			}{"supervisor": {sup, both}, "hall": {hall, []string{a}}, "department": {dept, both},
				"staff": {staff, []string{a}}, "other staff": {other, nil}} {
				if got := list(c.tok); !slices.Equal(got, c.want) {
					t.Errorf("%s lists %v, want %v", name, got, c.want)
				}
			}
			if code, _ := getJSON(t, srv, hall, "/api/v1/complaints/"+b, nil); code != http.StatusForbidden {
				t.Errorf("hall A reads hall B's case: %d, want 403", code)
			}
			act := func(tok, id, action, body string) int {
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/complaints/"+id+"/"+action, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			for _, c := range []struct {
				who, tok, id, action, body string
				want                       int
			}{
				{"supervisor", sup, a, "verify", `{"by":"x"}`, http.StatusForbidden},
				{"hall, another hall's case", hall, b, "verify", `{"by":"x"}`, http.StatusForbidden},
				{"hall", hall, a, "verify", `{"by":"值班长","note":"核实属实"}`, http.StatusOK},
				{"staff, another's case", other, a, "appeal", `{"by":"TA0200"}`, http.StatusForbidden},
				{"staff", staff, a, "appeal", `{"by":"TA0123","note":"误按"}`, http.StatusOK},
				{"staff reviews own appeal", staff, a, "review", `{"by":"TA0123","upheld":true,"mark":"误评"}`, http.StatusForbidden},
				{"department reviews", dept, a, "review", `{"by":"科长","upheld":true,"mark":"误评"}`, http.StatusForbidden},
			} {
				if got := act(c.tok, c.id, c.action, c.body); got != c.want {
					t.Errorf("%s %s: %d, want %d", c.who, c.action, got, c.want)
				}
			}
		})
	}
}
