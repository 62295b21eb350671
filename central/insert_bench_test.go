package central

import (
	"context"
	"testing"
	"time"

	"evalpad/central/centraltest"
)

// BenchmarkInsert stores batches of 1,000 new records (as the hub does
// with a queue of messages) on each backend: the cost of the ingest
// transaction, arrival numbering included. Reports records/s.
func BenchmarkInsert(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := openStore(b, be.open(b))
			ctx := context.Background()
			const batch = 1000
			n := 0
			b.ResetTimer()
			for range b.N {
				rows := make([]Row, batch)
				for i := range rows {
					n++
					rows[i] = row(rec(n, nil))
				}
				if _, err := st.Insert(ctx, rows, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkSeqReport reports on a pad with 100,000 records, a gap every
// 1,000 seq (SeqReport's cost is that of its SQL over the pad's index).
func BenchmarkSeqReport(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := openStore(b, be.open(b))
			ctx := context.Background()
			pad := centraltest.NewPad("TA-1")
			enrollPad(b, st, pad, testKey(b), t0.Add(-time.Hour))
			const records = 100_000
			for lo := 1; lo <= records; lo += 5000 {
				var rows []Row
				for n := lo; n < lo+5000; n++ {
					if n%1000 != 0 {
						rows = append(rows, row(rec(n, nil)))
					}
				}
				if _, err := st.Insert(ctx, rows, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				rep, err := st.SeqReport(ctx, "TA-1")
				if err != nil || len(rep.Missing) != records/1000-1 {
					b.Fatalf("%d missing ranges, %v", len(rep.Missing), err)
				}
			}
		})
	}
}
