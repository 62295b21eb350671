package receipt

import (
	"reflect"
	"testing"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		s    string
		cols int
		want []string
	}{
		{"", 10, nil},
		{"企业设立登记", 12, []string{"企业设立登记"}},
		{"企业设立登记", 11, []string{"企业设立登", "记"}},
		{"企业设立登记", 4, []string{"企业", "设立", "登记"}},
		{"ab企业", 5, []string{"ab企", "业"}},
		{"办件 ABC123 号", 8, []string{"办件", "ABC123", "号"}},
		{"x abcdefghij", 4, []string{"x ab", "cdef", "ghij"}}, // a word longer than a line breaks
		{"变更登记，章程备案", 8, []string{"变更登", "记，章程", "备案"}},       // no comma at a line start
		{"变更（公司）", 12, []string{"变更（公司）"}},                    // ")" fits
		{"变更（公司）", 10, []string{"变更（公", "司）"}},                // ")" would start a line: pull 司
		{"变更公司）", 8, []string{"变更公", "司）"}},
		{"a b", 1, []string{"a", "b"}}, // cols < 2 acts as 2
	} {
		got := wrap(tc.s, tc.cols)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.s, tc.cols, got, tc.want)
		}
		for _, l := range got {
			if w := width(l); w > max(tc.cols, 2) {
				t.Errorf("wrap(%q, %d): line %q is %d columns", tc.s, tc.cols, l, w)
			}
		}
	}
}

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "办件": 4, "窗口：12": 8, "·—": 4} {
		if got := width(s); got != want {
			t.Errorf("width(%q) = %d, want %d", s, got, want)
		}
	}
}
