//go:build unix

package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"evalpad/store"
)

// A damaged file another process holds is not touched: Open says it is in
// use, and nothing is salvaged or moved. Once it is let go, Open repairs it.
func TestOpenDamagedInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evalpad.db")
	must(t, os.WriteFile(path, []byte("not a store"), 0o600))
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	_, err = store.Open(path, store.Options{LockTimeout: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("Open of a locked damaged file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "not a store" {
		t.Errorf("the locked file was changed to %q", b)
	}
	if m, _ := filepath.Glob(path + ".*"); len(m) != 0 {
		t.Errorf("files made beside a locked store: %v", m)
	}
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_UN))
	s := open(t, path, store.Options{})
	if d := s.Damage(); len(d) != 1 || !strings.Contains(d[0].Problem, "meta page 0") || d[0].KeptAs == "" {
		t.Errorf("Damage() once let go = %+v", d)
	}
}
