package central

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"evalpad/sync/protocol"
	"evalpad/trust"
)

// HubOptions configure the ingest of records from the broker.
type HubOptions struct {
	// Broker is the MQTT broker: tcp://host:port, ssl://…; several,
	// comma-separated, are tried in turn. Required.
	Broker             string
	Group              string // shared subscription group; default "evalhub"
	ClientID           string // default evalhub-HOST-PID
	Username, Password string
	TLS                *tls.Config

	// NATS, when set, is a NATS cluster (nats://host:4222,nats://…) whose
	// nodes are the pads' MQTT brokers: the hub takes the records from it
	// through JetStream (see natsBus) and Broker is then the cluster's
	// MQTT listeners, for the downlinks and the statuses. NATSCreds is a
	// .creds file for it (user:password may be given in the URLs instead);
	// NATSReplicas the records stream's replicas, default 3.
	NATS, NATSCreds string
	NATSReplicas    int

	Workers  int // goroutines storing records; default 4
	MaxBatch int // records stored in one transaction at most; default 4096

	// Key is the central's key: it signs every ack (trust.SignDown).
	// Required.
	Key ed25519.PrivateKey
	// Devices gives the registered devices among ids (Registry.DevicesByID):
	// a record is stored only when its device's key verifies it. Required.
	Devices func(ctx context.Context, ids []string) (map[string]Registered, error)
	// AckLifetime is how long an ack is good for: a pad refuses it after
	// (and resends; the hub acks the resend again). Default DefaultAckLifetime.
	AckLifetime time.Duration
	// ClockSkew: how far a record's "at" may be ahead of the hub's clock, or
	// before its device's enrollment. Default MaxClockSkew.
	ClockSkew time.Duration

	// OnCmdResult, if set, gets each pad's answer on up/cmdresult to a
	// command, session or config (every hub instance subscribes).
	OnCmdResult func(device string, r protocol.CmdResult, raw []byte)

	// OnStatus, if set, gets each pad's up/status (every hub instance
	// subscribes): rollouts follow the update reports in it.
	OnStatus func(device string, st protocol.Status)

	// AfterCommit, if set, is called after each commit and before its acks
	// are sent, with the number of commits so far: a seam for crash tests.
	AfterCommit func(commits int)

	Now    func() time.Time
	Logger *slog.Logger
}

// HubCounters are what a hub did since it started.
type HubCounters struct {
	Connected  bool   `json:"connected"`
	Subscribed bool   `json:"subscribed"`  // records are coming: the shared subscription (NATS: the JetStream consumer and the MQTT subscriptions) in place
	Messages   uint64 `json:"messages"`    // up/records messages received
	New        uint64 `json:"new"`         // records stored
	Duplicates uint64 `json:"duplicates"`  // records received again (resends), not stored again
	Rejected   uint64 `json:"rejected"`    // records refused as invalid (kept apart, acked)
	Unackable  uint64 `json:"unackable"`   // messages or records too broken to name an id
	Acked      uint64 `json:"acked"`       // ids acked
	StoreFails uint64 `json:"store_fails"` // transactions that failed: nothing acked, the pads resend
	Commits    uint64 `json:"commits"`     // transactions committed
}

// DefaultAckLifetime is how long a signed ack is good for.
const DefaultAckLifetime = time.Hour

// Hub receives the pads' records over a shared subscription, stores each
// once and acks it only after the commit.
type Hub struct {
	o   HubOptions
	st  Store
	log *slog.Logger

	bus  Bus
	msgs chan Message

	mu      sync.Mutex
	cnt     HubCounters
	devices map[string]Device
}

// Device is the last status a pad published (retained on up/status).
type Device struct {
	DeviceID   string          `json:"device_id"`
	Status     protocol.Status `json:"status"`
	ReceivedAt time.Time       `json:"received_at"`
}

// Devices returns the last status of every pad seen, by device id.
func (h *Hub) Devices() []Device {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Device, 0, len(h.devices))
	for _, d := range h.devices {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Device) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	return out
}

