package firmware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BootResult is what the boot step decided.
type BootResult struct {
	Slot       string  // the slot to run
	Trial      *Trial  // the trial it boots, nil for a good slot
	RolledBack *Failed // the trial this boot rolled back, nil for none
}

// Boot is the bootloader's step, run once before each start of the agent
// (by `evalpad boot`, the good slot's binary): it finishes what a crash cut
// short, counts the boot of a version on trial and rolls it back when its
// boots pass the limit or its deadline has passed. now is the time of the
// boot.
//
// What a crash can leave, and what Boot does with it:
//   - no trial, current ≠ good: a rollback stopped after the state file
//     was written; current is pointed at good.
//   - a trial whose slot is good: MarkGood stopped before the state file;
//     the trial is over, good.
//   - a trial whose slot is not current: Switch stopped before the
//     symlink; the trial never started and is dropped (the update was not
//     answered: Switch did not return).
func (s *AgentSlots) Boot(now time.Time) (BootResult, error) {
	st, err := s.State()
	if err != nil {
		return BootResult{}, err
	}
	f := &slotsFile{Versions: st.Versions, Trial: st.Trial, Failed: st.Failed}
	t := st.Trial
	switch {
	case t == nil && st.Active != st.Good:
		if err := s.link("current", st.Good); err != nil {
			return BootResult{}, err
		}
		return BootResult{Slot: st.Good}, nil
	case t == nil:
		return BootResult{Slot: st.Active}, nil
	case t.Slot == st.Good:
		f.Trial, f.Failed = nil, nil
		return BootResult{Slot: st.Good}, s.writeState(f)
	case t.Slot != st.Active:
		f.Trial = nil
		return BootResult{Slot: st.Active}, s.writeState(f)
	}
	t.Boots++
	limit, trial := s.limit(), s.trialTime()
	if t.BootLimit > 0 {
		limit = t.BootLimit
	}
	if t.TrialSeconds > 0 {
		trial = time.Duration(t.TrialSeconds) * time.Second
	}
	reason := ""
	switch {
	case t.Boots > limit:
		reason = fmt.Sprintf("started %d times without marking itself good (boot limit %d)", t.Boots-1, limit)
	case !t.Deadline.IsZero() && now.After(t.Deadline):
		reason = fmt.Sprintf("not marked good by its trial deadline %s", t.Deadline.Format(time.RFC3339))
	}
	if reason != "" {
		if err := s.rollback(st, reason); err != nil {
			return BootResult{}, err
		}
		st, err := s.State()
		if err != nil {
			return BootResult{}, err
		}
		return BootResult{Slot: st.Good, RolledBack: st.Failed}, nil
	}
	if t.Deadline.IsZero() {
		t.Deadline = now.Add(trial).UTC()
	}
	if err := s.writeState(f); err != nil {
		return BootResult{}, err
	}
	return BootResult{Slot: t.Slot, Trial: t}, nil
}

// Exit codes of the boot supervisor besides the agent's own.
const (
	// ExitRestart asks the service manager for a restart: the agent exits
	// with it after installing an update, the supervisor after a trial
	// deadline or a restart request. systemd's Restart=always restarts on
	// any exit; the code tells a log reader why.
	ExitRestart = 75
)

// EnvSlots names the slots root in the agent's environment when the boot
// supervisor runs it: the agent on trial finds its boot control there.
const EnvSlots = "EVALPAD_SLOTS"

// Supervise is `evalpad boot`: the boot step, then the slot's agent run as
// a child with args (its stdio, environment and NOTIFY_SOCKET are this
// process's, plus EnvSlots), and its exit code returned. A child rather
// than exec: the supervisor outlives a version on trial and stops it when
// its deadline passes without MarkGood, rolling it back. Signals on sig are
// forwarded to the child; SIGHUP instead asks for a restart: the child is
// stopped (SIGTERM) and Supervise returns ExitRestart, so the service
// manager boots again (`evalpad update` sends it after a switch). The
// supervisor's pid is in ROOT/boot.pid while it runs.
func Supervise(ctx context.Context, s *AgentSlots, args []string, sig <-chan os.Signal, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res, err := s.Boot(s.now())
	if err != nil {
		return 1, err
	}
	if f := res.RolledBack; f != nil {
		log.Error("boot: trial rolled back", "version", f.Version, "back_to", f.From, "reason", f.Reason)
	}
	pidFile := filepath.Join(s.Root, "boot.pid")
	if err := writeAtomic(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return 1, err
	}
	defer os.Remove(pidFile)
	root, err := filepath.Abs(s.Root)
	if err != nil {
		return 1, fmt.Errorf("firmware: %w", err)
	}
	cmd := exec.Command(s.Binary(res.Slot), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), EnvSlots+"="+root)
	log.Info("boot: starting", "slot", res.Slot, "trial", res.Trial != nil)
	if err := cmd.Start(); err != nil {
		// A binary that cannot even start is a failed boot too: the next
		// boot counts it.
		return 1, fmt.Errorf("firmware: start slot %s: %w", res.Slot, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var deadline <-chan time.Time
	if res.Trial != nil {
		tm := time.NewTimer(res.Trial.Deadline.Sub(s.now()))
		defer tm.Stop()
		deadline = tm.C
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		kill := time.AfterFunc(15*time.Second, func() { cmd.Process.Kill() })
		<-done
		kill.Stop()
	}
	for {
		select {
		case err := <-done:
			code := exitCode(err)
			log.Info("boot: agent exited", "slot", res.Slot, "code", code)
			return code, nil
		case v := <-sig:
			if v == syscall.SIGHUP {
				log.Info("boot: restart requested")
				stop()
				return ExitRestart, nil
			}
			cmd.Process.Signal(v)
		case <-deadline:
			st, err := s.State()
			if err != nil || st.Trial == nil || st.Trial.Slot != res.Slot {
				deadline = nil // marked good (or no longer ours): nothing to do
				continue
			}
			log.Error("boot: trial not marked good by its deadline: stopping it and rolling back", "version", st.Trial.Version)
			stop()
			err = s.rollback(st, fmt.Sprintf("not marked good by its trial deadline %s", st.Trial.Deadline.Format(time.RFC3339)))
			return ExitRestart, err
		case <-ctx.Done():
			stop()
			return ExitRestart, ctx.Err()
		}
	}
}

// exitCode is the shell's view of a child's end: its code, or 128+signal.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// RequestRestart asks the boot supervisor running the slots at root, if
// any, to restart the agent (SIGHUP); false when none runs.
func RequestRestart(root string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(root, "boot.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("firmware: %w", err)
	}
	pid, err := strconv.Atoi(string(trimSpace(b)))
	if err != nil || pid <= 1 {
		return false, fmt.Errorf("%w: %s/boot.pid: %q", ErrSlot, root, b)
	}
	// A supervisor killed without removing its pid file may have left its
	// pid to another process: signal it only if it is an `evalpad boot`.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil &&
		!strings.Contains(string(cmdline), "\x00boot\x00") {
		return false, nil
	} else if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return false, nil // a supervisor killed without cleaning up
		}
		return false, fmt.Errorf("firmware: signal the boot supervisor: %w", err)
	}
	return true, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
