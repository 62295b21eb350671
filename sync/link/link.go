package link

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"evalpad/rating"
	"evalpad/store"
	"evalpad/sync/protocol"
)

// Outbox is the store the link drains. *store.Store implements it.
//
// Pending returns up to max unacked records with seq > after, oldest first.
// Ack removes the named records from the unacked ones (unknown or already
// acked ids are skipped) and returns how many it moved. Stats reports the
// outbox depth. All three are safe to call while the pad appends records.
type Outbox interface {
	Pending(after uint64, max int) ([]store.Entry, error)
	Ack(ids []string, now time.Time) (int, error)
	Stats() (store.Stats, error)
}

var _ Outbox = (*store.Store)(nil)

// Memory is the pad's memory of the downlink messages it handled, by
// kind and id ("session:S-1", "cmd:c7", "config:cfg3"), so that one that
// comes again is refused. *store.Store implements it.
//
// Seen reports whether key was remembered with an expiry after now.
// Remember keeps key until exp, durably (a restart remembers), and may
// forget the keys that expired by now.
type Memory interface {
	Seen(key string, now time.Time) (bool, error)
	Remember(key string, exp, now time.Time) error
}

var _ Memory = (*store.Store)(nil)

// Errors the link answers on up/cmdresult.
var (
	// ErrNotSupported is what an Agent returns for a command the pad cannot
	// run (yet).
	ErrNotSupported = errors.New("not supported yet")
	// ErrRefused: a downlink message the pad does not act on because it is
	// not the central's — unsigned, badly signed, signed for another pad or
	// topic, expired — or because its id was handled before (a replay).
	ErrRefused = errors.New("refused")
	// ErrLater: returned (wrapped) by Agent.Command for a command it
	// answers later with Link.Answer (a firmware update, answered once it
	// is installed). The link remembers the command's id and publishes no
	// cmdresult for it.
	ErrLater = errors.New("answered later")
	// ErrNotProvisioned: the link has no central key, so it refuses every
	// downlink message (wraps ErrRefused).
	ErrNotProvisioned = fmt.Errorf("%w: this pad is not provisioned (no central key): it takes no message from the central", ErrRefused)
)

// Agent is the pad as the link drives it for the downlink. The link calls
// one method at a time, from its own goroutine; each should return quickly
// (a store commit at most). A returned error is answered on up/cmdresult as
// ok:false with the error's text, and the link goes on. A message can come
// twice (MQTT QoS 1 is at least once; see the package doc): the same
// session or command id again is the same message.
type Agent interface {
	// OpenSession opens a session the central sent (already validated).
	OpenSession(s rating.Session) error
	// Command runs a validated down/cmd; ErrNotSupported (wrapped) for one
	// the pad cannot run.
	Command(c protocol.Cmd) error
	// ApplyConfig applies a validated down/config live and persists it.
	ApplyConfig(c protocol.Config) error
	// Health is what the status reports beside the outbox.
	Health() Health
}

// Health is the agent's part of the status.
type Health struct {
	Screen  string
	Printer string
	Faults  []string
	Update  *protocol.UpdateStatus // the last firmware update, nil for none
}

// Options configure a link. Zero values take the defaults.
type Options struct {
	Broker   string // tcp://host:port, ssl://host:port (TLS), ws://, wss://; required
	DeviceID string // required
	Firmware string // reported in the status

	// CentralKey verifies every downlink message (trust.VerifyDown). With
	// none the link refuses them all: acks too, so nothing leaves the outbox.
	CentralKey ed25519.PublicKey
	// Memory keeps the ids of the downlink messages handled (default: the
	// outbox, when it implements Memory; required).
	Memory Memory

	Username, Password string
	CAFile             string // PEM CA bundle to verify the broker (default: the system's)
	CertFile, KeyFile  string // client certificate and key (PEM), for mutual TLS
	TLS                *tls.Config

	Batch      int           // records per up/records message at most; default 256
	InFlight   int           // messages waiting for the central's ack; default 4
	AckTimeout time.Duration // resend from the oldest unacked record after this; default 30s
	Backoff    Backoff       // reconnect delays; default 1s..2m with jitter

	// MaxMessageBytes bounds the payload of one up/records message, so it
	// stays under the broker's packet limit (DefaultMaxMessageBytes;
	// MinMessageBytes..MaxMessageBytesLimit). A record larger than the
	// budget goes alone. The link shrinks the budget itself when the
	// broker drops it over a message (see sizer).
	MaxMessageBytes int
	// StableAfter: a connection up this long resets the reconnect backoff
	// (DefaultStableAfter); one that drops sooner makes the next delay longer.
	StableAfter time.Duration

	StatusMin   time.Duration // least time between two status messages; default 10s
	StatusEvery time.Duration // status refresh with nothing changed; default 5m

	Clock  Clock // every time read and timer of the link; default SystemClock{}
	Logger *slog.Logger
}

