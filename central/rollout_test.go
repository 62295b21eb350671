package central

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// clock is a settable clock for the rollouts' timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fleet is a central (store, embedded broker, hub, downlinks, rollouts)
// and simulated pads that answer update commands as told.
type fleet struct {
	st    *SQLStore
	rs    *Rollouts
	rs2   *Rollouts
	clock *clock
	pads  map[string]*centraltest.Updater

	mu      sync.Mutex
	outcome map[string]string // device → protocol.Update… or "silent", "refuse"; default good
}

var testFirmware = Firmware{SHA256: strings.Repeat("ab", 32), Version: "1.3.0", Arch: "arm64", Kind: "agent", Size: 4 << 20,
	MinVersion: "1.0.0", StoreFormat: 1, KeyID: "k1", PublishedAt: t0}

// newFleet enrolls pads named by halls (device id → hall set by config;
// "" for none) on a central of dsn.
func newFleet(t *testing.T, dsn string, halls map[string]string) *fleet {
	return newFleetOn(t, "embedded", dsn, halls)
}

// newFleetOn is newFleet on broker "embedded" or "mosquitto" (testBroker).
func newFleetOn(t *testing.T, broker, dsn string, halls map[string]string) *fleet {
	ctx := context.Background()
	f := &fleet{st: openStore(t, dsn), clock: &clock{t: time.Now()}, pads: map[string]*centraltest.Updater{}, outcome: map[string]string{}}
	key := testKey(t)
	if _, err := f.st.AddFirmware(ctx, testFirmware); err != nil {
		t.Fatal(err)
	}
	url, user, pw := testBroker(t, broker, f.st)
	var down *Downlinks
	var hub *Hub
	hub = runHub(t, HubOptions{Broker: url, ClientID: "evalhub-1", Username: user, Password: pw, Key: key, Devices: f.st.DevicesByID,
		OnStatus:    func(dev string, s protocol.Status) { f.rs.OnStatus(ctx, dev, s) },
		OnCmdResult: func(dev string, r protocol.CmdResult, _ []byte) { f.rs.OnCmdResult(ctx, dev, r) }}, f.st)
	down = &Downlinks{Key: key, Store: f.st, Publish: hub.Publish}
	f.rs = NewRollouts(Rollouts{Store: f.st, Send: down.SendCmd, Now: f.clock.Now,
		URL: func(sha string) string { return "http://hub.example:8090/firmware/" + sha }})
	// A second instance on the same database steps at the same time.
	f.rs2 = NewRollouts(*f.rs)
	for id, hall := range halls {
		p := centraltest.NewPad(id)
		enrollPad(t, f.st, p, key, time.Now().Add(-time.Hour))
		if hall != "" {
			if err := f.st.SetConfig(ctx, id, &protocol.Config{Hall: &hall}); err != nil {
				t.Fatal(err)
			}
		}
		cl := p.Connect(t, url, nil)
		f.pads[id] = p.AnswerUpdates(t, cl, func(c protocol.Cmd) []centraltest.UpdateStep {
			f.mu.Lock()
			o := f.outcome[id]
			f.mu.Unlock()
			switch o {
			case "silent":
				return nil
			case "refuse":
				return centraltest.Refuses("firmware: signature: unknown key id")
			}
			return centraltest.Installs(c, "1.2.0", o)
		})
	}
	return f
}

func (f *fleet) set(outcomes map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range outcomes {
		f.outcome[k] = v
	}
}

