package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/rating"
	"evalpad/store"
	"evalpad/sync/link"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// BenchmarkDrain drains a backlog of BENCH_RECORDS (default 100000) records
// from a pad's outbox to evalhub's Hub on PostgreSQL through Mosquitto, and
// beside it, in the same run, a naive baseline: one paho QoS 1 publish per
// record with paho's FileStore and no end-to-end ack, into the same Hub.
// Each reports records/s end to end (stored in PostgreSQL; for the link,
// also acked and out of the outbox) and bytes on the wire per record, both
// directions, measured by a proxy in front of Mosquitto.
//
// Run it with scripts/bench-sync; -benchtime 1x: one drain per sub-benchmark.
func BenchmarkDrain(b *testing.B) {
	n := 100000
	if v := os.Getenv("BENCH_RECORDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("BENCH_RECORDS=%q", v)
		}
	}
	backlog := buildBacklog(b, n)
	batch, inflight := 1000, 8
	if v := os.Getenv("BENCH_BATCH"); v != "" {
		batch, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("BENCH_INFLIGHT"); v != "" {
		inflight, _ = strconv.Atoi(v)
	}
	maxBytes := 0 // the link's default, link.DefaultMaxMessageBytes
	if v := os.Getenv("BENCH_MAX_BYTES"); v != "" {
		maxBytes, _ = strconv.Atoi(v)
	}
	b.Run("link", func(b *testing.B) {
		for range b.N {
			drainLink(b, backlog, n, batch, inflight, maxBytes)
		}
	})
	b.Run("baseline", func(b *testing.B) {
		for range b.N {
			drainBaseline(b, backlog, n)
		}
	})
}

var (
	backlogOnce sync.Once
	backlogPath string
	// benchPad is the key the backlog's records are signed with, benchKey
	// the central's.
	_, benchPad, _ = ed25519.GenerateKey(rand.Reader)
	_, benchKey, _ = ed25519.GenerateKey(rand.Reader)
)

// buildBacklog writes n records into a store file once (every Append is
// committed with fsync, as on the pad) and returns its path; each drain
// works on a copy.
func buildBacklog(b *testing.B, n int) string {
	backlogOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalhub-bench")
		if err != nil {
			b.Fatal(err)
		}
		backlogPath = filepath.Join(dir, "backlog.db")
		st, err := store.Open(backlogPath, store.Options{OutboxMax: n + 1, Sign: func(body []byte) (string, error) {
			return trust.Sign(benchPad, trust.RecordDomain, body) // as agent/store.go signs on the pad
		}})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		o := rating.Origin{DeviceID: "TA-ZWFW-W12", AreaCode: "370900", Hall: "泰安市政务服务中心", Window: "12", Channel: "4"}
		for i := range n {
			var u [16]byte
			rand.Read(u[:])
			u[6], u[8] = u[6]&0x0f|0x70, u[8]&0x3f|0x80
			id := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
			sid := fmt.Sprintf("S-20261125-%06d", i)
			stars := rating.Stars(1 + i%5)
			v := rating.Verdict{Stars: stars}
			if !stars.Good() {
				v.Reasons = []string{"213", "214"}
			}
			r := rating.NewRecord(id, o, &rating.Session{ID: sid, Mode: rating.ModeSingle, Staff: rating.Staff{ID: "TA0123", Name: "李四"}},
				rating.Staff{}, []rating.Case{{ProjectNo: fmt.Sprintf("370900202611250%05d", i), TaskCode: "T001", TaskName: "企业设立登记"}},
				v, "2026-11-25T10:02:40.000+08:00", "2026-11-25T10:03:12.123+08:00")
			if err := st.Append(&r, nil); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
		b.Logf("backlog of %d records built in %v", n, time.Since(start).Round(time.Millisecond))
	})
	if backlogPath == "" {
		b.Fatal("no backlog")
	}
	return backlogPath
}

func copyFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// benchHub starts Mosquitto, a proxy in front of it for the pad, and a Hub
// on a fresh PostgreSQL schema.
func benchHub(b *testing.B) (pg *central.SQLStore, proxy *mqtttest.Proxy, broker string) {
	dsn := centraltest.Postgres(b)
	mq := mqtttest.Start(b, "message_size_limit 0")
	st, err := central.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	// The pad, registered before its records were made.
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	code, _, err := central.IssueCode(context.Background(), st, "TA-ZWFW-W12", time.Hour, false, nil, at)
	if err != nil {
		b.Fatal(err)
	}
	pub := trust.Public(benchPad)
	if _, err := st.Enroll(context.Background(), central.CodeHash(code), at, func(*central.Registered, central.Code) (central.Registered, error) {
		return central.Registered{DeviceID: "TA-ZWFW-W12", PublicKey: pub, Fingerprint: trust.Fingerprint(pub), MQTTUser: "TA-ZWFW-W12",
			MQTTHash: "$7$1$c2FsdA==$a2V5", Hardware: map[string]string{}, EnrolledAt: at, UpdatedAt: at, Status: central.DeviceActive}, nil
	}); err != nil {
		b.Fatal(err)
	}
	h, err := central.NewHub(central.HubOptions{Broker: mq.URL(), ClientID: "evalhub-bench", Workers: 4,
		Key: benchKey, Devices: st.DevicesByID}, st)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	for !h.Counters().Subscribed {
		time.Sleep(10 * time.Millisecond)
	}
	return st, mqtttest.StartProxy(b, mq.Addr()), mq.URL()
}

