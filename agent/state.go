package agent

import (
	"fmt"
	"sort"

	"evalpad/agent/hardware"
	"evalpad/pad/localapi"
)

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
	st.Faults = append(st.Faults, a.damage...)
	if a.hw.Printer != nil {
		ps := a.hw.Printer.Status()
		st.Printer = ps
		st.Faults = append(st.Faults, hardware.PrinterFaults(ps)...)
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
	if out.Max > 0 && out.Pending*10 >= out.Max*9 {
		st.Faults = append(st.Faults, fmt.Sprintf("outbox 90%% full: %d of %d records unacked", out.Pending, out.Max))
	}
	return st
}