// sentTo are the pads that got an update command so far.
func (f *fleet) sentTo() []string {
	var out []string
	for id, u := range f.pads {
		if len(u.Cmds()) > 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// step steps the rollouts and waits until no pad of rollout id is on
// its way.
func (f *fleet) step(t *testing.T, id string) Rollout {
	t.Helper()
	ctx := context.Background()
	if err := f.rs.Step(ctx); err != nil {
		t.Fatal(err)
	}
	return f.wait(t, id)
}

// stepBoth steps two instances at once, then waits as step does.
func (f *fleet) stepBoth(t *testing.T, id string) Rollout {
	t.Helper()
	var wg sync.WaitGroup
	for _, rs := range []*Rollouts{f.rs, f.rs2} {
		wg.Go(func() {
			if err := rs.Step(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return f.wait(t, id)
}

// wait waits until no pad of rollout id is on its way (each one sent has
// its outcome, or is silent).
func (f *fleet) wait(t *testing.T, id string) Rollout {
	t.Helper()
	ctx := context.Background()
	var r Rollout
	centraltest.Eventually(t, "the pads' outcomes", func() bool {
		var err error
		if r, err = f.st.Rollout(ctx, id); err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Pads {
			f.mu.Lock()
			silent := f.outcome[p.DeviceID] == "silent"
			f.mu.Unlock()
			if p.State != PadPending && !Finished(p.State) && !silent {
				return false
			}
		}
		return true
	})
	return r
}

func devicesOf(pads []RolloutPad, keep func(p RolloutPad) bool) []string {
	var out []string
	for _, p := range pads {
		if keep(p) {
			out = append(out, p.DeviceID)
		}
	}
	slices.Sort(out)
	return out
}

// TestRolloutCanaryThenBatches: a hall's pads (by the config the central
// set, or by their newest record) get the update — canary first, the
// rest only once the canary is good, then a batch at a time — and no pad
// of another hall gets it. Each command is signed, names the published
// artifact's URL, sha256, size and version, and each pad's progress and
// outcome is kept.
func TestRolloutCanaryThenBatches(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			halls := map[string]string{"TA-B1": "B厅", "TA-R": ""}
			for i := 1; i <= 5; i++ {
				halls[fmt.Sprintf("TA-A%d", i)] = "A厅"
			}
			f := newFleet(t, b.open(t), halls)
			// TA-R has no config: its newest record says hall A.
			r1, r2 := rec(1, func(r *rating.Record) { r.DeviceID, r.Hall = "TA-R", "B厅" }), rec(2, func(r *rating.Record) { r.DeviceID, r.Hall = "TA-R", "A厅" })
			if _, err := f.st.Insert(ctx, rowsOf(r1, r2), nil); err != nil {
				t.Fatal(err)
			}
			r, err := f.rs.Create(ctx, RolloutSpec{Version: "1.3.0", Hall: "A厅", Canary: 2, Batch: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Pads) != 6 || r.Counts[PadPending] != 6 || r.SHA256 != testFirmware.SHA256 || r.MaxFailures != DefaultMaxFailures {
				t.Fatalf("rollout %+v", r)
			}
			want := []string{"TA-A1", "TA-A2", "TA-A3", "TA-A4", "TA-A5", "TA-R"}
			if got := devicesOf(r.Pads, func(RolloutPad) bool { return true }); !slices.Equal(got, want) {
				t.Fatalf("pads %v, want %v", got, want)
			}
			canary := devicesOf(r.Pads, func(p RolloutPad) bool { return p.Canary })
			// The canary alone first.
			r = f.step(t, r.ID)
			if got := f.sentTo(); !slices.Equal(got, canary) || r.Counts[PadGood] != 2 {
				t.Fatalf("after the first step sent to %v, want the canary %v; counts %v", got, canary, r.Counts)
			}
			for _, p := range r.Pads {
				if p.Canary && (p.Bytes != testFirmware.Size || p.Total != testFirmware.Size || p.SentAt == nil || p.CmdID == "") {
					t.Errorf("canary pad %+v", p)
				}
			}
			c := f.pads[canary[0]].Cmds()[0]
			if c.URL != "http://hub.example:8090/firmware/"+testFirmware.SHA256 || c.SHA256 != testFirmware.SHA256 || c.Size != testFirmware.Size || c.Version != "1.3.0" {
				t.Errorf("command %+v", c)
			}
			// Then batches of 2, each after the one before finished.
			for i, n := range []int{4, 6, 6} {
				r = f.step(t, r.ID)
				if got := len(f.sentTo()); got != n {
					t.Fatalf("batch %d: %d pads sent to, want %d", i+1, got, n)
				}
			}
			if r.State != RolloutDone || r.Counts[PadGood] != 6 {
				t.Errorf("rollout %s, counts %v", r.State, r.Counts)
			}
			if len(f.pads["TA-B1"].Cmds()) != 0 {
				t.Error("a pad of another hall got the update")
			}
			for id, u := range f.pads {
				if len(u.Cmds()) > 1 || len(u.Refused()) > 0 {
					t.Errorf("%s: %d commands, refused %v", id, len(u.Cmds()), u.Refused())
				}
			}
			// A retained status seen again (a hub reconnecting) changes nothing.
			p := r.Pads[0]
			f.rs.OnStatus(ctx, p.DeviceID, protocol.Status{Update: &protocol.UpdateStatus{ID: p.CmdID, State: PadDownloading, Bytes: 1, Total: 2}})
			if again, _ := f.st.Rollout(ctx, r.ID); again.Pads[0].State != PadGood {
				t.Errorf("an old report moved a good pad back to %s", again.Pads[0].State)
			}
		})
	}
}

// TestRolloutTwoInstances: two centrals on one database step a rollout at
// the same time, again and again: each pad is sent the update once.
func TestRolloutTwoInstances(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			halls := map[string]string{}
			for i := 1; i <= 12; i++ {
				halls[fmt.Sprintf("TA-%02d", i)] = ""
			}
			f := newFleet(t, b.open(t), halls)
			r, err := f.rs.Create(context.Background(), RolloutSpec{Version: "1.3.0", Percent: 100, Canary: 2, Batch: 3})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; r.State == RolloutRunning; i++ {
				if i == 20 {
					t.Fatalf("not done after 20 steps: %v", r.Counts)
				}
				r = f.stepBoth(t, r.ID)
			}
			if r.State != RolloutDone || r.Counts[PadGood] != 12 {
				t.Errorf("rollout %s, counts %v", r.State, r.Counts)
			}
			for id, u := range f.pads {
				if n := len(u.Cmds()); n != 1 {
					t.Errorf("%s was sent %d commands", id, n)
				}
			}
		})
	}
}

// TestRolloutHalts: a pad that gives no outcome in time counts as a
// failure; when failures ÷ finished pads exceed the bound the rollout
// halts and the pads after get nothing, however often it is stepped.
func TestRolloutHalts(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			halls := map[string]string{}
			for i := 1; i <= 15; i++ {
				halls[fmt.Sprintf("TA-%02d", i)] = ""
			}
			f := newFleet(t, b.open(t), halls)
			r, err := f.rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 100, Batch: 5, Timeout: protocol.Duration{Duration: 30 * time.Minute}})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Pads) != 15 || r.Canary != 0 {
				t.Fatalf("rollout %+v", r)
			}
			order := devicesOf(r.Pads, func(RolloutPad) bool { return true })
			slices.SortFunc(order, func(a, b string) int {
				return cmp.Compare(PickHash(r.ID, a), PickHash(r.ID, b))
			})
			// Batch 1: one pad never answers.
			f.set(map[string]string{order[0]: "silent"})
			r = f.step(t, r.ID)
			if r.Counts[PadGood] != 4 || r.Counts[PadSent] != 1 || len(f.sentTo()) != 5 {
				t.Fatalf("batch 1: counts %v, sent to %v", r.Counts, f.sentTo())
			}
			// Batch 2 waits for it: stepping sends nothing.
			r = f.step(t, r.ID)
			if len(f.sentTo()) != 5 {
				t.Fatalf("batch 2 went before batch 1 finished: %v", f.sentTo())
			}
			// Its time runs out: 1 failure of 5 finished is 0.2, not more
			// than 0.2, so batch 2 goes: one rolls back, one refuses, one
			// is silent too.
			f.clock.Add(31 * time.Minute)
			f.set(map[string]string{order[5]: protocol.UpdateRolledBack, order[6]: "refuse", order[7]: "silent"})
			r = f.step(t, r.ID)
			if r.Pads[0].State != PadTimedOut {
				t.Errorf("the silent pad is %s, want timed_out", r.Pads[0].State)
			}
			if len(f.sentTo()) != 10 {
				t.Fatalf("batch 2: sent to %d pads, want 10", len(f.sentTo()))
			}
			r = f.step(t, r.ID)
			if r.State != RolloutHalted || !strings.Contains(r.Reason, "3 of 9 finished pads failed") {
				t.Fatalf("rollout %s (%s), counts %v", r.State, r.Reason, r.Counts)
			}
			if r.Counts[PadRolledBack] != 1 || r.Counts[PadFailed] != 1 || r.Counts[PadTimedOut] != 1 || r.Counts[PadSent] != 1 || r.Counts[PadPending] != 5 {
				t.Errorf("counts %v", r.Counts)
			}
			for _, p := range r.Pads {
				if p.DeviceID == order[6] && !strings.Contains(p.Error, "unknown key id") {
					t.Errorf("the refusing pad's error: %q", p.Error)
				}
			}
			for range 3 {
				f.clock.Add(time.Hour)
				f.step(t, r.ID)
			}
			if got := f.sentTo(); len(got) != 10 {
				t.Errorf("after the halt %d pads were sent the update, want 10", len(got))
			}
			// The silent pad of batch 2 timed out, halted or not.
			if r, _ = f.st.Rollout(ctx, r.ID); r.Counts[PadTimedOut] != 2 || r.Counts[PadSent] != 0 {
				t.Errorf("after the halt, counts %v", r.Counts)
			}
			if _, err := f.rs.Halt(ctx, r.ID, "again"); !errors.Is(err, ErrRolloutOver) {
				t.Errorf("halting a halted rollout: %v", err)
			}
		})
	}
}

