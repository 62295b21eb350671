package agent

import (
	"log/slog"
	"path/filepath"

	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/agent/sim"
)

// SimulatedParts are the parts of `evalpad sim` for cfg (cfg.DataDir set):
// a printer that draws each receipt (kept in DATA/receipts as NNNN.bin and
// NNNN.png), the CJK font if the machine has one, a voice that the page
// plays in the browser (with voice.enabled), and the simulator — its
// buttons, touch screen, printer and voice over HTTP, and its page —
// attached to the agent once it is built.
func SimulatedParts(cfg config.Config, log *slog.Logger) Parts {
	page := &sim.Page{}
	font, err := LoadFont(cfg)
	if err != nil {
		font = nil // New says what is missing, and runs without a screen picture
	}
	vo := &sim.Voice{OnPlay: page.Spoke}
	pr := sim.NewPrinter(filepath.Join(cfg.DataDir, "receipts"), cfg.Printer.Paper, font, log, page.Printed)
	return Parts{
		Hardware:   &hardware.Set{Printer: pr, PrinterName: "simulated printer"},
		Simulated:  true,
		Font:       font,
		Voice:      vo,
		Extensions: []Extension{simulator{page: page, printer: pr, voice: vo}},
		Logger:     log,
	}
}

// simulator attaches the simulated hardware's routes and the page.
type simulator struct {
	page    *sim.Page
	printer *sim.Printer
	voice   *sim.Voice
}

func (s simulator) Attach(a *Agent) (func(), error) {
	history := &sim.History{}
	history.Show(a.pad.View())
	unsub := a.pad.Subscribe(history.Show)
	(&sim.Hardware{Pad: a.pad, Store: a.store, History: history}).Register(a.mux)
	s.voice.Register(a.mux, a.ReadOut)
	s.page.Pad, s.page.Screen, s.page.Printer, s.page.State = a.pad, a.screen, s.printer, a.State
	s.page.Info = func() sim.Info {
		cfg := a.Config()
		w, h, _ := cfg.Display.Dimensions() // validated by config
		return sim.Info{Width: w, Height: h, StarOrder: cfg.Display.StarOrder, DeviceID: cfg.DeviceID, Hall: cfg.Hall,
			Window: cfg.Window, StaffID: cfg.Staff.ID, StaffName: cfg.Staff.Name}
	}
	stop := s.page.Register(a.mux)
	return func() { stop(); unsub() }, nil
}
