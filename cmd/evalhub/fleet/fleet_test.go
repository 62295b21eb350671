// Package fleet tests evalhub at the scale of a city's fleet: 1,000 pads
// through Mosquitto or a 3-node NATS cluster to two evalhub processes on
// PostgreSQL, one of them killed midway. It has only tests: they run
// without the race detector (scripts/test runs this package on its own),
// whose slowdown of a thousand clients would measure nothing.
package fleet

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/central/passwd"
	"evalpad/central/server"
	"evalpad/rating"
	"evalpad/sync/mqtttest"
	"evalpad/sync/natstest"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// The fleet: fleetPads simulated pads, each with a backlog of
// fleetBacklog records, sent fleetBatch to a message.
const (
	fleetPads    = 1000
	fleetBacklog = 100
	fleetBatch   = 25
	// fleetAckTimeout: a pad sends its unacked records again after this
	// long with no ack (the link's default is 30 s).
	fleetAckTimeout = 10 * time.Second
)

// TestFleetMosquitto: 1,000 pads, each an MQTT client with a backlog of 100
// signed records, drain through one Mosquitto to two evalhub processes of
// one group (a shared subscription) on PostgreSQL; the first evalhub is
// killed with SIGKILL when a third of the records are stored. Every record
// is stored once and every pad's backlog acked; the rate is logged.
func TestFleetMosquitto(t *testing.T) {
	skipSlow(t)
	m := mqtttest.Start(t)
	runFleet(t, fleetSetup{broker: m.URL(), padBrokers: func(int) []string { return []string{m.URL()} }})
}

// TestFleetNATS: the same through a 3-node NATS cluster: the pads speak
// MQTT, each to one node (spread over the three) with the other two to
// fail over to; the evalhubs take the records through JetStream (--nats)
// and send the other downlinks through the nodes' MQTT listeners. Besides
// the evalhub, one node is killed when two thirds of the records are
// stored: its pads reconnect to another node.
func TestFleetNATS(t *testing.T) {
	skipSlow(t)
	c := natstest.Start(t, 3)
	runFleet(t, fleetSetup{broker: c.MQTTURLs(), nats: c.URLs(), padBrokers: func(i int) []string {
		var u []string
		for k := range c.Nodes {
			u = append(u, c.Nodes[(i+k)%len(c.Nodes)].MQTTURL())
		}
		return u
	}, killNode: func() { c.Nodes[0].Kill() }})
}

type fleetSetup struct {
	broker, nats string
	padBrokers   func(pad int) []string // the first, then the others in turn
	killNode     func()                 // nil: none
}

var (
	evalhubOnce sync.Once
	evalhubBin  string
	evalhubErr  error
)

// skipSlow skips the fleet tests with -short and under the race detector.
func skipSlow(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet test is long: not with -short")
	}
	if raceEnabled {
		t.Skip("the fleet test runs without -race (scripts/test runs it on its own)")
	}
}

// evalhubBinary builds cmd/evalhub once per test run.
func evalhubBinary(t *testing.T) string {
	t.Helper()
	evalhubOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalhub-fleet")
		if err != nil {
			evalhubErr = err
			return
		}
		evalhubBin = filepath.Join(dir, "evalhub")
		out, err := exec.Command("go", "build", "-o", evalhubBin, "evalpad/cmd/evalhub").CombinedOutput()
		if err != nil {
			evalhubErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if evalhubErr != nil {
		t.Fatal(evalhubErr)
	}
	return evalhubBin
}

// hubProc is an evalhub process.
type hubProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// startHub runs evalhub with args and waits until it consumes records.
func startHub(t *testing.T, name string, args ...string) *hubProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(evalhubBinary(t), append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Env = append(os.Environ(), "EVALHUB_BROKER_PASSWORD=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &hubProc{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s's log (tail):\n%s", name, b[max(0, len(b)-4000):])
		}
	})
	sc := bufio.NewScanner(pr)
	base := ""
	for sc.Scan() {
		fmt.Fprintln(logf, sc.Text())
		if a, ok := strings.CutPrefix(sc.Text(), "evalhub: listening on "); ok {
			base = a
			break
		}
	}
	go func() { // the rest of the log, to the file
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
		}
		io.Copy(io.Discard, pr)
	}()
	if base == "" {
		t.Fatalf("%s ended before listening", name)
	}
	centraltest.Eventually(t, name+" to subscribe", func() bool {
		var h struct{ Subscribed bool }
		resp, err := http.Get(base + "/api/v1/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&h) == nil && h.Subscribed
	})
	return p
}

