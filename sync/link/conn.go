package link

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/store"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// conn is one MQTT connection and the drain state that lives as long as it.
// Only serve's goroutine touches the state; paho's goroutines hand messages
// over through down and lost. paho's auto-ack is off: serve acks each
// downlink message once it has handled it (handleDown).
type conn struct {
	l    *Link
	cl   mqtt.Client
	down chan mqtt.Message
	lost chan error
	done chan struct{} // closed when serve returns: unblocks paho's handlers

	cursor   uint64            // highest seq published on this connection since the last restart
	inflight []*batch          // oldest first
	index    map[string]*batch // record id → its batch

	lastStatus  time.Time
	statusDirty bool
}

// batch is one up/records message waiting for the central's ack.
type batch struct {
	remaining int // records not acked yet
	deadline  time.Time
	tok       mqtt.Token // its publish: done without error once the broker PUBACKed it
	size      int        // payload bytes
	lone      string     // the id of its one record; "" when it carries more
	loneSeq   uint64
}

const connectTimeout = 15 * time.Second

func (l *Link) dial(ctx context.Context) (*conn, error) {
	c := &conn{l: l, down: make(chan mqtt.Message, 256), lost: make(chan error, 1), done: make(chan struct{}),
		index: map[string]*batch{}}
	o := mqtt.NewClientOptions().
		AddBroker(l.o.Broker).
		SetClientID("evalpad-"+l.o.DeviceID).
		SetCleanSession(false). // the broker keeps acks and commands sent while we are away
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(30*time.Second).
		SetPingTimeout(10*time.Second).
		SetConnectTimeout(10*time.Second).
		SetWriteTimeout(10*time.Second).
		SetOrderMatters(true).
		SetAutoAckDisabled(true). // a message is acked once handled, never on arrival
		SetBinaryWill(protocol.Topic(l.o.DeviceID, protocol.UpStatus), protocol.OfflineStatus, 1, true).
		SetDefaultPublishHandler(c.onMessage).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case c.lost <- err:
			default:
			}
		})
	if l.o.Username != "" {
		o.SetUsername(l.o.Username)
		o.SetPassword(l.o.Password)
	}
	if l.o.TLS != nil {
		o.SetTLSConfig(l.o.TLS)
	}
	cl := mqtt.NewClient(o)
	if err := c.wait(ctx, cl.Connect()); err != nil {
		cl.Disconnect(0)
		return nil, fmt.Errorf("link: connect: %w", err)
	}
	filter := protocol.DownFilter(l.o.DeviceID)
	sub := cl.Subscribe(filter, 1, c.onMessage)
	if err := c.wait(ctx, sub); err != nil {
		cl.Disconnect(0)
		return nil, fmt.Errorf("link: subscribe: %w", err)
	}
	// A broker may refuse a subscription in its SUBACK (0x80) without an
	// error: a NATS node while JetStream elects leaders, an ACL. Connected
	// without it, the pad would get no acks and resend for ever; fail the
	// connection instead, so the link backs off and dials again.
	if st, ok := sub.(*mqtt.SubscribeToken); ok {
		if q, ok := st.Result()[filter]; !ok || q > 2 {
			cl.Disconnect(0)
			return nil, fmt.Errorf("link: subscribe %s: refused by the broker (0x%02x)", filter, q)
		}
	}
	c.cl = cl
	return c, nil
}

// wait waits for a paho token, ctx, or connectTimeout on the link's clock.
func (c *conn) wait(ctx context.Context, t mqtt.Token) error {
	timer := c.l.o.Clock.NewTimer(connectTimeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C():
		return errors.New("timed out")
	}
}

// onMessage hands m to serve. When serve has returned m is dropped unacked:
// the broker delivers it again on the next connection.
func (c *conn) onMessage(_ mqtt.Client, m mqtt.Message) {
	select {
	case c.down <- m:
	case <-c.done:
	}
}

