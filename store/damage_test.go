package store_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"evalpad/store"

	bolt "go.etcd.io/bbolt"
)

// fixture is a store built for damaging: records appended one commit each,
// the first ones acked, a central config, and a last rating that leaves a
// session snapshot.
type fixture struct {
	path    string
	json    map[uint64][]byte // every record by seq, as stored
	acked   map[uint64]bool
	lastSeq uint64 // the last seq issued: the last commit's
	session []byte
}

const (
	fixtureRecords = 160
	fixtureAcked   = 60
)

func buildFixture(t testing.TB, dir string, n, acked int) *fixture {
	t.Helper()
	fx := &fixture{path: filepath.Join(dir, "evalpad.db"), json: map[uint64][]byte{}, acked: map[uint64]bool{},
		session: []byte(`{"session":{"id":"S-open"}}`)}
	s, err := store.Open(fx.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < n-1; i++ {
		r := rec(i, fmt.Sprintf("S-%d", i))
		if err := s.Append(r, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := s.Ack(ids[:acked], t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState("central_config", []byte(`{"hall":"泰安"}`)); err != nil {
		t.Fatal(err)
	}
	// The last rating closes the session the snapshot held and opens the next.
	if err := s.SaveSession([]byte(fmt.Sprintf(`{"session":{"id":"S-%d"}}`, n-1))); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(rec(n-1, fmt.Sprintf("S-%d", n-1)), fx.session); err != nil {
		t.Fatal(err)
	}
	err = s.Records(func(e store.Entry) error {
		fx.json[e.Seq] = bytes.Clone(e.JSON)
		fx.acked[e.Seq] = !e.AckedAt.IsZero()
		fx.lastSeq = max(fx.lastSeq, e.Seq)
		return nil
	})
	if err != nil || len(fx.json) != n {
		t.Fatalf("fixture holds %d records, %v", len(fx.json), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// page reads page id of the bbolt file at path, and the page size.
func page(t testing.TB, path string, id uint64) []byte {
	t.Helper()
	ps := int64(os.Getpagesize())
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < int64(id+1)*ps {
		t.Fatalf("read page %d: %v", id, err)
	}
	return b[int64(id)*ps : int64(id+1)*ps]
}

// outboxPages is the outbox bucket's root page and, when that is a branch
// page, its children: read with bbolt for the root, by hand below it.
func outboxPages(t testing.TB, path string) (root uint64, children []uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket([]byte("outbox")).Root())
		return nil
	})
	p := page(t, path, root)
	if binary.NativeEndian.Uint16(p[8:]) != 0x01 {
		t.Fatalf("outbox root page %d is not a branch page: make the fixture larger", root)
	}
	for i := range int(binary.NativeEndian.Uint16(p[10:])) {
		children = append(children, binary.NativeEndian.Uint64(p[16+i*16+8:]))
	}
	return root, children
}

// leafSeqs is the seqs keyed on a leaf page.
func leafSeqs(p []byte) []uint64 {
	var seqs []uint64
	for i := range int(binary.NativeEndian.Uint16(p[10:])) {
		e := 16 + i*16
		pos, ksize := int(binary.NativeEndian.Uint32(p[e+4:])), int(binary.NativeEndian.Uint32(p[e+8:]))
		if ksize == 8 {
			seqs = append(seqs, binary.BigEndian.Uint64(p[e+pos:]))
		}
	}
	return seqs
}

func garble(t testing.TB, path string, id uint64) {
	t.Helper()
	ps := os.Getpagesize()
	junk := make([]byte, ps)
	rng := rand.New(rand.NewPCG(id, 7))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, int64(id)*int64(ps)); err != nil {
		t.Fatal(err)
	}
}

// damage is one way a store file breaks, done to a fixture.
type damage struct {
	name    string
	problem string // what Damage must name
	// do damages the file; it returns the seqs whose records it destroyed
	// (those need not come back) and whether the file stays in place.
	do func(t *testing.T, fx *fixture) (lost []uint64)
	// moved: the file is kept aside and rebuilt. stateKept: the session
	// snapshot and the config survive (else there is no session snapshot:
	// lost with the file, or older than a record found). quarantined: the
	// seq quarantined.
	moved, stateKept bool
	quarantined      uint64
}

var damages = []damage{
	{name: "zero length", problem: "zero-length file", moved: true,
		do: func(t *testing.T, fx *fixture) []uint64 {
			must(t, os.Truncate(fx.path, 0))
			return fx.seqs()
		}},
	{name: "truncated to 8 KiB", problem: "file is 8192 bytes, shorter than the", moved: true,
		do: func(t *testing.T, fx *fixture) []uint64 {
			must(t, os.Truncate(fx.path, 8<<10))
			return fx.seqs()
		}},
	{name: "garbage outbox leaf page", problem: "header says page", moved: true, stateKept: true,
		do: func(t *testing.T, fx *fixture) []uint64 {
			_, leaves := outboxPages(t, fx.path)
			leaf := leaves[len(leaves)/2]
			lost := leafSeqs(page(t, fx.path, leaf))
			if len(lost) == 0 {
				t.Fatal("the leaf chosen holds no records")
			}
			garble(t, fx.path, leaf)
			return lost
		}},
	{name: "garbage outbox branch page", problem: "header says page", moved: true, stateKept: true,
		do: func(t *testing.T, fx *fixture) []uint64 {
			root, _ := outboxPages(t, fx.path)
			garble(t, fx.path, root)
			return nil // its leaves are intact: the scan of leaf pages finds them
		}},
	{name: "corrupt newer meta page", problem: "bad checksum; session snapshot older than a salvaged record: dropped", moved: true,
		do: func(t *testing.T, fx *fixture) []uint64 {
			corruptMeta(t, fx.path, true)
			return nil // the rolled-back commit's leaf is found by the scan
		}},
	// A value under a seq no page holds a readable copy of: quarantined.
	// (Seq 100 would come back from the leaf page its good copy was on.)
	{name: "corrupt older meta page and an undecodable record", problem: "bad checksum; outbox seq 5000: undecodable record",
		moved: true, stateKept: true, quarantined: 5000,
		do: func(t *testing.T, fx *fixture) []uint64 {
			putRaw(t, fx.path, "outbox", 5000, []byte(`{"v":1,"id":"0190a1b2-`))
			corruptMeta(t, fx.path, false)
			return nil
		}},
	{name: "undecodable outbox record", problem: "outbox seq 100: undecodable record", stateKept: true, quarantined: 100,
		do: func(t *testing.T, fx *fixture) []uint64 {
			putRaw(t, fx.path, "outbox", 100, []byte(`{"v":1,"id":"0190a1b2-`))
			return []uint64{100}
		}},
	{name: "undecodable sent record", problem: "sent seq 7: undecodable record", stateKept: true, quarantined: 7,
		do: func(t *testing.T, fx *fixture) []uint64 {
			putRaw(t, fx.path, "sent", 7, []byte("\x00\x00\x01\x9a\x00\x00\x00\x00{\"seq\":8}"))
			return []uint64{7}
		}},
}

// corruptMeta flips a bit in the root page id of the newer meta page, or of
// the older one.
func corruptMeta(t testing.TB, path string, newer bool) {
	t.Helper()
	ps := int64(os.Getpagesize())
	b, err := os.ReadFile(path)
	must(t, err)
	m := int64(0) // the page to break
	if (binary.NativeEndian.Uint64(b[ps+64:]) > binary.NativeEndian.Uint64(b[64:])) == newer {
		m = 1
	}
	b[m*ps+32] ^= 0x40
	must(t, os.WriteFile(path, b, 0o600))
}

func (fx *fixture) seqs() []uint64 {
	var out []uint64
	for seq := range fx.json {
		out = append(out, seq)
	}
	return out
}

// putRaw writes v under seq in bucket with bbolt, bypassing the store.
func putRaw(t testing.TB, path, bucket string, seq uint64, v []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	defer db.Close()
	must(t, db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).Put(binary.BigEndian.AppendUint64(nil, seq), v)
	}))
}

