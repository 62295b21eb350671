package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/display/receipt"
	"evalpad/pad"
	"evalpad/pad/padtest"
	"evalpad/sync/link/linktest"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// The attacks of issue 9, each by a client of a broker that lets anyone
// in (no ACL: the pad's own checks are the lock), against a running pad.

const padA = "PAD-A"

// attackRig is a running pad PAD-A syncing to a broker, the central on it,
// and an attacker who can publish anything anywhere.
type attackRig struct {
	*running
	t        *testing.T
	ctx      context.Context
	cfg      config.Config
	clock    *padtest.Clock
	broker   *mqtttest.Mosquitto
	central  *linktest.Central
	attacker *linktest.Central // signs with a key of its own
	f        *fakes
	fences   int
}

func newAttackRig(t *testing.T) *attackRig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	b := mqtttest.Start(t)
	r := &attackRig{t: t, ctx: ctx, broker: b, clock: newClock(), f: newFakes(),
		central:  linktest.StartCentral(t, b.URL(), centralKey(), nil),
		attacker: linktest.StartCentral(t, b.URL(), ed25519.NewKeyFromSeed([]byte("the attacker's own key, 32 bytes")), nil)}
	r.cfg = testConfig(t)
	r.cfg.DeviceID = padA
	r.cfg.Sync.Broker = b.URL()
	r.cfg.Sync.CentralKey = trust.EncodePublicKey(r.central.PublicKey())
	r.start()
	return r
}

// start runs the pad (again) on the rig's config, data and fake drivers.
func (r *attackRig) start() {
	r.t.Helper()
	r.f = newFakes()
	r.running = start(r.t, r.cfg, Parts{Hardware: r.f.set(), Font: testFont(r.t), Clock: r.clock})
	r.central.Until(r.ctx, "the pad online", func() bool { return r.central.Online(padA) })
	r.fence() // the link takes the central's messages
}

// fence sends a signed command and waits for its answer: the pad handled
// every message sent before it.
func (r *attackRig) fence() {
	r.t.Helper()
	r.fences++
	id := fmt.Sprintf("fence-%d", r.fences)
	r.central.Send(padA, protocol.DownCmd, []byte(`{"id":"`+id+`","cmd":"resume"}`), false)
	r.central.Until(r.ctx, "the answer to "+id, func() bool { _, ok := r.central.Result(id); return ok })
}

// refused checks that the message with id was answered as refused, saying want.
func (r *attackRig) refused(how, id, want string) {
	r.t.Helper()
	res, ok := r.central.Result(id)
	if !ok || res.OK || !strings.Contains(res.Error, "refused") || !strings.Contains(res.Error, want) {
		r.t.Errorf("%s %s: answered %+v (%v), want refused saying %q", how, id, res, ok, want)
	}
}

// forgeries are the ways the attacker makes a message for PAD-A's topic
// suffix that is not the central's, now, and what the refusal says.
func (r *attackRig) forgeries(suffix string, payload []byte) []struct {
	how, why string
	msg      []byte
} {
	topic := protocol.Topic(padA, suffix)
	forPadB, _ := trust.SignDown(centralKey(), protocol.Topic("PAD-B", suffix), payload, time.Now().Add(time.Hour))
	expired, _ := trust.SignDown(centralKey(), topic, payload, time.Now().Add(-time.Minute))
	return []struct {
		how, why string
		msg      []byte
	}{
		{"unsigned", "unsigned", payload},
		{"the attacker's key", "bad signature", r.attacker.Sign(padA, suffix, payload)},
		{"signed for PAD-B", "bad signature", forPadB},
		{"expired", "expired", expired},
	}
}

// rate opens a session and presses stars, a rating the citizen saw confirmed.
func (r *attackRig) rate(id string, stars int) {
	r.t.Helper()
	r.clock.Advance(10 * time.Second) // past the thank-you and min_interval
	if _, err := r.OpenSession(ratingSession(id)); err != nil {
		r.t.Fatal(err)
	}
	if out, err := r.pad.Press(stars); err != nil || out.Result != pad.ResultRecorded {
		r.t.Fatalf("press: %+v %v", out, err)
	}
}

