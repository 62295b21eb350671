package rating_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"evalpad/rating"
)

const (
	pno1 = "37090020261125000123" // a 20-digit 办件编号: no personal data
	pno2 = "37090020261125000124"
	pno3 = "37090020261125000125"
)

func TestParseSessionValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want rating.Session
	}{
		{
			name: "single",
			in: `{"session_id":"S-20261125-0001","mode":"single","staff":{"id":"TA0123","name":"王丽","photo":"data:image/png;base64,iVBORw0KGgo="},
				"cases":[{"project_no":"37090020261125000123","task_code":"11370900MB2855918433701118000","task_name":"企业设立登记"}]}`,
			want: rating.Session{ID: "S-20261125-0001", Mode: rating.ModeSingle,
				Staff: rating.Staff{ID: "TA0123", Name: "王丽", Photo: "data:image/png;base64,iVBORw0KGgo="},
				Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "11370900MB2855918433701118000", TaskName: "企业设立登记"}}},
		},
		{
			name: "single without task code, staff name or photo, whitespace around",
			in:   " \n\t{\"session_id\":\"a:b/c.d_e-f\",\"mode\":\"single\",\"staff\":{\"id\":\"7\"},\"cases\":[{\"project_no\":\"P1\",\"task_name\":\"x\"}]}\r\n ",
			want: rating.Session{ID: "a:b/c.d_e-f", Mode: rating.ModeSingle, Staff: rating.Staff{ID: "7"},
				Cases: []rating.Case{{ProjectNo: "P1", TaskName: "x"}}},
		},
		{
			name: "batch by task code",
			in: `{"session_id":"S-2","mode":"batch","staff":{"id":"TA0123","name":"王丽","photo":"https://hall.example/staff/TA0123.jpg"},"cases":[
				{"project_no":"37090020261125000123","task_code":"T1","task_name":"不动产登记"},
				{"project_no":"37090020261125000124","task_code":"T1","task_name":"不动产登记（补）"},
				{"project_no":"37090020261125000125","task_code":"T1","task_name":"不动产登记"}]}`,
			want: rating.Session{ID: "S-2", Mode: rating.ModeBatch,
				Staff: rating.Staff{ID: "TA0123", Name: "王丽", Photo: "https://hall.example/staff/TA0123.jpg"},
				Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "不动产登记"}, {ProjectNo: pno2, TaskCode: "T1", TaskName: "不动产登记（补）"}, {ProjectNo: pno3, TaskCode: "T1", TaskName: "不动产登记"}}},
		},
		{
			name: "batch by task name",
			in: `{"session_id":"S-3","mode":"batch","staff":{"id":"TA0123"},"cases":[
				{"project_no":"A","task_name":"企业设立登记"},{"project_no":"B","task_name":"企业设立登记"}]}`,
			want: rating.Session{ID: "S-3", Mode: rating.ModeBatch, Staff: rating.Staff{ID: "TA0123"},
				Cases: []rating.Case{{ProjectNo: "A", TaskCode: "", TaskName: "企业设立登记"}, {ProjectNo: "B", TaskCode: "", TaskName: "企业设立登记"}}},
		},
		{
			name: "theme",
			in: `{"session_id":"S-4","mode":"theme","staff":{"id":"TA0123","name":"王丽"},"cases":[
				{"project_no":"37090020261125000123","task_code":"T1","task_name":"企业设立登记"},
				{"project_no":"37090020261125000124","task_code":"T2","task_name":"公章刻制"},
				{"project_no":"37090020261125000125","task_name":"税务登记"}]}`,
			want: rating.Session{ID: "S-4", Mode: rating.ModeTheme, Staff: rating.Staff{ID: "TA0123", Name: "王丽"},
				Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "企业设立登记"}, {ProjectNo: pno2, TaskCode: "T2", TaskName: "公章刻制"}, {ProjectNo: pno3, TaskCode: "", TaskName: "税务登记"}}},
		},
		{
			name: "unknown fields dropped",
			in: `{"session_id":"S-5","mode":"single","window":"12","extra":{"a":[1,2,{"b":null}]},"staff":{"id":"TA0123","dept":"x"},
				"cases":[{"project_no":"P","task_name":"t","status":3}]}`,
			want: rating.Session{ID: "S-5", Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA0123"},
				Cases: []rating.Case{{ProjectNo: "P", TaskName: "t"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rating.ParseSession([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseSession: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseSession =\n%+v\nwant\n%+v", got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() of a parsed session = %v", err)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := rating.ParseSession(b)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip: %+v, %v; want %+v", again, err, got)
			}
		})
	}
}

