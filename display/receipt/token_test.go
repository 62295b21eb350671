package receipt_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"evalpad/display/receipt"
)

func TestTokenFraming(t *testing.T) {
	tok := receipt.Token(testKey, "37090020261125000123", testDevice)
	if len(tok) != 22 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q: want 22 unpadded base64url characters", tok)
	}
	if tok != receipt.Token(testKey, "37090020261125000123", testDevice) {
		t.Fatal("token is not deterministic")
	}
	// Pairs that a naive concatenation or separator would confuse.
	seen := map[string][2]string{}
	for _, f := range [][2]string{
		{"ab", "c"}, {"a", "bc"}, {"abc", ""}, {"", "abc"},
		{"a|b", "c"}, {"a", "b|c"}, {"a\x00", "b"}, {"a", "\x00b"},
		{"a\x00\x00\x00\x01b", ""}, {"a", "b"},
	} {
		tok := receipt.Token(testKey, f[0], f[1])
		if prev, ok := seen[tok]; ok {
			t.Errorf("Token(%q, %q) == Token(%q, %q)", f[0], f[1], prev[0], prev[1])
		}
		seen[tok] = f
	}
	if receipt.Token(testKey, "P", "D") == receipt.Token([]byte("another key 0123456789abcdef0123"), "P", "D") {
		t.Error("token does not depend on the key")
	}
}

func TestScanURL(t *testing.T) {
	for _, tc := range []struct {
		base, project, want string
	}{
		{testBase, "37090020261125000123", testBase + "?p=37090020261125000123&d=TA-ZWFW-W12&t=" + receipt.Token(testKey, "37090020261125000123", testDevice)},
		{testBase + "?", "370900-2026/11+25&1", ""},
		{testBase + "?src=pad", "P1", testBase + "?src=pad&p=P1&d=TA-ZWFW-W12&t=" + receipt.Token(testKey, "P1", testDevice)},
		{testBase + "?src=pad&", "P1", testBase + "?src=pad&p=P1&d=TA-ZWFW-W12&t=" + receipt.Token(testKey, "P1", testDevice)},
		{"http://10.0.0.5:8080/rate", "办件1", "http://10.0.0.5:8080/rate?p=%E5%8A%9E%E4%BB%B61&d=TA-ZWFW-W12&t=" + receipt.Token(testKey, "办件1", testDevice)},
	} {
		u, err := receipt.ScanURL(tc.base, testKey, tc.project, testDevice)
		if err != nil {
			t.Fatalf("ScanURL(%q, %q): %v", tc.base, tc.project, err)
		}
		if tc.want != "" && u != tc.want {
			t.Errorf("ScanURL(%q, %q) = %q, want %q", tc.base, tc.project, u, tc.want)
		}
		p, d, err := receipt.VerifyURL(testKey, u)
		if err != nil || p != tc.project || d != testDevice {
			t.Errorf("VerifyURL(%q) = %q, %q, %v; want %q, %q", u, p, d, err, tc.project, testDevice)
		}
	}
	for _, tc := range []struct {
		name, base, project, device string
		key                         []byte
		want                        error
	}{
		{"short key", testBase, "P", "D", []byte("short"), receipt.ErrKey},
		{"nil key", testBase, "P", "D", nil, receipt.ErrKey},
		{"empty project", testBase, "", "D", testKey, receipt.ErrURL},
		{"empty device", testBase, "P", "", testKey, receipt.ErrURL},
		{"space in project", testBase, "P 1", "D", testKey, receipt.ErrURL},
		{"control in device", testBase, "P", "D\n", testKey, receipt.ErrURL},
		{"long project", testBase, strings.Repeat("1", 65), "D", testKey, receipt.ErrURL},
		{"bad UTF-8", testBase, "\xff", "D", testKey, receipt.ErrURL},
		{"relative base", "/rate", "P", "D", testKey, receipt.ErrURL},
		{"ftp base", "ftp://x/rate", "P", "D", testKey, receipt.ErrURL},
		{"base with p", testBase + "?p=1", "P", "D", testKey, receipt.ErrURL},
		{"base with t", testBase + "?a=1&t=x", "P", "D", testKey, receipt.ErrURL},
		{"base with fragment", testBase + "#x", "P", "D", testKey, receipt.ErrURL},
		{"base unparsable", "https://[::1", "P", "D", testKey, receipt.ErrURL},
	} {
		u, err := receipt.ScanURL(tc.base, tc.key, tc.project, tc.device)
		if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "receipt: ") {
			t.Errorf("%s: ScanURL = %q, %v; want %v", tc.name, u, err, tc.want)
		}
	}
}

