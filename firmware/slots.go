package firmware

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Agent slots: the agent binary in two directories under a root, the slot
// to run and the last good slot as symlinks, and a state file.
//
//	ROOT/a/evalpad      the agent of slot a
//	ROOT/b/evalpad      the agent of slot b
//	ROOT/current -> a   the slot to run (swapped by rename: atomic)
//	ROOT/good -> a      the last slot marked good; the unit runs good/evalpad boot
//	ROOT/state.json     versions, the trial, the last failure (written atomically)
//	ROOT/boot.pid       the boot supervisor's pid, while it runs
//
// Invariants: without a trial, current is good; Install writes only the
// slot that is neither; a trial's slot is current until it is marked good
// (then good too) or rolled back (current is good again). Each call writes
// the state file and at most one symlink, in the order that lets Boot
// finish or undo a call a crash cut short (see Boot).
type AgentSlots struct {
	Root      string
	BootLimit int           // boots a trial gets; 0: DefaultBootLimit
	TrialTime time.Duration // from a trial's first boot to its deadline; 0: DefaultTrial
	Now       func() time.Time
}

// DefaultTrial is how long a new version has, from its first boot, to
// prove healthy and mark itself good.
const DefaultTrial = 5 * time.Minute

// BinaryName is the agent's file in a slot.
const BinaryName = "evalpad"

var _ BootControl = (*AgentSlots)(nil)

type slotsFile struct {
	Versions map[string]string `json:"versions"`
	Trial    *Trial            `json:"trial,omitempty"`
	Failed   *Failed           `json:"failed,omitempty"`
}

func (s *AgentSlots) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *AgentSlots) limit() int {
	if s.BootLimit > 0 {
		return s.BootLimit
	}
	return DefaultBootLimit
}

func (s *AgentSlots) trialTime() time.Duration {
	if s.TrialTime > 0 {
		return s.TrialTime
	}
	return DefaultTrial
}

// Binary is the agent's path in slot.
func (s *AgentSlots) Binary(slot string) string { return filepath.Join(s.Root, slot, BinaryName) }

// InitSlots lays out root for a pad whose agent is the file binary, of
// version: slot a holds it, current and good point at a. It refuses a root
// that has a layout already.
func InitSlots(root, binary, version string) error {
	if _, err := os.Lstat(filepath.Join(root, "current")); err == nil {
		return fmt.Errorf("%w: %s has slots already", ErrSlot, root)
	}
	for _, d := range []string{SlotA, SlotB} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("firmware: %w", err)
		}
	}
	in, err := os.Open(binary)
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	defer in.Close()
	s := &AgentSlots{Root: root}
	if err := writeSlotFile(s.Binary(SlotA), in, -1); err != nil {
		return err
	}
	if err := s.writeState(&slotsFile{Versions: map[string]string{SlotA: version, SlotB: ""}}); err != nil {
		return err
	}
	if err := s.link("good", SlotA); err != nil {
		return err
	}
	return s.link("current", SlotA)
}

func (s *AgentSlots) readLink(name string) (string, error) {
	t, err := os.Readlink(filepath.Join(s.Root, name))
	if err != nil {
		return "", fmt.Errorf("%w: %s has no slot layout: %w", ErrSlot, s.Root, err)
	}
	t = filepath.Base(t)
	if t != SlotA && t != SlotB {
		return "", fmt.Errorf("%w: %s/%s points at %q", ErrSlot, s.Root, name, t)
	}
	return t, nil
}

// link points ROOT/name at slot: a symlink made beside it, renamed over
// it, and the directory synced.
func (s *AgentSlots) link(name, slot string) error {
	tmp := filepath.Join(s.Root, "."+name+".tmp")
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("firmware: %w", err)
	}
	if err := os.Symlink(slot, tmp); err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.Root, name)); err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	return syncParent(filepath.Join(s.Root, name))
}

