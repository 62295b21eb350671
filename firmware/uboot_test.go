package firmware

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// newUBoot makes a U-Boot environment in a plain file, as the pad image's
// build does with mkenvimage, and a fw_env.config pointing at it; slot a
// runs 1.0.0. The real fw_printenv/fw_setenv read and write it.
func newUBoot(t *testing.T) *UBoot {
	t.Helper()
	for _, tool := range []string{"fw_printenv", "fw_setenv", "mkenvimage"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install u-boot-tools)", tool)
		}
	}
	dir := t.TempDir()
	txt := filepath.Join(dir, "env.txt")
	must(t, os.WriteFile(txt, []byte("boot_slot=a\ngood_slot=a\nversion_a=1.0.0\nbootlimit=3\n"+
		"altbootcmd=setenv boot_slot ${good_slot}; setenv upgrade_available 0; saveenv; run bootcmd\n"), 0o600))
	env := filepath.Join(dir, "uboot.env")
	if out, err := exec.Command("mkenvimage", "-s", "0x4000", "-o", env, txt).CombinedOutput(); err != nil {
		t.Fatalf("mkenvimage: %v %s", err, out)
	}
	cfg := filepath.Join(dir, "fw_env.config")
	must(t, os.WriteFile(cfg, []byte(env+" 0x0000 0x4000 0x4000\n"), 0o600))
	u := &UBoot{Config: cfg, RootfsA: filepath.Join(dir, "rootfs_a.img"), RootfsB: filepath.Join(dir, "rootfs_b.img"),
		Cmdline: filepath.Join(dir, "cmdline")}
	must(t, os.WriteFile(u.RootfsA, []byte("rootfs 1.0.0"), 0o600))
	ubootBoots(t, u)
	return u
}

// ubootBoots is what U-Boot's bootcmd does at each power-on, the one fake
// here (this machine has no board to boot): while upgrade_available=1 it
// adds one to bootcount and saves; past bootlimit it runs altbootcmd
// (boot_slot=good_slot, upgrade_available=0, saveenv). Then it boots
// boot_slot with evalpad.slot=<slot> on the kernel command line.
func ubootBoots(t *testing.T, u *UBoot) string {
	t.Helper()
	env, err := u.env()
	must(t, err)
	if env["upgrade_available"] == "1" {
		n, _ := strconv.Atoi(env["bootcount"])
		limit, _ := strconv.Atoi(env["bootlimit"])
		n++
		if n > limit {
			must(t, u.setenv("bootcount", strconv.Itoa(n), "boot_slot", env["good_slot"], "upgrade_available", "0"))
		} else {
			must(t, u.setenv("bootcount", strconv.Itoa(n)))
		}
		env, err = u.env()
		must(t, err)
	}
	slot := env["boot_slot"]
	must(t, os.WriteFile(u.Cmdline, []byte("console=ttyS0 root=/dev/mmcblk0p2 evalpad.slot="+slot+" rootwait\n"), 0o600))
	return slot
}

func ustate(t *testing.T, u *UBoot) State {
	t.Helper()
	st, err := u.State()
	must(t, err)
	return st
}

func uinstall(t *testing.T, u *UBoot, version string) string {
	t.Helper()
	body := "rootfs " + version
	slot, err := u.Install(strings.NewReader(body), int64(len(body)), Manifest{Kind: "rootfs", Version: version})
	must(t, err)
	return slot
}

