package rating_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"evalpad/rating"
)

func codes(rs []rating.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}

func TestDefaultReasons(t *testing.T) {
	r := rating.DefaultReasons()
	if err := r.Validate(); err != nil {
		t.Fatalf("DefaultReasons().Validate() = %v", err)
	}
	if got, want := strings.Join(codes(r.For(1)), ","), "108,109,110,111,112,113,114,115"; got != want {
		t.Errorf("For(1) = %s, want %s", got, want)
	}
	if got, want := strings.Join(codes(r.For(2)), ","), "207,208,209,210,211,212,213,214"; got != want {
		t.Errorf("For(2) = %s, want %s", got, want)
	}
	for s := rating.Stars(3); s <= 5; s++ {
		if got := r.For(s); got != nil {
			t.Errorf("For(%d) = %v, want nil: 好评 asks no reasons", s, got)
		}
	}
	// Fresh copies: changing one does not change the next.
	r.One[0].Code = "999"
	if rating.DefaultReasons().One[0].Code != "108" {
		t.Error("DefaultReasons shares its slices between calls")
	}
}

func TestReasonsHas(t *testing.T) {
	r := rating.DefaultReasons()
	for _, tc := range []struct {
		s    rating.Stars
		code string
		want bool
	}{
		{1, "108", true},
		{1, "115", true},
		{1, "207", false},
		{2, "207", true},
		{2, "214", true},
		{2, "115", false},
		{2, "215", false},
		{2, "", false},
		{3, "207", false},
		{0, "108", false},
	} {
		if got := r.Has(tc.s, tc.code); got != tc.want {
			t.Errorf("Has(%d, %q) = %v, want %v", tc.s, tc.code, got, tc.want)
		}
	}
}

func TestReasonsCheck(t *testing.T) {
	r := rating.DefaultReasons()
	for _, tc := range []struct {
		name  string
		s     rating.Stars
		codes []string
		bad   string // the code the error names; "" = no error
	}{
		{"none", 2, nil, ""},
		{"one 2★", 2, []string{"213"}, ""},
		{"two 2★", 2, []string{"213", "214"}, ""},
		{"all 1★", 1, []string{"108", "109", "110", "111", "112", "113", "114", "115"}, ""},
		{"1★ code on 2★", 2, []string{"213", "108"}, `"108"`},
		{"2★ code on 1★", 1, []string{"207"}, `"207"`},
		{"unknown", 2, []string{"299"}, `"299"`},
		{"empty code", 2, []string{""}, `""`},
		{"twice", 2, []string{"213", "214", "213"}, `"213" given twice`},
		{"good level", 4, []string{"207"}, `"207"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Check(tc.s, tc.codes)
			if tc.bad == "" {
				if err != nil {
					t.Fatalf("Check(%d, %q) = %v, want nil", tc.s, tc.codes, err)
				}
				return
			}
			if !errors.Is(err, rating.ErrUnknownReason) {
				t.Fatalf("Check(%d, %q) = %v, want ErrUnknownReason", tc.s, tc.codes, err)
			}
			if !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("Check(%d, %q) = %q, want it to name %s", tc.s, tc.codes, err, tc.bad)
			}
		})
	}
}

func TestReasonsValidate(t *testing.T) {
	ok := []rating.Reason{{"1", "一"}}
	many := make([]rating.Reason, rating.MaxReasons+1)
	for i := range many {
		many[i] = rating.Reason{Code: fmt.Sprint(100 + i), Text: "原因"}
	}
	for _, tc := range []struct {
		name  string
		r     rating.Reasons
		field string // "" = valid
	}{
		{"default", rating.DefaultReasons(), ""},
		{"custom", rating.Reasons{One: []rating.Reason{{"A1", "甲"}}, Two: []rating.Reason{{"B1", "乙"}, {"B2", "丙"}}}, ""},
		{"max", rating.Reasons{One: many[:rating.MaxReasons], Two: []rating.Reason{{"x", "y"}}}, ""},
		{"text 40 runes", rating.Reasons{One: ok, Two: []rating.Reason{{"2", strings.Repeat("字", 40)}}}, ""},
		{"code 16", rating.Reasons{One: ok, Two: []rating.Reason{{strings.Repeat("9", 16), "y"}}}, ""},
		{"empty 1", rating.Reasons{Two: ok}, "reasons.1"},
		{"empty 2", rating.Reasons{One: ok}, "reasons.2"},
		{"too many", rating.Reasons{One: many, Two: []rating.Reason{{"x", "y"}}}, "reasons.1"},
		{"empty code", rating.Reasons{One: ok, Two: []rating.Reason{{"2", "b"}, {"", "c"}}}, "reasons.2[1].code"},
		{"long code", rating.Reasons{One: ok, Two: []rating.Reason{{strings.Repeat("9", 17), "c"}}}, "reasons.2[0].code"},
		{"empty text", rating.Reasons{One: []rating.Reason{{"1", ""}}, Two: ok}, "reasons.1[0].text"},
		{"long text", rating.Reasons{One: ok, Two: []rating.Reason{{"2", strings.Repeat("字", 41)}}}, "reasons.2[0].text"},
		{"dup in level", rating.Reasons{One: []rating.Reason{{"1", "a"}, {"1", "b"}}, Two: []rating.Reason{{"2", "c"}}}, "reasons.1[1].code"},
		{"dup across levels", rating.Reasons{One: ok, Two: []rating.Reason{{"2", "b"}, {"1", "c"}}}, "reasons.2[1].code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %s", tc.field)
			}
			if !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("Validate() = %q, want it to start with %q", err, tc.field+":")
			}
		})
	}
}