func TestVerifyURLTampering(t *testing.T) {
	const project = "37090020261125000123"
	good, err := receipt.ScanURL(testBase, testKey, project, testDevice)
	if err != nil {
		t.Fatal(err)
	}
	tok := receipt.Token(testKey, project, testDevice)
	other := []byte("fedcba9876543210fedcba9876543210")
	forged, err := receipt.ScanURL(testBase, other, project, testDevice)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, i int) string { // change one character of s to another base64url one
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	q := func(p, d, t string) string {
		return testBase + "?p=" + url.QueryEscape(p) + "&d=" + url.QueryEscape(d) + "&t=" + t
	}
	for _, tc := range []struct {
		name string
		key  []byte
		url  string
		want error // nil: verifies
	}{
		{"genuine", testKey, good, nil},
		{"genuine, fields reordered", testKey, testBase + "?t=" + tok + "&d=" + testDevice + "&p=" + project, nil},
		{"genuine, other host and extra field", testKey, "https://evil.example/x?utm=1&p=" + project + "&d=" + testDevice + "&t=" + tok, nil},
		{"genuine, escaped field name", testKey, testBase + "?%70=" + project + "&d=" + testDevice + "&t=" + tok, nil},
		{"project_no edited", testKey, q("37090020261125000124", testDevice, tok), receipt.ErrToken},
		{"project_no prefix", testKey, q("3709002026112500012", testDevice, tok), receipt.ErrToken},
		{"project_no extended", testKey, q(project+"0", testDevice, tok), receipt.ErrToken},
		{"device edited", testKey, q(project, "TA-ZWFW-W13", tok), receipt.ErrToken},
		{"device case", testKey, q(project, "ta-zwfw-w12", tok), receipt.ErrToken},
		{"fields swapped", testKey, q(testDevice, project, tok), receipt.ErrToken},
		{"field moved across", testKey, q(project+"T", "A-ZWFW-W12", tok), receipt.ErrToken},
		{"token first char", testKey, q(project, testDevice, flip(tok, 0)), receipt.ErrToken},
		{"token last char", testKey, q(project, testDevice, flip(tok, 21)), receipt.ErrToken},
		{"token last char low bits", testKey, q(project, testDevice, tok[:21]+string(tok[21]^1)), receipt.ErrToken},
		{"token truncated", testKey, q(project, testDevice, tok[:21]), receipt.ErrToken},
		{"token extended", testKey, q(project, testDevice, tok+"A"), receipt.ErrToken},
		{"token padded", testKey, q(project, testDevice, tok+"=="), receipt.ErrToken},
		{"token std base64", testKey, q(project, testDevice, strings.NewReplacer("-", "+", "_", "/").Replace(tok)+"x"), receipt.ErrToken},
		{"token empty", testKey, q(project, testDevice, ""), receipt.ErrToken},
		{"token of another key", testKey, forged, receipt.ErrToken},
		{"verified with another key", other, good, receipt.ErrToken},
		{"no project", testKey, testBase + "?d=" + testDevice + "&t=" + tok, receipt.ErrURL},
		{"no device", testKey, testBase + "?p=" + project + "&t=" + tok, receipt.ErrURL},
		{"no token", testKey, testBase + "?p=" + project + "&d=" + testDevice, receipt.ErrURL},
		{"project twice", testKey, good + "&p=" + project, receipt.ErrURL},
		{"token twice", testKey, good + "&t=" + tok, receipt.ErrURL},
		{"empty project", testKey, q("", testDevice, receipt.Token(testKey, "", testDevice)), receipt.ErrURL},
		{"bad escape", testKey, good + "&x=%zz", receipt.ErrURL},
		{"semicolon", testKey, good + ";x=1", receipt.ErrURL},
		{"not a URL", testKey, "%", receipt.ErrURL},
		{"empty", testKey, "", receipt.ErrURL},
		{"short key", []byte("k"), good, receipt.ErrKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, d, err := receipt.VerifyURL(tc.key, tc.url)
			if tc.want == nil {
				if err != nil || p != project || d != testDevice {
					t.Fatalf("VerifyURL(%q) = %q, %q, %v; want %q, %q", tc.url, p, d, err, project, testDevice)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyURL(%q) = %q, %q, %v; want %v", tc.url, p, d, err, tc.want)
			}
			if p != "" || d != "" {
				t.Errorf("VerifyURL returned fields %q, %q with an error", p, d)
			}
			if !strings.HasPrefix(err.Error(), "receipt: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// FuzzVerifyURL: VerifyURL never panics, and whatever it accepts carries
// exactly the genuine token of the fields it returns; the fuzzer, not
// knowing the key, can only get there from the genuine seeds.
func FuzzVerifyURL(f *testing.F) {
	good, err := receipt.ScanURL(testBase, testKey, "37090020261125000123", testDevice)
	if err != nil {
		f.Fatal(err)
	}
	tok := receipt.Token(testKey, "37090020261125000123", testDevice)
	for _, s := range []string{
		good,
		testBase + "?t=" + tok + "&d=" + testDevice + "&p=37090020261125000123",
		testBase + "?p=37090020261125000124&d=" + testDevice + "&t=" + tok,
		testBase + "?p=1&d=2&t=3",
		testBase + "?p=%&d=2&t=3",
		"", "?", "%", "https://[::1", "https://x/?p=&d=&t=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, d, err := receipt.VerifyURL(testKey, raw)
		if err != nil {
			if p != "" || d != "" {
				t.Fatalf("fields %q, %q returned with error %v", p, d, err)
			}
			if !errors.Is(err, receipt.ErrURL) && !errors.Is(err, receipt.ErrToken) {
				t.Fatalf("error %v is neither ErrURL nor ErrToken", err)
			}
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("VerifyURL accepted %q that url.Parse rejects: %v", raw, err)
		}
		q := u.Query()
		if q.Get("p") != p || q.Get("d") != d || q.Get("t") != receipt.Token(testKey, p, d) {
			t.Fatalf("VerifyURL accepted %q: p=%q d=%q t=%q, genuine token %q", raw, p, d, q.Get("t"), receipt.Token(testKey, p, d))
		}
		if p != "37090020261125000123" || d != testDevice {
			t.Fatalf("VerifyURL accepted fields the key never signed: %q, %q", p, d)
		}
	})
}