type noAgent struct{}

func (noAgent) OpenSession(rating.Session) error  { return link.ErrNotSupported }
func (noAgent) Command(protocol.Cmd) error        { return link.ErrNotSupported }
func (noAgent) ApplyConfig(protocol.Config) error { return link.ErrNotSupported }
func (noAgent) Health() link.Health               { return link.Health{} }

func drainLink(b *testing.B, backlog string, n, batch, inflight, maxBytes int) {
	b.StopTimer()
	pg, proxy, _ := benchHub(b)
	path := filepath.Join(b.TempDir(), "evalpad.db")
	copyFile(b, backlog, path)
	st, err := store.Open(path, store.Options{OutboxMax: n + 1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	l, err := link.New(link.Options{Broker: proxy.URL(), DeviceID: "TA-ZWFW-W12", Batch: batch, InFlight: inflight,
		MaxMessageBytes: maxBytes, AckTimeout: time.Minute, CentralKey: trust.Public(benchKey)}, st, noAgent{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.StartTimer()
	start := time.Now()
	go func() { l.Run(ctx); close(done) }()
	for {
		s, err := st.Stats()
		if err != nil {
			b.Fatal(err)
		}
		if s.Pending == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	if c, err := pg.Count(context.Background()); err != nil || c != n {
		rej, _ := pg.Rejected(context.Background())
		rej = rej[:min(len(rej), 2)]
		b.Fatalf("PostgreSQL holds %d records, want %d (%v); rejected: %+v", c, n, err, rej)
	}
	up, down := proxy.Bytes()
	b.ReportMetric(float64(n)/el.Seconds(), "records/s")
	b.ReportMetric(float64(up+down)/float64(n), "wire-B/record")
	b.ReportMetric(float64(up)/float64(n), "up-B/record")
	k := l.Counters()
	b.Logf("link: %d records in %v: %.0f records/s, %.0f B/record on the wire (%d up, %d down), batch %d, %d bytes at most, in flight %d, %d messages, resends %d",
		n, el.Round(time.Millisecond), float64(n)/el.Seconds(), float64(up+down)/float64(n), up, down, batch, k.MessageBytes, inflight, k.Messages, k.Resends)
}

// drainBaseline: what a pad would do without this link: every record its
// own QoS 1 publish through paho with a FileStore, no end-to-end ack (the
// outbox is not touched); done when PostgreSQL holds every record.
func drainBaseline(b *testing.B, backlog string, n int) {
	b.StopTimer()
	pg, proxy, _ := benchHub(b)
	path := filepath.Join(b.TempDir(), "evalpad.db")
	copyFile(b, backlog, path)
	st, err := store.Open(path, store.Options{OutboxMax: n + 1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	o := mqtt.NewClientOptions().AddBroker(proxy.URL()).SetClientID("baseline-pad").SetCleanSession(false).
		SetStore(mqtt.NewFileStore(filepath.Join(b.TempDir(), "paho")))
	cl := mqtt.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer cl.Disconnect(0)
	topic := protocol.Topic("TA-ZWFW-W12", protocol.UpRecords)
	b.StartTimer()
	start := time.Now()
	var after uint64
	var toks []mqtt.Token
	for {
		es, err := st.Pending(after, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			toks = append(toks, cl.Publish(topic, 1, false, protocol.AppendRecords(nil, "TA-ZWFW-W12", [][]byte{e.JSON})))
		}
		after = es[len(es)-1].Seq
	}
	for _, t := range toks {
		if !t.WaitTimeout(time.Minute) || t.Error() != nil {
			b.Fatalf("publish: %v", t.Error())
		}
	}
	for {
		c, err := pg.Count(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if c >= n {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	up, down := proxy.Bytes()
	b.ReportMetric(float64(n)/el.Seconds(), "records/s")
	b.ReportMetric(float64(up+down)/float64(n), "wire-B/record")
	b.ReportMetric(float64(up)/float64(n), "up-B/record")
	b.Logf("baseline: %d records in %v: %.0f records/s, %.0f B/record on the wire (%d up, %d down)",
		n, el.Round(time.Millisecond), float64(n)/el.Seconds(), float64(up+down)/float64(n), up, down)
}
