package link_test

import (
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"evalpad/sync/link"
	"evalpad/sync/protocol"
)

// refuseFirst is a broker hook that refuses the pad's down/ subscription
// the first n times (SUBACK 0x80, no error on the connection), as a NATS
// node does while JetStream elects leaders.
type refuseFirst struct {
	mochi.HookBase
	n     int32
	tries atomic.Int32
}

func (h *refuseFirst) ID() string { return "refuse-first" }
func (h *refuseFirst) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}
func (h *refuseFirst) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }
func (h *refuseFirst) OnACLCheck(_ *mochi.Client, topic string, write bool) bool {
	if write || topic != protocol.DownFilter(dev) {
		return true
	}
	return h.tries.Add(1) > h.n
}

// A subscription the broker refuses is a failed connection: the link dials
// again until the broker grants it, and then drains. Taken as granted, the
// pad would get no ack and resend for ever.
func TestRefusedSubscriptionReconnects(t *testing.T) {
	r := newRig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	hook := &refuseFirst{n: 2}
	if err := srv.AddHook(hook, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	url := "tcp://" + ln.Addr().String()
	r.central(url)
	st := newStore(t, 20)
	r.autoAdvance()
	l := r.start(link.Options{Broker: url, AckTimeout: time.Second}, r.outbox(st), r.agent())
	r.until("the outbox to drain", func() bool { return pending(st) == 0 })
	if n := hook.tries.Load(); n < 3 {
		t.Errorf("subscribe tried %d times, want 3 (two refused)", n)
	}
	if k := l.Counters(); k.Connects < 1 {
		t.Errorf("counters %+v", k)
	}
}
