package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"
)

// Options tune a Printer; the zero value is the defaults.
type Options struct {
	QueueSize    int           // jobs that may wait behind the one printing; 0 means 8
	WriteTimeout time.Duration // to write one job or query; 0 means 20 s
	PollInterval time.Duration // between status polls; 0 means 3 s, < 0 never polls
	ReplyTimeout time.Duration // for one status byte; 0 means 500 ms
	DialTimeout  time.Duration // to connect to a TCP printer; 0 means 3 s
	// NoStatus: the printer is one-way; its status is never asked and
	// Online follows the last write. A link whose read fails with EINVAL
	// (a usblp device of a one-way printer) is taken as one by itself.
	NoStatus bool
	Profile  Profile      // how status bits read; the zero value reads them as Epson documents
	Logger   *slog.Logger // nil discards
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = 8
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 20 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 3 * time.Second
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = 500 * time.Millisecond
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Printer queues ESC/POS jobs for one printer and keeps its status. Its
// methods are safe for concurrent use.
type Printer struct {
	name  string
	dial  Dialer
	opt   Options
	log   *slog.Logger
	queue chan job

	cancel context.CancelFunc
	done   chan struct{} // closed when the worker has returned

	mu       sync.Mutex
	st       Status
	seq      int
	closed   bool
	closeErr error // from closing the link, for Close

	// Owned by the worker goroutine.
	link     Transport
	noStatus bool // the link's status cannot be read
	resync   bool // a reply may still be on its way: drain before polling
}

type job struct {
	no   int
	data []byte
}

// Open opens the printer at uri (see the package doc) with default
// Options.
func Open(uri string) (*Printer, error) { return OpenWith(uri, Options{}) }

// OpenWith opens the printer at uri with options o. A serial port or file
// that cannot be opened is an error naming it; so is a malformed uri.
func OpenWith(uri string, o Options) (*Printer, error) {
	t, err := parseURI(uri)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	dial := t.dialer(o.DialTimeout)
	var first Transport
	if t.scheme != "tcp" {
		if first, err = dial(context.Background()); err != nil {
			return nil, err
		}
	}
	return start(t.String(), dial, first, o), nil
}

// New returns a Printer that opens its link with dial, in its worker, when
// it needs one. name identifies the printer in logs.
func New(name string, dial Dialer, o Options) *Printer {
	return start(name, dial, nil, o.withDefaults())
}

func start(name string, dial Dialer, first Transport, o Options) *Printer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Printer{
		name:   name,
		dial:   dial,
		opt:    o,
		log:    o.Logger.With("printer", name),
		queue:  make(chan job, o.QueueSize),
		cancel: cancel,
		done:   make(chan struct{}),
		link:   first,
	}
	if o.NoStatus || o.PollInterval < 0 {
		p.st.Online = true // online until a write fails
	}
	if first != nil {
		_, canRead := first.(statusReader)
		p.st.Online = p.st.Online || !canRead // a file: online until a write fails
		p.noStatus = !canRead || o.NoStatus
	}
	go p.run(ctx)
	return p
}

// Print queues job (copied) and returns its number, counting from 1. It
// never waits for the printer: with the queue full it returns
// ErrQueueFull at once, and ErrClosed after Close. The job's fate shows in
// Status: Jobs when printed, Failed and LastError when not.
func (p *Printer) Print(data []byte) (jobNo int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, ErrClosed
	}
	j := job{no: p.seq + 1, data: bytes.Clone(data)}
	select {
	case p.queue <- j:
		p.seq++
		return j.no, nil
	default:
		return 0, fmt.Errorf("%w: %d jobs waiting for %s", ErrQueueFull, cap(p.queue), p.name)
	}
}

// Status returns the printer's latest status.
func (p *Printer) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.st
	s.Queued = len(p.queue)
	return s
}

// Close stops the worker: a job being written is cut short, jobs still
// queued are counted as failed, and the link is closed. A second Close
// does nothing.
func (p *Printer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeErr
}