// mosquitto_pub -t hcp/v1/PAD-A/down/ack -m '{"ids":[…]}' emptied the
// outbox. Now no forged ack removes a record; the central's signed ack
// does, and the records it stored verify with the pad's key.
func TestAttackForgedAck(t *testing.T) {
	r := newAttackRig(t)
	// The central does not know PAD-A yet: it keeps and acks nothing.
	for i := range 3 {
		r.rate(fmt.Sprintf("S-%d", i), 5)
	}
	var ids []string
	for _, rec := range records(t, r.store) {
		ids = append(ids, rec.ID)
	}
	ack := protocol.Ack{IDs: ids}.Marshal()
	for _, f := range r.forgeries(protocol.DownAck, ack) {
		r.attacker.SendRaw(padA, protocol.DownAck, f.msg, false)
		r.fence()
		if st, _ := r.store.Stats(); st.Pending != 3 {
			t.Fatalf("an ack %s removed records: %d of 3 left", f.how, st.Pending)
		}
	}
	r.central.Register(padA, r.PublicKey())
	r.central.Send(padA, protocol.DownAck, ack, false)
	r.central.Until(r.ctx, "the signed ack", func() bool {
		st, _ := r.store.Stats()
		if st.Pending != 0 {
			go func() { time.Sleep(20 * time.Millisecond); r.central.Poke() }() // the store changes outside the central
		}
		return st.Pending == 0
	})
	// A new rating reaches the central, which checks its signature.
	r.rate("S-3", 4)
	r.central.Until(r.ctx, "the next rating stored", func() bool { return len(r.central.Records(padA)) == 1 })
	if got := r.central.Records(padA)[0]; got.Sig == "" || got.SessionID != "S-3" || r.central.Refused() == 0 {
		t.Errorf("the central stored %+v; refused %d unknown-pad records before", got, r.central.Refused())
	}
}

// A forged down/session replaced a citizen's open 差评 (closed as
// interrupted). Now it is refused and answered; the citizen goes on
// choosing reasons, and nothing was recorded.
func TestAttackForgedSession(t *testing.T) {
	r := newAttackRig(t)
	if _, err := r.OpenSession(ratingSession("S-CITIZEN")); err != nil {
		t.Fatal(err)
	}
	if out, _ := r.pad.Press(2); out.Result != pad.ResultReasons {
		t.Fatalf("press 2: %+v", out)
	}
	evil := []byte(`{"session_id":"S-EVIL","mode":"single","staff":{"id":"TA9","name":"假"},"cases":[{"project_no":"P-EVIL","task_name":"x"}]}`)
	for _, f := range r.forgeries(protocol.DownSession, evil) {
		r.attacker.SendRaw(padA, protocol.DownSession, f.msg, false)
		r.fence()
		r.refused(f.how, "S-EVIL", f.why)
	}
	v := r.pad.View()
	if v.Screen != pad.ScreenReasons || v.Session == nil || v.Session.ID != "S-CITIZEN" {
		t.Errorf("the citizen's 差评 was disturbed: screen %s, session %+v", v.Screen, v.Session)
	}
	if recs := records(t, r.store); len(recs) != 0 {
		t.Errorf("records %+v", recs)
	}
}

// A forged message put 扫码领红包 on the screen for an hour. Now it is
// refused; the central's own message shows.
func TestAttackForgedMessage(t *testing.T) {
	r := newAttackRig(t)
	msg := []byte(`{"id":"c-ad","cmd":"message","text":"扫码领红包","seconds":3600}`)
	for _, f := range r.forgeries(protocol.DownCmd, msg) {
		r.attacker.SendRaw(padA, protocol.DownCmd, f.msg, false)
		r.fence()
		r.refused(f.how, "c-ad", f.why)
		if m := r.pad.View().Message; m != "" {
			t.Fatalf("%s: the screen shows %q", f.how, m)
		}
	}
	// Recorded off the wire and sent again: the central's own, once.
	genuine := r.central.Sign(padA, protocol.DownCmd, []byte(`{"id":"c-note","cmd":"message","text":"系统维护通知","seconds":60}`))
	r.central.SendRaw(padA, protocol.DownCmd, genuine, false)
	r.fence()
	if m := r.pad.View().Message; m != "系统维护通知" {
		t.Fatalf("the central's message: screen shows %q", m)
	}
	r.clock.Advance(2 * time.Minute) // the message is gone
	r.attacker.SendRaw(padA, protocol.DownCmd, genuine, false)
	r.fence()
	r.refused("replayed", "c-note", "replay")
	if m := r.pad.View().Message; m != "" {
		t.Errorf("a replayed message shows again: %q", m)
	}
}

