package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"evalpad/store"
)

// TestFilesArePrivate: the store file and its seq mark are 0600 — new, and
// after an open of a file an older version or a copy left 0644.
func TestFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evalpad.db")
	s, err := store.Open(path, store.Options{})
	must(t, err)
	must(t, s.Append(rec(1, "S-1"), nil))
	modes := func() {
		t.Helper()
		for _, name := range []string{"evalpad.db", "evalpad.db.seq"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v, want 0600", name, fi.Mode(), err)
			}
		}
	}
	modes()
	closeChecked(t, s)
	for _, name := range []string{"evalpad.db", "evalpad.db.seq", "evalpad.db.seq.tmp"} {
		p := filepath.Join(dir, name)
		if name == "evalpad.db.seq.tmp" {
			must(t, os.WriteFile(p, nil, 0o644)) // left by a crash
		}
		must(t, os.Chmod(p, 0o644))
	}
	s, err = store.Open(path, store.Options{})
	must(t, err)
	t.Cleanup(func() { closeChecked(t, s) })
	for i := 2; i < 2+1100; i++ { // past a seq lease block: the mark is written again
		must(t, s.Append(rec(i, "S-x"), nil))
	}
	modes()
}
