package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"evalpad/agent/config"
	"evalpad/firmware"
	"evalpad/store"
	"evalpad/sync/link"
	"evalpad/sync/protocol"
)

// ErrRestart ends Run after a firmware update was installed and switched
// to: the command exits with firmware.ExitRestart and the service manager
// (through the boot supervisor) starts the new version on trial.
var ErrRestart = errors.New("agent: restarting into the new firmware")

// Install steps, in order, as UpdateOptions.Step and the printed steps name
// them.
const (
	StepDownload    = "download"
	StepVerify      = "verify"
	StepInstall     = "install"
	StepInstallHalf = "install-half" // half the payload written into the inactive slot
	StepSwitch      = "switch"
	StepRestart     = "restart"
)

// BootControl is the boot control cfg describes: U-Boot A/B when
// update.uboot_config is set, else agent slots at update.slots, else at
// slots (where `evalpad boot` runs the agent: env EVALPAD_SLOTS); nil
// when there is none.
func BootControl(u config.Update, slots string) firmware.BootControl {
	switch {
	case u.UBootConfig != "":
		return &firmware.UBoot{Config: u.UBootConfig, RootfsA: u.RootfsA, RootfsB: u.RootfsB, BootLimit: u.BootLimit}
	case u.Slots != "":
		slots = u.Slots
	}
	if slots == "" {
		return nil
	}
	return &firmware.AgentSlots{Root: slots, BootLimit: u.BootLimit, TrialTime: u.Trial.Duration}
}

// UpdateOptions is one update by hand (`evalpad update`).
type UpdateOptions struct {
	File        string // a local artifact; or
	URL, SHA256 string // one to download (SHA256 of the whole file, hex; optional with Size)
	Size        int64
	VendorKeys  []string // trusted vendor public keys: files or directories of *.pub
	Boot        firmware.BootControl
	Slots       string // agent slots' root: its boot supervisor is asked to restart
	DataDir     string // the store (its format) and update/ for downloads
	Version     string // the running version
	Say         func(format string, a ...any)
	// Step, when set, is called as each step begins (the Step* names).
	Step func(step string)
}

// Update verifies the artifact (downloaded first when URL is set) against
// the pad before anything is written, installs its payload into the
// inactive slot, switches to it (on trial) and asks the boot supervisor to
// restart. A refused artifact changes nothing.
func Update(ctx context.Context, o UpdateOptions) (firmware.Manifest, error) {
	say := o.Say
	if say == nil {
		say = func(string, ...any) {}
	}
	step := o.Step
	if step == nil {
		step = func(string) {}
	}
	if o.Boot == nil {
		return firmware.Manifest{}, errors.New("update: no slots: give --slots DIR (or update.slots in the config)")
	}
	keys, err := firmware.LoadKeys(o.VendorKeys...)
	if err != nil {
		return firmware.Manifest{}, fmt.Errorf("update: %w", err)
	}
	path := o.File
	if o.URL != "" {
		step(StepDownload)
		dir := filepath.Join(o.DataDir, "update")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return firmware.Manifest{}, fmt.Errorf("update: %w", err)
		}
		path = filepath.Join(dir, "artifact.fw")
		say("download: %s", o.URL)
		var last time.Time
		err := firmware.Download(ctx, o.URL, path, o.Size, o.SHA256, func(done, total int64) {
			if now := time.Now(); now.Sub(last) >= 2*time.Second || done == total {
				last = now
				say("download: %d of %d bytes", done, total)
			}
		})
		if err != nil {
			return firmware.Manifest{}, fmt.Errorf("update: %w", err)
		}
		defer os.Remove(path)
	}
	t, err := target(o.DataDir, o.Version)
	if err != nil {
		return firmware.Manifest{}, err
	}
	m, slot, err := install(path, keys, t, o.Boot, step, say)
	if err != nil {
		return m, err
	}
	say("switch: slot %s (%s) boots next, on trial", slot, m.Version)
	step(StepSwitch)
	// What the agent reports after the restart (trial, good, rolled_back)
	// comes from this: a local update has no command id.
	st := protocol.UpdateStatus{State: protocol.UpdateTrial, Version: m.Version, From: versionOnly(o.Version),
		At: time.Now().UTC().Format(time.RFC3339)}
	if b, err := json.Marshal(st); err == nil {
		if err := os.MkdirAll(filepath.Join(o.DataDir, "update"), 0o700); err != nil {
			return m, fmt.Errorf("update: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(o.DataDir, "update", statusFile), b, 0o600); err != nil {
			return m, fmt.Errorf("update: %w", err)
		}
	}
	if err := o.Boot.Switch(slot); err != nil {
		return m, fmt.Errorf("update: %w", err)
	}
	step(StepRestart)
	if o.Slots == "" {
		say("restart: reboot the pad to run %s", m.Version)
		return m, nil
	}
	switch ok, err := firmware.RequestRestart(o.Slots); {
	case err != nil:
		return m, fmt.Errorf("update: %w", err)
	case ok:
		say("restart: the boot supervisor restarts evalpad into %s", m.Version)
	default:
		say("restart: no boot supervisor runs; start evalpad (systemctl restart evalpad) to run %s", m.Version)
	}
	return m, nil
}