// simPad is a pad as the fleet test plays it: signed protocol v1 records
// in memory, sent in batches over MQTT QoS 1 (a persistent session, like
// the pad's link), sent again from the oldest unacked after
// fleetAckTimeout, each removed once a signed ack names it.
type simPad struct {
	id      string
	central ed25519.PublicKey
	records map[string][]byte // id → signed record, unacked
	order   []string          // ids, oldest first

	mu      sync.Mutex
	pending map[string]bool
	acked   chan struct{} // a signal per ack message that removed something
	badAcks atomic.Int64
}

func (p *simPad) remaining() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

func (p *simPad) onAck(_ mqtt.Client, m mqtt.Message) {
	topic := protocol.Topic(p.id, protocol.DownAck)
	if _, err := trust.VerifyDown(p.central, topic, m.Payload(), time.Now()); err != nil {
		p.badAcks.Add(1)
		return
	}
	a, err := protocol.ParseAck(m.Payload())
	if err != nil {
		p.badAcks.Add(1)
		return
	}
	p.mu.Lock()
	n := len(p.pending)
	for _, id := range a.IDs {
		delete(p.pending, id)
	}
	moved := n != len(p.pending)
	p.mu.Unlock()
	if moved {
		select {
		case p.acked <- struct{}{}:
		default:
		}
	}
}

// send publishes the unacked records, oldest first, fleetBatch a message.
func (p *simPad) send(cl mqtt.Client) {
	p.mu.Lock()
	var recs [][]byte
	for _, id := range p.order {
		if p.pending[id] {
			recs = append(recs, p.records[id])
		}
	}
	p.mu.Unlock()
	for len(recs) > 0 {
		n := min(len(recs), fleetBatch)
		// Not waited on: paho keeps a QoS 1 message until the broker took
		// it, and sends it again after a reconnect.
		cl.Publish(protocol.Topic(p.id, protocol.UpRecords), 1, false, protocol.AppendRecords(nil, p.id, recs[:n]))
		recs = recs[n:]
	}
}

// run connects and drains until every record is acked or ctx ends.
func (p *simPad) run(ctx context.Context, brokers []string, connected func()) error {
	o := mqtt.NewClientOptions().SetClientID("evalpad-" + p.id).SetCleanSession(false).SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(2 * time.Second).
		SetKeepAlive(10 * time.Second).SetPingTimeout(5 * time.Second).SetConnectTimeout(10 * time.Second).
		SetOnConnectHandler(func(c mqtt.Client) {
			// Again while the broker refuses it (a NATS node, while
			// JetStream elects leaders after a node died).
			go func() {
				for c.IsConnectionOpen() {
					if central.SubscribeError(c.Subscribe(protocol.Topic(p.id, protocol.DownAck), 1, p.onAck), 10*time.Second) == nil {
						return
					}
					time.Sleep(time.Second)
				}
			}()
		})
	for _, b := range brokers {
		o.AddBroker(b)
	}
	cl := mqtt.NewClient(o)
	cl.Connect()
	defer cl.Disconnect(0)
	for !cl.IsConnectionOpen() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pad %s: never connected", p.id)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if connected != nil {
		connected()
	}
	p.send(cl)
	timer := time.NewTimer(fleetAckTimeout)
	defer timer.Stop()
	for p.remaining() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pad %s: %d records never acked", p.id, p.remaining())
		case <-p.acked:
			timer.Reset(fleetAckTimeout)
		case <-timer.C:
			p.send(cl) // the link's resend from the oldest unacked
			timer.Reset(fleetAckTimeout)
		}
	}
	return nil
}

// buildFleet registers the pads in the store at dsn (as enrollment does:
// each with its own key) and signs their backlogs, records dated an hour
// ago; ids are unique across the fleet.
func buildFleet(t *testing.T, dsn string, hubKey ed25519.PrivateKey) []*simPad {
	t.Helper()
	ctx := context.Background()
	st, err := central.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	hash, _ := passwd.Hash(passwd.Random()) // the brokers of this test do not ask pads for passwords
	pads := make([]*simPad, fleetPads)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)*2)
	for i := range pads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cp := centraltest.NewPad(fmt.Sprintf("FLEET-%04d", i))
			err := enrollSim(ctx, st, cp, hash, now.Add(-24*time.Hour))
			p := &simPad{id: cp.ID, central: trust.Public(hubKey), records: map[string][]byte{}, pending: map[string]bool{},
				acked: make(chan struct{}, 1)}
			for k := range fleetBacklog {
				r := cp.Record(i*1000+k+1, now.Add(-time.Hour), func(r *rating.Record) { r.Seq = uint64(k + 1) })
				b := centraltest.SignWith(t, cp.Key, r)
				p.records[r.ID], p.pending[r.ID] = b, true
				p.order = append(p.order, r.ID)
			}
			pads[i] = p
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return pads
}