// session is a valid single session as a generic JSON tree, for tests to break.
func session() map[string]any {
	return map[string]any{
		"session_id": "S-20261125-0001",
		"mode":       "single",
		"staff":      map[string]any{"id": "TA0123", "name": "王丽"},
		"cases":      []any{map[string]any{"project_no": pno1, "task_code": "T1", "task_name": "企业设立登记"}},
	}
}

func cases(n int, sameItem bool) []any {
	out := make([]any, n)
	for i := range out {
		code, name := "T1", "企业设立登记"
		if !sameItem {
			code, name = "T"+string(rune('A'+i)), "事项"+string(rune('A'+i))
		}
		out[i] = map[string]any{"project_no": "P" + string(rune('A'+i%26)) + strings.Repeat("0", i/26), "task_code": code, "task_name": name}
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSessionInvalid(t *testing.T) {
	with := func(f func(m map[string]any)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			m := session()
			f(m)
			return mustJSON(t, m)
		}
	}
	raw := func(s string) func(t *testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }
	case0 := func(m map[string]any) map[string]any { return m["cases"].([]any)[0].(map[string]any) }
	staff := func(m map[string]any) map[string]any { return m["staff"].(map[string]any) }

	for _, tc := range []struct {
		name  string
		in    func(t *testing.T) []byte
		field string // what the message must name
	}{
		// Not JSON, or not one object.
		{"empty", raw(""), "payload: empty"},
		{"blank", raw(" \n"), "payload: empty"},
		{"bad JSON", raw(`{"session_id":`), "payload"},
		{"bad JSON middle", raw(`{"session_id":"S" "mode":"single"}`), "payload: not JSON"},
		{"not an object", raw(`["S-1"]`), "payload"},
		{"a string", raw(`"S-1"`), "payload"},
		{"a number", raw(`42`), "payload"},
		{"null", raw(`null`), "session_id: required"},
		{"trailing object", with(func(map[string]any) {}), ""}, // patched below
		{"trailing garbage", raw(`{"session_id":"S"} x`), "payload: more than one JSON value"},
		{"trailing brace", raw(`{"session_id":"S"}}`), "payload: more than one JSON value"},
		{"too big", raw(`{"session_id":"` + strings.Repeat("a", rating.MaxSessionBytes) + `"}`), "payload"},

		// Wrong types.
		{"session_id number", with(func(m map[string]any) { m["session_id"] = 1 }), "session_id"},
		{"mode number", with(func(m map[string]any) { m["mode"] = 1 }), "mode"},
		{"staff string", with(func(m map[string]any) { m["staff"] = "TA0123" }), "staff"},
		{"staff.id number", with(func(m map[string]any) { staff(m)["id"] = 123 }), "staff.id"},
		{"staff.name array", with(func(m map[string]any) { staff(m)["name"] = []string{"王"} }), "staff.name"},
		{"cases object", with(func(m map[string]any) { m["cases"] = map[string]any{} }), "cases"},
		{"cases string", with(func(m map[string]any) { m["cases"] = "P1" }), "cases"},
		{"case a string", with(func(m map[string]any) { m["cases"] = []any{"P1"} }), "cases"},
		{"project_no number", with(func(m map[string]any) { case0(m)["project_no"] = json.Number("37090020261125000123") }), "cases.project_no"},
		{"task_name bool", with(func(m map[string]any) { case0(m)["task_name"] = true }), "cases.task_name"},

		// Missing and empty fields.
		{"no session_id", with(func(m map[string]any) { delete(m, "session_id") }), "session_id: required"},
		{"empty session_id", with(func(m map[string]any) { m["session_id"] = "" }), "session_id: required"},
		{"null session_id", with(func(m map[string]any) { m["session_id"] = nil }), "session_id: required"},
		{"no mode", with(func(m map[string]any) { delete(m, "mode") }), "mode: required"},
		{"bad mode", with(func(m map[string]any) { m["mode"] = "Single" }), "mode"},
		{"unknown mode", with(func(m map[string]any) { m["mode"] = "chain" }), "mode"},
		{"no staff", with(func(m map[string]any) { delete(m, "staff") }), "staff.id: required"},
		{"empty staff.id", with(func(m map[string]any) { staff(m)["id"] = "" }), "staff.id: required"},
		{"no cases", with(func(m map[string]any) { delete(m, "cases") }), "cases"},
		{"null cases", with(func(m map[string]any) { m["cases"] = nil }), "cases"},
		{"empty cases", with(func(m map[string]any) { m["cases"] = []any{} }), "cases"},
		{"no project_no", with(func(m map[string]any) { delete(case0(m), "project_no") }), "cases[0].project_no: required"},
		{"empty project_no", with(func(m map[string]any) { case0(m)["project_no"] = "" }), "cases[0].project_no: required"},
		{"no task_name", with(func(m map[string]any) { delete(case0(m), "task_name") }), "cases[0].task_name: required"},
		{"empty case", with(func(m map[string]any) { m["cases"] = []any{map[string]any{}} }), "cases[0].project_no"},

		// Bad identifiers and texts.
		{"session_id space", with(func(m map[string]any) { m["session_id"] = "S 1" }), "session_id"},
		{"session_id non-ASCII", with(func(m map[string]any) { m["session_id"] = "会话1" }), "session_id"},
		{"session_id fullwidth digit", with(func(m map[string]any) { m["session_id"] = "S１" }), "session_id"},
		{"session_id too long", with(func(m map[string]any) { m["session_id"] = strings.Repeat("S", 65) }), "session_id"},
		{"staff.id newline", with(func(m map[string]any) { staff(m)["id"] = "TA\n0123" }), "staff.id"},
		{"staff.name control", with(func(m map[string]any) { staff(m)["name"] = "王\x07丽" }), "staff.name"},
		{"staff.name newline", with(func(m map[string]any) { staff(m)["name"] = "王\n丽" }), "staff.name"},
		{"staff.name too long", with(func(m map[string]any) { staff(m)["name"] = strings.Repeat("王", 41) }), "staff.name"},
		{"staff.photo scheme", with(func(m map[string]any) { staff(m)["photo"] = "file:///etc/passwd" }), "staff.photo"},
		{"staff.photo javascript", with(func(m map[string]any) { staff(m)["photo"] = "javascript:alert(1)" }), "staff.photo"},
		{"staff.photo not image", with(func(m map[string]any) { staff(m)["photo"] = "data:text/html,<b>x</b>" }), "staff.photo"},
		{"staff.photo too big", with(func(m map[string]any) {
			staff(m)["photo"] = "data:image/png;base64," + strings.Repeat("A", rating.MaxPhotoBytes)
		}), "staff.photo"},
		{"project_no slash-n", with(func(m map[string]any) { case0(m)["project_no"] = "P\n1" }), "cases[0].project_no"},
		{"project_no too long", with(func(m map[string]any) { case0(m)["project_no"] = strings.Repeat("1", 65) }), "cases[0].project_no"},
		{"task_code space", with(func(m map[string]any) { case0(m)["task_code"] = "T 1" }), "cases[0].task_code"},
		{"task_name control", with(func(m map[string]any) { case0(m)["task_name"] = "企业\x00登记" }), "cases[0].task_name"},
		{"task_name tab", with(func(m map[string]any) { case0(m)["task_name"] = "企业\t登记" }), "cases[0].task_name"},
		{"task_name DEL", with(func(m map[string]any) { case0(m)["task_name"] = "企业\x7f登记" }), "cases[0].task_name"},
		{"task_name C1", with(func(m map[string]any) { case0(m)["task_name"] = "企业\u0085登记" }), "cases[0].task_name"},
		{"task_name too long", with(func(m map[string]any) { case0(m)["task_name"] = strings.Repeat("字", 81) }), "cases[0].task_name"},

		// Rules on the cases.
		{"single with 2 cases", with(func(m map[string]any) { m["cases"] = cases(2, true) }), "cases: a single session has exactly 1 case"},
		{"batch with 1 case", with(func(m map[string]any) { m["mode"] = "batch" }), "cases: a batch session"},
		{"theme with 1 case", with(func(m map[string]any) { m["mode"] = "theme" }), "cases: a theme session"},
		{"batch of different items", with(func(m map[string]any) {
			m["mode"], m["cases"] = "batch", cases(3, false)
		}), "cases[1]"},
		{"batch: one case with a task code, one without", with(func(m map[string]any) {
			m["mode"] = "batch"
			m["cases"] = []any{
				map[string]any{"project_no": "A", "task_code": "T1", "task_name": "企业设立登记"},
				map[string]any{"project_no": "B", "task_name": "企业设立登记"},
			}
		}), "cases[1]"},
		{"batch: same name, different task codes", with(func(m map[string]any) {
			m["mode"] = "batch"
			m["cases"] = []any{
				map[string]any{"project_no": "A", "task_code": "T1", "task_name": "登记"},
				map[string]any{"project_no": "B", "task_code": "T1", "task_name": "登记"},
				map[string]any{"project_no": "C", "task_code": "T2", "task_name": "登记"},
			}
		}), "cases[2]"},
		{"too many cases", with(func(m map[string]any) {
			m["mode"], m["cases"] = "batch", cases(rating.MaxCases+1, true)
		}), "cases: 21 cases"},
		{"duplicate project_no", with(func(m map[string]any) {
			m["mode"] = "theme"
			m["cases"] = []any{
				map[string]any{"project_no": "A", "task_name": "甲"},
				map[string]any{"project_no": "B", "task_name": "乙"},
				map[string]any{"project_no": "A", "task_name": "丙"},
			}
		}), "cases[2].project_no"},
		{"second case bad project_no", with(func(m map[string]any) {
			m["mode"] = "theme"
			m["cases"] = []any{
				map[string]any{"project_no": "A", "task_name": "甲"},
				map[string]any{"project_no": "B B", "task_name": "乙"},
			}
		}), "cases[1].project_no"},
		{"second case no task_name", with(func(m map[string]any) {
			m["mode"] = "theme"
			m["cases"] = []any{
				map[string]any{"project_no": "A", "task_name": "甲"},
				map[string]any{"project_no": "B"},
			}
		}), "cases[1].task_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in(t)
			if tc.name == "trailing object" {
				in = append(in, []byte(`{"session_id":"S-2"}`)...)
				tc.field = "payload: more than one JSON value"
			}
			s, err := rating.ParseSession(in)
			if !errors.Is(err, rating.ErrInvalidSession) {
				t.Fatalf("ParseSession(%.200s) = %+v, %v; want ErrInvalidSession", in, s, err)
			}
			if !reflect.DeepEqual(s, rating.Session{}) {
				t.Errorf("ParseSession returned %+v with its error, want the zero Session", s)
			}
			msg := strings.TrimPrefix(err.Error(), rating.ErrInvalidSession.Error()+": ")
			if !strings.HasPrefix(msg, tc.field) {
				t.Errorf("error %q does not name %q", err, tc.field)
			}
		})
	}
}