// TestRolloutCanaryFails: a canary pad that rolls back halts the rollout
// at once; the others get nothing. An operator's halt stops another.
// It runs on Mosquitto too.
func TestRolloutCanaryFails(t *testing.T) {
	for _, broker := range []string{"embedded", "mosquitto"} {
		t.Run(broker, func(t *testing.T) { testRolloutCanaryFails(t, broker) })
	}
}

func testRolloutCanaryFails(t *testing.T, broker string) {
	ctx := context.Background()
	f := newFleetOn(t, broker, t.TempDir()+"/h.db", map[string]string{"TA-1": "", "TA-2": "", "TA-3": "", "TA-4": ""})
	f.set(map[string]string{"TA-1": protocol.UpdateRolledBack, "TA-2": protocol.UpdateRolledBack, "TA-3": protocol.UpdateRolledBack, "TA-4": protocol.UpdateRolledBack})
	mf := 0.9
	r, err := f.rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 100, Canary: 1, MaxFailures: &mf})
	if err != nil {
		t.Fatal(err)
	}
	f.step(t, r.ID)
	r = f.step(t, r.ID)
	if r.State != RolloutHalted || !strings.Contains(r.Reason, "canary") || len(f.sentTo()) != 1 || r.Counts[PadRolledBack] != 1 {
		t.Fatalf("rollout %s (%s), sent to %v", r.State, r.Reason, f.sentTo())
	}
	f.set(map[string]string{"TA-2": "", "TA-3": "", "TA-4": ""})
	r2, err := f.rs.Create(ctx, RolloutSpec{Version: "1.3.0", Devices: []string{"TA-2", "TA-3"}})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := f.rs.Halt(ctx, r2.ID, "halted by an operator"); err != nil || h.State != RolloutHalted {
		t.Fatalf("halt: %v %+v", err, h)
	}
	f.step(t, r2.ID)
	if len(f.sentTo()) != 1 {
		t.Errorf("a halted rollout sent: %v", f.sentTo())
	}
}