// enrollSim registers p as POST /api/v1/enroll would.
func enrollSim(ctx context.Context, st *central.SQLStore, p *centraltest.Pad, hash string, at time.Time) error {
	code, _, err := central.IssueCode(ctx, st, p.ID, time.Hour, false, nil, at)
	if err != nil {
		return err
	}
	pub := trust.Public(p.Key)
	_, err = st.Enroll(ctx, central.CodeHash(code), at, func(*central.Registered, central.Code) (central.Registered, error) {
		return central.Registered{DeviceID: p.ID, PublicKey: pub, Fingerprint: trust.Fingerprint(pub), MQTTUser: p.ID, MQTTHash: hash,
			Hardware: map[string]string{}, Version: "fleet", EnrolledAt: at.UTC(), UpdatedAt: at.UTC(), Status: central.DeviceActive}, nil
	})
	return err
}

func runFleet(t *testing.T, s fleetSetup) {
	dsn := centraltest.Postgres(t)
	data := t.TempDir()
	key, err := server.LoadKey(data, slog.New(slog.DiscardHandler)) // made here, then read by both evalhubs
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	pads := buildFleet(t, dsn, key)
	t.Logf("%d pads registered, %d records signed in %v", fleetPads, fleetPads*fleetBacklog, time.Since(start).Round(time.Millisecond))
	args := []string{"--broker", s.broker, "--db", dsn, "--data", data, "--group", "fleet"}
	if s.nats != "" {
		args = append(args, "--nats", s.nats)
	}
	hubs := []*hubProc{startHub(t, "evalhub-1", args...), startHub(t, "evalhub-2", args...)}

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := func() int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM records").Scan(&n); err != nil {
			t.Logf("count: %v", err)
		}
		return n
	}

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	start = time.Now()
	errs := make(chan error, len(pads))
	var wg sync.WaitGroup
	var nconn atomic.Int64
	connected := func() {
		if nconn.Add(1) == fleetPads {
			t.Logf("all %d pads connected %v in, %d records stored", fleetPads, time.Since(start).Round(time.Millisecond), stored())
		}
	}
	for i, p := range pads {
		wg.Go(func() {
			if err := p.run(ctx, s.padBrokers(i), connected); err != nil {
				errs <- err
			}
		})
	}
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	total := fleetPads * fleetBacklog
	killedHub, killedNode := false, s.killNode == nil
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last, lastAt, nextLog := -1, time.Now(), time.Now().Add(15*time.Second)
wait:
	for {
		select {
		case <-drained:
			break wait
		case <-tick.C:
		}
		n := stored()
		if time.Now().After(nextLog) {
			t.Logf("%v: %d records stored, %d pads connected", time.Since(start).Round(time.Second), n, nconn.Load())
			nextLog = nextLog.Add(15 * time.Second)
		}
		if n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) > time.Minute && ctx.Err() == nil {
			t.Errorf("stalled: %d records stored, none for a minute", n)
			cancel()
		}
		if !killedHub && n >= total/3 {
			hubs[0].cmd.Process.Signal(syscall.SIGKILL)
			<-hubs[0].done
			killedHub = true
			t.Logf("evalhub-1 killed (SIGKILL) at %d records stored, %v in", n, time.Since(start).Round(time.Millisecond))
		}
		if !killedNode && n >= 2*total/3 {
			s.killNode()
			killedNode = true
			t.Logf("a NATS node killed (SIGKILL) at %d records stored, %v in", n, time.Since(start).Round(time.Millisecond))
		}
	}
	took := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !killedHub || !killedNode {
		t.Errorf("drained before the kills (evalhub %v, node %v): nothing was proven about them", killedHub, killedNode)
	}
	var count, distinct int
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT id) FROM records").Scan(&count, &distinct); err != nil {
		t.Fatal(err)
	}
	if count != total || distinct != total {
		t.Errorf("stored %d records, %d distinct ids; want %d each", count, distinct, total)
	}
	want := map[string]bool{}
	for _, p := range pads {
		for id := range p.records {
			want[id] = true
		}
		if n := p.badAcks.Load(); n > 0 {
			t.Errorf("pad %s refused %d acks", p.id, n)
		}
	}
	rows, err := db.Query("SELECT id FROM records")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		delete(want, id)
	}
	rows.Close()
	if len(want) != 0 {
		t.Errorf("%d records of the backlogs not stored", len(want))
	}
	var rejected int
	db.QueryRow("SELECT COUNT(*) FROM rejected").Scan(&rejected)
	if rejected != 0 {
		t.Errorf("%d records rejected", rejected)
	}
	t.Logf("%d records from %d pads stored once and acked in %v: %.0f records/s (%d CPUs)", total, fleetPads,
		took.Round(time.Millisecond), float64(total)/took.Seconds(), runtime.NumCPU())
}
