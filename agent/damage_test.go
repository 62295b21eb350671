package agent

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"evalpad/pad"
	"evalpad/pad/localapi"
)

// rate makes n ratings on a, each in a session of its own, and returns the
// seq of each record.
func rate(t *testing.T, a *Agent, clock interface{ Advance(time.Duration) }, prefix string, n int) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for i := range n {
		if _, err := a.OpenSession(ratingSession(fmt.Sprintf("%s-%d", prefix, i))); err != nil {
			t.Fatal(err)
		}
		o, err := a.pad.Press(1 + i%5)
		if err == nil && o.Result == pad.ResultReasons {
			o, err = a.pad.SubmitReasons([]string{a.pad.View().Offered[0].Code})
		}
		if err != nil || o.Result != pad.ResultRecorded {
			t.Fatalf("rating %d: %+v %v", i, o, err)
		}
		out[o.Record.ID] = o.Record.Seq
		clock.Advance(10 * time.Second)
	}
	return out
}

// garbleRecordPage overwrites the first page of the file that holds a
// record with random bytes.
func garbleRecordPage(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for off := 2 * page; off+page <= len(b); off += page {
		if bytes.Contains(b[off:off+page], []byte(`{"v":1,"id":`)) {
			rand.Read(b[off : off+page])
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("no page holds a record")
}

// A damaged store never stops the pad and never loses or reuses in
// silence: the damaged file is kept aside, what can be read is salvaged
// into the outbox under its seq, the next seq is above every seq issued,
// and the fault shows on the state, the MQTT status and the page until a
// technician clears it.
func TestDamagedStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		all    bool // every record comes back
	}{
		{"zero length", func(t *testing.T, path string) { os.Truncate(path, 0) }, false},
		{"truncated to 8 KiB", func(t *testing.T, path string) { os.Truncate(path, 8192) }, false},
		{"a page of garbage", garbleRecordPage, false},
		{"corrupt first meta page", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(bytes.Repeat([]byte{0xa5}, 48), 32)
			f.Close()
		}, true},
		{"one undecodable record", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("outbox"))
				c := b.Cursor()
				k, _ := c.First()
				return b.Put(k, []byte(`{"v":1,"id":"0190a1b2-c3d4-7e5f-8a6b-`))
			})
			if err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			clock := newClock()
			a := build(t, cfg, Parts{Clock: clock})
			before := rate(t, a, clock, "S", 40)
			var maxSeq uint64
			for _, s := range before {
				maxSeq = max(maxSeq, s)
			}
			a.Close()
			path := filepath.Join(cfg.DataDir, StoreFile)
			tc.damage(t, path)
			damaged, _ := os.ReadFile(path)

			b := build(t, cfg, Parts{Clock: clock})
			st := b.State()
			if len(st.Faults) == 0 || !strings.HasPrefix(st.Faults[0], FaultStoreDamaged+": store damaged: ") {
				t.Fatalf("faults %q", st.Faults)
			}
			if h := (downlink{b}).Health(); len(h.Faults) == 0 || h.Faults[0] != st.Faults[0] {
				t.Errorf("the MQTT status does not show it: %q", h.Faults)
			}
			// The damaged file is kept aside, byte for byte, unless the file
			// itself was sound and only a record was quarantined.
			kept, _ := filepath.Glob(path + ".damaged-*")
			if strings.Contains(st.Faults[0], "kept as") {
				if got, err := os.ReadFile(kept[0]); err != nil || !bytes.Equal(got, damaged) {
					t.Errorf("the damaged file is not kept as it was: %v %v", kept, err)
				}
			}
			// What came back is what was there, under its seq; nothing is made up.
			after := records(t, b.store)
			for _, r := range after {
				if seq, ok := before[r.ID]; !ok || seq != r.Seq {
					t.Errorf("record %s seq %d: before %d %v", r.ID, r.Seq, seq, ok)
				}
			}
			if tc.all && len(after) != len(before) {
				t.Errorf("%d of %d records salvaged", len(after), len(before))
			}
			if out, _ := b.store.Stats(); out.Pending != len(after) {
				t.Errorf("outbox %d, records %d: salvaged records are not pending", out.Pending, len(after))
			}
			// The pad takes ratings, and no seq is issued twice.
			next := rate(t, b, clock, "T", 2)
			for id, seq := range next {
				if seq <= maxSeq {
					t.Errorf("record %s got seq %d, issued before the damage (up to %d)", id, seq, maxSeq)
				}
			}
			// The technician reads the report and clears it; it stays cleared.
			srv := httpServer(t, b)
			var rep localapi.StoreReport
			if code := call(t, srv, "GET", "/api/v1/store", nil, &rep); code != 200 || len(rep.Damage) == 0 {
				t.Fatalf("store report: %d %+v", code, rep)
			}
			if tc.name == "one undecodable record" && (len(rep.Quarantined) != 1 || rep.Quarantined[0].Bucket != "outbox" ||
				binary.BigEndian.Uint64(rep.Quarantined[0].Key) != rep.Quarantined[0].Seq) {
				t.Errorf("quarantine %+v", rep.Quarantined)
			}
			if code := call(t, srv, "POST", "/api/v1/store/clear-damage", nil, nil); code != 200 {
				t.Fatalf("clear: %d", code)
			}
			b.Close()
			c := build(t, cfg, Parts{Clock: clock})
			if f := c.State().Faults; len(f) != 0 {
				t.Errorf("faults after clearing and a restart: %q", f)
			}
		})
	}
}