// target is what the pad is now: an artifact is checked against it.
func target(dataDir, version string) (firmware.Target, error) {
	f, err := store.FileFormat(filepath.Join(dataDir, StoreFile))
	if err != nil {
		return firmware.Target{}, fmt.Errorf("update: %w", err)
	}
	return firmware.Target{Product: firmware.Product, Arch: runtime.GOARCH, Version: version, StoreFormat: f}, nil
}

// install verifies the artifact at path and writes its payload into the
// inactive slot.
func install(path string, keys firmware.Keys, t firmware.Target, bc firmware.BootControl, step func(string), say func(string, ...any)) (firmware.Manifest, string, error) {
	step(StepVerify)
	m, err := firmware.Verify(path, keys, t)
	if err != nil {
		return m, "", fmt.Errorf("update: %w", err)
	}
	say("verify: %s %s for %s, signed by %s: ok", m.Kind, m.Version, m.Arch, m.KeyID)
	step(StepInstall)
	rc, n, err := firmware.OpenPayload(path)
	if err != nil {
		return m, "", fmt.Errorf("update: %w", err)
	}
	defer rc.Close()
	slot, err := bc.Install(&halfway{r: rc, half: n / 2, step: step}, n, m)
	if err != nil {
		return m, "", fmt.Errorf("update: %w", err)
	}
	say("install: %d bytes into slot %s: ok", n, slot)
	return m, slot, nil
}

// halfway calls step(StepInstallHalf) once half the payload was read.
type halfway struct {
	r    io.Reader
	n    int64
	half int64
	step func(string)
	done bool
}

func (h *halfway) Read(p []byte) (int, error) {
	if !h.done && h.n+int64(len(p)) > h.half {
		p = p[:max(h.half-h.n, 1)]
	}
	k, err := h.r.Read(p)
	h.n += int64(k)
	if !h.done && h.n >= h.half {
		h.done = true
		h.step(StepInstallHalf)
	}
	return k, err
}

// updater is the running agent's side of firmware updates: the central's
// update command, and the trial of a new version.
type updater struct {
	a     *Agent
	boot  firmware.BootControl
	keys  []string
	dir   string // DATA/update
	trial time.Duration

	mu      sync.Mutex
	status  *protocol.UpdateStatus // what up/status reports
	busy    bool
	onTrial bool

	poke    chan struct{}  // wakes watchTrial
	restart chan struct{}  // closed to end Run with ErrRestart
	wg      sync.WaitGroup // the update in progress; Run waits for it
	once    sync.Once
}

// statusFile keeps the update's status across the restart into the new
// version (and back).
const statusFile = "status.json"

