package serialboard_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	sb "evalpad/device/serialboard"
)

// step is one Read of a playback port: data, or an error, or with neither
// a read that returns 0, nil (a serial read timeout).
type step struct {
	data []byte
	err  error
}

// playback is a port that plays the MCU's bytes from a script, one Read
// per step, then io.EOF, and records what the pad writes. It is not safe
// for concurrent reads, like a real port.
type playback struct {
	steps    []step
	mu       sync.Mutex
	written  bytes.Buffer
	writeErr func(p []byte) error // non-nil: may fail a write
}

func (p *playback) Read(b []byte) (int, error) {
	if len(p.steps) == 0 {
		return 0, io.EOF
	}
	s := p.steps[0]
	n := copy(b, s.data)
	if n < len(s.data) {
		p.steps[0].data = s.data[n:]
		return n, nil
	}
	p.steps = p.steps[1:]
	return n, s.err
}

func (p *playback) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.writeErr != nil {
		if err := p.writeErr(b); err != nil {
			return 0, err
		}
	}
	return p.written.Write(b)
}

func (p *playback) Written() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.written.Bytes())
}

// timeoutPort is a playback port with SetReadTimeout, like a serial port.
type timeoutPort struct {
	playback
	timeouts []time.Duration
}

func (p *timeoutPort) SetReadTimeout(d time.Duration) error {
	p.timeouts = append(p.timeouts, d)
	return nil
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func enc(frames ...sb.Frame) []byte {
	var b []byte
	for _, f := range frames {
		b = sb.Append(b, f)
	}
	return b
}

// run runs the board until its port's script ends (io.EOF).
func run(t *testing.T, b *sb.Board) ([]int, error) {
	t.Helper()
	var presses []int
	err := b.Run(context.Background(), func(star int) { presses = append(presses, star) })
	return presses, err
}

func TestBoardRunScript(t *testing.T) {
	key42 := enc(sb.Key(42, 2))
	port := &playback{steps: []step{
		{data: enc(sb.Hello(40, sb.Info{Proto: 1, FWMajor: 2, FWMinor: 7}))}, // MCU boots
		{data: enc(sb.Ack(0, sb.TypeHello))},                                 // MCU acks the pad's HELLO
		{data: enc(sb.Key(41, 4))},
		{data: key42},
		{data: key42}, // resent: the ACK was lost
		{data: h("00 a5 ff")},
		{data: h("a5 01 10 2b 01 00 00")}, // KEY 1 seq 43, bad CRC
		{data: enc(sb.Key(43, 1))[:3]},
		{data: enc(sb.Key(43, 1))[3:]},
		{data: enc(sb.Pong(1, sb.Info{Proto: 1, FWMajor: 2, FWMinor: 7, Status: sb.StatusLEDFault}))},
		{data: enc(sb.LED(44, 1, 0))}, // a type the pad does not take
		{data: enc(sb.Error(45, sb.CodePressLost, 1))},
		{data: enc(sb.Ack(41, sb.TypeKey))},                                 // stray ACK
		{data: enc(sb.Hello(0, sb.Info{Proto: 1, FWMajor: 2, FWMinor: 7}))}, // MCU reboots
		{data: enc(sb.Key(43, 5), sb.Key(44, 3))},                           // same SEQ as before the reboot: new
	}}
	b := sb.NewBoard(port)
	b.Port = "script"
	presses, err := run(t, b)
	if !errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "script") {
		t.Fatalf("Run = %v, want EOF naming the port", err)
	}
	if want := []int{4, 2, 1, 5, 3}; !equalInts(presses, want) {
		t.Errorf("presses %v, want %v", presses, want)
	}
	want := enc(
		sb.Hello(0, sb.Info{Proto: 1}),
		sb.Ack(40, sb.TypeHello),
		sb.Ack(41, sb.TypeKey),
		sb.Ack(42, sb.TypeKey),
		sb.Ack(42, sb.TypeKey),
		sb.Ack(43, sb.TypeKey),
		sb.Error(1, sb.CodeType, uint8(sb.TypeLED)),
		sb.Ack(0, sb.TypeHello),
		sb.Ack(43, sb.TypeKey),
		sb.Ack(44, sb.TypeKey),
	)
	if got := port.Written(); !bytes.Equal(got, want) {
		t.Errorf("written\n% x\nwant\n% x", got, want)
	}
	st := b.Stats()
	wantSt := sb.Stats{
		ParserStats: sb.ParserStats{Frames: 13, Noise: 10, BadCRC: 1, Oversize: 1},
		Presses:     5, Duplicates: 1, Acks: 8, MCUHellos: 2, HelloAcked: true, Pongs: 1,
		MCUErrors: 1, LastError: sb.CodePressLost, Unexpected: 2,
		MCU: sb.Info{Proto: 1, FWMajor: 2, FWMinor: 7},
	}
	if st != wantSt {
		t.Errorf("stats\n%+v\nwant\n%+v", st, wantSt)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBoardSeqWraps(t *testing.T) {
	port := &playback{steps: []step{
		{data: enc(sb.Key(254, 1), sb.Key(255, 2), sb.Key(0, 3), sb.Key(0, 3), sb.Key(1, 4), sb.Key(255, 5))},
	}}
	b := sb.NewBoard(port)
	presses, _ := run(t, b)
	if want := []int{1, 2, 3, 4, 5}; !equalInts(presses, want) {
		t.Errorf("presses %v, want %v", presses, want)
	}
	if st := b.Stats(); st.Presses != 5 || st.Duplicates != 1 || st.Acks != 6 {
		t.Errorf("stats %+v", st)
	}
}

// TestBoardIdleFlush: a false SOF whose LEN reaches past the KEY behind it
// holds the KEY until the port's read times out; then it is handed on.
func TestBoardIdleFlush(t *testing.T) {
	port := &timeoutPort{playback: playback{steps: []step{
		{data: cat(h("a5 05 10"), enc(sb.Key(7, 2)))},
		{}, // read timeout: the line is idle
		{data: enc(sb.Key(8, 3))},
	}}}
	b := sb.NewBoard(port)
	b.IdleGap = 20 * time.Millisecond
	presses, err := run(t, b)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("Run = %v", err)
	}
	if want := []int{2, 3}; !equalInts(presses, want) {
		t.Errorf("presses %v, want %v", presses, want)
	}
	want := []time.Duration{-1, 20 * time.Millisecond, -1}
	if len(port.timeouts) != len(want) || port.timeouts[0] != want[0] || port.timeouts[1] != want[1] || port.timeouts[2] != want[2] {
		t.Errorf("read timeouts %v, want %v", port.timeouts, want)
	}
	if st := b.Stats(); st.Truncated != 1 || st.Noise != 3 || st.Presses != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestBoardTransientErrors(t *testing.T) {
	port := &playback{steps: []step{
		{data: enc(sb.Key(1, 1)), err: timeoutErr{}},
		{err: timeoutErr{}},
		{data: enc(sb.Key(2, 2))},
	}}
	b := sb.NewBoard(port)
	presses, err := run(t, b)
	if !errors.Is(err, io.EOF) || !equalInts(presses, []int{1, 2}) || b.Stats().IOErrors != 2 {
		t.Errorf("Run = %v, presses %v, stats %+v", err, presses, b.Stats())
	}

	var steps []step
	for range sb.MaxTransientErrors {
		steps = append(steps, step{err: timeoutErr{}})
	}
	b = sb.NewBoard(&playback{steps: steps})
	if _, err := run(t, b); !errors.Is(err, sb.ErrTooManyErrors) || !errors.As(err, new(timeoutErr)) {
		t.Errorf("Run = %v, want ErrTooManyErrors wrapping the timeout", err)
	}
}

func TestBoardFatalReadError(t *testing.T) {
	boom := errors.New("device unplugged")
	b := sb.NewBoard(&playback{steps: []step{{data: enc(sb.Key(1, 1)), err: boom}, {data: enc(sb.Key(2, 2))}}})
	b.Port = "/dev/ttyS3"
	presses, err := run(t, b)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "/dev/ttyS3") {
		t.Errorf("Run = %v", err)
	}
	if !equalInts(presses, []int{1}) {
		t.Errorf("presses %v", presses)
	}
}

// TestBoardAckFails: a press whose ACK cannot be written is not handed on.
func TestBoardAckFails(t *testing.T) {
	broken := errors.New("write failed")
	port := &playback{steps: []step{{data: enc(sb.Key(1, 1), sb.Key(2, 2))}}}
	port.writeErr = func(p []byte) error {
		if bytes.Equal(p, enc(sb.Ack(2, sb.TypeKey))) {
			return broken
		}
		return nil
	}
	b := sb.NewBoard(port)
	presses, err := run(t, b)
	if !errors.Is(err, broken) || !equalInts(presses, []int{1}) || b.Stats().Presses != 1 {
		t.Errorf("Run = %v, presses %v, stats %+v", err, presses, b.Stats())
	}
	// The HELLO at the start failing ends Run too.
	port = &playback{writeErr: func([]byte) error { return broken }}
	if _, err := run(t, sb.NewBoard(port)); !errors.Is(err, broken) {
		t.Errorf("Run = %v", err)
	}
}

func TestSetLEDs(t *testing.T) {
	port := &playback{}
	b := sb.NewBoard(port)
	for _, tc := range []struct {
		mask uint8
		d    time.Duration
	}{{0x1F, 1500 * time.Millisecond}, {0x01, 0}, {0x10, time.Nanosecond}, {0, sb.MaxLEDDuration}} {
		if err := b.SetLEDs(tc.mask, tc.d); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Ping(); err != nil {
		t.Fatal(err)
	}
	want := cat(h("a5 03 20 00 1f 05 dc 52 12"), enc(sb.LED(1, 1, 0), sb.LED(2, 0x10, 1), sb.LED(3, 0, 65535), sb.Ping(4)))
	if got := port.Written(); !bytes.Equal(got, want) {
		t.Errorf("written % x\nwant % x", got, want)
	}
	for _, tc := range []struct {
		mask uint8
		d    time.Duration
	}{{0x20, 0}, {0xFF, 0}, {1, -time.Millisecond}, {1, sb.MaxLEDDuration + time.Nanosecond}} {
		if err := b.SetLEDs(tc.mask, tc.d); !errors.Is(err, sb.ErrRange) {
			t.Errorf("SetLEDs(%#x, %v) = %v, want ErrRange", tc.mask, tc.d, err)
		}
	}
}

// TestBoardCancel: Run blocked in a read returns when its context ends, and
// a second Run meanwhile is refused.
func TestBoardCancel(t *testing.T) {
	pad, mcu := net.Pipe()
	defer mcu.Close()
	b := sb.NewBoard(pad)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Run(ctx, func(int) {}) }()
	// The pad's HELLO proves Run is running.
	got := make([]byte, 10)
	if _, err := io.ReadFull(mcu, got); err != nil || !bytes.Equal(got, enc(sb.Hello(0, sb.Info{Proto: 1}))) {
		t.Fatalf("HELLO: % x, %v", got, err)
	}
	if err := b.Run(ctx, func(int) {}); !errors.Is(err, sb.ErrRunning) {
		t.Errorf("second Run = %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if err := b.Run(ctx, func(int) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a done context = %v", err)
	}
}

func TestOpenNamesPort(t *testing.T) {
	_, err := sb.Open("/dev/evalpad-no-such-tty", 0)
	if err == nil || !strings.Contains(err.Error(), "/dev/evalpad-no-such-tty") || !strings.HasPrefix(err.Error(), "serialboard: ") {
		t.Errorf("Open = %v", err)
	}
	if _, err := sb.Open("/dev/null", -1); !errors.Is(err, sb.ErrRange) {
		t.Errorf("Open baud -1 = %v", err)
	}
}
