package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/central"
	"evalpad/rating"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
)

const device = "TA-ZWFW-W12"

// record is one valid 差评 record of device, as its pad would send it.
func record(t *testing.T, id string) []byte {
	t.Helper()
	r := rating.NewRecord(id, rating.Origin{DeviceID: device, AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "12", Channel: "4"},
		&rating.Session{ID: "S-20261125-0001", Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA0123", Name: "李四"}},
		rating.Staff{}, []rating.Case{{ProjectNo: "37090020261125000123", TaskCode: "T001", TaskName: "企业设立登记"}},
		rating.Verdict{Stars: 2, Reasons: []string{"213"}}, "2026-11-25T10:02:40.000+08:00", "2026-11-25T10:03:12.123+08:00")
	r.Seq = 1
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// testPad is device's pad on the broker: it sends records and gets acks.
type testPad struct {
	t    *testing.T
	cl   mqtt.Client
	acks chan []string
}

func newPad(t *testing.T, broker string) *testPad {
	t.Helper()
	p := &testPad{t: t, acks: make(chan []string, 16)}
	p.cl = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("pad-" + device))
	if tok := p.cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { p.cl.Disconnect(0) })
	tok := p.cl.Subscribe(protocol.Topic(device, protocol.DownAck), 1, func(_ mqtt.Client, m mqtt.Message) {
		a, err := protocol.ParseAck(m.Payload())
		if err != nil {
			t.Errorf("ack: %v", err)
		}
		p.acks <- a.IDs
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return p
}

// send publishes the record id on up/records.
func (p *testPad) send(id string) {
	p.t.Helper()
	tok := p.cl.Publish(protocol.Topic(device, protocol.UpRecords), 1, false, protocol.AppendRecords(nil, device, [][]byte{record(p.t, id)}))
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		p.t.Fatalf("publish: %v", tok.Error())
	}
}

// wantAck waits for the next ack and checks it names id alone.
func (p *testPad) wantAck(id string) {
	p.t.Helper()
	select {
	case ids := <-p.acks:
		if len(ids) != 1 || ids[0] != id {
			p.t.Errorf("acked %v, want [%s]", ids, id)
		}
	case <-time.After(10 * time.Second):
		p.t.Fatal("no ack")
	}
}

func getRecords(t *testing.T, s *Server) []string {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr().String() + "/api/v1/records")
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
	p := newPad(t, "tcp://"+s.BrokerAddr().String())

	const id = "019abcde-0000-7000-8000-000000000001"
	p.send(id)
	select {
	case n := <-commits:
		if n != 1 {
			t.Errorf("AfterCommit(%d), want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no commit")
	}
	// Committed, AfterCommit not returned yet: stored, and not acked.
	if ids := getRecords(t, s); len(ids) != 1 || ids[0] != id {
		t.Errorf("stored %v before the ack, want [%s]", ids, id)
	}
	select {
	case ids := <-p.acks:
		t.Fatalf("acked %v before AfterCommit returned", ids)
	default:
	}
	unblock()
	p.wantAck(id)

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
		Listen: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "hub.db")})
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
	p := newPad(t, mq.URL())
	const id = "019abcde-0000-7000-8000-000000000002"
	p.send(id)
	p.wantAck(id)
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