// TestRolloutCreate: the pads a spec picks, a percentage reproducibly by
// the rollout's id, and the specs refused with nothing stored.
func TestRolloutCreate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir()+"/h.db")
	key := testKey(t)
	for i := 1; i <= 20; i++ {
		enrollPad(t, st, centraltest.NewPad(fmt.Sprintf("TA-%02d", i)), key, t0)
	}
	if _, err := st.AddFirmware(ctx, testFirmware); err != nil {
		t.Fatal(err)
	}
	rs := &Rollouts{Store: st}
	r, err := rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 25, Canary: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pads) != 5 {
		t.Fatalf("25%% of 20 pads: %d", len(r.Pads))
	}
	// Reproducible: the 5 pads of lowest PickHash(rollout id, device id).
	all := make([]string, 20)
	for i := range all {
		all[i] = fmt.Sprintf("TA-%02d", i+1)
	}
	slices.SortFunc(all, func(a, b string) int { return cmp.Compare(PickHash(r.ID, a), PickHash(r.ID, b)) })
	stored, err := st.Rollout(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range stored.Pads {
		got = append(got, p.DeviceID)
	}
	if !slices.Equal(got, all[:5]) || !stored.Pads[0].Canary || !stored.Pads[1].Canary || stored.Pads[2].Canary {
		t.Errorf("picked %v, want %v", got, all[:5])
	}
	if r2, _ := rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 1}); len(r2.Pads) != 1 {
		t.Errorf("1%% of 20 pads is %d pads, want 1 (at least one)", len(r2.Pads))
	}
	// Pads of another arch are left out and said so.
	other := centraltest.NewPad("TA-X86")
	enrollPad(t, st, other, key, t0)
	st.db.Exec(`UPDATE devices SET hardware = '{"arch":"amd64"}' WHERE device_id = 'TA-X86'`)
	if r3, err := rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 100}); err != nil || len(r3.Pads) != 20 || len(r3.Skipped) != 1 {
		t.Errorf("all pads: %v, %d pads, skipped %v", err, len(r3.Pads), r3.Skipped)
	}
	before, _ := st.Rollouts(ctx, "", 100)
	mf := 1.5
	for _, tc := range []struct {
		spec RolloutSpec
		err  error
		msg  string
	}{
		{RolloutSpec{}, ErrRollout, "version"},
		{RolloutSpec{Version: "1.3.0"}, ErrRollout, "percent 100"},
		{RolloutSpec{Version: "9.9.9", Percent: 100}, ErrNoFirmware, "9.9.9"},
		{RolloutSpec{Version: "1.3.0", Percent: 100, Arch: "riscv64"}, ErrNoFirmware, "riscv64"},
		{RolloutSpec{Version: "1.3.0", Hall: "A厅", Devices: []string{"TA-01"}}, ErrRollout, "not both"},
		{RolloutSpec{Version: "1.3.0", Devices: []string{"TA-01"}, Percent: 10}, ErrRollout, "percent"},
		{RolloutSpec{Version: "1.3.0", Percent: 101}, ErrRollout, "percent"},
		{RolloutSpec{Version: "1.3.0", Percent: 100, MaxFailures: &mf}, ErrRollout, "max_failures"},
		{RolloutSpec{Version: "1.3.0", Percent: 100, Canary: -1}, ErrRollout, "canary"},
		{RolloutSpec{Version: "1.3.0", Percent: 100, Timeout: protocol.Duration{Duration: 30 * 24 * time.Hour}}, ErrRollout, "timeout"},
		{RolloutSpec{Version: "1.3.0", Devices: []string{"TA-01", "TA-GHOST"}}, ErrNoDevice, "TA-GHOST"},
		{RolloutSpec{Version: "1.3.0", Devices: []string{"TA-01", "TA-01"}}, ErrRollout, "twice"},
		{RolloutSpec{Version: "1.3.0", Devices: []string{"TA-X86"}}, ErrRollout, "amd64"},
		{RolloutSpec{Version: "1.3.0", Hall: "无此大厅"}, ErrRollout, "no active pad"},
		{RolloutSpec{Version: "1.3.0", Hall: "大厅\u202e"}, ErrRollout, "control characters"},
		{RolloutSpec{Version: strings.Repeat("1", 65), Percent: 100}, ErrRollout, "at most 64"},
	} {
		if _, err := rs.Create(ctx, tc.spec); !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v, want %v with %q", tc.spec, err, tc.err, tc.msg)
		}
	}
	if after, _ := st.Rollouts(ctx, "", 100); len(after) != len(before) {
		t.Errorf("refused specs stored rollouts: %d, then %d", len(before), len(after))
	}
	// Two artifacts of one version: the arch must be said.
	second := testFirmware
	second.SHA256, second.Arch = strings.Repeat("cd", 32), "amd64"
	st.AddFirmware(ctx, second)
	if _, err := rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 100}); !errors.Is(err, ErrRollout) || !strings.Contains(err.Error(), "say which arch") {
		t.Errorf("ambiguous version: %v", err)
	}
	// (Pads that did not say their arch at enrollment are in: they verify
	// the artifact's arch themselves.)
	if r4, err := rs.Create(ctx, RolloutSpec{Version: "1.3.0", Percent: 100, Arch: "amd64"}); err != nil || len(r4.Pads) != 21 || len(r4.Skipped) != 0 {
		t.Errorf("amd64: %v %d pads, skipped %v", err, len(r4.Pads), r4.Skipped)
	}
}

