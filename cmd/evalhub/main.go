// Command evalhub is the reference central 好差评 receiver: it takes the
// pads' records from an MQTT broker, stores each once, acks it after the
// commit, and serves the read API and the figures page.
//
//	evalhub [--broker URL] [--mqtt-listen ADDR] [--listen ADDR] [--data DIR] [--db URL]
//
// With no --broker it runs an embedded MQTT broker (mochi-mqtt) on
// --mqtt-listen; with no --db it keeps SQLite in DATA/evalhub.db. See
// README.md here for the flags, the API and the figures.
//
// For crash tests only: env EVALHUB_TEST_CRASH_AFTER_COMMITS=N makes it kill
// itself with SIGKILL right after its Nth commit, before that commit's acks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"evalpad/central"
	"evalpad/sync/link"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	err := serve(ctx, args, stderr, log)
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "evalhub:", err)
		return 2
	}
	fmt.Fprintln(stderr, "evalhub:", err)
	return 1
}

type usageError struct{ error }

func defaultData() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "evalhub")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "evalhub")
	}
	return filepath.Join(os.TempDir(), "evalhub")
}

func serve(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("evalhub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	broker := fs.String("broker", "", "external MQTT broker, e.g. tcp://HOST:1883 (default: run an embedded broker on --mqtt-listen)")
	mqttListen := fs.String("mqtt-listen", ":1883", "address of the embedded broker (only without --broker)")
	listen := fs.String("listen", "127.0.0.1:8090", "address of the read API and the figures page")
	data := fs.String("data", defaultData(), "state directory (the SQLite database)")
	db := fs.String("db", "", "database: postgres://USER@HOST:5432/DB?… for PostgreSQL, or a SQLite file path (default DATA/evalhub.db)")
	group := fs.String("group", "evalhub", "shared subscription group: instances in one group split the records")
	workers := fs.Int("workers", 4, "goroutines storing records")
	user := fs.String("broker-user", "", "MQTT username (password from env EVALHUB_BROKER_PASSWORD)")
	ca := fs.String("broker-ca", "", "PEM CA file to verify the broker")
	cert := fs.String("broker-cert", "", "PEM client certificate")
	key := fs.String("broker-key", "", "PEM key of --broker-cert")
	holidays := fs.String("holidays", "", "override file of working days (lines \"YYYY-MM-DD work|off\"), for an arrangement newer than the built-in one")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cal := &central.Calendar{}
	if *holidays != "" {
		var err error
		if cal.Overrides, err = central.LoadOverrides(*holidays); err != nil {
			return err
		}
	}
	dsn := *db
	if dsn == "" {
		dsn = filepath.Join(*data, "evalhub.db")
	}
	st, err := central.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()

	brokerURL := *broker
	if brokerURL == "" {
		b, err := central.StartBroker(*mqttListen, log.With("component", "broker"))
		if err != nil {
			return err
		}
		defer b.Close()
		brokerURL = b.URL()
		fmt.Fprintf(stderr, "evalhub: mqtt broker on tcp://%s\n", b.Addr())
	}
	ho := central.HubOptions{Broker: brokerURL, Group: *group, Workers: *workers, Username: *user,
		Password: os.Getenv("EVALHUB_BROKER_PASSWORD"), Logger: log}
	if *ca != "" || *cert != "" || *key != "" {
		if ho.TLS, err = link.TLSConfig(*ca, *cert, *key); err != nil {
			return err
		}
	}
	if v := os.Getenv("EVALHUB_TEST_CRASH_AFTER_COMMITS"); v != "" {
		// Crash tests: die by SIGKILL after the Nth commit, before its acks.
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return usageError{fmt.Errorf("EVALHUB_TEST_CRASH_AFTER_COMMITS: %q is not a count", v)}
		}
		ho.AfterCommit = func(commits int) {
			if commits >= n {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	hub, err := central.NewHub(ho, st)
	if err != nil {
		return err
	}
	rule := &central.TimeRule{Cal: cal, Store: st, Logger: log}
	mux := http.NewServeMux()
	(&central.API{Store: st, Rule: rule, Health: func() any { return hub.Counters() },
		Devices: func() any { return hub.Devices() }, Logger: log}).Register(mux)
	central.RegisterPage(mux)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		hub.Run(ctx)
	}()
	ruleDone := make(chan struct{})
	go func() {
		defer close(ruleDone)
		rule.Run(ctx, time.Hour, time.Now) // default 4★ for sessions not rated in time
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "evalhub: listening on http://%s\n", ln.Addr())
	log.Info("evalhub", "broker", brokerURL, "db", redact(dsn), "group", *group)
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	cancel()
	<-hubDone
	<-ruleDone
	return err
}

// redact drops a password from a database URL for the log.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
	}
	return dsn
}
