package localapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"evalpad/pad/localapi"
)

// TestFieldsRefusedOverHTTP: a phone or ID number as an identifier, or an
// invisible character in a text, is a 400 that names the field — for a
// session and for a receipt — and nothing is opened or printed.
func TestFieldsRefusedOverHTTP(t *testing.T) {
	f := newFixture(t, "")
	printed := 0
	mux := http.NewServeMux()
	(&localapi.API{Pad: bare{f.pad, f.store}, Receipts: printerFunc(func(localapi.ReceiptRequest) (int, error) {
		printed++
		return printed, nil
	})}).Register(mux)
	f.srv.Close()
	f.srv = httptest.NewServer(mux)
	sess := func(id, staff, pno, code, name string) string {
		return `{"session_id":"` + id + `","mode":"single","staff":{"id":"` + staff + `","name":"李四"},
		 "cases":[{"project_no":"` + pno + `","task_code":"` + code + `","task_name":"` + name + `"}]}`
	}
	for _, tc := range []struct{ path, body, field string }{
		{"/api/v1/sessions", sess("13912345678", "TA0123", "P1", "T1", "企业设立登记"), "session_id"},
		{"/api/v1/sessions", sess("S-1", "11010519491231002X", "P1", "T1", "企业设立登记"), "staff.id"},
		{"/api/v1/sessions", sess("S-1", "TA0123", "+8613912345678", "T1", "企业设立登记"), "cases[0].project_no"},
		{"/api/v1/sessions", sess("S-1", "TA0123", "P1", "139-1234-5678", "企业设立登记"), "cases[0].task_code"},
		{"/api/v1/sessions", sess("S-1", "TA0123", "P1", "T1", `\u202e记登立设业企`), "cases[0].task_name"},
		{"/api/v1/sessions", sess("S-1", "TA0123", "P1", "T1", `企业\u200b设立登记`), "cases[0].task_name"},
		{"/api/v1/receipts", `{"project_no":"13912345678","task_name":"企业设立登记"}`, "project_no"},
		{"/api/v1/receipts", `{"project_no":"P1","task_name":"企业设立登记","staff_id":"110105491231002"}`, "staff_id"},
		{"/api/v1/receipts", `{"project_no":"P1","task_name":"企业\u2066设立登记"}`, "task_name"},
		{"/api/v1/receipts", `{"project_no":"P1","task_name":"企业设立登记\u00ad"}`, "task_name"},
	} {
		code, out := f.do(t, "POST", tc.path, "", tc.body)
		msg, _ := out["error"].(string)
		if code != http.StatusBadRequest || !strings.Contains(msg, tc.field+":") {
			t.Errorf("%s %s: %d %q, want 400 naming %s", tc.path, tc.body, code, msg, tc.field)
		}
		for _, number := range []string{"13912345678", "11010519491231002X", "110105491231002"} {
			if strings.Contains(msg, number) {
				t.Errorf("%s: the error repeats %s: %q", tc.path, number, msg)
			}
		}
	}
	f.noSession(t)
	if printed != 0 {
		t.Errorf("%d receipts printed for refused requests", printed)
	}
}
