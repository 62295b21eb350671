package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"evalpad/rating"

	bolt "go.etcd.io/bbolt"
)

// smallStore is the bytes of a store with n records, every third acked.
func smallStore(t testing.TB, n int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "evalpad.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range n {
		r := rating.NewRecord(fmt.Sprintf("0190a1b2-c3d4-7e5f-8a6b-%012d", i), rating.Origin{DeviceID: "TA-1"},
			&rating.Session{ID: fmt.Sprintf("S-%d", i), Mode: rating.ModeSingle}, rating.Staff{}, nil,
			rating.Verdict{Stars: 5}, "", rating.FormatTime(at, time.UTC))
		if err := s.Append(&r, []byte(`{"open":1}`)); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := s.Ack([]string{r.ID}, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzCheck feeds arbitrary file bytes to the checker and the salvage's
// reader: they never panic and return no error (a bytes.Reader has no I/O
// errors), and a file the checker passes is one bbolt opens and finds sound.
func FuzzCheck(f *testing.F) {
	good := smallStore(f, 40)
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:8<<10])
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		bf, err := readBoltFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		problems, err := bf.check(nil)
		if err != nil {
			t.Fatal(err)
		}
		s := newSalvage(bf)
		if err := s.collect(); err != nil {
			t.Fatal(err)
		}
		s.quarantined()
		s.staleSession()
		if len(problems) > 0 {
			return
		}
		path := filepath.Join(t.TempDir(), "evalpad.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
		if err != nil {
			t.Fatalf("the check passed a file bbolt does not open: %v", err)
		}
		defer db.Close()
		db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				t.Errorf("the check passed a file bbolt finds unsound: %v", err)
			}
			return nil
		})
	})
}
