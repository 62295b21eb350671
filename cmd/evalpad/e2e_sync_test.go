package main

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/sync/mqtttest"
)

const e2eRatings = 1000

// e2eSetup starts Mosquitto and an evalhub with startHub (SQLite, or the
// database of hubArgs) and returns them with a data dir and config for the pad.
func e2eSetup(t *testing.T, device string, startHub func(testing.TB, ...string) *e2eHub, hubArgs ...string) (b *mqtttest.Mosquitto, hub *e2eHub, args []string, dir, cfg string) {
	if testing.Short() {
		t.Skip("end-to-end: runs Mosquitto, evalhub and evalpad")
	}
	b = mqtttest.Start(t)
	dir = t.TempDir()
	hubArgs = append([]string{"--broker", b.URL(), "--data", filepath.Join(dir, "hub")}, hubArgs...)
	hub = startHub(t, hubArgs...)
	cfg = e2eConfig(t, dir, device)
	e2eProvision(t, hub, hubArgs, device, filepath.Join(dir, "pad"), cfg)
	return b, hub, hubArgs, dir, cfg
}

func e2ePadArgs(dir, cfg, broker string, extra ...string) []string {
	return append([]string{"--data", filepath.Join(dir, "pad"), "--config", cfg, "--broker", broker,
		"--sync-ack-timeout", "2s", "--sync-retry-min", "100ms", "--sync-retry-max", "1s"}, extra...)
}

// TestSyncThousandRatings: 1,000 ratings pad → Mosquitto → evalhub, each
// stored exactly once, on SQLite and on PostgreSQL.
func TestSyncThousandRatings(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var hubArgs []string
			if db == "postgres" {
				hubArgs = []string{"--db", centraltest.Postgres(t)}
			}
			b, hub, _, dir, cfg := e2eSetup(t, "E2E-PLAIN", e2eStartHub, hubArgs...)
			pad := startSim(t, e2ePadArgs(dir, cfg, b.URL(), "--sync-batch", "64")...)
			r := e2eNewRater("plain")
			r.rate(pad, e2eRatings, nil)
			e2eCheckExactlyOnce(t, pad, hub, r)
			if c := hub.counters(t); c.New != e2eRatings {
				t.Errorf("hub stored %d new records, want %d", c.New, e2eRatings)
			}
		})
	}
}

// TestSyncBrokerRestart: the broker is SIGKILLed midway and restarted while
// the pad keeps rating; what was in flight is sent again.
func TestSyncBrokerRestart(t *testing.T) {
	b, hub, _, dir, cfg := e2eSetup(t, "E2E-BROKER", e2eStartHub)
	pad := startSim(t, e2ePadArgs(dir, cfg, b.URL(), "--sync-batch", "32")...)
	r := e2eNewRater("broker")
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.rate(pad, e2eRatings, nil)
	}()
	e2eWaitFor(t, 60*time.Second, "300 ratings", func() bool { return r.count() >= 300 })
	b.Kill()
	e2eWaitFor(t, 60*time.Second, "600 ratings", func() bool { return r.count() >= 600 })
	b.Restart()
	<-done
	e2eCheckExactlyOnce(t, pad, hub, r)
}

// TestSyncFlakyNetwork: the pad reaches the broker through a proxy that cuts
// every connection at random moments.
func TestSyncFlakyNetwork(t *testing.T) {
	b, hub, _, dir, cfg := e2eSetup(t, "E2E-FLAKY", e2eStartHub)
	proxy := mqtttest.StartProxy(t, b.Addr())
	pad := startSim(t, e2ePadArgs(dir, cfg, proxy.URL(), "--sync-batch", "16", "--sync-inflight", "2")...)
	r := e2eNewRater("flaky")
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.rate(pad, e2eRatings, nil)
	}()
	// Cut a live connection at a random moment, again and again, while the
	// pad rates and until at least 15 were cut.
	cuts := 0
	rng := rand.New(rand.NewPCG(1, 2))
	for rated := false; !rated || cuts < 15; {
		select {
		case <-done:
			rated = true
		default:
		}
		e2eWaitFor(t, 30*time.Second, "the pad to reconnect through the proxy", func() bool { return proxy.Open() > 0 })
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		cuts += proxy.Cut()
	}
	e2eCheckExactlyOnce(t, pad, hub, r)
	t.Logf("%d connections cut", cuts)
}

// TestSyncPadKilled: the pad is SIGKILLed while it rates and sends batches
// (records in flight, unacked), 5 times, and restarted on its data dir;
// what was unacked at the kill goes again.
func TestSyncPadKilled(t *testing.T) {
	b, hub, _, dir, cfg := e2eSetup(t, "E2E-PADKILL", e2eStartHub)
	args := e2ePadArgs(dir, cfg, b.URL(), "--sync-batch", "8", "--sync-inflight", "2")
	r := e2eNewRater("padkill")
	rng := rand.New(rand.NewPCG(3, 4))
	inFlight := 0
	for range 5 {
		pad := startSim(t, args...)
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.rate(pad, e2eRatings, nil)
		}()
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		if e2ePending(pad) > 0 {
			inFlight++
		}
		pad.kill() // the rater's next call fails and it returns
		<-done
	}
	if inFlight == 0 {
		t.Errorf("the outbox was empty at every kill: nothing was in flight")
	}
	pad := startSim(t, args...)
	if n := e2eRatings - r.count(); n > 0 {
		r.rate(pad, n, nil)
	}
	e2eCheckExactlyOnce(t, pad, hub, r)
	t.Logf("%d of 5 kills with records unacked", inFlight)
}

// TestSyncHubKilledBeforeAck: evalhub dies by SIGKILL right after a commit,
// before it sends the ack, several times; the pad sends those records again
// and the restarted hub stores them once and acks them. The hubs that die
// are this test binary running central/server (e2eStartCrashingHub); the
// last one, which lives, is the evalhub binary on the same database.
func TestSyncHubKilledBeforeAck(t *testing.T) {
	crashing := func(t testing.TB, args ...string) *e2eHub { return e2eStartCrashingHub(t, 3, args...) }
	b, hub, hubArgs, dir, cfg := e2eSetup(t, "E2E-HUBKILL", crashing)
	pad := startSim(t, e2ePadArgs(dir, cfg, b.URL(), "--sync-batch", "32")...)
	r := e2eNewRater("hubkill")
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.rate(pad, e2eRatings, nil)
	}()
	// Each evalhub dies after its 3rd commit; restart it, up to 4 times, or
	// until everything is acked (a commit may carry many messages).
	kills := 0
	rated := false
	for kills < 4 {
		if hub.exited(20 * time.Millisecond) {
			kills++
			hub = crashing(t, hubArgs...)
			continue
		}
		select {
		case <-done:
			rated = true
		default:
		}
		if rated && e2ePending(pad) == 0 {
			break
		}
	}
	if kills == 0 {
		t.Fatal("evalhub never died after a commit: the test did not exercise a commit without its ack")
	}
	<-done
	// Last, a hub that lives.
	hub.kill()
	hub = e2eStartHub(t, hubArgs...)
	e2eCheckExactlyOnce(t, pad, hub, r)
	if c := hub.counters(t); c.Duplicates == 0 {
		t.Errorf("hub %+v: the records committed but not acked before the kills were not seen again", c)
	}
	t.Logf("evalhub killed %d times after a commit, before its ack", kills)
}