// run is the worker: it owns the link, prints jobs one at a time and
// polls the status between them.
func (p *Printer) run(ctx context.Context) {
	defer close(p.done)
	var tick <-chan time.Time
	if p.opt.PollInterval > 0 {
		t := time.NewTicker(p.opt.PollInterval)
		defer t.Stop()
		tick = t.C
		p.poll(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			p.shutdown()
			return
		case j := <-p.queue:
			p.print(ctx, j)
		case <-tick:
			p.poll(ctx)
		}
	}
}

// shutdown fails the jobs still queued and closes the link.
func (p *Printer) shutdown() {
	// Print queues nothing once closed is set, which Close did before
	// cancelling: what is queued now is all there is.
	for len(p.queue) > 0 {
		p.fail(<-p.queue, ErrClosed)
	}
	if p.link != nil {
		err := p.link.Close()
		p.link = nil
		if err != nil {
			p.mu.Lock()
			p.closeErr = fmt.Errorf("printer: %s: close: %w", p.name, err)
			p.mu.Unlock()
		}
	}
}

// connect makes sure there is a link, dialing if needed.
func (p *Printer) connect(ctx context.Context) error {
	if p.link != nil {
		return nil
	}
	t, err := p.dial(ctx)
	if err != nil {
		return err
	}
	p.link = t
	_, canRead := t.(statusReader)
	p.noStatus = p.noStatus || !canRead || p.opt.NoStatus // a link found one-way stays so
	p.resync = false
	p.log.Info("printer connected")
	return nil
}

// drop closes a link that failed; the next job or poll dials again.
func (p *Printer) drop() {
	if p.link != nil {
		if err := p.link.Close(); err != nil {
			p.log.Debug("close failed link", "err", err)
		}
		p.link = nil
	}
}

func (p *Printer) print(ctx context.Context, j job) {
	if err := p.connect(ctx); err != nil {
		p.fail(j, err)
		return
	}
	if err := p.write(ctx, j.data, p.opt.WriteTimeout); err != nil {
		p.drop()
		p.fail(j, err)
		return
	}
	p.mu.Lock()
	p.st.Jobs++
	if p.noStatus || p.opt.PollInterval < 0 { // no polls: writes tell
		p.st.Online = true
	}
	p.mu.Unlock()
	p.log.Debug("job printed", "job", j.no, "bytes", len(j.data))
}

func (p *Printer) fail(j job, err error) {
	msg := fmt.Sprintf("job %d: %v", j.no, err)
	p.log.Warn("job failed", "job", j.no, "bytes", len(j.data), "err", err)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Failed++
	p.st.LastError = msg
	if !errors.Is(err, ErrClosed) {
		p.st.Online = false
	}
}

// write writes b within timeout, cut short when ctx ends.
func (p *Printer) write(ctx context.Context, b []byte, timeout time.Duration) error {
	t := p.link
	if d, ok := t.(writeDeadliner); ok && d.SetWriteDeadline(time.Now().Add(timeout)) == nil {
		stop := context.AfterFunc(ctx, func() { _ = d.SetWriteDeadline(time.Unix(1, 0)) })
		_, err := t.Write(b)
		stop()
		_ = d.SetWriteDeadline(time.Time{})
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ErrClosed
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("%w after %v", ErrWriteTimeout, timeout)
		}
		return fmt.Errorf("printer: write: %w", err)
	}
	// No deadlines: write from a helper goroutine and close the link if it
	// overruns, which ends the Write.
	done := make(chan error, 1)
	go func() {
		_, err := t.Write(b)
		done <- err
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("printer: write: %w", err)
		}
		return nil
	case <-timer.C:
		p.drop()
		<-done
		return fmt.Errorf("%w after %v", ErrWriteTimeout, timeout)
	case <-ctx.Done():
		p.drop()
		<-done
		return ErrClosed
	}
}