func TestUBootUpdateMarkedGood(t *testing.T) {
	u := newUBoot(t)
	slot := uinstall(t, u, "1.1.0")
	if b, _ := os.ReadFile(u.RootfsB); slot != SlotB || string(b) != "rootfs 1.1.0" {
		t.Fatalf("installed into %s: %q", slot, b)
	}
	must(t, u.Switch(SlotB))
	if st := ustate(t, u); st.Active != SlotA || st.Trial == nil || st.Trial.Slot != SlotB || st.Failed != nil {
		t.Fatalf("switched, before the reboot: %+v", st)
	}
	if got := ubootBoots(t, u); got != SlotB {
		t.Fatalf("booted %s", got)
	}
	st := ustate(t, u)
	if st.Active != SlotB || st.Trial == nil || st.Trial.Boots != 1 || st.Trial.Version != "1.1.0" || st.Trial.From != "1.0.0" {
		t.Fatalf("on trial: %+v %+v", st, st.Trial)
	}
	must(t, u.MarkGood())
	env, err := u.env()
	must(t, err)
	if env["upgrade_available"] != "0" || env["bootcount"] != "0" || env["good_slot"] != SlotB {
		t.Errorf("after MarkGood: %v", env)
	}
	for range 5 { // no longer counted
		if got := ubootBoots(t, u); got != SlotB {
			t.Fatalf("booted %s after MarkGood", got)
		}
	}
	if st := ustate(t, u); st.Trial != nil || st.Good != SlotB || st.Failed != nil {
		t.Errorf("%+v", st)
	}
	if slot := uinstall(t, u, "1.2.0"); slot != SlotA {
		t.Errorf("next install into %s", slot)
	}
}

func TestUBootCrashLoopRolledBack(t *testing.T) {
	u := newUBoot(t)
	must(t, u.Switch(uinstall(t, u, "1.1.0")))
	for i := 1; i <= 3; i++ { // it crashes before marking good: the board resets
		if got := ubootBoots(t, u); got != SlotB {
			t.Fatalf("boot %d: %s", i, got)
		}
	}
	if got := ubootBoots(t, u); got != SlotA {
		t.Fatalf("boot 4 (past bootlimit 3): %s", got)
	}
	st := ustate(t, u)
	if st.Active != SlotA || st.Trial != nil || st.Failed == nil || st.Failed.Version != "1.1.0" || st.Failed.From != "1.0.0" ||
		!strings.Contains(st.Failed.Reason, "bootloader rolled back") {
		t.Fatalf("after U-Boot's rollback: %+v %+v", st, st.Failed)
	}
	if b, _ := os.ReadFile(u.RootfsA); string(b) != "rootfs 1.0.0" {
		t.Errorf("the good slot changed: %q", b)
	}
	if err := u.MarkGood(); !errors.Is(err, ErrNoTrial) {
		t.Errorf("MarkGood on the old slot: %v", err)
	}
	if slot := uinstall(t, u, "1.1.1"); slot != SlotB {
		t.Errorf("next install into %s", slot)
	}
}

func TestUBootRollbackByAgent(t *testing.T) {
	u := newUBoot(t)
	must(t, u.Switch(uinstall(t, u, "1.1.0")))
	ubootBoots(t, u)
	must(t, u.Rollback("health check failed: broker unreachable"))
	if got := ubootBoots(t, u); got != SlotA {
		t.Fatalf("booted %s after Rollback", got)
	}
	st := ustate(t, u)
	if st.Failed == nil || st.Failed.Reason != "health check failed: broker unreachable" || st.Trial != nil {
		t.Errorf("%+v", st)
	}
}

func TestUBootBadInstall(t *testing.T) {
	u := newUBoot(t)
	if _, err := u.Install(strings.NewReader("short"), 10, Manifest{Kind: "rootfs", Version: "1.1.0"}); !errors.Is(err, ErrSize) {
		t.Errorf("truncated: %v", err)
	}
	if err := u.Switch(SlotB); !errors.Is(err, ErrSlot) {
		t.Errorf("Switch to a partly written slot: %v", err)
	}
	if _, err := u.Install(strings.NewReader("bin"), 3, Manifest{Kind: "agent", Version: "1.1.0"}); !errors.Is(err, ErrKind) {
		t.Errorf("agent payload: %v", err)
	}
	if got := ubootBoots(t, u); got != SlotA {
		t.Errorf("booted %s", got)
	}
}
