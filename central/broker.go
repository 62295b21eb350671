package central

import (
	"fmt"
	"log/slog"
	"net"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is the embedded MQTT broker (mochi-mqtt) of an evalhub run with no
// --broker: enough for a demo or a small hall. It lets every client in;
// put a real broker with an ACL in front of pads on an open network.
type Broker struct {
	srv  *mochi.Server
	addr net.Addr
}

// StartBroker listens on addr (":1883"; port 0 picks a free one) and serves.
func StartBroker(addr string, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("central: broker: %w", err)
	}
	srv := mochi.New(&mochi.Options{InlineClient: false, Logger: log})
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		ln.Close()
		return nil, fmt.Errorf("central: broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("central: broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("central: broker: %w", err)
	}
	return &Broker{srv: srv, addr: ln.Addr()}, nil
}

// URL is tcp://ADDR for clients on this machine.
func (b *Broker) URL() string {
	a := b.addr.(*net.TCPAddr)
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("tcp://%s", net.JoinHostPort(host, fmt.Sprint(a.Port)))
}

// Addr is the address it listens on.
func (b *Broker) Addr() net.Addr { return b.addr }

// Close stops the broker.
func (b *Broker) Close() error { return b.srv.Close() }

// allowAll lets every client connect, publish and subscribe.
type allowAll struct{ mochi.HookBase }

func (*allowAll) ID() string { return "allow-all" }

func (*allowAll) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (*allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (*allowAll) OnACLCheck(*mochi.Client, string, bool) bool { return true }