func TestOpenDamaged(t *testing.T) {
	for _, dm := range damages {
		t.Run(dm.name, func(t *testing.T) {
			fx := buildFixture(t, t.TempDir(), fixtureRecords, fixtureAcked)
			lost := dm.do(t, fx)
			damaged, err := os.ReadFile(fx.path)
			must(t, err)

			s := openNoPanic(t, fx.path)
			ds := s.Damage()
			if len(ds) == 0 || !strings.Contains(problems(ds), dm.problem) {
				t.Fatalf("Damage() = %+v, want a problem naming %q", ds, dm.problem)
			}
			kept := ds[0].KeptAs
			if dm.moved {
				if got, err := os.ReadFile(kept); err != nil || !bytes.Equal(got, damaged) {
					t.Errorf("damaged file kept as %q: %d bytes, %v; want the %d damaged bytes", kept, len(got), err, len(damaged))
				}
			} else if kept != "" {
				t.Errorf("a sound file was moved aside to %q", kept)
			}
			fx.checkRecords(t, s, lost)
			checkQuarantine(t, s, dm.quarantined, damaged)
			wantSession := fx.session
			if !dm.stateKept {
				wantSession = nil
			}
			if got, _ := s.Session(); !bytes.Equal(got, wantSession) {
				t.Errorf("session snapshot = %q, want %q", got, wantSession)
			}
			if dm.stateKept {
				if got, _ := s.State("central_config"); string(got) != `{"hall":"泰安"}` {
					t.Errorf("central config = %q", got)
				}
			}
			next := rec(900, "S-next")
			must(t, s.Append(next, nil))
			if next.Seq <= fx.lastSeq {
				t.Errorf("next seq %d; seqs up to %d were issued before the damage", next.Seq, fx.lastSeq)
			}
			if st, _ := s.Stats(); (dm.quarantined != 0) != (st.Quarantined > 0) {
				t.Errorf("stats say %d quarantined", st.Quarantined)
			}
			closeChecked(t, s)

			// The list stays until a technician clears it.
			s = openNoPanic(t, fx.path)
			if got := s.Damage(); !slices.Equal(got, ds) {
				t.Errorf("Damage() after reopen = %+v\nwant %+v", got, ds)
			}
			must(t, s.ClearDamage())
			closeChecked(t, s)
			s = open(t, fx.path, store.Options{})
			if got := s.Damage(); len(got) != 0 {
				t.Errorf("Damage() after ClearDamage and reopen = %+v", got)
			}
			if p := mustPending(t, s); len(p) == 0 || p[len(p)-1].ID != next.ID {
				t.Errorf("the record appended after the repair is not pending last")
			}
		})
	}
}

