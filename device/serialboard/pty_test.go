package serialboard_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	sb "evalpad/device/serialboard"
)

// socatPair starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and returns
// the two /dev/pts paths it made; socat is killed at cleanup. Without socat
// the test is skipped, unless CI is set: there it fails.
func socatPair(t *testing.T) (string, string) {
	t.Helper()
	path, err := exec.LookPath("socat")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("socat not found: install socat (apt-get install socat) to run the pty round trip")
		}
		t.Fatalf("socat not found and CI is set: %v", err)
	}
	cmd := exec.Command(path, "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start socat: %v", err)
	}
	lines := make(chan string)
	quit := make(chan struct{})
	drained := make(chan struct{})
	go func() { // owner: this test; ends when socat's stderr closes
		defer close(drained)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-quit: // nobody listens any more: drain
			}
		}
	}()
	t.Cleanup(func() {
		close(quit)
		cmd.Process.Kill()
		<-drained // before Wait, which closes the pipe
		cmd.Wait()
	})
	re := regexp.MustCompile(`PTY is (/dev/pts/\d+)`)
	var ptys []string
	timeout := time.After(5 * time.Second) // a guard, not a delay
	for {
		select {
		case l := <-lines:
			t.Logf("socat: %s", l)
			if m := re.FindStringSubmatch(l); m != nil {
				ptys = append(ptys, m[1])
			}
			if len(ptys) == 2 && bytes.Contains([]byte(l), []byte("starting data transfer loop")) {
				return ptys[0], ptys[1]
			}
		case <-timeout:
			t.Fatalf("socat did not report two ptys (got %v)", ptys)
		}
	}
}

// fakeMCU drives the MCU's end of the pty pair: it writes frames, noise and
// broken frames, and reads what the pad answers.
type fakeMCU struct {
	t        *testing.T
	f        *os.File
	p        sb.Parser
	got      []sb.Frame // parsed, not yet expected
	sent     int        // bytes written
	accepted int        // bytes of the frames the pad must accept
}

func (m *fakeMCU) write(b []byte) {
	m.t.Helper()
	if _, err := m.f.Write(b); err != nil {
		m.t.Fatalf("mcu write: %v", err)
	}
	m.sent += len(b)
}

// send writes valid frames, each in one write.
func (m *fakeMCU) send(frames ...sb.Frame) {
	m.t.Helper()
	for _, f := range frames {
		b := sb.Encode(f)
		m.write(b)
		m.accepted += len(b)
	}
}

// sendBytewise writes a valid frame one byte per write.
func (m *fakeMCU) sendBytewise(f sb.Frame) {
	m.t.Helper()
	b := sb.Encode(f)
	for i := range b {
		m.write(b[i : i+1])
	}
	m.accepted += len(b)
}

// expect reads until the pad's next frame and checks it is want.
func (m *fakeMCU) expect(want sb.Frame) {
	m.t.Helper()
	buf := make([]byte, 64)
	for len(m.got) == 0 {
		// A guard against a hang, not a delay.
		if err := m.f.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			m.t.Fatalf("mcu: %v", err)
		}
		n, err := m.f.Read(buf)
		if err != nil {
			m.t.Fatalf("mcu: waiting for %v: %v", want, err)
		}
		m.p.Feed(buf[:n], func(f sb.Frame) { m.got = append(m.got, f) })
	}
	got := m.got[0]
	m.got = m.got[1:]
	if !equalFrames([]sb.Frame{got}, []sb.Frame{want}) {
		m.t.Fatalf("mcu: got %v, want %v", got, want)
	}
}

