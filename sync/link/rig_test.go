package link_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/rating"
	"evalpad/store"
	"evalpad/sync/link"
	"evalpad/sync/link/linktest"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

const dev = "TA-TEST-1"

// t0 is where a test's fake clock starts: after the records' "at", so the
// status reports their age.
var t0 = time.Date(2026, 11, 25, 10, 5, 0, 0, time.FixedZone("CST", 8*3600))

// testBackoff is the reconnect backoff of the tests' links: no jitter, so
// advancing the fake clock by its Max always ends a wait.
var testBackoff = link.Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond, Rand: func() float64 { return 0.999 }}

// deadline bounds a whole test: a wait that outlives it fails the test.
// Nothing is timed against it; it only turns a hang into a failure.
const deadline = 30 * time.Second

// rig is one test's broker, fake clock and watch.
type rig struct {
	t   *testing.T
	ctx context.Context // ends at the test's deadline
	b   *mqtttest.Mosquitto
	clk *linktest.Clock
	w   *watch
}

func newRig(t *testing.T, extra ...string) *rig {
	t.Helper()
	// Not t.Context(): that ends before the cleanups, which wait for links to stop.
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return &rig{t: t, ctx: ctx, b: mqtttest.Start(t, extra...), clk: linktest.NewClock(t0), w: newWatch()}
}

// watch is how a test waits without polling: every fake the link talks to
// (central, agent, outbox) pokes it after it changes, and a waiting test
// checks its condition again on each poke.
type watch struct {
	mu sync.Mutex
	ch chan struct{}
}

func newWatch() *watch { return &watch{ch: make(chan struct{})} }

// poke wakes the waiters; a nil watch is a no-op.
func (w *watch) poke() {
	if w == nil {
		return
	}
	w.mu.Lock()
	close(w.ch)
	w.ch = make(chan struct{})
	w.mu.Unlock()
}

// until blocks until cond holds; past the test's deadline it fails the test.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	for {
		r.w.mu.Lock()
		ch := r.w.ch
		r.w.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-r.ctx.Done():
			r.t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// recv receives from ch; past the test's deadline it fails the test.
func recv[T any](r *rig, what string, ch <-chan T) T {
	r.t.Helper()
	select {
	case v := <-ch:
		return v
	case <-r.ctx.Done():
		r.t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}

// await waits for a paho token and fails the test on its error.
func (r *rig) await(tok mqtt.Token, what string) {
	r.t.Helper()
	recv(r, what, tok.Done())
	if err := tok.Error(); err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
}

// fire waits until the link has armed a timer due within d, then moves the
// fake clock by d so that it fires.
func (r *rig) fire(what string, d time.Duration) {
	r.t.Helper()
	if err := r.clk.WaitArmed(r.ctx, d); err != nil {
		r.t.Fatalf("gave up waiting for %s to be armed", what)
	}
	r.clk.Advance(d)
}

// running is a link a test started.
type running struct {
	*link.Link
	r      *rig
	cancel context.CancelFunc // tells Run to stop
	done   chan struct{}      // closed when Run has returned
}

// stop cancels the link and waits for Run to return.
func (x *running) stop() {
	x.r.t.Helper()
	x.cancel()
	recv(x.r, "the link to stop", x.done)
}

// centralKey signs what the tests' central sends down; links verify with
// its public half unless a test gives another (an empty one: none).
var centralKey = ed25519.NewKeyFromSeed([]byte("link test central key, 32 bytes!"))

// start runs a link on the rig's clock; the test's cleanup stops it.
func (r *rig) start(o link.Options, ob link.Outbox, ag link.Agent) *running {
	r.t.Helper()
	if o.DeviceID == "" {
		o.DeviceID = dev
	}
	if o.CentralKey == nil {
		o.CentralKey = trust.Public(centralKey)
	}
	o.Backoff, o.Clock = testBackoff, r.clk
	l, err := link.New(o, ob, ag)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &running{Link: l, r: r, cancel: cancel, done: make(chan struct{})}
	go func() { l.Run(ctx); close(x.done) }()
	r.t.Cleanup(x.stop)
	return x
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
		id := uuid()
		sess := &rating.Session{ID: "S-" + id[:8], Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA1", Name: "李四"}}
		r := rating.NewRecord(id, rating.Origin{DeviceID: dev, AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "1", Channel: "4"},
			sess, rating.Staff{}, []rating.Case{{ProjectNo: "P" + id[:8], TaskName: "企业设立登记"}},
			rating.Verdict{Stars: 5}, "2026-11-25T10:02:40.000+08:00", "2026-11-25T10:03:12.123+08:00")
		if err := st.Append(&r, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func pending(st *store.Store) int {
	s, _ := st.Stats()
	return s.Pending
}

// outbox is the store as the link sees it: each call pokes the watch, and
// the next failAcks calls of Ack fail without touching the store.
type outbox struct {
	*store.Store
	w        *watch
	failAcks atomic.Int32
	acks     atomic.Int32 // Ack calls, failed ones included
}

func (o *outbox) Pending(after uint64, max int) ([]store.Entry, error) {
	defer o.w.poke()
	return o.Store.Pending(after, max)
}

func (o *outbox) Ack(ids []string, now time.Time) (int, error) {
	defer o.w.poke()
	o.acks.Add(1)
	if o.failAcks.Add(-1) >= 0 {
		return 0, errors.New("store: disk on fire")
	}
	return o.Store.Ack(ids, now)
}

func (o *outbox) Stats() (store.Stats, error) {
	defer o.w.poke()
	return o.Store.Stats()
}

// outbox wraps st for the rig's watch.
func (r *rig) outbox(st *store.Store) *outbox { return &outbox{Store: st, w: r.w} }

// central is a fake central on the broker: it acks what it receives unless
// drop says to ignore a message, and remembers every id, cmdresult and status.
type central struct {
	r    *rig
	cl   mqtt.Client
	mu   sync.Mutex
	seen map[string]int
	seqs []uint64 // in arrival order, first sightings only
	msgs int
	big  int              // the largest up/records payload, in bytes
	drop func(n int) bool // n: 1-based message number
	res  []protocol.CmdResult
	stat []protocol.Status
}

func (r *rig) central(broker string) *central {
	r.t.Helper()
	t := r.t
	c := &central{r: r, seen: map[string]int{}}
	c.cl = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("central-test").SetOrderMatters(true))
	r.await(c.cl.Connect(), "central connect")
	r.await(c.cl.Subscribe("hcp/v1/+/up/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		defer r.w.poke()
		d, suffix, err := protocol.ParseTopic(m.Topic())
		if err != nil {
			t.Errorf("central: %v", err)
			return
		}
		switch suffix {
		case protocol.UpCmdResult:
			res, err := protocol.ParseCmdResult(m.Payload())
			if err != nil {
				t.Errorf("central: %v", err)
			}
			c.mu.Lock()
			c.res = append(c.res, res)
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
			if ids := c.receive(d, m.Payload()); ids != nil {
				topic := protocol.Topic(d, protocol.DownAck)
				c.cl.Publish(topic, 1, false, signDown(t, topic, string(protocol.Ack{IDs: ids}.Marshal()), r.clk.Now().Add(time.Hour)))
			}
		}
	}), "central subscribe")
	t.Cleanup(func() { c.cl.Disconnect(0) })
	return c
}

// receive counts an up/records message and returns the ids to ack, nil
// when drop says to ignore it.
func (c *central) receive(device string, payload []byte) []string {
	t := c.r.t
	msg, err := protocol.ParseRecords(payload)
	if err != nil {
		t.Errorf("central: %v", err)
		return nil
	}
	var ids []string
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs++
	c.big = max(c.big, len(payload))
	drop := c.drop != nil && c.drop(c.msgs)
	for _, raw := range msg.Records {
		r, err := protocol.ParseRecord(raw, device)
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
	if drop {
		return nil
	}
	return ids
}

// ids are the record ids the central has seen.
func (c *central) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.seen))
	for id := range c.seen {
		ids = append(ids, id)
	}
	return ids
}