// onStatus keeps a pad's status (every hub instance sees every status:
// it is a plain subscription, not the shared one).
func (h *Hub) onStatus(dev string, payload []byte) {
	if len(payload) == 0 {
		return
	}
	st, err := protocol.ParseStatus(payload)
	if err != nil {
		h.log.Warn("evalhub: bad status", "device", dev, "err", err)
		return
	}
	h.mu.Lock()
	if h.devices == nil {
		h.devices = map[string]Device{}
	}
	h.devices[dev] = Device{DeviceID: dev, Status: st, ReceivedAt: h.o.Now().UTC()}
	h.mu.Unlock()
	if h.o.OnStatus != nil {
		h.o.OnStatus(dev, st)
	}
}

// onResult passes a pad's answer on.
func (h *Hub) onResult(dev string, payload []byte) {
	if h.o.OnCmdResult == nil {
		return
	}
	r, err := protocol.ParseCmdResult(payload)
	if err != nil {
		h.log.Warn("evalhub: bad cmdresult", "device", dev, "err", err)
		return
	}
	h.o.OnCmdResult(dev, r, payload)
}

// ErrNotRunning: the hub's Run did not start before ctx ended.
var ErrNotRunning = errors.New("central: hub not running")

// Publish sends payload on topic (QoS 1 over MQTT) through the hub's bus
// and returns once the broker took it, or when ctx ends.
func (h *Hub) Publish(ctx context.Context, topic string, retained bool, payload []byte) error {
	return h.bus.Publish(ctx, topic, retained, payload)
}

