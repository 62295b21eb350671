package printer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakePrinter answers DLE EOT n with its recorded replies and keeps every
// other byte it is sent: an ESC/POS printer on the other end of a link.
type fakePrinter struct {
	mu      sync.Mutex
	replies replies
	mute    bool          // does not answer DLE EOT (takes it as data)
	stall   bool          // never reads: a printer whose buffer is full
	delay   time.Duration // before each reply
	got     bytes.Buffer
	queries int
	dials   int
	failN   int        // the first failN dials fail
	conns   []net.Conn // our ends, closed by close()
}

func (f *fakePrinter) set(r replies) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = r
}

func (f *fakePrinter) received() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.got.Bytes())
}

// serve plays the printer on rw until it fails (the link closed).
func (f *fakePrinter) serve(rw io.ReadWriter) {
	r := bufio.NewReader(rw)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		f.mu.Lock()
		mute := f.mute
		f.mu.Unlock()
		if b != dle || mute {
			f.mu.Lock()
			f.got.WriteByte(b)
			f.mu.Unlock()
			continue
		}
		cmd, err := r.Peek(2)
		if err != nil || cmd[0] != eot || cmd[1] < 1 || cmd[1] > 4 {
			f.mu.Lock()
			f.got.WriteByte(b)
			f.mu.Unlock()
			continue
		}
		r.Discard(2)
		f.mu.Lock()
		f.queries++
		reply, delay := f.replies[cmd[1]-1], f.delay
		f.mu.Unlock()
		time.Sleep(delay)
		if _, err := rw.Write([]byte{reply}); err != nil {
			return
		}
	}
}

// dialer connects the Printer to f over a fresh net.Pipe each time.
func (f *fakePrinter) dialer() Dialer {
	return func(ctx context.Context) (Transport, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.dials++
		if f.dials <= f.failN {
			return nil, fmt.Errorf("dial fake: connection refused (%d)", f.dials)
		}
		ours, theirs := net.Pipe()
		f.conns = append(f.conns, ours)
		if !f.stall {
			go f.serve(ours)
		}
		return theirs, nil
	}
}

// close ends the printer's side of every link.
func (f *fakePrinter) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// conditions is a Status without the counters and LastError.
func conditions(s Status) Status {
	return Status{Online: s.Online, PaperOut: s.PaperOut, PaperNearEnd: s.PaperNearEnd,
		CoverOpen: s.CoverOpen, Offline: s.Offline, Error: s.Error}
}

func TestStatusPoll(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    replies
		want Status
	}{
		{"fine", rFine, Status{Online: true}},
		{"paper out", rPaperOut, Status{Offline: true, PaperOut: true, PaperNearEnd: true}},
		{"cover open", rCoverOpen, Status{Offline: true, CoverOpen: true}},
		{"offline", rOffline, Status{Offline: true}},
		{"near end", rNearEnd, Status{Online: true, PaperNearEnd: true}},
		{"cutter error", rCutter, Status{Offline: true, Error: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakePrinter{replies: tc.r}
				defer f.close()
				p := New("fake", f.dialer(), Options{PollInterval: 3 * time.Second, Logger: testLogger(t)})
				defer p.Close()

				synctest.Wait() // the first poll, at start
				if got := p.Status(); got != tc.want {
					t.Fatalf("Status() = %+v, want %+v", got, tc.want)
				}
				// The printer is seen to the next poll: not before, then fine.
				f.set(rFine)
				time.Sleep(3*time.Second - time.Millisecond)
				synctest.Wait()
				if got := p.Status(); got != tc.want {
					t.Fatalf("before the next poll Status() = %+v, want %+v", got, tc.want)
				}
				time.Sleep(time.Millisecond)
				synctest.Wait()
				if got, want := p.Status(), (Status{Online: true}); got != want {
					t.Fatalf("after the next poll Status() = %+v, want %+v", got, want)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				if f.queries != 8 || f.dials != 1 || f.got.Len() != 0 {
					t.Errorf("printer got %d queries over %d links and % x besides; want 8 over 1, nothing else",
						f.queries, f.dials, f.got.Bytes())
				}
			})
		})
	}
}