// Counters are what a link did since it started.
type Counters struct {
	Connected bool   `json:"connected"`
	Connects  uint64 `json:"connects"`
	Messages  uint64 `json:"messages"`  // up/records messages published
	Records   uint64 `json:"records"`   // records published, resends included
	Acked     uint64 `json:"acked"`     // records the central acked (moved out of the outbox)
	Resends   uint64 `json:"resends"`   // ack timeouts that restarted from the oldest
	Downlinks uint64 `json:"downlinks"` // downlink messages handled
	Rejected  uint64 `json:"rejected"`  // downlink messages rejected, the refused ones included
	Refused   uint64 `json:"refused"`   // downlink messages refused: not the central's, or replayed

	Drops        uint64        `json:"drops"`         // connections that ended while the link was running
	RetryIn      time.Duration `json:"retry_in"`      // the last reconnect delay chosen (ns)
	MessageBytes int           `json:"message_bytes"` // the byte budget of the next up/records message
	SetAside     int           `json:"set_aside"`     // records the broker refused even alone, kept in the outbox unsent
}

// Link is one pad's connection to the central. Run it once.
type Link struct {
	o       Options
	ob      Outbox
	ag      Agent
	log     *slog.Logger
	kick    chan struct{}
	answers chan answerReq // Answer's cmdresults, for the connection to publish
	status  chan struct{}  // PublishStatus

	mu  sync.Mutex
	cnt Counters

	size *sizer // only Run's goroutine

	connected atomic.Bool
}

