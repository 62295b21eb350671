package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"evalpad/pad"
	"evalpad/rating"
	"evalpad/sync/link"
	"evalpad/sync/protocol"
)

// syncFlags are the flags of the MQTT link (sync/link). With no --broker
// the pad keeps its records and sends nothing.
type syncFlags struct {
	broker     string
	user       string
	ca         string
	cert, key  string
	batch      int
	inflight   int
	ackTimeout time.Duration
	retryMin   time.Duration
	retryMax   time.Duration
}

// addSyncFlags registers the link's flags on fs.
func addSyncFlags(fs *flag.FlagSet) *syncFlags {
	f := &syncFlags{}
	fs.StringVar(&f.broker, "broker", "", "MQTT broker of the central, e.g. tcp://HOST:1883 or ssl://HOST:8883 (default: none, records stay in the outbox)")
	fs.StringVar(&f.user, "broker-user", "", "MQTT username (the password is read from env EVALPAD_BROKER_PASSWORD)")
	fs.StringVar(&f.ca, "broker-ca", "", "PEM CA file to verify the broker's TLS certificate (default: system roots)")
	fs.StringVar(&f.cert, "broker-cert", "", "PEM client certificate for mutual TLS")
	fs.StringVar(&f.key, "broker-key", "", "PEM key of --broker-cert")
	fs.IntVar(&f.batch, "sync-batch", 256, "records per up/records message")
	fs.IntVar(&f.inflight, "sync-inflight", 4, "up/records messages waiting for the central's ack at most")
	fs.DurationVar(&f.ackTimeout, "sync-ack-timeout", 30*time.Second, "send unacked records again after this")
	fs.DurationVar(&f.retryMin, "sync-retry-min", time.Second, "first reconnect delay; doubles up to --sync-retry-max, with jitter")
	fs.DurationVar(&f.retryMax, "sync-retry-max", 2*time.Minute, "longest reconnect delay")
	return f
}

// startSync starts the link of a when --broker was given. stop ends it and
// waits; call it before closing the store.
func startSync(ctx context.Context, a *agent, f *syncFlags, log *slog.Logger) (stop func(), err error) {
	if f.broker == "" {
		return func() {}, nil
	}
	l, err := link.New(link.Options{
		Broker: f.broker, DeviceID: a.cfg.DeviceID, Firmware: versionString(),
		Username: f.user, Password: os.Getenv("EVALPAD_BROKER_PASSWORD"),
		CAFile: f.ca, CertFile: f.cert, KeyFile: f.key,
		Batch: f.batch, InFlight: f.inflight, AckTimeout: f.ackTimeout,
		Backoff: link.Backoff{Min: f.retryMin, Max: f.retryMax},
		Logger:  log,
	}, a.store, &linkAgent{a: a})
	if err != nil {
		return nil, err
	}
	unsub := a.pad.Subscribe(func(pad.View) { l.Kick() }) // a record may have landed
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	log.Info("sync: link started", "broker", f.broker, "device", a.cfg.DeviceID)
	return func() {
		unsub()
		cancel()
		<-done
	}, nil
}

// linkAgent is the pad as the link drives it from the downlink.
type linkAgent struct{ a *agent }

var _ link.Agent = (*linkAgent)(nil)

func (x *linkAgent) OpenSession(s rating.Session) error {
	_, err := x.a.pad.OpenSession(s)
	return err
}

func (x *linkAgent) Command(c protocol.Cmd) error {
	switch c.Cmd {
	case protocol.CmdPause:
		return x.a.pad.Pause()
	case protocol.CmdResume:
		return x.a.pad.Resume()
	case protocol.CmdMessage:
		// The pad has no message screen yet (needs pad.ShowMessage).
		x.a.log.Info("sync: message from the central", "id", c.ID, "text", c.Text)
		return fmt.Errorf("message: the pad has no message screen yet: %w", link.ErrNotSupported)
	case protocol.CmdPrintReceipt:
		return fmt.Errorf("print_receipt: the receipt printer driver is not built: %w", link.ErrNotSupported)
	}
	return fmt.Errorf("%w: %q", protocol.ErrUnknownCmd, c.Cmd)
}

func (x *linkAgent) ApplyConfig(c protocol.Config) error {
	// Applying live needs a settings update on the pad and a persisted
	// central config (pad/config); until then the pad says so.
	return errors.New("config: applying a central config live is " + link.ErrNotSupported.Error())
}

func (x *linkAgent) Health() link.Health {
	v := x.a.pad.View()
	h := link.Health{Screen: string(v.Screen), Printer: "none"}
	if v.Fault != nil {
		h.Faults = append(h.Faults, v.Fault.Code+": "+v.Fault.Error)
	}
	if st, err := x.a.store.Stats(); err == nil && st.Max > 0 && st.Pending*10 >= st.Max*9 {
		h.Faults = append(h.Faults, fmt.Sprintf("outbox %d of %d: 90%% full", st.Pending, st.Max))
	}
	return h
}
