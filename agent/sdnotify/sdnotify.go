// Package sdnotify tells systemd how the pad is doing: the sd_notify
// protocol (sd_notify(3)) over the datagram socket systemd names in
// $NOTIFY_SOCKET, for a service of Type=notify with WatchdogSec.
//
// It is the standard library only: a unixgram socket, the abstract
// namespace ('@' first) as in systemd's own client. Outside systemd
// (no $NOTIFY_SOCKET) FromEnv returns nil, and every method of a nil
// *Notifier does nothing.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Notifier sends states to the service manager.
type Notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration
}

// FromEnv reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID: nil
// when no socket is set; an error for a socket path or watchdog value
// that is not one. The watchdog applies only when WATCHDOG_PID is unset
// or this process's id, as in sd_watchdog_enabled(3) — or supervisor's,
// when not 0: the unit's main process that runs this one as its child
// and leaves the pings to it (NotifyAccess=all).
func FromEnv(supervisor int) (*Notifier, error) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil, nil
	}
	if sock[0] != '/' && sock[0] != '@' {
		return nil, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q is neither a path nor an abstract socket (@…)", sock)
	}
	n := &Notifier{addr: &net.UnixAddr{Name: sock, Net: "unixgram"}}
	if sock[0] == '@' {
		n.addr.Name = "\x00" + sock[1:] // Go's spelling of the abstract namespace
	}
	if us := os.Getenv("WATCHDOG_USEC"); us != "" {
		v, err := strconv.ParseUint(us, 10, 63)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("sdnotify: WATCHDOG_USEC %q is not a positive number of microseconds", us)
		}
		pid := os.Getenv("WATCHDOG_PID")
		if pid == "" || pid == strconv.Itoa(os.Getpid()) || supervisor != 0 && pid == strconv.Itoa(supervisor) {
			n.watchdog = time.Duration(v) * time.Microsecond
		}
	}
	return n, nil
}

// Watchdog is the interval systemd expects WATCHDOG=1 within (WatchdogSec),
// 0 when it watches nothing. Ping at half of it.
func (n *Notifier) Watchdog() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog
}

// Notify sends state, e.g. "READY=1", "WATCHDOG=1", "STOPPING=1" or
// "STATUS=…" (newline-separated assignments), as one datagram.
func (n *Notifier) Notify(state string) error {
	if n == nil {
		return nil
	}
	if state == "" {
		return errors.New("sdnotify: empty state")
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: %s: %w", state, err)
	}
	return nil
}
