package localapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/pad/localapi"
	"evalpad/pad/padtest"
	"evalpad/rating"
	"evalpad/store"
)

type fixture struct {
	srv   *httptest.Server
	pad   *pad.Pad
	store *store.Store
	path  string
}

func newFixture(t *testing.T, token string) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "evalpad.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := padtest.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	p, err := pad.New(pad.Settings{
		Origin: rating.Origin{DeviceID: "TA-ZWFW-W12"}, Reasons: rating.DefaultReasons(),
		SessionTimeout: 10 * time.Minute, ReasonsTimeout: time.Minute, ThanksDuration: 3 * time.Second,
	}, st, clock, rand.Reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	mux := http.NewServeMux()
	(&localapi.API{Pad: bare{p, st}, Token: token, Repair: st}).Register(mux)
	guard := localapi.NewGuard(mux, localapi.GuardOptions{Listen: "127.0.0.1:8080", Rate: 20, Burst: 40, Clock: clock})
	f := &fixture{srv: httptest.NewServer(guard), pad: p, store: st, path: path}
	t.Cleanup(func() {
		f.srv.Close()
		p.Close()
		if err := f.store.Check(); err != nil {
			t.Error(err)
		}
		f.store.Close()
	})
	return f
}

// bare is the localapi.Pad of a pad and its store alone: the agent adds
// the staff photo, the printer and the faults.
type bare struct {
	*pad.Pad
	st *store.Store
}

func (b bare) State() localapi.State {
	out, _ := b.st.Stats()
	return localapi.State{View: b.Pad.View(), Outbox: out, Version: "test", Faults: []string{}}
}

func (f *fixture) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %q", method, path, data)
	}
	return resp.StatusCode, out
}

const single = `{"session_id":"S-1","mode":"single","staff":{"id":"TA0123","name":"李四"},
 "cases":[{"project_no":"37090020261125000123","task_code":"T1","task_name":"企业设立登记"}]}`

func TestOpenSessionAnswers(t *testing.T) {
	f := newFixture(t, "")
	code, out := f.do(t, "POST", "/api/v1/sessions", "", single)
	if code != http.StatusCreated || out["screen"] != "rate" {
		t.Fatalf("open: %d %v", code, out)
	}
	if code, out = f.do(t, "POST", "/api/v1/sessions", "", single); code != http.StatusOK || out["already_open"] != true {
		t.Errorf("re-sent open: %d %v, want 200 already_open", code, out)
	}
	f.pad.Press(5)
	if code, out = f.do(t, "POST", "/api/v1/sessions", "", single); code != http.StatusConflict {
		t.Errorf("re-open of a rated session: %d %v, want 409 (一次一评)", code, out)
	}
	code, out = f.do(t, "GET", "/api/v1/state", "", "")
	if code != 200 || out["screen"] != "thanks" {
		t.Fatalf("state: %d %v", code, out)
	}
	outbox, _ := out["outbox"].(map[string]any)
	if outbox["pending"] != float64(1) {
		t.Errorf("state outbox = %v, want pending 1", outbox)
	}
}

func TestMalformedSessionChangesNothing(t *testing.T) {
	f := newFixture(t, "")
	for _, tc := range []struct{ body, names string }{
		{``, "empty"},
		{`{"session_id":"S-1","mode":`, "payload"},
		{`[1,2]`, "payload"},
		{`{"session_id":"S-1","mode":"single","staff":{"id":"TA0123"},"cases":[]}`, "cases"},
		{`{"session_id":"S-1","mode":"solo","staff":{"id":"TA0123"},"cases":[{"project_no":"P1","task_name":"x"}]}`, "mode"},
		{`{"session_id":"S-1","mode":"batch","staff":{"id":"TA0123"},"cases":[{"project_no":"P1","task_name":"x"}]}`, "cases"},
		{`{"session_id":"S-1","mode":"single","staff":{"id":"TA0123"},"cases":[{"project_no":"","task_name":"x"}]}`, "cases[0].project_no"},
		{`{"session_id":42,"mode":"single"}`, "session_id"},
		{`{"session_id":"S-1","mode":"single","staff":{"id":"TA0123"},"cases":[{"project_no":"P1","task_name":"x"}]} {}`, "payload"},
	} {
		code, out := f.do(t, "POST", "/api/v1/sessions", "", tc.body)
		msg, _ := out["error"].(string)
		if code < 400 || code >= 500 || !strings.Contains(msg, tc.names) {
			t.Errorf("%q: %d %q, want a 4xx naming %q", tc.body, code, msg, tc.names)
		}
	}
	if v := f.pad.View(); v.Screen != pad.ScreenIdle || v.Session != nil {
		t.Errorf("a rejected session changed the pad: %+v", v)
	}
	if sess, _ := f.store.Session(); sess != nil {
		t.Errorf("a rejected session was stored: %s", sess)
	}
	big := `{"session_id":"S-1","mode":"single","staff":{"id":"TA0123","photo":"data:image/png;base64,` +
		strings.Repeat("A", rating.MaxSessionBytes) + `"}}`
	if code, _ := f.do(t, "POST", "/api/v1/sessions", "", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized payload: %d, want 413", code)
	}
}

