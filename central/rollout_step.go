package central

import (
	"context"
	"errors"
	"fmt"
	"time"

	"evalpad/sync/protocol"
)

// How a rollout moves on: the pads' reports (OnStatus, OnCmdResult), the
// steps (Step, run by Run) that send the commands due, time pads out and
// halt or finish a rollout, and an operator's Halt. rollout.go has the
// states and the rules.

// Halt halts a running rollout (ErrNoRollout, ErrRolloutOver).
func (rs *Rollouts) Halt(ctx context.Context, id, reason string) (Rollout, error) {
	r, err := rs.Store.Rollout(ctx, id)
	if err != nil {
		return Rollout{}, err
	}
	ok, err := rs.Store.SetRolloutState(ctx, id, RolloutRunning, RolloutHalted, reason, rs.now())
	if err != nil {
		return Rollout{}, err
	}
	if !ok {
		return Rollout{}, fmt.Errorf("%w: %s is %s", ErrRolloutOver, id, r.State)
	}
	rs.log().Warn("evalhub: rollout halted", "rollout", id, "reason", reason)
	return rs.Store.Rollout(ctx, id)
}

// OnStatus takes a pad's up/status: an update report whose id is a
// rollout's command moves that pad on.
func (rs *Rollouts) OnStatus(ctx context.Context, device string, st protocol.Status) {
	u := st.Update
	if u == nil || u.ID == "" || padRank(u.State) < 0 {
		return
	}
	rs.update(ctx, device, u.ID, RolloutPad{State: u.State, Bytes: max(u.Bytes, 0), Total: max(u.Total, 0), Error: u.Error})
}

// OnCmdResult takes a pad's answer to a command: an update refused
// (ok false) failed; one accepted is installing.
func (rs *Rollouts) OnCmdResult(ctx context.Context, device string, r protocol.CmdResult) {
	p := RolloutPad{State: PadInstalling}
	if !r.OK {
		p = RolloutPad{State: PadFailed, Error: r.Error}
	}
	rs.update(ctx, device, r.ID, p)
}

func (rs *Rollouts) update(ctx context.Context, device, cmdID string, p RolloutPad) {
	if !protocol.IsUUID(cmdID) {
		return
	}
	p.Error = cleanText(p.Error, 300)
	id, err := rs.Store.UpdateRolloutPad(ctx, device, cmdID, p, rs.now())
	if err != nil {
		rs.log().Error("evalhub: rollout pad", "device", device, "err", err)
		return
	}
	// Only an outcome can change what a step does: progress reports do
	// not wake it.
	if id != "" && Finished(p.State) {
		rs.log().Info("evalhub: rollout pad finished", "rollout", id, "device", device, "state", p.State, "error", p.Error)
		rs.Kick()
	}
}

// Kick makes Run step now.
func (rs *Rollouts) Kick() {
	if rs.kick == nil {
		return
	}
	select {
	case rs.kick <- struct{}{}:
	default:
	}
}

// Run steps the running rollouts every interval and whenever a pad
// reports an outcome, until ctx ends. Rollouts made by another process (evalhub
// firmware rollout) start at the next interval.
func (rs *Rollouts) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := rs.Step(ctx); err != nil && ctx.Err() == nil {
			rs.log().Error("evalhub: rollouts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-rs.kick:
		}
	}
}

// NewRollouts makes Rollouts whose Kick wakes Run.
func NewRollouts(rs Rollouts) *Rollouts {
	rs.kick = make(chan struct{}, 1)
	return &rs
}

// Step moves every rollout on: timeouts (of halted ones too), then for
// each running one the halt rule, done, and the commands due.
func (rs *Rollouts) Step(ctx context.Context) error {
	// Timeouts first, of halted rollouts too: their pads sent go on.
	if n, err := rs.Store.TimeOutRolloutPads(ctx, rs.now()); err != nil {
		return err
	} else if n > 0 {
		rs.log().Warn("evalhub: rollout pads without an outcome in time", "pads", n)
	}
	list, err := rs.Store.Rollouts(ctx, RolloutRunning, 1000)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range list {
		if err := rs.step(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("rollout %s: %w", r.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (rs *Rollouts) step(ctx context.Context, r Rollout) error {
	now := rs.now()
	finished, failures, canaryGood := 0, 0, 0
	for _, p := range r.Pads {
		if Finished(p.State) {
			finished++
		}
		if Failure(p.State) {
			failures++
			if p.Canary {
				return rs.halt(ctx, r, fmt.Sprintf("canary pad %s: %s %s", p.DeviceID, p.State, p.Error))
			}
		}
		if p.Canary && p.State == PadGood {
			canaryGood++
		}
	}
	if failures > 0 && float64(failures)/float64(finished) > r.MaxFailures {
		return rs.halt(ctx, r, fmt.Sprintf("%d of %d finished pads failed, more than %g", failures, finished, r.MaxFailures))
	}
	if finished == len(r.Pads) {
		if ok, err := rs.Store.SetRolloutState(ctx, r.ID, RolloutRunning, RolloutDone, "", now); err != nil || !ok {
			return err
		}
		rs.log().Info("evalhub: rollout done", "rollout", r.ID, "version", r.Version, "good", r.Counts[PadGood], "failed", failures)
		return nil
	}
	// What to send now: the canary pads; once all are good, the next
	// batch when no pad of the batch before is still going.
	var due []RolloutPad
	if canaryGood < r.Canary {
		for _, p := range r.Pads {
			if p.Canary && p.State == PadPending {
				due = append(due, p)
			}
		}
	} else {
		going := 0
		for _, p := range r.Pads {
			if !p.Canary && p.State != PadPending && !Finished(p.State) {
				going++
			}
		}
		if going == 0 {
			for _, p := range r.Pads {
				if !p.Canary && p.State == PadPending && len(due) < r.Batch {
					due = append(due, p)
				}
			}
		}
	}
	if rs.Send == nil || len(due) == 0 {
		return nil
	}
	url := rs.URL(r.SHA256)
	var errs []error
	for _, p := range due {
		// Halted meanwhile (an operator, another instance): send nothing more.
		if state, err := rs.Store.RolloutState(ctx, r.ID); err != nil || state != RolloutRunning {
			return err
		}
		c := protocol.Cmd{ID: NewID(), Cmd: protocol.CmdUpdate, URL: url, SHA256: r.SHA256, Size: r.Size, Version: r.Version}
		ok, err := rs.Store.ClaimRolloutPad(ctx, r.ID, p.DeviceID, c.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := rs.Send(ctx, p.DeviceID, c, r.Timeout.Duration); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.DeviceID, err))
			if err := rs.Store.UnclaimRolloutPad(ctx, r.ID, p.DeviceID, c.ID, now); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		rs.log().Info("evalhub: update sent", "rollout", r.ID, "device", p.DeviceID, "version", r.Version, "canary", p.Canary, "cmd", c.ID)
	}
	return errors.Join(errs...)
}

func (rs *Rollouts) halt(ctx context.Context, r Rollout, reason string) error {
	ok, err := rs.Store.SetRolloutState(ctx, r.ID, RolloutRunning, RolloutHalted, reason, rs.now())
	if err == nil && ok {
		rs.log().Warn("evalhub: rollout halted", "rollout", r.ID, "version", r.Version, "reason", reason)
	}
	return err
}