// New checks o and builds a link; Run starts it.
func New(o Options, ob Outbox, ag Agent) (*Link, error) {
	if o.Broker == "" {
		return nil, errors.New("link: no broker URL")
	}
	u, err := url.Parse(o.Broker)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("link: broker %q: want scheme://host:port", protocol.RedactURL(o.Broker))
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return nil, fmt.Errorf("link: broker %q: scheme %q is not tcp, ssl, tls, mqtts, ws or wss", protocol.RedactURL(o.Broker), u.Scheme)
	}
	if err := protocol.CheckDeviceID(o.DeviceID); err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	if ob == nil || ag == nil {
		return nil, errors.New("link: an outbox and an agent are required")
	}
	if o.Memory == nil {
		o.Memory, _ = ob.(Memory)
	}
	if o.Memory == nil {
		return nil, errors.New("link: a memory of the downlink ids handled is required")
	}
	if len(o.CentralKey) != 0 && len(o.CentralKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("link: central key: %d bytes, want %d", len(o.CentralKey), ed25519.PublicKeySize)
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	o.Batch = min(o.Batch, protocol.MaxRecordsPerMessage)
	switch {
	case o.MaxMessageBytes == 0:
		o.MaxMessageBytes = DefaultMaxMessageBytes
	case o.MaxMessageBytes < MinMessageBytes || o.MaxMessageBytes > MaxMessageBytesLimit:
		return nil, fmt.Errorf("link: max message bytes %d: want %d to %d", o.MaxMessageBytes, MinMessageBytes, MaxMessageBytesLimit)
	}
	if o.StableAfter <= 0 {
		o.StableAfter = DefaultStableAfter
	}
	if o.InFlight <= 0 {
		o.InFlight = 4
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 30 * time.Second
	}
	if o.Backoff.Min <= 0 {
		o.Backoff.Min = time.Second
	}
	if o.Backoff.Max < o.Backoff.Min {
		o.Backoff.Max = max(2*time.Minute, o.Backoff.Min)
	}
	if o.Backoff.Rand == nil {
		o.Backoff.Rand = rand.Float64
	}
	if o.StatusMin <= 0 {
		o.StatusMin = 10 * time.Second
	}
	if o.StatusEvery <= 0 {
		o.StatusEvery = 5 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.TLS == nil && (o.CAFile != "" || o.CertFile != "" || o.KeyFile != "") {
		o.TLS, err = TLSConfig(o.CAFile, o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Link{o: o, ob: ob, ag: ag, log: log.With("broker", protocol.RedactURL(o.Broker)), kick: make(chan struct{}, 1),
		answers: make(chan answerReq), status: make(chan struct{}, 1), size: newSizer(o.MaxMessageBytes)}
	l.cnt.MessageBytes = o.MaxMessageBytes
	return l, nil
}

// TLSConfig builds the client TLS config from PEM files: caFile to verify
// the broker ("" = the system's roots), certFile and keyFile for a client
// certificate (both or neither).
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("link: tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("link: tls ca: %s holds no PEM certificate", caFile)
		}
		c.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("link: tls: a client certificate needs both the cert and the key file")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("link: tls client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// Probe connects to the broker the way Run does, subscribes to the pad's
// down topics and disconnects: whether the broker is reachable and takes
// the pad's credentials, TLS and ACL. It publishes nothing and acks no
// message; what waits for the pad stays with the broker. Not while Run
// runs: both are the same MQTT client.
func (l *Link) Probe(ctx context.Context) error {
	c, err := l.dial(ctx)
	if err != nil {
		return err
	}
	close(c.done) // a message that arrives is left unacked
	c.cl.Disconnect(250)
	return nil
}

type answerReq struct {
	r    protocol.CmdResult
	done chan error
}

// Answer publishes the cmdresult of a command its Command deferred
// (ErrLater) and waits until the broker has it, or ctx ends. While the
// link is not connected it waits for the connection.
func (l *Link) Answer(ctx context.Context, r protocol.CmdResult) error {
	a := answerReq{r: r, done: make(chan error, 1)}
	select {
	case l.answers <- a:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-a.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PublishStatus publishes the status now, without waiting for
// Options.StatusMin: for events the central acts on (a firmware update's
// steps), which the agent throttles itself. It never blocks; calls while
// one is pending make one status.
func (l *Link) PublishStatus() {
	select {
	case l.status <- struct{}{}:
	default:
	}
}

// Kick tells the link the outbox has new records. It never blocks.
func (l *Link) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Counters returns what the link did so far.
func (l *Link) Counters() Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cnt
	c.Connected = l.connected.Load()
	return c
}

func (l *Link) count(f func(c *Counters)) {
	l.mu.Lock()
	f(&l.cnt)
	l.mu.Unlock()
}

// Run connects, drains and serves the downlink until ctx ends. It returns
// nil then; a broker that cannot be reached is retried, never an error.
//
// Reconnects back off exponentially with jitter (Options.Backoff): each
// failed connect and each connection that drops before StableAfter makes
// the next delay longer; a connection that stayed up that long starts
// again from the first delay.
func (l *Link) Run(ctx context.Context) error {
	attempt := 0
	for ctx.Err() == nil {
		c, err := l.dial(ctx)
		if err != nil {
			d := l.retryIn(attempt)
			attempt++
			l.log.Warn("link: connect failed", "err", err, "retry_in", d.Round(time.Millisecond))
			l.sleep(ctx, d)
			continue
		}
		l.count(func(k *Counters) { k.Connects++ })
		l.connected.Store(true)
		up := l.o.Clock.Now()
		err = c.serve(ctx)
		l.connected.Store(false)
		if ctx.Err() != nil {
			break
		}
		if l.o.Clock.Now().Sub(up) >= l.o.StableAfter {
			attempt = 0
		}
		d := l.retryIn(attempt)
		attempt++
		l.count(func(k *Counters) { k.Drops++ })
		l.log.Warn("link: connection ended", "err", err, "retry_in", d.Round(time.Millisecond))
		l.sleep(ctx, d)
	}
	return nil
}

// retryIn is the backoff delay before attempt, noted in the counters.
func (l *Link) retryIn(attempt int) time.Duration {
	d := l.o.Backoff.Delay(attempt)
	l.count(func(k *Counters) { k.RetryIn = d })
	return d
}

// sleep waits d on the link's clock, or until ctx ends.
func (l *Link) sleep(ctx context.Context, d time.Duration) {
	t := l.o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}