// TestPTYRoundTrip runs the pad's Board on one end of a socat pty pair,
// opened with Open (go.bug.st/serial), and a fake MCU on the other.
func TestPTYRoundTrip(t *testing.T) {
	padPath, mcuPath := socatPair(t)

	b, err := sb.Open(padPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Port != padPath || b.Baud != sb.DefaultBaud {
		t.Errorf("Port %q Baud %d", b.Port, b.Baud)
	}
	b.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Generous, so that a busy machine (-race) pausing between the
	// byte-by-byte writes does not look like an idle line.
	b.IdleGap = 200 * time.Millisecond

	f, err := os.OpenFile(mcuPath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := &fakeMCU{t: t, f: f}

	var mu sync.Mutex
	var presses []int
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { // owner: this test, which cancels and waits below
		done <- b.Run(ctx, func(star int) {
			mu.Lock()
			presses = append(presses, star)
			mu.Unlock()
		})
	}()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	defer stop()

	// Greetings both ways.
	m.expect(sb.Hello(0, sb.Info{Proto: 1}))
	m.send(sb.Ack(0, sb.TypeHello))
	mcuInfo := sb.Info{Proto: 1, FWMajor: 1, FWMinor: 4}
	m.send(sb.Hello(100, mcuInfo))
	m.expect(sb.Ack(100, sb.TypeHello))

	// 5★ in one write.
	m.send(sb.Key(101, 5))
	m.expect(sb.Ack(101, sb.TypeKey))
	// 3★ one byte per write.
	m.sendBytewise(sb.Key(102, 3))
	m.expect(sb.Ack(102, sb.TypeKey))
	// 1★ between noise, with a false SOF in it.
	m.write(h("00 ff 13 a5 ee"))
	m.send(sb.Key(103, 1))
	m.write(h("5a"))
	m.expect(sb.Ack(103, sb.TypeKey))
	// 2★ behind a false SOF whose LEN reaches past it: delivered when the
	// line goes idle, without the MCU resending.
	m.write(h("a5 05 10"))
	m.send(sb.Key(104, 2))
	m.expect(sb.Ack(104, sb.TypeKey))
	// 4★ with a bad CRC: not acked, not counted; the MCU resends it intact.
	bad := sb.Encode(sb.Key(105, 4))
	bad[len(bad)-1] ^= 0x01
	m.write(bad)
	m.send(sb.Key(105, 4))
	m.expect(sb.Ack(105, sb.TypeKey)) // the next check proves there is only one
	// 5★ whose ACK the MCU "did not get": resent, acked again, counted once.
	m.send(sb.Key(106, 5))
	m.expect(sb.Ack(106, sb.TypeKey))
	m.send(sb.Key(106, 5))
	m.expect(sb.Ack(106, sb.TypeKey))
	// A star out of range with a good CRC is invalid: dropped, no ACK.
	m.write(sb.Encode(sb.Key(107, 9)))
	m.send(sb.Key(108, 1))
	m.expect(sb.Ack(108, sb.TypeKey))

	// The pad lights LEDs and pings.
	if err := b.SetLEDs(0x10, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	m.expect(sb.LED(1, 0x10, 1500))
	if err := b.Ping(); err != nil {
		t.Fatal(err)
	}
	m.expect(sb.Ping(2))
	pong := sb.Info{Proto: 1, FWMajor: 1, FWMinor: 4, Status: sb.StatusLEDFault}
	m.send(sb.Pong(2, pong))
	m.send(sb.Key(109, 3)) // its ACK proves the PONG was handled
	m.expect(sb.Ack(109, sb.TypeKey))

	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{5, 3, 1, 2, 4, 5, 1, 3}; !equalInts(presses, want) {
		t.Errorf("presses %v, want %v", presses, want)
	}
	st := b.Stats()
	want := sb.Stats{
		ParserStats: sb.ParserStats{
			Frames: 12, Noise: uint64(m.sent - m.accepted),
			BadCRC: 1, Oversize: 1, Invalid: 1, Truncated: 1,
		},
		Presses: 8, Duplicates: 1, Acks: 10, MCUHellos: 1, HelloAcked: true, Pongs: 1,
		MCU: pong,
	}
	if st != want {
		t.Errorf("stats\n%+v\nwant\n%+v", st, want)
	}
	// Nothing more came from the pad: no stray ACK of the bad or invalid frames.
	if len(m.got) != 0 || m.p.Buffered() != 0 {
		t.Errorf("mcu has unexpected frames %v", m.got)
	}
	if err := m.f.SetReadDeadline(time.Now()); err != nil { // poll once
		t.Fatal(err)
	}
	if n, err := m.f.Read(make([]byte, 64)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("mcu read after the end: %d bytes, %v", n, err)
	}
	if st := m.p.Stats(); st.Noise != 0 || st.BadCRC != 0 {
		t.Errorf("pad sent bad bytes: %+v", st)
	}
}
