package server

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"evalpad/central"
	"evalpad/central/passwd"
	"evalpad/sync/link"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Defaults of Options (and of evalhub's flags).
const (
	DefaultMQTTListen = "127.0.0.1:1883"
	DefaultListen     = "127.0.0.1:8090"
)

// Options configure a central.
type Options struct {
	// Hub configures the ingest. With Hub.Broker empty an embedded broker
	// runs on MQTTListen and the hub uses it. Hub.Logger defaults to Logger.
	// Hub.Group empty: the group stored in the database (NewGroup).
	Hub central.HubOptions
	// BrokerCA, BrokerCert, BrokerKey: PEM files of the CA that verifies
	// the broker and of the hub's client certificate (link.TLSConfig),
	// making Hub.TLS; all empty: Hub.TLS as given.
	BrokerCA, BrokerCert, BrokerKey string

	MQTTListen string // the embedded broker's address; default DefaultMQTTListen
	Listen     string // the read API and the figures page; default DefaultListen

	// DB is postgres://… for PostgreSQL or a SQLite file path; empty means
	// SQLite in Data/evalhub.db (then Data is required).
	DB   string
	Data string

	// Holidays is a file of working-day overrides (central.LoadOverrides);
	// empty for the built-in calendar only.
	Holidays string

	// PadsBroker is the broker URL enrollment hands the pads. Empty: the
	// embedded broker's address (with the host the pad reached the
	// central at when the broker listens on every interface), else
	// Hub.Broker.
	PadsBroker string
	// PadsURL is the central's HTTP base URL as pads reach it
	// (http://hub.example:8090): an update command tells pads to fetch
	// PadsURL/firmware/<sha256>. Empty: http:// and the listener's
	// address (the host name when it listens on every interface).
	PadsURL string
	// RolloutInterval is how often running rollouts are stepped besides
	// when a pad reports; default 5 s.
	RolloutInterval time.Duration
	// PadsCA is a PEM file of the CA of the broker's certificate, handed to
	// pads at enrollment; empty for none.
	PadsCA string
	// ExportMap is a JSON file of the platform export's code map
	// (central.ExportMap); empty for the national codes.
	ExportMap string
	// PushURL is the platform's HTTP endpoint the records are pushed to
	// (central.Pusher, every minute); empty: no push.
	PushURL string
	// Thresholds is a JSON file of the 可疑 list's detector thresholds
	// (central.Thresholds); empty for central.DefaultThresholds.
	Thresholds string
	// AlertURL, AlertSecret, AlertThreshold: the 差评 alerts (alerts.go).
	AlertURL, AlertSecret, AlertThreshold string

	Logger *slog.Logger // nil: discard
}

// Server is a central started by Start; Run serves it.
type Server struct {
	log    *slog.Logger
	dsn    string
	group  string
	mqtt   string // the hub's broker URL
	st     *central.SQLStore
	key    ed25519.PrivateKey
	broker *central.Broker // nil with an external broker
	hub    *central.Hub
	rule   *central.TimeRule
	down   *central.Downlinks
	roll   *central.Rollouts
	push   *central.Pusher // nil: no push
	alert  *central.Alerter
	every  time.Duration
	ln     net.Listener
	http   *http.Server
}

// Start loads the holidays, opens the store, starts the embedded broker (if
// o.Hub.Broker is empty) and binds the HTTP listener; the hub, the time rule
// and the HTTP server start in Run. On error, what it opened is closed. A
// started Server must be Run: Run releases what Start opened.
func Start(ctx context.Context, o Options) (*Server, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.BrokerCA != "" || o.BrokerCert != "" || o.BrokerKey != "" {
		var err error
		if o.Hub.TLS, err = link.TLSConfig(o.BrokerCA, o.BrokerCert, o.BrokerKey); err != nil {
			return nil, err
		}
	}
	cal := &central.Calendar{}
	if o.Holidays != "" {
		var err error
		if cal.Overrides, err = central.LoadOverrides(o.Holidays); err != nil {
			return nil, err
		}
	}
	dsn, err := DSN(o.DB, o.Data)
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, dsn: dsn, group: o.Hub.Group}
	if err := s.start(ctx, o, cal); err != nil {
		return nil, errors.Join(err, s.close())
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, o Options, cal *central.Calendar) error {
	var err error
	var ca []byte
	if o.PadsCA != "" {
		if ca, err = os.ReadFile(o.PadsCA); err != nil {
			return fmt.Errorf("server: pads' CA: %w", err)
		}
	}
	if s.key, err = LoadKey(o.Data, s.log); err != nil {
		return err
	}
	if s.st, err = central.Open(ctx, s.dsn); err != nil {
		return err
	}
	ho := o.Hub
	ho.Key, ho.Devices = s.key, s.st.DevicesByID
	if ho.Group == "" {
		if ho.Group, err = s.st.Setting(ctx, "group", NewGroup); err != nil {
			return err
		}
	}
	s.group = ho.Group
	if ho.NATS != "" && ho.Broker == "" {
		return errors.New("server: with a NATS cluster, the hub's broker must be its nodes' MQTT listeners (--broker tcp://NODE:1883,…)")
	}
	if ho.Broker == "" {
		// The central's own user on the embedded broker: a new random
		// password at every start, known to this process only.
		ho.Username, ho.Password = central.DefaultCentralUser, passwd.Random()
		if s.broker, err = central.StartBroker(central.BrokerOptions{Addr: cmp.Or(o.MQTTListen, DefaultMQTTListen),
			Device: s.st.Device, CentralUser: ho.Username, CentralPassword: ho.Password,
			Logger: s.log.With("component", "broker")}); err != nil {
			return err
		}
		ho.Broker = s.broker.URL()
	}
	s.mqtt = ho.Broker
	if ho.Logger == nil {
		ho.Logger = s.log
	}
	st := s.st
	// Rollouts: commands through the downlinks (set below, before the hub
	// runs), reports from the hub.
	s.roll = central.NewRollouts(central.Rollouts{Store: s.st, Logger: s.log})
	s.every = cmp.Or(o.RolloutInterval, 5*time.Second)
	ho.OnCmdResult = func(dev string, r protocol.CmdResult, raw []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.SetDownlinkResult(ctx, dev, r.ID, raw, time.Now()); err != nil {
			s.log.Warn("evalhub: cmdresult", "device", dev, "id", r.ID, "err", err)
		}
		s.roll.OnCmdResult(ctx, dev, r)
	}
	ho.OnStatus = func(dev string, stat protocol.Status) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.roll.OnStatus(ctx, dev, stat)
		if err := st.RecordStatus(ctx, dev, stat, time.Now()); err != nil {
			s.log.Warn("evalhub: pause history", "device", dev, "err", err)
		}
	}
	if s.hub, err = central.NewHub(ho, s.st); err != nil {
		return err
	}
	s.rule = &central.TimeRule{Cal: cal, Store: s.st, Logger: s.log}
	hub := s.hub
	s.down = &central.Downlinks{Key: s.key, Store: s.st, Publish: hub.Publish, Logger: s.log}
	s.roll.Send = s.down.SendCmd
	enroller := &central.Enroller{Store: s.st, Key: s.key, Broker: s.padsBroker(o.PadsBroker), CA: string(ca),
		Limiter: &central.Limiter{}, OnEnrolled: s.enrolled, Logger: s.log}
	export := &central.ExportMap{}
	if o.ExportMap != "" {
		if export, err = central.LoadExportMap(o.ExportMap); err != nil {
			return err
		}
	}
	var suspects *central.Thresholds
	if o.Thresholds != "" {
		t, err := central.LoadThresholds(o.Thresholds)
		if err != nil {
			return err
		}
		suspects = &t
	}
	if o.PushURL != "" {
		if u, err := url.Parse(o.PushURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("server: push URL %q: not an http(s) URL", o.PushURL)
		}
		s.push = &central.Pusher{Store: s.st, Cursor: s.st, Map: *export, URL: o.PushURL, Logger: s.log}
	}
	if s.alert, err = alerter(o, s.st); err != nil {
		return err
	}
	smsKey, err := s.st.Setting(ctx, "sms_key", func() string { return passwd.Random() + passwd.Random() })
	if err != nil {
		return err
	}
	sms := &central.SMS{Store: s.st, Rule: s.rule, Key: []byte(smsKey)} // Base: below
	mux := http.NewServeMux()
	mux.Handle("POST "+protocol.EnrollPath, enroller)
	(&central.API{Auth: &central.Auth{Tokens: s.st, Limiter: &central.Limiter{Max: 20}, Logger: s.log},
		Store: s.st, Registry: s.st, Downlinks: s.down, Rollouts: s.roll, Rule: s.rule,
		Composite: &central.Composite{Store: s.st, Device: s.st.Device}, SMS: sms,
		Export: export, Suspects: suspects, Health: func() any { return hub.Counters() },
		Devices: func() any { return hub.Devices() }, Logger: s.log}).Register(mux)
	mux.Handle(central.FirmwareRoute, &central.FirmwareFiles{Dir: central.FirmwareDir(o.Data), Store: s.st, Limiter: &central.Limiter{}, Logger: s.log})
	central.RegisterPage(mux)
	base, err := checkPadsURL(o.PadsURL)
	if err != nil {
		return err
	}
	if s.ln, err = net.Listen("tcp", cmp.Or(o.Listen, DefaultListen)); err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	if base == "" {
		base = s.listenURL()
	}
	s.roll.URL = func(sha string) string { return base + "/firmware/" + sha }
	// 扫码评价: the pads' display.scan_url is base + central.RatePath; the
	// SMS reminders link there too.
	scan, _ := url.Parse(base)
	sms.Base = base
	(&central.Rater{Store: s.st, Host: scan.Host, Keys: s.st.ReceiptKeys, Device: s.st.Device, SMS: sms,
		Limiter: &central.Limiter{}, Logger: s.log}).Register(mux)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// NewGroup is a shared subscription group's name no one can guess:
// Mosquitto 2.0's acl_file does not check subscriptions (only what is
// delivered), so a pad that knew the name could join the central's group
// and take a share of the records away from it (the pads would send them
// again, but a steady member could keep them from the central). The name
// is kept in the database, so every instance of one central shares it.
func NewGroup() string {
	var b [16]byte
	rand.Read(b[:])
	return "evalhub-" + hex.EncodeToString(b[:])
}

// padsBroker is the broker URL a pad enrolling through r is handed.
func (s *Server) padsBroker(given string) func(r *http.Request) string {
	return func(r *http.Request) string {
		if given != "" {
			return given
		}
		if s.broker == nil {
			first, _, _ := strings.Cut(s.mqtt, ",") // a pad takes one URL
			return first
		}
		a := s.broker.Addr().(*net.TCPAddr)
		host := a.IP.String()
		if a.IP.IsUnspecified() {
			if h, _, err := net.SplitHostPort(r.Host); err == nil {
				host = h
			} else if r.Host != "" {
				host = r.Host
			}
		}
		return "tcp://" + net.JoinHostPort(host, strconv.Itoa(a.Port))
	}
}

// checkPadsURL checks the base URL pads fetch artifacts at, as given
// ("" stays "": the listener's address is used).
func checkPadsURL(given string) (string, error) {
	if given == "" {
		return "", nil
	}
	u, err := url.Parse(given)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server: pads' URL %q is not http(s)://HOST[:PORT][/PATH]", given)
	}
	return strings.TrimSuffix(given, "/"), nil
}

