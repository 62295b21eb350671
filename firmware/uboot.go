package firmware

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// UBoot is full-image A/B through U-Boot's environment, read and written
// with fw_printenv and fw_setenv (Debian's u-boot-tools). The payload is a
// root filesystem image written into the inactive slot's block device (or
// file). The variables:
//
//	boot_slot          a|b: the slot U-Boot boots (bootcmd passes it to the
//	                   kernel as evalpad.slot=<slot>)
//	upgrade_available  1 while a slot is on trial: U-Boot counts its boots
//	bootcount          boots of the trial so far (U-Boot's bootcmd adds one
//	                   at each boot while upgrade_available=1)
//	bootlimit          the boots a trial gets; past it U-Boot runs altbootcmd
//	altbootcmd         setenv boot_slot ${good_slot}; setenv upgrade_available 0;
//	                   saveenv; run bootcmd
//	good_slot          the last slot marked good
//	trial_slot         the slot Switch put on trial, until MarkGood or a
//	                   rollback; a boot that runs another slot was rolled back
//	version_a, version_b  the version each slot holds ("" while written)
//	failed_version, failed_from, failed_reason  the last trial that failed
//
// Every change is one fw_setenv script: one write of the environment
// (with a redundant environment, U-Boot keeps the previous copy until
// the new one is whole).
type UBoot struct {
	Config           string // fw_env.config for -c; "" is the tools' default (/etc/fw_env.config)
	RootfsA, RootfsB string // the slots' block devices (or image files)
	Cmdline          string // the kernel command line; "" is /proc/cmdline
	BootLimit        int    // written to bootlimit at Switch; 0: DefaultBootLimit
	Now              func() time.Time
}

var _ BootControl = (*UBoot)(nil)

func (u *UBoot) args(a ...string) []string {
	if u.Config != "" {
		a = append([]string{"-c", u.Config}, a...)
	}
	return a
}