// poll asks the printer for its status (DLE EOT 1…4) and records it.
func (p *Printer) poll(ctx context.Context) {
	if err := p.connect(ctx); err != nil {
		p.setStatusErr(err)
		return
	}
	if p.noStatus {
		return
	}
	r, err := p.query(ctx)
	if err != nil {
		if errors.Is(err, ErrClosed) || errors.Is(err, errNoStatus) {
			return
		}
		p.setStatusErr(err)
		return
	}
	p.mu.Lock()
	was := p.st
	err = r.decode(&p.st, p.opt.Profile)
	now := p.st
	p.mu.Unlock()
	if err != nil {
		p.setStatusErr(err)
		return
	}
	if was.Online != now.Online || was.PaperOut != now.PaperOut || was.CoverOpen != now.CoverOpen ||
		was.PaperNearEnd != now.PaperNearEnd || was.Error != now.Error || was.MarkError != now.MarkError {
		p.log.Info("printer status", "online", now.Online, "paper_out", now.PaperOut,
			"paper_near_end", now.PaperNearEnd, "cover_open", now.CoverOpen, "error", now.Error, "mark_error", now.MarkError,
			"replies", fmt.Sprintf("% x", r[:]))
	}
}

// errNoStatus: the link turned out not to support timed reads.
var errNoStatus = errors.New("printer: status cannot be read")

// query sends DLE EOT n and reads the reply for n = 1…4.
func (p *Printer) query(ctx context.Context) (replies, error) {
	var r replies
	sr := p.link.(statusReader)
	if p.resync {
		p.drain(sr)
	}
	for i := range r {
		if err := p.write(ctx, []byte{dle, eot, byte(i + 1)}, p.opt.ReplyTimeout); err != nil {
			if !errors.Is(err, ErrClosed) {
				p.drop()
			}
			return r, fmt.Errorf("status: %w", err)
		}
		if err := sr.SetReadDeadline(time.Now().Add(p.opt.ReplyTimeout)); err != nil {
			// The link cannot time reads (a usblp device file without
			// poll support): write-only from now on.
			p.noStatus = true
			p.log.Info("printer status cannot be read; not polling", "err", err)
			return r, errNoStatus
		}
		_, err := io.ReadFull(sr, r[i:i+1])
		switch {
		case err == nil:
			continue
		case errors.Is(err, syscall.EINVAL):
			// usblp_read: a printer that is not bidirectional answers
			// every read with EINVAL. It prints all the same: write-only
			// from now on, Online following the writes.
			p.noStatus = true
			p.log.Info("printer is one-way (read: EINVAL); not polling its status", "err", err)
			p.mu.Lock()
			p.st.Online = true
			p.mu.Unlock()
			return r, errNoStatus
		case errors.Is(err, os.ErrDeadlineExceeded):
			p.resync = true
			return r, fmt.Errorf("%w to DLE EOT %d within %v", ErrNoReply, i+1, p.opt.ReplyTimeout)
		default:
			p.drop()
			return r, fmt.Errorf("status: read: %w", err)
		}
	}
	return r, nil
}

// drain discards bytes left over from a reply that came late.
func (p *Printer) drain(sr statusReader) {
	var buf [64]byte
	for {
		if sr.SetReadDeadline(time.Now().Add(p.opt.ReplyTimeout/10)) != nil {
			return
		}
		n, err := sr.Read(buf[:])
		if n > 0 {
			p.log.Debug("discarded late status bytes", "bytes", fmt.Sprintf("% x", buf[:n]))
		}
		if err != nil {
			break
		}
	}
	p.resync = false
}

// setStatusErr records that the status could not be had.
func (p *Printer) setStatusErr(err error) {
	p.mu.Lock()
	changed := p.st.Online || p.st.LastError != err.Error()
	p.st.Online = false
	p.st.LastError = err.Error()
	p.mu.Unlock()
	if changed {
		p.log.Warn("printer status unavailable", "err", err)
	}
}
