package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"evalpad/central"
	"evalpad/firmware"
	"evalpad/sync/mqtttest"
	"evalpad/sync/protocol"
)

// rolloutPad is a pad of TestRolloutEndToEnd: agent slots under the boot
// supervisor loop, its client now, and the ids of the records it rated.
type rolloutPad struct {
	*fwPad
	id  string
	c   *child
	ids []string
}

// TestRolloutEndToEnd: a hall of three pads on agent slots, each running
// 1.0.0 under the boot supervisor as systemd runs it, enrolled by a real
// evalhub (child process, Mosquitto of the test's own) — two with the hall
// in the config evalhub sets, one whose records name it — and a pad of
// another hall, which no rollout touches. The operator publishes 1.1.0 and
// rolls the hall out through the API with a canary of 1: the canary is
// sent the update alone and the others only once it reports good — which
// it does while evalhub is frozen, then SIGKILLed and started again, which
// carries on; every pad ends on 1.1.0 marked good, the rollout done with
// every pad good. Then 1.2.0, which crashes at start: the canary rolls
// back to 1.1.0 by itself and reports rolled_back, the rollout halts, and
// the others are sent nothing and stay on 1.1.0. Every rating pressed on
// any pad, before, between and after, reaches evalhub once.
func TestRolloutEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs Mosquitto, evalhub and evalpad")
	}
	buildFirmware(t)
	b := mqtttest.Start(t)
	dir := t.TempDir()
	hubArgs := []string{"--broker", b.URL(), "--data", filepath.Join(dir, "hub")}
	hub := e2eStartHub(t, hubArgs...)
	store := e2eStoreArgs(hubArgs)
	operator := e2eEvalhub(t, append([]string{"token", "--role", "operator"}, store...)...)

	const hall = "泰安市政务服务中心"
	hallCfg := filepath.Join(dir, "hall.json")
	if err := os.WriteFile(hallCfg, fmt.Appendf(nil, `{"hall":%q,"window":"1"}`, hall), 0o600); err != nil {
		t.Fatal(err)
	}
	// A pad enrolled with its hall in the config evalhub sets on it (RO-1,
	// RO-2), or with none, whose records name the hall of its own config
	// (RO-3: it rates, so evalhub knows its hall); DY-1 rates in another
	// hall and is left out.
	newPad := func(id, ownHall string, enroll ...string) *rolloutPad {
		t.Helper()
		p := &rolloutPad{fwPad: newFWPad(t, fw.old, "1.0.0", ""), id: id}
		conf, err := os.ReadFile(p.conf)
		if err != nil {
			t.Fatal(err)
		}
		top := fmt.Sprintf("device_id = %q\n", id)
		if ownHall != "" {
			top += fmt.Sprintf("hall = %q\n", ownHall)
		}
		if err := os.WriteFile(p.conf, append([]byte(top), conf...), 0o600); err != nil {
			t.Fatal(err)
		}
		e2eProvision(t, hub, hubArgs, id, p.data, p.conf, enroll...)
		p.c = p.start().up()
		p.ids = p.check(p.c, "1.0.0", nil)
		return p
	}
	pads := map[string]*rolloutPad{}
	for _, id := range []string{"RO-1", "RO-2"} {
		pads[id] = newPad(id, "", "--config", hallCfg)
	}
	pads["RO-3"] = newPad("RO-3", hall)
	other := newPad("DY-1", "岱岳区政务服务中心")
	for _, p := range []*rolloutPad{pads["RO-3"], other} {
		e2eWaitFor(t, 30*time.Second, p.id+"'s rating to reach evalhub", func() bool { return e2ePending(p.c) == 0 })
	}

	// Phase 1: 1.1.0 to the hall, canary first.
	publish := func(artifact string) {
		t.Helper()
		e2eEvalhub(t, append([]string{"firmware", "publish", artifact, "--vendor-key", fw.pub}, store...)...)
	}
	publish(fw.good)
	r0 := rolloutCreate(t, hub, operator, fmt.Sprintf(`{"version":"1.1.0","hall":%q,"canary":1}`, hall))
	if len(r0.Pads) != 3 || !r0.Pads[0].Canary {
		t.Fatalf("the rollout's pads: %+v", r0.Pads)
	}
	r := r0
	canary := r.Pads[0].DeviceID
	early := map[string]bool{}
	canaryFirst := func(r central.Rollout) {
		// Until the canary is good, no other pad is sent anything.
		if r.Pads[0].State != central.PadGood {
			for _, o := range r.Pads[1:] {
				if (o.State != central.PadPending || o.SentAt != nil) && !early[o.DeviceID] {
					early[o.DeviceID] = true
					t.Errorf("pad %s is %s while the canary %s is %s", o.DeviceID, o.State, canary, r.Pads[0].State)
				}
			}
		}
	}
	// Once the canary has the artifact, evalhub is frozen (SIGSTOP): the
	// canary installs, restarts and reports good with no evalhub to hear
	// it, and the others, sent nothing, rate on. Then evalhub is SIGKILLed
	// and started again on its data; it learns the canary's outcome from
	// its retained up/status and carries the rollout on.
	e2eWaitFor(t, 30*time.Second, "the canary to have its artifact", func() bool {
		r = central.Rollout{}
		if err := hub.get("/api/v1/rollouts/"+r0.ID, &r); err != nil {
			t.Fatal(err)
		}
		canaryFirst(r)
		return slices.Contains([]string{central.PadVerifying, central.PadInstalling, central.PadTrial, central.PadGood}, r.Pads[0].State)
	})
	frozenBeforeGood := r.Pads[0].State != central.PadGood
	t.Logf("evalhub frozen with the canary %s %s", canary, r.Pads[0].State)
	if err := hub.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	cp := pads[canary]
	cp.c = cp.svc.up()
	if st := cp.untilTrialOver(); st.Good != firmware.SlotB {
		t.Errorf("canary %s: slots %+v, want good on b", canary, st)
	}
	for _, p := range pads {
		if p.id == canary {
			continue
		}
		if _, err := os.Stat(filepath.Join(p.data, "update", "status.json")); frozenBeforeGood && !os.IsNotExist(err) {
			t.Errorf("pad %s has an update status (%v) before the canary's outcome reached evalhub", p.id, err)
		}
		p.ids = p.check(p.c, "1.0.0", p.ids)
	}
	hub.kill()
	hub = e2eStartHub(t, hubArgs...)
	r = rolloutWait(t, hub, r0.ID, canaryFirst)
	if r.State != central.RolloutDone || r.Counts[central.PadGood] != 3 {
		t.Fatalf("rollout %s (%s) %v, want done with 3 good\n%s", r.State, r.Reason, r.Counts, rolloutLogs(hub, pads))
	}
	for _, o := range r.Pads[1:] {
		if o.SentAt == nil || o.SentAt.Before(r.Pads[0].UpdatedAt) {
			t.Errorf("pad %s sent at %v, before the canary was good at %v", o.DeviceID, o.SentAt, r.Pads[0].UpdatedAt)
		}
	}
	for _, p := range pads {
		if p.id != canary {
			p.c = p.svc.up() // 1.1.0, started by the supervisor after the switch
		}
		st := p.untilTrialOver()
		if st.Good != firmware.SlotB || st.Active != firmware.SlotB || st.Versions[firmware.SlotB] != "1.1.0" || st.Failed != nil {
			t.Errorf("pad %s: slots %+v after the rollout", p.id, st)
		}
		if s := p.updateStatus(); s.State != protocol.UpdateGood || s.Version != "1.1.0" || s.From != "1.0.0" {
			t.Errorf("pad %s: update status %+v, want good", p.id, s)
		}
		p.ids = p.check(p.c, "1.1.0", p.ids)
	}
	rolloutExactlyOnce(t, hub, pads, other)

	// Phase 2: 1.2.0 crashes at start; the canary's failure halts it.
	publish(fw.crash)
	r = rolloutCreate(t, hub, operator, fmt.Sprintf(`{"version":"1.2.0","hall":%q,"canary":1}`, hall))
	if len(r.Pads) != 3 || !r.Pads[0].Canary {
		t.Fatalf("the rollout's pads: %+v", r.Pads)
	}
	canary = r.Pads[0].DeviceID
	r = rolloutWait(t, hub, r.ID, nil)
	if r.State != central.RolloutHalted || r.Pads[0].State != central.PadRolledBack {
		t.Fatalf("rollout %s (%s), canary %s %s; want halted, rolled_back\n%s", r.State, r.Reason, canary, r.Pads[0].State, rolloutLogs(hub, pads))
	}
	for _, o := range r.Pads[1:] {
		if o.State != central.PadPending || o.SentAt != nil {
			t.Errorf("pad %s is %s (sent %v) in a halted rollout", o.DeviceID, o.State, o.SentAt)
		}
	}
	for _, p := range pads {
		if p.id == canary {
			p.c = p.svc.up() // 1.1.0 again, after three crashed boots
			st := p.untilTrialOver()
			if st.Good != firmware.SlotB || st.Active != firmware.SlotB || st.Failed == nil || st.Failed.Version != "1.2.0" {
				t.Errorf("canary %s: slots %+v (failed %+v) after the rollback", p.id, st, st.Failed)
			}
			if s := p.updateStatus(); s.State != protocol.UpdateRolledBack || s.Version != "1.2.0" {
				t.Errorf("canary %s: update status %+v, want rolled_back", p.id, s)
			}
		} else {
			if s := p.updateStatus(); s.State != protocol.UpdateGood || s.Version != "1.1.0" {
				t.Errorf("pad %s: update status %+v, want good 1.1.0 still", p.id, s)
			}
			p.svc.mu.Lock()
			starts := p.svc.starts
			p.svc.mu.Unlock()
			if starts != 2 { // 1.0.0, then 1.1.0
				t.Errorf("pad %s was started %d times, want 2: nothing since 1.1.0", p.id, starts)
			}
		}
		p.ids = p.check(p.c, "1.1.0", p.ids)
	}
	// The pad of the other hall was in neither rollout, and rates on.
	other.ids = other.check(other.c, "1.0.0", other.ids)
	if st := other.slotsState(); st.Good != firmware.SlotA || st.Trial != nil || st.Failed != nil {
		t.Errorf("%s, of another hall: slots %+v", other.id, st)
	}
	if _, err := os.Stat(filepath.Join(other.data, "update", "status.json")); !os.IsNotExist(err) {
		t.Errorf("%s, of another hall, has an update status (%v): it was sent an update", other.id, err)
	}
	rolloutExactlyOnce(t, hub, pads, other)
	// Each config evalhub sent a pad is shown applied, though the pad
	// refused it as a replay at each restart after (it is retained).
	for _, id := range []string{"RO-1", "RO-2"} {
		var dl struct {
			Downlinks []central.Downlink `json:"downlinks"`
		}
		if err := hub.get("/api/v1/devices/"+id+"/downlinks", &dl); err != nil {
			t.Fatal(err)
		}
		configs := 0
		for _, d := range dl.Downlinks {
			if d.Kind != central.KindConfig {
				continue
			}
			configs++
			var res protocol.CmdResult
			if err := json.Unmarshal(d.Result, &res); err != nil || !res.OK {
				t.Errorf("pad %s: config %s sent %v answered %s, want ok", id, d.ID, d.SentAt, d.Result)
			}
		}
		if configs == 0 {
			t.Errorf("pad %s was sent no config", id)
		}
	}
	t.Logf("rollout %s: %s, %s", r.ID, r.State, r.Reason)
	if t.Failed() {
		t.Log(rolloutLogs(hub, pads))
	}
}

