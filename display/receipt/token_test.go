package receipt_test

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"evalpad/display/receipt"
)

// testKeys is what the tests' central knows: k1 (testKey), k2, and the
// key of v1 tokens.
var testKeys = receipt.Keys{
	ByID: map[string][]byte{"k1": testKey, "k2": []byte("fedcba9876543210fedcba9876543210")},
	V1:   testKey,
}

func TestTokenFraming(t *testing.T) {
	tok := receipt.TokenV2(testK, testHost, "37090020261125000123", testDevice, testExp)
	kid, rest, _ := strings.Cut(tok, ".")
	exp, mac, _ := strings.Cut(rest, ".")
	if kid != "k1" || exp != strconv.FormatInt(testExp.Unix(), 36) || len(mac) != 22 || strings.ContainsAny(mac, "+/=.") {
		t.Fatalf("token %q: want k1.<exp base 36>.<22 base64url characters>", tok)
	}
	if len(tok) != 2+1+6+1+22 {
		t.Errorf("token %q is %d characters", tok, len(tok))
	}
	// Every input changes the MAC, and fields that a naive concatenation
	// or separator would confuse do not collide.
	seen := map[string]string{}
	for _, f := range []struct {
		name               string
		key                receipt.Key
		host, project, dev string
		exp                time.Time
	}{
		{"genuine", testK, testHost, "P", "D", testExp},
		{"host", testK, "hcp.example.gov.cn:8443", "P", "D", testExp},
		{"project", testK, testHost, "P2", "D", testExp},
		{"device", testK, testHost, "P", "D2", testExp},
		{"moved", testK, testHost, "PD", "", testExp},
		{"moved back", testK, testHost, "", "PD", testExp},
		{"key id", receipt.Key{ID: "k2", Secret: testKey}, testHost, "P", "D", testExp},
		{"secret", receipt.Key{ID: "k1", Secret: []byte("another key 0123456789abcdef0123")}, testHost, "P", "D", testExp},
		{"expiry", testK, testHost, "P", "D", testExp.Add(time.Second)},
	} {
		tok := receipt.TokenV2(f.key, f.host, f.project, f.dev, f.exp)
		mac := tok[strings.LastIndex(tok, ".")+1:]
		if prev, ok := seen[mac]; ok {
			t.Errorf("%s: the same MAC as %s", f.name, prev)
		}
		seen[mac] = f.name
	}
	if receipt.TokenV2(testK, "HCP.example.gov.cn", "P", "D", testExp) != receipt.TokenV2(testK, testHost, "P", "D", testExp) {
		t.Error("the host's case changes the token")
	}
	// v1, as pads printed it before.
	seen1 := map[string][2]string{}
	for _, f := range [][2]string{{"ab", "c"}, {"a", "bc"}, {"abc", ""}, {"", "abc"}, {"a\x00", "b"}, {"a", "\x00b"}} {
		tok := receipt.TokenV1(testKey, f[0], f[1])
		if prev, ok := seen1[tok]; ok {
			t.Errorf("TokenV1(%q, %q) == TokenV1(%q, %q)", f[0], f[1], prev[0], prev[1])
		}
		seen1[tok] = f
	}
}