// env reads the whole environment.
func (u *UBoot) env() (map[string]string, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command("fw_printenv", u.args()...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("firmware: fw_printenv: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	env := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env, sc.Err()
}

// setenv writes vars in one fw_setenv script ("name=value" lines; an empty
// value deletes the variable).
func (u *UBoot) setenv(vars ...string) error {
	var b strings.Builder
	for i := 0; i+1 < len(vars); i += 2 {
		if strings.ContainsAny(vars[i+1], "\n\r") || strings.ContainsAny(vars[i], "= \n") {
			return fmt.Errorf("firmware: setenv %q: bad name or value", vars[i])
		}
		b.WriteString(vars[i] + "=" + vars[i+1] + "\n")
	}
	f, err := os.CreateTemp("", "evalpad-fw_setenv-*")
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	var errb bytes.Buffer
	cmd := exec.Command("fw_setenv", u.args("-s", f.Name())...)
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("firmware: fw_setenv: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	// fw_setenv exits 0 on a script it did not apply: read it back.
	env, err := u.env()
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(vars); i += 2 {
		if env[vars[i]] != vars[i+1] {
			return fmt.Errorf("firmware: fw_setenv did not set %s=%q (it reads %q)", vars[i], vars[i+1], env[vars[i]])
		}
	}
	return nil
}

// Active is the slot the kernel was booted from (evalpad.slot= on the
// command line), else boot_slot.
func (u *UBoot) Active() (string, error) {
	env, err := u.env()
	if err != nil {
		return "", err
	}
	return u.running(env)
}

func (u *UBoot) running(env map[string]string) (string, error) {
	path := u.Cmdline
	if path == "" {
		path = "/proc/cmdline"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("firmware: %w", err)
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "evalpad.slot="); ok {
			if v != SlotA && v != SlotB {
				return "", fmt.Errorf("%w: the kernel command line says evalpad.slot=%q", ErrSlot, v)
			}
			return v, nil
		}
	}
	if s := env["boot_slot"]; s == SlotA || s == SlotB {
		return s, nil
	}
	return "", fmt.Errorf("%w: no evalpad.slot= on the kernel command line and boot_slot is %q", ErrSlot, env["boot_slot"])
}

// State reads the environment. A trial whose slot is not the one running
// and no longer pending was rolled back by U-Boot (bootcount past
// bootlimit: altbootcmd): State records it as failed first.
func (u *UBoot) State() (State, error) {
	env, err := u.env()
	if err != nil {
		return State{}, err
	}
	run, err := u.running(env)
	if err != nil {
		return State{}, err
	}
	ts := env["trial_slot"]
	pending := env["upgrade_available"] == "1" && env["boot_slot"] == ts
	if ts != "" && ts != run && !pending {
		err := u.setenv("trial_slot", "", "failed_version", env["version_"+ts], "failed_from", env["version_"+run],
			"failed_reason", fmt.Sprintf("the bootloader rolled back after %s boots (bootlimit %s)", env["bootcount"], env["bootlimit"]),
			"failed_at", u.now().UTC().Format(time.RFC3339))
		if err != nil {
			return State{}, err
		}
		if env, err = u.env(); err != nil {
			return State{}, err
		}
	}
	limit, _ := strconv.Atoi(env["bootlimit"])
	st := State{Active: run, Good: env["good_slot"], BootLimit: limit,
		Versions: map[string]string{SlotA: env["version_a"], SlotB: env["version_b"]}}
	if st.Good == "" {
		st.Good = run
	}
	if ts := env["trial_slot"]; ts != "" {
		boots, _ := strconv.Atoi(env["bootcount"])
		st.Trial = &Trial{Slot: ts, Version: env["version_"+ts], From: env["version_"+st.Good], Boots: boots}
	}
	if v := env["failed_version"]; v != "" {
		at, _ := time.Parse(time.RFC3339, env["failed_at"])
		st.Failed = &Failed{Version: v, From: env["failed_from"], Reason: env["failed_reason"], At: at}
	}
	return st, nil
}

func (u *UBoot) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *UBoot) device(slot string) string {
	if slot == SlotA {
		return u.RootfsA
	}
	return u.RootfsB
}

// settled is the running slot when no trial is pending and it is the good one.
func (u *UBoot) settled() (string, error) {
	st, err := u.State()
	if err != nil {
		return "", err
	}
	if st.Trial != nil {
		return "", fmt.Errorf("%w: %s (slot %s)", ErrTrial, st.Trial.Version, st.Trial.Slot)
	}
	if st.Active != st.Good {
		return "", fmt.Errorf("%w: running %s but good_slot is %s", ErrSlot, st.Active, st.Good)
	}
	return st.Active, nil
}

// Install writes the root filesystem image payload into the inactive
// slot's device.
func (u *UBoot) Install(payload io.Reader, size int64, m Manifest) (string, error) {
	if m.Kind != "rootfs" {
		return "", fmt.Errorf("%w: %q (U-Boot slots install \"rootfs\")", ErrKind, m.Kind)
	}
	cur, err := u.settled()
	if err != nil {
		return "", err
	}
	slot := Other(cur)
	dev := u.device(slot)
	if dev == "" {
		return "", fmt.Errorf("%w: no device for slot %s in the config", ErrSlot, slot)
	}
	if err := u.setenv("version_"+slot, ""); err != nil {
		return "", err
	}
	if err := writeDevice(dev, payload, size); err != nil {
		return "", err
	}
	return slot, u.setenv("version_"+slot, m.Version)
}

// writeDevice writes exactly size bytes of r at the start of dev (a block
// device, or a file cut to size) and syncs it.
func writeDevice(dev string, r io.Reader, size int64) error {
	f, err := os.OpenFile(dev, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	n, err := io.CopyN(f, r, size)
	if err == io.EOF {
		err = fmt.Errorf("%w: payload ended after %d of %d bytes", ErrSize, n, size)
	} else if err == nil {
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			err = fmt.Errorf("%w: payload longer than %d bytes", ErrSize, size)
		}
	}
	if fi, serr := f.Stat(); err == nil && serr == nil && fi.Mode().IsRegular() {
		err = f.Truncate(size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("firmware: install into %s: %w", dev, err)
	}
	return nil
}

// Switch makes U-Boot boot slot next, on trial.
func (u *UBoot) Switch(slot string) error {
	cur, err := u.settled()
	if err != nil {
		return err
	}
	if slot != Other(cur) {
		return fmt.Errorf("%w: %q is not the inactive slot (%s runs)", ErrSlot, slot, cur)
	}
	env, err := u.env()
	if err != nil {
		return err
	}
	if env["version_"+slot] == "" {
		return fmt.Errorf("%w: slot %s holds no complete install", ErrSlot, slot)
	}
	limit := u.BootLimit
	if limit <= 0 {
		limit = DefaultBootLimit
	}
	return u.setenv("good_slot", cur, "trial_slot", slot, "boot_slot", slot, "upgrade_available", "1",
		"bootcount", "0", "bootlimit", strconv.Itoa(limit))
}

// MarkGood makes the running slot, on trial, the good one.
func (u *UBoot) MarkGood() error {
	st, err := u.State()
	if err != nil {
		return err
	}
	if st.Trial == nil || st.Active != st.Trial.Slot {
		return ErrNoTrial
	}
	return u.setenv("good_slot", st.Active, "trial_slot", "", "upgrade_available", "0", "bootcount", "0",
		"failed_version", "", "failed_from", "", "failed_reason", "", "failed_at", "")
}

// Rollback ends the trial as failed: U-Boot boots the good slot next (the
// caller reboots).
func (u *UBoot) Rollback(reason string) error {
	st, err := u.State()
	if err != nil {
		return err
	}
	if st.Trial == nil {
		return ErrNoTrial
	}
	return u.setenv("boot_slot", st.Good, "trial_slot", "", "upgrade_available", "0", "bootcount", "0",
		"failed_version", st.Trial.Version, "failed_from", st.Trial.From, "failed_reason", reason,
		"failed_at", u.now().UTC().Format(time.RFC3339))
}
