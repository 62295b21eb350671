package serialboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
)

// Defaults of a Board.
const (
	DefaultBaud    = 115200
	DefaultIdleGap = 50 * time.Millisecond
	// MaxTransientErrors is how many transient I/O errors in a row Run
	// survives before it returns ErrTooManyErrors.
	MaxTransientErrors = 10
)

// Stats counts what a Board saw and did. The embedded ParserStats are the
// wire-level counts of the bytes from the MCU.
type Stats struct {
	ParserStats
	Presses    uint64 // new presses handed on to the press callback
	Duplicates uint64 // resent KEYs: acknowledged again, not handed on
	Acks       uint64 // ACK frames the pad wrote
	MCUHellos  uint64 // HELLOs from the MCU (each one a boot of the MCU)
	HelloAcked bool   // the MCU acknowledged the HELLO of the current or last Run
	Pongs      uint64 // PONGs received
	MCUErrors  uint64 // ERROR frames from the MCU
	LastError  ErrCode
	Unexpected uint64 // valid frames the pad does not take from the MCU
	IOErrors   uint64 // transient read and write errors survived
	MCU        Info   // from the MCU's latest HELLO or PONG; zero before
}

// readTimeouter is the part of go.bug.st/serial.Port that lets Run notice
// an idle line: Read returns 0, nil when the timeout passes with no byte.
// A negative timeout (serial.NoTimeout) blocks until a byte comes.
type readTimeouter interface {
	SetReadTimeout(t time.Duration) error
}

var _ readTimeouter = serial.Port(nil)

// Board is the pad's end of the serial link to the star-button MCU.
// Set the exported fields before Run. SetLEDs, Ping and Stats may be
// called from any goroutine, also while Run runs.
type Board struct {
	Port    string        // device path; set by Open, informational
	Baud    int           // set by Open
	Logger  *slog.Logger  // nil: discard
	IdleGap time.Duration // 0: DefaultIdleGap; see the package doc

	rw io.ReadWriter

	wmu sync.Mutex // serializes writes and seq
	seq uint8      // SEQ of the pad's next new frame

	running atomic.Bool

	mu    sync.Mutex
	stats Stats
}

// Open opens the serial port (e.g. /dev/ttyS3, /dev/ttyUSB0) at baud, 8N1,
// 0 meaning DefaultBaud. The error names the port.
func Open(port string, baud int) (*Board, error) {
	if baud == 0 {
		baud = DefaultBaud
	}
	if baud < 0 {
		return nil, fmt.Errorf("serialboard: open %s: baud %d: %w", port, baud, ErrRange)
	}
	p, err := serial.Open(port, &serial.Mode{
		BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit,
	})
	if err != nil {
		return nil, fmt.Errorf("serialboard: open %s: %w", port, err)
	}
	b := NewBoard(p)
	b.Port, b.Baud = port, baud
	return b, nil
}

// NewBoard returns a Board that talks over rw. If rw is an io.Closer,
// Close and the end of Run's context close it. If it has
// SetReadTimeout(time.Duration) error, as a go.bug.st/serial port does,
// Run uses it to notice the idle line; otherwise a broken frame may wait
// for the MCU's next bytes.
func NewBoard(rw io.ReadWriter) *Board {
	return &Board{rw: rw}
}

