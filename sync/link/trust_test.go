package link_test

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/sync/link"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// forgery is one way a client of the broker makes a downlink message that
// is not the central's, for this pad, now.
type forgery struct {
	name   string
	reason string // in the answer
	make   func(t *testing.T, r *rig, suffix, payload string) []byte
}

var otherKey = ed25519.NewKeyFromSeed([]byte("not the central's key, 32 bytes!"))

func forgeries() []forgery {
	in := func(r *rig, d time.Duration) time.Time { return r.clk.Now().Add(d) }
	return []forgery{
		{"unsigned", "trust: unsigned", func(t *testing.T, r *rig, suffix, payload string) []byte { return []byte(payload) }},
		{"another key", "bad signature", func(t *testing.T, r *rig, suffix, payload string) []byte {
			b, _ := trust.SignDown(otherKey, protocol.Topic(dev, suffix), []byte(payload), in(r, time.Hour))
			return b
		}},
		{"another pad's topic", "bad signature", func(t *testing.T, r *rig, suffix, payload string) []byte {
			return signDown(t, protocol.Topic("TA-TEST-2", suffix), payload, in(r, time.Hour))
		}},
		{"another kind's topic", "bad signature", func(t *testing.T, r *rig, suffix, payload string) []byte {
			other := protocol.DownCmd
			if suffix == protocol.DownCmd {
				other = protocol.DownSession
			}
			return signDown(t, protocol.Topic(dev, other), payload, in(r, time.Hour))
		}},
		{"expired", "trust: expired", func(t *testing.T, r *rig, suffix, payload string) []byte {
			return signDown(t, protocol.Topic(dev, suffix), payload, in(r, -time.Second))
		}},
		{"too long ahead", "trust: expired", func(t *testing.T, r *rig, suffix, payload string) []byte {
			return signDown(t, protocol.Topic(dev, suffix), payload, in(r, trust.MaxLifetime+time.Minute))
		}},
		{"altered", "bad signature", func(t *testing.T, r *rig, suffix, payload string) []byte {
			b := signDown(t, protocol.Topic(dev, suffix), payload, in(r, time.Hour))
			return append([]byte(`{"note":"x",`), b[1:]...) // one member more than was signed
		}},
	}
}

// fence sends a signed command and waits for its answer: every message
// sent before it has been handled (the link handles them in order).
func (c *central) fence(n *int) {
	c.r.t.Helper()
	*n++
	id := fmt.Sprintf("fence-%d", *n)
	before := len(c.results())
	c.send(protocol.DownCmd, `{"id":"`+id+`","cmd":"resume"}`)
	c.r.until("the answer to "+id, func() bool {
		for _, res := range c.results()[before:] {
			if res.ID == id {
				return true
			}
		}
		return false
	})
}

// answer is the central's last answer with id.
func (c *central) answer(id string) (protocol.CmdResult, bool) {
	res := c.results()
	for i := len(res) - 1; i >= 0; i-- {
		if res[i].ID == id {
			return res[i], true
		}
	}
	return protocol.CmdResult{}, false
}

// calmAgent is the rig's agent without its scripted failures: resume
// succeeds (the fence).
type calmAgent struct{ *agent }

func (a calmAgent) Command(c protocol.Cmd) error { a.note("cmd " + c.Cmd + " " + c.ID); return nil }

// Whatever a client of the broker forges — unsigned, another key, signed
// for another pad or kind, expired, too long ahead, altered — no ack
// empties the outbox and no session, command or config reaches the pad;
// each one with an id is answered with the reason. The central's own
// messages then work.
func TestForgedDownlinkRefused(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	c.drop = func(int) bool { return true } // the tests' acks only
	st := newStore(t, 5)
	ag := calmAgent{r.agent()}
	l := r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), ag)
	r.until("the records", func() bool { return c.online() && c.messages() >= 1 })
	ids := c.ids()
	msgs := map[string]string{
		protocol.DownAck:     string(protocol.Ack{IDs: ids}.Marshal()),
		protocol.DownSession: `{"session_id":"S-F","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`,
		protocol.DownCmd:     `{"id":"c-F","cmd":"message","text":"扫码领红包","seconds":3600,"staff_id":"TA1"}`,
		protocol.DownConfig:  `{"id":"cfg-F","hall":"假大厅","staff":{"id":"TA1","name":"假"},"rules":{"walkin":true,"min_interval":"0s"}}`,
	}
	fences := 0
	for _, f := range forgeries() {
		for _, suffix := range []string{protocol.DownAck, protocol.DownSession, protocol.DownCmd, protocol.DownConfig} {
			c.sendRaw(suffix, f.make(t, r, suffix, msgs[suffix]))
			c.fence(&fences)
			if n := pending(st); n != 5 {
				t.Fatalf("%s %s: the outbox holds %d of 5 records", f.name, suffix, n)
			}
			if suffix == protocol.DownAck {
				continue
			}
			id := map[string]string{protocol.DownSession: "S-F", protocol.DownCmd: "c-F", protocol.DownConfig: "cfg-F"}[suffix]
			res, ok := c.answer(id)
			if !ok || res.OK || !strings.Contains(res.Error, "refused") || !strings.Contains(res.Error, f.reason) {
				t.Errorf("%s %s: answer %+v, want refused with %q", f.name, suffix, res, f.reason)
			}
		}
	}
	for _, call := range ag.called() {
		if !strings.HasPrefix(call, "cmd resume fence-") {
			t.Errorf("the agent was asked %q by a forged message", call)
		}
	}
	if k := l.Counters(); k.Refused != uint64(4*len(forgeries())) {
		t.Errorf("counters %+v: want %d refused", k, 4*len(forgeries()))
	}

	// The central's own, signed: they work.
	c.send(protocol.DownSession, msgs[protocol.DownSession])
	c.send(protocol.DownCmd, msgs[protocol.DownCmd])
	c.send(protocol.DownConfig, msgs[protocol.DownConfig])
	c.send(protocol.DownAck, msgs[protocol.DownAck])
	r.until("the signed ack", func() bool { return pending(st) == 0 })
	for _, id := range []string{"S-F", "c-F", "cfg-F"} {
		r.until("the answer to "+id, func() bool { res, _ := c.answer(id); return res.OK })
	}
	calls := ag.called()
	if !slices.Contains(calls, "session S-F") || !slices.Contains(calls, "cmd message c-F") || !slices.Contains(calls, "config cfg-F") {
		t.Errorf("agent calls %q: the signed messages did not reach it", calls)
	}
}

