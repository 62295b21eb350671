package rating_test

import (
	"errors"
	"strings"
	"testing"

	"evalpad/rating"
)

// formatChars has one of each class of invisible character that CheckText
// refuses, by name, for this package's tests and as a list to copy.
var formatChars = []struct{ name, char string }{
	{"LRE", "\u202a"}, {"RLE", "\u202b"}, {"PDF", "\u202c"}, {"LRO", "\u202d"}, {"RLO", "\u202e"},
	{"LRI", "\u2066"}, {"RLI", "\u2067"}, {"FSI", "\u2068"}, {"PDI", "\u2069"},
	{"ZWSP", "\u200b"}, {"ZWNJ", "\u200c"}, {"ZWJ", "\u200d"}, {"LRM", "\u200e"}, {"RLM", "\u200f"},
	{"ALM", "\u061c"}, {"WJ", "\u2060"}, {"BOM", "\ufeff"}, {"SHY", "\u00ad"}, {"TAG", "\U000e0041"},
	{"NUL", "\x00"}, {"BEL", "\a"}, {"ESC", "\x1b"}, {"DEL", "\x7f"}, {"C1 CSI", "\u009b"},
	{"LS", "\u2028"}, {"PS", "\u2029"}, {"LF", "\n"}, {"CR", "\r"}, {"TAB", "\t"},
}

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"", "企业设立登记", "不动产登记（补）", "A-1 b.c", "王·丽", "😀", "\ue000"} {
		if err := rating.CheckText(ok); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", ok, err)
		}
	}
	for _, c := range formatChars {
		v := "企业" + c.char + "登记"
		err := rating.CheckText(v)
		if err == nil || !strings.Contains(err.Error(), "at character 3") {
			t.Errorf("CheckText with %s: %v, want an error at character 3", c.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "企业") {
			t.Errorf("CheckText with %s repeats the text: %v", c.name, err)
		}
	}
	if err := rating.CheckText("a\xffb"); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if err := rating.CheckTextLines("第一行\n第二行"); err != nil {
		t.Errorf("CheckTextLines with a newline: %v", err)
	}
	if err := rating.CheckTextLines("第一行\u202e\n"); err == nil {
		t.Error("CheckTextLines let an RLO through")
	}
}

// TestSessionRefusesFormatChars puts each invisible character into each
// text field of a session: the session is refused, naming the field.
func TestSessionRefusesFormatChars(t *testing.T) {
	fields := map[string]func(s *rating.Session, v string){
		"staff.name":         func(s *rating.Session, v string) { s.Staff.Name = "王" + v + "丽" },
		"staff.photo":        func(s *rating.Session, v string) { s.Staff.Photo = "https://hall.example/" + v + ".jpg" },
		"cases[0].task_name": func(s *rating.Session, v string) { s.Cases[0].TaskName = "企业" + v + "登记" },
		"cases[1].task_name": func(s *rating.Session, v string) { s.Cases[1].TaskName = v + "公章刻制" },
	}
	for field, set := range fields {
		for _, c := range formatChars {
			s := validTheme()
			set(&s, c.char)
			body := mustJSON(t, s)
			_, err := rating.ParseSession(body)
			if !errors.Is(err, rating.ErrInvalidSession) || !strings.Contains(err.Error(), field+":") {
				t.Errorf("%s with %s: %v, want ErrInvalidSession naming %s", field, c.name, err, field)
			}
			if err := s.Validate(); err == nil {
				t.Errorf("Validate let %s in %s through", c.name, field)
			}
		}
	}
}

// TestIdentifiersRefusePersonalData: an identifier that is a phone or ID
// number, in any written form, is refused with an error naming the field
// and not repeating the number.
func TestIdentifiersRefusePersonalData(t *testing.T) {
	personal := []string{
		"13912345678", "+8613912345678", "8613912345678", "139-1234-5678", "139 1234 5678", "+86 139 1234 5678",
		"１３９１２３４５６７８", "S-13912345678", "TA13912345678", "13912345678-1",
		"11010519491231002X", "11010519491231002x", "ID-11010519491231002X", "110105491231002",
	}
	fields := map[string]func(s *rating.Session, v string){
		"session_id":          func(s *rating.Session, v string) { s.ID = v },
		"staff.id":            func(s *rating.Session, v string) { s.Staff.ID = v },
		"cases[0].project_no": func(s *rating.Session, v string) { s.Cases[0].ProjectNo = v },
		"cases[1].task_code":  func(s *rating.Session, v string) { s.Cases[1].TaskCode = v },
	}
	for field, set := range fields {
		for _, v := range personal {
			s := validTheme()
			set(&s, v)
			_, err := rating.ParseSession(mustJSON(t, s))
			if !errors.Is(err, rating.ErrInvalidSession) || !strings.Contains(err.Error(), field+":") {
				t.Errorf("%s = %q: %v, want ErrInvalidSession naming %s", field, v, err, field)
				continue
			}
			if strings.Contains(err.Error(), v) {
				t.Errorf("%s = %q: the error repeats the number: %v", field, v, err)
			}
		}
	}
	// What is not a phone or ID number stays an identifier.
	for _, v := range []string{"S-20261125-0001", pno1, "1391234567", "139123456789", "110105194912310021", "TA0123", "12912345678"} {
		if err := rating.CheckID("staff_id", v); err != nil {
			t.Errorf("CheckID(%q) = %v, want nil", v, err)
		}
	}
	for _, v := range personal[:3] {
		if err := rating.CheckID("staff_id", v); !errors.Is(err, rating.ErrPersonalData) || !strings.Contains(err.Error(), "staff_id:") {
			t.Errorf("CheckID(%q) = %v, want ErrPersonalData naming staff_id", v, err)
		}
	}
}

func validTheme() rating.Session {
	return rating.Session{ID: "S-4", Mode: rating.ModeTheme, Staff: rating.Staff{ID: "TA0123", Name: "王丽"},
		Cases: []rating.Case{{ProjectNo: pno1, TaskCode: "T1", TaskName: "企业设立登记"}, {ProjectNo: pno2, TaskCode: "T2", TaskName: "公章刻制"}}}
}
