package agent

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/agent/screen"
	"evalpad/device/escpos"
	"evalpad/device/printer"
	"evalpad/display/receipt"
	"evalpad/pad/localapi"
)

// DevReceiptKey signs receipt URLs in the simulator when the config sets no
// key, under the id DevReceiptKeyID. It is public: a real pad needs
// receipt.key provisioned.
const (
	DevReceiptKey   = "evalpad-simulator-development-key"
	DevReceiptKeyID = "dev"
)

// ReceiptTokenLifetime is how long the 扫码评价 QR of a printed receipt is
// good for: the token carries its expiry.
const ReceiptTokenLifetime = 30 * 24 * time.Hour

// ErrNoReceiptKey: a pad with a real printer and no receipt.key.
var ErrNoReceiptKey = errors.New("config: receipt.key: required on a pad with a printer: the central verifies receipt QR codes with it (evalpad provision sets it)")

// receiptKey is the one key policy for receipts, for every receipt the pad
// prints (a case's, the selftest's): the config's receipt.key under
// receipt.key_id (receipt.DefaultKeyID when none) — which a provisioned
// identity sets (Identity.Apply) —; with none, a real printer is refused
// and the simulator signs with the public DevReceiptKey, saying so.
func receiptKey(cfg config.Config, simulated bool) (receipt.Key, error) {
	switch {
	case cfg.Receipt.Key != "":
		id := cfg.Receipt.KeyID
		if id == "" {
			id = receipt.DefaultKeyID
		}
		return receipt.Key{ID: id, Secret: []byte(cfg.Receipt.Key)}, nil
	case simulated:
		return receipt.Key{ID: DevReceiptKeyID, Secret: []byte(DevReceiptKey)}, nil
	}
	return receipt.Key{}, ErrNoReceiptKey
}

// receipts makes case receipts (办件回执) and prints them: the one receipt
// maker of the pad.
type receipts struct {
	a       *Agent
	key     receipt.Key
	printer hardware.Printer
	profile receipt.Profile
	mu      sync.Mutex // one job at a time, in order
}

var _ localapi.ReceiptPrinter = (*receipts)(nil)

func newReceipts(a *Agent, cfg config.Config, p hardware.Printer, simulated bool) (*receipts, error) {
	key, err := receiptKey(cfg, simulated)
	if err != nil {
		return nil, err
	}
	if cfg.Receipt.Key == "" {
		a.log.Warn("receipt.key is not set: receipts are signed with the public development key")
	}
	profile, err := receiptProfile(cfg, a.screen)
	if err != nil {
		return nil, err
	}
	return &receipts{a: a, key: key, printer: p, profile: profile}, nil
}

// receiptProfile is the receipt layout for the configured printer: paper,
// QR mode, and the characters its profile prints as text (printer.profile);
// a gb2312-only printer gets the other characters' lines drawn with the
// screen's font, as the printer would draw them.
func receiptProfile(cfg config.Config, scr *screen.Screen) (receipt.Profile, error) {
	prof, err := printer.ProfileByName(cfg.Printer.Profile)
	if err != nil {
		return receipt.Profile{}, fmt.Errorf("config: printer.profile: %w", err)
	}
	p := receipt.Profile{Paper: cfg.Printer.Paper, QR: cfg.Printer.QR, Charset: prof.Charset}
	if prof.Charset == printer.CharsetGB2312 {
		if scr == nil {
			return receipt.Profile{}, fmt.Errorf("printer.profile %s: no CJK font to draw the characters the printer lacks", prof.Name)
		}
		dots, err := escpos.DotsFor(cfg.Printer.Paper)
		if err != nil {
			return receipt.Profile{}, err
		}
		p.Lines = &escpos.Renderer{Dots: dots, Font: scr.Font().Fork()}
	}
	return p, nil
}

// PrintReceipt prints the receipt of one case (checked by
// localapi.CheckReceipt): the staff is the one named, else the open
// session's, else the one on duty.
func (r *receipts) PrintReceipt(req localapi.ReceiptRequest) (int, error) {
	staff := req.StaffID
	if staff == "" {
		v := r.a.pad.View()
		staff = v.OnDuty.ID
		if v.Session != nil {
			staff = v.Session.Staff.ID
		}
	}
	return r.print(req.ProjectNo, req.TaskName, staff)
}

// print makes the receipt of one case with the config in force (the
// central may have changed the hall or window) and prints it.
func (r *receipts) print(projectNo, taskName, staff string) (int, error) {
	cfg := r.a.Config()
	now := r.a.clock.Now()
	u, err := receipt.ScanURL(cfg.Display.ScanURL, r.key, projectNo, cfg.DeviceID, now.Add(ReceiptTokenLifetime))
	if err != nil {
		return 0, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return 0, err
	}
	job, err := receipt.Encode(receipt.Receipt{Hall: cfg.Hall, Window: cfg.Window, StaffID: staff,
		ProjectNo: projectNo, TaskName: taskName, At: now.In(loc), URL: u}, r.profile)
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.printer.Print(job)
}

// SelftestProjectNo is the case number on the selftest's receipt.
const SelftestProjectNo = "SELFTEST"

// PrintTestReceipt prints a test receipt the way a case receipt is made and
// signed, for the technician's selftest.
func (a *Agent) PrintTestReceipt() (int, error) {
	if a.receipts == nil {
		return 0, localapi.ErrNoPrinter
	}
	return a.receipts.print(SelftestProjectNo, "打印测试 printer test", a.Config().Staff.ID)
}
