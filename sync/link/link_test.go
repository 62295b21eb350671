package link

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/rating"
	"evalpad/store"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
)

const dev = "TA-TEST-1"

func TestBackoff(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 30 * time.Second}
	for n, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30, 30} {
		if got := b.Delay(n); got != want*time.Second {
			t.Errorf("attempt %d: %v, want %v", n, got, want*time.Second)
		}
	}
	if got := b.Delay(1000); got != 30*time.Second {
		t.Errorf("attempt 1000: %v", got)
	}
	for _, r := range []float64{0, 0.5, 0.999} {
		j := Backoff{Min: time.Second, Max: 30 * time.Second, Rand: func() float64 { return r }}
		for n := range 8 {
			d, got := b.Delay(n), j.Delay(n)
			if got < d/2 || got > d {
				t.Errorf("jitter %v attempt %d: %v not in [%v, %v]", r, n, got, d/2, d)
			}
		}
	}
}

// newStore opens a store in a temp dir holding n records.
func newStore(t *testing.T, n int) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "evalpad.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Check(); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	appendRecords(t, st, n)
	return st
}

func appendRecords(t *testing.T, st *store.Store, n int) {
	t.Helper()
	for range n {
		var b [16]byte
		rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x70
		b[8] = b[8]&0x3f | 0x80
		id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		sess := &rating.Session{ID: "S-" + id[:8], Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA1", Name: "李四"}}
		r := rating.NewRecord(id, rating.Origin{DeviceID: dev, AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "1", Channel: "4"},
			sess, rating.Staff{}, []rating.Case{{ProjectNo: "P" + id[:8], TaskName: "企业设立登记"}},
			rating.Verdict{Stars: 5}, "2026-11-25T10:02:40.000+08:00", "2026-11-25T10:03:12.123+08:00")
		if err := st.Append(&r, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// central is a fake central on the broker: it acks what it receives unless
// drop says to ignore a message, and remembers every id and cmdresult.
type central struct {
	t    *testing.T
	cl   mqtt.Client
	mu   sync.Mutex
	seen map[string]int
	seqs []uint64 // in arrival order, first sightings only
	msgs int
	drop func(n int) bool // n: 1-based message number
	res  []protocol.CmdResult
	stat []protocol.Status
}

func newCentral(t *testing.T, broker string) *central {
	t.Helper()
	c := &central{t: t, seen: map[string]int{}}
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID("central-test").SetOrderMatters(true)
	c.cl = mqtt.NewClient(o)
	if tok := c.cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("central connect: %v", tok.Error())
	}
	sub := c.cl.Subscribe("hcp/v1/+/up/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		d, suffix, err := protocol.ParseTopic(m.Topic())
		if err != nil {
			t.Errorf("central: %v", err)
			return
		}
		switch suffix {
		case protocol.UpCmdResult:
			r, err := protocol.ParseCmdResult(m.Payload())
			if err != nil {
				t.Errorf("central: %v", err)
			}
			c.mu.Lock()
			c.res = append(c.res, r)
			c.mu.Unlock()
		case protocol.UpStatus:
			s, err := protocol.ParseStatus(m.Payload())
			if err != nil {
				t.Errorf("central: %v", err)
			}
			c.mu.Lock()
			c.stat = append(c.stat, s)
			c.mu.Unlock()
		case protocol.UpRecords:
			msg, err := protocol.ParseRecords(m.Payload())
			if err != nil {
				t.Errorf("central: %v", err)
				return
			}
			var ids []string
			c.mu.Lock()
			c.msgs++
			drop := c.drop != nil && c.drop(c.msgs)
			for _, raw := range msg.Records {
				r, err := protocol.ParseRecord(raw, d)
				if err != nil {
					t.Errorf("central: %v", err)
					continue
				}
				if c.seen[r.ID] == 0 {
					c.seqs = append(c.seqs, r.Seq)
				}
				c.seen[r.ID]++
				ids = append(ids, r.ID)
			}
			c.mu.Unlock()
			if !drop {
				c.cl.Publish(protocol.Topic(d, protocol.DownAck), 1, false, protocol.Ack{IDs: ids}.Marshal())
			}
		}
	})
	if !sub.WaitTimeout(5*time.Second) || sub.Error() != nil {
		t.Fatalf("central subscribe: %v", sub.Error())
	}
	t.Cleanup(func() { c.cl.Disconnect(0) })
	return c
}

func (c *central) results() []protocol.CmdResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.res)
}