// NewHub builds a hub on st; Run starts it.
func NewHub(o HubOptions, st Store) (*Hub, error) {
	if o.Broker == "" {
		return nil, errors.New("central: hub: no broker URL")
	}
	if err := checkNATS(o.NATS); err != nil {
		return nil, err
	}
	if len(o.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("central: hub: no key to sign acks with")
	}
	if o.Devices == nil {
		return nil, errors.New("central: hub: no device registry")
	}
	if o.AckLifetime <= 0 {
		o.AckLifetime = DefaultAckLifetime
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = MaxClockSkew
	}
	if o.Group == "" {
		o.Group = "evalhub"
	}
	if o.ClientID == "" {
		host, _ := os.Hostname()
		o.ClientID = fmt.Sprintf("evalhub-%s-%d", host, os.Getpid())
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 4096
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{o: o, st: st, log: log, msgs: make(chan Message, 1024)}
	if o.NATS != "" {
		if o.NATSReplicas <= 0 {
			o.NATSReplicas = 3
		}
		h.bus = newNATSBus(o, log)
	} else {
		h.bus = newMQTTBus(o, true, log)
	}
	return h, nil
}

// Counters returns what the hub did so far.
func (h *Hub) Counters() HubCounters {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cnt
	c.Connected, c.Subscribed = h.bus.State()
	return c
}

func (h *Hub) count(f func(c *HubCounters)) {
	h.mu.Lock()
	f(&h.cnt)
	h.mu.Unlock()
}

// Run connects the bus (it reconnects on its own), stores what arrives,
// and stops when ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	records := func(m Message) {
		select {
		case h.msgs <- m:
		case <-ctx.Done():
		}
	}
	other := func(m Message) {
		if dev, suffix, err := protocol.ParseTopic(m.Topic); err == nil {
			switch suffix {
			case protocol.UpStatus:
				h.onStatus(dev, m.Payload)
			case protocol.UpCmdResult:
				h.onResult(dev, m.Payload)
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range h.o.Workers {
		wg.Go(func() { h.work(ctx) })
	}
	err := h.bus.Run(ctx, records, other) // until ctx ends, or it cannot run at all
	cancel()
	wg.Wait()
	return err
}

// work stores messages as they come, several in one transaction when they
// queue up, and acks each device's ids after the commit.
func (h *Hub) work(ctx context.Context) {
	for {
		var first Message
		select {
		case <-ctx.Done():
			return
		case first = <-h.msgs:
		}
		var b Batch
		b.Add(h.parse(first))
		got := []Message{first}
	more:
		for b.Records() < h.o.MaxBatch {
			select {
			case m := <-h.msgs:
				b.Add(h.parse(m))
				got = append(got, m)
			default:
				break more
			}
		}
		if err := h.check(ctx, &b); err != nil {
			h.count(func(c *HubCounters) { c.StoreFails++ })
			h.log.Error("evalhub: device registry: nothing stored or acked, the pads will send again", "err", err)
			nakAll(got)
			continue
		}
		acks, err := h.Store(ctx, &b)
		if err != nil {
			h.log.Error("evalhub: store records: nothing acked, the pads will send them again", "err", err)
			nakAll(got)
			continue
		}
		if h.o.AfterCommit != nil {
			h.o.AfterCommit(int(h.Counters().Commits))
		}
		for dev, ids := range acks {
			// Several acks if the ids would not fit one message.
			for len(ids) > 0 {
				n := min(len(ids), protocol.MaxAckIDs)
				topic := protocol.Topic(dev, protocol.DownAck)
				msg, err := trust.SignDown(h.o.Key, topic, protocol.Ack{IDs: ids[:n]}.Marshal(), h.o.Now().Add(h.o.AckLifetime))
				if err != nil { // cannot happen: the ack is JSON we made
					h.log.Error("evalhub: sign ack", "err", err)
					break
				}
				h.bus.Post(topic, msg)
				h.count(func(c *HubCounters) { c.Acked += uint64(n) })
				ids = ids[n:]
			}
		}
		// Only now is each message done with (a message the hub could make
		// nothing of too: it would be worth no more the next time).
		for _, m := range got {
			m.Ack()
		}
	}
}

func nakAll(ms []Message) {
	for _, m := range ms {
		m.Nak()
	}
}

// check looks the batch's devices up and applies Check to each message.
// A registry that cannot be read is an error: nothing is refused for it.
func (h *Hub) check(ctx context.Context, b *Batch) error {
	var ids []string
	for _, m := range b.msgs {
		if !slices.Contains(ids, m.Device) {
			ids = append(ids, m.Device)
		}
	}
	devs, err := h.o.Devices(ctx, ids)
	if err != nil {
		return err
	}
	c := Check{Devices: devs, Now: h.o.Now(), Skew: h.o.ClockSkew}
	for i := range b.msgs {
		c.Apply(&b.msgs[i])
	}
	return nil
}

// Parsed is one up/records message, checked.
type Parsed struct {
	Device  string
	Rows    []Row
	Rejects []Reject
}

// Batch gathers parsed messages to store in one transaction.
type Batch struct{ msgs []Parsed }

// Add adds p (a zero Parsed, from a message with nothing to store, is skipped).
func (b *Batch) Add(p Parsed) {
	if p.Device != "" {
		b.msgs = append(b.msgs, p)
	}
}

// Records counts the records in b.
func (b *Batch) Records() int {
	n := 0
	for _, m := range b.msgs {
		n += len(m.Rows) + len(m.Rejects)
	}
	return n
}

func (h *Hub) parse(m Message) Parsed {
	h.count(func(c *HubCounters) { c.Messages++ })
	p, err := Parse(m.Topic, m.Payload, h.o.Now())
	if err != nil {
		h.count(func(c *HubCounters) { c.Unackable++ })
		h.log.Warn("evalhub: message dropped", "topic", m.Topic, "err", err)
	}
	return p
}

// Parse checks an up/records message: the envelope, then each record. A
// record that breaks the protocol but names a UUID id becomes a Reject;
// one with no usable id cannot be acked and is only logged (in err, along
// with the rest of the message being returned).
func Parse(topic string, payload []byte, now time.Time) (Parsed, error) {
	dev, suffix, err := protocol.ParseTopic(topic)
	if err != nil {
		return Parsed{}, err
	}
	if suffix != protocol.UpRecords {
		return Parsed{}, fmt.Errorf("central: topic %q is not up/records", topic)
	}
	msg, err := protocol.ParseRecords(payload)
	if err != nil {
		return Parsed{}, err
	}
	if msg.DeviceID != dev {
		return Parsed{}, fmt.Errorf("%w: records: device_id %q sent on the topic of %q", protocol.ErrInvalid, msg.DeviceID, dev)
	}
	p := Parsed{Device: dev}
	var errs []error
	for i, raw := range msg.Records {
		if !utf8.Valid(raw) { // encoding/json would decode it, and PostgreSQL refuse the batch's transaction
			if id := protocol.RecordID(raw); id != "" {
				p.Rejects = append(p.Rejects, Reject{ID: id, DeviceID: dev, Reason: "record: not valid UTF-8", Body: protocol.KnownMembers(raw), ReceivedAt: now})
			} else {
				errs = append(errs, fmt.Errorf("records[%d]: not valid UTF-8", i))
			}
			continue
		}
		r, err := protocol.ParseRecord(raw, dev)
		if err == nil {
			p.Rows = append(p.Rows, NewRow(r, raw, now))
			continue
		}
		id := protocol.RecordID(raw)
		if id == "" {
			errs = append(errs, fmt.Errorf("records[%d]: %w", i, err))
			continue
		}
		// Kept without members protocol v1 does not have: they were not
		// checked, and what is stored is served back.
		p.Rejects = append(p.Rejects, Reject{ID: id, DeviceID: dev, Reason: err.Error(), Body: protocol.KnownMembers(raw), ReceivedAt: now})
	}
	return p, errors.Join(errs...)
}

// Store writes b in one transaction and returns, per device, the ids to ack:
// every record and reject of b, new or already stored. When the
// transaction fails and b holds several messages, each is stored on its
// own, so that one message the database refuses cannot hold back the
// others: it is set aside as rejected (its records kept with the
// database's reason, acked), unless every message fails alike (the
// database is down: nothing is acked, the pads send again).
func (h *Hub) Store(ctx context.Context, b *Batch) (map[string][]string, error) {
	if len(b.msgs) == 0 {
		return nil, nil
	}
	acks, err := h.storeAll(ctx, b)
	if err == nil || len(b.msgs) == 1 {
		return acks, err
	}
	acks = map[string][]string{}
	type refused struct {
		m   Parsed
		err error
	}
	var failed []refused
	for _, m := range b.msgs {
		a, err := h.storeAll(ctx, &Batch{msgs: []Parsed{m}})
		if err != nil {
			failed = append(failed, refused{m, err})
			continue
		}
		for dev, ids := range a {
			acks[dev] = append(acks[dev], ids...)
		}
	}
	if len(failed) == len(b.msgs) {
		return nil, failed[0].err
	}
	for _, f := range failed {
		m := f.m
		aside := Parsed{Device: m.Device, Rejects: slices.Clone(m.Rejects)}
		for _, r := range m.Rows {
			aside.Rejects = append(aside.Rejects, Reject{ID: r.ID, DeviceID: m.Device, Reason: fmt.Sprintf("the database refused its message: %v", f.err),
				Body: r.Body, ReceivedAt: r.ReceivedAt})
		}
		h.log.Error("evalhub: a message the database refuses is set aside as rejected", "device", m.Device, "records", len(aside.Rejects), "err", f.err)
		a, err := h.storeAll(ctx, &Batch{msgs: []Parsed{aside}})
		if err != nil {
			continue // not acked: sent again
		}
		for dev, ids := range a {
			acks[dev] = append(acks[dev], ids...)
		}
	}
	return acks, nil
}

// storeAll writes b in one transaction.
func (h *Hub) storeAll(ctx context.Context, b *Batch) (map[string][]string, error) {
	var rows []Row
	var rejects []Reject
	acks := map[string][]string{}
	for _, m := range b.msgs {
		rows = append(rows, m.Rows...)
		rejects = append(rejects, m.Rejects...)
		for _, r := range m.Rows {
			acks[m.Device] = append(acks[m.Device], r.ID)
		}
		for _, r := range m.Rejects {
			acks[m.Device] = append(acks[m.Device], r.ID)
		}
	}
	res, err := h.st.Insert(ctx, rows, rejects)
	if err != nil {
		h.count(func(c *HubCounters) { c.StoreFails++ })
		return nil, err
	}
	rejects = append(rejects, res.Refused...)
	for _, rj := range rejects {
		h.log.Warn("evalhub: record rejected (stored apart and acked)", "device", rj.DeviceID, "id", rj.ID, "reason", rj.Reason)
	}
	h.count(func(c *HubCounters) {
		c.Commits++
		c.New += uint64(res.New)
		c.Duplicates += uint64(res.Duplicate)
		c.Rejected += uint64(len(rejects))
	})
	return acks, nil
}
