package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"evalpad/rating"

	bolt "go.etcd.io/bbolt"
)

func hashFile(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func formatRecord(i int) *rating.Record {
	r := rating.NewRecord(fmt.Sprintf("0190a1b2-c3d4-7e5f-8a6b-%012d", i), rating.Origin{DeviceID: "TA-1"},
		&rating.Session{ID: fmt.Sprintf("S-%d", i), Mode: rating.ModeSingle}, rating.Staff{}, []rating.Case{{ProjectNo: "P1"}},
		rating.Verdict{Stars: 5}, "", "2026-11-25T10:00:00.000+08:00")
	return &r
}

// A store with two unacked ratings written by a format 1 binary from before
// the format was recorded (no "format" key).
func preFormatStore(t *testing.T, path string) {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if err := s.Append(formatRecord(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if s.Format() != Format {
		t.Errorf("Format() = %d, want %d", s.Format(), Format)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bState).Delete(kFormat) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFileFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evalpad.db")
	if n, err := FileFormat(path); err != nil || n != 0 {
		t.Fatalf("FileFormat(missing) = %d, %v; want 0 (no store: no constraint)", n, err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Held by the "agent": read from the file beside it.
	if n, err := FileFormat(path); err != nil || n != Format {
		t.Errorf("FileFormat(open store) = %d, %v; want %d", n, err, Format)
	}
	// Held by a binary from before formats, which writes no such file.
	if err := os.Remove(formatPath(path)); err != nil {
		t.Fatal(err)
	}
	if n, err := FileFormat(path); err != nil || n != 1 {
		t.Errorf("FileFormat(store held by a pre-format binary) = %d, %v; want 1", n, err)
	}
	if err := os.WriteFile(formatPath(path), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FileFormat(path); err == nil {
		t.Error("FileFormat with an unreadable format file beside a held store: no error")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Free: read from the store itself, even when the file beside it lies.
	if err := os.WriteFile(formatPath(path), []byte("evalpad-store-format 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := hashFile(t, path)
	if n, err := FileFormat(path); err != nil || n != Format {
		t.Errorf("FileFormat(closed store) = %d, %v; want %d", n, err, Format)
	}
	if hashFile(t, path) != before {
		t.Error("FileFormat changed the store file")
	}
}

func TestMigrateOldToNew(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	preFormatStore(t, old)
	oldHash := hashFile(t, old)
	if n, err := FileFormat(old); err != nil || n != 1 {
		t.Fatalf("FileFormat(pre-format file) = %d, %v; want 1", n, err)
	}

	// A binary of format 2 whose migration 1 → 2 adds a key; on a copy.
	path := filepath.Join(dir, "evalpad.db")
	copyFile(t, old, path)
	ran := 0
	to2 := func(tx *bolt.Tx) error {
		ran++
		return tx.Bucket(bState).Put([]byte("migrated"), []byte("1→2"))
	}
	s, err := Open(path, Options{format: 2, migrations: []func(*bolt.Tx) error{to2}})
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 || s.Format() != 2 {
		t.Errorf("migration ran %d times, Format() = %d; want once, 2", ran, s.Format())
	}
	if v, err := s.State("migrated"); err != nil || string(v) != "1→2" {
		t.Errorf("state migrated = %q, %v", v, err)
	}
	if st, err := s.Stats(); err != nil || st.Pending != 2 {
		t.Errorf("after migration: %+v, %v; want the 2 unacked ratings", st, err)
	}
	if n, err := FileFormat(path); err != nil || n != 2 {
		t.Errorf("FileFormat while open = %d, %v; want 2", n, err)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	s.Close()
	if n, err := FileFormat(path); err != nil || n != 2 {
		t.Errorf("FileFormat = %d, %v; want 2", n, err)
	}
	// Opened again by the format 2 binary: nothing more to migrate.
	s, err = Open(path, Options{format: 2, migrations: []func(*bolt.Tx) error{to2}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if ran != 1 {
		t.Errorf("migration ran again on a format 2 file")
	}
	if hashFile(t, old) != oldHash {
		t.Error("the original changed")
	}

	// A migration that fails leaves the file as it was.
	failing := filepath.Join(dir, "failing.db")
	copyFile(t, old, failing)
	h := hashFile(t, failing)
	boom := errors.New("boom")
	_, err = Open(failing, Options{format: 2, migrations: []func(*bolt.Tx) error{
		func(tx *bolt.Tx) error { tx.Bucket(bState).Put([]byte("half"), []byte("x")); return boom }}})
	if !errors.Is(err, boom) {
		t.Fatalf("Open with a failing migration: %v", err)
	}
	if hashFile(t, failing) != h {
		t.Error("a failed migration changed the file")
	}
}

func TestNewerFormatRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evalpad.db")
	preFormatStore(t, path)
	// A binary of the next format, whose migrations all do nothing.
	var noop []func(*bolt.Tx) error
	for range Format {
		noop = append(noop, func(*bolt.Tx) error { return nil })
	}
	s, err := Open(path, Options{format: Format + 1, migrations: noop})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, seqBefore := hashFile(t, path), hashFile(t, markPath(path))
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("Open(newer file) = %v; want ErrNewerFormat", err)
	}
	if hashFile(t, path) != before || hashFile(t, markPath(path)) != seqBefore {
		t.Error("a refused open changed the store or its seq mark")
	}
	if n, err := FileFormat(path); err != nil || n != Format+1 {
		t.Errorf("FileFormat = %d, %v; want %d", n, err, Format+1)
	}
	// The file is not held: a newer binary opens it again.
	s, err = Open(path, Options{format: Format + 1, migrations: noop})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
