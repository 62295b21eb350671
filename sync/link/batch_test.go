package link_test

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
	"evalpad/store"
	"evalpad/sync/link"
	"evalpad/sync/mqtttest"
)

// brokerLimit is the max_packet_size of the broker in the tests below: a
// common limit (issue 11: 300 theme records against it reconnected 183
// times in 8 s and delivered nothing).
const brokerLimit = 65536

// appendThemes appends n theme records of rating.MaxCases items each, with
// long task names: about 8 KB each, so a count-sized batch of them is far
// larger than brokerLimit.
func appendThemes(t *testing.T, st *store.Store, n int) {
	t.Helper()
	for i := range n {
		id := uuid()
		sess := &rating.Session{ID: fmt.Sprintf("T-%d", i), Mode: rating.ModeTheme, Staff: rating.Staff{ID: "TA1", Name: "李四"}}
		for j := range rating.MaxCases {
			sess.Cases = append(sess.Cases, rating.Case{ProjectNo: fmt.Sprintf("P%d-%d-%s", i, j, strings.Repeat("0", 40)),
				TaskCode: fmt.Sprintf("11370900MB%010d", j), TaskName: strings.Repeat("企业开办一件事登记", 8)})
		}
		r := rating.NewRecord(id, rating.Origin{DeviceID: dev, AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "1", Channel: "4"},
			sess, rating.Staff{}, sess.Cases, rating.Verdict{Stars: 5}, "2026-11-25T10:02:40.000+08:00", "2026-11-25T10:03:12.123+08:00")
		if err := st.Append(&r, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// uuid is a random record id (version 7 layout).
func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// autoAdvance fires every reconnect backoff the link arms, for the rest of
// the test: a link that keeps reconnecting then spins until the test's
// deadline instead of waiting on the fake clock.
func (r *rig) autoAdvance() {
	go func() {
		for r.clk.WaitArmed(r.ctx, testBackoff.Max) == nil {
			r.clk.Advance(testBackoff.Max)
		}
	}()
}

// drainThemes has a link with byte budget maxBytes (0: the default) drain
// 300 theme records to a broker with max_packet_size brokerLimit, and
// checks that the central got each.
func drainThemes(t *testing.T, maxBytes int) (*running, *central) {
	t.Helper()
	r := newRig(t, fmt.Sprintf("max_packet_size %d", brokerLimit))
	c := r.central(r.b.URL())
	st := newStore(t, 0)
	appendThemes(t, st, 300)
	r.autoAdvance()
	l := r.start(link.Options{Broker: r.b.URL(), MaxMessageBytes: maxBytes}, r.outbox(st), r.agent())
	r.until("300 theme records delivered and acked", func() bool { return pending(st) == 0 && l.Counters().Acked == 300 })
	if n := len(c.ids()); n != 300 {
		t.Errorf("central saw %d records, want 300", n)
	}
	return l, c
}

// TestBatchesFitTheBroker: with the default byte budget, 300 theme records
// reach a broker that refuses packets over 64 KiB without one connection
// dropped, and no message is larger than the budget.
func TestBatchesFitTheBroker(t *testing.T) {
	l, c := drainThemes(t, 0)
	if k := l.Counters(); k.Drops != 0 || k.Connects != 1 {
		t.Errorf("counters %+v: want one connection, never dropped", k)
	}
	if m := c.largest(); m > link.DefaultMaxMessageBytes {
		t.Errorf("largest message %d bytes, over the default budget %d", m, link.DefaultMaxMessageBytes)
	}
}

// TestBudgetShrinksWhenTheBrokerDrops: a pad configured for a larger
// message than the broker takes (1 MiB against 64 KiB) loses the
// connection on its first message, halves its byte budget at each such
// drop and then delivers every record, with a handful of drops, not one
// per attempt.
func TestBudgetShrinksWhenTheBrokerDrops(t *testing.T) {
	l, c := drainThemes(t, 1<<20)
	k := l.Counters()
	// 1 MiB, 512, 256, 128 and 64 KiB drop; 32 KiB passes, and the budget
	// then grows only up to below the smallest size that dropped.
	if k.Drops == 0 || k.Drops > 6 {
		t.Errorf("counters %+v: want a few drops while the budget shrank", k)
	}
	if k.MessageBytes > 2*brokerLimit || c.largest() >= brokerLimit {
		t.Errorf("budget %d, largest message %d: want the budget near and every message under the broker's %d",
			k.MessageBytes, c.largest(), brokerLimit)
	}
}

// TestRecordTooLargeIsSetAside: a record the broker refuses even alone
// is set aside after a few drops: it stays in the outbox, the status says
// so, and the records behind it are delivered.
func TestRecordTooLargeIsSetAside(t *testing.T) {
	r := newRig(t, "max_packet_size 4096")
	c := r.central(r.b.URL())
	st := newStore(t, 5)
	appendThemes(t, st, 1) // about 7 KB: over the broker's limit on its own
	appendRecords(t, st, 5)
	r.autoAdvance()
	l := r.start(link.Options{Broker: r.b.URL()}, r.outbox(st), r.agent())
	r.until("the 10 small records acked", func() bool { return l.Counters().Acked == 10 })
	if n := pending(st); n != 1 {
		t.Errorf("%d records pending, want the one set aside", n)
	}
	if k := l.Counters(); k.SetAside != 1 || k.Drops < 3 {
		t.Errorf("counters %+v: want one record set aside after 3 drops", k)
	}
	l.PublishStatus()
	r.until("a status naming the record set aside", func() bool {
		s := c.statuses()
		return len(s) > 0 && slices.ContainsFunc(s[len(s)-1].Faults, func(f string) bool { return strings.Contains(f, "set aside") })
	})
}

// TestRepeatedDropsGrowTheDelay: each connection that drops before
// StableAfter doubles the next reconnect delay up to Backoff.Max; one that
// stayed up that long starts again from the first delay.
func TestRepeatedDropsGrowTheDelay(t *testing.T) {
	r := newRig(t)
	p := mqtttest.StartProxy(t, r.b.Addr())
	r.central(r.b.URL())
	stable := time.Minute
	l := r.start(link.Options{Broker: p.URL(), StableAfter: stable}, r.outbox(newStore(t, 0)), r.agent())
	for i := range 6 {
		r.until("connected", func() bool { return l.Counters().Connected && l.Counters().Connects == uint64(i+1) })
		p.Cut()
		if err := r.clk.WaitArmed(r.ctx, testBackoff.Max); err != nil {
			t.Fatal("no reconnect delay armed")
		}
		if got, want := l.Counters().RetryIn, testBackoff.Delay(i); got != want {
			t.Errorf("drop %d: retry in %v, want %v", i+1, got, want)
		}
		r.clk.Advance(testBackoff.Max)
	}
	r.until("connected", func() bool { return l.Counters().Connected && l.Counters().Connects == 7 })
	r.clk.Advance(stable) // a connection up long enough
	p.Cut()
	if err := r.clk.WaitArmed(r.ctx, testBackoff.Max); err != nil {
		t.Fatal("no reconnect delay armed")
	}
	if got, want := l.Counters().RetryIn, testBackoff.Delay(0); got != want {
		t.Errorf("after a stable connection: retry in %v, want the first delay %v", got, want)
	}
}