// serve runs the connection until it drops or ctx ends.
func (c *conn) serve(ctx context.Context) error {
	defer close(c.done)
	l := c.l
	l.log.Info("link: connected", "device", l.o.DeviceID)
	c.publishStatus(true)
	if err := c.fill(); err != nil {
		c.dropped()
		c.cl.Disconnect(0)
		return err
	}
	timer := l.o.Clock.NewTimer(c.untilWake())
	defer timer.Stop()
	for {
		if ctx.Err() != nil { // before the select: a queued message must not win
			c.goodbye()
			return ctx.Err()
		}
		timer.Reset(c.untilWake())
		var err error
		select {
		case <-ctx.Done():
			continue
		case err = <-c.lost:
			c.dropped()
			return fmt.Errorf("link: %w", err)
		case <-l.kick:
			c.statusDirty = true
			err = c.fill()
		case a := <-l.answers:
			err = c.publishAnswer(a)
		case <-l.status:
			c.publishStatus(true)
		case m := <-c.down:
			err = c.handleDown(ctx, m)
		case <-timer.C():
			err = c.onTimer()
		}
		if err != nil {
			c.dropped()
			c.cl.Disconnect(0)
			return err
		}
	}
}

// dropped notes, when the connection ends, the first records message the
// broker had not PUBACKed: the one a broker over its packet limit closed
// the connection for. The next messages are smaller (sizer).
func (c *conn) dropped() {
	l := c.l
	for _, b := range c.inflight {
		if pubacked(b.tok) {
			continue
		}
		aside := l.size.dropped(b.size, b.lone, b.loneSeq)
		budget := l.size.budget
		l.count(func(k *Counters) { k.MessageBytes, k.SetAside = budget, len(l.size.aside) })
		l.log.Warn("link: the connection dropped before the broker took a records message: sending smaller ones",
			"message_bytes", b.size, "next_budget", budget)
		if aside {
			l.log.Error("link: record set aside: the broker dropped the connection each time it was sent alone; it stays in the outbox, sent again when the link restarts",
				"id", b.lone, "seq", b.loneSeq, "message_bytes", b.size)
		}
		return
	}
}

// pubacked reports whether the publish of tok is done without error.
func pubacked(tok mqtt.Token) bool {
	select {
	case <-tok.Done():
		return tok.Error() == nil
	default:
		return false
	}
}

// untilWake is how long the loop may sleep before nextWake.
func (c *conn) untilWake() time.Duration { return max(c.nextWake().Sub(c.now()), 0) }

func (c *conn) now() time.Time { return c.l.o.Clock.Now() }

// nextWake is the earliest of the oldest batch's ack deadline and the next status.
func (c *conn) nextWake() time.Time {
	next := c.lastStatus.Add(c.l.o.StatusEvery)
	if c.statusDirty {
		next = c.lastStatus.Add(c.l.o.StatusMin)
	}
	if len(c.inflight) > 0 && c.inflight[0].deadline.Before(next) {
		next = c.inflight[0].deadline
	}
	return next
}

func (c *conn) onTimer() error {
	now := c.now()
	if len(c.inflight) > 0 && !now.Before(c.inflight[0].deadline) {
		c.l.log.Warn("link: no ack in time: sending again from the oldest unacked record",
			"timeout", c.l.o.AckTimeout, "in_flight", len(c.inflight))
		c.l.count(func(k *Counters) { k.Resends++ })
		c.restart()
		if err := c.fill(); err != nil {
			return err
		}
	}
	if now.Sub(c.lastStatus) >= c.l.o.StatusMin && (c.statusDirty || now.Sub(c.lastStatus) >= c.l.o.StatusEvery) {
		c.publishStatus(true)
	}
	return nil
}

// restart forgets what is in flight: the next fill sends from the oldest unacked.
func (c *conn) restart() {
	c.cursor = 0
	c.inflight = nil
	clear(c.index)
}