func TestParseSessionMaxCases(t *testing.T) {
	m := session()
	m["mode"], m["cases"] = "batch", cases(rating.MaxCases, true)
	s, err := rating.ParseSession(mustJSON(t, m))
	if err != nil {
		t.Fatalf("ParseSession with %d cases: %v", rating.MaxCases, err)
	}
	if len(s.Cases) != rating.MaxCases {
		t.Fatalf("got %d cases", len(s.Cases))
	}
}

// Applicant personal data, wherever a payload carries it.
const (
	applicantName  = "李小明"
	applicantPhone = "13912345678"
	applicantID    = "11010519491231002X" // valid GB 11643 check character
	applicantAddr  = "泰安市泰山区东岳大街"
)

// PersonalPayload is a session payload that carries applicant data at the top
// level, inside staff, inside cases, in nested objects, and inside task names.
const PersonalPayload = `{
  "session_id": "S-20261125-0042",
  "mode": "theme",
  "applicant": {"name": "李小明", "phone": "13912345678", "id_number": "11010519491231002X", "address": "泰安市泰山区东岳大街"},
  "applicant_name": "李小明", "name": "李小明", "phone": "13912345678", "mobile": "13912345678",
  "id_number": "11010519491231002X", "idcard": "11010519491231002X", "address": "泰安市泰山区东岳大街",
  "staff": {"id": "TA0123", "name": "王丽", "photo": "data:image/png;base64,iVBORw0KGgoSTAFFPHOTO=",
            "applicant": "李小明", "phone": "13912345678", "id_number": "11010519491231002X",
            "served": {"name": "李小明", "contact": {"phone": "13912345678"}}},
  "cases": [
    {"project_no": "37090020261125000123", "task_code": "T1", "task_name": "企业设立登记（申请人13912345678）",
     "applicant": {"name": "李小明", "phone": "13912345678", "id_number": "11010519491231002X"},
     "applicant_name": "李小明", "phone": "13912345678", "id_number": "11010519491231002X",
     "extra": [{"deep": {"deeper": {"name": "李小明", "id": "11010519491231002X"}}}]},
    {"project_no": "37090020261125000124", "task_code": "T2", "task_name": "公章刻制 身份证11010519491231002X",
     "contact": "李小明 13912345678"},
    {"project_no": "37090020261125000125", "task_name": "税务登记 tel:13912345678, id 11010519491231002x"}
  ]
}`

