package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/agent"
	"evalpad/agent/agenttest"
	"evalpad/sync/link/linktest"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// lines is an io.Writer that keeps what a command wrote and tells the
// address it listens on.
type lines struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for _, line := range strings.Split(string(p), "\n") {
		if a, ok := strings.CutPrefix(line, "evalpad: listening on "); ok && l.addr != nil {
			l.addr <- a
		}
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// provisioned is an empty data directory provisioned against a fake
// central (enrollment over HTTP, MQTT on a real Mosquitto), then `evalpad
// sim --data DIR` with no other flag, one rating pressed and acked.
type provisioned struct {
	output  string        // what provision printed
	elapsed time.Duration // from provision's start to the rating acked
}

func provisionAndSync(tb testing.TB) provisioned {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	broker := mqtttest.Start(tb)
	key := ed25519.NewKeyFromSeed([]byte("cmd test central key, 32 bytes!!"))
	central := linktest.StartCentral(tb, broker.URL(), key, nil)
	e := &agenttest.Enroller{Key: key, Broker: broker.URL(), OnEnroll: central.Register,
		Config: &protocol.Config{Hall: ptr("泰山区政务服务中心"), Window: ptr("7")}}
	e.AddCode("CODE-1", "TA-ZWFW-W12")
	srv := httptest.NewServer(e)
	defer srv.Close()
	dir := filepath.Join(tb.TempDir(), "data")
	cfg := filepath.Join(tb.TempDir(), "pad.toml")
	if err := os.WriteFile(cfg, []byte("device_id = \"TA-ZWFW-W12\"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}

	start := time.Now()
	var stdout, stderr lines
	if code := run([]string{"provision", "--central", srv.URL, "--code", "CODE-1", "--data", dir, "--config", cfg, "--yes"}, &stdout, &stderr); code != 0 {
		tb.Fatalf("provision: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	simErr := &lines{addr: make(chan string, 1)}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- cmdSim(sctx, []string{"--data", dir, "--listen", "127.0.0.1:0"}, simErr, slog.New(slog.NewTextHandler(simErr, nil)))
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			tb.Errorf("sim: %v", err)
		}
	}()
	var pad *child
	select {
	case a := <-simErr.addr:
		pad = &child{base: a}
	case err := <-done:
		tb.Fatalf("sim: %v\n%s", err, simErr.String())
	case <-ctx.Done():
		tb.Fatalf("sim did not listen\n%s", simErr.String())
	}
	if code, err := pad.call("POST", "/api/v1/sessions", map[string]any{"session_id": "S-1", "mode": "single",
		"staff": map[string]string{"id": "TA0123", "name": "李四"},
		"cases": []map[string]string{{"project_no": "37090020261125000123", "task_name": "企业设立登记"}}}, nil); err != nil || code != 201 {
		tb.Fatalf("open session: %d %v\n%s", code, err, simErr.String())
	}
	if code, err := pad.call("POST", "/sim/press/5", nil, nil); err != nil || code != 200 {
		tb.Fatalf("press: %d %v", code, err)
	}
	var st struct {
		Outbox struct{ Pending, Sent int } `json:"outbox"`
	}
	central.Until(ctx, "the rating stored by the central and acked", func() bool {
		if len(central.Records("TA-ZWFW-W12")) == 0 {
			return false
		}
		pad.call("GET", "/api/v1/state", nil, &st)
		if st.Outbox.Pending == 0 && st.Outbox.Sent == 1 {
			return true
		}
		go func() { time.Sleep(20 * time.Millisecond); central.Poke() }() // the pad's store changes outside the central
		return false
	})
	elapsed := time.Since(start)
	recs := central.Records("TA-ZWFW-W12")
	if len(recs) != 1 || recs[0].Hall != "泰山区政务服务中心" || recs[0].Window != "7" || recs[0].Stars != 5 || central.Refused() != 0 {
		tb.Errorf("the central stored %+v (%d refused)", recs, central.Refused())
	}
	return provisioned{output: stdout.String(), elapsed: elapsed}
}

func ptr[T any](v T) *T { return &v }

// `evalpad provision` on an empty data directory prints each step, both
// fingerprints and the selftest (the broker took the credentials); then
// `evalpad sim --data DIR`, with no other flag, syncs: its rating reaches
// the central, which verifies its signature, and the central's signed ack
// empties the outbox.
func TestProvisionThenSync(t *testing.T) {
	p := provisionAndSync(t)
	t.Logf("empty data directory to a synced rating in %v; provision printed:\n%s", p.elapsed.Round(time.Millisecond), p.output)
	for _, want := range []string{"provision: device key", "(made now)", "compare with the central's page — device key SHA256:",
		"central key " + trust.Fingerprint(trust.Public(ed25519.NewKeyFromSeed([]byte("cmd test central key, 32 bytes!!")))),
		"identity.json (0600)", "hall 泰山区政务服务中心", "PASS  identity", "PASS  sync", "RESULT: PASS", "start the pad"} {
		if !strings.Contains(p.output, want) {
			t.Errorf("provision's output lacks %q", want)
		}
	}
}

// BenchmarkProvisionToSyncing measures an empty data directory to a
// syncing pad: provision (key, enrollment, identity, selftest with the
// broker), then evalpad sim started, one rating pressed, stored by the
// central and acked back.
func BenchmarkProvisionToSyncing(b *testing.B) {
	var total time.Duration
	for b.Loop() {
		total += provisionAndSync(b).elapsed
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/pad")
}

// A code the central refuses: exit 1, the reason on stderr, and no identity.
func TestProvisionBadCode(t *testing.T) {
	e := &agenttest.Enroller{Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Broker: "tcp://127.0.0.1:1"}
	srv := httptest.NewServer(e)
	defer srv.Close()
	dir := t.TempDir()
	var stdout, stderr lines
	code := run([]string{"provision", "--central", srv.URL, "--code", "NOPE", "--data", dir}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "evalpad: provision: agent: the central refused the enrollment: 403 Forbidden") ||
		!strings.Contains(stderr.String(), "ask the central's operator for a new code") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, agent.IdentityFile)); !os.IsNotExist(err) {
		t.Errorf("identity.json after a refused code: %v", err)
	}
	if code := run([]string{"provision", "--code", "X"}, &stdout, &stderr); code != 2 {
		t.Errorf("no --central: exit %d", code)
	}
}
