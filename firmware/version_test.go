package firmware

import "testing"

func TestCompareVersions(t *testing.T) {
	// Each list is in ascending order (SemVer 2.0.0's own example, then more).
	order := []string{
		"dev",
		"0.0.1",
		"0.9.0",
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
		"1.0.1", "1.2.0", "1.10.0", "2.0.0", "10.0.0",
	}
	for i, a := range order {
		for j, b := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := CompareVersions(a, b); got != want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
	same := [][2]string{
		{"1.2.3", "v1.2.3"},        // a leading v on the pad's own version
		{"1.2.3+build.5", "1.2.3"}, // build metadata does not order
		{"dev", "a9be416-dirty"},   // not a version: a development build
		{"dev", ""},
	}
	for _, p := range same {
		if got := CompareVersions(p[0], p[1]); got != 0 {
			t.Errorf("CompareVersions(%q, %q) = %d, want 0", p[0], p[1], got)
		}
	}
	if CompareVersions("dev", "0.0.0") != -1 || CompareVersions("a9be416", "0.0.0-0") != -1 {
		t.Error("a development build is not older than every release")
	}
}

func TestValidVersion(t *testing.T) {
	for _, v := range []string{"0.0.0", "1.2.3", "1.2.3-rc.1", "1.2.3-0.a-b", "1.2.3+20261129", "1.2.3-x+y.z", "18446744073709551615.0.0"} {
		if !ValidVersion(v) {
			t.Errorf("ValidVersion(%q) = false", v)
		}
	}
	for _, v := range []string{"", "dev", "v1.2.3", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01",
		"1.2.3-a..b", "1.2.3+", "1.2.3-a_b", " 1.2.3", "1.2.3\n", "1.-2.3", "18446744073709551616.0.0", "1.2.3-é"} {
		if ValidVersion(v) {
			t.Errorf("ValidVersion(%q) = true", v)
		}
	}
}
