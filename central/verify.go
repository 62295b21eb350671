package central

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"evalpad/trust"
)

// CentralFlags are the flags only the central puts on a record: a pad's
// record carrying one is refused (a pad-sent "default" would otherwise
// count as a default 4★).
var CentralFlags = []string{FlagDefault, FlagChannel, FlagWindow}

// Check is what the hub checks of a parsed record before it stores it,
// beyond protocol v1 (Parse):
//
//   - its device (the topic's, the envelope's and the record's, which Parse
//     made sure are one) is registered and active;
//   - its sig verifies with that device's registered key (trust.Verify,
//     trust.RecordDomain, over the record as received);
//   - it carries no flag the central owns (CentralFlags) and its id is not
//     a version 8 UUID (the ids the central derives, DefaultID);
//   - its "at" is at most Skew ahead of now, and not more than Skew before
//     the device's key was registered.
//
// What fails becomes a Reject with the reason: stored apart, acked (so the
// pad stops sending it), shown, counted in no figure.
//
// The age of an unrated record does not matter beyond that: the time rule
// (TimeRule) gives a default 4★ to any session not rated within 1 + 4
// working days, however late the pad reports it, because a session the
// citizen did not rate in time is due its default by the rules. What made
// that an attack — unrated records made up with old dates — is closed by
// the signature (only the pad's key makes records) and by the enrollment
// bound (no record older than the key).
type Check struct {
	Devices map[string]Registered
	Now     time.Time
	Skew    time.Duration
}

// Apply moves the rows of p that fail the check to p.Rejects. The
// signatures of a large message are verified on every core: an ed25519
// verification costs about 100 µs here, most of a drain's time.
func (c Check) Apply(p *Parsed) {
	if p.Device == "" {
		return
	}
	reasons := make([]string, len(p.Rows))
	workers := min(runtime.GOMAXPROCS(0), len(p.Rows)/parallelRows)
	if workers < 2 {
		for i := range p.Rows {
			reasons[i] = c.reason(&p.Rows[i])
		}
	} else {
		var wg sync.WaitGroup
		chunk := (len(p.Rows) + workers - 1) / workers
		for lo := 0; lo < len(p.Rows); lo += chunk {
			hi := min(lo+chunk, len(p.Rows))
			wg.Go(func() {
				for i := lo; i < hi; i++ {
					reasons[i] = c.reason(&p.Rows[i])
				}
			})
		}
		wg.Wait()
	}
	kept := p.Rows[:0]
	for i, r := range p.Rows {
		if reason := reasons[i]; reason != "" {
			p.Rejects = append(p.Rejects, Reject{ID: r.ID, DeviceID: p.Device, Reason: reason, Body: r.Body, ReceivedAt: r.ReceivedAt})
			continue
		}
		kept = append(kept, r)
	}
	p.Rows = kept
}

// parallelRows is the fewest rows per worker worth a goroutine.
const parallelRows = 32

func (c Check) reason(r *Row) string {
	d, ok := c.Devices[r.DeviceID]
	switch {
	case !ok:
		return fmt.Sprintf("device %s is not registered", r.DeviceID)
	case d.Status != DeviceActive:
		return fmt.Sprintf("device %s is %s", r.DeviceID, d.Status)
	}
	if err := trust.Verify(d.PublicKey, trust.RecordDomain, r.Body); err != nil {
		return fmt.Sprintf("sig: %v (key %s)", err, d.Fingerprint)
	}
	for _, f := range r.Flags {
		if slices.Contains(CentralFlags, f) {
			return fmt.Sprintf("flags: %q is the central's to set", f)
		}
	}
	if r.ID[14] == '8' {
		return "id: a version 8 UUID is the central's (derived records)"
	}
	switch {
	case r.AtUTC.After(c.Now.Add(c.Skew)):
		return fmt.Sprintf("at: %s is more than %v %s (%s)", r.At, c.Skew, reasonAhead, c.Now.UTC().Format(time.RFC3339))
	case r.AtUTC.Before(d.EnrolledAt.Add(-c.Skew)):
		return fmt.Sprintf("at: %s is %s (%s)", r.At, reasonBeforeKey, d.EnrolledAt.Format(time.RFC3339))
	}
	return ""
}

// The reasons of a record refused for its date: SeqReport counts them.
const (
	reasonAhead     = "ahead of the central's clock"
	reasonBeforeKey = "before the device's key was registered"
)
