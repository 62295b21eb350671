package rating_test

import (
	"testing"

	"evalpad/rating"
)

func TestStars(t *testing.T) {
	for _, tc := range []struct {
		s      rating.Stars
		valid  bool
		good   bool
		word   string
		String string
	}{
		{0, false, false, "", "Stars(0)"},
		{1, true, false, "非常不满意", "1★ 非常不满意"},
		{2, true, false, "不满意", "2★ 不满意"},
		{3, true, true, "基本满意", "3★ 基本满意"},
		{4, true, true, "满意", "4★ 满意"},
		{5, true, true, "非常满意", "5★ 非常满意"},
		{-1, false, false, "", "Stars(-1)"},
		{6, false, true, "", "Stars(6)"},
	} {
		if got := tc.s.Valid(); got != tc.valid {
			t.Errorf("Stars(%d).Valid() = %v, want %v", int(tc.s), got, tc.valid)
		}
		if got := tc.s.Good(); tc.valid && got != tc.good {
			t.Errorf("Stars(%d).Good() = %v, want %v", int(tc.s), got, tc.good)
		}
		if got := tc.s.Word(); got != tc.word {
			t.Errorf("Stars(%d).Word() = %q, want %q", int(tc.s), got, tc.word)
		}
		if got := tc.s.String(); got != tc.String {
			t.Errorf("Stars(%d).String() = %q, want %q", int(tc.s), got, tc.String)
		}
	}
	if rating.Stars(0).Good() {
		t.Error("Stars(0).Good() = true: an unrated record is no 好评")
	}
}
