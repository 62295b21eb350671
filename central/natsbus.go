package central

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"evalpad/sync/protocol"
)

// RecordsStream is the JetStream stream the hubs create on a NATS cluster
// to hold the pads' up/records until a hub has stored them.
const RecordsStream = "HCP_RECORDS"

// natsBus takes the records from a NATS cluster whose nodes are the pads'
// MQTT brokers. An MQTT client's QoS 1 publish on hcp/v1/DEV/up/records is
// the NATS subject hcp.v1.DEV.up.records (MQTTSubject); the stream
// RecordsStream (work-queue retention, NATSReplicas replicas) captures
// them, and one durable pull consumer named after the group, shared by
// every hub of the group, hands each message to one hub, which acks it to
// JetStream only after its commit and its pad's ack: a hub killed before
// leaves it to be delivered again (AckWait), to another hub.
//
// Acks to the pads go out as NATS messages on hcp.v1.DEV.down.ack: the
// server hands a message from a NATS client to MQTT subscribers at QoS 0
// only (it carries no QoS), so an ack to a pad that is away is lost and
// the pad sends the records again, which are acked again, stored once.
// Everything else goes through the cluster's MQTT listener (Broker), with
// a plain MQTT client: a retained config, and commands and sessions at
// QoS 1 (queued for a pad that is away), which a message published from
// NATS could not be; the statuses (retained) and command results come in
// through it too.
type natsBus struct {
	urls, creds string
	durable     string
	replicas    int
	name        string
	log         *slog.Logger
	mqtt        *mqttBus

	nc       atomic.Pointer[nats.Conn]
	consumed atomic.Bool
	ready    chan struct{} // closed once nc is set
}

func newNATSBus(o HubOptions, log *slog.Logger) *natsBus {
	return &natsBus{urls: o.NATS, creds: o.NATSCreds, durable: o.Group, replicas: o.NATSReplicas, name: o.ClientID,
		log: log, mqtt: newMQTTBus(o, false, log), ready: make(chan struct{})}
}

// checkNATS checks a comma-separated list of NATS URLs ("" is none).
func checkNATS(urls string) error {
	if urls == "" {
		return nil
	}
	for u := range strings.SplitSeq(urls, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") {
			return fmt.Errorf("central: hub: NATS URL %q: want nats://HOST:PORT (or tls://, ws://, wss://), comma-separated", protocol.RedactURL(u))
		}
	}
	return nil
}

