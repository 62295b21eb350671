package central

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"evalpad/central/centraltest"
	"evalpad/sync/natstest"
	"evalpad/sync/protocol"
)

func TestMQTTSubject(t *testing.T) {
	for topic, subject := range map[string]string{
		"hcp/v1/TA-1/up/records":  "hcp.v1.TA-1.up.records",
		"hcp/v1/TA.1.x/down/ack":  "hcp.v1.TA//1//x.down.ack",
		"hcp/v1/a_b-9/up/status":  "hcp.v1.a_b-9.up.status",
		"hcp/v1/../up/cmdresult":  "hcp.v1.////.up.cmdresult",
		"hcp/v1/x./down/config":   "hcp.v1.x//.down.config",
		"hcp/v1/.x/down/session":  "hcp.v1.//x.down.session",
		"hcp/v1/TA-1/down/cmd/ok": "hcp.v1.TA-1.down.cmd.ok",
	} {
		if got := MQTTSubject(topic); got != subject {
			t.Errorf("MQTTSubject(%q) = %q, want %q", topic, got, subject)
		}
		if got := SubjectTopic(subject); got != topic {
			t.Errorf("SubjectTopic(%q) = %q, want %q", subject, got, topic)
		}
	}
}

func TestNewHubChecksNATS(t *testing.T) {
	for _, u := range []string{"tcp://127.0.0.1:4222", "nats://", "nats://a:4222,http://b"} {
		if _, err := NewHub(HubOptions{Broker: "tcp://127.0.0.1:1", NATS: u, Key: testKey(t), Devices: func(context.Context, []string) (map[string]Registered, error) { return nil, nil }}, nil); err == nil {
			t.Errorf("NATS %q accepted", u)
		}
	}
}