func (s *AgentSlots) readState() (*slotsFile, error) {
	b, err := os.ReadFile(filepath.Join(s.Root, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return &slotsFile{Versions: map[string]string{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	var f slotsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s/state.json: %v", ErrSlot, s.Root, err)
	}
	if f.Versions == nil {
		f.Versions = map[string]string{}
	}
	if t := f.Trial; t != nil && t.Slot != SlotA && t.Slot != SlotB {
		return nil, fmt.Errorf("%w: %s/state.json: trial slot %q", ErrSlot, s.Root, t.Slot)
	}
	return &f, nil
}

func (s *AgentSlots) writeState(f *slotsFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	return writeAtomic(filepath.Join(s.Root, "state.json"), append(b, '\n'), 0o644)
}

// Active is the slot current points at.
func (s *AgentSlots) Active() (string, error) { return s.readLink("current") }

// State reads the layout.
func (s *AgentSlots) State() (State, error) {
	cur, err := s.readLink("current")
	if err != nil {
		return State{}, err
	}
	good, err := s.readLink("good")
	if err != nil {
		return State{}, err
	}
	f, err := s.readState()
	if err != nil {
		return State{}, err
	}
	return State{Active: cur, Good: good, Versions: f.Versions, Trial: f.Trial, Failed: f.Failed, BootLimit: s.limit()}, nil
}

// settled reads the layout and refuses it while a version is on trial.
func (s *AgentSlots) settled() (cur string, f *slotsFile, err error) {
	st, err := s.State()
	if err != nil {
		return "", nil, err
	}
	if st.Trial != nil {
		return "", nil, fmt.Errorf("%w: %s (slot %s)", ErrTrial, st.Trial.Version, st.Trial.Slot)
	}
	if st.Active != st.Good {
		return "", nil, fmt.Errorf("%w: current is %s but good is %s: boot once to settle", ErrSlot, st.Active, st.Good)
	}
	return st.Active, &slotsFile{Versions: st.Versions, Failed: st.Failed}, nil
}

// Install writes the agent binary payload into the inactive slot.
func (s *AgentSlots) Install(payload io.Reader, size int64, m Manifest) (string, error) {
	if m.Kind != "agent" {
		return "", fmt.Errorf("%w: %q (agent slots install \"agent\")", ErrKind, m.Kind)
	}
	cur, f, err := s.settled()
	if err != nil {
		return "", err
	}
	slot := Other(cur)
	// The slot's version is unknown while it is written: a kill midway
	// leaves a slot Switch refuses.
	f.Versions[slot] = ""
	if err := s.writeState(f); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(s.Root, slot), 0o755); err != nil {
		return "", fmt.Errorf("firmware: %w", err)
	}
	if err := writeSlotFile(s.Binary(slot), payload, size); err != nil {
		return "", err
	}
	f.Versions[slot] = m.Version
	return slot, s.writeState(f)
}

// Switch makes slot current, on trial.
func (s *AgentSlots) Switch(slot string) error {
	cur, f, err := s.settled()
	if err != nil {
		return err
	}
	if slot != Other(cur) {
		return fmt.Errorf("%w: %q is not the inactive slot (%s runs)", ErrSlot, slot, cur)
	}
	if f.Versions[slot] == "" {
		return fmt.Errorf("%w: slot %s holds no complete install", ErrSlot, slot)
	}
	f.Trial = &Trial{Slot: slot, Version: f.Versions[slot], From: f.Versions[cur], BootLimit: s.BootLimit,
		TrialSeconds: int(s.TrialTime / time.Second)}
	if err := s.writeState(f); err != nil {
		return err
	}
	return s.link("current", slot)
}

// MarkGood makes the slot on trial the good one.
func (s *AgentSlots) MarkGood() error {
	st, err := s.State()
	if err != nil {
		return err
	}
	if st.Trial == nil || st.Active != st.Trial.Slot {
		return ErrNoTrial
	}
	if err := s.link("good", st.Trial.Slot); err != nil {
		return err
	}
	return s.writeState(&slotsFile{Versions: st.Versions})
}

// Rollback ends the trial as failed: current is good again.
func (s *AgentSlots) Rollback(reason string) error {
	st, err := s.State()
	if err != nil {
		return err
	}
	if st.Trial == nil {
		return ErrNoTrial
	}
	return s.rollback(st, reason)
}

func (s *AgentSlots) rollback(st State, reason string) error {
	f := &slotsFile{Versions: st.Versions, Failed: &Failed{Version: st.Trial.Version, From: st.Trial.From, Reason: reason, At: s.now().UTC()}}
	if err := s.writeState(f); err != nil {
		return err
	}
	return s.link("current", st.Good)
}

// writeSlotFile writes the executable path from r: exactly size bytes
// (size < 0: all of r), into path.new, synced, renamed over path, and the
// directory synced.
func writeSlotFile(path string, r io.Reader, size int64) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if size < 0 {
		_, err = io.Copy(f, r)
	} else {
		var n int64
		n, err = io.CopyN(f, r, size)
		if err == io.EOF {
			err = fmt.Errorf("%w: payload ended after %d of %d bytes", ErrSize, n, size)
		} else if err == nil {
			var one [1]byte
			if k, _ := io.ReadFull(r, one[:]); k > 0 {
				err = fmt.Errorf("%w: payload longer than %d bytes", ErrSize, size)
			}
		}
	}
	if err != nil {
		return fail(fmt.Errorf("firmware: install %s: %w", path, err))
	}
	if err := f.Chmod(0o755); err != nil {
		return fail(fmt.Errorf("firmware: %w", err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("firmware: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("firmware: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	return syncParent(path)
}

// writeAtomic puts b at path: path.tmp written and synced, renamed over
// path, the directory synced.
func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	err := writeSynced(tmp, b, os.O_TRUNC, mode)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("firmware: %w", err)
	}
	return syncParent(path)
}

func syncParent(path string) error {
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("firmware: sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}
