package rating_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	"evalpad/rating"
)

func FuzzParseSession(f *testing.F) {
	for _, seed := range []string{
		`{"session_id":"S-20261125-0001","mode":"single","staff":{"id":"TA0123","name":"王丽","photo":"data:image/png;base64,iVBORw0KGgo="},"cases":[{"project_no":"37090020261125000123","task_code":"T1","task_name":"企业设立登记"}]}`,
		`{"session_id":"S-2","mode":"batch","staff":{"id":"TA0123"},"cases":[{"project_no":"A","task_code":"T1","task_name":"不动产登记"},{"project_no":"B","task_code":"T1","task_name":"不动产登记"}]}`,
		`{"session_id":"S-3","mode":"batch","staff":{"id":"TA0123"},"cases":[{"project_no":"A","task_name":"不动产登记"},{"project_no":"B","task_name":"不动产登记"}]}`,
		`{"session_id":"S-4","mode":"theme","staff":{"id":"TA0123","name":"王丽"},"cases":[{"project_no":"37090020261125000123","task_name":"企业设立登记"},{"project_no":"37090020261125000124","task_code":"T2","task_name":"公章刻制"}]}`,
		PersonalPayload,
		`{"session_id":"S-5","mode":"single","staff":{"id":"TA0123","name":"王丽 13912345678"},"cases":[{"project_no":"P","task_name":"登记 11010519491231002X & 13812345678"}]}`,
		`{"session_id":"S-6","mode":"single","staff":{"id":"TA0123"},"cases":[{"project_no":"P","task_name":"\u2028登记<b>\u0000"}]}`,
		``,
		`null`,
		`[]`,
		`{"session_id":`,
		`{"session_id":1}`,
		`{"session_id":"S"}{"session_id":"S"}`,
		`{"session_id":"S","mode":"batch","staff":{"id":"x"},"cases":[{"project_no":"A","task_name":"a"},{"project_no":"A","task_name":"b"}]}`,
		`{"session_id":"S","mode":"single","staff":{"id":"x"},"cases":[{"project_no":"A","task_name":"a\u0007"}]}`,
		`{"session_id":"S","mode":"single","staff":{"id":"x"},"cases":[{"project_no":"A","task_name":"\u202e记登立设业企"}]}`,
		`{"session_id":"S","mode":"single","staff":{"id":"x","name":"王\u200b丽"},"cases":[{"project_no":"A","task_name":"139\u200b1234\u200b5678"}]}`,
		`{"session_id":"13912345678","mode":"single","staff":{"id":"11010519491231002X"},"cases":[{"project_no":"139-1234-5678","task_code":"+8613912345678","task_name":"a"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := rating.ParseSession(data)
		if err != nil {
			if !errors.Is(err, rating.ErrInvalidSession) {
				t.Fatalf("ParseSession error %v does not wrap ErrInvalidSession", err)
			}
			if !reflect.DeepEqual(s, rating.Session{}) {
				t.Fatalf("ParseSession returned %+v with error %v", s, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("parsed session does not validate: %v\n%+v", err, s)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := rating.ParseSession(b)
		if err != nil {
			t.Fatalf("round trip: ParseSession(%s): %v", b, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip:\n%+v\n%+v", s, again)
		}
		// No phone or resident ID number in what the pad keeps and shows.
		// The free-text fields are checked as the strings they are, not in
		// their JSON form: an escape such as \u0026 puts digits next to the
		// text's own and could fake a pattern that is not in the text.
		// Identifiers (session_id, staff.id, project_no, task_code) are
		// opaque codes and kept as sent; the photo is an image, and never
		// stored.
		texts := []string{s.Staff.Name}
		for _, c := range s.Cases {
			texts = append(texts, c.TaskName)
		}
		for _, x := range texts {
			if rating.MaskPersonal(x) != x {
				t.Fatalf("personal data kept in %q", x)
			}
		}
		// And the JSON of the free text, which the store holds, as well.
		free := struct {
			Staff string   `json:"staff"`
			Tasks []string `json:"tasks"`
		}{texts[0], texts[1:]}
		fb, _ := json.Marshal(free)
		var back struct {
			Staff string   `json:"staff"`
			Tasks []string `json:"tasks"`
		}
		if err := json.Unmarshal(fb, &back); err != nil || back.Staff != free.Staff || !reflect.DeepEqual(back.Tasks, free.Tasks) {
			t.Fatalf("free text does not survive JSON: %s", fb)
		}
	})
}

// FuzzMaskPersonal: masking never panics, keeps valid UTF-8 valid, and a
// masked text has nothing more to mask.
func FuzzMaskPersonal(f *testing.F) {
	for _, s := range []string{"手机139 1234 5678。", "+8613912345678", "身份证 110105 19491231 002X",
		"１３９１２３４５６７８", "37090020261125000123", "0538-8888888", "13812345678 13912345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := rating.MaskPersonal(s)
		if utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("MaskPersonal(%q) = %q: not UTF-8", s, m)
		}
		if again := rating.MaskPersonal(m); again != m {
			t.Fatalf("MaskPersonal not idempotent: %q → %q → %q", s, m, again)
		}
	})
}
