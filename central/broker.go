package central

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"evalpad/central/passwd"
)

// Broker is the embedded MQTT broker (mochi-mqtt) of an evalhub run with no
// --broker. It admits the registered pads with their credentials and the
// central's own user, and holds each to the rules of CanPublish and
// CanRead (see acl.go); anonymous clients and everyone else are refused.
type Broker struct {
	srv  *mochi.Server
	addr net.Addr
}

// BrokerOptions configure the embedded broker.
type BrokerOptions struct {
	Addr string // "127.0.0.1:1883"; port 0 picks a free one
	// Device looks a pad up by its user name (Registry.Device).
	Device func(ctx context.Context, id string) (Registered, error)
	// CentralUser and CentralPassword are the central's credentials
	// (evalhub makes a random password at each start).
	CentralUser, CentralPassword string
	Logger                       *slog.Logger
}

// StartBroker listens on o.Addr and serves.
func StartBroker(o BrokerOptions) (*Broker, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Device == nil || o.CentralPassword == "" {
		return nil, errors.New("central: broker: no registry or no central password")
	}
	if err := CheckCentralUser(o.CentralUser); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("central: broker: %w", err)
	}
	srv := mochi.New(&mochi.Options{InlineClient: false, Logger: log})
	if err := srv.AddHook(&registryAuth{o: o, log: log}, nil); err != nil {
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

// Disconnect closes the connections of user (a pad whose credentials were
// just renewed: the old password must stop working, also on a live
// connection). It returns how many it closed.
func (b *Broker) Disconnect(user string) int {
	n := 0
	for _, cl := range b.srv.Clients.GetAll() {
		if string(cl.Properties.Username) == user && !cl.Closed() {
			b.srv.DisconnectClient(cl, packets.ErrNotAuthorized)
			n++
		}
	}
	return n
}

// Close stops the broker.
func (b *Broker) Close() error { return b.srv.Close() }

// registryAuth admits the registered pads and the central, and applies
// the ACL.
type registryAuth struct {
	mochi.HookBase
	o   BrokerOptions
	log *slog.Logger
}

func (*registryAuth) ID() string { return "evalhub-registry" }

func (*registryAuth) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (a *registryAuth) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	ok, why := a.authenticate(cl, pk)
	if !ok {
		a.log.Warn("evalhub: broker refused a client", "user", string(pk.Connect.Username), "client", cl.ID, "remote", cl.Net.Remote, "why", why)
	}
	return ok
}

func (a *registryAuth) authenticate(cl *mochi.Client, pk packets.Packet) (bool, string) {
	user, pw := string(pk.Connect.Username), string(pk.Connect.Password)
	central := user == a.o.CentralUser
	switch {
	case user == "":
		return false, "anonymous"
	case central:
		if subtle.ConstantTimeCompare([]byte(pw), []byte(a.o.CentralPassword)) != 1 {
			return false, "bad password"
		}
	default:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := a.o.Device(ctx, user)
		cancel()
		if err != nil {
			return false, err.Error()
		}
		if d.Status != DeviceActive || d.MQTTUser != user {
			return false, "device " + d.Status
		}
		if ok, err := passwd.Verify(d.MQTTHash, pw); !ok || err != nil {
			return false, "bad password"
		}
		if cl.ID != user && cl.ID != "evalpad-"+user {
			return false, "client id " + cl.ID + " is not the user name (or evalpad-USER)"
		}
	}
	if cl.Properties.Will.Flag == 1 && !CanPublish(user, central, cl.Properties.Will.TopicName) {
		return false, "last will on " + cl.Properties.Will.TopicName + " not allowed"
	}
	return true, ""
}

func (a *registryAuth) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	user := string(cl.Properties.Username)
	central := user == a.o.CentralUser
	if write {
		return CanPublish(user, central, topic)
	}
	return CanRead(user, central, topic)
}
