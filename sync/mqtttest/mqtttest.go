// Package mqtttest starts a real Mosquitto for tests: its own config file in
// a temp dir, on a free port of 127.0.0.1, never the system broker. Tests
// that need a broker skip when mosquitto is not installed, unless env CI is
// set, where they fail.
package mqtttest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Binary is where the tests look for mosquitto first.
const Binary = "/usr/sbin/mosquitto"

// Mosquitto is a broker process a test owns.
type Mosquitto struct {
	t    testing.TB
	bin  string
	conf string
	Port int

	mu   sync.Mutex
	proc *os.Process
	done chan struct{} // closed when proc has exited and been reaped
}

// Start runs mosquitto on a free port; the test's cleanup kills it. extra
// lines are appended to the config (e.g. "max_queued_messages 100000").
func Start(t testing.TB, extra ...string) *Mosquitto {
	t.Helper()
	bin := Binary
	if _, err := os.Stat(bin); err != nil {
		p, lerr := exec.LookPath("mosquitto")
		if lerr != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("mqtttest: mosquitto not found (%s, PATH) and CI is set", Binary)
			}
			t.Skipf("mqtttest: mosquitto not installed (%s): skipping a test that needs a real broker", Binary)
		}
		bin = p
	}
	dir := t.TempDir()
	port := FreePort(t)
	conf := filepath.Join(dir, "mosquitto.conf")
	text := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nmax_inflight_messages 0\nlog_dest stderr\nlog_type error\nlog_type warning\n", port)
	if os.Geteuid() == 0 {
		text += "user root\n" // else mosquitto drops to user mosquitto and cannot read the test's files
	}
	for _, l := range extra {
		text += l + "\n"
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Mosquitto{t: t, bin: bin, conf: conf, Port: port}
	m.Restart()
	t.Cleanup(m.Kill)
	return m
}

// URL is tcp://127.0.0.1:PORT.
func (m *Mosquitto) URL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", m.Port) }

// Addr is 127.0.0.1:PORT.
func (m *Mosquitto) Addr() string { return fmt.Sprintf("127.0.0.1:%d", m.Port) }

// Kill sends SIGKILL and reaps the process; a no-op when it is not running.
func (m *Mosquitto) Kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return
	}
	m.proc.Kill()
	<-m.done
	m.proc = nil
}

// Running reports whether the broker process is up.
func (m *Mosquitto) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc != nil
}

// Restart starts the broker again on the same port (after Kill) and waits
// until it accepts connections.
func (m *Mosquitto) Restart() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != nil {
		return
	}
	var lastErr error
	for attempt := 0; attempt < 50; attempt++ {
		out := &SyncBuffer{}
		cmd := exec.Command(m.bin, "-c", m.conf)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			m.t.Fatalf("mqtttest: start mosquitto: %v", err)
		}
		done := make(chan struct{})
		var werr error
		go func() { werr = cmd.Wait(); close(done) }()
		if err := waitListen(m.Addr(), done); err == nil {
			m.proc, m.done = cmd.Process, done
			return
		} else {
			lastErr = fmt.Errorf("%v: %s", err, out.String())
		}
		cmd.Process.Kill()
		<-done
		_ = werr
		time.Sleep(100 * time.Millisecond) // the port may still be held: try again
	}
	m.t.Fatalf("mqtttest: %v", lastErr)
}

// waitListen waits until addr accepts a connection, the process exits, or 5s pass.
func waitListen(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("mosquitto exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("mosquitto did not listen on %s within 5s", addr)
}

// SyncBuffer collects a server process's output: written by the process's
// pipe, read by a test reporting a failure.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