func TestScanURL(t *testing.T) {
	tok := func(p string) string { return receipt.TokenV2(testK, testHost, p, testDevice, testExp) }
	for _, tc := range []struct {
		base, project, want string
	}{
		{testBase, "37090020261125000123", testBase + "?p=37090020261125000123&d=TA-ZWFW-W12&t=" + tok("37090020261125000123")},
		{testBase + "?", "370900-2026/11+25&1", ""},
		{testBase + "?src=pad", "P1", testBase + "?src=pad&p=P1&d=TA-ZWFW-W12&t=" + tok("P1")},
		{testBase + "?src=pad&", "P1", testBase + "?src=pad&p=P1&d=TA-ZWFW-W12&t=" + tok("P1")},
		{"https://HCP.example.gov.cn/rate", "办件1", "https://HCP.example.gov.cn/rate?p=%E5%8A%9E%E4%BB%B61&d=TA-ZWFW-W12&t=" + tok("办件1")},
	} {
		u, err := receipt.ScanURL(tc.base, testK, tc.project, testDevice, testExp)
		if err != nil {
			t.Fatalf("ScanURL(%q, %q): %v", tc.base, tc.project, err)
		}
		if tc.want != "" && u != tc.want {
			t.Errorf("ScanURL(%q, %q) = %q, want %q", tc.base, tc.project, u, tc.want)
		}
		s, err := receipt.VerifyURL(testKeys, testHost, testAt, u)
		want := receipt.Scan{ProjectNo: tc.project, DeviceID: testDevice, Version: 2, KeyID: "k1", Expires: time.Unix(testExp.Unix(), 0)}
		if err != nil || s != want {
			t.Errorf("VerifyURL(%q) = %+v, %v; want %+v", u, s, err, want)
		}
	}
	for _, tc := range []struct {
		name, base, project, device string
		key                         receipt.Key
		want                        error
	}{
		{"short key", testBase, "P", "D", receipt.Key{ID: "k1", Secret: []byte("short")}, receipt.ErrKey},
		{"nil key", testBase, "P", "D", receipt.Key{ID: "k1"}, receipt.ErrKey},
		{"no key id", testBase, "P", "D", receipt.Key{Secret: testKey}, receipt.ErrKey},
		{"dot in key id", testBase, "P", "D", receipt.Key{ID: "k.1", Secret: testKey}, receipt.ErrKey},
		{"long key id", testBase, "P", "D", receipt.Key{ID: strings.Repeat("k", 17), Secret: testKey}, receipt.ErrKey},
		{"empty project", testBase, "", "D", testK, receipt.ErrURL},
		{"empty device", testBase, "P", "", testK, receipt.ErrURL},
		{"space in project", testBase, "P 1", "D", testK, receipt.ErrURL},
		{"control in device", testBase, "P", "D\n", testK, receipt.ErrURL},
		{"long project", testBase, strings.Repeat("1", 65), "D", testK, receipt.ErrURL},
		{"bad UTF-8", testBase, "\xff", "D", testK, receipt.ErrURL},
		{"relative base", "/rate", "P", "D", testK, receipt.ErrURL},
		{"ftp base", "ftp://x/rate", "P", "D", testK, receipt.ErrURL},
		{"base with p", testBase + "?p=1", "P", "D", testK, receipt.ErrURL},
		{"base with t", testBase + "?a=1&t=x", "P", "D", testK, receipt.ErrURL},
		{"base with fragment", testBase + "#x", "P", "D", testK, receipt.ErrURL},
		{"base unparsable", "https://[::1", "P", "D", testK, receipt.ErrURL},
	} {
		u, err := receipt.ScanURL(tc.base, tc.key, tc.project, tc.device, testExp)
		if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "receipt: ") {
			t.Errorf("%s: ScanURL = %q, %v; want %v", tc.name, u, err, tc.want)
		}
	}
}

