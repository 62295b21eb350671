package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
	"evalpad/store"

	bolt "go.etcd.io/bbolt"
)

// open opens a store in dir and checks the file's integrity when the test ends.
func open(t testing.TB, path string, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeChecked(t, s) })
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// closeChecked checks the file's integrity with bbolt, then closes it.
func closeChecked(t testing.TB, s *store.Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Errorf("integrity: %v", err)
	}
	must(t, s.Close())
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func rec(i int, session string) *rating.Record {
	r := rating.NewRecord(fmt.Sprintf("0190a1b2-c3d4-7e5f-8a6b-%012d", i), rating.Origin{DeviceID: "TA-1"},
		&rating.Session{ID: session, Mode: rating.ModeSingle}, rating.Staff{}, []rating.Case{{ProjectNo: "P1"}},
		rating.Verdict{Stars: 5}, "", rating.FormatTime(t0.Add(time.Duration(i)*time.Second), t0.Location()))
	return &r
}

func decode(t testing.TB, b []byte) rating.Record {
	t.Helper()
	var r rating.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("stored record is not JSON: %v", err)
	}
	return r
}

func TestSeqIncreasesAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	var seqs []uint64
	for round := 0; round < 3; round++ {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			r := rec(round*10+i, fmt.Sprintf("S-%d-%d", round, i))
			if err := s.Append(r, nil); err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, r.Seq)
		}
		// Acking and pruning everything must not let seq start over.
		p, _ := s.Pending(0, 100)
		var ids []string
		for _, e := range p {
			ids = append(ids, e.ID)
		}
		if _, err := s.Ack(ids, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PruneAll(); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("seq not strictly increasing: %v", seqs)
		}
	}
	if seqs[0] != 1 || seqs[len(seqs)-1] != 15 {
		t.Errorf("seqs = %v, want 1..15", seqs)
	}
}

func TestStoredRecordCarriesSeq(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.Options{})
	r := rec(1, "S-1")
	if err := s.Append(r, nil); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(0, 10)
	if err != nil || len(p) != 1 {
		t.Fatalf("pending = %v, %v", p, err)
	}
	got := decode(t, p[0].JSON)
	if got.Seq != r.Seq || got.ID != r.ID || p[0].Seq != r.Seq || p[0].ID != r.ID {
		t.Errorf("stored %+v (entry seq %d id %s), appended seq %d id %s", got, p[0].Seq, p[0].ID, r.Seq, r.ID)
	}
}