func (c *central) statuses() []protocol.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.stat)
}

func (c *central) send(suffix, payload string) {
	c.t.Helper()
	tok := c.cl.Publish(protocol.Topic(dev, suffix), 1, false, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		c.t.Fatalf("publish: %v", tok.Error())
	}
}

// agent is a fake Agent that records what it was asked.
type agent struct {
	mu    sync.Mutex
	calls []string
}

func (a *agent) OpenSession(s rating.Session) error {
	a.note("session " + s.ID)
	if s.ID == "S-CLOSED" {
		return errors.New("pad: session already closed: S-CLOSED")
	}
	return nil
}

func (a *agent) Command(c protocol.Cmd) error {
	a.note("cmd " + c.Cmd)
	switch c.Cmd {
	case protocol.CmdPrintReceipt:
		return fmt.Errorf("print_receipt: %w", ErrNotSupported)
	case protocol.CmdResume:
		panic("boom")
	}
	return nil
}

func (a *agent) ApplyConfig(c protocol.Config) error { a.note("config " + c.ID); return nil }

func (a *agent) Health() Health { return Health{Screen: "idle", Printer: "none"} }

func (a *agent) note(s string) {
	a.mu.Lock()
	a.calls = append(a.calls, s)
	a.mu.Unlock()
}

func (a *agent) called() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// run starts a link and stops it at cleanup.
func run(t *testing.T, o Options, st Outbox, ag Agent) *Link {
	t.Helper()
	if o.DeviceID == "" {
		o.DeviceID = dev
	}
	o.Backoff = Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond}
	l, err := New(o, st, ag)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// eventually polls cond until it holds or 20s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pending(st *store.Store) int {
	s, _ := st.Stats()
	return s.Pending
}

func TestDrainOldestFirstAckedOnce(t *testing.T) {
	b := mqtttest.Start(t)
	c := newCentral(t, b.URL())
	st := newStore(t, 300)
	l := run(t, Options{Broker: b.URL(), Batch: 40, InFlight: 2}, st, &agent{})
	eventually(t, "the outbox to drain", func() bool { return pending(st) == 0 && l.Counters().Acked == 300 })
	c.mu.Lock()
	seen, seqs, msgs := len(c.seen), slices.Clone(c.seqs), c.msgs
	c.mu.Unlock()
	if seen != 300 {
		t.Fatalf("central saw %d records, want 300", seen)
	}
	if !slices.IsSorted(seqs) {
		t.Errorf("not oldest first: %v", seqs)
	}
	if msgs != 8 { // 300/40
		t.Errorf("%d messages, want 8", msgs)
	}
	if k := l.Counters(); k.Acked != 300 || k.Resends != 0 {
		t.Errorf("counters %+v", k)
	}
	// New records are sent when the pad kicks the link.
	appendRecords(t, st, 5)
	l.Kick()
	eventually(t, "the kicked records", func() bool { return pending(st) == 0 })
}

func TestUnackedIsResent(t *testing.T) {
	b := mqtttest.Start(t)
	c := newCentral(t, b.URL())
	c.drop = func(n int) bool { return n <= 2 } // the central loses the first two messages
	st := newStore(t, 100)
	l := run(t, Options{Broker: b.URL(), Batch: 30, InFlight: 2, AckTimeout: 300 * time.Millisecond}, st, &agent{})
	eventually(t, "the outbox to drain", func() bool { return pending(st) == 0 && l.Counters().Acked == 100 })
	if k := l.Counters(); k.Resends == 0 || k.Acked != 100 {
		t.Errorf("counters %+v: want a resend and 100 acked", k)
	}
}

func TestNoAckNoDelivery(t *testing.T) {
	b := mqtttest.Start(t)
	c := newCentral(t, b.URL())
	c.drop = func(int) bool { return true } // the broker gets everything, the central acks nothing
	st := newStore(t, 20)
	l := run(t, Options{Broker: b.URL(), AckTimeout: 100 * time.Millisecond}, st, &agent{})
	eventually(t, "two resends", func() bool { return l.Counters().Resends >= 2 })
	if n := pending(st); n != 20 {
		t.Fatalf("%d pending: a PUBACK is not delivery, all 20 must stay", n)
	}
}

