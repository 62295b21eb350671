package trust

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// The examples of RFC 8785 sections 3.2.2 and 3.2.3.
func TestCanonicalRFC8785(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`, `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		{`{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001f600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{` [ ] `, `[]`},
		{`{"a":{"z":1,"b":[{"y":2,"x":"<&>\u2028"}]}}`, "{\"a\":{\"b\":[{\"x\":\"<&>\u2028\",\"y\":2}],\"z\":1}}"},
	} {
		got, err := Canonical([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Canonical(%s)\n got %s, %v\nwant %s", tc.in, got, err, tc.want)
		}
	}
}

// The number examples of RFC 8785 appendix B, as IEEE 754 bit patterns.
func TestES6Numbers(t *testing.T) {
	for _, tc := range []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"}, {0x8000000000000000, "0"}, {0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"}, {0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"}, {0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"}, {0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"}, {0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"}, {0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"}, {0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"}, {0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"}, {0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"}, {0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"}, {0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	} {
		f := math.Float64frombits(tc.bits)
		if got := es6Number(f); got != tc.want {
			t.Errorf("%016x (%v): %s, want %s", tc.bits, f, got, tc.want)
		}
		// and through the parser, from Go's own shortest form
		b, _ := json.Marshal(f)
		if got, err := Canonical(b); err != nil || string(got) != tc.want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", b, got, err, tc.want)
		}
	}
}

// What is not I-JSON is refused, never canonicalized into something else.
func TestCanonicalRefuses(t *testing.T) {
	var bad [8]byte
	binary.BigEndian.PutUint64(bad[:], 0)
	for _, in := range []string{
		`{"a":1,"a":2}`, `{"a":1`, `[1,]`, `{"a" 1}`, `01`, `1.`, `.5`, `-`, `1e`, `1e400`, `-1e400`, `"\ud800"`,
		`"\udc00\ud800"`, `"\ud800\u0041"`, "\"\xff\"", "\"a\nb\"", `"\x"`, `tru`, `{} {}`, `NaN`, `"\u12"`,
		string(make([]byte, 0)),
	} {
		if got, err := Canonical([]byte(in)); !errors.Is(err, ErrNotCanonical) {
			t.Errorf("Canonical(%q) = %s, %v; want ErrNotCanonical", in, got, err)
		}
	}
	deep := ""
	for range maxDepth + 2 {
		deep += "["
	}
	if _, err := Canonical([]byte(deep)); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("deep nesting: %v", err)
	}
}

// The canonical form is a fixed point, means what the input means, and
// does not depend on the input's member order or spacing.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":[1,2.5,"x"],"a":{"c":null,"d":true}}`, `"\u20ac\ud83d\ude00"`, `[1e30,-0,0.000001]`,
		`{"v":1,"id":"0190a1b2-c3d4-7e5f-8a6b-000000000001","seq":12,"reasons":["213"],"sig":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Canonical(in)
		if err != nil {
			return
		}
		c2, err := Canonical(c)
		if err != nil || string(c2) != string(c) {
			t.Fatalf("not a fixed point: %s → %s (%v)", c, c2, err)
		}
		var a, b any
		if json.Unmarshal(in, &a) != nil || json.Unmarshal(c, &b) != nil {
			t.Fatalf("Go's JSON reads %s or %s differently", in, c)
		}
		if !sameJSON(a, b) {
			t.Fatalf("the canonical form %s means something else than %s", c, in)
		}
	})
}

// sameJSON compares decoded JSON values, numbers by value (-0 is 0).
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
