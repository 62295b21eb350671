package pad_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"evalpad/pad"
	"evalpad/pad/padtest"
	"evalpad/rating"
	"evalpad/store"
	"evalpad/store/storetest"
	"evalpad/trust"
)

// BenchmarkPressToThanks measures what a citizen waits for: from a star
// press to the thank-you screen, the record committed to bbolt with fsync.
// It reports the 50th and 99th percentile and the bytes written to storage
// per press. The record is signed with an ed25519 device key as the agent
// signs it. Opening each session is outside the measurement.
func BenchmarkPressToThanks(b *testing.B) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	st, err := store.Open(filepath.Join(b.TempDir(), "evalpad.db"), store.Options{
		Sign: func(rec []byte) (string, error) { return trust.Sign(key, trust.RecordDomain, rec) }})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clock := padtest.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	p, err := pad.New(pad.Settings{
		Origin:  rating.Origin{DeviceID: "TA-ZWFW-W12", AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "12", Channel: "4"},
		Reasons: rating.DefaultReasons(), SessionTimeout: 10 * time.Minute, ReasonsTimeout: time.Minute,
		ThanksDuration: 3 * time.Second, MinInterval: 3 * time.Second,
	}, st, clock, rand.Reader, nil)
	if err != nil {
		b.Fatal(err)
	}
	p.Start()
	defer p.Close()
	lat := make([]time.Duration, 0, b.N)
	var written int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clock.Advance(5 * time.Second)
		sid := fmt.Sprintf("S-%d", i)
		if _, err := p.OpenSession(rating.Session{ID: sid, Mode: rating.ModeSingle,
			Staff: rating.Staff{ID: "TA0123", Name: "李四"},
			Cases: []rating.Case{{ProjectNo: "37090020261125" + fmt.Sprintf("%06d", i), TaskName: "企业设立登记"}}}); err != nil {
			b.Fatal(err)
		}
		w0, _ := storetest.WriteBytes()
		b.StartTimer()
		t0 := time.Now()
		out, err := p.Press(5)
		d := time.Since(t0)
		b.StopTimer()
		w1, _ := storetest.WriteBytes()
		if err != nil || out.Screen != pad.ScreenThanks {
			b.Fatalf("press: %+v %v", out, err)
		}
		lat = append(lat, d)
		written += w1 - w0
		// Keep the outbox as an online pad keeps it: acked right away.
		if _, err := st.Ack([]string{out.Record.ID}, clock.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(written)/float64(b.N), "write-B/press")
}