// MQTTSubject is the NATS subject of an MQTT topic as nats-server maps it:
// '/' becomes '.', and '.' becomes "//".
func MQTTSubject(topic string) string {
	var b strings.Builder
	for _, c := range []byte(topic) {
		switch c {
		case '/':
			b.WriteByte('.')
		case '.':
			b.WriteString("//")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// SubjectTopic is MQTTSubject's inverse.
func SubjectTopic(subject string) string {
	var b strings.Builder
	for i := 0; i < len(subject); i++ {
		switch {
		case subject[i] == '/' && i+1 < len(subject) && subject[i+1] == '/':
			b.WriteByte('.')
			i++
		case subject[i] == '.':
			b.WriteByte('/')
		default:
			b.WriteByte(subject[i])
		}
	}
	return b.String()
}

func (b *natsBus) State() (bool, bool) {
	mc, ms := b.mqtt.State()
	nc := b.nc.Load()
	return mc && nc != nil && nc.IsConnected(), ms && b.consumed.Load()
}

// Run connects to the cluster (the client fails over between its nodes),
// makes the stream and the consumer if they are not there, consumes, and
// runs the MQTT client beside it.
func (b *natsBus) Run(ctx context.Context, records, other func(Message)) error {
	opts := []nats.Option{nats.Name(b.name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second), nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.log.Warn("evalhub: nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { b.log.Info("evalhub: nats reconnected", "server", c.ConnectedUrlRedacted()) })}
	if b.creds != "" {
		opts = append(opts, nats.UserCredentials(b.creds))
	}
	nc, err := nats.Connect(b.urls, opts...)
	if err != nil {
		close(b.ready)
		return fmt.Errorf("central: nats %s: %w", protocol.RedactURL(b.urls), err)
	}
	b.nc.Store(nc)
	close(b.ready)
	defer nc.Close()
	mqttDone := make(chan struct{})
	go func() {
		defer close(mqttDone)
		b.mqtt.Run(ctx, records, other)
	}()
	defer func() { <-mqttDone }()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("central: jetstream: %w", err)
	}
	for ctx.Err() == nil {
		b.consume(ctx, js, records)
	}
	return nil
}

// consume makes the stream and the consumer if they are missing and
// consumes until ctx ends or the consumer is gone (deleted by hand, or
// lost with the cluster's state): then the caller makes it again.
func (b *natsBus) consume(ctx context.Context, js jetstream.JetStream, records func(Message)) {
	gone := make(chan struct{}, 1)
	cons, err := b.ensure(ctx, js)
	var cc jetstream.ConsumeContext
	if err == nil {
		cc, err = cons.Consume(func(m jetstream.Msg) {
			records(Message{Topic: SubjectTopic(m.Subject()), Payload: m.Data(),
				ack: func() { m.Ack() }, nak: func() { m.NakWithDelay(2 * time.Second) }})
		}, jetstream.PullMaxMessages(512), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			b.log.Warn("evalhub: jetstream consume", "err", err)
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				select {
				case gone <- struct{}{}:
				default:
				}
			}
		}))
	}
	if err != nil {
		b.log.Error("evalhub: jetstream: records not consumed yet, trying again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
		return
	}
	b.consumed.Store(true)
	b.log.Info("evalhub: consuming records", "stream", RecordsStream, "consumer", b.durable)
	select {
	case <-ctx.Done():
	case <-gone:
	}
	cc.Stop()
	b.consumed.Store(false)
}

// ensure creates the stream and the group's consumer, or finds them made.
func (b *natsBus) ensure(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, RecordsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: RecordsStream,
			Description: "the pads' up/records until an evalhub has stored them",
			Subjects:    []string{MQTTSubject(protocol.Prefix + "*/" + protocol.UpRecords)},
			Retention:   jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Replicas: b.replicas,
			MaxAge: 7 * 24 * time.Hour, Discard: jetstream.DiscardOld})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another hub made it meanwhile
			s, err = js.Stream(ctx, RecordsStream)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", RecordsStream, err)
	}
	c, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: b.durable,
		Description: "evalhub instances of one group share it", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: time.Minute, MaxDeliver: -1, MaxAckPending: 8192})
	if err != nil {
		return nil, fmt.Errorf("consumer %s on %s (a work-queue stream takes one consumer: a hub of another group?): %w", b.durable, RecordsStream, err)
	}
	return c, nil
}

// Publish sends a config, command or session through the MQTT client (see
// natsBus); an ack, as Post does.
func (b *natsBus) Publish(ctx context.Context, topic string, retained bool, payload []byte) error {
	if _, suffix, err := protocol.ParseTopic(topic); err != nil || suffix != protocol.DownAck || retained {
		return b.mqtt.Publish(ctx, topic, retained, payload)
	}
	select {
	case <-b.ready:
	case <-ctx.Done():
		return fmt.Errorf("central: publish %s: %w", topic, ErrNotRunning)
	}
	return b.post(topic, payload)
}

// Post sends an ack as a NATS message (the client buffers it while it
// reconnects).
func (b *natsBus) Post(topic string, payload []byte) {
	if err := b.post(topic, payload); err != nil {
		b.log.Warn("evalhub: ack not sent; the pad will send the records again", "topic", topic, "err", err)
	}
}

func (b *natsBus) post(topic string, payload []byte) error {
	nc := b.nc.Load()
	if nc == nil {
		return fmt.Errorf("central: publish %s: %w", topic, ErrNotRunning)
	}
	if err := nc.Publish(MQTTSubject(topic), payload); err != nil {
		return fmt.Errorf("central: publish %s: %w", topic, err)
	}
	return nil
}
