// Package hardwaretest has fakes of the drivers the agent consumes
// (package hardware's interfaces), for in-process tests of the agent:
// buttons and a touch panel the test presses, a panel that keeps the
// frames it was shown, and a printer that keeps its jobs.
package hardwaretest

import (
	"context"
	"image"
	"sync"

	"evalpad/agent/hardware"
	"evalpad/device/printer"
)

// Buttons is a StarSource the test presses: Press delivers to the running
// Run, and returns once the press was handled.
type Buttons struct {
	presses chan press
	once    sync.Once
	// Fail, if set, makes Run fail at once with it.
	Fail error
}

type press struct {
	star int
	done chan struct{}
}

var _ hardware.StarSource = (*Buttons)(nil)

func (b *Buttons) init() { b.once.Do(func() { b.presses = make(chan press) }) }

// Run delivers presses until ctx ends.
func (b *Buttons) Run(ctx context.Context, fn func(star int)) error {
	b.init()
	if b.Fail != nil {
		return b.Fail
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-b.presses:
			fn(p.star)
			close(p.done)
		}
	}
}

// Press presses a star button and returns once the press was handled (the
// callback Run was given returned), or ctx ended.
func (b *Buttons) Press(ctx context.Context, star int) error {
	b.init()
	p := press{star: star, done: make(chan struct{})}
	select {
	case b.presses <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Touch is a TouchSource the test touches.
type Touch struct {
	touches chan image.Point
	once    sync.Once
}

var _ hardware.TouchSource = (*Touch)(nil)

func (t *Touch) init() { t.once.Do(func() { t.touches = make(chan image.Point) }) }

// Run delivers touches until ctx ends.
func (t *Touch) Run(ctx context.Context, touch func(x, y int)) error {
	t.init()
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-t.touches:
			touch(p.X, p.Y)
		}
	}
}

// Tap touches (x, y) once Run takes it, or fails when ctx ends first.
func (t *Touch) Tap(ctx context.Context, x, y int) error {
	t.init()
	select {
	case t.touches <- image.Pt(x, y):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Panel keeps the frames it is shown and tells a waiting test of each.
type Panel struct {
	mu     sync.Mutex
	frames []*image.RGBA
	shown  chan struct{}
	// Fail, if set, is what Show returns.
	Fail   error
	closed bool
}

var _ hardware.Panel = (*Panel)(nil)

// Show keeps a copy of img, or fails with Fail.
func (p *Panel) Show(img *image.RGBA) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown != nil {
		close(p.shown)
		p.shown = nil
	}
	if p.Fail != nil {
		return p.Fail
	}
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	p.frames = append(p.frames, &c)
	return nil
}

// Close marks the panel closed.
func (p *Panel) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}

// Closed reports whether Close was called.
func (p *Panel) Closed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Frames returns the frames shown so far.
func (p *Panel) Frames() []*image.RGBA {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*image.RGBA(nil), p.frames...)
}

// Next returns a channel closed at the next call of Show, failed or not.
func (p *Panel) Next() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown == nil {
		p.shown = make(chan struct{})
	}
	return p.shown
}

// Printer keeps the jobs it is given and reports the status the test sets.
type Printer struct {
	mu     sync.Mutex
	jobs   [][]byte
	status printer.Status
}

var _ hardware.Printer = (*Printer)(nil)

// NewPrinter is a printer online with paper.
func NewPrinter() *Printer { return &Printer{status: printer.Status{Online: true}} }

// Print keeps job; it counts as printed.
func (p *Printer) Print(job []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jobs = append(p.jobs, append([]byte(nil), job...))
	p.status.Jobs++
	return len(p.jobs), nil
}

// Status is the status last set (Jobs counts the jobs printed).
func (p *Printer) Status() printer.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// SetStatus sets what Status reports (Jobs is kept).
func (p *Printer) SetStatus(st printer.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st.Jobs = p.status.Jobs
	p.status = st
}

// Jobs returns the jobs printed so far.
func (p *Printer) Jobs() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.jobs...)
}