func TestReconnectAfterBrokerRestart(t *testing.T) {
	b := mqtttest.Start(t)
	st := newStore(t, 50)
	l := run(t, Options{Broker: b.URL(), AckTimeout: time.Second}, st, &agent{})
	eventually(t, "connect", func() bool { return l.Counters().Connected })
	b.Kill()
	eventually(t, "the link to see the broker gone", func() bool { return !l.Counters().Connected })
	appendRecords(t, st, 50)
	b.Restart()
	newCentral(t, b.URL())
	l.Kick()
	eventually(t, "the outbox to drain", func() bool { return pending(st) == 0 })
	if k := l.Counters(); k.Connects < 2 {
		t.Errorf("counters %+v: want a reconnect", k)
	}
}

func TestDownlink(t *testing.T) {
	b := mqtttest.Start(t)
	c := newCentral(t, b.URL())
	ag := &agent{}
	st := newStore(t, 0)
	l := run(t, Options{Broker: b.URL()}, st, ag)
	eventually(t, "connect", func() bool { return l.Counters().Connected })
	session := `{"session_id":"S-1","mode":"single","staff":{"id":"TA1","name":"李四"},"cases":[{"project_no":"P1","task_name":"企业设立登记"}]}`
	steps := []struct {
		suffix, payload string
		want            *protocol.CmdResult // nil: no answer (no id)
	}{
		{protocol.DownSession, session, &protocol.CmdResult{ID: "S-1", Type: "session", OK: true}},
		{protocol.DownSession, `{"session_id":"S-CLOSED","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`,
			&protocol.CmdResult{ID: "S-CLOSED", Type: "session", Error: "already closed"}},
		{protocol.DownSession, `{"session_id":"S-2","mode":"batch"}`, &protocol.CmdResult{ID: "S-2", Type: "session", Error: "staff.id: required"}},
		{protocol.DownCmd, `{"id":"c1","cmd":"pause"}`, &protocol.CmdResult{ID: "c1", Type: "cmd", OK: true}},
		{protocol.DownCmd, `{"id":"c2","cmd":"reboot"}`, &protocol.CmdResult{ID: "c2", Type: "cmd", Error: `unknown command: cmd: "reboot"`}},
		{protocol.DownCmd, `{"id":"c3","cmd":"print_receipt","project_no":"P1","task_name":"企业设立登记"}`, &protocol.CmdResult{ID: "c3", Type: "cmd", Error: "not supported yet"}},
		{protocol.DownCmd, `{"id":"c4","cmd":"resume"}`, &protocol.CmdResult{ID: "c4", Type: "cmd", Error: "agent panicked"}},
		{protocol.DownCmd, `{"id":"c5","cmd":"message","text":7}`, &protocol.CmdResult{ID: "c5", Type: "cmd", Error: "text: expected string"}},
		{protocol.DownCmd, `{"cmd":"pause"}`, nil},
		{protocol.DownCmd, `garbage`, nil},
		{protocol.DownAck, `{"ids":["x"]}`, nil},
		{protocol.DownConfig, `{"id":"cfg1","rules":{"min_interval":"1h"}}`, &protocol.CmdResult{ID: "cfg1", Type: "config", Error: "rules.min_interval"}},
		{protocol.DownConfig, `{"id":"cfg2","window":"12"}`, &protocol.CmdResult{ID: "cfg2", Type: "config", OK: true}},
		{"down/firmware", `{}`, nil},
	}
	wantN := 0
	for _, s := range steps {
		c.send(s.suffix, s.payload)
		if s.want != nil {
			wantN++
		}
	}
	c.send(protocol.DownCmd, `{"id":"last","cmd":"pause"}`)
	eventually(t, "the answers", func() bool { return len(c.results()) == wantN+1 })
	got := c.results()
	i := 0
	for _, s := range steps {
		if s.want == nil {
			continue
		}
		r := got[i]
		i++
		if r.ID != s.want.ID || r.Type != s.want.Type || r.OK != s.want.OK || !strings.Contains(r.Error, s.want.Error) {
			t.Errorf("%s %s: answer %+v, want %+v", s.suffix, s.payload, r, *s.want)
		}
	}
	wantCalls := []string{"session S-1", "session S-CLOSED", "cmd pause", "cmd print_receipt", "cmd resume", "config cfg2", "cmd pause"}
	if calls := ag.called(); !slices.Equal(calls, wantCalls) {
		t.Errorf("agent calls %q, want %q", calls, wantCalls)
	}
	if k := l.Counters(); k.Rejected != 11 || !k.Connected || k.Connects != 1 {
		t.Errorf("counters %+v: want 11 rejected, still on its first connection", k)
	}
}

