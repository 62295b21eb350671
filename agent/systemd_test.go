package agent

import (
	"net"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"evalpad/agent/sdnotify"
	"evalpad/pad"
	"evalpad/pad/padtest"
)

// gatedClock is a fake clock whose Now can be made to hang, as a store
// write that never returns would: the pad's lock stays held.
type gatedClock struct {
	*padtest.Clock
	mu      sync.Mutex
	gate    chan struct{} // nil: Now returns
	entered chan struct{}
	arms    map[time.Duration]int
}

func (c *gatedClock) Now() time.Time {
	c.mu.Lock()
	gate, entered := c.gate, c.entered
	c.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-gate
	}
	return c.Clock.Now()
}

// AfterFunc counts the timers armed for each duration.
func (c *gatedClock) AfterFunc(d time.Duration, f func()) pad.Timer {
	c.mu.Lock()
	if c.arms == nil {
		c.arms = map[time.Duration]int{}
	}
	c.arms[d]++
	c.mu.Unlock()
	return c.Clock.AfterFunc(d, f)
}

// waitArms waits until n timers of d were armed (the watchdog's period).
func (c *gatedClock) waitArms(t *testing.T, d time.Duration, n int) {
	t.Helper()
	for i := 0; ; i++ {
		c.mu.Lock()
		got := c.arms[d]
		c.mu.Unlock()
		if got == n {
			return
		}
		if got > n || i == 10000 {
			t.Fatalf("%d timers of %v armed, want %d", got, d, n)
		}
		time.Sleep(time.Millisecond) // polls a condition: no assertion on time
	}
}

// hang makes Now block until the returned release is called.
func (c *gatedClock) hang() (entered <-chan struct{}, release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gate, c.entered = make(chan struct{}), make(chan struct{}, 1)
	gate := c.gate
	var once sync.Once
	return c.entered, func() {
		once.Do(func() {
			c.mu.Lock()
			c.gate = nil
			c.mu.Unlock()
			close(gate)
		})
	}
}

// systemdSocket is systemd's notify socket for one test, with the
// environment of a Type=notify unit with WatchdogSec=20.
func systemdSocket(t *testing.T) (*net.UnixConn, *sdnotify.Notifier) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "20000000")
	t.Setenv("WATCHDOG_PID", "")
	n, err := sdnotify.FromEnv(0)
	if err != nil {
		t.Fatal(err)
	}
	return c, n
}

// datagram reads what the agent told systemd next; the deadline only
// keeps a broken test from hanging.
func datagram(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("nothing told to systemd: %v", err)
	}
	return string(b[:n])
}

// nothingYet fails if a datagram is already waiting (a read that does
// not wait: a deadline already passed would not even look).
func nothingYet(t *testing.T, c *net.UnixConn, when string) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 512)
	n, rerr := 0, error(nil)
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), b, syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if rerr == nil {
		t.Fatalf("%s: systemd was told %q", when, b[:n])
	}
	if rerr != syscall.EAGAIN {
		t.Fatalf("%s: %v", when, rerr)
	}
}

// The pad tells systemd it is ready only once its store is open and its
// API answers, pings the watchdog every WatchdogSec/2 of its clock while
// its state machine answers, and says it is stopping on the way out.
func TestSystemdReadyWatchdogStopping(t *testing.T) {
	sock, n := systemdSocket(t)
	clock := padtest.NewClock(t0)
	cfg := testConfig(t)
	addr := make(chan net.Addr, 1)
	a := build(t, cfg, Parts{Font: testFont(t), Clock: clock, Systemd: n, OnListen: func(ad net.Addr) { addr <- ad }})
	nothingYet(t, sock, "after New, before Run") // the store is open, nothing listens yet
	r := runBuilt(t, a, addr)
	if got := datagram(t, sock); got != "READY=1" {
		t.Fatalf("first = %q, want READY=1", got)
	}
	var st struct{ Screen string }
	if code := r.call(t, "GET", "/api/v1/state", nil, &st); code != 200 || st.Screen != "idle" {
		t.Fatalf("after READY=1: state %d %+v", code, st)
	}
	if got := datagram(t, sock); got != "WATCHDOG=1" {
		t.Fatalf("second = %q, want WATCHDOG=1 at once", got)
	}
	// 8 quarter periods: a ping every second one, 4 in all, counted up to
	// STOPPING=1 (a ping too many would come before it).
	for i := 1; i <= 8; i++ {
		clock.Advance(5 * time.Second)
		if i%2 == 0 {
			if got := datagram(t, sock); got != "WATCHDOG=1" {
				t.Fatalf("after %d×5s: %q, want WATCHDOG=1", i, got)
			}
		}
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if got := datagram(t, sock); got != "STOPPING=1" {
		t.Fatalf("after the 4 pings and the stop: %q, want STOPPING=1", got)
	}
	nothingYet(t, sock, "after STOPPING=1")
}

// A pad whose state machine hangs stops pinging the watchdog, so systemd
// restarts it; when it answers again, the pings resume.
func TestSystemdNoWatchdogWhileStuck(t *testing.T) {
	sock, n := systemdSocket(t)
	clock := &gatedClock{Clock: padtest.NewClock(t0)}
	addr := make(chan net.Addr, 1)
	a := build(t, testConfig(t), Parts{Font: testFont(t), Clock: clock, Systemd: n, OnListen: func(ad net.Addr) { addr <- ad }})
	r := runBuilt(t, a, addr)
	for _, want := range []string{"READY=1", "WATCHDOG=1"} {
		if got := datagram(t, sock); got != want {
			t.Fatalf("%q, want %q", got, want)
		}
	}
	entered, release := clock.hang()
	t.Cleanup(release) // before the agent stops, on a failure too
	go a.pad.Press(5)  // holds the pad's lock, hanging in Now
	<-entered
	// Three periods: the loop re-arms its tick at each and asks the pad;
	// the arm of the next period comes after the decision on this one.
	for i := 1; i <= 3; i++ {
		clock.Advance(10 * time.Second)
		clock.waitArms(t, 10*time.Second, 1+i)
	}
	nothingYet(t, sock, "30s of a stuck pad")
	release() // the pad answers: the waiting probe pings
	if got := datagram(t, sock); got != "WATCHDOG=1" {
		t.Fatalf("after the pad answered again: %q, want WATCHDOG=1", got)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if got := datagram(t, sock); got != "STOPPING=1" {
		t.Fatalf("%q, want STOPPING=1", got)
	}
}
