package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"evalpad/pad"
	"evalpad/agent/config"
	"evalpad/pad/localapi"
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

	passwordFile string // from the config only
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

// withConfig fills the flags that were not given on the command line (set
// names those that were) from the config's [sync] section.
func (f *syncFlags) withConfig(s config.Sync, set map[string]bool) *syncFlags {
	out := *f
	str := func(name string, dst *string, v string) {
		if !set[name] {
			*dst = v
		}
	}
	str("broker", &out.broker, s.Broker)
	str("broker-user", &out.user, s.Username)
	str("broker-ca", &out.ca, s.CAFile)
	str("broker-cert", &out.cert, s.CertFile)
	str("broker-key", &out.key, s.KeyFile)
	if !set["sync-batch"] {
		out.batch = s.Batch
	}
	if !set["sync-inflight"] {
		out.inflight = s.InFlight
	}
	if !set["sync-ack-timeout"] {
		out.ackTimeout = s.AckTimeout.Duration
	}
	if !set["sync-retry-min"] {
		out.retryMin = s.RetryMin.Duration
	}
	if !set["sync-retry-max"] {
		out.retryMax = s.RetryMax.Duration
	}
	out.passwordFile = s.PasswordFile
	return &out
}

// password is env EVALPAD_BROKER_PASSWORD, else the content of the
// config's password_file.
func (f *syncFlags) password() (string, error) {
	if p := os.Getenv("EVALPAD_BROKER_PASSWORD"); p != "" || f.passwordFile == "" {
		return p, nil
	}
	b, err := os.ReadFile(f.passwordFile)
	if err != nil {
		return "", fmt.Errorf("sync.password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// startSync starts the link of a when a broker is configured. stop ends it
// and waits; call it before closing the store.
func startSync(ctx context.Context, a *agent, f *syncFlags, log *slog.Logger) (stop func(), err error) {
	if f.broker == "" {
		return func() {}, nil
	}
	password, err := f.password()
	if err != nil {
		return nil, err
	}
	l, err := link.New(link.Options{
		Broker: f.broker, DeviceID: a.cfg.DeviceID, Firmware: versionString(),
		Username: f.user, Password: password,
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
		x.a.log.Info("sync: message from the central", "id", c.ID, "seconds", c.Seconds)
		x.a.pad.ShowMessage(c.Text, time.Duration(c.Seconds)*time.Second)
		return nil
	case protocol.CmdPrintReceipt:
		if x.a.api.Receipts == nil {
			return fmt.Errorf("print_receipt: %w", localapi.ErrNoPrinter)
		}
		req := localapi.ReceiptRequest{ProjectNo: c.ProjectNo, TaskName: rating.MaskPersonal(c.TaskName), StaffID: c.StaffID}
		if err := (rating.Case{ProjectNo: req.ProjectNo, TaskName: req.TaskName}).Validate("project_no", "task_name"); err != nil {
			return fmt.Errorf("print_receipt: %w", err)
		}
		_, err := x.a.api.Receipts.PrintReceipt(req)
		return err
	}
	return fmt.Errorf("%w: %q", protocol.ErrUnknownCmd, c.Cmd)
}

func (x *linkAgent) ApplyConfig(c protocol.Config) error { return x.a.applyCentral(c) }

// Health is what the retained status reports: the faults the local API's
// state lists (pad fault, store, printer, a nearly full outbox), and the
// printer's condition.
func (x *linkAgent) Health() link.Health {
	st := x.a.api.CurrentState()
	h := link.Health{Screen: string(st.Screen), Printer: "none", Faults: st.Faults}
	if x.a.api.Printer != nil {
		h.Printer = "ok"
		if _, faults := x.a.api.Printer(); len(faults) > 0 {
			h.Printer = strings.Join(faults, "; ")
		}
	}
	return h
}