// listenURL is http:// and the listener's address, with the host's name
// when it listens on every interface.
func (s *Server) listenURL() string {
	a := s.ln.Addr().(*net.TCPAddr)
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
		s.log.Warn("evalhub: pads are told to fetch firmware from this host's name; set the pads' URL (--pads-url) if they reach it otherwise", "host", host)
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(a.Port))
}

// enrolled runs after a pad enrolled: a renewed or replaced pad's
// connections made with the old password are closed, and its config is
// published again (signed, retained) so an older retained one cannot win.
func (s *Server) enrolled(d central.Registered, how string) {
	if s.broker != nil && how != "new" {
		if n := s.broker.Disconnect(d.MQTTUser); n > 0 {
			s.log.Info("evalhub: closed the connections of the old credentials", "device", d.DeviceID, "connections", n)
		}
	}
	if d.Config != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := s.down.Send(ctx, d.DeviceID, central.KindConfig, d.Config.Marshal(), 0); err != nil {
			s.log.Warn("evalhub: config of an enrolled pad not published; the daily signing will", "device", d.DeviceID, "err", err)
		}
	}
}

// Key is the central's key.
func (s *Server) Key() ed25519.PrivateKey { return s.key }

// Store is the central's store (and registry).
func (s *Server) Store() *central.SQLStore { return s.st }

