package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"evalpad/agent"
	"evalpad/agent/config"
)

// simPad is `evalpad sim` built and run in-process.
type simPad struct {
	a      *agent.Agent
	base   string
	broken bool // the test closed the store under the pad
}

func startSim(t *testing.T) *simPad {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.API.Listen = "127.0.0.1:0"
	parts := agent.SimulatedParts(cfg, nil)
	addr := make(chan net.Addr, 1)
	parts.OnListen = func(a net.Addr) { addr <- a }
	a, err := agent.New(cfg, parts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	p := &simPad{a: a}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if !p.broken {
			if err := a.Store().Check(); err != nil {
				t.Error(err)
			}
		}
		a.Close()
	})
	select {
	case ad := <-addr:
		p.base = "http://" + ad.String()
	case err := <-done:
		t.Fatal(err)
	}
	return p
}

func (p *simPad) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

const session = `{"session_id":"S-1","mode":"single","staff":{"id":"TA0123","name":"李四"},
 "cases":[{"project_no":"37090020261125000123","task_code":"T1","task_name":"企业设立登记"}]}`

// The simulated hardware over HTTP: press, reasons, records, the screen
// picture, the history of screens, and a receipt drawn as paper.
func TestSimulatedHardware(t *testing.T) {
	p := startSim(t)
	if code, b := p.do(t, "POST", "/api/v1/sessions", session); code != 201 {
		t.Fatalf("session: %d %s", code, b)
	}
	if code, b := p.do(t, "POST", "/sim/press/9", ""); code != 404 || !bytes.Contains(b, []byte("five star buttons")) {
		t.Errorf("press 9: %d %s", code, b)
	}
	if code, b := p.do(t, "POST", "/sim/press/2", ""); code != 200 || !bytes.Contains(b, []byte(`"reasons"`)) {
		t.Fatalf("press 2: %d %s", code, b)
	}
	if code, b := p.do(t, "POST", "/sim/reasons", `{"codes":["213","999"]}`); code != 422 {
		t.Errorf("unknown reason: %d %s", code, b)
	}
	if code, b := p.do(t, "POST", "/sim/reasons", `{"codes":["213","214"]}`); code != 200 || !bytes.Contains(b, []byte(`"recorded"`)) {
		t.Fatalf("reasons: %d %s", code, b)
	}
	_, b := p.do(t, "GET", "/sim/records", "")
	var recs struct {
		Records []struct {
			Record struct {
				Stars   int
				Reasons []string
			}
			Acked bool
		}
	}
	if err := json.Unmarshal(b, &recs); err != nil || len(recs.Records) != 1 || recs.Records[0].Record.Stars != 2 ||
		strings.Join(recs.Records[0].Record.Reasons, ",") != "213,214" || recs.Records[0].Acked {
		t.Fatalf("records: %s %v", b, err)
	}
	code, img := p.do(t, "GET", "/sim/screen.png", "")
	if _, err := png.Decode(bytes.NewReader(img)); code != 200 || err != nil {
		t.Fatalf("screen.png: %d %v", code, err)
	}
	_, b = p.do(t, "GET", "/sim/screens", "")
	for _, s := range []string{`"idle"`, `"rate"`, `"reasons"`, `"thanks"`} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("screens shown lack %s: %s", s, b)
		}
	}
	if code, _ := p.do(t, "GET", "/sim/receipts/latest.png", ""); code != 404 {
		t.Errorf("a receipt before any printed: %d", code)
	}
	if code, b := p.do(t, "POST", "/api/v1/receipts", `{"project_no":"37090020261125000123","task_name":"企业设立登记"}`); code != 200 {
		t.Fatalf("receipt: %d %s", code, b)
	}
	code, img = p.do(t, "GET", "/sim/receipts/latest.png", "")
	if _, err := png.Decode(bytes.NewReader(img)); code != 200 || err != nil {
		t.Fatalf("receipt png: %d %v", code, err)
	}
	if _, b := p.do(t, "GET", "/sim/info", ""); !bytes.Contains(b, []byte(`"receipt_job":1`)) || !bytes.Contains(b, []byte(`"width":1024`)) {
		t.Errorf("info: %s", b)
	}
}

// events reads SSE events from the page's stream until it has n "state"
// events, and returns their data.
func events(t *testing.T, p *simPad, n int) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.base+"/sim/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	state := false
	for sc.Scan() && len(out) < n {
		line := sc.Text()
		switch {
		case line == "event: state":
			state = true
		case state && strings.HasPrefix(line, "data: "):
			var m map[string]any
			if err := json.Unmarshal([]byte(line[6:]), &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			state = false
		}
	}
	if len(out) < n {
		t.Fatalf("%d state events, want %d: %v", len(out), n, sc.Err())
	}
	return out
}

// The page's stream carries the whole state — outbox and faults — and
// a store that cannot be read shows as a fault, not as an empty outbox.
func TestPageEventsCarryFaults(t *testing.T) {
	p := startSim(t)
	p.do(t, "POST", "/api/v1/sessions", session)
	ev := events(t, p, 1)[0]
	if ev["faults"] == nil || ev["outbox"] == nil || ev["view"].(map[string]any)["screen"] != "rate" {
		t.Fatalf("state event %v", ev)
	}
	if f := ev["faults"].([]any); len(f) != 0 {
		t.Fatalf("faults of a healthy pad: %v", f)
	}
	p.a.Store().Close() // the store fails under the pad
	p.broken = true
	ev = events(t, p, 1)[0]
	faults, _ := ev["faults"].([]any)
	if len(faults) == 0 || !strings.HasPrefix(faults[0].(string), "store: ") {
		t.Fatalf("a failing store: faults %v", ev["faults"])
	}
}
