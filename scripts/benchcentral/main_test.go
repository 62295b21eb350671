package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"evalpad/central"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// The bench's year is made of records the hub would take (protocol v1,
// each pad's seq without gaps), and ingest stores each once with the
// defaults the time rule would give: what the bench measures is the real
// ingest path's result, counted the same by the rollups and by Compute.
func TestGeneratedYearIngests(t *testing.T) {
	const n = 3000
	g := newGen(n)
	seq := make([]uint64, g.pads)
	last := map[string]uint64{}
	unrated := 0
	for i := range n {
		r := g.record(i, seq)
		b, _ := json.Marshal(r)
		if _, err := protocol.ParseRecord(b, r.DeviceID); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if r.Seq != last[r.DeviceID]+1 {
			t.Fatalf("record %d: seq %d after %d on %s", i, r.Seq, last[r.DeviceID], r.DeviceID)
		}
		last[r.DeviceID] = r.Seq
		if r.Kind == rating.KindUnrated {
			unrated++
		}
	}
	if unrated == 0 {
		t.Fatal("no unrated session in the year: the defaults are not exercised")
	}
	ctx := context.Background()
	st, err := central.Open(ctx, filepath.Join(t.TempDir(), "bench.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := newGen(n).ingest(ctx, st); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Records(ctx, central.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defaults := len(rows) - n
	if defaults <= 0 || defaults > unrated {
		t.Errorf("%d records stored for %d generated (%d unrated): want each once and a default for most unrated", len(rows), n, unrated)
	}
	got, err := st.Stats(ctx, central.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := central.Compute(rows)
	if got.Total.Rated != want.Total.Rated || got.Total.Good != want.Total.Good || got.Total.Unrated != want.Total.Unrated ||
		got.Total.Default != want.Total.Default || got.Stars != want.Stars {
		t.Errorf("rollups %+v %v, Compute %+v %v", got.Total, got.Stars, want.Total, want.Stars)
	}
}