// rolloutCreate posts spec to /api/v1/rollouts with the operator's token.
func rolloutCreate(t *testing.T, hub *e2eHub, token, spec string) central.Rollout {
	t.Helper()
	req, err := http.NewRequest("POST", hub.base+"/api/v1/rollouts", strings.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r central.Rollout
	if err := json.Unmarshal(body, &r); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("POST /api/v1/rollouts %s: %s %s", spec, resp.Status, body)
	}
	return r
}

// rolloutWait polls the rollout until it is no longer running, calling
// each (if not nil) with every state seen.
func rolloutWait(t *testing.T, hub *e2eHub, id string, each func(central.Rollout)) central.Rollout {
	t.Helper()
	var r central.Rollout
	e2eWaitFor(t, 60*time.Second, "rollout "+id+" to end", func() bool {
		r = central.Rollout{}
		if err := hub.get("/api/v1/rollouts/"+id, &r); err != nil {
			t.Fatal(err)
		}
		if each != nil {
			each(r)
		}
		return r.State != central.RolloutRunning
	})
	return r
}

// rolloutExactlyOnce waits until the outbox of every pad (of pads and
// also) is empty, then checks that evalhub holds every record of every pad
// once, and nothing else.
func rolloutExactlyOnce(t *testing.T, hub *e2eHub, pads map[string]*rolloutPad, also ...*rolloutPad) {
	t.Helper()
	want := map[string]bool{}
	all := also
	for _, p := range pads {
		all = append(all, p)
	}
	for _, p := range all {
		e2eWaitFor(t, 30*time.Second, p.id+"'s outbox to drain", func() bool { return e2ePending(p.c) == 0 })
		for _, id := range p.ids {
			want[id] = true
		}
	}
	got := hub.ids(t)
	for id := range want {
		if got[id] != 1 {
			t.Errorf("rating %s stored %d times by evalhub", id, got[id])
		}
	}
	for id, n := range got {
		if !want[id] {
			t.Errorf("evalhub holds %s (%d times), which no pad rated", id, n)
		}
	}
}

func rolloutLogs(hub *e2eHub, pads map[string]*rolloutPad) string {
	var b bytes.Buffer
	for id, p := range pads {
		fmt.Fprintf(&b, "pad %s:\n%s\n", id, e2eTail(p.svc.logs(), 3000))
	}
	fmt.Fprintf(&b, "evalhub:\n%s", e2eTail(hub.stderr(), 3000))
	return b.String()
}