// Close closes the port.
func (b *Board) Close() error {
	if c, ok := b.rw.(io.Closer); ok {
		if err := c.Close(); err != nil {
			return fmt.Errorf("serialboard: close %s: %w", b.Port, err)
		}
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (b *Board) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// SetLEDs lights the stars in mask (bit i is star i+1) and turns the others
// off, for d (rounded up to a millisecond; 0 means until the next call).
// A mask above 0x1F or d outside 0..MaxLEDDuration is ErrRange. The MCU
// does not acknowledge LED frames: the next call repairs a lost one.
func (b *Board) SetLEDs(mask uint8, d time.Duration) error {
	if mask >= 1<<Stars || d < 0 || d > MaxLEDDuration {
		return fmt.Errorf("serialboard: LEDs 0x%02X for %v: %w", mask, d, ErrRange)
	}
	ms := uint16((d + time.Millisecond - 1) / time.Millisecond)
	return b.sendNew(func(seq uint8) Frame { return LED(seq, mask, ms) })
}

// Ping asks the MCU for a PONG; Stats().Pongs and MCU show the answer.
func (b *Board) Ping() error {
	return b.sendNew(Ping)
}

// sendNew writes a new frame with the pad's next SEQ.
func (b *Board) sendNew(build func(seq uint8) Frame) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	f := build(b.seq)
	b.seq++
	return b.write(f)
}

// reply writes a frame whose SEQ is the one of the frame it answers.
func (b *Board) reply(f Frame) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return b.write(f)
}

func (b *Board) write(f Frame) error {
	if _, err := b.rw.Write(Encode(f)); err != nil {
		return fmt.Errorf("serialboard: write %v to %s: %w", f.Type, b.Port, err)
	}
	return nil
}

func (b *Board) logger() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

func (b *Board) update(fn func(s *Stats)) {
	b.mu.Lock()
	fn(&b.stats)
	b.mu.Unlock()
}

// Run talks to the MCU until ctx is done or the port fails. It sends the
// pad's HELLO, then reads frames: it acknowledges every KEY and calls
// press(star) once for each new press, in order, never for a resent KEY
// (same SEQ as the KEY before it). A press is handed on only after its ACK
// is written. press runs on Run's goroutine: while it runs no frame is read
// (the MCU resends), so it should hand the press on and return.
//
// Bad frames and noise are dropped and counted (Stats). Transient I/O
// errors (a Timeout() or Temporary() error) are counted and survived, up to
// MaxTransientErrors in a row; any other error ends Run, wrapped with the
// port's name. When ctx is done Run closes the port if it can (that is how
// a blocked read is interrupted) and returns ctx.Err(). Only one Run may
// run at a time (ErrRunning).
func (b *Board) Run(ctx context.Context, press func(star int)) error {
	if !b.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer b.running.Store(false)
	if err := ctx.Err(); err != nil {
		return err
	}
	if c, ok := b.rw.(io.Closer); ok {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
	}
	r := &run{b: b, ctx: ctx, log: b.logger(), press: press, lastKey: -1}
	return r.loop()
}

// run is the state of one Run.
type run struct {
	b        *Board
	ctx      context.Context
	log      *slog.Logger
	press    func(star int)
	p        Parser
	lastKey  int // SEQ of the last KEY handed on; -1: none since (re)start
	helloSeq uint8
	werr     error // first write error while handling a chunk
	failures int   // transient errors in a row
}

func (r *run) loop() error {
	b := r.b
	b.update(func(s *Stats) { s.HelloAcked = false })
	err := b.sendNew(func(seq uint8) Frame {
		r.helloSeq = seq
		return Hello(seq, Info{Proto: Proto})
	})
	if err := r.check(err); err != nil {
		return err
	}
	gap := b.IdleGap
	if gap <= 0 {
		gap = DefaultIdleGap
	}
	rt, _ := b.rw.(readTimeouter)
	timeout := time.Duration(0) // what the port is set to; 0: not set yet
	buf := make([]byte, 512)
	for {
		if rt != nil {
			want := serial.NoTimeout // block while no frame is half read
			if r.p.Buffered() > 0 {
				want = gap
			}
			if want != timeout {
				if err := rt.SetReadTimeout(want); err != nil {
					return r.fatal(fmt.Errorf("serialboard: set read timeout on %s: %w", b.Port, err))
				}
				timeout = want
			}
		}
		n, err := b.rw.Read(buf)
		if n > 0 {
			r.failures = 0
			r.p.Feed(buf[:n], r.handle)
		} else if err == nil && rt != nil && r.p.Buffered() > 0 {
			r.log.Debug("serialboard: line idle inside a frame", "port", b.Port, "buffered", r.p.Buffered())
			r.p.Flush(r.handle)
		}
		ps := r.p.Stats()
		b.update(func(s *Stats) { s.ParserStats = ps })
		werr := r.werr
		r.werr = nil
		if err := r.check(werr); err != nil {
			return err
		}
		if err != nil {
			if err := r.check(fmt.Errorf("serialboard: read %s: %w", b.Port, err)); err != nil {
				return err
			}
		}
	}
}

