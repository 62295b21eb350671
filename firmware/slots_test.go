package firmware

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var boot0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// newSlots lays out slots whose slot a runs version 1.0.0 ("old" binary).
func newSlots(t *testing.T) *AgentSlots {
	t.Helper()
	root := filepath.Join(t.TempDir(), "slots")
	bin := filepath.Join(t.TempDir(), "evalpad")
	if err := os.WriteFile(bin, []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := InitSlots(root, bin, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := InitSlots(root, bin, "1.0.0"); !errors.Is(err, ErrSlot) {
		t.Errorf("InitSlots over a layout: %v", err)
	}
	return &AgentSlots{Root: root, BootLimit: 3, TrialTime: time.Minute}
}

func install(t *testing.T, s *AgentSlots, body, version string) string {
	t.Helper()
	slot, err := s.Install(strings.NewReader(body), int64(len(body)), Manifest{Kind: "agent", Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return slot
}

func state(t *testing.T, s *AgentSlots) State {
	t.Helper()
	st, err := s.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func boot(t *testing.T, s *AgentSlots, at time.Time) BootResult {
	t.Helper()
	r, err := s.Boot(at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func binary(t *testing.T, s *AgentSlots, slot string) string {
	t.Helper()
	b, err := os.ReadFile(s.Binary(slot))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSlotsUpdateMarkedGood(t *testing.T) {
	s := newSlots(t)
	if r := boot(t, s, boot0); r.Slot != SlotA || r.Trial != nil {
		t.Fatalf("first boot: %+v", r)
	}
	slot := install(t, s, "new", "1.1.0")
	if slot != SlotB || binary(t, s, SlotB) != "new" || binary(t, s, SlotA) != "old" {
		t.Fatalf("installed into %s", slot)
	}
	if fi, err := os.Stat(s.Binary(SlotB)); err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("slot b's binary is not executable: %v %v", fi.Mode(), err)
	}
	if a, _ := s.Active(); a != SlotA {
		t.Errorf("Install changed the active slot to %s", a)
	}
	if err := s.Switch(SlotB); err != nil {
		t.Fatal(err)
	}
	st := state(t, s)
	if st.Active != SlotB || st.Good != SlotA || st.Trial == nil || st.Trial.Version != "1.1.0" || st.Trial.From != "1.0.0" {
		t.Fatalf("after Switch: %+v %+v", st, st.Trial)
	}
	if _, err := s.Install(strings.NewReader("x"), 1, Manifest{Kind: "agent", Version: "1.2.0"}); !errors.Is(err, ErrTrial) {
		t.Errorf("Install during a trial: %v; want ErrTrial (the inactive slot is the good one)", err)
	}
	r := boot(t, s, boot0)
	if r.Slot != SlotB || r.Trial == nil || r.Trial.Boots != 1 || !r.Trial.Deadline.Equal(boot0.Add(time.Minute)) {
		t.Fatalf("trial boot: %+v %+v", r, r.Trial)
	}
	if err := s.MarkGood(); err != nil {
		t.Fatal(err)
	}
	st = state(t, s)
	if st.Active != SlotB || st.Good != SlotB || st.Trial != nil || st.Failed != nil || st.Versions[SlotB] != "1.1.0" {
		t.Fatalf("after MarkGood: %+v", st)
	}
	if err := s.MarkGood(); !errors.Is(err, ErrNoTrial) {
		t.Errorf("MarkGood again: %v", err)
	}
	// Long after the deadline: a good slot is no trial.
	if r := boot(t, s, boot0.Add(time.Hour)); r.Slot != SlotB || r.Trial != nil || r.RolledBack != nil {
		t.Errorf("boot after good: %+v", r)
	}
	// The next update goes to a.
	if slot := install(t, s, "newer", "1.2.0"); slot != SlotA {
		t.Errorf("next install into %s", slot)
	}
}

func TestSlotsBootLimit(t *testing.T) {
	s := newSlots(t)
	must(t, s.Switch(install(t, s, "crash", "1.1.0")))
	for i := 1; i <= 3; i++ {
		if r := boot(t, s, boot0); r.Slot != SlotB || r.Trial.Boots != i {
			t.Fatalf("boot %d: %+v", i, r)
		}
	}
	r := boot(t, s, boot0)
	if r.Slot != SlotA || r.RolledBack == nil || r.RolledBack.Version != "1.1.0" || r.RolledBack.From != "1.0.0" {
		t.Fatalf("boot 4: %+v %+v", r, r.RolledBack)
	}
	st := state(t, s)
	if st.Active != SlotA || st.Good != SlotA || st.Trial != nil || st.Failed == nil || !strings.Contains(st.Failed.Reason, "boot limit 3") {
		t.Fatalf("after the rollback: %+v %+v", st, st.Failed)
	}
	if binary(t, s, SlotA) != "old" {
		t.Error("the good slot changed")
	}
	// The pad can take the next update.
	if slot := install(t, s, "fixed", "1.1.1"); slot != SlotB {
		t.Errorf("next install into %s", slot)
	}
}

func TestSlotsDeadline(t *testing.T) {
	s := newSlots(t)
	must(t, s.Switch(install(t, s, "sick", "1.1.0")))
	boot(t, s, boot0)
	if r := boot(t, s, boot0.Add(time.Minute)); r.Slot != SlotB {
		t.Fatalf("boot at the deadline: %+v", r)
	}
	r := boot(t, s, boot0.Add(time.Minute+time.Second))
	if r.Slot != SlotA || r.RolledBack == nil || !strings.Contains(r.RolledBack.Reason, "deadline") {
		t.Fatalf("boot past the deadline: %+v %+v", r, r.RolledBack)
	}
}

func TestSlotsRollbackByAgent(t *testing.T) {
	s := newSlots(t)
	must(t, s.Switch(install(t, s, "sick", "1.1.0")))
	boot(t, s, boot0)
	if err := s.Rollback("selftest failed"); err != nil {
		t.Fatal(err)
	}
	st := state(t, s)
	if st.Active != SlotA || st.Failed == nil || st.Failed.Reason != "selftest failed" {
		t.Fatalf("%+v", st)
	}
	if err := s.Rollback("again"); !errors.Is(err, ErrNoTrial) {
		t.Errorf("Rollback without a trial: %v", err)
	}
}

func TestSlotsBadInstall(t *testing.T) {
	s := newSlots(t)
	for _, tc := range []struct {
		name, body string
		size       int64
		kind       string
		want       error
	}{
		{"truncated", "ne", 3, "agent", ErrSize},
		{"too long", "newer", 3, "agent", ErrSize},
		{"rootfs", "new", 3, "rootfs", ErrKind},
	} {
		_, err := s.Install(strings.NewReader(tc.body), tc.size, Manifest{Kind: tc.kind, Version: "1.1.0"})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
		if err := s.Switch(SlotB); !errors.Is(err, ErrSlot) {
			t.Errorf("%s: Switch to a slot without a complete install: %v", tc.name, err)
		}
		if r := boot(t, s, boot0); r.Slot != SlotA || r.Trial != nil {
			t.Errorf("%s: boot: %+v", tc.name, r)
		}
	}
	if err := s.Switch(SlotA); !errors.Is(err, ErrSlot) {
		t.Errorf("Switch to the running slot: %v", err)
	}
}

// Each call cut short by a crash, as the file system has it after the
// kill, and what the next boot makes of it. (cmd/evalpad kills a real
// `evalpad update` at each step.)
func TestSlotsBootFinishesCutCalls(t *testing.T) {
	t.Run("switch before the symlink", func(t *testing.T) {
		s := newSlots(t)
		install(t, s, "new", "1.1.0")
		f, _ := s.readState()
		f.Trial = &Trial{Slot: SlotB, Version: "1.1.0", From: "1.0.0"}
		must(t, s.writeState(f))
		r := boot(t, s, boot0)
		if r.Slot != SlotA || r.Trial != nil || state(t, s).Trial != nil {
			t.Errorf("%+v", r)
		}
	})
	t.Run("rollback before the symlink", func(t *testing.T) {
		s := newSlots(t)
		must(t, s.Switch(install(t, s, "new", "1.1.0")))
		boot(t, s, boot0)
		must(t, s.writeState(&slotsFile{Versions: map[string]string{SlotA: "1.0.0", SlotB: "1.1.0"}, Failed: &Failed{Version: "1.1.0"}}))
		r := boot(t, s, boot0)
		if st := state(t, s); r.Slot != SlotA || st.Active != SlotA || st.Failed == nil {
			t.Errorf("%+v %+v", r, st)
		}
	})
	t.Run("mark good before the state file", func(t *testing.T) {
		s := newSlots(t)
		must(t, s.Switch(install(t, s, "new", "1.1.0")))
		boot(t, s, boot0)
		must(t, s.link("good", SlotB))
		r := boot(t, s, boot0.Add(time.Hour))
		if st := state(t, s); r.Slot != SlotB || st.Trial != nil || st.Good != SlotB || r.RolledBack != nil {
			t.Errorf("%+v %+v", r, st)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// script writes an executable shell script into slot.
func script(t *testing.T, s *AgentSlots, slot, body string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(s.Root, slot), 0o755))
	must(t, os.WriteFile(s.Binary(slot), []byte("#!/bin/sh\n"+body), 0o755))
}

// A version on trial that hangs, never marking itself good: the
// supervisor stops it at the trial's deadline and rolls it back; the next
// boot runs the good slot.
func TestSuperviseStopsATrialPastItsDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a 1 s trial")
	}
	s := newSlots(t)
	s.TrialTime = time.Second
	script(t, s, SlotA, "echo good; exit 7\n")
	body := "exec sleep 60\n"
	must(t, s.Switch(install(t, s, "#!/bin/sh\n"+body, "1.1.0")))
	code, err := Supervise(context.Background(), s, nil, nil, nil)
	if err != nil || code != ExitRestart {
		t.Fatalf("Supervise = %d, %v; want ExitRestart", code, err)
	}
	st := state(t, s)
	if st.Active != SlotA || st.Trial != nil || st.Failed == nil || !strings.Contains(st.Failed.Reason, "deadline") {
		t.Fatalf("after the deadline: %+v %+v", st, st.Failed)
	}
	// The next boot runs the good slot, whose exit code comes back.
	if code, err := Supervise(context.Background(), s, nil, nil, nil); err != nil || code != 7 {
		t.Errorf("the next boot: %d, %v; want the good slot's 7", code, err)
	}
	if ok, err := RequestRestart(s.Root); ok || err != nil {
		t.Errorf("RequestRestart with no supervisor: %v, %v", ok, err)
	}
}

// The limits are the pad's config, given to Switch (agent.BootControl),
// not the boot step's defaults: the boot supervisor counts by them.
func TestSlotsTrialCarriesItsLimits(t *testing.T) {
	s := newSlots(t)
	s.BootLimit, s.TrialTime = 1, 10*time.Second
	must(t, s.Switch(install(t, s, "new", "1.1.0")))
	bootloader := &AgentSlots{Root: s.Root} // evalpad boot's defaults: 3 boots, 5m
	r := boot(t, bootloader, boot0)
	if r.Trial == nil || !r.Trial.Deadline.Equal(boot0.Add(10*time.Second)) {
		t.Fatalf("first boot: %+v", r.Trial)
	}
	if r := boot(t, bootloader, boot0); r.Slot != SlotA || r.RolledBack == nil || !strings.Contains(r.RolledBack.Reason, "boot limit 1") {
		t.Fatalf("second boot: %+v %+v", r, r.RolledBack)
	}
}