func TestVerifyURLTampering(t *testing.T) {
	const project = "37090020261125000123"
	good, err := receipt.ScanURL(testBase, testK, project, testDevice, testExp)
	if err != nil {
		t.Fatal(err)
	}
	tok := receipt.TokenV2(testK, testHost, project, testDevice, testExp)
	kid, exp, mac := parts(tok)
	v1 := receipt.TokenV1(testKey, project, testDevice)
	mk := func(k receipt.Key, host string, e time.Time) string {
		return receipt.TokenV2(k, host, project, testDevice, e)
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
	now, beforeCutoff := testAt, receipt.V1Cutoff().Add(-time.Second)
	other := receipt.Key{ID: "k2", Secret: testKeys.ByID["k2"]}
	for _, tc := range []struct {
		name string
		keys receipt.Keys
		host string
		now  time.Time
		url  string
		want error // nil: verifies
	}{
		{"genuine", testKeys, testHost, now, good, nil},
		{"genuine, fields reordered", testKeys, testHost, now, testBase + "?t=" + tok + "&d=" + testDevice + "&p=" + project, nil},
		{"genuine, extra field", testKeys, testHost, now, testBase + "?utm=1&p=" + project + "&d=" + testDevice + "&t=" + tok, nil},
		{"genuine, host in capitals", testKeys, "HCP.EXAMPLE.GOV.CN", now, "https://Hcp.Example.gov.cn/rate?p=" + project + "&d=" + testDevice + "&t=" + tok, nil},
		{"genuine, escaped field name", testKeys, testHost, now, testBase + "?%70=" + project + "&d=" + testDevice + "&t=" + tok, nil},
		{"genuine, a second before expiry", testKeys, testHost, testExp.Add(-time.Second), good, nil},
		{"another host", testKeys, testHost, now, "https://evil.example/rate?p=" + project + "&d=" + testDevice + "&t=" + tok, receipt.ErrHost},
		{"another port", testKeys, testHost, now, "https://hcp.example.gov.cn:8443/rate?p=" + project + "&d=" + testDevice + "&t=" + tok, receipt.ErrHost},
		{"made for another host", testKeys, "evil.example", now, "https://evil.example/rate?p=" + project + "&d=" + testDevice + "&t=" + tok, receipt.ErrToken},
		{"no host expected", testKeys, "", now, good, receipt.ErrHost},
		{"expired", testKeys, testHost, testExp, good, receipt.ErrExpired},
		{"expiry too far ahead", testKeys, testHost, now, q(project, testDevice, mk(testK, testHost, now.Add(receipt.MaxLifetime+time.Hour))), receipt.ErrExpired},
		{"expiry pushed back", testKeys, testHost, testExp, q(project, testDevice, kid+"."+strconv.FormatInt(testExp.Unix()+86400, 36)+"."+mac), receipt.ErrToken},
		{"expiry in capitals", testKeys, testHost, now, q(project, testDevice, kid+"."+strings.ToUpper(exp)+"."+mac), receipt.ErrToken},
		{"expiry with a leading zero", testKeys, testHost, now, q(project, testDevice, kid+".0"+exp+"."+mac), receipt.ErrToken},
		{"expiry negative", testKeys, testHost, now, q(project, testDevice, kid+".-"+exp+"."+mac), receipt.ErrToken},
		{"unknown key id", testKeys, testHost, now, q(project, testDevice, "k9."+exp+"."+mac), receipt.ErrKeyID},
		{"key id of another key", testKeys, testHost, now, q(project, testDevice, "k2."+exp+"."+mac), receipt.ErrToken},
		{"made with another key", testKeys, testHost, now, q(project, testDevice, mk(receipt.Key{ID: "k1", Secret: other.Secret}, testHost, testExp)), receipt.ErrToken},
		{"key id removed", testKeys, testHost, now, q(project, testDevice, "."+exp+"."+mac), receipt.ErrToken},
		{"part added", testKeys, testHost, now, q(project, testDevice, tok+".x"), receipt.ErrToken},
		{"project_no edited", testKeys, testHost, now, q("37090020261125000124", testDevice, tok), receipt.ErrToken},
		{"project_no extended", testKeys, testHost, now, q(project+"0", testDevice, tok), receipt.ErrToken},
		{"device edited", testKeys, testHost, now, q(project, "TA-ZWFW-W13", tok), receipt.ErrToken},
		{"device case", testKeys, testHost, now, q(project, "ta-zwfw-w12", tok), receipt.ErrToken},
		{"fields swapped", testKeys, testHost, now, q(testDevice, project, tok), receipt.ErrToken},
		{"MAC first char", testKeys, testHost, now, q(project, testDevice, kid+"."+exp+"."+flip(mac, 0)), receipt.ErrToken},
		{"MAC last char low bits", testKeys, testHost, now, q(project, testDevice, kid+"."+exp+"."+mac[:21]+string(mac[21]^1)), receipt.ErrToken},
		{"MAC truncated", testKeys, testHost, now, q(project, testDevice, tok[:len(tok)-1]), receipt.ErrToken},
		{"MAC padded", testKeys, testHost, now, q(project, testDevice, tok+"=="), receipt.ErrToken},
		{"v1 before the cutoff", testKeys, testHost, beforeCutoff, q(project, testDevice, v1), nil},
		{"v1 at the cutoff", testKeys, testHost, receipt.V1Cutoff(), q(project, testDevice, v1), receipt.ErrExpired},
		{"v1 on another host", testKeys, testHost, now, "https://evil.example/rate?p=" + project + "&d=" + testDevice + "&t=" + v1, receipt.ErrHost},
		{"v1 altered", testKeys, testHost, now, q(project+"0", testDevice, v1), receipt.ErrToken},
		{"v1 without a v1 key", receipt.Keys{ByID: testKeys.ByID}, testHost, now, q(project, testDevice, v1), receipt.ErrKeyID},
		{"no project", testKeys, testHost, now, testBase + "?d=" + testDevice + "&t=" + tok, receipt.ErrURL},
		{"no device", testKeys, testHost, now, testBase + "?p=" + project + "&t=" + tok, receipt.ErrURL},
		{"no token", testKeys, testHost, now, testBase + "?p=" + project + "&d=" + testDevice, receipt.ErrURL},
		{"project twice", testKeys, testHost, now, good + "&p=" + project, receipt.ErrURL},
		{"token twice", testKeys, testHost, now, good + "&t=" + tok, receipt.ErrURL},
		{"empty project", testKeys, testHost, now, q("", testDevice, tok), receipt.ErrURL},
		{"bad escape", testKeys, testHost, now, good + "&x=%zz", receipt.ErrURL},
		{"semicolon", testKeys, testHost, now, good + ";x=1", receipt.ErrURL},
		{"not a URL", testKeys, testHost, now, "%", receipt.ErrURL},
		{"empty", testKeys, testHost, now, "", receipt.ErrHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := receipt.VerifyURL(tc.keys, tc.host, tc.now, tc.url)
			if tc.want == nil {
				if err != nil || s.ProjectNo != project || s.DeviceID != testDevice {
					t.Fatalf("VerifyURL(%q) = %+v, %v; want %q, %q", tc.url, s, err, project, testDevice)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyURL(%q) = %+v, %v; want %v", tc.url, s, err, tc.want)
			}
			if s != (receipt.Scan{}) {
				t.Errorf("VerifyURL returned %+v with an error", s)
			}
			if !strings.HasPrefix(err.Error(), "receipt: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func parts(tok string) (kid, exp, mac string) {
	kid, rest, _ := strings.Cut(tok, ".")
	exp, mac, _ = strings.Cut(rest, ".")
	return kid, exp, mac
}

// FuzzVerifyURL: VerifyURL never panics, and whatever it accepts carries
// exactly the genuine token of the fields it returns; the fuzzer, not
// knowing the keys, can only get there from the genuine seeds.
func FuzzVerifyURL(f *testing.F) {
	good, err := receipt.ScanURL(testBase, testK, "37090020261125000123", testDevice, testExp)
	if err != nil {
		f.Fatal(err)
	}
	tok := receipt.TokenV2(testK, testHost, "37090020261125000123", testDevice, testExp)
	v1 := receipt.TokenV1(testKey, "37090020261125000123", testDevice)
	for _, s := range []string{
		good,
		testBase + "?t=" + tok + "&d=" + testDevice + "&p=37090020261125000123",
		testBase + "?p=37090020261125000124&d=" + testDevice + "&t=" + tok,
		testBase + "?p=37090020261125000123&d=" + testDevice + "&t=" + v1,
		testBase + "?p=1&d=2&t=k1.3.4",
		testBase + "?p=%&d=2&t=3",
		"", "?", "%", "https://[::1", "https://x/?p=&d=&t=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := receipt.VerifyURL(testKeys, testHost, testAt, raw)
		if err != nil {
			if s != (receipt.Scan{}) {
				t.Fatalf("%+v returned with error %v", s, err)
			}
			for _, e := range []error{receipt.ErrURL, receipt.ErrToken, receipt.ErrKeyID, receipt.ErrExpired, receipt.ErrHost} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("error %v is none of the package's", err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("VerifyURL accepted %q that url.Parse rejects: %v", raw, err)
		}
		q := u.Query()
		want := receipt.TokenV2(receipt.Key{ID: s.KeyID, Secret: testKeys.ByID[s.KeyID]}, u.Host, s.ProjectNo, s.DeviceID, s.Expires)
		if s.Version == 1 {
			want = receipt.TokenV1(testKeys.V1, s.ProjectNo, s.DeviceID)
		}
		if q.Get("p") != s.ProjectNo || q.Get("d") != s.DeviceID || q.Get("t") != want {
			t.Fatalf("VerifyURL accepted %q as %+v; genuine token %q", raw, s, want)
		}
		if s.ProjectNo != "37090020261125000123" || s.DeviceID != testDevice {
			t.Fatalf("VerifyURL accepted fields the key never signed: %+v", s)
		}
	})
}
