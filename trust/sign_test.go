package trust

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testKey is a fixed key: the test vectors below are reproducible.
var testKey = ed25519.NewKeyFromSeed([]byte("evalpad trust test vector seed!!"))

// vectorRecord is the record of doc.go's test vector.
const vectorRecord = `{"v":1,"id":"0190a1b2-c3d4-7e5f-8a6b-000000000001","seq":1234,"kind":"rating",` +
	`"device_id":"TA-ZWFW-W12","area_code":"370900","hall":"泰安市政务服务中心","window":"12",` +
	`"session_id":"S-20261125-0001","mode":"single","cases":[{"project_no":"37090020261125000123",` +
	`"task_code":"T1","task_name":"企业设立登记"}],"target":"","staff":{"id":"TA0123","name":"李四"},` +
	`"stars":2,"good":false,"reasons":["213","214"],"channel":"4","opened_at":"2026-11-25T10:02:40.000+08:00",` +
	`"at":"2026-11-25T10:03:12.123+08:00","flags":[],"sig":""}`

// The test vector in doc.go: its canonical bytes and its signature.
func TestRecordVector(t *testing.T) {
	canon, _, err := signedBytes(RecordDomain, []byte(vectorRecord))
	if err != nil {
		t.Fatal(err)
	}
	const wantCanon = RecordDomain + `{"area_code":"370900","at":"2026-11-25T10:03:12.123+08:00",` +
		`"cases":[{"project_no":"37090020261125000123","task_code":"T1","task_name":"企业设立登记"}],` +
		`"channel":"4","device_id":"TA-ZWFW-W12","flags":[],"good":false,"hall":"泰安市政务服务中心",` +
		`"id":"0190a1b2-c3d4-7e5f-8a6b-000000000001","kind":"rating","mode":"single",` +
		`"opened_at":"2026-11-25T10:02:40.000+08:00","reasons":["213","214"],"seq":1234,` +
		`"session_id":"S-20261125-0001","staff":{"id":"TA0123","name":"李四"},"stars":2,"target":"","v":1,"window":"12"}`
	if string(canon) != wantCanon {
		t.Fatalf("canonical form\n got %s\nwant %s", canon, wantCanon)
	}
	sig, err := Sign(testKey, RecordDomain, []byte(vectorRecord))
	if err != nil {
		t.Fatal(err)
	}
	const wantSig = "0mZBcyCPf-XeQCcvu_hcuCvGYd1l6n4xwjzr9xM4UFzbBQR4_AHwrUe3j3WU_82jDDbHibLrB6xB3Lwz2sv3Bw"
	if sig != wantSig {
		t.Errorf("signature %s, want %s (doc.go's vector)", sig, wantSig)
	}
	if pub := EncodePublicKey(Public(testKey)); pub != "3+x0VSAay/7Dkcj30MmryaZCXnwCOCj7799gy+6tAw0=" {
		t.Errorf("public key %s (doc.go's vector)", pub)
	}
}

func signed(t *testing.T, key ed25519.PrivateKey, domain, obj string) string {
	t.Helper()
	sig, err := Sign(key, domain, []byte(obj))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(obj, `"sig":""`, `"sig":"`+sig+`"`, 1)
}

