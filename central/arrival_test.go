package central

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/rating"
)

// pageAll pages through the records after cursor, limit at a time, and
// returns the ids seen and the last cursor.
func pageAll(t *testing.T, st Store, cursor string, limit int) ([]string, string) {
	t.Helper()
	var seen []string
	for {
		rows, err := st.Records(context.Background(), Filter{After: cursor, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(rows)...)
		if len(rows) > 0 {
			cursor = rows[len(rows)-1].ID
		}
		if len(rows) < limit {
			return seen, cursor
		}
	}
}

// TestPagingFollowsArrival: a reader that pages with after= sees a record
// a pad sends late (dated before everything the reader has seen) — the
// fault measured on main, where after= followed (at, id).
func TestPagingFollowsArrival(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			ctx := context.Background()
			if _, err := st.Insert(ctx, rowsOf(rec(10, nil), rec(11, nil), rec(12, nil)), nil); err != nil {
				t.Fatal(err)
			}
			seen, cursor := pageAll(t, st, "", 2)
			// The pad that was offline: its record is from an hour before.
			late := rec(13, func(r *rating.Record) { r.At = rating.FormatTime(t0.Add(-time.Hour), t0.Location()) })
			if _, err := st.Insert(ctx, rowsOf(late), nil); err != nil {
				t.Fatal(err)
			}
			more, _ := pageAll(t, st, cursor, 2)
			want := ids(rowsOf(rec(10, nil), rec(11, nil), rec(12, nil), late))
			if got := append(seen, more...); !slices.Equal(got, want) {
				t.Errorf("paged %v, want %v", got, want)
			}
			// order=newest still goes by "at".
			rows, err := st.Records(ctx, Filter{Newest: true, Limit: 1})
			if err != nil || len(rows) != 1 || rows[0].ID != rec(12, nil).ID {
				t.Errorf("newest: %v %v", ids(rows), err)
			}
		})
	}
}

// TestArrivalMigration: a records table made before arrival existed gets
// it when the store opens, in the order its readers paged in ((at, id));
// records stored after come after those.
func TestArrivalMigration(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dsn := be.open(t)
			ctx := context.Background()
			st := openStore(t, dsn)
			// Stored out of "at" order: 3, 1, 2.
			for _, n := range []int{3, 1, 2} {
				if _, err := st.Insert(ctx, rowsOf(rec(n, nil)), nil); err != nil {
					t.Fatal(err)
				}
			}
			// Back to the table as main made it.
			old := []string{`ALTER TABLE records DROP COLUMN arrival`}
			if be.name == "sqlite" {
				old = []string{`DROP TRIGGER records_arrival`, `DROP INDEX records_arrival`, `ALTER TABLE records DROP COLUMN arrival`}
			}
			for _, q := range old {
				if _, err := st.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			st.Close()
			st = openStore(t, dsn)
			if _, err := st.Insert(ctx, rowsOf(rec(0, nil)), nil); err != nil {
				t.Fatal(err)
			}
			got, _ := pageAll(t, st, "", 2)
			want := ids(rowsOf(rec(1, nil), rec(2, nil), rec(3, nil), rec(0, nil)))
			if !slices.Equal(got, want) {
				t.Errorf("after migration: %v, want %v", got, want)
			}
			st.Close()
			st = openStore(t, dsn) // and opening again changes nothing
			if got, _ := pageAll(t, st, "", 3); !slices.Equal(got, want) {
				t.Errorf("opened again: %v, want %v", got, want)
			}
		})
	}
}

// TestArrivalConcurrentWritersPG: on PostgreSQL, a writer that took its
// arrival numbers and has not committed holds back the writers after it,
// so a reader paging meanwhile cannot page past its records. Writer A is
// held open between its insert and its commit; writer B (Insert) runs and
// must wait; the reader pages; then A commits, B stores, and the reader,
// paging on from its cursor, sees both, each once. Then two writers and a
// reader at full speed: every record seen exactly once.
func TestArrivalConcurrentWritersPG(t *testing.T) {
	be := backends[1]
	st := openStore(t, be.open(t))
	ctx := context.Background()
	if _, err := st.Insert(ctx, rowsOf(rec(1, nil)), nil); err != nil {
		t.Fatal(err)
	}
	seen, cursor := pageAll(t, st, "", 10)

	txA, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback()
	if err := st.lockArrival(ctx, txA); err != nil {
		t.Fatal(err)
	}
	if _, err := st.insertRecords(ctx, txA, rowsOf(rec(2, nil))); err != nil {
		t.Fatal(err)
	}
	bDone := make(chan error, 1)
	go func() {
		_, err := st.Insert(ctx, rowsOf(rec(3, nil)), nil)
		bDone <- err
	}()
	// Until B waits for the arrival lock (or, were it not taken, has
	// committed): no clock involved.
	for blocked := false; !blocked; {
		select {
		case err := <-bDone:
			bDone <- err
			blocked = true
		default:
			var n int
			err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
				AND objid::bigint = (`+arrivalLockKey+`)::bigint & 4294967295`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			blocked = n > 0
		}
	}
	mid, cursor := pageAll(t, st, cursor, 10)
	seen = append(seen, mid...)
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	rest, _ := pageAll(t, st, cursor, 10)
	seen = append(seen, rest...)
	slices.Sort(seen)
	if want := ids(rowsOf(rec(1, nil), rec(2, nil), rec(3, nil))); !slices.Equal(seen, want) {
		t.Fatalf("the reader saw %v, want %v each once (mid-way it saw %v)", seen, want, mid)
	}

	// Two writers, one reader, all at once.
	const writers, batches, per = 2, 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var rows []Row
				for i := range per {
					n := 1000 + w*100000 + b*per + i
					// Dated in reverse: later writes carry earlier times.
					rows = append(rows, row(rec(n, func(r *rating.Record) {
						r.At = rating.FormatTime(t0.Add(-time.Duration(n)*time.Second), t0.Location())
					})))
				}
				if _, err := st.Insert(ctx, rows, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()
	var got []string
	cursor = ""
	for done := false; !done; {
		select {
		case <-writing:
			done = true
		default:
		}
		page, c := pageAll(t, st, cursor, 7)
		got, cursor = append(got, page...), c
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var twice []string
	for id, n := range count {
		if n > 1 {
			twice = append(twice, id)
		}
	}
	if want := 3 + writers*batches*per; len(count) != want || len(twice) > 0 {
		t.Fatalf("the reader saw %d distinct records of %d, %d more than once: %s", len(count), want, len(twice), strings.Join(twice, " "))
	}
}
