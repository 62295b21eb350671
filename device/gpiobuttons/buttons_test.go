package gpiobuttons

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// The tests run in synctest bubbles: gpiotest's WaitForEdge timeouts and the
// driver's clock are the bubble's fake clock, so every timing below is exact
// and costs no wall time.

// haltPin is a gpiotest.Pin whose Halt interrupts a pending WaitForEdge, as
// gpioioctl's does: it feeds a no-change edge, which the driver must ignore.
type haltPin struct{ *gpiotest.Pin }

func (p haltPin) Halt() error {
	select {
	case p.EdgesChan <- p.Read():
	default:
	}
	return nil
}

func newPin(name string, num int) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, Num: num, EdgesChan: make(chan gpio.Level, 64)}
}

type rig struct {
	t       *testing.T
	pins    map[int]*gpiotest.Pin
	led     *gpiotest.Pin
	b       *Buttons
	presses chan int
	cancel  context.CancelFunc
	done    chan error
}

// start builds Buttons on gpiotest pins for stars and runs them. Call only
// inside a synctest bubble.
func start(t *testing.T, c Config, stars ...int) *rig {
	t.Helper()
	r := &rig{t: t, pins: map[int]*gpiotest.Pin{}, led: newPin("LED", 99), presses: make(chan int, 64), done: make(chan error, 1)}
	in := map[int]gpio.PinIO{}
	for _, s := range stars {
		p := newPin(fmt.Sprintf("GPIO%d", 10+s), 10+s)
		r.pins[s] = p
		in[s] = haltPin{p}
	}
	b, err := New(c, in, r.led, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.b = b
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() { r.done <- b.Run(ctx, func(s int) { r.presses <- s }) }()
	synctest.Wait()
	return r
}

// feed plays levels on a star's pin with gap between them.
func (r *rig) feed(star int, gap time.Duration, levels ...gpio.Level) {
	for i, l := range levels {
		if i > 0 {
			time.Sleep(gap)
		}
		r.pins[star].EdgesChan <- l
		synctest.Wait()
	}
}

// wait lets d pass on the bubble's clock.
func (r *rig) wait(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// want checks the presses reported since the previous want. (Presses travel
// on a channel: synctest.Wait is no happens-before edge for the race
// detector.)
func (r *rig) want(stars ...int) {
	r.t.Helper()
	synctest.Wait()
	got := []int{}
	for len(r.presses) > 0 {
		got = append(got, <-r.presses)
	}
	if !slices.Equal(got, append([]int{}, stars...)) {
		r.t.Fatalf("presses = %v, want %v", got, stars)
	}
}

func (r *rig) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.done; !errors.Is(err, context.Canceled) {
		r.t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

const (
	down = gpio.Low  // active low: pressed
	up   = gpio.High // released
)

func TestCleanPress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 3)
		r.feed(3, 0, down)
		r.wait(DefaultDebounce - time.Millisecond)
		r.want() // not yet settled
		r.wait(time.Millisecond)
		r.want(3)
		r.wait(10 * time.Second) // held: still one press
		r.feed(3, 0, up)
		r.wait(time.Second)
		r.want() // still the one press, nothing on release
		r.stop()
	})
}

func TestBouncyPress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 1)
		// Contact bounces for 8ms on press and on release.
		r.feed(1, 2*time.Millisecond, down, up, down, up, down)
		r.wait(100 * time.Millisecond)
		r.feed(1, 2*time.Millisecond, up, down, up, down, up)
		r.wait(100 * time.Millisecond)
		r.want(1)
		r.stop()
	})
}

func TestTwoPresses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{Debounce: 20 * time.Millisecond}, 4)
		for range 2 {
			r.feed(4, 0, down)
			r.wait(25 * time.Millisecond)
			r.feed(4, 0, up)
			r.wait(25 * time.Millisecond)
		}
		r.want(4, 4)
		r.stop()
	})
}

func TestGlitchAndReleaseOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 2)
		r.feed(2, 0, up) // release-only edge
		r.wait(time.Second)
		r.feed(2, 5*time.Millisecond, down, up) // 5ms glitch
		r.wait(time.Second)
		r.want()
		r.stop()
	})
}