// A printer that does not answer DLE EOT is not Online, and says why; a
// late answer is drained before the next poll is read.
func TestStatusNoReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePrinter{replies: rFine, mute: true}
		defer f.close()
		p := New("fake", f.dialer(), Options{PollInterval: time.Second, ReplyTimeout: 200 * time.Millisecond, Logger: testLogger(t)})
		defer p.Close()
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if got := p.Status(); got.Online || !strings.Contains(got.LastError, "no status reply to DLE EOT 1 within 200ms") {
			t.Fatalf("Status() = %+v, want not Online, no reply to DLE EOT 1", got)
		}
		f.mu.Lock()
		f.mute = false
		f.mu.Unlock()
		time.Sleep(time.Second)
		synctest.Wait()
		if got := p.Status(); !got.Online {
			t.Fatalf("Status() once it answers = %+v, want Online", got)
		}
	})
}

// A reply that comes after ReplyTimeout is discarded before the next
// poll, so that poll's replies are not read one query late.
func TestStatusLateReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePrinter{replies: rCoverOpen, delay: 300 * time.Millisecond}
		defer f.close()
		p := New("fake", f.dialer(), Options{PollInterval: time.Second, ReplyTimeout: 200 * time.Millisecond, Logger: testLogger(t)})
		defer p.Close()
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if got := p.Status(); got.Online || !strings.Contains(got.LastError, "no status reply to DLE EOT 1") {
			t.Fatalf("Status() = %+v, want no reply to DLE EOT 1", got)
		}
		f.mu.Lock()
		f.delay = 0
		f.mu.Unlock()
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := conditions(p.Status()), (Status{Offline: true, CoverOpen: true}); got != want {
			t.Fatalf("Status() = %+v, want %+v", got, want)
		}
	})
}

func TestPrintJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePrinter{replies: rFine}
		defer f.close()
		p := New("fake", f.dialer(), Options{Logger: testLogger(t)})
		defer p.Close()
		job1 := []byte("\x1b@\x1ba\x01\xba\xc3\xb2\xee\xc6\xc0\n\x1dV\x00") // ESC @, center, 好差评, cut
		job2 := []byte("\x1b@second\n")
		for i, j := range [][]byte{job1, job2} {
			n, err := p.Print(j)
			if err != nil || n != i+1 {
				t.Fatalf("Print #%d = %d, %v", i+1, n, err)
			}
		}
		job1[0] = 'X' // Print copied the job
		synctest.Wait()
		if got, want := f.received(), []byte("\x1b@\x1ba\x01\xba\xc3\xb2\xee\xc6\xc0\n\x1dV\x00\x1b@second\n"); !bytes.Equal(got, want) {
			t.Fatalf("printer received % x\nwant               % x", got, want)
		}
		if got, want := p.Status(), (Status{Online: true, Jobs: 2}); got != want {
			t.Fatalf("Status() = %+v, want %+v", got, want)
		}
	})
}

// A printer that never reads: Print queues and returns at once, then
// refuses when the queue is full; the stuck jobs fail on the write
// timeout, once each, and Close does not wait for the printer.
func TestStalledPrinter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePrinter{replies: rFine, stall: true}
		defer f.close()
		const writeTimeout = 10 * time.Second
		p := New("fake", f.dialer(), Options{QueueSize: 2, WriteTimeout: writeTimeout,
			PollInterval: time.Hour, ReplyTimeout: time.Second, Logger: testLogger(t)})
		defer p.Close()
		synctest.Wait() // the worker is stuck writing the first status query

		start := time.Now()
		for i := 1; i <= 2; i++ {
			if n, err := p.Print([]byte("job")); err != nil || n != i {
				t.Fatalf("Print #%d = %d, %v", i, n, err)
			}
		}
		if _, err := p.Print([]byte("job")); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("third Print = %v, want ErrQueueFull", err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("Print waited %v for the printer", d)
		}
		if got := p.Status(); got.Queued != 2 {
			t.Fatalf("Status().Queued = %d, want 2", got.Queued)
		}

		// The query times out (1 s), then each job (10 s), each on a new link.
		time.Sleep(time.Second + 2*writeTimeout)
		synctest.Wait()
		got := p.Status()
		if got.Online || got.Jobs != 0 || got.Failed != 2 || got.Queued != 0 ||
			!strings.Contains(got.LastError, "job 2: printer: write timed out after 10s") {
			t.Fatalf("Status() = %+v, want 2 failed jobs, the last timed out", got)
		}
		f.mu.Lock()
		dials := f.dials
		f.mu.Unlock()
		if dials != 3 {
			t.Errorf("%d links opened, want 3 (the poll and one per job)", dials)
		}
		// Nothing is retried: an hour on, no more links, still 2 failed.
		time.Sleep(59 * time.Minute)
		synctest.Wait()
		f.mu.Lock()
		dials = f.dials
		f.mu.Unlock()
		if got := p.Status(); got.Failed != 2 || dials != 3 {
			t.Errorf("later: %d failed, %d links; want 2 and 3", got.Failed, dials)
		}

		// Close with one job stuck writing and one queued: at once.
		p.Print([]byte("job 3"))
		p.Print([]byte("job 4"))
		synctest.Wait()
		start = time.Now()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Close waited %v", d)
		}
		if got := p.Status(); got.Failed != 4 || got.Queued != 0 {
			t.Errorf("after Close Status() = %+v, want 4 failed, none queued", got)
		}
		if _, err := p.Print([]byte("x")); !errors.Is(err, ErrClosed) {
			t.Errorf("Print after Close = %v, want ErrClosed", err)
		}
	})
}

