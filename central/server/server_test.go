package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/sync/mqtttest"
)

const device = "TA-ZWFW-W12"

// enroll makes a code for a pad of device on s's store and enrolls the pad
// through s's HTTP route, as a technician would.
func enroll(t *testing.T, s *Server, p *centraltest.Pad) {
	t.Helper()
	code, _, err := central.IssueCode(context.Background(), s.Store(), p.ID, time.Hour, false, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p.Enroll(t, "http://"+s.Addr().String(), code)
}

// token is a supervisor's API token on s.
func token(t *testing.T, s *Server, role string) string {
	t.Helper()
	tok, err := central.IssueToken(context.Background(), s.Store(), role, "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// run starts s and returns a stop that cancels it and returns what Run did.
func run(t *testing.T, s *Server) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			cancel()
			err, stopped = <-done, true
		}
		return err
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(10 * time.Second)
	for !s.Hub().Counters().Subscribed {
		if time.Now().After(deadline) {
			t.Fatal("the hub did not subscribe")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stop
}

func getRecords(t *testing.T, s *Server, tok string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Addr().String()+"/api/v1/records", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Records []struct{ ID string } `json:"records"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/records: %d %v", resp.StatusCode, err)
	}
	var ids []string
	for _, r := range page.Records {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestEmbeddedBrokerSQLite: a record published to the embedded broker is
// stored, AfterCommit runs after the commit and before the ack, the ack
// names the record, and a cancelled ctx stops everything and closes the
// store.
func TestEmbeddedBrokerSQLite(t *testing.T) {
	data := t.TempDir()
	commits := make(chan int, 1)
	release := make(chan struct{})
	s, err := Start(context.Background(), Options{
		Hub:        central.HubOptions{AfterCommit: func(n int) { commits <- n; <-release }},
		MQTTListen: "127.0.0.1:0", Listen: "127.0.0.1:0", Data: data,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	s.Announce(&out)
	want := "evalhub: mqtt broker on tcp://" + s.BrokerAddr().String() + "\nevalhub: listening on http://" + s.Addr().String() + "\n"
	if out.String() != want {
		t.Errorf("Announce wrote %q, want %q", out.String(), want)
	}
	stop := run(t, s)
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // before stop: a failed test must not leave the hub in AfterCommit
	p := centraltest.NewPad(device)
	enroll(t, s, p)
	if want := "tcp://" + s.BrokerAddr().String(); p.Enrolled.Broker != want {
		t.Errorf("pads are told broker %s, want %s", p.Enrolled.Broker, want)
	}
	cl := p.Connect(t, p.Enrolled.Broker, nil)
	tok := token(t, s, central.RoleSupervisor)

	id := centraltest.RecordID(1)
	p.Send(t, cl, p.Sign(t, p.Record(1, time.Now(), nil)))
	select {
	case n := <-commits:
		if n != 1 {
			t.Errorf("AfterCommit(%d), want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no commit")
	}
	// Committed, AfterCommit not returned yet: stored, and not acked.
	if ids := getRecords(t, s, tok); len(ids) != 1 || ids[0] != id {
		t.Errorf("stored %v before the ack, want [%s]", ids, id)
	}
	if ids := p.Acked(); len(ids) != 0 {
		t.Fatalf("acked %v before AfterCommit returned", ids)
	}
	unblock()
	centraltest.Eventually(t, "the signed ack", func() bool { return slices.Equal(p.Acked(), []string{id}) })

	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	for name, a := range map[string]net.Addr{"HTTP": s.Addr(), "broker": s.BrokerAddr()} {
		if c, err := net.Dial("tcp", a.String()); err == nil {
			c.Close()
			t.Errorf("%s still listening on %s after Run returned", name, a)
		}
	}
	// The store was closed cleanly: it opens again and holds the record.
	st, err := central.Open(context.Background(), filepath.Join(data, "evalhub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.Count(context.Background()); err != nil || n != 1 {
		t.Errorf("reopened store holds %d records (%v), want 1", n, err)
	}
}

// TestExternalBroker: with Hub.Broker set no broker is embedded and only
// the listening line is announced.
func TestExternalBroker(t *testing.T) {
	mq := mqtttest.Start(t)
	s, err := Start(context.Background(), Options{Hub: central.HubOptions{Broker: mq.URL()},
		Listen: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "hub.db"), Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if s.BrokerAddr() != nil {
		t.Errorf("embedded broker on %v beside an external one", s.BrokerAddr())
	}
	var out strings.Builder
	s.Announce(&out)
	if want := "evalhub: listening on http://" + s.Addr().String() + "\n"; out.String() != want {
		t.Errorf("Announce wrote %q, want %q", out.String(), want)
	}
	stop := run(t, s)
	p := centraltest.NewPad(device)
	enroll(t, s, p)
	if p.Enrolled.Broker != mq.URL() {
		t.Errorf("pads are told broker %s, want the hub's %s", p.Enrolled.Broker, mq.URL())
	}
	cl := p.Connect(t, mq.URL(), nil)
	p.Send(t, cl, p.Sign(t, p.Record(2, time.Now(), nil)))
	centraltest.Eventually(t, "the signed ack", func() bool { return slices.Equal(p.Acked(), []string{centraltest.RecordID(2)}) })
	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

// TestStartErrors: Start fails on bad options and leaves nothing open: the
// embedded broker's port is free again after a failed listen.
func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	brokerAddr := free()
	for _, tc := range []struct {
		name string
		o    Options
		err  string
	}{
		{"no database", Options{Listen: "127.0.0.1:0"}, "no database"},
		{"no data for the key", Options{Listen: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "h.db")}, "central's key"},
		{"holidays", Options{Data: t.TempDir(), Holidays: filepath.Join(t.TempDir(), "none")}, "holidays"},
		{"bad holidays", Options{Data: t.TempDir(), Holidays: "server_test.go"}, "server_test.go"},
		{"broker address busy", Options{Data: t.TempDir(), MQTTListen: busy.Addr().String()}, "broker"},
		{"listen address busy", Options{Data: t.TempDir(), MQTTListen: brokerAddr, Listen: busy.Addr().String()}, "server: listen"},
	} {
		s, err := Start(context.Background(), tc.o)
		if s != nil || err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: Start = %v, %v; want an error with %q", tc.name, s, err, tc.err)
		}
	}
	// The failed Start closed the broker it had started.
	ln, err := net.Listen("tcp", brokerAddr)
	if err != nil {
		t.Errorf("the broker of a failed Start still holds %s: %v", brokerAddr, err)
	} else {
		ln.Close()
	}
}
