package agent

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"
	"time"

	"evalpad/agent/config"
	"evalpad/pad/localapi"
	"evalpad/rating"
	"evalpad/sync/link"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// downlink is the agent as the link drives it from the central's messages.
type downlink struct{ a *Agent }

var _ link.Agent = downlink{}

// OpenSession opens a session the central sent, as one from the LAN opens.
func (d downlink) OpenSession(s rating.Session) error {
	_, err := d.a.OpenSession(s)
	return err
}

// Command runs a down/cmd.
func (d downlink) Command(c protocol.Cmd) error {
	a := d.a
	switch c.Cmd {
	case protocol.CmdPause:
		return a.Pause()
	case protocol.CmdResume:
		return a.Resume()
	case protocol.CmdMessage:
		a.log.Info("sync: message from the central", "id", c.ID, "seconds", c.Seconds)
		a.pad.ShowMessage(c.Text, time.Duration(c.Seconds)*time.Second)
		return nil
	case protocol.CmdUpdate:
		return a.upd.command(a.runCtx, c)
	case protocol.CmdPrintReceipt:
		if a.receipts == nil {
			return fmt.Errorf("print_receipt: %w", localapi.ErrNoPrinter)
		}
		req, err := localapi.CheckReceipt(localapi.ReceiptRequest{ProjectNo: c.ProjectNo, TaskName: c.TaskName, StaffID: c.StaffID})
		if err != nil {
			return fmt.Errorf("print_receipt: %w", err)
		}
		switch seen, err := a.caseSeen(req.ProjectNo); {
		case err != nil:
			return fmt.Errorf("print_receipt: %w", err)
		case !seen:
			return fmt.Errorf("print_receipt: %w: %s", ErrUnknownCase, req.ProjectNo)
		}
		_, err = a.receipts.PrintReceipt(req)
		return err
	}
	return fmt.Errorf("%w: %q", protocol.ErrUnknownCmd, c.Cmd)
}

// ApplyConfig applies a down/config live and keeps it.
func (d downlink) ApplyConfig(c protocol.Config) error { return d.a.applyCentral(c) }

// Health is the status's part from the agent: the same faults as the
// local state.
func (d downlink) Health() link.Health {
	d.a.upd.wake() // the link is connected: a trial may be over
	st := d.a.State()
	h := link.Health{Screen: string(st.Screen), Printer: "none", Faults: st.Faults, Update: d.a.upd.current()}
	if d.a.hw.Printer != nil {
		var faults []string
		for _, f := range st.Faults {
			if strings.HasPrefix(f, "printer") {
				faults = append(faults, f)
			}
		}
		h.Printer = "ok"
		if len(faults) > 0 {
			h.Printer = strings.Join(faults, "; ")
		}
	}
	return h
}

// newLink builds the MQTT link of cfg.Sync. Run runs it.
func (a *Agent) newLink(cfg config.Config) (*link.Link, error) {
	s := cfg.Sync
	password := a.parts.BrokerPassword
	if password == "" && s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("sync.password_file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	var central ed25519.PublicKey
	if s.CentralKey != "" {
		var err error
		if central, err = trust.ParsePublicKey(s.CentralKey); err != nil {
			return nil, fmt.Errorf("sync.central_key: %w", err)
		}
	} else {
		a.log.Warn("sync.central_key is not set (not provisioned): every message from the central is refused, its acks too; run evalpad provision")
	}
	return link.New(link.Options{
		Broker: s.Broker, DeviceID: cfg.DeviceID, Firmware: a.parts.Version, CentralKey: central,
		Username: s.Username, Password: password,
		CAFile: s.CAFile, CertFile: s.CertFile, KeyFile: s.KeyFile,
		Batch: s.Batch, MaxMessageBytes: s.MaxMsgBytes, InFlight: s.InFlight, AckTimeout: s.AckTimeout.Duration,
		Backoff: link.Backoff{Min: s.RetryMin.Duration, Max: s.RetryMax.Duration},
		Logger:  a.log,
	}, a.store, downlink{a})
}