func newUpdater(a *Agent, cfg config.Config) (*updater, error) {
	bc := a.parts.Boot
	if bc == nil {
		bc = BootControl(cfg.Update, a.parts.Slots)
	}
	if bc == nil {
		return nil, nil
	}
	u := &updater{a: a, boot: bc, keys: cfg.Update.VendorKeys, dir: filepath.Join(cfg.DataDir, "update"),
		trial: cfg.Update.Trial.Duration, restart: make(chan struct{}), poke: make(chan struct{}, 1)}
	var saved *protocol.UpdateStatus
	if b, err := os.ReadFile(filepath.Join(u.dir, statusFile)); err == nil {
		var s protocol.UpdateStatus
		if json.Unmarshal(b, &s) == nil && s.State != "" {
			saved = &s
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		a.log.Warn("update: status", "err", err)
	}
	st, err := bc.State()
	if err != nil {
		// No slot layout (a pad set up by hand without one): the agent runs,
		// and an update is refused with this reason.
		a.log.Warn("update: no boot control", "err", err)
		return u, nil
	}
	version := versionOnly(a.parts.Version)
	switch {
	case st.Trial != nil && st.Trial.Slot == st.Active:
		u.onTrial = true
		s := protocol.UpdateStatus{State: protocol.UpdateTrial, Version: st.Trial.Version, From: st.Trial.From}
		if saved != nil && saved.Version == st.Trial.Version {
			s.ID = saved.ID
		}
		u.set(s)
	case st.Failed != nil && saved != nil && saved.Version == st.Failed.Version && saved.State != protocol.UpdateRolledBack:
		u.set(protocol.UpdateStatus{ID: saved.ID, State: protocol.UpdateRolledBack, Version: st.Failed.Version,
			From: version, Error: st.Failed.Reason})
		a.log.Error("update: the new version failed its trial and was rolled back", "version", st.Failed.Version, "reason", st.Failed.Reason)
	case saved != nil && saved.State == protocol.UpdateTrial && saved.Version == version:
		// Marked good by the boot step (MarkGood completed before a crash).
		u.set(protocol.UpdateStatus{ID: saved.ID, State: protocol.UpdateGood, Version: version, From: saved.From})
	case saved != nil && saved.State == protocol.UpdateTrial && saved.Version != version:
		u.set(protocol.UpdateStatus{ID: saved.ID, State: protocol.UpdateFailed, Version: saved.Version, From: version,
			Error: "the update stopped before it switched: still on " + version})
	case saved != nil:
		u.status = saved
	}
	return u, nil
}

// versionOnly drops the " (revision)" versionString adds.
func versionOnly(v string) string {
	v, _, _ = strings.Cut(v, " ")
	return v
}

// set makes s the update's status, kept in DATA/update/status.json, and
// tells the link.
func (u *updater) set(s protocol.UpdateStatus) {
	s.At = u.a.clock.Now().UTC().Format(time.RFC3339)
	u.mu.Lock()
	u.status = &s
	u.mu.Unlock()
	if s.State != protocol.UpdateDownloading {
		b, _ := json.Marshal(s)
		if err := os.MkdirAll(u.dir, 0o700); err == nil {
			err = writeFileAtomic(filepath.Join(u.dir, statusFile), b, 0o600)
			if err != nil {
				u.a.log.Warn("update: keep the status", "err", err)
			}
		}
	}
	if u.a.link != nil {
		u.a.link.PublishStatus()
	}
}

func (u *updater) current() *protocol.UpdateStatus {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.status == nil {
		return nil
	}
	s := *u.status
	return &s
}

// command starts the central's update command c: it is answered later
// (link.ErrLater), once installed or refused.
func (u *updater) command(ctx context.Context, c protocol.Cmd) error {
	if u == nil {
		return errors.New("update: this pad has no slots (update.slots, or run under evalpad boot)")
	}
	if len(u.keys) == 0 {
		return errors.New("update: this pad trusts no vendor key (update.vendor_keys)")
	}
	u.mu.Lock()
	busy := u.busy || u.onTrial
	if !busy {
		u.busy = true
	}
	u.mu.Unlock()
	if busy {
		return errors.New("update: an update is in progress or on trial")
	}
	u.wg.Go(func() { u.run(ctx, c) })
	return fmt.Errorf("update: %w", link.ErrLater)
}

// run downloads, verifies, installs and switches c's artifact, answers c,
// and restarts into it; or answers why not, nothing changed.
func (u *updater) run(ctx context.Context, c protocol.Cmd) {
	from := versionOnly(u.a.parts.Version)
	err := u.install(ctx, c, from)
	res := protocol.CmdResult{ID: c.ID, Type: "cmd", OK: err == nil}
	if err != nil {
		res.Error = err.Error()
		u.a.log.Error("update refused", "id", c.ID, "version", c.Version, "err", err)
		u.set(protocol.UpdateStatus{ID: c.ID, State: protocol.UpdateFailed, Version: c.Version, From: from, Error: err.Error()})
		u.mu.Lock()
		u.busy = false
		u.mu.Unlock()
	} else {
		u.set(protocol.UpdateStatus{ID: c.ID, State: protocol.UpdateTrial, Version: c.Version, From: from})
	}
	if u.a.link != nil {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if aerr := u.a.link.Answer(actx, res); aerr != nil {
			u.a.log.Warn("update: answer", "err", aerr)
		}
		cancel()
	}
	if err == nil {
		u.a.log.Info("update installed: restarting into it", "version", c.Version)
		u.once.Do(func() { close(u.restart) })
	}
}

func (u *updater) install(ctx context.Context, c protocol.Cmd, from string) error {
	keys, err := firmware.LoadKeys(u.keys...)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.MkdirAll(u.dir, 0o700); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	path := filepath.Join(u.dir, c.SHA256+".fw")
	u.set(protocol.UpdateStatus{ID: c.ID, State: protocol.UpdateDownloading, Version: c.Version, From: from, Total: c.Size})
	var lastAt time.Time
	var lastBytes int64
	err = firmware.Download(ctx, c.URL, path, c.Size, c.SHA256, func(done, total int64) {
		now := u.a.clock.Now()
		if done-lastBytes < total/20 && now.Sub(lastAt) < 2*time.Second && done != total {
			return // every 5% or 2 s
		}
		lastAt, lastBytes = now, done
		u.set(protocol.UpdateStatus{ID: c.ID, State: protocol.UpdateDownloading, Version: c.Version, From: from, Bytes: done, Total: total})
	})
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer os.Remove(path) // installed, or refused: a good download is not kept
	u.set(protocol.UpdateStatus{ID: c.ID, State: protocol.UpdateVerifying, Version: c.Version, From: from, Bytes: c.Size, Total: c.Size})
	t, err := target(filepath.Dir(u.dir), from)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { u.a.log.Info(fmt.Sprintf(format, a...), "id", c.ID) }
	step := func(s string) {
		if s == StepInstall {
			u.set(protocol.UpdateStatus{ID: c.ID, State: protocol.UpdateInstalling, Version: c.Version, From: from, Bytes: c.Size, Total: c.Size})
		}
	}
	m, slot, err := install(path, keys, t, u.boot, step, say)
	if err != nil {
		return err
	}
	if m.Version != c.Version {
		return fmt.Errorf("update: the artifact is version %s, the command says %s", m.Version, c.Version)
	}
	if err := u.boot.Switch(slot); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// watchTrial runs while the agent runs a version on trial: once it is
// healthy — the store open (it is, or New failed), the local API
// listening (Run started it), and the broker reached when one is
// configured — it marks the version good. Past the trial time without
// that, it rolls back and ends Run to restart into the good version
// (the boot supervisor would stop it at the deadline all the same). The
// link's status at each connect (Health) wakes it.
func (u *updater) watchTrial(ctx context.Context) {
	if u == nil || !u.onTrial {
		return
	}
	expired := make(chan struct{})
	t := u.a.clock.AfterFunc(u.trial, func() { close(expired) })
	defer t.Stop()
	for {
		if u.a.link == nil || u.a.link.Counters().Connected {
			if err := u.boot.MarkGood(); err != nil {
				u.a.log.Error("update: mark good", "err", err)
				return
			}
			s := u.current()
			u.mu.Lock()
			u.onTrial = false
			u.mu.Unlock()
			u.a.log.Info("update: the new version is healthy: marked good", "version", s.Version)
			u.set(protocol.UpdateStatus{ID: s.ID, State: protocol.UpdateGood, Version: s.Version, From: s.From})
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-u.poke:
		case <-expired:
			reason := "not healthy within the trial: the broker was not reached"
			u.a.log.Error("update: trial failed: rolling back", "reason", reason)
			if err := u.boot.Rollback(reason); err != nil {
				u.a.log.Error("update: rollback", "err", err)
			}
			u.once.Do(func() { close(u.restart) })
			return
		}
	}
}

// wake tells the trial's watch to look at the pad's health again.
func (u *updater) wake() {
	if u == nil {
		return
	}
	select {
	case u.poke <- struct{}{}:
	default:
	}
}

// stop waits for the update in progress, which ends with Run's ctx.
func (u *updater) stop() {
	if u != nil {
		u.wg.Wait()
	}
}

func (u *updater) restarting() <-chan struct{} {
	if u == nil {
		return nil
	}
	return u.restart
}