func TestStatusRetainedAndWill(t *testing.T) {
	b := mqtttest.Start(t)
	p := mqtttest.StartProxy(t, b.Addr())
	st := newStore(t, 3)
	c := newCentral(t, b.URL())
	c.drop = func(int) bool { return true }
	l := run(t, Options{Broker: p.URL(), StatusMin: time.Hour, AckTimeout: time.Hour}, st, &agent{})
	eventually(t, "an online status", func() bool {
		s := c.statuses()
		return len(s) > 0 && s[len(s)-1].Online
	})
	s := c.statuses()[0]
	if s.Outbox != 3 || s.LastSeq != 3 || s.Printer != "none" || s.OldestUnackedS <= 0 || s.Faults == nil {
		t.Errorf("status %+v", s)
	}
	// A pad gone without a goodbye: the broker publishes the Last Will.
	before := len(c.statuses())
	p.Cut()
	will := -1
	eventually(t, "the Last Will", func() bool {
		for i, s := range c.statuses()[before:] {
			if !s.Online {
				will = before + i
				return true
			}
		}
		return false
	})
	// The link comes back and says so; a central that subscribes later
	// gets the retained status.
	eventually(t, "online again", func() bool {
		s := c.statuses()
		return len(s) > will+1 && s[len(s)-1].Online
	})
	if s := newCentralID(t, b.URL(), "late"); !s.Online || s.Outbox != 3 {
		t.Errorf("retained status %+v", s)
	}
	if k := l.Counters(); k.Connects < 2 {
		t.Errorf("counters %+v", k)
	}
}

// newCentralID checks the retained status a new subscriber gets.
func newCentralID(t *testing.T, broker, id string) protocol.Status {
	t.Helper()
	got := make(chan []byte, 1)
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(id))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer cl.Disconnect(0)
	cl.Subscribe(protocol.Topic(dev, protocol.UpStatus), 1, func(_ mqtt.Client, m mqtt.Message) {
		if m.Retained() {
			select {
			case got <- m.Payload():
			default:
			}
		}
	})
	select {
	case b := <-got:
		var s protocol.Status
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no retained status")
	}
	return protocol.Status{}
}

func TestGoodbyeMarksOffline(t *testing.T) {
	b := mqtttest.Start(t)
	st := newStore(t, 0)
	l, err := New(Options{Broker: b.URL(), DeviceID: dev}, st, &agent{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	eventually(t, "connect", func() bool { return l.Counters().Connected })
	if s := newCentralID(t, b.URL(), "c1"); !s.Online {
		t.Fatalf("status %+v, want online", s)
	}
	cancel()
	<-done
	if s := newCentralID(t, b.URL(), "c2"); s.Online {
		t.Fatalf("status %+v after a clean stop, want offline", s)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		o   Options
		err string
	}{
		{Options{DeviceID: dev}, "no broker"},
		{Options{Broker: "http://x:1", DeviceID: dev}, "scheme"},
		{Options{Broker: "tcp://x:1", DeviceID: "a b"}, "device_id"},
		{Options{Broker: "tcp://x:1", DeviceID: dev}, "outbox and an agent"},
	} {
		_, err := New(tc.o, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.err)
		}
	}
	st := newStore(t, 0)
	for _, tc := range []struct {
		o   Options
		err string
	}{
		{Options{Broker: "ssl://x:1", DeviceID: dev, CAFile: "/nonexistent"}, "tls ca"},
		{Options{Broker: "ssl://x:1", DeviceID: dev, CertFile: "a"}, "both"},
	} {
		_, err := New(tc.o, st, &agent{})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.err)
		}
	}
}
