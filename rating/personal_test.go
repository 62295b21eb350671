package rating_test

import (
	"testing"

	"evalpad/rating"
)

func TestMaskPersonal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"企业设立登记", "企业设立登记"},
		{"13912345678", "＊"},
		{"电话13912345678", "电话＊"},
		{"电话:13912345678。", "电话:＊。"},
		{"19912345678", "＊"},
		{"12912345678", "12912345678"},   // 1[3-9] only
		{"1391234567", "1391234567"},     // 10 digits
		{"139123456789", "139123456789"}, // 12 digits: inside a longer run
		{"11010519491231002X", "＊"},
		{"11010519491231002x", "＊"},
		{"身份证11010519491231002X号", "身份证＊号"},
		{"110105194912310021", "110105194912310021"},     // wrong check digit
		{"11010518491231002X", "11010518491231002X"},     // born in 18xx
		{"11010519491331002X", "11010519491331002X"},     // month 13
		{"11010519491200002X", "11010519491200002X"},     // day 00
		{"37090020261125000123", "37090020261125000123"}, // a 20-digit 办件编号
		{"370900202611250001231", "370900202611250001231"},
		{"110105194912310029X", "110105194912310029X"}, // 18 digits then X: a 19-character run
		{"13912345678 11010519491231002X", "＊ ＊"},
		{"13912345678,13812345678", "＊,＊"},
		{"11010519491231002X13912345678", "＊＊"},
		{"2026年11月25日", "2026年11月25日"},
		{"第1391234567号", "第1391234567号"},
		{"A13912345678B", "A＊B"},
	} {
		got := rating.MaskPersonal(tc.in)
		if got != tc.want {
			t.Errorf("MaskPersonal(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := rating.MaskPersonal(got); again != got {
			t.Errorf("MaskPersonal is not idempotent on %q: %q", got, again)
		}
	}
}

func TestMaskPersonalWrittenForms(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"电话 +8613912345678 联系", "电话 ＊ 联系"},
		{"电话 86 139 1234 5678", "电话 ＊"},
		{"手机139 1234 5678。", "手机＊。"},
		{"手机139-1234-5678", "手机＊"},
		{"手机１３９１２３４５６７８", "手机＊"},
		{"两个号码 13812345678 13912345678", "两个号码 ＊ ＊"},
		{"身份证 110105 19491231 002X", "身份证 ＊"},
		{"旧证 110105491231002", "旧证 ＊"},
		{"身份证１１０１０５１９４９１２３１００２Ｘ", "身份证＊"},
		// not personal: kept as written
		{"2026-11-25 办理", "2026-11-25 办理"},
		{"编号 37090020261125000123", "编号 37090020261125000123"},
		{"第 3 窗口 12 号", "第 3 窗口 12 号"},
		{"+1 2", "+1 2"},
		{"电话 0538-8888888", "电话 0538-8888888"},
	} {
		if got := rating.MaskPersonal(tc.in); got != tc.want {
			t.Errorf("MaskPersonal(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A name the payload carries in a field the pad drops is masked where it
// also appears in a kept text, wherever the business system put it.
func TestDroppedNamesMaskedInTaskNames(t *testing.T) {
	for _, payload := range []string{
		`{"applicant_name":"王小明"`,
		`{"applicant":{"name":"王小明","phone":"13912345678"}`,
		`{"extra":{"申请人":"王小明"}`,
		`{"contacts":[{"who":"王小明"}]`,
		`{"note":"王小明"`,
	} {
		body := payload + `,"session_id":"S-1","mode":"single","staff":{"id":"TA0123","name":"李四"},
			"cases":[{"project_no":"P1","task_name":"王小明的个体工商户登记","applicant":"王小明"}]}`
		s, err := rating.ParseSession([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		if got := s.Cases[0].TaskName; got != "＊的个体工商户登记" {
			t.Errorf("%s: task_name = %q", payload, got)
		}
		if s.Staff.Name != "李四" {
			t.Errorf("%s: staff name changed to %q", payload, s.Staff.Name)
		}
	}
	// Values of kept fields are not taken for personal data.
	s, err := rating.ParseSession([]byte(`{"session_id":"S-1","mode":"single","staff":{"id":"TA0123","name":"李四"},
		"cases":[{"project_no":"P1","task_name":"李四窗口企业设立登记"}],"category":"企业设立登记事项分类"}`))
	if err != nil || s.Cases[0].TaskName != "李四窗口企业设立登记" {
		t.Errorf("task_name = %q, %v", s.Cases[0].TaskName, err)
	}
}
