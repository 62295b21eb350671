package agent

import (
	"fmt"
	"sort"

	"evalpad/agent/hardware"
	"evalpad/pad/localapi"
	"evalpad/store"
)

// FaultStoreDamaged is the fault code of a store that opening found damaged
// and repaired: the pad goes on rating, and a technician should look at
// GET /api/v1/store (and the damaged file kept aside) and then clear it.
const FaultStoreDamaged = "E13"

// FaultNotProvisioned is the fault line of a pad that syncs with no
// central key: it refuses every message from the central, so no record
// leaves its outbox.
const FaultNotProvisioned = "sync: not provisioned (no sync.central_key): every message from the central is refused, acks included; run evalpad provision"

// damageFaults are the fault lines of the store's damage report.
func damageFaults(ds []store.Damage) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%s: store damaged: %s; %d records salvaged, %d unreadable kept in quarantine; seq goes on at %d",
			FaultStoreDamaged, d.Problem, d.Salvaged, d.Quarantined, d.NextSeq)
		if d.KeptAs != "" {
			s += "; the damaged file is kept as " + d.KeptAs
		}
		out = append(out, s)
	}
	return out
}

// State is the pad's condition: its view, the outbox, the printer, and the
// faults — the one account that GET /api/v1/state serves and the MQTT
// status reports. A fault line is for a technician; only the pad's own
// fault (a commit that failed) stops ratings, the others do not.
func (a *Agent) State() localapi.State {
	st := localapi.State{View: a.pad.View(), Version: a.parts.Version, Faults: []string{}}
	out, err := a.store.Stats()
	st.Outbox = out
	if err != nil {
		st.Faults = append(st.Faults, "store: "+err.Error())
	}
	if f := st.Fault; f != nil {
		st.Faults = append(st.Faults, f.Code+": "+f.Error)
	}
	st.Faults = append(st.Faults, damageFaults(a.store.Damage())...)
	if a.hw.Printer != nil {
		ps := a.hw.Printer.Status()
		st.Printer = ps
		st.Faults = append(st.Faults, hardware.PrinterFaults(ps)...)
	}
	if e := a.voiceErr.Load(); e != nil {
		st.Faults = append(st.Faults, "voice: "+*e)
	}
	if e := a.panelErr.Load(); e != nil {
		st.Faults = append(st.Faults, "panel: "+*e)
	}
	var drivers []string
	a.driverErrs.Range(func(k, v any) bool {
		drivers = append(drivers, fmt.Sprintf("%s: stopped: %s", k, v))
		return true
	})
	sort.Strings(drivers)
	st.Faults = append(st.Faults, drivers...)
	if cfg := a.Config(); cfg.Sync.Broker != "" && cfg.Sync.CentralKey == "" {
		st.Faults = append(st.Faults, FaultNotProvisioned)
	}
	if out.Max > 0 && out.Pending*10 >= out.Max*9 {
		st.Faults = append(st.Faults, fmt.Sprintf("outbox 90%% full: %d of %d records unacked", out.Pending, out.Max))
	}
	return st
}