func TestPinsMapToStars(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 1, 2, 3, 4, 5)
		order := []int{3, 1, 5, 2, 4}
		for _, s := range order {
			r.feed(s, 0, down)
			r.wait(50 * time.Millisecond)
			r.feed(s, 0, up)
			r.wait(50 * time.Millisecond)
		}
		r.want(order...)
		r.stop()
	})
}

func TestActiveHigh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{ActiveHigh: true}, 5)
		if p := r.pins[5].Pull(); p != gpio.PullDown {
			t.Fatalf("pull = %s, want PullDown", p)
		}
		r.feed(5, 0, gpio.Low) // release-only for active high
		r.wait(time.Second)
		r.feed(5, 0, gpio.High)
		r.wait(time.Second)
		r.want(5)
		r.stop()
	})
}

func TestHeldAtStartIsNotAPress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO11", 11)
		b, err := New(Config{}, map[int]gpio.PinIO{1: haltPin{p}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Pull() != gpio.PullUp {
			t.Fatalf("pull = %s, want PullUp", p.Pull())
		}
		p.Out(down) // held before Run starts
		got := make(chan int, 8)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx, func(s int) { got <- s }) }()
		time.Sleep(time.Second)
		p.EdgesChan <- up
		time.Sleep(time.Second)
		p.EdgesChan <- down
		time.Sleep(time.Second)
		synctest.Wait()
		cancel()
		<-done
		if n := len(got); n != 1 || <-got != 1 {
			t.Fatalf("%d presses, want one of star 1 (the press after the release)", n)
		}
	})
}

func TestLEDFeedback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 2)
		if r.led.Read() != gpio.Low {
			t.Fatal("LED on before any press")
		}
		r.feed(2, 0, down)
		r.wait(DefaultDebounce)
		r.want(2)
		if r.led.Read() != gpio.High {
			t.Fatal("LED not lit on press")
		}
		r.wait(DefaultFeedback - time.Millisecond)
		if r.led.Read() != gpio.High {
			t.Fatal("LED off before the feedback time")
		}
		r.wait(time.Millisecond)
		if r.led.Read() != gpio.Low {
			t.Fatal("LED still lit after the feedback time")
		}
		r.stop()
	})
}

func TestCancelIsPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 1, 2, 3, 4, 5)
		r.feed(1, 0, down) // a press in flight, LED on
		r.wait(DefaultDebounce)
		t0 := time.Now()
		r.stop()
		if d := time.Since(t0); d != 0 {
			t.Fatalf("Run took %s of (fake) time to stop, want 0", d)
		}
		if r.led.Read() != gpio.Low {
			t.Fatal("LED left on after Run")
		}
		if err := r.b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.b.Run(t.Context(), func(int) {}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run after Close = %v, want ErrClosed", err)
		}
	})
}

// A pin whose Halt cannot interrupt a wait still lets Run end, within one
// idle wait.
func TestCancelWithoutHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO11", 11)
		b, err := New(Config{}, map[int]gpio.PinIO{1: p}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx, func(int) {}) }()
		synctest.Wait()
		t0 := time.Now()
		cancel()
		<-done
		if d := time.Since(t0); d > idleWait {
			t.Fatalf("Run took %s to stop, want <= %s", d, idleWait)
		}
	})
}

func TestRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := start(t, Config{}, 1)
		if err := r.b.Run(t.Context(), func(int) {}); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Run = %v, want ErrRunning", err)
		}
		r.stop()
	})
}

func TestNewErrors(t *testing.T) {
	ok := func() gpio.PinIO { return newPin("GPIO11", 11) }
	tests := []struct {
		name string
		c    Config
		pins map[int]gpio.PinIO
		want string
	}{
		{"no pins", Config{}, nil, "no star pins"},
		{"star 0", Config{}, map[int]gpio.PinIO{0: ok()}, "star 0 out of 1..5"},
		{"star 6", Config{}, map[int]gpio.PinIO{6: ok()}, "star 6 out of 1..5"},
		{"nil pin", Config{}, map[int]gpio.PinIO{2: nil}, "star 2 has a nil pin"},
		{"negative debounce", Config{Debounce: -1}, map[int]gpio.PinIO{1: ok()}, "negative"},
		{"no edges", Config{}, map[int]gpio.PinIO{1: &gpiotest.Pin{N: "GPIO4"}}, "GPIO4 (star 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c, tt.pins, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
