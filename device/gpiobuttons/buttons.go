package gpiobuttons

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Defaults applied by [New] to zero Config fields.
const (
	DefaultDebounce = 30 * time.Millisecond
	DefaultFeedback = 80 * time.Millisecond
)

// idleWait bounds one WaitForEdge call while a pin is idle. It is not a
// polling period: the wait is a blocked read that returns at once on an edge.
// It only bounds how late a pin whose Halt cannot interrupt a wait notices
// that Run is over. (gpioioctl reads 0 as "forever" and -1 as "already
// expired", gpiotest the other way round, so no sentinel is portable.)
const idleWait = time.Second

// Errors returned by this package.
var (
	// ErrConfig reports an invalid Config; the message says which field.
	ErrConfig = errors.New("gpiobuttons: bad config")
	// ErrPin reports a pin that cannot be found or configured; the message
	// names it.
	ErrPin = errors.New("gpiobuttons: pin")
	// ErrRunning is returned by Run when the Buttons are already running.
	ErrRunning = errors.New("gpiobuttons: already running")
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("gpiobuttons: closed")
)

// Config describes the star buttons and feedback outputs.
type Config struct {
	// Pins maps a star (1..5) to its pin name, e.g. {1: "GPIO17"}. Not
	// every star needs a pin.
	Pins map[int]string
	// ActiveHigh selects buttons to 3V3 with the pull-down enabled. The
	// default (false) is buttons to ground with the pull-up enabled.
	ActiveHigh bool
	// Debounce is how long a line must be quiet before its level counts;
	// zero means DefaultDebounce.
	Debounce time.Duration
	// LED and Buzzer optionally name output pins driven high for Feedback
	// after each press. Empty means none.
	LED, Buzzer string
	// Feedback is how long LED and buzzer stay on; zero means
	// DefaultFeedback.
	Feedback time.Duration
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
}

// Buttons reads the star buttons. Create with [Open] or [New]; call Run once
// at a time; Close when done.
type Buttons struct {
	cfg    Config
	stars  []starPin
	led    gpio.PinOut
	buzzer gpio.PinOut
	log    *slog.Logger
	now    func() time.Time
	owned  []interface{ Close() } // lines Open requested, released by Close

	mu      sync.Mutex
	running bool
	closed  bool
	fbTimer *time.Timer // turns feedback off; guarded by mu
}

type starPin struct {
	star int
	pin  gpio.PinIO
}

// New builds Buttons from pins the caller owns: pins maps star (1..5) to an
// input pin; led and buzzer may be nil. The pins are configured for input
// with the pull resistor and both edges; outputs are driven low. Close does
// not release pins given to New. c.Pins, c.LED and c.Buzzer are ignored.
func New(c Config, pins map[int]gpio.PinIO, led, buzzer gpio.PinOut) (*Buttons, error) {
	if len(pins) == 0 {
		return nil, fmt.Errorf("%w: no star pins", ErrConfig)
	}
	if c.Debounce < 0 || c.Feedback < 0 {
		return nil, fmt.Errorf("%w: negative Debounce or Feedback", ErrConfig)
	}
	if c.Debounce == 0 {
		c.Debounce = DefaultDebounce
	}
	if c.Feedback == 0 {
		c.Feedback = DefaultFeedback
	}
	b := &Buttons{cfg: c, led: led, buzzer: buzzer, log: c.Logger, now: time.Now}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	pull := gpio.PullUp
	if c.ActiveHigh {
		pull = gpio.PullDown
	}
	for _, star := range slices.Sorted(maps.Keys(pins)) {
		p := pins[star]
		if star < 1 || star > 5 {
			return nil, fmt.Errorf("%w: star %d out of 1..5", ErrConfig, star)
		}
		if p == nil {
			return nil, fmt.Errorf("%w: star %d has a nil pin", ErrConfig, star)
		}
		if err := p.In(pull, gpio.BothEdges); err != nil {
			return nil, fmt.Errorf("%w %s (star %d): input with %s and edges: %w", ErrPin, p.Name(), star, pull, err)
		}
		b.stars = append(b.stars, starPin{star: star, pin: p})
	}
	for _, o := range []gpio.PinOut{led, buzzer} {
		if o == nil {
			continue
		}
		if err := o.Out(gpio.Low); err != nil {
			return nil, fmt.Errorf("%w %s: output low: %w", ErrPin, o.Name(), err)
		}
	}
	return b, nil
}