// openNoPanic opens path, failing the test on an error or a panic.
func openNoPanic(t *testing.T, path string) (s *store.Store) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Open panicked: %v", r)
		}
	}()
	s, err := store.Open(path, store.Options{})
	must(t, err)
	return s
}

func problems(ds []store.Damage) string {
	var p []string
	for _, d := range ds {
		p = append(p, d.Problem)
	}
	return strings.Join(p, "\n")
}

// checkRecords checks that every record but the lost ones is stored under
// its seq, acked or not as it was, and that nothing else is: a record found
// again (an older copy of a lost one) is one of the fixture's, byte for byte.
func (fx *fixture) checkRecords(t *testing.T, s *store.Store, lost []uint64) {
	t.Helper()
	got := map[uint64]store.Entry{}
	must(t, s.Records(func(e store.Entry) error {
		e.JSON = bytes.Clone(e.JSON)
		got[e.Seq] = e
		return nil
	}))
	for seq, js := range fx.json {
		e, ok := got[seq]
		switch {
		case !ok && slices.Contains(lost, seq):
		case !ok:
			t.Errorf("seq %d (acked %v) lost", seq, fx.acked[seq])
		case !bytes.Equal(e.JSON, js):
			t.Errorf("seq %d stored as %s, want %s", seq, e.JSON, js)
		case fx.acked[seq] != !e.AckedAt.IsZero() && !slices.Contains(lost, seq):
			t.Errorf("seq %d acked %v, want %v", seq, !e.AckedAt.IsZero(), fx.acked[seq])
		}
	}
	for seq := range got {
		if _, ok := fx.json[seq]; !ok {
			t.Errorf("seq %d stored but never appended", seq)
		}
	}
}

