package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"evalpad/rating"
)

// invisible has one character of each class rating.CheckText refuses: bidi
// override, embedding, isolate and mark, zero-width, BOM, word joiner, soft
// hyphen, tag, C0, C1 and a line separator.
var invisible = []string{"\u202e", "\u202a", "\u2066", "\u200f", "\u200b", "\ufeff", "\u2060", "\u00ad", "\U000e0041", "\x07", "\u0085", "\u2028"}

func jsonText(t *testing.T, v string) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDownlinkRefusesFormatChars puts each invisible character into each
// text of down/config, down/cmd and down/session: refused, naming the field.
func TestDownlinkRefusesFormatChars(t *testing.T) {
	for _, ch := range invisible {
		x := jsonText(t, "企业"+ch+"登记")
		for _, tc := range []struct {
			parse func([]byte) error
			in    string
			field string
		}{
			{cfg, `{"id":"c1","hall":` + x + `}`, "hall:"},
			{cfg, `{"id":"c1","window":` + x + `}`, "window:"},
			{cfg, `{"id":"c1","staff":{"id":"TA1","name":` + x + `}}`, "staff.name:"},
			{cfg, `{"id":"c1","texts":{"thanks":` + x + `}}`, "texts.thanks:"},
			{cfg, `{"id":"c1","reasons":{"1":[{"code":"1","text":` + x + `}],"2":[{"code":"2","text":"b"}]}}`, "reasons.1[0].text:"},
			{cmd, `{"id":"c1","cmd":"message","text":` + x + `}`, "text:"},
			{cmd, `{"id":"c1","cmd":"print_receipt","project_no":"P1","task_name":` + x + `}`, "task_name:"},
			{session, `{"session_id":"S-1","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":` + x + `}]}`, "cases[0].task_name:"},
			{session, `{"session_id":"S-1","mode":"single","staff":{"id":"TA1","name":` + x + `},"cases":[{"project_no":"P1","task_name":"a"}]}`, "staff.name:"},
		} {
			if err := tc.parse([]byte(tc.in)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%s: %v, want ErrInvalid naming %s", tc.in, err, tc.field)
			}
		}
	}
	if _, err := ParseCmd([]byte(`{"id":"c1","cmd":"message","text":"请稍候\n马上回来"}`)); err != nil {
		t.Errorf("a message of two lines: %v", err)
	}
}

// TestDownlinkRefusesPersonalIDs: a phone or ID number as an identifier of
// down/session, down/config or down/cmd is refused, naming the field.
func TestDownlinkRefusesPersonalIDs(t *testing.T) {
	for _, tc := range []struct {
		parse func([]byte) error
		in    string
		field string
	}{
		{session, `{"session_id":"13912345678","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"a"}]}`, "session_id:"},
		{session, `{"session_id":"S-1","mode":"single","staff":{"id":"11010519491231002X"},"cases":[{"project_no":"P1","task_name":"a"}]}`, "staff.id:"},
		{session, `{"session_id":"S-1","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"139-1234-5678","task_name":"a"}]}`, "cases[0].project_no:"},
		{session, `{"session_id":"S-1","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_code":"110105491231002","task_name":"a"}]}`, "cases[0].task_code:"},
		{cfg, `{"id":"c1","staff":{"id":"8613912345678","name":"李四"}}`, "staff.id:"},
		{cmd, `{"id":"c1","cmd":"print_receipt","project_no":"13912345678","task_name":"a"}`, "project_no:"},
		{cmd, `{"id":"c1","cmd":"print_receipt","project_no":"P1","task_name":"a","staff_id":"11010519491231002X"}`, "staff_id:"},
	} {
		err := tc.parse([]byte(tc.in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field+" "+rating.ErrPersonalData.Error()) {
			t.Errorf("%s: %v, want ErrInvalid naming %s as personal data", tc.in, err, tc.field)
		}
	}
}

// TestRecordRefusesFormatChars: the central refuses a record with an
// invisible character in any of its strings, naming the field.
func TestRecordRefusesFormatChars(t *testing.T) {
	for _, ch := range invisible {
		for field, edit := range map[string]func(m map[string]any){
			"hall:":                func(m map[string]any) { m["hall"] = "泰安" + ch },
			"window:":              func(m map[string]any) { m["window"] = ch + "12" },
			"area_code:":           func(m map[string]any) { m["area_code"] = "3709" + ch },
			"channel:":             func(m map[string]any) { m["channel"] = "4" + ch },
			"staff.id:":            func(m map[string]any) { m["staff"] = map[string]string{"id": "TA" + ch, "name": "李四"} },
			"staff.name:":          func(m map[string]any) { m["staff"] = map[string]string{"id": "TA1", "name": "李" + ch + "四"} },
			"cases[0].project_no:": func(m map[string]any) { m["cases"] = []map[string]string{{"project_no": "P" + ch, "task_name": "x"}} },
			"cases[0].task_code:": func(m map[string]any) {
				m["cases"] = []map[string]string{{"project_no": "P1", "task_code": ch, "task_name": "x"}}
			},
			"cases[0].task_name:": func(m map[string]any) {
				m["cases"] = []map[string]string{{"project_no": "P1", "task_name": "企业" + ch + "登记"}}
			},
			"reasons[0]:": func(m map[string]any) { m["reasons"] = []string{"213" + ch} },
			"flags[0]:":   func(m map[string]any) { m["flags"] = []string{ch + "walkin"} },
		} {
			m := validRecord()
			edit(m)
			raw, _ := json.Marshal(m)
			if _, err := ParseRecord(raw, "TA-1"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), field) {
				t.Errorf("%q in %s %v, want ErrInvalid naming it", ch, field, err)
			}
		}
	}
}

func cfg(b []byte) error     { _, err := ParseConfig(b); return err }
func cmd(b []byte) error     { _, err := ParseCmd(b); return err }
func session(b []byte) error { _, err := ParseSession(b); return err }