func TestParseSessionDropsPersonalData(t *testing.T) {
	s, err := rating.ParseSession([]byte(PersonalPayload))
	if err != nil {
		t.Fatalf("ParseSession: %v", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, pii := range []string{applicantName, applicantPhone, applicantID, "11010519491231002x", applicantAddr, "0519491231"} {
		if bytes.Contains(b, []byte(pii)) {
			t.Errorf("parsed session still holds %q:\n%s", pii, b)
		}
	}
	if rating.MaskPersonal(string(b)) != string(b) {
		t.Errorf("parsed session still holds a phone or ID number:\n%s", b)
	}
	// What is kept: the case numbers (20 digits are no ID), codes, staff.
	for _, keep := range []string{pno1, pno2, pno3, "TA0123", "王丽", "企业设立登记", "公章刻制", "税务登记", "S-20261125-0042"} {
		if !bytes.Contains(b, []byte(keep)) {
			t.Errorf("parsed session lost %q:\n%s", keep, b)
		}
	}
	if got, want := s.Cases[0].TaskName, "企业设立登记（申请人＊）"; got != want {
		t.Errorf("cases[0].task_name = %q, want %q", got, want)
	}
	if got, want := s.Cases[1].TaskName, "公章刻制 身份证＊"; got != want {
		t.Errorf("cases[1].task_name = %q, want %q", got, want)
	}
	if got, want := s.Cases[2].TaskName, "税务登记 tel:＊, id ＊"; got != want {
		t.Errorf("cases[2].task_name = %q, want %q", got, want)
	}
}

func TestParseSessionMasksFreeText(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		get    func(s rating.Session) string
		want   string
		absent string
	}{
		{"phone in task_name",
			func(m map[string]any) {
				m["cases"].([]any)[0].(map[string]any)["task_name"] = "企业设立登记13912345678"
			},
			func(s rating.Session) string { return s.Cases[0].TaskName }, "企业设立登记＊", applicantPhone},
		{"ID in task_name",
			func(m map[string]any) { m["cases"].([]any)[0].(map[string]any)["task_name"] = applicantID },
			func(s rating.Session) string { return s.Cases[0].TaskName }, "＊", applicantID},
		{"20 digits in task_name kept",
			func(m map[string]any) { m["cases"].([]any)[0].(map[string]any)["task_name"] = "办件" + pno1 },
			func(s rating.Session) string { return s.Cases[0].TaskName }, "办件" + pno1, ""},
		{"phone in staff.name",
			func(m map[string]any) { m["staff"].(map[string]any)["name"] = "王丽13912345678" },
			func(s rating.Session) string { return s.Staff.Name }, "王丽＊", applicantPhone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := session()
			tc.edit(m)
			s, err := rating.ParseSession(mustJSON(t, m))
			if err != nil {
				t.Fatalf("ParseSession: %v", err)
			}
			if got := tc.get(s); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if b := mustJSON(t, s); tc.absent != "" && bytes.Contains(b, []byte(tc.absent)) {
				t.Errorf("%q still in %s", tc.absent, b)
			}
		})
	}
}

