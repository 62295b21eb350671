package central

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/sync/protocol"
)

// Message is one message the hub got from its bus, named by its MQTT
// topic (hcp/v1/DEVICE/up/records), whatever the bus.
type Message struct {
	Topic   string
	Payload []byte
	// ack tells the bus the message is done with (stored and acked to its
	// pad, or worth nothing); nak asks for it again later. Both nil when
	// the bus took the message off the broker on arrival (MQTT: the pad's
	// resend covers a message lost before the commit).
	ack, nak func()
}

// Ack: the message is done with (after the commit).
func (m Message) Ack() {
	if m.ack != nil {
		m.ack()
	}
}

// Nak: the message was not stored; the bus gives it again later, to this
// hub or another.
func (m Message) Nak() {
	if m.nak != nil {
		m.nak()
	}
}

// Bus is how the hub meets the pads: an MQTT broker (mqttBus) or a NATS
// cluster whose nodes speak MQTT to the pads (natsBus).
type Bus interface {
	// Run connects (and reconnects) until ctx ends, and hands the up/records
	// messages this hub is to store to records (the bus shares them out
	// among the hubs of one group) and every up/status and up/cmdresult to
	// other (every hub sees each). Both may block.
	Run(ctx context.Context, records, other func(Message)) error
	// Publish sends payload on topic (an MQTT topic) so an MQTT subscriber
	// gets it, retained if asked, and returns once the broker took it.
	Publish(ctx context.Context, topic string, retained bool, payload []byte) error
	// Post sends payload on topic, not retained, without waiting for the
	// broker: the hub's workers send acks with it (waiting there could
	// hold up the client's reading of the broker's answers behind a full
	// queue of records). A message lost is an ack lost: the pad sends the
	// records again.
	Post(topic string, payload []byte)
	// State: the connection is up; the records are being received.
	State() (connected, subscribed bool)
}

// mqttBus is a paho client: with records set, a shared subscription
// ($share/GROUP/…) splits the pads' records among the hubs of one group.
type mqttBus struct {
	brokers            []string // tried in turn
	clientID, group    string
	username, password string
	tls                *tls.Config
	records            bool // subscribe to the records (false: statuses and results only)
	log                *slog.Logger

	cl         atomic.Pointer[mqtt.Client]
	subscribed atomic.Bool
	ready      chan struct{} // closed once cl is set
}

func newMQTTBus(o HubOptions, records bool, log *slog.Logger) *mqttBus {
	var brokers []string
	for u := range strings.SplitSeq(o.Broker, ",") {
		if u = strings.TrimSpace(u); u != "" {
			brokers = append(brokers, u)
		}
	}
	return &mqttBus{brokers: brokers, clientID: o.ClientID, group: o.Group, username: o.Username, password: o.Password,
		tls: o.TLS, records: records, log: log, ready: make(chan struct{})}
}

func (b *mqttBus) State() (bool, bool) {
	cl := b.cl.Load()
	return cl != nil && (*cl).IsConnectionOpen(), b.subscribed.Load()
}

// Run connects (paho reconnects on its own, resubscribing each time).
func (b *mqttBus) Run(ctx context.Context, records, other func(Message)) error {
	filters := map[string]byte{protocol.Prefix + "+/" + protocol.UpStatus: 1, protocol.Prefix + "+/" + protocol.UpCmdResult: 1}
	if b.records {
		filters[protocol.SharedRecordsFilter(b.group)] = 1
	}
	redacted := make([]string, len(b.brokers))
	for i, u := range b.brokers {
		redacted[i] = protocol.RedactURL(u)
	}
	o := mqtt.NewClientOptions().
		SetClientID(b.clientID).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(5 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
			msg := Message{Topic: m.Topic(), Payload: m.Payload()}
			if _, suffix, err := protocol.ParseTopic(m.Topic()); err == nil && suffix == protocol.UpRecords {
				records(msg)
				return
			}
			other(msg)
		}).
		SetOnConnectHandler(func(c mqtt.Client) {
			b.log.Info("evalhub: connected", "broker", strings.Join(redacted, ","), "records", b.records)
			// Not waited on here: this runs on paho's connection goroutine.
			// Tried again while it fails: a NATS node refuses a subscription
			// while JetStream elects new leaders after a node died.
			go func() {
				for c.IsConnectionOpen() {
					t := c.SubscribeMultiple(filters, nil)
					err := SubscribeError(t, 10*time.Second)
					if err == nil {
						b.subscribed.Store(true)
						return
					}
					b.log.Error("evalhub: subscribe; trying again", "err", err)
					time.Sleep(2 * time.Second)
				}
			}()
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			b.subscribed.Store(false)
			b.log.Warn("evalhub: connection lost", "err", err)
		})
	for _, u := range b.brokers {
		o.AddBroker(u)
	}
	if b.username != "" {
		o.SetUsername(b.username)
		o.SetPassword(b.password)
	}
	if b.tls != nil {
		o.SetTLSConfig(b.tls)
	}
	cl := mqtt.NewClient(o)
	b.cl.Store(&cl)
	close(b.ready)
	cl.Connect() // retries until it connects; the OnConnect handler subscribes
	<-ctx.Done()
	cl.Disconnect(250)
	return nil
}

// Post publishes with QoS 1; paho keeps the message until the broker has
// it (a clean session drops it at a reconnect).
func (b *mqttBus) Post(topic string, payload []byte) {
	if cl := b.cl.Load(); cl != nil {
		(*cl).Publish(topic, 1, false, payload)
	}
}

// Publish sends with QoS 1 and returns once the broker took it (while the
// client is connecting, paho keeps it and sends it on connect), or when
// ctx ends.
func (b *mqttBus) Publish(ctx context.Context, topic string, retained bool, payload []byte) error {
	select {
	case <-b.ready:
	case <-ctx.Done():
		return fmt.Errorf("central: publish %s: %w", topic, ErrNotRunning)
	}
	cl := *b.cl.Load()
	// Not before the connection is up: paho holds a message published
	// while it connects, and a clean session's connect drops it, its token
	// never done — a config signed at start (RunResign) was recorded as
	// sent and never reached the broker.
	for !cl.IsConnectionOpen() {
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("central: publish %s: not connected: %w", topic, ctx.Err())
		}
	}
	t := cl.Publish(topic, 1, retained, payload)
	select {
	case <-t.Done():
		if err := t.Error(); err != nil {
			return fmt.Errorf("central: publish %s: %w", topic, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("central: publish %s: %w", topic, ctx.Err())
	}
}

// SubscribeError waits up to d for a paho subscribe token and returns why
// it failed, a filter the broker refused included: paho reports a SUBACK
// of 0x80 as a granted "QoS" 128 and no error, and a NATS node sends one
// while JetStream elects leaders after a node died.
func SubscribeError(t mqtt.Token, d time.Duration) error {
	if !t.WaitTimeout(d) {
		return fmt.Errorf("central: subscribe: no answer in %v", d)
	}
	if err := t.Error(); err != nil {
		return fmt.Errorf("central: subscribe: %w", err)
	}
	if st, ok := t.(*mqtt.SubscribeToken); ok {
		for filter, qos := range st.Result() {
			if qos > 2 {
				return fmt.Errorf("central: subscribe: the broker refused %s (SUBACK 0x%02x)", filter, qos)
			}
		}
	}
	return nil
}
