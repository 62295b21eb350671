package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

type sent struct {
	topic    string
	retained bool
	payload  []byte
}

// TestDownlinks: commands, sessions and configs go out signed for their
// topic with an exp and an id of their own; a config is kept and signed
// again with a new id; what is malformed or for no registered pad is
// refused before anything is sent.
func TestDownlinks(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, b.open(t))
			key := testKey(t)
			pub := trust.Public(key)
			now := time.Now()
			pad := centraltest.NewPad("TA-1")
			enrollPad(t, st, pad, key, now)
			var out []sent
			d := &Downlinks{Key: key, Store: st, Now: func() time.Time { return now },
				Publish: func(_ context.Context, topic string, retained bool, payload []byte) error {
					out = append(out, sent{topic, retained, payload})
					return nil
				}}
			check := func(kind string, body string, ttl time.Duration, suffix string, retained bool, exp time.Duration) map[string]any {
				t.Helper()
				dl, err := d.Send(ctx, pad.ID, kind, []byte(body), ttl)
				if err != nil {
					t.Fatalf("%s: %v", kind, err)
				}
				s := out[len(out)-1]
				if s.topic != protocol.Topic(pad.ID, suffix) || s.retained != retained {
					t.Errorf("%s sent on %s retained=%v", kind, s.topic, s.retained)
				}
				got, err := trust.VerifyDown(pub, s.topic, s.payload, now)
				if err != nil || !got.Equal(now.Add(exp).Truncate(time.Millisecond)) {
					t.Errorf("%s: exp %v, %v; want now+%v", kind, got, err, exp)
				}
				if _, err := trust.VerifyDown(pub, protocol.Topic("TA-2", suffix), s.payload, now); err == nil {
					t.Errorf("%s verifies for another pad's topic", kind)
				}
				var m map[string]any
				json.Unmarshal(s.payload, &m)
				if dl.ID == "" || (m["id"] != dl.ID && m["session_id"] != dl.ID) {
					t.Errorf("%s: id %q, message %v", kind, dl.ID, m)
				}
				return m
			}
			m := check(KindCmd, `{"cmd":"message","text":"请稍候","id":"mine"}`, 0, protocol.DownCmd, false, DefaultCmdLifetime)
			if m["text"] != "请稍候" || m["id"] == "mine" {
				t.Errorf("cmd %v", m)
			}
			m2 := check(KindCmd, `{"cmd":"pause"}`, 5*time.Minute, protocol.DownCmd, false, 5*time.Minute)
			if m2["id"] == m["id"] {
				t.Error("two commands with one id")
			}
			check(KindSession, `{"session_id":"S-1","mode":"single","staff":{"id":"TA0123","name":"李四"},
				"cases":[{"project_no":"P1","task_code":"T001","task_name":"企业设立登记"}],"applicant":"张三"}`, 0, protocol.DownSession, false, DefaultSessionLifetime)
			if strings.Contains(string(out[len(out)-1].payload), "张三") {
				t.Error("a field the session does not have was sent on")
			}
			cm := check(KindConfig, `{"window":"12","hall":"泰安市政务服务中心"}`, 0, protocol.DownConfig, true, ConfigLifetime)
			dev, _ := st.Device(ctx, pad.ID)
			if dev.Config == nil || *dev.Config.Window != "12" || dev.Config.ID != "" {
				t.Errorf("stored config %+v", dev.Config)
			}
			n, err := d.ResignConfigs(ctx)
			if err != nil || n != 1 {
				t.Fatalf("resign: %d %v", n, err)
			}
			var again map[string]any
			json.Unmarshal(out[len(out)-1].payload, &again)
			if again["id"] == cm["id"] || again["window"] != "12" || !out[len(out)-1].retained {
				t.Errorf("signed again: %v (first %v)", again, cm)
			}
			list, err := st.Downlinks(ctx, pad.ID, 10)
			if err != nil || len(list) != 5 {
				t.Fatalf("downlinks %d %v", len(list), err)
			}
			if err := st.SetDownlinkResult(ctx, pad.ID, m["id"].(string), []byte(`{"id":"x","ok":true}`), now); err != nil {
				t.Error(err)
			}
			// The answer to a redelivery (the retained config at each
			// connection, refused as a replay) does not replace the first.
			replay := fmt.Sprintf(`{"id":%q,"ok":false,"error":"refused: replay"}`, m["id"])
			if err := st.SetDownlinkResult(ctx, pad.ID, m["id"].(string), []byte(replay), now.Add(time.Minute)); err != nil {
				t.Error(err)
			}
			list, _ = st.Downlinks(ctx, pad.ID, 10)
			for _, dl := range list {
				if dl.ID == m["id"] && (!strings.Contains(string(dl.Result), `"ok":true`) || dl.ResultAt == nil || dl.ResultAt.UnixMilli() != now.UnixMilli()) {
					t.Errorf("the answer kept: %s at %v, want the first (ok) at %v", dl.Result, dl.ResultAt, now)
				}
			}
			if err := st.SetDownlinkResult(ctx, "TA-2", m["id"].(string), []byte(`{"ok":true}`), now); !errors.Is(err, ErrNoDownlink) {
				t.Errorf("another pad answered a message it was not sent: %v", err)
			}
			before := len(out)
			for _, tc := range []struct {
				dev, kind, body string
				ttl             time.Duration
				err             error
			}{
				{pad.ID, KindCmd, `{"cmd":"selfdestruct"}`, 0, ErrDownlink},
				{pad.ID, KindCmd, `{"cmd":"message"}`, 0, ErrDownlink},
				{pad.ID, KindSession, `{"session_id":"S-2"}`, 0, ErrDownlink},
				{pad.ID, KindConfig, `{"window":""}`, 0, ErrDownlink},
				{pad.ID, KindCmd, `{"cmd":"pause"}`, 8 * 24 * time.Hour, ErrDownlink},
				{"TA-GHOST", KindCmd, `{"cmd":"pause"}`, 0, ErrNoDevice},
			} {
				if _, err := d.Send(ctx, tc.dev, tc.kind, []byte(tc.body), tc.ttl); !errors.Is(err, tc.err) {
					t.Errorf("%s %s: %v, want %v", tc.kind, tc.body, err, tc.err)
				}
			}
			if len(out) != before {
				t.Error("a refused message was sent")
			}
		})
	}
}