func TestToken(t *testing.T) {
	const tok = "0123456789abcdef-secret"
	f := newFixture(t, tok)
	methods := map[string]string{"/api/v1/state": "GET", "/api/v1/sessions": "POST", "/api/v1/store": "GET",
		"/api/v1/store/clear-damage": "POST", "/api/v1/pause": "POST", "/api/v1/receipts": "POST"}
	for path, method := range methods {
		for _, bad := range []string{"", "wrong-token-0123456789"} {
			if code, _ := f.do(t, method, path, bad, single); code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", method, path, bad, code)
			}
		}
	}
	if v := f.pad.View(); v.Session != nil {
		t.Error("an unauthorized request opened a session")
	}
	if code, _ := f.do(t, "POST", "/api/v1/sessions", tok, single); code != http.StatusCreated {
		t.Errorf("with the token: %d, want 201", code)
	}
	if code, rep := f.do(t, "GET", "/api/v1/store", tok, ""); code != http.StatusOK || len(rep["damage"].([]any)) != 0 || len(rep["quarantined"].([]any)) != 0 {
		t.Errorf("store report of a sound store: %d %v", code, rep)
	}
}

func TestPauseResume(t *testing.T) {
	f := newFixture(t, "")
	f.do(t, "POST", "/api/v1/sessions", "", single)
	if code, _ := f.do(t, "POST", "/api/v1/pause", "", ""); code != http.StatusConflict {
		t.Errorf("pause with a session waiting: %d, want 409", code)
	}
	f.pad.Press(4)
	code, out := f.do(t, "POST", "/api/v1/pause", "", "")
	if code != 200 || out["screen"] != "paused" {
		t.Fatalf("pause: %d %v", code, out)
	}
	if code, _ := f.do(t, "POST", "/api/v1/sessions", "", strings.Replace(single, "S-1", "S-2", 1)); code != http.StatusConflict {
		t.Errorf("open while paused: %d, want 409", code)
	}
	if code, out := f.do(t, "POST", "/api/v1/resume", "", ""); code != 200 || out["screen"] != "idle" {
		t.Errorf("resume: %d %v", code, out)
	}
}

// TestApplicantDataNeverStored sends a session full of applicant data, rates
// it, and searches the bbolt file's bytes for any of it.
func TestApplicantDataNeverStored(t *testing.T) {
	f := newFixture(t, "")
	body := `{"session_id":"S-9","mode":"theme","applicant":{"name":"王小明","phone":"13912345678","id_number":"11010519491231002X"},
	 "applicant_name":"王小明","mobile":"13912345678",
	 "staff":{"id":"TA0123","name":"李四","phone":"13700001111","photo":"data:image/png;base64,iVBORw0KGgoSECRETPHOTO"},
	 "cases":[{"project_no":"37090020261125000123","task_name":"企业设立登记 王小明 13912345678","applicant":"王小明","id_card":"11010519491231002X"},
	          {"project_no":"37090020261125000124","task_name":"税务登记 身份证11010519491231002X"}]}`
	if code, out := f.do(t, "POST", "/api/v1/sessions", "", body); code != http.StatusCreated {
		t.Fatalf("open: %d %v", code, out)
	}
	if out, err := f.pad.Press(5); err != nil || out.Result != pad.ResultRecorded {
		t.Fatalf("press: %+v %v", out, err)
	}
	code, state := f.do(t, "GET", "/api/v1/state", "", "")
	stateJSON, _ := json.Marshal(state)
	f.store.Close()
	file, err := os.ReadFile(f.path)
	if err != nil || code != 200 {
		t.Fatal(err)
	}
	for _, secret := range []string{"13912345678", "11010519491231002X", "13700001111", "SECRETPHOTO"} {
		if bytes.Contains(file, []byte(secret)) {
			t.Errorf("the store file holds %q", secret)
		}
		if bytes.Contains(stateJSON, []byte(secret)) {
			t.Errorf("the state shows %q", secret)
		}
	}
	// The applicant's name in a field the pad does not keep is gone; the pad
	// cannot recognise a bare name inside a task name (README says so).
	if bytes.Contains(file, []byte(`"applicant`)) || bytes.Contains(file, []byte("id_card")) {
		t.Error("applicant fields reached the store")
	}
	reopen, err := store.Open(f.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.store = reopen
}
