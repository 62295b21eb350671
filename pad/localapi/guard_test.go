package localapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"evalpad/pad/localapi"
	"evalpad/pad/padtest"
)

// send makes one request to f's server with the headers given ("Host"
// sets the Host line) and returns the status.
func (f *fixture) send(t *testing.T, method, path, body string, headers map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (f *fixture) noSession(t *testing.T) {
	t.Helper()
	if v := f.pad.View(); v.Session != nil {
		t.Fatalf("a refused request opened session %s", v.Session.ID)
	}
}

// TestCrossSiteSimplePost is the attack on a pad without api.token: a web
// page in the hall's browser POSTs a session as text/plain (a "simple"
// request that the browser sends without asking the pad first).
func TestCrossSiteSimplePost(t *testing.T) {
	f := newFixture(t, "")
	for _, h := range []map[string]string{
		{"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example"},
		{"Content-Type": "text/plain"}, // a browser that sent no Origin
		{"Content-Type": "application/x-www-form-urlencoded"},
		{"Content-Type": "multipart/form-data; boundary=x"},
	} {
		want := http.StatusUnsupportedMediaType
		if h["Origin"] != "" {
			want = http.StatusForbidden
		}
		if code := f.send(t, "POST", "/api/v1/sessions", single, h); code != want {
			t.Errorf("POST with %v: %d, want %d", h, code, want)
		}
	}
	// A cross-site POST with no body at all (pause) carries the Origin.
	if code := f.send(t, "POST", "/api/v1/pause", "", map[string]string{"Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Errorf("cross-site pause: %d, want 403", code)
	}
	f.noSession(t)
	if v := f.pad.View(); v.Screen != "idle" {
		t.Errorf("screen %s after refused requests, want idle", v.Screen)
	}
}

// TestNonJSONBody: a body must say application/json; no body needs no type.
func TestNonJSONBody(t *testing.T) {
	f := newFixture(t, "")
	if code := f.send(t, "POST", "/api/v1/sessions", single, nil); code != http.StatusUnsupportedMediaType {
		t.Errorf("a body without Content-Type: %d, want 415", code)
	}
	if code := f.send(t, "POST", "/api/v1/sessions", single, map[string]string{"Content-Type": "application/jsonx"}); code != http.StatusUnsupportedMediaType {
		t.Errorf("application/jsonx: %d, want 415", code)
	}
	f.noSession(t)
	if code := f.send(t, "POST", "/api/v1/sessions", single, map[string]string{"Content-Type": "application/json; charset=utf-8"}); code != http.StatusCreated {
		t.Errorf("application/json; charset=utf-8: %d, want 201", code)
	}
	f.pad.Press(4)
	if code := f.send(t, "POST", "/api/v1/pause", "", nil); code != http.StatusOK {
		t.Errorf("pause without a body: %d, want 200", code)
	}
}

// TestForeignHost is DNS rebinding: a page on evil.example whose name now
// points at the pad calls it with Host: evil.example.
func TestForeignHost(t *testing.T) {
	f := newFixture(t, "")
	for _, host := range []string{"evil.example", "evil.example:8080", "192.168.1.20:8080", "localhost.evil.example", "127.0.0.1.evil.example"} {
		if code := f.send(t, "GET", "/api/v1/state", "", map[string]string{"Host": host}); code != http.StatusMisdirectedRequest {
			t.Errorf("GET state with Host %s: %d, want 421", host, code)
		}
		h := map[string]string{"Host": host, "Content-Type": "application/json"}
		if code := f.send(t, "POST", "/api/v1/sessions", single, h); code != http.StatusMisdirectedRequest {
			t.Errorf("POST session with Host %s: %d, want 421", host, code)
		}
	}
	f.noSession(t)
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.0.0.2"} {
		if code := f.send(t, "GET", "/api/v1/state", "", map[string]string{"Host": host}); code != http.StatusOK {
			t.Errorf("GET state with Host %s: %d, want 200", host, code)
		}
	}
}

// TestHostsAndOrigins: api.hosts and api.origins let the pad's LAN name and
// the business system's page in, and nothing else.
func TestHostsAndOrigins(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	g := localapi.NewGuard(ok, localapi.GuardOptions{Listen: "192.168.1.20:8080",
		Hosts: []string{"pad-w12.hall.lan", "fe80::1"}, Origins: []string{"http://zc.hall.lan"}})
	for _, tc := range []struct {
		host, origin string
		want         int
	}{
		{"192.168.1.20:8080", "", http.StatusNoContent}, // listen's host
		{"pad-w12.hall.lan:8080", "", http.StatusNoContent},
		{"PAD-W12.hall.lan", "", http.StatusNoContent},
		{"[fe80::1]:8080", "", http.StatusNoContent},
		{"192.168.1.21:8080", "", http.StatusMisdirectedRequest},
		{"", "", http.StatusMisdirectedRequest},
		{"192.168.1.20:8080", "http://192.168.1.20:8080", http.StatusNoContent}, // its own origin
		{"pad-w12.hall.lan:8080", "http://pad-w12.hall.lan:8080", http.StatusNoContent},
		{"192.168.1.20:8080", "http://zc.hall.lan", http.StatusNoContent},
		{"192.168.1.20:8080", "http://evil.example", http.StatusForbidden},
		{"192.168.1.20:8080", "null", http.StatusForbidden},
		{"192.168.1.20:8080", "https://192.168.1.20:8080", http.StatusForbidden}, // another scheme
		{"192.168.1.20:8080", "http://192.168.1.20:8081", http.StatusForbidden},  // another port
		{"192.168.1.20:8080", "http://pad-w12.hall.lan:8080", http.StatusForbidden},
	} {
		req := httptest.NewRequest("GET", "/api/v1/state", nil)
		req.Host, req.RemoteAddr = tc.host, "192.168.1.9:40000"
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Host %q Origin %q: %d, want %d", tc.host, tc.origin, rec.Code, tc.want)
		}
	}
	// Listening on every interface names no host: only loopback and api.hosts.
	g = localapi.NewGuard(ok, localapi.GuardOptions{Listen: "0.0.0.0:8080"})
	for host, want := range map[string]int{"0.0.0.0:8080": 421, "192.168.1.20:8080": 421, "127.0.0.1:8080": 204} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("listen 0.0.0.0, Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}

// TestForeignOrigin through the server: a foreign Origin is refused on
// every route, reads included; the page's own origin passes.
func TestForeignOrigin(t *testing.T) {
	const tok = "0123456789abcdef-secret"
	f := newFixture(t, tok)
	auth := "Bearer " + tok
	for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1.evil.example"} {
		if code := f.send(t, "GET", "/api/v1/state", "", map[string]string{"Origin": origin, "Authorization": auth}); code != http.StatusForbidden {
			t.Errorf("GET state from %s: %d, want 403", origin, code)
		}
		h := map[string]string{"Origin": origin, "Authorization": auth, "Content-Type": "application/json"}
		if code := f.send(t, "POST", "/api/v1/sessions", single, h); code != http.StatusForbidden {
			t.Errorf("POST session from %s: %d, want 403", origin, code)
		}
	}
	f.noSession(t)
	h := map[string]string{"Origin": f.srv.URL, "Authorization": auth, "Content-Type": "application/json"}
	if code := f.send(t, "POST", "/api/v1/sessions", single, h); code != http.StatusCreated {
		t.Errorf("POST session from its own origin %s: %d, want 201", f.srv.URL, code)
	}
}

// TestRateLimit drives the guard on a fake clock: a LAN client gets its
// burst, then 429 with Retry-After until tokens come back at the rate;
// another client has its own bucket, an IPv6 /64 shares one, and the
// loopback is not limited.
func TestRateLimit(t *testing.T) {
	clock := padtest.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	g := localapi.NewGuard(ok, localapi.GuardOptions{Listen: "0.0.0.0:8080", Hosts: []string{"192.168.1.20"}, Rate: 20, Burst: 40, Clock: clock})
	from := func(remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/state", nil)
		req.Host, req.RemoteAddr = "192.168.1.20:8080", remote
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		return rec
	}
	burst := func(remote string, n int) {
		t.Helper()
		for i := range n {
			if rec := from(remote); rec.Code != http.StatusNoContent {
				t.Fatalf("%s request %d: %d, want 204", remote, i+1, rec.Code)
			}
		}
	}
	burst("192.168.1.9:40000", 40)
	rec := from("192.168.1.9:40001")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("41st request: %d Retry-After %q, want 429 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	burst("192.168.1.10:40000", 40) // another client: its own bucket
	clock.Advance(50 * time.Millisecond)
	burst("192.168.1.9:40000", 1) // one token back after 1/20 s
	if rec := from("192.168.1.9:40000"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("after the token came back and was taken: %d, want 429", rec.Code)
	}
	clock.Advance(2 * time.Second)
	burst("192.168.1.9:40000", 40) // full again, never above the burst
	if rec := from("192.168.1.9:40000"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("past a refilled burst: %d, want 429", rec.Code)
	}
	burst("[2001:db8::1]:40000", 20)
	burst("[2001:db8::2]:40000", 20)
	if rec := from("[2001:db8::3]:40000"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a third address of the same /64: %d, want 429 (one bucket)", rec.Code)
	}
	burst("[2001:db8:0:1::1]:40000", 40)
	burst("127.0.0.1:40000", 1000)
	burst("[::1]:40000", 1000)
}
