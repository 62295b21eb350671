package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"evalpad/device/escpos"
	"evalpad/agent/screen"
	"evalpad/agent/sim"
	"evalpad/display"
	"evalpad/display/receipt"
	"evalpad/pad"
	"evalpad/agent/config"
	"evalpad/pad/localapi"
)

// simDevKey signs receipt URLs in the simulator when the config sets no
// key. It is public: a real pad needs receipt.key provisioned.
const simDevKey = "evalpad-simulator-development-key"

// windowScanURL is the window's static 扫码评价 QR code: base?d=DEVICE&w=WINDOW.
func windowScanURL(cfg config.Config) string {
	return cfg.Display.ScanURL + "?" + url.Values{"d": {cfg.DeviceID}, "w": {cfg.Window}}.Encode()
}

// simHardware builds the simulated screen, printer and page of `evalpad sim`
// on a and registers their routes. Without a CJK font the simulator still
// runs, without the picture of the screen (and says how to get it).
func simHardware(a *agent, dataDir string, log *slog.Logger) error {
	cfg := a.cfg
	history := &sim.History{}
	history.Show(a.pad.View())
	a.pad.Subscribe(history.Show)
	(&sim.Hardware{Pad: a.pad, Store: a.store, History: history}).Register(a.mux)

	w, h, err := cfg.Display.Dimensions()
	if err != nil {
		return err
	}
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	page := &sim.Page{Pad: a.pad, Outbox: a.store, Info: sim.Info{Width: w, Height: h, StarOrder: cfg.Display.StarOrder,
		DeviceID: cfg.DeviceID, Hall: cfg.Hall, Window: cfg.Window, StaffID: cfg.Staff.ID, StaffName: cfg.Staff.Name}}
	var scr *screen.Screen
	var printerFont *display.Font
	font, err := loadFont(cfg)
	switch {
	case err != nil && cfg.Display.Font != "":
		return fmt.Errorf("display.font: %w", err) // named in the config: it must be there
	case err != nil:
		log.Warn("the simulator runs without its screen picture and receipt images", "err", err)
	default:
		if scr, err = buildScreen(cfg, font, a.pad.View()); err != nil {
			return err
		}
		if cfg.Staff.Photo != "" && cfg.Staff.ID != "" {
			if img, err := screen.DecodePhoto(cfg.Staff.Photo); err != nil {
				log.Warn("staff photo", "err", err)
			} else {
				scr.SetPhoto(cfg.Staff.ID, img)
			}
		}
		scr.Show(a.pad.View())
		a.pad.Subscribe(scr.Show)
		// The printer draws with faces of its own: faces are not shared
		// between goroutines (the parsed font file is).
		printerFont = font.Fork()
	}
	page.Screen = scr

	printer := &escpos.SimPrinter{Dir: filepath.Join(dataDir, "receipts"), Paper: cfg.Printer.Paper, Font: printerFont, Log: log}
	page.Printer = printer
	key := cfg.Receipt.Key
	if key == "" {
		log.Warn("receipt.key is not set: receipts are signed with the public development key")
		key = simDevKey
	}
	rp := &receiptPrinter{cfg: a.config, key: []byte(key), loc: loc, pad: a.pad, printer: printer, printed: page.Printed,
		profile: receipt.Profile{Paper: cfg.Printer.Paper, QR: cfg.Printer.QR}}
	a.api.Receipts = rp
	if scr != nil {
		a.api.Photo = photoSetter(scr, log)
		a.checkGlyphs = func(c config.Config) error { return checkGlyphs(font, c) }
		a.onConfig = append(a.onConfig, func(c config.Config) { scr.SetHall(c.Hall, c.Window, c.Texts) })
	}
	page.Register(a.mux)
	return nil
}

func codesText(cfg config.Config, level int) []string {
	var out []string
	list := cfg.Reasons.One
	if level == 2 {
		list = cfg.Reasons.Two
	}
	for _, r := range list {
		out = append(out, r.Text)
	}
	return out
}

// receiptPrinter makes the case receipt of a case and prints it.
type receiptPrinter struct {
	cfg     func() config.Config // the agent's, as the central may change it
	key     []byte
	loc     *time.Location
	pad     *pad.Pad
	profile receipt.Profile
	printer interface{ Print(job []byte) (int, error) }
	printed func(job int)
	mu      sync.Mutex
}

var _ localapi.ReceiptPrinter = (*receiptPrinter)(nil)

// PrintReceipt prints the receipt of one case: the staff is the one named,
// else the open session's, else the one on duty.
func (r *receiptPrinter) PrintReceipt(req localapi.ReceiptRequest) (int, error) {
	cfg := r.cfg()
	staff := req.StaffID
	if staff == "" {
		v := r.pad.View()
		staff = v.OnDuty.ID
		if v.Session != nil {
			staff = v.Session.Staff.ID
		}
	}
	u, err := receipt.ScanURL(cfg.Display.ScanURL, r.key, req.ProjectNo, cfg.DeviceID)
	if err != nil {
		return 0, err
	}
	job, err := receipt.Encode(receipt.Receipt{Hall: cfg.Hall, Window: cfg.Window, StaffID: staff,
		ProjectNo: req.ProjectNo, TaskName: req.TaskName, At: time.Now().In(r.loc), URL: u}, r.profile)
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.printer.Print(job)
	if err != nil {
		return 0, err
	}
	if r.printed != nil {
		r.printed(n)
	}
	return n, nil
}