func TestSessionValidate(t *testing.T) {
	good := rating.Session{ID: "S-1", Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA0123", Name: "王丽"},
		Cases: []rating.Case{{ProjectNo: pno1, TaskName: "企业设立登记"}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(s *rating.Session)
		field string
	}{
		{"zero", func(s *rating.Session) { *s = rating.Session{} }, "session_id"},
		{"mode", func(s *rating.Session) { s.Mode = "x" }, "mode"},
		{"staff", func(s *rating.Session) { s.Staff = rating.Staff{} }, "staff.id"},
		{"nil cases", func(s *rating.Session) { s.Cases = nil }, "cases"},
		{"invalid UTF-8 name", func(s *rating.Session) { s.Staff.Name = "\xff" }, "staff.name"},
		{"invalid UTF-8 task", func(s *rating.Session) { s.Cases[0].TaskName = "a\xffb" }, "cases[0].task_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			s.Cases = append([]rating.Case(nil), good.Cases...)
			tc.edit(&s)
			err := s.Validate()
			if !errors.Is(err, rating.ErrInvalidSession) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate() = %v, want ErrInvalidSession naming %s", err, tc.field)
			}
		})
	}
}

func TestParseSessionMasksEscapedDigits(t *testing.T) {
	in := `{"session_id":"S","mode":"single","staff":{"id":"x","name":"\u738b\u4e3d\u0031\u0033912345678"},` +
		`"cases":[{"project_no":"P","task_name":"\u767b\u8bb0\u0031\u0033912345678"}]}`
	s, err := rating.ParseSession([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Staff.Name != "王丽＊" || s.Cases[0].TaskName != "登记＊" {
		t.Fatalf("got %q, %q", s.Staff.Name, s.Cases[0].TaskName)
	}
}