// TestRolloutRoutes: reading rollouts needs a supervisor's token, making
// and halting them an operator's; bad specs are 400, unknown ids 404, a
// halt of a halted rollout 409.
func TestRolloutRoutes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir()+"/h.db")
	key := testKey(t)
	for _, id := range []string{"TA-1", "TA-2"} {
		enrollPad(t, st, centraltest.NewPad(id), key, t0)
	}
	st.AddFirmware(ctx, testFirmware)
	mux := http.NewServeMux()
	(&API{Auth: &Auth{Tokens: st}, Store: st, Rollouts: &Rollouts{Store: st}}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sup, _ := IssueToken(ctx, st, RoleSupervisor, "", time.Now())
	op, _ := IssueToken(ctx, st, RoleOperator, "", time.Now())
	do := func(method, path, tok, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	spec := `{"version":"1.3.0","devices":["TA-1","TA-2"],"canary":1,"max_failures":0.5,"timeout":"20m"}`
	for _, tc := range []struct {
		method, path, tok, body string
		want                    int
	}{
		{"POST", "/api/v1/rollouts", "", spec, 401},
		{"POST", "/api/v1/rollouts", sup, spec, 403},
		{"GET", "/api/v1/rollouts", "", "", 401},
		{"GET", "/api/v1/firmware", "", "", 401},
		{"POST", "/api/v1/rollouts", op, `{"version":"1.3.0","hall":"A","devices":["TA-1"]}`, 400},
		{"POST", "/api/v1/rollouts", op, `{"version":"1.3.0","percent":100,"colour":"blue"}`, 400},
		{"POST", "/api/v1/rollouts", op, `{"version":"1.3.0","percent":100,"timeout":"soon"}`, 400},
		{"POST", "/api/v1/rollouts", op, `{"version":"2.0.0","percent":100}`, 404},
		{"POST", "/api/v1/rollouts", op, `{"version":"1.3.0","devices":["TA-9"]}`, 404},
		{"GET", "/api/v1/rollouts/" + NewID(), sup, "", 404},
		{"POST", "/api/v1/rollouts/" + NewID() + "/halt", op, "", 404},
	} {
		if got, b := do(tc.method, tc.path, tc.tok, tc.body); got != tc.want {
			t.Errorf("%s %s %s: %d %s, want %d", tc.method, tc.path, tc.body, got, b, tc.want)
		}
	}
	code, b := do("POST", "/api/v1/rollouts", op, spec)
	var r Rollout
	if err := json.Unmarshal(b, &r); code != 201 || err != nil || len(r.Pads) != 2 || r.Canary != 1 || r.MaxFailures != 0.5 || r.Timeout.Duration != 20*time.Minute {
		t.Fatalf("create: %d %s", code, b)
	}
	if code, b := do("GET", "/api/v1/rollouts/"+r.ID, sup, ""); code != 200 || !strings.Contains(string(b), `"pending":2`) {
		t.Errorf("get: %d %s", code, b)
	}
	if code, b := do("GET", "/api/v1/rollouts?state=running", sup, ""); code != 200 || !strings.Contains(string(b), r.ID) {
		t.Errorf("list: %d %s", code, b)
	}
	if code, b := do("GET", "/api/v1/firmware", sup, ""); code != 200 || !strings.Contains(string(b), testFirmware.SHA256) {
		t.Errorf("firmware: %d %s", code, b)
	}
	if code, _ := do("POST", "/api/v1/rollouts/"+r.ID+"/halt", sup, ""); code != 403 {
		t.Errorf("halt with a supervisor's token: %d", code)
	}
	if code, b := do("POST", "/api/v1/rollouts/"+r.ID+"/halt", op, `{"reason":"wrong build"}`); code != 200 || !strings.Contains(string(b), "wrong build") {
		t.Errorf("halt: %d %s", code, b)
	}
	if code, _ := do("POST", "/api/v1/rollouts/"+r.ID+"/halt", op, ""); code != 409 {
		t.Errorf("halt again: %d, want 409", code)
	}
}