// TestHubThroughNATSCluster: two hubs of one group on a 3-node NATS
// cluster whose nodes are the pads' MQTT brokers. A pad publishes over
// MQTT to the third node (nats-server 2.9 refuses a topic with a '.', so a
// device id with one cannot use it: 2.10 maps it to "//");
// each record is stored once and acked through NATS; every hub sees the
// retained status; a retained config published by a hub reaches a pad that
// subscribes later on another node; with the node the hubs met killed, the
// pad's next records are stored and acked too; and a message the store
// refused is delivered again by JetStream, with no resend from the pad;
// the group's consumer deleted, the hubs make it again.
func TestHubThroughNATSCluster(t *testing.T) {
	c := natstest.Start(t, 3)
	st := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	key := testKey(t)
	now := time.Now()
	pad := centraltest.NewPad("TA-1")
	enrollPad(t, st, pad, key, now.Add(-time.Hour))
	fs := &failingStore{Store: st}
	var logs lockedBuffer
	t.Cleanup(func() { // after the hubs stopped
		if t.Failed() {
			t.Logf("the hubs' log:\n%s", logs.String())
		}
	})
	o := HubOptions{NATS: c.URLs(), Broker: c.MQTTURLs(), Group: "g1", ClientID: "evalhub-1", Key: key, Devices: st.DevicesByID,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h := runHub(t, o, fs)
	o.ClientID = "evalhub-2"
	h2 := runHub(t, o, fs)

	cl := pad.Connect(t, c.Nodes[2].MQTTURL(), nil)
	signed := func(n int) []byte { return pad.Sign(t, pad.Record(n, now, nil)) }
	acked := func(want int) func() bool {
		return func() bool {
			seen := map[string]bool{}
			for _, id := range pad.Acked() {
				seen[id] = true
			}
			return len(seen) == want
		}
	}
	for i := 1; i <= 20; i++ {
		pad.Send(t, cl, signed(i), signed(i+1))
	}
	centraltest.Eventually(t, "acks through NATS", acked(21))
	if n, _ := st.Count(context.Background()); n != 21 {
		t.Errorf("%d stored, want 21", n)
	}
	centraltest.Eventually(t, "every message counted", func() bool {
		c1, c2 := h.Counters(), h2.Counters()
		return c1.New+c2.New == 21 && c1.Duplicates+c2.Duplicates == 19
	})

	cl.Publish(protocol.Topic(pad.ID, protocol.UpStatus), 1, true, protocol.Status{Online: true, Outbox: 7}.Marshal()).WaitTimeout(5 * time.Second)
	centraltest.Eventually(t, "the status at both hubs", func() bool {
		d1, d2 := h.Devices(), h2.Devices()
		return len(d1) == 1 && len(d2) == 1 && d1[0].Status.Outbox == 7 && d2[0].DeviceID == pad.ID
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfgTopic := protocol.Topic(pad.ID, protocol.DownConfig)
	if err := h.Publish(ctx, cfgTopic, true, []byte(`{"retained":"config"}`)); err != nil {
		t.Fatal(err)
	}
	got := make(chan mqtt.Message, 1)
	later := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(c.Nodes[1].MQTTURL()).SetClientID("later"))
	if tok := later.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer later.Disconnect(0)
	later.Subscribe(cfgTopic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }).WaitTimeout(10 * time.Second)
	select {
	case m := <-got:
		if !m.Retained() || string(m.Payload()) != `{"retained":"config"}` {
			t.Errorf("config: retained %v, %q", m.Retained(), m.Payload())
		}
	case <-time.After(10 * time.Second):
		t.Error("the config published by the hub is not retained on the cluster")
	}

	c.Nodes[0].Kill() // the first of the hubs' URLs: they are connected to it
	// The node the pad is on may close its connection while JetStream
	// elects new leaders for what the killed node led, and a record
	// published meanwhile may not reach the stream: the pad connects again
	// and sends what is not acked again, as its link would.
	publish := func(rec []byte) bool {
		tok := cl.Publish(protocol.Topic(pad.ID, protocol.UpRecords), 1, false, protocol.AppendRecords(nil, pad.ID, [][]byte{rec}))
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			return true
		}
		cl.Disconnect(0)
		time.Sleep(time.Second)
		if again, err := pad.Dial(c.Nodes[2].MQTTURL(), nil); err == nil {
			cl = again
			t.Cleanup(func() { again.Disconnect(0) })
		}
		return false
	}
	deliver := func(want int, recs ...[]byte) {
		for attempt := 1; !acked(want)(); attempt++ {
			if attempt > 12 {
				n, _ := st.Count(context.Background())
				t.Fatalf("%d records not acked after a minute: %d stored; hubs %+v %+v", len(recs), n, h.Counters(), h2.Counters())
			}
			for _, rec := range recs {
				if !publish(rec) {
					break
				}
			}
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && !acked(want)(); {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	var more [][]byte
	for i := 30; i < 40; i++ {
		more = append(more, signed(i))
	}
	deliver(31, more...)

	// The store fails: nothing acked, the message stays in the stream and
	// JetStream gives it again once the store is back.
	fs.mu.Lock()
	fs.fail = true
	fs.mu.Unlock()
	for attempt := 1; !publish(signed(50)); attempt++ {
		if attempt == 10 {
			t.Fatal("the pad cannot publish")
		}
	}
	centraltest.Eventually(t, "a failed commit", func() bool { return h.Counters().StoreFails+h2.Counters().StoreFails > 0 })
	if acked(32)() {
		t.Fatal("acked without a commit")
	}
	fs.mu.Lock()
	fs.fail = false
	fs.mu.Unlock()
	centraltest.Eventually(t, "the record stored from JetStream's redelivery", acked(32))
	if n, _ := st.Count(context.Background()); n != 32 {
		t.Errorf("%d stored, want 32", n)
	}
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// Each JetStream request may time out while the cluster settles after
	// the kill: asked again until it answers.
	jsDo := func(f func(ctx context.Context, s jetstream.Stream) bool) func() bool {
		return func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			s, err := js.Stream(ctx, RecordsStream)
			return err == nil && f(ctx, s)
		}
	}
	centraltest.Eventually(t, "the stream emptied by the acks", jsDo(func(ctx context.Context, s jetstream.Stream) bool {
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs == 0 && info.Config.Replicas == 3
	}))
	// The group's consumer deleted by hand: the hubs make it again.
	centraltest.Eventually(t, "the consumer deleted", jsDo(func(ctx context.Context, s jetstream.Stream) bool {
		err := s.DeleteConsumer(ctx, "g1")
		return err == nil || errors.Is(err, jetstream.ErrConsumerNotFound)
	}))
	deliver(33, signed(60))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