func TestPendingAckPrune(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.Options{Retention: time.Hour})
	var ids []string
	for i := 0; i < 10; i++ {
		r := rec(i, fmt.Sprintf("S-%d", i))
		if err := s.Append(r, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	p, _ := s.Pending(0, 4)
	if len(p) != 4 || p[0].ID != ids[0] || p[3].ID != ids[3] {
		t.Fatalf("first page wrong: %+v", p)
	}
	p, _ = s.Pending(p[3].Seq, 100)
	if len(p) != 6 || p[0].ID != ids[4] {
		t.Fatalf("second page wrong: %d entries", len(p))
	}
	// Ack out of order, with an unknown id and a repeat: only known pending ones move.
	n, err := s.Ack([]string{ids[3], ids[0], "not-a-uuid", "0190a1b2-c3d4-7e5f-8a6b-999999999999", ids[0]}, t0)
	if err != nil || n != 2 {
		t.Fatalf("ack moved %d, %v; want 2", n, err)
	}
	if n, _ := s.Ack([]string{ids[3]}, t0); n != 0 {
		t.Errorf("repeated ack moved %d", n)
	}
	n, _ = s.Ack(ids[5:], t0.Add(2*time.Hour))
	if n != 5 {
		t.Fatalf("ack moved %d, want 5", n)
	}
	st, _ := s.Stats()
	if st.Pending != 3 || st.Sent != 7 || st.LastSeq != 10 {
		t.Errorf("stats = %+v", st)
	}
	if want := decode(t, mustPending(t, s)[0].JSON).At; st.OldestPending != want {
		t.Errorf("oldest pending = %q, want %q", st.OldestPending, want)
	}
	// Two acked at t0 are past a 1h retention at t0+2h; the five acked at t0+2h are not.
	if n, err := s.Prune(t0.Add(2 * time.Hour)); err != nil || n != 2 {
		t.Fatalf("prune dropped %d, %v; want 2", n, err)
	}
	var got []string
	s.Records(func(e store.Entry) error {
		got = append(got, e.ID)
		return nil
	})
	want := append(slices.Clone(ids[5:]), ids[1], ids[2], ids[4])
	if !slices.Equal(got, want) {
		t.Errorf("records after prune = %v\nwant %v", got, want)
	}
	// Unacked records are never pruned.
	if n, _ := s.PruneAll(); n != 5 {
		t.Errorf("PruneAll dropped %d, want the 5 acked", n)
	}
	if p := mustPending(t, s); len(p) != 3 {
		t.Errorf("pending after PruneAll = %d, want 3", len(p))
	}
}

func mustPending(t *testing.T, s *store.Store) []store.Entry {
	t.Helper()
	p, err := s.Pending(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOutboxFullWritesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"), store.Options{OutboxMax: 3})
	for i := 0; i < 3; i++ {
		if err := s.Append(rec(i, fmt.Sprintf("S-%d", i)), []byte(`{"keep":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	r := rec(9, "S-9")
	err := s.Append(r, nil)
	if !errors.Is(err, store.ErrOutboxFull) {
		t.Fatalf("4th append: %v, want ErrOutboxFull", err)
	}
	if r.Seq != 0 || len(mustPending(t, s)) != 3 || s.SessionClosed("S-9") {
		t.Errorf("a refused append left traces: seq %d", r.Seq)
	}
	if sess, _ := s.Session(); string(sess) != `{"keep":1}` {
		t.Errorf("a refused append changed the session snapshot to %q", sess)
	}
	s.Ack([]string{mustPending(t, s)[0].ID}, t0)
	if err := s.Append(r, nil); err != nil {
		t.Fatalf("append after an ack: %v", err)
	}
	if r.Seq != 4 {
		t.Errorf("seq after refusal = %d, want 4 (a refused append issues no seq)", r.Seq)
	}
}

func TestAppendSetsSessionAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, store.Options{})
	if err := s.SaveSession([]byte(`{"s":"A"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(rec(1, "A"), []byte(`{"s":"B"}`)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(); string(got) != `{"s":"B"}` {
		t.Errorf("session = %q", got)
	}
	if err := s.Append(rec(2, "B"), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(); got != nil {
		t.Errorf("session after closing append = %q, want none", got)
	}
	if !s.SessionClosed("A") || !s.SessionClosed("B") || s.SessionClosed("C") {
		t.Error("SessionClosed wrong")
	}
	if err := s.Append(rec(2, "B"), nil); err == nil {
		t.Error("the same record id appended twice")
	}
	if err := s.Append(&rating.Record{ID: "nope"}, nil); err == nil {
		t.Error("a record with a malformed id was stored")
	}
}

func TestIndexesRebuiltOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := rec(1, "A"), rec(2, "B")
	s.Append(a, nil)
	s.Append(b, []byte(`{"open":true}`))
	s.Ack([]string{a.ID}, t0)
	s.Close()

	s = open(t, path, store.Options{})
	if !s.SessionClosed("A") || !s.SessionClosed("B") {
		t.Error("closed sessions forgotten on reopen")
	}
	if n, _ := s.Ack([]string{b.ID}, t0); n != 1 {
		t.Error("pending index not rebuilt: ack after reopen moved nothing")
	}
	st, _ := s.Stats()
	if st.Pending != 0 || st.Sent != 2 || st.LastSeq != 2 {
		t.Errorf("stats after reopen = %+v", st)
	}
	if got, _ := s.Session(); string(got) != `{"open":true}` {
		t.Errorf("session after reopen = %q", got)
	}
}

func TestSecondOpenIsAClearError(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the lock timeout")
	}
	path := filepath.Join(t.TempDir(), "s.db")
	open(t, path, store.Options{})
	_, err := store.Open(path, store.Options{})
	if err == nil {
		t.Fatal("a second open of a store in use succeeded")
	}
	if want := "in use by another process"; !contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestStateSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetState("central_config", []byte(`{"hall":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState("session", []byte("x")); err == nil {
		t.Error("SetState took the session's key")
	}
	s.Close()
	s = open(t, path, store.Options{})
	if got, _ := s.State("central_config"); string(got) != `{"hall":"x"}` {
		t.Errorf("state after reopen = %q", got)
	}
	s.SetState("central_config", nil)
	if got, _ := s.State("central_config"); got != nil {
		t.Errorf("deleted state = %q", got)
	}
}

// A file from before the photos bucket was dropped opens; the bucket goes.
func TestPhotosBucketDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evalpad.db")
	s, err := store.Open(path, store.Options{})
	must(t, err)
	closeChecked(t, s)
	db, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("photos"))
		if err != nil {
			return err
		}
		return b.Put([]byte("TA0123"), bytes.Repeat([]byte("png"), 3000))
	}))
	must(t, db.Close())
	s, err = store.Open(path, store.Options{})
	must(t, err)
	if d := s.Damage(); len(d) != 0 {
		t.Errorf("damage = %+v", d)
	}
	closeChecked(t, s)
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("photos")) != nil {
			t.Error("photos bucket still there")
		}
		return nil
	})
}
