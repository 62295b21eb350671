package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/central/centraltest"
	"evalpad/central/passwd"
	"evalpad/sync/mqtttest"
)

// hub runs serve in-process and returns its HTTP base and MQTT broker URL
// (the embedded one's when no --broker is given).
func hub(t *testing.T, args ...string) (base, broker string) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, append([]string{"--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0"}, args...), pw, slog.New(slog.DiscardHandler))
		pw.Close()
	}()
	t.Cleanup(func() {
		// Connections the client dialed but never used (two requests raced
		// for one) count as busy for 5 s in the server's Shutdown: close them.
		http.DefaultClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if a, ok := strings.CutPrefix(line, "evalhub: mqtt broker on "); ok {
			broker = a
		}
		if a, ok := strings.CutPrefix(line, "evalhub: listening on "); ok {
			base = a
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("serve ended before listening: %v", <-done)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "tcp://") {
			broker = a
		}
	}
	centraltest.Eventually(t, "evalhub to subscribe", func() bool {
		var h struct{ Subscribed bool }
		return getJSON(t, "", base+"/api/v1/health", &h) == 200 && h.Subscribed
	})
	return base, broker
}

// getJSON GETs url with the bearer token tok ("" for none).
func getJSON(t *testing.T, tok, url string, out any) int {
	req, _ := http.NewRequest("GET", url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// command runs evalhub with args and returns its stdout's last line.
func command(t *testing.T, args ...string) (last, stdout string) {
	t.Helper()
	var out, errs strings.Builder
	if code := run(args, &out, &errs); code != 0 {
		t.Fatalf("evalhub %v: exit %d: %s", args, code, errs.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	return lines[len(lines)-1], out.String()
}

// enrollAndSend enrolls pad TA-1 with a code from `evalhub enroll`, sends n
// signed records through broker (the enrolled one when ""), and waits for
// their signed acks.
func enrollAndSend(t *testing.T, base, broker string, store []string, n int) *centraltest.Pad {
	t.Helper()
	code, _ := command(t, append([]string{"enroll", "--device", "TA-1"}, store...)...)
	p := centraltest.NewPad("TA-1")
	p.Enroll(t, base, code)
	if broker == "" {
		broker = p.Enrolled.Broker
	}
	cl := p.Connect(t, broker, nil)
	send(t, p, cl, n)
	return p
}

func send(t *testing.T, p *centraltest.Pad, cl mqtt.Client, n int) {
	t.Helper()
	var recs [][]byte
	now := time.Now()
	for i := 1; i <= n; i++ {
		recs = append(recs, p.Sign(t, p.Record(i, now, nil)))
	}
	before := len(p.Acked())
	p.Send(t, cl, recs...)
	centraltest.Eventually(t, "acks", func() bool { return len(p.Acked()) >= before+n })
}

func checkAPI(t *testing.T, base, tok string, n int) {
	t.Helper()
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	if code := getJSON(t, tok, base+"/api/v1/records?window=12&limit=1000", &page); code != 200 || len(page.Records) != n {
		t.Errorf("records: %d, %d records, want %d", code, len(page.Records), n)
	}
	var st struct {
		Total    struct{ Good int }
		ByWindow []struct{ Key string } `json:"by_window"`
	}
	if code := getJSON(t, tok, base+"/api/v1/stats", &st); code != 200 || st.Total.Good != n || len(st.ByWindow) != 1 {
		t.Errorf("stats: %d %+v", code, st)
	}
	var un struct{ Unrated []any }
	if code := getJSON(t, tok, base+"/api/v1/unrated", &un); code != 200 || un.Unrated == nil {
		t.Errorf("unrated: %d %+v", code, un)
	}
	for _, path := range []string{"/api/v1/records", "/api/v1/stats", "/api/v1/unrated", "/api/v1/rejected", "/api/v1/devices", "/api/v1/registry"} {
		if code := getJSON(t, "", base+path, nil); code != 401 {
			t.Errorf("%s without a token: %d, want 401", path, code)
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "满意率") {
		t.Errorf("page: %d %.200s", resp.StatusCode, body)
	}
}

// TestEmbedded: no --broker, no --db: the embedded broker and SQLite; a pad
// enrolls with a code from `evalhub enroll`, and its records are stored.
func TestEmbedded(t *testing.T) {
	data := t.TempDir()
	base, broker := hub(t, "--data", data)
	if broker == "" {
		t.Fatal("no embedded broker announced")
	}
	p := enrollAndSend(t, base, "", []string{"--data", data}, 50)
	if p.Enrolled.Broker != broker {
		t.Errorf("pads told to dial %s, the broker is %s", p.Enrolled.Broker, broker)
	}
	tok, _ := command(t, "token", "--role", "supervisor", "--data", data)
	checkAPI(t, base, tok, 50)
}

// TestMosquittoPostgres: an external broker and PostgreSQL.
func TestMosquittoPostgres(t *testing.T) {
	dsn := centraltest.Postgres(t)
	b := mqtttest.Start(t)
	data := t.TempDir()
	base, _ := hub(t, "--broker", b.URL(), "--db", dsn, "--data", data)
	store := []string{"--db", dsn, "--data", data}
	p := enrollAndSend(t, base, b.URL(), store, 50)
	if p.Enrolled.Broker != b.URL() {
		t.Errorf("pads told to dial %s, want %s", p.Enrolled.Broker, b.URL())
	}
	cl := p.Connect(t, b.URL(), nil)
	send(t, p, cl, 50) // a resend: acked again, stored once
	tok, _ := command(t, append([]string{"token", "--role", "operator"}, store...)...)
	checkAPI(t, base, tok, 50)
}

func TestEnrollCommand(t *testing.T) {
	data := t.TempDir()
	code, out := command(t, "enroll", "--device", "TA-ZWFW-W12", "--valid", "2h", "--data", data)
	if len(code) != 24 || strings.Count(code, "-") != 4 {
		t.Errorf("last line %q is not a code like ABCD-EFGH-JKMN-PQRS-TVWX", code)
	}
	fp, err := os.ReadFile(filepath.Join(data, "central.key"))
	if err != nil || len(fp) == 0 {
		t.Fatalf("no central key made: %v", err)
	}
	for _, want := range []string{"device:       TA-ZWFW-W12 (not enrolled yet)", "central key:  SHA256:", "valid until:", "█"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code2, _ := command(t, "enroll", "--device", "TA-ZWFW-W12", "--data", data)
	if code2 == code {
		t.Error("two codes alike")
	}
}

func TestBrokerUsers(t *testing.T) {
	data, out := t.TempDir(), t.TempDir()
	t.Setenv("EVALHUB_BROKER_PASSWORD", "central-secret")
	base, _ := hub(t, "--data", data)
	code, _ := command(t, "enroll", "--device", "TA-1", "--data", data)
	p := centraltest.NewPad("TA-1")
	p.Enroll(t, base, code)
	command(t, "broker-users", "--out", out, "--central-user", "$evalhub-a,$evalhub-b", "--data", data)
	pw, _ := os.ReadFile(filepath.Join(out, "passwd"))
	acl, _ := os.ReadFile(filepath.Join(out, "acl"))
	users := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(pw)), "\n") {
		u, h, _ := strings.Cut(l, ":")
		users[u] = h
	}
	if ok, err := passwd.Verify(users["TA-1"], p.Enrolled.Password); !ok || err != nil {
		t.Errorf("the pad's password does not verify against its line: %v\n%s", err, pw)
	}
	if ok, _ := passwd.Verify(users["$evalhub-b"], "central-secret"); !ok || len(users) != 3 {
		t.Errorf("central users: %s", pw)
	}
	for _, want := range []string{"pattern write hcp/v1/%u/up/#", "pattern read hcp/v1/%u/down/#", "user $evalhub-a\ntopic write hcp/v1/+/down/#\ntopic read hcp/v1/+/up/#"} {
		if !strings.Contains(string(acl), want) {
			t.Errorf("acl lacks %q:\n%s", want, acl)
		}
	}
}

func TestFlags(t *testing.T) {
	t.Setenv("EVALHUB_BROKER_PASSWORD", "")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"extra"}, 2, "unexpected argument"},
		{[]string{"--nope"}, 2, "flag provided but not defined"},
		{[]string{"--data", t.TempDir(), "--holidays", filepath.Join(t.TempDir(), "none")}, 1, "holidays"},
		{[]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0", "--pads-url", "ftp://hub"}, 1, "pads' URL"},
		{[]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--nats", "nats://127.0.0.1:4222"}, 1, "MQTT listeners"},
		{[]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--nats", "http://127.0.0.1:4222", "--broker", "tcp://127.0.0.1:1"}, 1, "NATS URL"},
		{[]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0", "--push-url", "ftp://platform"}, 1, "push URL"},
		{[]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0", "--export-map", filepath.Join(t.TempDir(), "none")}, 1, "export map"},
		{[]string{"enroll", "--data", t.TempDir()}, 2, "--device is required"},
		{[]string{"enroll", "--device", "TA/1", "--data", t.TempDir()}, 1, "device_id"},
		{[]string{"enroll", "--device", "TA-1", "--valid", "0s", "--data", t.TempDir()}, 1, "valid for"},
		{[]string{"token", "--data", t.TempDir()}, 2, "--role is required"},
		{[]string{"token", "--role", "root", "--data", t.TempDir()}, 1, "not one of"},
		{[]string{"broker-users", "--data", t.TempDir()}, 2, "--out is required"},
		{[]string{"broker-users", "--out", t.TempDir(), "--data", t.TempDir()}, 2, "EVALHUB_BROKER_PASSWORD"},
	} {
		var out strings.Builder
		if code := run(tc.args, &out, &out); code != tc.code || !strings.Contains(out.String(), tc.msg) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, out.String(), tc.code, tc.msg)
		}
	}
	fs := flagDefaults(t)
	if fs["mqtt-listen"] != "127.0.0.1:1883" {
		t.Errorf("the embedded broker listens on %q by default, want 127.0.0.1:1883", fs["mqtt-listen"])
	}
}

// flagDefaults are serve's flag defaults, read from its -h.
func flagDefaults(t *testing.T) map[string]string {
	var out strings.Builder
	run([]string{"-h"}, &out, &out)
	m := map[string]string{}
	var name string
	for _, l := range strings.Split(out.String(), "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(l), "-"); ok {
			name, _, _ = strings.Cut(f, " ")
		}
		if _, d, ok := strings.Cut(l, `(default "`); ok && name != "" {
			m[name], _, _ = strings.Cut(d, `"`)
		}
	}
	return m
}

// TestRevoke: a stolen pad is revoked; what it sends afterwards is refused
// (acked, kept as rejected), it cannot log in to the embedded broker again,
// broker-users leaves it out; a new enrollment code reinstates it.
func TestRevoke(t *testing.T) {
	data := t.TempDir()
	base, broker := hub(t, "--data", data)
	code, _ := command(t, "enroll", "--device", "TA-1", "--data", data)
	p := centraltest.NewPad("TA-1")
	p.Enroll(t, base, code)
	cl := p.Connect(t, broker, nil) // one client only: a second with the pad's client id would take its session over
	send(t, p, cl, 5)               // and the session is still open when the pad is revoked
	_, out := command(t, "revoke", "--device", "TA-1", "--data", data)
	if !strings.Contains(out, "TA-1 revoked") {
		t.Errorf("revoke said %q", out)
	}
	var errs strings.Builder
	if code := run([]string{"revoke", "--device", "TA-NONE", "--data", data}, io.Discard, &errs); code != 1 || !strings.Contains(errs.String(), "not registered") {
		t.Errorf("revoking an unknown device: exit %d, %q", code, errs.String())
	}
	p.Send(t, cl, p.Sign(t, p.Record(100, time.Now(), nil)))
	centraltest.Eventually(t, "the revoked pad's record acked", func() bool { return len(p.Acked()) == 6 })
	tok, _ := command(t, "token", "--role", "supervisor", "--data", data)
	var rej struct {
		Rejected []struct{ ID, Reason string }
	}
	getJSON(t, tok, base+"/api/v1/rejected", &rej)
	if len(rej.Rejected) != 1 || rej.Rejected[0].ID != centraltest.RecordID(100) || !strings.Contains(rej.Rejected[0].Reason, "revoked") {
		t.Errorf("rejected: %+v", rej)
	}
	var page struct{ Records []json.RawMessage }
	if getJSON(t, tok, base+"/api/v1/records?limit=100", &page); len(page.Records) != 5 {
		t.Errorf("%d records stored, want the 5 from before", len(page.Records))
	}
	if c, err := centraltest.Dial(broker, nil, centraltest.PadCreds(p), ""); err == nil {
		c.Disconnect(0)
		t.Error("the revoked pad logged in to the embedded broker")
	}
	users := t.TempDir()
	t.Setenv("EVALHUB_BROKER_PASSWORD", "central-secret")
	command(t, "broker-users", "--out", users, "--data", data)
	if pw, _ := os.ReadFile(filepath.Join(users, "passwd")); strings.Contains(string(pw), "TA-1:") {
		t.Errorf("broker-users wrote the revoked pad:\n%s", pw)
	}
	cl.Disconnect(0)
	code, _ = command(t, "enroll", "--device", "TA-1", "--data", data)
	p.Enroll(t, base, code)
	p.Send(t, p.Connect(t, broker, nil), p.Sign(t, p.Record(200, time.Now(), nil)))
	centraltest.Eventually(t, "the reinstated pad's record acked", func() bool { return len(p.Acked()) == 7 })
	if getJSON(t, tok, base+"/api/v1/records?limit=100", &page); len(page.Records) != 6 {
		t.Errorf("%d records after reinstating, want 6", len(page.Records))
	}
}
