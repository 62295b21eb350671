package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"evalpad/central"
	"evalpad/sync/protocol"
)

// Defaults of Options (and of evalhub's flags).
const (
	DefaultMQTTListen = ":1883"
	DefaultListen     = "127.0.0.1:8090"
)

// Options configure a central.
type Options struct {
	// Hub configures the ingest. With Hub.Broker empty an embedded broker
	// runs on MQTTListen and the hub uses it. Hub.Logger defaults to Logger.
	Hub central.HubOptions

	MQTTListen string // the embedded broker's address; default DefaultMQTTListen
	Listen     string // the read API and the figures page; default DefaultListen

	// DB is postgres://… for PostgreSQL or a SQLite file path; empty means
	// SQLite in Data/evalhub.db (then Data is required).
	DB   string
	Data string

	// Holidays is a file of working-day overrides (central.LoadOverrides);
	// empty for the built-in calendar only.
	Holidays string

	Logger *slog.Logger // nil: discard
}

// Server is a central started by Start; Run serves it.
type Server struct {
	log    *slog.Logger
	dsn    string
	group  string
	mqtt   string // the hub's broker URL
	st     *central.SQLStore
	broker *central.Broker // nil with an external broker
	hub    *central.Hub
	rule   *central.TimeRule
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
	cal := &central.Calendar{}
	if o.Holidays != "" {
		var err error
		if cal.Overrides, err = central.LoadOverrides(o.Holidays); err != nil {
			return nil, err
		}
	}
	dsn := o.DB
	if dsn == "" {
		if o.Data == "" {
			return nil, errors.New("server: no database: set DB or Data")
		}
		dsn = filepath.Join(o.Data, "evalhub.db")
		// The state directory is evalhub's alone; an older one is tightened.
		if err := os.MkdirAll(o.Data, 0o700); err != nil {
			return nil, fmt.Errorf("server: data dir: %w", err)
		}
		if err := os.Chmod(o.Data, 0o700); err != nil {
			return nil, fmt.Errorf("server: data dir: %w", err)
		}
	}
	s := &Server{log: log, dsn: dsn, group: o.Hub.Group}
	err := s.start(ctx, o, cal)
	if err != nil {
		return nil, errors.Join(err, s.close())
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, o Options, cal *central.Calendar) error {
	var err error
	if s.st, err = central.Open(ctx, s.dsn); err != nil {
		return err
	}
	ho := o.Hub
	if ho.Broker == "" {
		if s.broker, err = central.StartBroker(cmp.Or(o.MQTTListen, DefaultMQTTListen), s.log.With("component", "broker")); err != nil {
			return err
		}
		ho.Broker = s.broker.URL()
	}
	s.mqtt = ho.Broker
	if ho.Logger == nil {
		ho.Logger = s.log
	}
	if s.hub, err = central.NewHub(ho, s.st); err != nil {
		return err
	}
	s.rule = &central.TimeRule{Cal: cal, Store: s.st, Logger: s.log}
	mux := http.NewServeMux()
	hub := s.hub
	(&central.API{Store: s.st, Rule: s.rule, Health: func() any { return hub.Counters() },
		Devices: func() any { return hub.Devices() }, Logger: s.log}).Register(mux)
	central.RegisterPage(mux)
	if s.ln, err = net.Listen("tcp", cmp.Or(o.Listen, DefaultListen)); err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// Addr is the address of the read API and the figures page.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// BrokerAddr is the embedded broker's address, nil with an external broker.
func (s *Server) BrokerAddr() net.Addr {
	if s.broker == nil {
		return nil
	}
	return s.broker.Addr()
}

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
	s.log.Info("evalhub", "broker", protocol.RedactURL(s.mqtt), "db", protocol.RedactURL(s.dsn), "group", s.group)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var hubErr error
	wg.Go(func() { hubErr = s.hub.Run(ctx) })
	wg.Go(func() { s.rule.Run(ctx, time.Hour, time.Now) }) // default 4★ for sessions not rated in time
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(s.ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
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
