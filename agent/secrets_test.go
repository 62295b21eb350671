package agent

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a slog handler's output that a test can wait on.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the log holds s.
func (b *logBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for !strings.Contains(b.String(), s) {
		select {
		case <-b.changed:
		case <-timeout:
			t.Fatalf("the log never said %q:\n%s", s, b.String())
		}
	}
}

// TestLogsHideSecrets runs a pad whose config holds every kind of secret —
// a broker URL with a password, a password file, the API token, the
// receipt key — against a broker that refuses it, with rejected requests on
// the API, and searches everything logged for them.
func TestLogsHideSecrets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	secrets := []string{"urlpw-secret-1", "pwfile-secret-2", "tok-secret-3-0123456789", "rkey-secret-4-0123456789"}
	cfg := testConfig(t)
	cfg.Sync.Broker = "tcp://pad:" + secrets[0] + "@" + closed
	cfg.Sync.Username = "pad"
	cfg.Sync.PasswordFile = filepath.Join(t.TempDir(), "broker.pw")
	cfg.API.Token, cfg.Receipt.Key = secrets[2], secrets[3]
	if err := os.WriteFile(cfg.Sync.PasswordFile, []byte(secrets[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{changed: make(chan struct{}, 1)}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := start(t, cfg, Parts{Hardware: newFakes().set(), Font: testFont(t), Version: "test", Logger: log})
	logs.waitFor(t, "link: connect failed")
	if code := r.call(t, "POST", "/api/v1/sessions", map[string]any{"session_id": "S 1"}, nil); code != 401 {
		t.Errorf("a session without the token: %d, want 401", code)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "tcp://pad:xxxxx@"+closed) {
		t.Errorf("the log does not name the broker (redacted):\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log shows %q:\n%s", s, out)
		}
	}

	// A broker URL the config refuses is not repeated with its password.
	cfg.Sync.Broker = "tcp://pad:" + secrets[0] + "@"
	_, err = New(cfg, Parts{Logger: log})
	if err == nil || strings.Contains(err.Error(), secrets[0]) || !strings.Contains(err.Error(), "sync.broker") {
		t.Errorf("New with a broker without host: %v", err)
	}
}
