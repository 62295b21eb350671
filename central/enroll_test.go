package central

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/central/passwd"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

func TestCode(t *testing.T) {
	c := NewCode()
	if len(c) != 24 || strings.Count(c, "-") != 4 || strings.ContainsAny(c, "ILOU") {
		t.Errorf("NewCode() = %q", c)
	}
	if NewCode() == c {
		t.Error("two codes alike")
	}
	for _, typed := range []string{strings.ToLower(c), strings.ReplaceAll(c, "-", ""), strings.ReplaceAll(c, "-", " ")} {
		if CodeHash(typed) != CodeHash(c) {
			t.Errorf("%q hashes apart from %q", typed, c)
		}
	}
	if CodeHash("0O1IL-x") != CodeHash("00111-X") {
		t.Error("O is not read as 0, or I and L as 1")
	}
}

// enrollRig is the enrollment route on a store of its own.
type enrollRig struct {
	st  *SQLStore
	key []byte
	srv *httptest.Server
	now time.Time
	ev  []string // OnEnrolled: device how
}

func newEnrollRig(t *testing.T, dsn string) *enrollRig {
	r := &enrollRig{st: openStore(t, dsn), now: time.Now()}
	key := testKey(t)
	r.key = key
	e := &Enroller{Store: r.st, Key: key, Broker: func(*http.Request) string { return "ssl://hub.example:8883" }, CA: "-----BEGIN CERTIFICATE-----\n",
		Limiter: &Limiter{Max: 5}, Now: func() time.Time { return r.now },
		OnEnrolled: func(d Registered, how string) { r.ev = append(r.ev, d.DeviceID+" "+how) }}
	r.srv = httptest.NewServer(e)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *enrollRig) code(t *testing.T, dev string, newKey bool, cfg *protocol.Config) string {
	c, _, err := IssueCode(context.Background(), r.st, dev, time.Hour, newKey, cfg, r.now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *enrollRig) post(t *testing.T, body []byte) (int, string) {
	resp, err := http.Post(r.srv.URL, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	var v json.RawMessage
	json.NewDecoder(resp.Body).Decode(&v)
	b.Write(v)
	return resp.StatusCode, b.String()
}

func TestEnroll(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testEnroll(t, newEnrollRig(t, b.open(t))) })
	}
}

func testEnroll(t *testing.T, r *enrollRig) {
	ctx := context.Background()
	pad := centraltest.NewPad("TA-ZWFW-W12")
	hall := "泰安市政务服务中心"
	code := r.code(t, pad.ID, false, &protocol.Config{Hall: &hall})
	// Refused, and the code stays usable: a bad signature, a clock far off,
	// another device's request.
	req := pad.EnrollRequest(t, code, r.now)
	var m map[string]any
	json.Unmarshal(req, &m)
	m["version"] = "v9.9.9" // changed after signing
	forged, _ := json.Marshal(m)
	other := centraltest.NewPad("TA-OTHER")
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		err    string
	}{
		{"malformed", []byte(`{"v":1}`), 400, "code"},
		{"changed after signing", forged, 403, "bad signature"},
		{"clock an hour off", pad.EnrollRequest(t, code, r.now.Add(time.Hour)), 400, "clock"},
		{"another device with this code", other.EnrollRequest(t, code, r.now), 403, "another device"},
		{"unknown code", pad.EnrollRequest(t, NewCode(), r.now), 403, "unknown"},
	} {
		if st, body := r.post(t, tc.body); st != tc.status || !strings.Contains(body, tc.err) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, st, body, tc.status, tc.err)
		}
	}
	st, body := r.post(t, pad.EnrollRequest(t, code, r.now))
	if st != 200 {
		t.Fatalf("enroll: %d %s", st, body)
	}
	resp, err := protocol.ParseEnrollResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.DeviceID != pad.ID || resp.Username != pad.ID || resp.Broker != "ssl://hub.example:8883" || resp.CA == "" ||
		resp.CentralKey != trust.EncodePublicKey(trust.Public(r.key)) || len(resp.ReceiptKey) < 32 || resp.ReceiptKeyID == "" ||
		resp.Config == nil || *resp.Config.Hall != hall {
		t.Errorf("response %+v", resp)
	}
	d, err := r.st.Device(ctx, pad.ID)
	if err != nil || !d.PublicKey.Equal(trust.Public(pad.Key)) || d.Hardware["arch"] != "arm64" || d.Version != "v1.0.0-test" ||
		d.Status != DeviceActive || d.Config == nil {
		t.Fatalf("registered %+v %v", d, err)
	}
	if ok, _ := passwd.Verify(d.MQTTHash, resp.Password); !ok || strings.Contains(d.MQTTHash, resp.Password) {
		t.Error("the stored hash is not of the password handed out")
	}
	// The code is used.
	if st, body := r.post(t, pad.EnrollRequest(t, code, r.now)); st != 403 || !strings.Contains(body, "already used") {
		t.Errorf("code used twice: %d %s", st, body)
	}
	// A new code renews the credentials: same key, new password, the old one
	// stops working, the enrollment date of the key stays.
	r.now = r.now.Add(time.Hour)
	st, body = r.post(t, pad.EnrollRequest(t, r.code(t, pad.ID, false, nil), r.now))
	resp2, _ := protocol.ParseEnrollResponse([]byte(body))
	d2, _ := r.st.Device(ctx, pad.ID)
	if st != 200 || resp2.Password == resp.Password || !d2.EnrolledAt.Equal(d.EnrolledAt) || d2.Config == nil {
		t.Errorf("renew: %d %+v %+v", st, resp2, d2)
	}
	if ok, _ := passwd.Verify(d2.MQTTHash, resp.Password); ok {
		t.Error("the old password still works after renewal")
	}
	if ok, _ := passwd.Verify(d2.MQTTHash, resp2.Password); !ok {
		t.Error("the new password does not work")
	}
	if rk, _ := r.st.ReceiptKeys(ctx); len(rk) != 1 || rk[resp2.ReceiptKeyID] != resp.ReceiptKey {
		t.Errorf("receipt keys %v: one central-wide key, handed to every pad", rk)
	}
	// A replaced pad (a new key): refused with a plain code, taken with --new-key.
	repl := centraltest.NewPad(pad.ID)
	if st, body := r.post(t, repl.EnrollRequest(t, r.code(t, pad.ID, false, nil), r.now)); st != 409 || !strings.Contains(body, d.Fingerprint) {
		t.Errorf("new key with a plain code: %d %s", st, body)
	}
	if st, body := r.post(t, repl.EnrollRequest(t, r.code(t, pad.ID, true, nil), r.now)); st != 200 {
		t.Errorf("new key with a --new-key code: %d %s", st, body)
	}
	d3, _ := r.st.Device(ctx, pad.ID)
	if !d3.PublicKey.Equal(trust.Public(repl.Key)) || !d3.EnrolledAt.Equal(r.now.UTC().Truncate(time.Millisecond)) {
		t.Errorf("replaced: %+v", d3)
	}
	if want := []string{pad.ID + " new", pad.ID + " renewed", pad.ID + " replaced"}; strings.Join(r.ev, ",") != strings.Join(want, ",") {
		t.Errorf("OnEnrolled %v, want %v", r.ev, want)
	}
	// An expired code; and a newer code replaces an unused older one.
	old := r.code(t, other.ID, false, nil)
	newer := r.code(t, other.ID, false, nil)
	if st, body := r.post(t, other.EnrollRequest(t, old, r.now)); st != 403 || !strings.Contains(body, "unknown") {
		t.Errorf("superseded code: %d %s", st, body)
	}
	r.now = r.now.Add(2 * time.Hour)
	if st, body := r.post(t, other.EnrollRequest(t, newer, r.now)); st != 403 || !strings.Contains(body, "expired") {
		t.Errorf("expired code: %d %s", st, body)
	}
}

