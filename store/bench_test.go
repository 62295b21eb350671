package store_test

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"evalpad/rating"
	"evalpad/store"
	"evalpad/store/storetest"
)

// BenchmarkAppend measures one rating commit (fsync included) and the bytes
// it writes to storage, with the outbox as an online pad keeps it (each
// record acked right after) and with a month's backlog of an offline pad
// (9,000 unacked records: 300 ratings a day for 30 days).
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name    string
		backlog int
		ack     bool
	}{{"online", 0, true}, {"backlog-30d", 9000, false}} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := storetest.WriteBytes(); err != nil {
				b.Skip(err)
			}
			s := open(b, filepath.Join(b.TempDir(), "s.db"), store.Options{})
			for i := 0; i < bc.backlog; i++ {
				if err := s.Append(rec(i, fmt.Sprintf("B-%d", i)), nil); err != nil {
					b.Fatal(err)
				}
			}
			recs := make([]*rating.Record, b.N)
			for i := range recs {
				recs[i] = rec(bc.backlog+i, fmt.Sprintf("S-%d", i))
			}
			var written, ackWritten int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w0, _ := storetest.WriteBytes()
				if err := s.Append(recs[i], nil); err != nil {
					b.Fatal(err)
				}
				w1, _ := storetest.WriteBytes()
				written += w1 - w0
				if bc.ack {
					b.StopTimer()
					if _, err := s.Ack([]string{recs[i].ID}, t0); err != nil {
						b.Fatal(err)
					}
					w2, _ := storetest.WriteBytes()
					ackWritten += w2 - w1
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(written)/float64(b.N), "write-B/rating")
			if bc.ack {
				b.ReportMetric(float64(ackWritten)/float64(b.N), "ack-write-B/rating")
			}
		})
	}
}

// BenchmarkOpen measures opening a store with a month's backlog of an
// offline pad (9,000 unacked records) and as many acked: the check of the
// file, the indexes read from what the check read, the seq lease.
func BenchmarkOpen(b *testing.B) { benchOpen(b, 18000, 9000) }

// BenchmarkOpen200k measures opening a store of 200,000 records, half of
// them acked (issue 11: 4.2 s when every record was decoded at open). Each
// open starts cold: Open drops the file's cached pages. cpu-ms/op is the
// process's CPU time (user and system) per open, less disturbed than the
// wall time by other work on a shared machine.
func BenchmarkOpen200k(b *testing.B) { benchOpen(b, 200000, 100000) }

// benchOpen opens a store of n records, acked of them acked, b.N times.
func benchOpen(b *testing.B, n, acked int) {
	path := buildLarge(b, b.TempDir(), n, acked).path
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the CPU time the process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
