package sim

import (
	"log/slog"
	"path/filepath"
	"sync"

	"evalpad/agent"
	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/device/escpos"
	"evalpad/device/printer"
)

// Parts are the parts of a simulated pad for cfg: a printer that draws each
// receipt (kept in DATA/receipts as NNNN.bin and NNNN.png), the CJK font if
// the machine has one, and the simulator: its buttons, screen and printer
// over HTTP and its page, attached to the agent once it is built.
func Parts(cfg config.Config, log *slog.Logger) agent.Parts {
	s := &simulator{page: &Page{}}
	font, err := agent.LoadFont(cfg)
	if err != nil {
		font = nil // the agent says what is missing, and runs without a screen picture
	}
	sp := &escpos.SimPrinter{Dir: filepath.Join(cfg.DataDir, "receipts"), Paper: cfg.Printer.Paper, Log: log}
	if font != nil {
		// The printer draws with faces of its own: faces are not shared
		// between goroutines (the parsed font file is).
		sp.Font = font.Fork()
	}
	s.printer = &simPrinter{sim: sp, printed: s.page.Printed}
	return agent.Parts{
		Hardware:   &hardware.Set{Printer: s.printer, PrinterName: "simulated printer"},
		Simulated:  true,
		Font:       font,
		Extensions: []agent.Extension{s},
		Logger:     log,
	}
}

// simulator is the extension that serves the simulated hardware and page.
type simulator struct {
	page    *Page
	printer *simPrinter
}

// Attach registers the /sim routes and the page on a.
func (s *simulator) Attach(a *agent.Agent) (func(), error) {
	history := &History{}
	history.Show(a.Pad().View())
	unsub := a.Pad().Subscribe(history.Show)
	mux := a.Mux()
	(&Hardware{Pad: a.Pad(), Store: a.Store(), History: history}).Register(mux)
	s.page.Pad, s.page.Screen, s.page.Printer, s.page.State = a.Pad(), a.Screen(), s.printer.sim, a.State
	s.page.Info = func() Info {
		cfg := a.Config()
		w, h, _ := cfg.Display.Dimensions() // validated by config
		return Info{Width: w, Height: h, StarOrder: cfg.Display.StarOrder, DeviceID: cfg.DeviceID, Hall: cfg.Hall,
			Window: cfg.Window, StaffID: cfg.Staff.ID, StaffName: cfg.Staff.Name}
	}
	stop := s.page.Register(mux)
	return func() { stop(); unsub() }, nil
}

// simPrinter is the simulated printer as the agent drives it: every job is
// drawn, and the page is told of it.
type simPrinter struct {
	sim     *escpos.SimPrinter
	printed func(job int)

	mu     sync.Mutex
	jobs   int
	failed int
	last   string
}

var _ hardware.Printer = (*simPrinter)(nil)

func (p *simPrinter) Print(job []byte) (int, error) {
	n, err := p.sim.Print(job)
	p.mu.Lock()
	if err != nil {
		p.failed++
		p.last = err.Error()
	} else {
		p.jobs++
	}
	p.mu.Unlock()
	if err == nil {
		p.printed(n)
	}
	return n, err
}

// Status is always online: the simulated paper never runs out.
func (p *simPrinter) Status() printer.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return printer.Status{Online: true, Jobs: p.jobs, Failed: p.failed, LastError: p.last}
}