// TestEnrollRateLimit: after Max failed codes a client is refused, a valid
// code included, until the window ends.
func TestEnrollRateLimit(t *testing.T) {
	r := newEnrollRig(t, t.TempDir()+"/e.db")
	pad := centraltest.NewPad("TA-1")
	for i := range 5 {
		if st, _ := r.post(t, pad.EnrollRequest(t, NewCode(), r.now)); st != 403 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	code := r.code(t, pad.ID, false, nil)
	if st, _ := r.post(t, pad.EnrollRequest(t, code, r.now)); st != 429 {
		t.Errorf("after 5 bad codes: %d, want 429", st)
	}
	r.now = r.now.Add(11 * time.Minute)
	if st, body := r.post(t, pad.EnrollRequest(t, code, r.now)); st != 200 {
		t.Errorf("after the window: %d %s", st, body)
	}
}

// FuzzEnroll: whatever a client posts, the route answers 400, 403, 409
// or 429 with a JSON error, never panics, and never registers a device (a
// fuzzed body is not signed by the key it carries with a valid code).
// fuzz: 20000x
func FuzzEnroll(f *testing.F) {
	pad := centraltest.NewPad("TA-1")
	st := openStore(f, f.TempDir()+"/e.db")
	e := &Enroller{Store: st, Key: testKey(f), Broker: func(*http.Request) string { return "tcp://127.0.0.1:1883" }}
	code, _, err := IssueCode(context.Background(), st, "TA-1", time.Hour, false, nil, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pad.EnrollRequest(f, "ABCD-EFGH-JKMN-PQRS-TVWX", time.Now()))
	f.Add(pad.EnrollRequest(f, code, time.Now().Add(time.Hour)))
	f.Add([]byte(`{"v":1,"code":"x","device_id":"TA-1","public_key":"AAAA","version":"1","at":"2026-01-01T00:00:00Z","sig":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest("POST", protocol.EnrollPath, strings.NewReader(string(body))))
		switch w.Code {
		case 400, 403, 409, 429:
			var out struct{ Error string }
			if json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Error == "" {
				t.Fatalf("%d without an error: %s", w.Code, w.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}

func TestLimiter(t *testing.T) {
	l := &Limiter{Max: 2, Window: time.Minute}
	t0 := time.Unix(1000, 0)
	if !l.Allow("a", t0) {
		t.Fatal("refused before any failure")
	}
	l.Fail("a", t0)
	l.Fail("a", t0.Add(time.Second))
	if l.Allow("a", t0.Add(2*time.Second)) || !l.Allow("b", t0) {
		t.Error("a not refused after 2 failures, or b refused")
	}
	if !l.Allow("a", t0.Add(time.Minute)) {
		t.Error("a still refused after the window")
	}
}