// A signed record verifies with its pad's key, in any member order and
// spacing; a change to any value, another key, another domain, no sig or
// a mangled one does not.
func TestSignVerify(t *testing.T) {
	rec := signed(t, testKey, RecordDomain, vectorRecord)
	pub := Public(testKey)
	if err := Verify(pub, RecordDomain, []byte(rec)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// Same record, other order and spacing: the central may re-encode it.
	reordered := `{ "sig":` + rec[strings.Index(rec, `"sig":`)+6:len(rec)-1] + `, ` + rec[1:strings.Index(rec, `,"sig":`)] + "}"
	if err := Verify(pub, RecordDomain, []byte(reordered)); err != nil {
		t.Errorf("reordered: %v", err)
	}
	other := ed25519.NewKeyFromSeed([]byte("another pad's key, not this one!"))
	for _, tc := range []struct {
		name string
		pub  ed25519.PublicKey
		dom  string
		obj  string
		want error
	}{
		{"stars changed", pub, RecordDomain, strings.Replace(rec, `"stars":2`, `"stars":5`, 1), ErrBadSignature},
		{"seq changed", pub, RecordDomain, strings.Replace(rec, `"seq":1234`, `"seq":1235`, 1), ErrBadSignature},
		{"reason dropped", pub, RecordDomain, strings.Replace(rec, `"213",`, ``, 1), ErrBadSignature},
		{"flag added", pub, RecordDomain, strings.Replace(rec, `"flags":[]`, `"flags":["default"]`, 1), ErrBadSignature},
		{"member added", pub, RecordDomain, strings.Replace(rec, `{"v":1`, `{"x":0,"v":1`, 1), ErrBadSignature},
		{"another key", Public(other), RecordDomain, rec, ErrBadSignature},
		{"another domain", pub, EnrollDomain, rec, ErrBadSignature},
		{"unsigned", pub, RecordDomain, vectorRecord, ErrUnsigned},
		{"sig not base64url", pub, RecordDomain, strings.Replace(vectorRecord, `"sig":""`, `"sig":"+/+/"`, 1), ErrBadSignature},
		{"sig not a string", pub, RecordDomain, strings.Replace(vectorRecord, `"sig":""`, `"sig":1`, 1), ErrBadSignature},
		{"not an object", pub, RecordDomain, `["sig"]`, ErrNotCanonical},
		{"duplicate member", pub, RecordDomain, strings.Replace(rec, `{"v":1`, `{"v":1,"v":1`, 1), ErrNotCanonical},
		{"short key", ed25519.PublicKey{1, 2}, RecordDomain, rec, ErrBadSignature},
	} {
		if err := Verify(tc.pub, tc.dom, []byte(tc.obj)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// A downlink message is bound to its topic and expires.
func TestSignDown(t *testing.T) {
	const topic = "hcp/v1/TA-1/down/cmd"
	msg, err := SignDown(testKey, topic, []byte(`{"id":"c1","cmd":"pause","exp":"1999-01-01T00:00:00Z","sig":"x"}`), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pub := Public(testKey)
	exp, err := VerifyDown(pub, topic, msg, now)
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("VerifyDown: %v %v\n%s", exp, err, msg)
	}
	if !strings.Contains(string(msg), `"exp":"2026-11-25T11:00:00.000Z"`) || strings.Contains(string(msg), "1999") {
		t.Errorf("exp not replaced: %s", msg)
	}
	for _, tc := range []struct {
		name  string
		topic string
		msg   []byte
		at    time.Time
		want  error
	}{
		{"another pad's topic", "hcp/v1/TA-2/down/cmd", msg, now, ErrBadSignature},
		{"another kind", "hcp/v1/TA-1/down/session", msg, now, ErrBadSignature},
		{"expired", topic, msg, now.Add(time.Hour), ErrExpired},
		{"exp changed", topic, []byte(strings.Replace(string(msg), "11:00", "12:00", 1)), now, ErrBadSignature},
		{"unsigned", topic, []byte(`{"id":"c1","cmd":"pause"}`), now, ErrUnsigned},
	} {
		if _, err := VerifyDown(pub, tc.topic, tc.msg, tc.at); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	far, _ := SignDown(testKey, topic, []byte(`{"id":"c2"}`), now.Add(MaxLifetime+time.Minute))
	if _, err := VerifyDown(pub, topic, far, now); !errors.Is(err, ErrExpired) {
		t.Errorf("exp beyond MaxLifetime: %v", err)
	}
	noExp := signed(t, testKey, DownDomain(topic), `{"id":"c3","sig":""}`)
	if _, err := VerifyDown(pub, topic, []byte(noExp), now); !errors.Is(err, ErrExpired) {
		t.Errorf("no exp: %v", err)
	}
}

// Key files: made 0600, never replaced, refused when others can read them.
func TestKeyFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "device.key")
	k, created, err := LoadOrGenerateKey(path)
	if err != nil || !created {
		t.Fatalf("generate: %v %v", created, err)
	}
	st, _ := os.Stat(path)
	dir, _ := os.Stat(filepath.Dir(path))
	if st.Mode().Perm() != 0o600 || dir.Mode().Perm() != 0o700 {
		t.Errorf("modes %v %v", st.Mode(), dir.Mode())
	}
	k2, created, err := LoadOrGenerateKey(path)
	if err != nil || created || !k.Equal(k2) {
		t.Fatalf("load: %v %v", created, err)
	}
	if _, err := GenerateKey(path); err == nil {
		t.Error("GenerateKey replaced a key")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKey(path); !errors.Is(err, ErrKey) {
		t.Errorf("a 0644 key: %v", err)
	}
	os.WriteFile(filepath.Join(t.TempDir(), "x"), nil, 0o600)
	junk := filepath.Join(t.TempDir(), "junk.key")
	os.WriteFile(junk, []byte("not a key"), 0o600)
	if _, err := LoadKey(junk); !errors.Is(err, ErrKey) {
		t.Errorf("junk: %v", err)
	}
	pub := Public(k)
	if p, err := ParsePublicKey(EncodePublicKey(pub)); err != nil || !p.Equal(pub) {
		t.Errorf("public key round trip: %v", err)
	}
	for _, bad := range []string{"", "AAAA", "!!!", EncodePublicKey(pub)[:20]} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePublicKey(%q): %v", bad, err)
		}
	}
	if f := Fingerprint(pub); !strings.HasPrefix(f, "SHA256:") || len(f) != 50 || f != Fingerprint(pub) {
		t.Errorf("fingerprint %q", f)
	}
}

// Verify never panics and never accepts what it was not given signed.
func FuzzVerify(f *testing.F) {
	rec := vectorRecord
	sig, _ := Sign(testKey, RecordDomain, []byte(rec))
	f.Add([]byte(strings.Replace(rec, `"sig":""`, `"sig":"`+sig+`"`, 1)))
	f.Add([]byte(`{"sig":"AAAA"}`))
	f.Add([]byte(`{"exp":"2026-11-25T11:00:00Z","sig":null}`))
	pub := Public(testKey)
	f.Fuzz(func(t *testing.T, obj []byte) {
		if err := Verify(pub, RecordDomain, obj); err == nil {
			c, _, _ := signedBytes(RecordDomain, obj)
			want, _, _ := signedBytes(RecordDomain, []byte(vectorRecord))
			if string(c) != string(want) {
				t.Fatalf("verified something never signed: %s", obj)
			}
		}
		VerifyDown(pub, "hcp/v1/TA-1/down/ack", obj, now)
	})
}