// check returns nil for nil and for a transient error it survives, else
// the error Run returns.
func (r *run) check(err error) error {
	if err == nil {
		return nil
	}
	if r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	if !transient(err) {
		return r.fatal(err)
	}
	r.failures++
	r.b.update(func(s *Stats) { s.IOErrors++ })
	r.log.Warn("serialboard: transient I/O error", "port", r.b.Port, "err", err)
	if r.failures >= MaxTransientErrors {
		return r.fatal(fmt.Errorf("%w: last: %w", ErrTooManyErrors, err))
	}
	return nil
}

func (r *run) fatal(err error) error {
	if r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	if errors.Is(err, io.EOF) {
		r.log.Info("serialboard: port closed", "port", r.b.Port)
	}
	return err
}

// transient reports whether an I/O error may go away by itself.
func transient(err error) bool {
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return true
	}
	var tmp interface{ Temporary() bool }
	return errors.As(err, &tmp) && tmp.Temporary()
}

// handle acts on one frame from the MCU.
func (r *run) handle(f Frame) {
	if r.werr != nil {
		return // the port failed in this chunk: unacknowledged, the MCU resends
	}
	b := r.b
	r.log.Debug("serialboard: frame", "port", b.Port, "frame", f)
	switch f.Type {
	case TypeKey:
		if r.werr = b.reply(Ack(f.Seq, TypeKey)); r.werr != nil {
			return
		}
		dup := int(f.Seq) == r.lastKey
		b.update(func(s *Stats) {
			s.Acks++
			if dup {
				s.Duplicates++
			} else {
				s.Presses++
			}
		})
		if dup {
			r.log.Debug("serialboard: resent KEY", "port", b.Port, "seq", f.Seq)
			return
		}
		r.lastKey = int(f.Seq)
		r.press(f.Star())
	case TypeHello:
		in := f.Info()
		r.lastKey = -1
		b.update(func(s *Stats) { s.MCUHellos++; s.MCU = in })
		r.log.Info("serialboard: MCU hello", "port", b.Port, "proto", in.Proto,
			"firmware", fmt.Sprintf("%d.%d", in.FWMajor, in.FWMinor), "status", in.Status)
		if in.Proto != Proto {
			r.log.Warn("serialboard: MCU speaks another protocol version", "port", b.Port, "proto", in.Proto)
		}
		if r.werr = b.reply(Ack(f.Seq, TypeHello)); r.werr == nil {
			b.update(func(s *Stats) { s.Acks++ })
		}
	case TypePong:
		in := f.Info()
		b.update(func(s *Stats) { s.Pongs++; s.MCU = in })
	case TypeAck:
		if f.AckOf() == TypeHello && f.Seq == r.helloSeq {
			b.update(func(s *Stats) { s.HelloAcked = true })
			return
		}
		r.unexpected(f)
	case TypeError:
		code, detail := f.ErrorCode()
		b.update(func(s *Stats) { s.MCUErrors++; s.LastError = code })
		r.log.Warn("serialboard: MCU error", "port", b.Port, "code", code, "detail", detail)
	default:
		r.unexpected(f)
	}
}

// unexpected counts a valid frame the MCU should not send; a type the pad
// never takes gets ERROR 2.
func (r *run) unexpected(f Frame) {
	b := r.b
	b.update(func(s *Stats) { s.Unexpected++ })
	r.log.Warn("serialboard: unexpected frame from MCU", "port", b.Port, "frame", f)
	if f.Type == TypeAck {
		return // a stale or stray ACK: nothing to tell
	}
	r.werr = b.sendNew(func(seq uint8) Frame { return Error(seq, CodeType, uint8(f.Type)) })
}