// Run waits for button presses and calls press(star) for each, one call at a
// time from Run's goroutine, until ctx ends; it then returns ctx.Err(). Each
// press also turns LED and buzzer on for the feedback time. Only one Run may
// be active at a time.
func (b *Buttons) Run(ctx context.Context, press func(star int)) error {
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return ErrClosed
	case b.running:
		b.mu.Unlock()
		return ErrRunning
	}
	b.running = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
	}()

	presses := make(chan int)
	var wg sync.WaitGroup
	for _, sp := range b.stars {
		wg.Go(func() { b.watch(ctx, sp, presses) })
	}
	allDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(allDone)
	}()
	// Owner of the halting: once ctx ends, interrupt the waits until every
	// watcher has left. Halt is repeated because one landing just before a
	// wait arms its deadline is lost.
	haltDone := make(chan struct{})
	go func() {
		defer close(haltDone)
		select {
		case <-allDone:
			return
		case <-ctx.Done():
		}
		for {
			for _, sp := range b.stars {
				_ = sp.pin.Halt()
			}
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-allDone:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()

	for {
		select {
		case star := <-presses:
			b.feedback()
			press(star)
		case <-allDone:
			<-haltDone
			b.feedbackOff()
			return ctx.Err()
		}
	}
}

// active reports whether level means "pressed".
func (b *Buttons) active(l gpio.Level) bool {
	return l == gpio.Level(b.cfg.ActiveHigh)
}

// watch runs the debouncer of one pin until ctx ends.
func (b *Buttons) watch(ctx context.Context, sp starPin, presses chan<- int) {
	d := debouncer{window: b.cfg.Debounce, pressed: b.active(sp.pin.Read())}
	for ctx.Err() == nil {
		now := b.now()
		if d.pending {
			if rem := d.remaining(now); rem > 0 {
				if sp.pin.WaitForEdge(rem) {
					d.edge(b.now())
				}
				continue
			}
			if d.settle(now, b.active(sp.pin.Read())) {
				select {
				case presses <- sp.star:
				case <-ctx.Done():
				}
			}
			continue
		}
		if sp.pin.WaitForEdge(idleWait) {
			d.edge(b.now())
			continue
		}
		// A wait that fails long before its timeout, with ctx still
		// live, is a broken line (e.g. edges not enabled): back off
		// instead of spinning.
		if ctx.Err() == nil && b.now().Sub(now) < idleWait/2 {
			b.log.Warn("gpiobuttons: WaitForEdge failed early; backing off", "star", sp.star, "pin", sp.pin.Name())
			t := time.NewTimer(idleWait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
}

// feedback turns LED and buzzer on and (re)arms the timer that turns them
// off.
func (b *Buttons) feedback() {
	if b.led == nil && b.buzzer == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setOutputs(gpio.High)
	if b.fbTimer != nil {
		b.fbTimer.Stop()
	}
	b.fbTimer = time.AfterFunc(b.cfg.Feedback, b.feedbackOff)
}

// feedbackOff turns LED and buzzer off and stops the timer.
func (b *Buttons) feedbackOff() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fbTimer != nil {
		b.fbTimer.Stop()
		b.fbTimer = nil
	}
	b.setOutputs(gpio.Low)
}

// setOutputs drives the feedback outputs; mu must be held.
func (b *Buttons) setOutputs(l gpio.Level) {
	for _, o := range []gpio.PinOut{b.led, b.buzzer} {
		if o == nil {
			continue
		}
		if err := o.Out(l); err != nil {
			b.log.Warn("gpiobuttons: feedback output", "pin", o.Name(), "level", l, "err", err)
		}
	}
}

// Close turns the feedback outputs off and releases the lines Open
// requested. Call it after Run has returned; Run fails with ErrClosed after.
func (b *Buttons) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.feedbackOff()
	var errs []error
	for _, sp := range b.stars {
		if err := sp.pin.Halt(); err != nil {
			errs = append(errs, fmt.Errorf("gpiobuttons: halt %s: %w", sp.pin.Name(), err))
		}
	}
	for _, c := range b.owned {
		c.Close()
	}
	return errors.Join(errs...)
}
