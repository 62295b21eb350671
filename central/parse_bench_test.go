package central

import (
	"fmt"
	"testing"

	"evalpad/rating"
	"evalpad/sync/protocol"
)

// BenchmarkParse: checking one up/records message of 1000 records, per record.
func BenchmarkParse(b *testing.B) {
	var raws [][]byte
	for i := range 1000 {
		raws = append(raws, raw(rec(i+1, func(r *rating.Record) { r.ID = fmt.Sprintf("019abcde-0000-7000-8000-%012d", i+1) })))
	}
	msg := protocol.AppendRecords(nil, "TA-1", raws)
	b.SetBytes(int64(len(msg) / 1000))
	b.ResetTimer()
	for i := 0; i < b.N; i += 1000 {
		p, err := Parse("hcp/v1/TA-1/up/records", msg, t0)
		if err != nil || len(p.Rows) != 1000 {
			b.Fatal(err)
		}
	}
}
