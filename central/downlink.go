package central

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"evalpad/sync/protocol"
	"evalpad/trust"
)

// What the central sends on a pad's down/ topics is signed
// (trust.SignDown: bound to the topic, with "exp"), and each session,
// command and config carries an id the pad answers on up/cmdresult:
//
//	down/ack      {"ids":[…],"exp","sig"}                 exp: now + AckLifetime (1 h)
//	down/cmd      {"id":"<uuid>","cmd",…,"exp","sig"}     exp: now + 1 h unless told
//	down/session  {"session_id",…,"exp","sig"}            exp: now + 10 min unless told
//	down/config   {"id":"<uuid>",…,"exp","sig"} retained  exp: now + 48 h; signed
//	                                                       again (a new id) every 24 h
//
// An id is new for every message (a config signed again included), so a
// pad that refuses an id seen twice refuses only replays.

// Lifetimes of downlink messages.
const (
	DefaultCmdLifetime     = time.Hour
	DefaultSessionLifetime = 10 * time.Minute
	ConfigLifetime         = 48 * time.Hour
	ConfigResign           = 24 * time.Hour
)

// Kinds of downlink message.
const (
	KindCmd     = "cmd"
	KindSession = "session"
	KindConfig  = "config"
)

// DownlinkStore is what Downlinks needs of the store.
type DownlinkStore interface {
	Device(ctx context.Context, id string) (Registered, error)
	Devices(ctx context.Context) ([]Registered, error)
	SetConfig(ctx context.Context, id string, c *protocol.Config) error
	AddDownlink(ctx context.Context, d Downlink) error
}

// Downlinks signs and sends sessions, commands and configs to pads.
type Downlinks struct {
	Key   ed25519.PrivateKey
	Store DownlinkStore
	// Publish sends payload on topic (QoS 1) and returns once the broker
	// has it (the hub's client: Hub.Publish).
	Publish func(ctx context.Context, topic string, retained bool, payload []byte) error
	Now     func() time.Time
	Logger  *slog.Logger
}

// ErrDownlink: a downlink message is malformed (its error names the field).
var ErrDownlink = errors.New("central: bad downlink message")

// NewID is a random (version 4) UUID.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Send validates body as a message of kind for device, gives it its id
// (sessions keep their session_id), signs it with an exp ttl from now
// (0: the kind's default; at most trust.MaxLifetime) and publishes it. A
// config is also stored as the device's. It returns what was sent.
func (d *Downlinks) Send(ctx context.Context, device, kind string, body []byte, ttl time.Duration) (Downlink, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	if ttl < 0 || ttl > trust.MaxLifetime {
		return Downlink{}, fmt.Errorf("%w: ttl: %v is not 0 to %v", ErrDownlink, ttl, trust.MaxLifetime)
	}
	if _, err := d.Store.Device(ctx, device); err != nil {
		return Downlink{}, err
	}
	var msg []byte
	var id, suffix string
	retained := false
	switch kind {
	case KindCmd:
		var c protocol.Cmd
		if err := json.Unmarshal(body, &c); err != nil {
			return Downlink{}, fmt.Errorf("%w: cmd: %v", ErrDownlink, err)
		}
		c.ID = NewID()
		if _, err := protocol.ParseCmd(c.Marshal()); err != nil {
			return Downlink{}, fmt.Errorf("%w: %w", ErrDownlink, err)
		}
		id, suffix, msg = c.ID, protocol.DownCmd, c.Marshal()
		ttl = cmpDur(ttl, DefaultCmdLifetime)
	case KindSession:
		s, err := protocol.ParseSession(body)
		if err != nil {
			return Downlink{}, fmt.Errorf("%w: %w", ErrDownlink, err)
		}
		msg, _ = json.Marshal(s)
		id, suffix = s.ID, protocol.DownSession
		ttl = cmpDur(ttl, DefaultSessionLifetime)
	case KindConfig:
		c, err := protocol.ParseConfig(body)
		if err != nil {
			return Downlink{}, fmt.Errorf("%w: %w", ErrDownlink, err)
		}
		c.ID = ""
		if err := d.Store.SetConfig(ctx, device, &c); err != nil {
			return Downlink{}, err
		}
		c.ID = NewID()
		id, suffix, msg, retained = c.ID, protocol.DownConfig, c.Marshal(), true
		ttl = cmpDur(ttl, ConfigLifetime)
	default:
		return Downlink{}, fmt.Errorf("%w: kind %q", ErrDownlink, kind)
	}
	return d.send(ctx, device, kind, id, suffix, msg, retained, now(), now().Add(ttl))
}

// SendCmd signs and publishes the command c, which carries its id (a
// rollout records the id before it sends), exp ttl from now (0: the
// default).
func (d *Downlinks) SendCmd(ctx context.Context, device string, c protocol.Cmd, ttl time.Duration) error {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	if ttl < 0 || ttl > trust.MaxLifetime {
		return fmt.Errorf("%w: ttl: %v is not 0 to %v", ErrDownlink, ttl, trust.MaxLifetime)
	}
	if _, err := protocol.ParseCmd(c.Marshal()); err != nil {
		return fmt.Errorf("%w: %w", ErrDownlink, err)
	}
	if _, err := d.Store.Device(ctx, device); err != nil {
		return err
	}
	_, err := d.send(ctx, device, KindCmd, c.ID, protocol.DownCmd, c.Marshal(), false, now(), now().Add(cmpDur(ttl, DefaultCmdLifetime)))
	return err
}

func cmpDur(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func (d *Downlinks) send(ctx context.Context, device, kind, id, suffix string, msg []byte, retained bool, now, exp time.Time) (Downlink, error) {
	topic := protocol.Topic(device, suffix)
	signed, err := trust.SignDown(d.Key, topic, msg, exp)
	if err != nil {
		return Downlink{}, fmt.Errorf("central: sign %s: %w", kind, err)
	}
	dl := Downlink{ID: id, DeviceID: device, Kind: kind, Body: json.RawMessage(signed), SentAt: now.UTC(), Exp: exp.UTC()}
	if err := d.Store.AddDownlink(ctx, dl); err != nil {
		return Downlink{}, err
	}
	if err := d.Publish(ctx, topic, retained, signed); err != nil {
		return Downlink{}, err
	}
	return dl, nil
}

// ResignConfigs publishes every device's stored config again, signed
// with a new id and exp (retained messages would otherwise expire). It
// returns how many it sent.
func (d *Downlinks) ResignConfigs(ctx context.Context) (int, error) {
	devs, err := d.Store.Devices(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, dev := range devs {
		if dev.Config == nil || dev.Status != DeviceActive {
			continue
		}
		c := *dev.Config
		c.ID = NewID()
		now := time.Now()
		if d.Now != nil {
			now = d.Now()
		}
		if _, err := d.send(ctx, dev.DeviceID, KindConfig, c.ID, protocol.DownConfig, c.Marshal(), true, now, now.Add(ConfigLifetime)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dev.DeviceID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// RunResign signs the configs again every interval (ConfigResign) until
// ctx ends, the first time at once.
func (d *Downlinks) RunResign(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := d.ResignConfigs(ctx)
		if d.Logger != nil {
			if err != nil && ctx.Err() == nil {
				d.Logger.Error("evalhub: configs signed again", "sent", n, "err", err)
			} else if n > 0 {
				d.Logger.Info("evalhub: configs signed again", "sent", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
