package localapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"evalpad/pad/localapi"
)

type printerFunc func(localapi.ReceiptRequest) (int, error)

func (f printerFunc) PrintReceipt(r localapi.ReceiptRequest) (int, error) { return f(r) }

func TestReceipts(t *testing.T) {
	f := newFixture(t, "")
	// No printer configured: 503, clearly.
	if code, out := f.do(t, "POST", "/api/v1/receipts", "", `{"project_no":"P1","task_name":"x"}`); code != http.StatusServiceUnavailable ||
		!strings.Contains(out["error"].(string), "printer") {
		t.Errorf("no printer: %d %v", code, out)
	}

	var got []localapi.ReceiptRequest
	mux := http.NewServeMux()
	(&localapi.API{Pad: bare{f.pad, f.store}, Receipts: printerFunc(func(r localapi.ReceiptRequest) (int, error) {
		got = append(got, r)
		return len(got), nil
	})}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f.srv = srv
	for _, bad := range []struct{ body, names string }{
		{`{"task_name":"企业设立登记"}`, "project_no"},
		{`{"project_no":"P 1","task_name":"企业设立登记"}`, "project_no"},
		{`{"project_no":"P1"}`, "task_name"},
		{`not json`, "body must be"},
	} {
		code, out := f.do(t, "POST", "/api/v1/receipts", "", bad.body)
		if msg, _ := out["error"].(string); code != http.StatusBadRequest || !strings.Contains(msg, bad.names) {
			t.Errorf("%s: %d %q, want 400 naming %s", bad.body, code, msg, bad.names)
		}
	}
	if len(got) != 0 {
		t.Fatalf("a bad request printed: %v", got)
	}
	code, out := f.do(t, "POST", "/api/v1/receipts", "", `{"project_no":"37090020261125000123","task_name":"企业设立登记 13912345678","staff_id":"TA0123"}`)
	if code != 200 || out["job"] != float64(1) {
		t.Fatalf("print: %d %v", code, out)
	}
	if len(got) != 1 || got[0].ProjectNo != "37090020261125000123" || got[0].TaskName != "企业设立登记 ＊" || got[0].StaffID != "TA0123" {
		t.Errorf("printed %+v", got)
	}
}