// fill publishes batches until InFlight are waiting or the outbox has no
// more. A batch holds up to Batch records and MaxMessageBytes as the sizer
// now allows; a record larger than that goes alone, and a record set aside
// is skipped.
func (c *conn) fill() error {
	l := c.l
	topic := protocol.Topic(l.o.DeviceID, protocol.UpRecords)
	for len(c.inflight) < l.o.InFlight {
		budget := l.size.budget
		entries, err := l.ob.Pending(c.cursor, min(l.o.Batch, budget/minRecordBytes+1))
		if err != nil {
			l.log.Error("link: read the outbox", "err", err)
			return nil // the records stay; the next kick, ack or timeout tries again
		}
		if len(entries) == 0 {
			return nil
		}
		var take []store.Entry
		size := len(protocol.AppendRecords(nil, l.o.DeviceID, nil))
		next := c.cursor
		for _, e := range entries {
			if _, aside := l.size.aside[e.ID]; aside {
				next = e.Seq
				continue
			}
			add := len(e.JSON) + min(len(take), 1) // a comma after the first
			if len(take) > 0 && size+add > budget {
				break
			}
			take, size, next = append(take, e), size+add, e.Seq
		}
		c.cursor = next
		if len(take) == 0 {
			continue // all set aside: read on
		}
		raws := make([][]byte, len(take))
		for i, e := range take {
			raws[i] = e.JSON
		}
		msg := protocol.AppendRecords(make([]byte, 0, size), l.o.DeviceID, raws)
		// The PUBACK comes later; delivery is the central's ack, not this.
		tok := c.cl.Publish(topic, 1, false, msg)
		if err := failed(tok, "records"); err != nil {
			return err
		}
		b := &batch{remaining: len(take), deadline: c.now().Add(l.o.AckTimeout), tok: tok, size: len(msg)}
		if len(take) == 1 {
			b.lone, b.loneSeq = take[0].ID, take[0].Seq
		}
		for _, e := range take {
			c.index[e.ID] = b
		}
		c.inflight = append(c.inflight, b)
		l.count(func(k *Counters) { k.Messages++; k.Records += uint64(len(take)) })
	}
	return nil
}

// minRecordBytes is less than any stored record: what fill reads from the
// outbox at most is the byte budget's worth of records this small.
const minRecordBytes = 256

// failed reports a publish that failed at once (not connected, closed). One
// still under way is left to its PUBACK: the link never waits for one.
func failed(tok mqtt.Token, what string) error {
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("link: publish %s: %w", what, err)
		}
	default:
	}
	return nil
}

// handleDown handles m and the messages already queued behind it, then acks
// them to the broker (PUBACK) in the order they came. The ids of all
// down/acks among them go to the store in one commit before any is acked.
// A message is acked only once handled: for a down/ack, its ids committed;
// for the others, the agent called and the cmdresult handed to paho (which
// writes it before the PUBACK). A stopping link (ctx done) starts no
// message after m. What is not acked the broker delivers again on the next
// connection: the connection ends when a commit or a cmdresult fails, and
// a message after an unacked one stays unacked too (acks go in order).
func (c *conn) handleDown(ctx context.Context, m mqtt.Message) error {
	var handled []mqtt.Message
	var ids []string
	firstAck := -1 // index in handled of the first down/ack with ids
	var err error
	for {
		var acked []string
		if acked, err = c.dispatch(m); err != nil {
			break
		}
		if len(acked) > 0 && firstAck < 0 {
			firstAck = len(handled)
		}
		ids = append(ids, acked...)
		handled = append(handled, m)
		if ctx.Err() != nil {
			break
		}
		select {
		case m = <-c.down:
			continue
		default:
		}
		break
	}
	if len(ids) > 0 {
		if cerr := c.commit(ids); cerr != nil {
			handled, err = handled[:firstAck], cerr
		}
	}
	for _, m := range handled {
		m.Ack()
	}
	if err != nil || len(ids) == 0 {
		return err
	}
	return c.fill()
}

// commit moves ids out of the outbox. When it fails the records stay
// unacked, and so do the down/acks that named them.
func (c *conn) commit(ids []string) error {
	l := c.l
	n, err := l.ob.Ack(ids, c.now())
	if err != nil {
		return fmt.Errorf("link: store the ack: %w", err)
	}
	for _, id := range ids {
		if b := c.index[id]; b != nil {
			delete(c.index, id)
			b.remaining--
		}
	}
	c.inflight = slices.DeleteFunc(c.inflight, func(b *batch) bool {
		if b.remaining > 0 {
			return false
		}
		l.size.ackedMessage()
		return true
	})
	c.statusDirty = true
	budget := l.size.budget
	l.count(func(k *Counters) { k.Acked += uint64(n); k.MessageBytes = budget })
	return nil
}