// Addr is the address of the read API and the figures page.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// BrokerAddr is the embedded broker's address, nil with an external broker.
func (s *Server) BrokerAddr() net.Addr {
	if s.broker == nil {
		return nil
	}
	return s.broker.Addr()
}

// Rollouts are the central's firmware rollouts.
func (s *Server) Rollouts() *central.Rollouts { return s.roll }

// Hub is the ingest, for its counters and the pads' statuses.
func (s *Server) Hub() *central.Hub { return s.hub }

// Announce writes the lines scripts/demo and the tests wait for:
//
//	evalhub: mqtt broker on tcp://ADDR     (only with the embedded broker)
//	evalhub: listening on http://ADDR
func (s *Server) Announce(w io.Writer) {
	if a := s.BrokerAddr(); a != nil {
		fmt.Fprintf(w, "evalhub: mqtt broker on tcp://%s\n", a)
	}
	fmt.Fprintf(w, "evalhub: listening on http://%s\n", s.Addr())
}

// Run serves until ctx ends or the HTTP server fails, then shuts the HTTP
// server down (5 s at most for the requests in progress), stops the hub and
// the time rule, and closes the broker and the store. It returns nil after
// a clean stop.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("evalhub", "broker", protocol.RedactURL(s.mqtt), "db", protocol.RedactURL(s.dsn), "group", s.group[:min(len(s.group), 12)]+"…",
		"central_key", trust.Fingerprint(trust.Public(s.key)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var hubErr error
	wg.Go(func() { hubErr = s.hub.Run(ctx) })
	wg.Go(func() { s.rule.Run(ctx, time.Hour, time.Now) })        // default 4★ for sessions not rated in time
	wg.Go(func() { s.down.RunResign(ctx, central.ConfigResign) }) // retained configs signed again before they expire
	wg.Go(func() { s.roll.Run(ctx, s.every) })                    // firmware rollouts: commands due, timeouts, halts
	wg.Go(func() { s.alert.Run(ctx) })                            // 差评 alerts: the page, the webhook
	if s.push != nil {
		wg.Go(func() { s.push.Run(ctx, time.Minute) }) // new records to the platform
	}
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(s.ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		// Longer than the 5 s after which Shutdown takes a connection that
		// never sent a request (a browser's speculative preconnect) for idle:
		// with exactly 5 s such a connection could fail the shutdown.
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.http.Shutdown(sctx)
		scancel()
		<-served // http.ErrServerClosed, at once
	}
	cancel()
	wg.Wait()
	return errors.Join(err, hubErr, s.close())
}

// close closes the broker and the store, whichever are open.
func (s *Server) close() error {
	var errs []error
	if s.broker != nil {
		errs = append(errs, s.broker.Close())
	}
	if s.st != nil {
		errs = append(errs, s.st.Close())
	}
	return errors.Join(errs...)
}
