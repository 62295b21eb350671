package printer

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the master of a new pseudo-terminal and its slave's path.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("ptsname: %v", err)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

// Open on a serial port (a pty standing in for /dev/ttyS1): the job
// arrives and the cover-open status is read back through the port.
func TestOpenSerial(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	f := &fakePrinter{replies: rCoverOpen}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { f.serve(master) })

	p, err := OpenWith("serial:"+slave+"?baud=19200", Options{PollInterval: 20 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	job := []byte("\x1b@serial job\n\x1dV\x00")
	if _, err := p.Print(job); err != nil {
		t.Fatal(err)
	}
	want := Status{Offline: true, CoverOpen: true, Jobs: 1}
	waitFor(t, func() bool { return p.Status() == want && bytes.Equal(f.received(), job) },
		func() string { return fmt.Sprintf("Status() = %+v, received %q", p.Status(), f.received()) })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	master.Close() // ends serve
}
