package link_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/sync/link"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
)

func TestBackoff(t *testing.T) {
	b := link.Backoff{Min: time.Second, Max: 30 * time.Second}
	for n, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30, 30} {
		if got := b.Delay(n); got != want*time.Second {
			t.Errorf("attempt %d: %v, want %v", n, got, want*time.Second)
		}
	}
	if got := b.Delay(1000); got != 30*time.Second {
		t.Errorf("attempt 1000: %v", got)
	}
	for _, r := range []float64{0, 0.5, 0.999} {
		j := link.Backoff{Min: time.Second, Max: 30 * time.Second, Rand: func() float64 { return r }}
		for n := range 8 {
			d, got := b.Delay(n), j.Delay(n)
			if got < d/2 || got > d {
				t.Errorf("jitter %v attempt %d: %v not in [%v, %v]", r, n, got, d/2, d)
			}
		}
	}
}

func TestDrainOldestFirstAckedOnce(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	st := newStore(t, 300)
	l := r.start(link.Options{Broker: r.b.URL(), Batch: 40, InFlight: 2}, r.outbox(st), r.agent())
	r.until("the outbox to drain", func() bool { return pending(st) == 0 && l.Counters().Acked == 300 })
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
	r.until("the kicked records", func() bool { return pending(st) == 0 })
}

func TestUnackedIsResent(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	c.drop = func(n int) bool { return n <= 2 } // the central loses the first two messages
	st := newStore(t, 100)
	ackTimeout := 300 * time.Millisecond
	l := r.start(link.Options{Broker: r.b.URL(), Batch: 30, InFlight: 2, AckTimeout: ackTimeout}, r.outbox(st), r.agent())
	r.until("the first two messages", func() bool { return c.messages() >= 2 })
	r.fire("the ack timeout", ackTimeout)
	r.until("the outbox to drain", func() bool { return pending(st) == 0 && l.Counters().Acked == 100 })
	if k := l.Counters(); k.Resends == 0 || k.Acked != 100 {
		t.Errorf("counters %+v: want a resend and 100 acked", k)
	}
}

func TestNoAckNoDelivery(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	c.drop = func(int) bool { return true } // the broker gets everything, the central acks nothing
	st := newStore(t, 20)
	ackTimeout := 100 * time.Millisecond
	l := r.start(link.Options{Broker: r.b.URL(), AckTimeout: ackTimeout}, r.outbox(st), r.agent())
	for n := 1; n <= 2; n++ {
		r.until("a records message", func() bool { return c.messages() >= n })
		r.fire("the ack timeout", ackTimeout)
	}
	r.until("two resends", func() bool { return l.Counters().Resends >= 2 })
	if n := pending(st); n != 20 {
		t.Fatalf("%d pending: a PUBACK is not delivery, all 20 must stay", n)
	}
}

func TestReconnectAfterBrokerRestart(t *testing.T) {
	r := newRig(t)
	st := newStore(t, 50)
	l := r.start(link.Options{Broker: r.b.URL(), AckTimeout: time.Second}, r.outbox(st), r.agent())
	r.until("connect", func() bool { return l.Counters().Connected })
	r.b.Kill()
	// Connected again only after the backoff, which the fake clock holds.
	if err := r.clk.WaitArmed(r.ctx, testBackoff.Max); err != nil {
		t.Fatal("the link did not wait to reconnect")
	}
	if l.Counters().Connected {
		t.Fatal("the link did not see the broker gone")
	}
	appendRecords(t, st, 50)
	r.b.Restart()
	r.central(r.b.URL())
	l.Kick()
	r.clk.Advance(testBackoff.Max)
	r.until("the outbox to drain", func() bool { return pending(st) == 0 })
	if k := l.Counters(); k.Connects < 2 {
		t.Errorf("counters %+v: want a reconnect", k)
	}
}

