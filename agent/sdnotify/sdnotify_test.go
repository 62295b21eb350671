package sdnotify

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen is systemd's end: a datagram socket at name ("\x00…" abstract).
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recv reads one datagram; the deadline only keeps a broken test from hanging.
func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(b[:n])
}

func TestOutsideSystemdNothing(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "30000000")
	n, err := FromEnv(0)
	if err != nil || n != nil {
		t.Fatalf("FromEnv without NOTIFY_SOCKET = %v, %v; want nil, nil", n, err)
	}
	if err := n.Notify("READY=1"); err != nil {
		t.Errorf("nil Notify: %v", err)
	}
	if n.Watchdog() != 0 {
		t.Errorf("nil Watchdog = %v", n.Watchdog())
	}
}

func TestNotifyPathSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	c := listen(t, path)
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", "")
	n, err := FromEnv(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Watchdog(); got != 30*time.Second {
		t.Errorf("Watchdog = %v, want 30s", got)
	}
	for _, s := range []string{"READY=1", "WATCHDOG=1", "STATUS=rating\nSTOPPING=1"} {
		if err := n.Notify(s); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, c); got != s {
			t.Errorf("got %q, want %q", got, s)
		}
	}
	if err := n.Notify(""); err == nil {
		t.Error("an empty state was sent")
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	b := make([]byte, 8)
	rand.Read(b)
	name := "evalpad-sdnotify-test-" + hex.EncodeToString(b)
	c := listen(t, "\x00"+name)
	t.Setenv("NOTIFY_SOCKET", "@"+name)
	t.Setenv("WATCHDOG_USEC", "")
	n, err := FromEnv(0)
	if err != nil {
		t.Fatal(err)
	}
	if n.Watchdog() != 0 {
		t.Errorf("Watchdog = %v with no WATCHDOG_USEC", n.Watchdog())
	}
	if err := n.Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestWatchdogForAnotherProcess(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	n, err := FromEnv(0)
	if err != nil {
		t.Fatal(err)
	}
	if n.Watchdog() != 0 {
		t.Errorf("Watchdog = %v for another pid's watchdog", n.Watchdog())
	}
	if n, _ := FromEnv(os.Getpid() + 2); n.Watchdog() != 0 {
		t.Errorf("Watchdog = %v for another supervisor's watchdog", n.Watchdog())
	}
	if n, _ := FromEnv(os.Getpid() + 1); n.Watchdog() != 30*time.Second {
		t.Errorf("Watchdog = %v for the supervisor's watchdog", n.Watchdog())
	}
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if n, _ := FromEnv(0); n.Watchdog() != 30*time.Second {
		t.Errorf("Watchdog = %v for this pid's watchdog", n.Watchdog())
	}
}

func TestBadEnvironmentRefused(t *testing.T) {
	for _, tc := range []struct{ sock, usec string }{
		{"notify", ""},                          // relative path
		{"/run/notify", "thirty"},               // not a number
		{"/run/notify", "0"},                    // no interval
		{"/run/notify", "-5"},                   // negative
		{"/run/notify", "99999999999999999999"}, // overflows
	} {
		t.Setenv("NOTIFY_SOCKET", tc.sock)
		t.Setenv("WATCHDOG_USEC", tc.usec)
		if n, err := FromEnv(0); err == nil {
			t.Errorf("NOTIFY_SOCKET=%q WATCHDOG_USEC=%q: accepted (%+v)", tc.sock, tc.usec, n)
		}
	}
}

func TestNotifyNoListener(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	t.Setenv("WATCHDOG_USEC", "")
	n, err := FromEnv(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify("READY=1"); err == nil {
		t.Error("Notify to a socket nobody listens on succeeded")
	}
}