// checkQuarantine checks that quarantine holds seq's raw value as it was in
// the damaged file, or is empty when seq is 0.
func checkQuarantine(t *testing.T, s *store.Store, seq uint64, damaged []byte) {
	t.Helper()
	var qs []store.Quarantined
	must(t, s.Quarantined(func(q store.Quarantined) error {
		qs = append(qs, q)
		return nil
	}))
	if seq == 0 {
		if len(qs) != 0 {
			t.Errorf("quarantine = %+v, want none", qs)
		}
		return
	}
	if len(qs) != 1 || qs[0].Seq != seq || len(qs[0].Raw) == 0 || !bytes.Contains(damaged, qs[0].Raw) {
		t.Errorf("quarantine = %+v, want seq %d with its raw bytes", qs, seq)
	}
}

// The seq mark outside the file keeps seqs from coming back when the file
// goes back in time, goes missing, or is sound while the mark is not.
func TestSeqNeverReused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		do      func(t *testing.T, fx *fixture, older []byte)
		problem string // "" for no damage, and no gap
	}{
		{"file restored from an older copy", func(t *testing.T, fx *fixture, older []byte) {
			must(t, os.WriteFile(fx.path, older, 0o600))
		}, "seq mark (2049) is ahead of the store's own (1024)"},
		{"file missing", func(t *testing.T, fx *fixture, _ []byte) {
			must(t, os.Remove(fx.path))
		}, "store file was missing"},
		{"mark unreadable", func(t *testing.T, fx *fixture, _ []byte) {
			must(t, os.WriteFile(fx.path+".seq", []byte("evalpad-seq 99x"), 0o600))
		}, "unreadable content"},
		{"mark missing", func(t *testing.T, fx *fixture, _ []byte) {
			must(t, os.Remove(fx.path+".seq"))
		}, ""},
		{"reopen", func(*testing.T, *fixture, []byte) {}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "evalpad.db")
			fx := &fixture{path: path}
			s, err := store.Open(path, store.Options{})
			must(t, err)
			// Copy the file inside the first lease block, then go on past it.
			var older []byte
			for i := range 1100 {
				r := rec(i, fmt.Sprintf("S-%d", i))
				must(t, s.Append(r, nil))
				fx.lastSeq = r.Seq
				if i == 1000 {
					older, err = os.ReadFile(path)
					must(t, err)
				}
			}
			must(t, s.Close())
			tc.do(t, fx, older)

			s = open(t, path, store.Options{})
			next := rec(5000, "S-next")
			must(t, s.Append(next, nil))
			got := problems(s.Damage())
			switch {
			case tc.problem == "" && (got != "" || next.Seq != fx.lastSeq+1):
				t.Errorf("next seq %d after %d, damage %q; want no gap, no damage", next.Seq, fx.lastSeq, got)
			case tc.problem != "" && (!strings.Contains(got, tc.problem) || next.Seq <= fx.lastSeq):
				t.Errorf("next seq %d after %d, damage %q; want a seq past it and %q", next.Seq, fx.lastSeq, got, tc.problem)
			}
		})
	}
}

// FuzzOpen opens arbitrary file bytes as a store: Open neither panics nor
// fails, and what it leaves passes bbolt's check.
// (each input is a file opened, salvaged and synced)
// fuzz: 3000x
func FuzzOpen(f *testing.F) {
	good, err := os.ReadFile(buildFixture(f, f.TempDir(), 40, 10).path)
	must(f, err)
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:8<<10])
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "evalpad.db")
		must(t, os.WriteFile(path, b, 0o600))
		closeChecked(t, openNoPanic(t, path))
	})
}
