package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"evalpad/store"

	bolt "go.etcd.io/bbolt"
)

// fill appends n records, sessions S-0.., and acks the first acked.
func fill(t *testing.T, s *store.Store, n, acked int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		r := rec(i, fmt.Sprintf("S-%d", i))
		must(t, s.Append(r, nil))
		ids = append(ids, r.ID)
	}
	if _, err := s.Ack(ids[:acked], t0); err != nil {
		t.Fatal(err)
	}
	return ids
}

// filled is the path of a closed store of n records, acked of them acked.
func filled(t *testing.T, n, acked int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	s := reopen(t, path, store.Options{}, 0)
	fill(t, s, n, acked)
	closeChecked(t, s)
	return path
}

// reopen opens the store at path and checks that Open decoded decoded records.
func reopen(t *testing.T, path string, o store.Options, decoded int) *store.Store {
	t.Helper()
	s, err := store.Open(path, o)
	must(t, err)
	if n := store.DecodedAtOpen(s); n != decoded {
		t.Errorf("open decoded %d records, want %d", n, decoded)
	}
	return s
}

// TestOpenDecodesNoRecord: a store the pad wrote opens without decoding a
// record (issue 11: every one was, 4.2 s for 200,000), and knows at once
// all it knew: pending ids, closed sessions, counts, after appends, acks
// and a prune alike.
func TestOpenDecodesNoRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := reopen(t, path, store.Options{}, 0)
	ids := fill(t, s, 300, 100)
	want, err := s.Stats()
	must(t, err)
	closeChecked(t, s)

	s = reopen(t, path, store.Options{}, 0)
	if got, _ := s.Stats(); got != want {
		t.Errorf("stats %+v after reopen, want %+v", got, want)
	}
	if !s.SessionClosed("S-5") || !s.SessionClosed("S-250") || s.SessionClosed("S-300") {
		t.Error("SessionClosed wrong after reopen")
	}
	if err := s.Append(rec(150, "S-again"), nil); err == nil {
		t.Error("a pending id appended twice")
	}
	if n, err := s.Ack(ids[100:110], t0); err != nil || n != 10 {
		t.Errorf("ack after reopen: %d, %v; want 10", n, err)
	}
	if n, err := s.PruneAll(); err != nil || n != 110 {
		t.Errorf("prune: %d, %v; want 110", n, err)
	}
	must(t, s.Append(rec(1000, "S-1000"), nil))
	want, err = s.Stats()
	must(t, err)
	closeChecked(t, s)

	s = reopen(t, path, store.Options{}, 0)
	defer closeChecked(t, s)
	if got, _ := s.Stats(); got != want || got.Pending != 191 || got.Sent != 0 {
		t.Errorf("stats %+v, want %+v (191 pending, none sent)", got, want)
	}
	if !s.SessionClosed("S-1000") {
		t.Error("the session of the last record is not closed")
	}
}

// TestOpenWithoutIndex: a file from before the index (or one whose index
// is gone) is read record by record once, as it always was, and indexed.
func TestOpenWithoutIndex(t *testing.T) {
	path := filled(t, 50, 20)
	db, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("index")) }))
	must(t, db.Close())

	s := reopen(t, path, store.Options{}, 50)
	if st, _ := s.Stats(); st.Pending != 30 || st.Sent != 20 || !s.SessionClosed("S-3") {
		t.Errorf("stats %+v", st)
	}
	closeChecked(t, s)
	s = reopen(t, path, store.Options{}, 0)
	defer closeChecked(t, s)
}

// TestOpenIndexStale: a record changed behind the store's back (an older
// version after a rollback, a tool, bit rot inside a value) no longer
// matches the index: Open reads every record and believes the file.
func TestOpenIndexStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := reopen(t, path, store.Options{}, 0)
	fill(t, s, 50, 0)
	var changed []byte
	must(t, s.Records(func(e store.Entry) error {
		if e.Seq == 10 {
			r := decode(t, e.JSON)
			r.SessionID = "S-CHANGED"
			changed, _ = json.Marshal(r)
		}
		return nil
	}))
	closeChecked(t, s)
	putRaw(t, path, "outbox", 10, changed)

	s = reopen(t, path, store.Options{}, 50)
	defer closeChecked(t, s)
	if !s.SessionClosed("S-CHANGED") {
		t.Error("the changed record's session is not known: the stale index was believed")
	}
}

// TestOpenSignsOnlyUnsigned: records written before the pad had a key
// are signed at the first open with one, decoding those only.
func TestOpenSignsOnlyUnsigned(t *testing.T) {
	path := filled(t, 20, 5)
	sign := store.Options{Sign: func([]byte) (string, error) { return "c2ln", nil }}
	s := reopen(t, path, sign, 15)
	must(t, s.Records(func(e store.Entry) error {
		if r := decode(t, e.JSON); e.AckedAt.IsZero() && r.Sig != "c2ln" {
			t.Errorf("seq %d unsigned", e.Seq)
		}
		return nil
	}))
	closeChecked(t, s)
	s = reopen(t, path, sign, 0)
	defer closeChecked(t, s)
}

// TestUUIDBytes: the fast UUID reader agrees with the one records are
// checked with at append.
func TestUUIDBytes(t *testing.T) {
	for _, s := range []string{"0190a1b2-c3d4-7e5f-8a6b-000000000001", "0190A1B2-C3D4-7E5F-8A6B-00000000000F",
		"0190a1b2-c3d4-7e5f-8a6b-00000000000g", "0190a1b2xc3d4-7e5f-8a6b-000000000001", "0190a1b2-c3d4-7e5f-8a6b-0000000001", ""} {
		want, err := store.ParseID(s)
		got, ok := store.UUIDBytes([]byte(s))
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("%q: %x %v, want %x %v", s, got, ok, want, err)
		}
	}
}