// A job that cannot reach the printer fails once and is not printed when
// the printer comes back.
func TestJobNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePrinter{replies: rFine, failN: 2} // the first poll and the job
		defer f.close()
		p := New("fake", f.dialer(), Options{PollInterval: time.Second, Logger: testLogger(t)})
		defer p.Close()
		synctest.Wait()
		if n, err := p.Print([]byte("lost")); err != nil || n != 1 {
			t.Fatalf("Print = %d, %v", n, err)
		}
		synctest.Wait()
		if got := p.Status(); got.Online || got.Failed != 1 || !strings.Contains(got.LastError, "job 1: dial fake: connection refused (2)") {
			t.Fatalf("Status() = %+v, want job 1 failed on the dial", got)
		}
		time.Sleep(time.Second) // the next poll connects
		synctest.Wait()
		if got := p.Status(); !got.Online || got.Failed != 1 || got.Jobs != 0 {
			t.Fatalf("Status() = %+v, want Online, 1 failed, 0 printed", got)
		}
		if got := f.received(); len(got) != 0 {
			t.Fatalf("printer received %q; the failed job must not be retried", got)
		}
	})
}

// Open on a real TCP port: the job arrives and the paper-out status is
// polled over the same connection.
func TestOpenTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f := &fakePrinter{replies: rPaperOut}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); f.serve(c) })
		}
	})
	p, err := OpenWith("tcp://"+ln.Addr().String(), Options{PollInterval: 20 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	job := []byte("\x1b@tcp job\n\x1dV\x00")
	if _, err := p.Print(job); err != nil {
		t.Fatal(err)
	}
	want := Status{Offline: true, PaperOut: true, PaperNearEnd: true, Jobs: 1}
	waitFor(t, func() bool { return p.Status() == want && bytes.Equal(f.received(), job) },
		func() string { return fmt.Sprintf("Status() = %+v, received %q", p.Status(), f.received()) })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

// waitFor polls cond with short waits, for up to 5 s.
func waitFor(t *testing.T, cond func() bool, state func() string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", state())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpenFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lp0")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := OpenWith("file:"+path, Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		jobs := [][]byte{[]byte("\x1b@\x1ba\x01first\n"), {0x00, 0x10, 0x04, 0xFF, '\n'}, []byte("\x1dV\x00")}
		for _, j := range jobs {
			if _, err := p.Print(j); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got, want := p.Status(), (Status{Online: true, Jobs: 3}); got != want {
			t.Errorf("Status() = %+v, want %+v", got, want)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := bytes.Join(jobs, nil); !bytes.Equal(got, want) {
			t.Fatalf("file holds % x\nwant       % x", got, want)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		uri  string
		want error
		text string
	}{
		{"file:" + filepath.Join(dir, "lp9"), os.ErrNotExist, filepath.Join(dir, "lp9")},
		{"file:" + dir, ErrURI, dir + " is neither a device nor a regular file"},
		{"serial:" + filepath.Join(dir, "ttyS9") + "?baud=19200", nil, "printer: serial " + filepath.Join(dir, "ttyS9")},
		{"usb:/dev/usb/lp0", ErrURI, `unknown scheme "usb"`},
	} {
		p, err := Open(tc.uri)
		if err == nil {
			p.Close()
			t.Errorf("Open(%q) succeeded", tc.uri)
			continue
		}
		if (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("Open(%q) = %v, want %v with %q", tc.uri, err, tc.want, tc.text)
		}
	}
}

// The pad's printer interface, as cmd/evalpad consumes it.
var _ interface {
	Print(job []byte) (int, error)
	Status() Status
	Close() error
} = (*Printer)(nil)