// print_receipt printed a validly signed QR for any project number (a
// signing oracle). Now a forged one is refused, the central's own only
// prints a case the pad had in a session, and the token is v2.
func TestAttackPrintReceiptOracle(t *testing.T) {
	r := newAttackRig(t)
	cmd := func(id, projectNo string) []byte {
		return []byte(`{"id":"` + id + `","cmd":"print_receipt","project_no":"` + projectNo + `","task_name":"企业设立登记"}`)
	}
	for _, f := range r.forgeries(protocol.DownCmd, cmd("c-any", "37090020261125999999")) {
		r.attacker.SendRaw(padA, protocol.DownCmd, f.msg, false)
		r.fence()
		r.refused(f.how, "c-any", f.why)
	}
	r.central.Send(padA, protocol.DownCmd, cmd("c-unknown", "37090020261125999999"), false)
	r.fence()
	if res, _ := r.central.Result("c-unknown"); res.OK || !strings.Contains(res.Error, ErrUnknownCase.Error()) {
		t.Errorf("a case the pad never saw: %+v", res)
	}
	if n := len(r.f.printer.Jobs()); n != 0 {
		t.Fatalf("%d receipts printed", n)
	}
	r.rate("S-1", 5)
	r.central.Send(padA, protocol.DownCmd, cmd("c-own", "P-S-1"), false)
	r.fence()
	if res, _ := r.central.Result("c-own"); !res.OK {
		t.Fatalf("the pad's own case: %+v", res)
	}
	jobs := r.f.printer.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d receipts printed", len(jobs))
	}
	keys := receipt.Keys{ByID: map[string][]byte{receipt.DefaultKeyID: []byte(r.cfg.Receipt.Key)}}
	s, err := receipt.VerifyURL(keys, "hcp.example.gov.cn", r.clock.Now(), qrOf(t, jobs[0]))
	if err != nil || s.ProjectNo != "P-S-1" || s.DeviceID != padA || s.Version != 2 {
		t.Errorf("the receipt's token: %+v %v", s, err)
	}
	if _, err := receipt.VerifyURL(keys, "evil.example", r.clock.Now(), strings.Replace(qrOf(t, jobs[0]), "hcp.example.gov.cn", "evil.example", 1)); !errors.Is(err, receipt.ErrToken) {
		t.Errorf("the token moved to another host: %v", err)
	}
}

// A retained down/config set walkin = true, min_interval = "0s", a fake
// hall and staff, and 20 presses with no session were all recorded. Now
// the forged config is refused (again at every reconnect: it is
// retained), the central's own cannot lower the file's floor, and the 20
// presses record nothing.
func TestAttackRetainedConfig(t *testing.T) {
	r := newAttackRig(t)
	evil := []byte(`{"id":"cfg-evil","hall":"假大厅","staff":{"id":"TA9","name":"假"},"rules":{"walkin":true,"min_interval":"0s"}}`)
	for _, f := range r.forgeries(protocol.DownConfig, evil) {
		r.attacker.SendRaw(padA, protocol.DownConfig, f.msg, true)
		r.fence()
		r.refused(f.how, "cfg-evil", f.why)
	}
	r.central.Send(padA, protocol.DownConfig, []byte(`{"id":"cfg-central","rules":{"walkin":true,"min_interval":"0s"}}`), false)
	r.fence()
	if res, _ := r.central.Result("cfg-central"); res.OK || !strings.Contains(res.Error, "walk-in off") || !strings.Contains(res.Error, "cannot lower") {
		t.Errorf("the central's config below the floor: %+v", res)
	}

	r.stop() // the retained forged config comes again at the next connection
	r.Close()
	before := len(r.central.Answers("cfg-evil"))
	r.start()
	r.central.Until(r.ctx, "the retained config refused again", func() bool { return len(r.central.Answers("cfg-evil")) > before })
	r.refused("retained, after a restart", "cfg-evil", "expired")
	if c := r.Config(); c.Hall != r.cfg.Hall || c.Staff.ID != "" || c.Rules.Walkin || c.Rules.MinInterval.Duration != 3*time.Second {
		t.Fatalf("the config after the attack and a restart: %+v", c)
	}
	for range 20 {
		r.clock.Advance(time.Second)
		if out, _ := r.pad.Press(5); out.Record != nil {
			t.Fatalf("a press with no session recorded %+v", out.Record)
		}
	}
	if n := len(records(t, r.store)); n != 0 || r.pad.View().Counters.NoSession != 20 {
		t.Errorf("%d records, counters %+v", n, r.pad.View().Counters)
	}
}