// A session, command or config the central signed is handled once: the
// same message again — from a client that recorded it, or the broker
// after a reconnect — is refused until it expires, also after a restart
// of the link on the same store. An ack again is harmless: its records
// left the outbox already.
func TestReplayRefused(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	st := newStore(t, 0)
	ag := calmAgent{r.agent()}
	l := r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), ag)
	r.until("connect", c.online)
	exp := r.clk.Now().Add(time.Hour)
	sent := map[string][]byte{}
	for suffix, payload := range map[string]string{
		protocol.DownSession: `{"session_id":"S-R","mode":"single","staff":{"id":"TA1"},"cases":[{"project_no":"P1","task_name":"x"}]}`,
		protocol.DownCmd:     `{"id":"c-R","cmd":"pause"}`,
		protocol.DownConfig:  `{"id":"cfg-R","window":"12"}`,
	} {
		sent[suffix] = signDown(t, protocol.Topic(dev, suffix), payload, exp)
	}
	fences := 0
	for _, suffix := range []string{protocol.DownSession, protocol.DownCmd, protocol.DownConfig} {
		c.sendRaw(suffix, sent[suffix])
	}
	c.fence(&fences)
	for _, id := range []string{"S-R", "c-R", "cfg-R"} {
		if res, _ := c.answer(id); !res.OK {
			t.Fatalf("first %s: %+v", id, res)
		}
	}
	check := func(when string) {
		t.Helper()
		for _, suffix := range []string{protocol.DownSession, protocol.DownCmd, protocol.DownConfig} {
			c.sendRaw(suffix, sent[suffix])
		}
		c.fence(&fences)
		for _, id := range []string{"S-R", "c-R", "cfg-R"} {
			if res, _ := c.answer(id); res.OK || !strings.Contains(res.Error, "replay") {
				t.Errorf("%s: %s again: answer %+v, want refused as a replay", when, id, res)
			}
		}
	}
	check("replayed")
	l.stop()
	ag2 := calmAgent{r.agent()}
	r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), ag2)
	check("replayed to the next link")
	for _, a := range []calmAgent{ag, ag2} {
		n := 0
		for _, call := range a.called() {
			if !strings.HasPrefix(call, "cmd resume fence-") {
				n++
			}
		}
		if a == ag && n != 3 || a == ag2 && n != 0 {
			t.Errorf("agent calls %q: a replay reached the pad", a.called())
		}
	}
	// Past its expiry a replay fails as expired (and the memory forgets it).
	r.clk.Advance(time.Hour)
	c.sendRaw(protocol.DownCmd, sent[protocol.DownCmd])
	c.fence(&fences)
	if res, _ := c.answer("c-R"); res.OK || !strings.Contains(res.Error, "expired") {
		t.Errorf("after expiry: %+v", res)
	}
}

// A config needs an id (else it could be replayed); a retained empty one
// (cleared) is nothing.
func TestConfigWithoutIDRefused(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	ag := calmAgent{r.agent()}
	r.start(link.Options{Broker: r.b.URL()}, r.outbox(newStore(t, 0)), ag)
	r.until("connect", c.online)
	c.send(protocol.DownConfig, `{"window":"12"}`)
	c.sendRaw(protocol.DownConfig, nil)
	fences := 0
	c.fence(&fences)
	if calls := ag.called(); len(calls) != 1 {
		t.Errorf("agent calls %q: a config without an id applied", calls)
	}
}

// With no central key the link refuses every downlink message, the
// central's own too, saying the pad is not provisioned: nothing leaves
// the outbox.
func TestNotProvisionedRefusesAll(t *testing.T) {
	r := newRig(t)
	c := r.central(r.b.URL())
	st := newStore(t, 3)
	ag := r.agent()
	l := r.start(link.Options{Broker: r.b.URL(), CentralKey: ed25519.PublicKey{}}, r.outbox(st), ag)
	r.until("the records", func() bool { return c.messages() >= 1 })
	c.send(protocol.DownCmd, `{"id":"c-N","cmd":"pause"}`)
	r.until("the answer", func() bool { _, ok := c.answer("c-N"); return ok })
	if res, _ := c.answer("c-N"); res.OK || !strings.Contains(res.Error, "not provisioned") {
		t.Errorf("answer %+v", res)
	}
	r.until("the refused ack", func() bool { return l.Counters().Refused == 2 })
	if pending(st) != 3 || len(ag.called()) != 0 {
		t.Errorf("pending %d, agent calls %q", pending(st), ag.called())
	}
}