func TestStatusRetainedAndWill(t *testing.T) {
	r := newRig(t)
	p := mqtttest.StartProxy(t, r.b.Addr())
	st := newStore(t, 3)
	c := r.central(r.b.URL())
	c.drop = func(int) bool { return true }
	l := r.start(link.Options{Broker: p.URL(), StatusMin: time.Hour, AckTimeout: time.Hour}, r.outbox(st), r.agent())
	r.until("an online status", c.online)
	s := c.statuses()[0]
	if s.Outbox != 3 || s.LastSeq != 3 || s.Printer != "none" || s.OldestUnackedS <= 0 || s.Faults == nil {
		t.Errorf("status %+v", s)
	}
	// A pad gone without a goodbye: the broker publishes the Last Will.
	before := len(c.statuses())
	p.Cut()
	will := -1
	r.until("the Last Will", func() bool {
		for i, s := range c.statuses()[before:] {
			if !s.Online {
				will = before + i
				return true
			}
		}
		return false
	})
	// The link comes back after its backoff and says so; a central that
	// subscribes later gets the retained status.
	r.fire("the reconnect backoff", testBackoff.Max)
	r.until("online again", func() bool { return len(c.statuses()) > will+1 && c.online() })
	if s := r.retainedStatus("late"); !s.Online || s.Outbox != 3 {
		t.Errorf("retained status %+v", s)
	}
	if k := l.Counters(); k.Connects < 2 {
		t.Errorf("counters %+v", k)
	}
}

// TestStatusRefresh: with nothing to say the status comes every StatusEvery;
// after a change (here a kick) it comes StatusMin after the last one, not
// sooner. Each one is stamped with the clock's time when it was sent.
func TestStatusRefresh(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	st := newStore(t, 0)
	every, least := 5*time.Minute, 10*time.Second
	l := r.start(link.Options{Broker: r.b.URL(), StatusEvery: every, StatusMin: least}, r.outbox(st), r.agent())
	r.until("an online status", c.online)
	r.fire("the status refresh", every)
	r.until("the refreshed status", func() bool { return len(c.statuses()) == 2 })
	l.Kick()
	r.fire("the status after a change", least)
	r.until("the status after a change", func() bool { return len(c.statuses()) == 3 })
	var at []string
	for _, s := range c.statuses() {
		at = append(at, s.At)
	}
	want := []string{t0.Format(time.RFC3339), t0.Add(every).Format(time.RFC3339), t0.Add(every + least).Format(time.RFC3339)}
	if !slices.Equal(at, want) {
		t.Errorf("statuses at %q, want %q", at, want)
	}
}

// retainedStatus is the retained status a new subscriber with client id gets.
func (r *rig) retainedStatus(id string) protocol.Status {
	r.t.Helper()
	got := make(chan []byte, 1)
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(r.b.URL()).SetClientID(id))
	r.await(cl.Connect(), id+" connect")
	defer cl.Disconnect(0)
	r.await(cl.Subscribe(protocol.Topic(dev, protocol.UpStatus), 1, func(_ mqtt.Client, m mqtt.Message) {
		if m.Retained() {
			select {
			case got <- m.Payload():
			default:
			}
		}
	}), id+" subscribe")
	var s protocol.Status
	if err := json.Unmarshal(recv(r, "the retained status", got), &s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

func TestGoodbyeMarksOffline(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	l := r.start(link.Options{Broker: r.b.URL()}, r.outbox(newStore(t, 0)), r.agent())
	r.until("connect", func() bool { return c.online() && l.Counters().Connected })
	if s := r.retainedStatus("c1"); !s.Online {
		t.Fatalf("status %+v, want online", s)
	}
	l.stop()
	if s := r.retainedStatus("c2"); s.Online {
		t.Fatalf("status %+v after a clean stop, want offline", s)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		o   link.Options
		err string
	}{
		{link.Options{DeviceID: dev}, "no broker"},
		{link.Options{Broker: "http://x:1", DeviceID: dev}, "scheme"},
		{link.Options{Broker: "tcp://x:1", DeviceID: "a b"}, "device_id"},
		{link.Options{Broker: "tcp://x:1", DeviceID: dev}, "outbox and an agent"},
	} {
		_, err := link.New(tc.o, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.err)
		}
	}
	st := newStore(t, 0)
	for _, tc := range []struct {
		o   link.Options
		err string
	}{
		{link.Options{Broker: "ssl://x:1", DeviceID: dev, CAFile: "/nonexistent"}, "tls ca"},
		{link.Options{Broker: "ssl://x:1", DeviceID: dev, CertFile: "a"}, "both"},
	} {
		_, err := link.New(tc.o, st, &agent{})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.err)
		}
	}
}
