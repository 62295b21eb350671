package printer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// usblpOneWay is the lowest layer of a one-way USB printer: the character
// device /dev/usb/lp0 of a printer that is not bidirectional. It takes
// writes and a read deadline (usblp supports poll), and answers every read
// as usblp_read does — `if (!usblp->bidir) return -EINVAL` — which os.File
// reports as a *PathError wrapping EINVAL.
type usblpOneWay struct {
	mu     sync.Mutex
	got    bytes.Buffer
	reads  int
	closed bool
}

func (d *usblpOneWay) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, os.ErrClosed
	}
	return d.got.Write(b)
}

func (d *usblpOneWay) Read([]byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads++
	return 0, &os.PathError{Op: "read", Path: "/dev/usb/lp0", Err: syscall.EINVAL}
}

func (d *usblpOneWay) SetReadDeadline(time.Time) error { return nil }

func (d *usblpOneWay) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

func (d *usblpOneWay) state() (got []byte, reads int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return bytes.Clone(d.got.Bytes()), d.reads
}

var _ statusReader = (*usblpOneWay)(nil)

// A one-way USB printer: the first status read fails with EINVAL; from
// then on the printer is written only, never polled, never dropped and
// redialled, and never reported offline, while every job prints.
func TestOneWayUSBPrinter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noStatus bool   // config printer.status = false
		queries  string // what reaches the printer besides the jobs
		reads    int
	}{
		{"detected by EINVAL", false, "\x10\x04\x01", 1},
		{"status = false", true, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dev := &usblpOneWay{}
				dials := 0
				dial := func(context.Context) (Transport, error) { dials++; return dev, nil }
				p := New("file:/dev/usb/lp0", dial, Options{PollInterval: time.Second, NoStatus: tc.noStatus, Logger: testLogger(t)})
				defer p.Close()
				var jobs [][]byte
				for i := range 5 {
					synctest.Wait()
					if st := p.Status(); !st.Online || len(faults(st)) > 0 {
						t.Fatalf("after %d s: Status() = %+v, want online and no fault", i*3, st)
					}
					j := fmt.Appendf(nil, "\x1b@job %d\n\x1dV\x01", i)
					jobs = append(jobs, j)
					if _, err := p.Print(j); err != nil {
						t.Fatal(err)
					}
					time.Sleep(3 * time.Second) // three polls
				}
				synctest.Wait()
				st := p.Status()
				if !st.Online || st.Jobs != 5 || st.Failed != 0 || st.LastError != "" {
					t.Errorf("Status() = %+v, want online, 5 jobs, none failed, no error", st)
				}
				got, reads := dev.state()
				want := append([]byte(tc.queries), bytes.Join(jobs, nil)...)
				if !bytes.Equal(got, want) {
					t.Errorf("the printer got %q, want %q", got, want)
				}
				if reads != tc.reads || dials != 1 {
					t.Errorf("%d reads and %d dials, want %d and 1 (one-way from the first poll, link kept)", reads, dials, tc.reads)
				}
			})
		})
	}
}

// faults says which status flags a pad would report as
// faults: offline, paper out, cover open, error, mark error.
func faults(s Status) []string {
	var out []string
	for name, on := range map[string]bool{"offline": !s.Online || s.Offline, "paper out": s.PaperOut,
		"cover open": s.CoverOpen, "error": s.Error, "mark error": s.MarkError} {
		if on {
			out = append(out, name)
		}
	}
	return out
}
