package sim

import (
	"log/slog"
	"sync"

	"evalpad/agent/hardware"
	"evalpad/device/escpos"
	"evalpad/device/printer"
	"evalpad/display"
)

// Printer is the simulated receipt printer as the agent drives it: every
// job is drawn as paper (escpos.SimPrinter), and printed is told its
// number. It never runs out of paper.
type Printer struct {
	sim     *escpos.SimPrinter
	printed func(job int)

	mu     sync.Mutex
	jobs   int
	failed int
	last   string
}

var _ hardware.Printer = (*Printer)(nil)

// NewPrinter keeps every job in dir (NNNN.bin, NNNN.png) and draws it on
// paper of the given width (58 or 80 mm) with font (nil: loaded at the
// first job). printed, if set, is told each job that printed.
func NewPrinter(dir string, paper int, font *display.Font, log *slog.Logger, printed func(job int)) *Printer {
	sp := &escpos.SimPrinter{Dir: dir, Paper: paper, Log: log}
	if font != nil {
		// The printer draws with faces of its own: faces are not shared
		// between goroutines (the parsed font file is).
		sp.Font = font.Fork()
	}
	return &Printer{sim: sp, printed: printed}
}

// Print draws one job.
func (p *Printer) Print(job []byte) (int, error) {
	n, err := p.sim.Print(job)
	p.mu.Lock()
	if err != nil {
		p.failed++
		p.last = err.Error()
	} else {
		p.jobs++
	}
	p.mu.Unlock()
	if err == nil && p.printed != nil {
		p.printed(n)
	}
	return n, err
}

// Status is always online, with the jobs counted.
func (p *Printer) Status() printer.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return printer.Status{Online: true, Jobs: p.jobs, Failed: p.failed, LastError: p.last}
}

// Latest is the last job printed, as paper and as bytes.
func (p *Printer) Latest() (png, bin []byte, ok bool) { return p.sim.Latest() }
