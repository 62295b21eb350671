package linktest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/rating"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Central is a fake central on an MQTT broker, for tests of a pad that
// syncs: it keeps the records of the pads it knows whose signature
// verifies with the pad's registered key, once by id, acks them with a
// message it signs (trust.SignDown), keeps the pads' cmdresults, and sends
// what a test tells it to, signed with its key or not at all.
type Central struct {
	t   testing.TB
	key ed25519.PrivateKey
	cl  mqtt.Client
	now func() time.Time

	mu       sync.Mutex
	devices  map[string]ed25519.PublicKey
	records  map[string][]rating.Record // by device, first sightings only, in arrival order
	seen     map[string]bool            // record ids
	unsigned int                        // records refused: no or a bad signature, or an unknown pad
	results  []protocol.CmdResult
	online   map[string]bool                    // by device, from its last up/status
	updates  map[string][]protocol.UpdateStatus // by device, each status's update as it changed
	changed  chan struct{}                      // closed and replaced at every change
}

// StartCentral connects a central with key to broker; the test's cleanup
// disconnects it. now is the central's clock for the expiry of what it
// signs (nil: the system's).
func StartCentral(t testing.TB, broker string, key ed25519.PrivateKey, now func() time.Time) *Central {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	c := &Central{t: t, key: key, now: now, devices: map[string]ed25519.PublicKey{}, records: map[string][]rating.Record{},
		seen: map[string]bool{}, online: map[string]bool{}, updates: map[string][]protocol.UpdateStatus{}, changed: make(chan struct{})}
	c.cl = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("central-%p", c)).SetOrderMatters(true))
	wait(t, c.cl.Connect(), "central: connect")
	wait(t, c.cl.Subscribe("hcp/v1/+/up/#", 1, c.onMessage), "central: subscribe")
	t.Cleanup(func() { c.cl.Disconnect(0) })
	return c
}

func wait(t testing.TB, tok mqtt.Token, what string) {
	t.Helper()
	if !tok.WaitTimeout(30 * time.Second) {
		t.Fatalf("%s: timed out", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Register makes device known with its public key: its records count.
func (c *Central) Register(device string, pub ed25519.PublicKey) {
	c.mu.Lock()
	c.devices[device] = pub
	c.mu.Unlock()
}

// PublicKey is the central's public key, which the pads verify with.
func (c *Central) PublicKey() ed25519.PublicKey { return trust.Public(c.key) }

func (c *Central) onMessage(_ mqtt.Client, m mqtt.Message) {
	defer c.poke()
	dev, suffix, err := protocol.ParseTopic(m.Topic())
	if err != nil {
		return
	}
	switch suffix {
	case protocol.UpStatus:
		if st, err := protocol.ParseStatus(m.Payload()); err == nil {
			c.mu.Lock()
			c.online[dev] = st.Online
			if u := st.Update; u != nil {
				if l := c.updates[dev]; len(l) == 0 || l[len(l)-1] != *u {
					c.updates[dev] = append(l, *u)
				}
			}
			c.mu.Unlock()
		}
	case protocol.UpCmdResult:
		if r, err := protocol.ParseCmdResult(m.Payload()); err == nil {
			c.mu.Lock()
			c.results = append(c.results, r)
			c.mu.Unlock()
		}
	case protocol.UpRecords:
		msg, err := protocol.ParseRecords(m.Payload())
		if err != nil || msg.DeviceID != dev {
			return
		}
		var ids []string
		c.mu.Lock()
		pub := c.devices[dev]
		for _, raw := range msg.Records {
			r, err := protocol.ParseRecord(raw, dev)
			if err != nil || pub == nil || trust.Verify(pub, trust.RecordDomain, raw) != nil {
				c.unsigned++
				continue
			}
			if !c.seen[r.ID] {
				c.seen[r.ID] = true
				c.records[dev] = append(c.records[dev], r)
			}
			ids = append(ids, r.ID)
		}
		c.mu.Unlock()
		if len(ids) > 0 {
			c.Send(dev, protocol.DownAck, protocol.Ack{IDs: ids}.Marshal(), false)
		}
	}
}

func (c *Central) poke() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Sign signs payload (a JSON object) for device's topic suffix as the
// central does, valid for an hour on the central's clock.
func (c *Central) Sign(device, suffix string, payload []byte) []byte {
	b, err := trust.SignDown(c.key, protocol.Topic(device, suffix), payload, c.now().Add(time.Hour))
	if err != nil {
		c.t.Errorf("central: sign %s: %v", payload, err)
	}
	return b
}

// Send signs payload and publishes it to device (retained or not).
func (c *Central) Send(device, suffix string, payload []byte, retained bool) {
	c.SendRaw(device, suffix, c.Sign(device, suffix, payload), retained)
}

// SendRaw publishes payload to device as it is: what any client of a
// broker without an ACL can do.
func (c *Central) SendRaw(device, suffix string, payload []byte, retained bool) {
	tok := c.cl.Publish(protocol.Topic(device, suffix), 1, retained, payload)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		c.t.Errorf("central: publish %s: %v", suffix, tok.Error())
	}
}

// Records are the records of device the central stored, in arrival order.
func (c *Central) Records(device string) []rating.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.records[device])
}

// Refused counts the records the central refused: unsigned, badly signed,
// or of a pad it does not know.
func (c *Central) Refused() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unsigned
}

// Online reports whether device's last status says online: its link is
// connected and subscribed (it publishes the status after subscribing).
func (c *Central) Online(device string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.online[device]
}

// Updates are the firmware update states device reported on up/status,
// each change once, in order.
func (c *Central) Updates(device string) []protocol.UpdateStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.updates[device])
}

// Answers are the cmdresults with id, in arrival order.
func (c *Central) Answers(id string) []protocol.CmdResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []protocol.CmdResult
	for _, r := range c.results {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out
}

// Result is the last cmdresult with id.
func (c *Central) Result(id string) (protocol.CmdResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.results) - 1; i >= 0; i-- {
		if c.results[i].ID == id {
			return c.results[i], true
		}
	}
	return protocol.CmdResult{}, false
}

// Until blocks until cond holds, checking it after every change the
// central sees (and when poke is called), or fails the test when ctx ends.
func (c *Central) Until(ctx context.Context, what string, cond func() bool) {
	c.t.Helper()
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			c.t.Fatalf("central: gave up waiting for %s", what)
		}
	}
}

// Poke wakes Until: something it waits for changed outside the central.
func (c *Central) Poke() { c.poke() }
