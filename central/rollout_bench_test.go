package central

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/central/passwd"
	"evalpad/trust"
)

// BenchmarkRolloutSend: a rollout to 1,000 pads (SQLite) made and stepped
// once with a batch of 1,000: every pad claimed, its update command
// signed, recorded in downlinks and handed to the broker client (here a
// function that drops it). Reported per pad.
func BenchmarkRolloutSend(b *testing.B) {
	ctx := context.Background()
	st := openStore(b, filepath.Join(b.TempDir(), "h.db"))
	key := testKey(b)
	h, _ := passwd.Hash(passwd.Random())
	const n = 1000
	for i := range n {
		p := centraltest.NewPad(fmt.Sprintf("TA-%04d", i))
		code, _, err := IssueCode(ctx, st, p.ID, time.Hour, false, nil, t0)
		if err != nil {
			b.Fatal(err)
		}
		pub := trust.Public(p.Key)
		if _, err := st.Enroll(ctx, CodeHash(code), t0, func(*Registered, Code) (Registered, error) {
			return Registered{DeviceID: p.ID, PublicKey: pub, Fingerprint: trust.Fingerprint(pub), MQTTUser: p.ID, MQTTHash: h,
				Hardware: map[string]string{"arch": "arm64"}, Version: "1.2.0", EnrolledAt: t0, UpdatedAt: t0, Status: DeviceActive}, nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	st.AddFirmware(ctx, testFirmware)
	sent := 0
	down := &Downlinks{Key: key, Store: st, Publish: func(context.Context, string, bool, []byte) error { sent++; return nil }}
	rs := &Rollouts{Store: st, Send: down.SendCmd, URL: func(sha string) string { return "http://hub.example/firmware/" + sha }}
	b.ResetTimer()
	for range b.N {
		r, err := rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 100, Batch: n})
		if err != nil {
			b.Fatal(err)
		}
		if err := rs.Step(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rs.Halt(ctx, r.ID, "next")
		b.StartTimer()
	}
	if sent != n*b.N {
		b.Fatalf("sent %d, want %d", sent, n*b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n*b.N), "µs/pad")
}