// dispatch handles one downlink message; for an ack it returns the ids. Its
// error is a store or a publish that failed: the message is then not acked
// and comes again.
//
// Nothing in a message acts before it verified with the central's key
// (verify); a session, command or config whose id was handled before and
// has not expired is refused too (handle). A refused message is answered
// with the reason when it carries an id, and logged.
func (c *conn) dispatch(m mqtt.Message) (ackIDs []string, err error) {
	l := c.l
	l.count(func(k *Counters) { k.Downlinks++ })
	dev, suffix, err := protocol.ParseTopic(m.Topic())
	if err == nil && dev != l.o.DeviceID {
		err = fmt.Errorf("topic %q is for device %q", m.Topic(), dev)
	}
	if err != nil {
		return nil, c.reject("", "", err)
	}
	p := m.Payload()
	if suffix == protocol.DownConfig && len(p) == 0 {
		return nil, nil // the retained config was cleared: nothing to act on
	}
	exp, verr := c.verify(m.Topic(), p)
	switch suffix {
	case protocol.DownAck:
		if verr != nil {
			return nil, c.reject("", "ack", verr)
		}
		a, err := protocol.ParseAck(p)
		if err != nil {
			return nil, c.reject("", "ack", err)
		}
		return a.IDs, nil
	case protocol.DownSession:
		s, err := protocol.ParseSession(p)
		return nil, c.handle("session", s.ID, exp, verr, err, func() error { return l.ag.OpenSession(s) })
	case protocol.DownConfig:
		cfg, err := protocol.ParseConfig(p)
		if err == nil && cfg.ID == "" {
			err = fmt.Errorf("%w: config: id: required (a config without one could be replayed)", protocol.ErrInvalid)
		}
		return nil, c.handle("config", cfg.ID, exp, verr, err, func() error { return l.ag.ApplyConfig(cfg) })
	case protocol.DownCmd:
		cmd, err := protocol.ParseCmd(p)
		return nil, c.handle("cmd", cmd.ID, exp, verr, err, func() error { return l.ag.Command(cmd) })
	default:
		return nil, c.reject("", "", fmt.Errorf("%w: %s is not a downlink topic", protocol.ErrInvalid, m.Topic()))
	}
}

// verify checks a downlink message with the central's key: signed for this
// topic (so for this pad and this kind of message), and not expired. It
// returns the message's expiry.
func (c *conn) verify(topic string, p []byte) (time.Time, error) {
	key := c.l.o.CentralKey
	switch {
	case len(key) == 0:
		return time.Time{}, ErrNotProvisioned
	case len(p) > protocol.MaxPayload:
		return time.Time{}, fmt.Errorf("%w: %d bytes, at most %d", ErrRefused, len(p), protocol.MaxPayload)
	}
	exp, err := trust.VerifyDown(key, topic, p, c.now())
	switch {
	case errors.Is(err, trust.ErrBadSignature):
		return exp, fmt.Errorf("%w: %w: not signed by the central for %s (altered, another key, or another pad's or kind's topic)", ErrRefused, err, topic)
	case err != nil:
		return exp, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return exp, nil
}

// handle runs a verified, well-formed session, command or config (typ) with
// id once: one whose id the memory holds is refused as a replay; one that
// ran is remembered until it expires, whatever the agent answered. verr
// and perr are the verification's and the parse's errors: either refuses
// the message. The error is the memory's or the answer's publish.
func (c *conn) handle(typ, id string, exp time.Time, verr, perr error, run func() error) error {
	switch {
	case verr != nil:
		return c.reject(id, typ, verr)
	case perr != nil:
		return c.reject(id, typ, perr)
	}
	l, key := c.l, typ+":"+id
	seen, err := l.o.Memory.Seen(key, c.now())
	if err != nil {
		return fmt.Errorf("link: replay memory: %w", err)
	}
	if seen {
		return c.reject(id, typ, fmt.Errorf("%w: replay: %s %q was handled before", ErrRefused, typ, id))
	}
	aerr := c.call(run)
	if err := l.o.Memory.Remember(key, exp, c.now()); err != nil {
		return fmt.Errorf("link: replay memory: %w", err)
	}
	return c.answer(id, typ, aerr)
}

// call runs an agent method; a panic in it becomes an error, not a crash.
func (c *conn) call(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("link: agent panicked: %v", r)
			c.l.log.Error("link: agent panicked", "panic", r)
		}
	}()
	return f()
}