// largest is the size of the largest up/records payload the central got.
func (c *central) largest() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.big
}

func (c *central) messages() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs
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

// online reports whether the last status the central got says online.
func (c *central) online() bool {
	s := c.statuses()
	return len(s) > 0 && s[len(s)-1].Online
}

// send signs a downlink message as the central does (valid for an hour
// on the rig's clock), publishes it to the pad and waits for the broker's
// PUBACK. A payload that is not a JSON object goes as it is.
func (c *central) send(suffix, payload string) {
	c.r.t.Helper()
	topic := protocol.Topic(dev, suffix)
	c.sendRaw(suffix, signDown(c.r.t, topic, payload, c.r.clk.Now().Add(time.Hour)))
}

// sendRaw publishes payload to the pad as it is and waits for the PUBACK.
func (c *central) sendRaw(suffix string, payload []byte) {
	c.r.t.Helper()
	c.r.await(c.cl.Publish(protocol.Topic(dev, suffix), 1, false, payload), "publish "+suffix)
}

// signDown signs payload for topic with the tests' central key, expiring at
// exp; a payload that is not a JSON object is returned as it is.
func signDown(t testing.TB, topic, payload string, exp time.Time) []byte {
	b, err := trust.SignDown(centralKey, topic, []byte(payload), exp)
	if err != nil {
		return []byte(payload)
	}
	return b
}

// agent is a fake Agent that records what it was asked. gate, when set,
// runs before each call returns ("health" for Health): a test holds the
// link there.
type agent struct {
	w     *watch
	gate  func(call string)
	mu    sync.Mutex
	calls []string
}

func (r *rig) agent() *agent { return &agent{w: r.w} }

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
		return fmt.Errorf("print_receipt: %w", link.ErrNotSupported)
	case protocol.CmdResume:
		panic("boom")
	case protocol.CmdUpdate:
		return fmt.Errorf("update: %w", link.ErrLater)
	}
	return nil
}

func (a *agent) ApplyConfig(c protocol.Config) error { a.note("config " + c.ID); return nil }

func (a *agent) Health() link.Health {
	if a.gate != nil {
		a.gate("health")
	}
	return link.Health{Screen: "idle", Printer: "none"}
}

func (a *agent) note(s string) {
	a.mu.Lock()
	a.calls = append(a.calls, s)
	a.mu.Unlock()
	a.w.poke()
	if a.gate != nil {
		a.gate(s)
	}
}

func (a *agent) called() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}