// TestSendRoutes: sending needs an operator's token; a supervisor's reads.
func TestSendRoutes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir()+"/h.db")
	key := testKey(t)
	pad := centraltest.NewPad("TA-1")
	enrollPad(t, st, pad, key, time.Now())
	d := &Downlinks{Key: key, Store: st, Publish: func(context.Context, string, bool, []byte) error { return nil }}
	mux := http.NewServeMux()
	(&API{Auth: &Auth{Tokens: st}, Store: st, Registry: st, Downlinks: d}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sup, _ := IssueToken(ctx, st, RoleSupervisor, "", time.Now())
	op, _ := IssueToken(ctx, st, RoleOperator, "", time.Now())
	do := func(method, path, tok, body string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		method, path, tok, body string
		want                    int
	}{
		{"POST", "/api/v1/devices/TA-1/cmd", sup, `{"cmd":"pause"}`, 403},
		{"POST", "/api/v1/devices/TA-1/cmd", op, `{"cmd":"pause"}`, 202},
		{"POST", "/api/v1/devices/TA-1/cmd?ttl=x", op, `{"cmd":"pause"}`, 400},
		{"POST", "/api/v1/devices/TA-9/cmd", op, `{"cmd":"pause"}`, 404},
		{"PUT", "/api/v1/devices/TA-1/config", op, `{"window":"3"}`, 202},
		{"POST", "/api/v1/devices/TA-1/session", op, `{}`, 400},
		{"GET", "/api/v1/devices/TA-1/downlinks", sup, ``, 200},
		{"GET", "/api/v1/registry", sup, ``, 200},
		{"GET", "/api/v1/registry", "", ``, 401},
	} {
		if got := do(tc.method, tc.path, tc.tok, tc.body); got != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}
}