// answer publishes the up/cmdresult of a downlink message with id; with no
// id a rejection can only be logged. Its error is the publish's.
func (c *conn) answer(id, typ string, err error) error {
	if errors.Is(err, ErrLater) {
		return nil
	}
	if err != nil {
		return c.reject(id, typ, err)
	}
	if id == "" {
		return nil
	}
	return c.publishResult(protocol.CmdResult{ID: id, Type: typ, OK: true})
}

// reject logs a downlink message that was rejected (malformed) or refused
// (ErrRefused) and answers it when it has an id. It is still acked: it will
// never become valid.
func (c *conn) reject(id, typ string, err error) error {
	refused := errors.Is(err, ErrRefused)
	c.l.count(func(k *Counters) {
		k.Rejected++
		if refused {
			k.Refused++
		}
	})
	if id == "" {
		c.l.log.Warn("link: downlink rejected", "type", typ, "err", err)
		return nil
	}
	c.l.log.Warn("link: downlink rejected", "type", typ, "id", id, "err", err)
	return c.publishResult(protocol.CmdResult{ID: id, Type: typ, OK: false, Error: err.Error()})
}

// publishAnswer publishes an Answer and tells it when the broker has it
// (5 s at most: the connection is then lost, and Answer's caller may try
// again on the next).
func (c *conn) publishAnswer(a answerReq) error {
	tok := c.cl.Publish(protocol.Topic(c.l.o.DeviceID, protocol.UpCmdResult), 1, false, a.r.Marshal())
	timer := c.l.o.Clock.NewTimer(5 * time.Second)
	defer timer.Stop()
	var err error
	select {
	case <-tok.Done():
		err = tok.Error()
	case <-c.lost:
		err = errors.New("connection lost")
	case <-timer.C():
		err = errors.New("no PUBACK in 5s")
	}
	if err != nil {
		err = fmt.Errorf("link: publish cmdresult: %w", err)
	}
	a.done <- err
	return err
}

func (c *conn) publishResult(r protocol.CmdResult) error {
	return failed(c.cl.Publish(protocol.Topic(c.l.o.DeviceID, protocol.UpCmdResult), 1, false, r.Marshal()), "cmdresult")
}

// status builds the status message.
func (c *conn) status(online bool) protocol.Status {
	l := c.l
	now := c.now()
	h := l.ag.Health()
	s := protocol.Status{Online: online, Firmware: l.o.Firmware, At: now.Format(time.RFC3339),
		Screen: h.Screen, Printer: h.Printer, Faults: slices.Clone(h.Faults), Update: h.Update}
	st, err := l.ob.Stats()
	if err != nil {
		s.Faults = append(s.Faults, "outbox: "+err.Error())
	}
	for i, id := range slices.Sorted(maps.Keys(c.l.size.aside)) {
		if i == 3 {
			s.Faults = append(s.Faults, fmt.Sprintf("link: and %d more records set aside", len(c.l.size.aside)-i))
			break
		}
		a := c.l.size.aside[id]
		s.Faults = append(s.Faults, fmt.Sprintf("link: record %s (seq %d) set aside: the broker dropped the connection each time it was sent alone (%d bytes)", id, a.seq, a.size))
	}
	s.Outbox, s.OutboxMax, s.LastSeq = st.Pending, st.Max, st.LastSeq
	if st.OldestPending != "" {
		if t, err := time.Parse(time.RFC3339Nano, st.OldestPending); err == nil {
			s.OldestUnackedS = max(int64(now.Sub(t)/time.Second), 0)
		}
	}
	return s
}

func (c *conn) publishStatus(online bool) mqtt.Token {
	c.lastStatus, c.statusDirty = c.now(), false
	return c.cl.Publish(protocol.Topic(c.l.o.DeviceID, protocol.UpStatus), 1, true, c.status(online).Marshal())
}

// goodbye marks the pad offline (retained) and disconnects cleanly. It
// waits for the broker's PUBACK of the status a second at most, less when
// the connection drops meanwhile.
func (c *conn) goodbye() {
	tok := c.publishStatus(false)
	timer := c.l.o.Clock.NewTimer(time.Second)
	defer timer.Stop()
	select {
	case <-tok.Done():
	case <-c.lost:
	case <-timer.C():
	}
	c.cl.Disconnect(250)
}
