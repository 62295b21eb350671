package central

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"evalpad/sync/protocol"
	"evalpad/trust"
)

// A rollout sends a published firmware version to a set of pads (a hall,
// a list of devices, or a percentage of either or of all), canary first:
//
//	pending ──claim──▶ sent ──up/status──▶ downloading ─▶ verifying ─▶ installing ─▶ trial ─▶ good
//	                    │                                                  │
//	                    │ up/cmdresult ok=false, up/status failed ─────────┴──▶ failed
//	                    │ up/status rolled_back ──────────────────────────────▶ rolled_back
//	                    └ no outcome within Timeout of sent ──────────────────▶ timed_out
//
// Step advances every running rollout: the canary pads get the signed
// update command first; only when every one reports good do the others go,
// Batch at a time, each batch once the one before has finished. The
// rollout halts itself — no command is sent after — when a canary pad
// fails, or when failures (rolled_back, failed, timed_out) ÷ finished pads
// exceed MaxFailures; an operator may halt it too. It is done when every
// pad has finished. Pads already sent go on and their outcomes are kept.
//
// The rollout and each pad's state are in the database, so a restarted
// central (or another instance on the same database) carries on; a pad is
// claimed (pending → sent) in one statement before its command goes out,
// so two instances never send one pad twice.

// Rollout states.
const (
	RolloutRunning = "running"
	RolloutHalted  = "halted"
	RolloutDone    = "done"
)

// A pad's states in a rollout: PadPending, PadSent, the protocol's update
// states (protocol.UpdateDownloading …) and PadTimedOut.
const (
	PadPending     = "pending"
	PadSent        = "sent"
	PadDownloading = protocol.UpdateDownloading
	PadVerifying   = protocol.UpdateVerifying
	PadInstalling  = protocol.UpdateInstalling
	PadTrial       = protocol.UpdateTrial
	PadGood        = protocol.UpdateGood
	PadRolledBack  = protocol.UpdateRolledBack
	PadFailed      = protocol.UpdateFailed
	PadTimedOut    = "timed_out"
)

// PadStates lists a pad's states in order.
var PadStates = []string{PadPending, PadSent, PadDownloading, PadVerifying, PadInstalling, PadTrial, PadGood, PadRolledBack, PadFailed, PadTimedOut}

// padRank orders the states a pad goes through: a report moves it only
// forward (a retained up/status seen again changes nothing). An outcome
// the pad reports after its time ran out replaces timed_out.
func padRank(s string) int {
	switch s {
	case PadPending:
		return 0
	case PadSent:
		return 1
	case PadDownloading:
		return 2
	case PadVerifying:
		return 3
	case PadInstalling:
		return 4
	case PadTrial:
		return 5
	case PadTimedOut:
		return 6
	case PadGood, PadRolledBack, PadFailed:
		return 7
	}
	return -1
}

// padMoves reports whether a pad in state from may go to state to.
func padMoves(from, to string) bool {
	rf, rt := padRank(from), padRank(to)
	if rf < 0 || rt < 0 {
		return false
	}
	return rt > rf || rt == rf && rt == padRank(PadDownloading) // download progress
}

// Finished reports whether a pad in state s has its outcome.
func Finished(s string) bool { return padRank(s) >= padRank(PadTimedOut) }

// Failure reports whether a pad in state s failed.
func Failure(s string) bool { return s == PadRolledBack || s == PadFailed || s == PadTimedOut }

// Defaults of a rollout.
const (
	DefaultMaxFailures    = 0.2
	DefaultBatch          = 10
	DefaultRolloutTimeout = time.Hour
)

// RolloutSpec is what a rollout is asked for.
type RolloutSpec struct {
	Version string   `json:"version"`
	Arch    string   `json:"arch,omitempty"` // "": the one arch the version is published for
	Kind    string   `json:"kind,omitempty"` // "": the one kind the version is published as
	Hall    string   `json:"hall,omitempty"`
	Devices []string `json:"devices,omitempty"`
	// Percent of the hall's pads, or of all, picked by a hash of the
	// rollout's id and each device id; 0 means all.
	Percent     int               `json:"percent,omitempty"`
	Canary      int               `json:"canary,omitempty"`
	MaxFailures *float64          `json:"max_failures,omitempty"` // nil: DefaultMaxFailures
	Batch       int               `json:"batch,omitempty"`        // 0: DefaultBatch
	Timeout     protocol.Duration `json:"timeout,omitzero"`       // 0: DefaultRolloutTimeout
}

// Target is whom a rollout is for, as asked.
type Target struct {
	Hall    string   `json:"hall,omitempty"`
	Devices []string `json:"devices,omitempty"`
	Percent int      `json:"percent,omitempty"`
}

// String says it for people.
func (t Target) String() string {
	var s string
	switch {
	case len(t.Devices) > 0:
		s = "devices " + strings.Join(t.Devices, ",")
	case t.Hall != "":
		s = "hall " + t.Hall
	default:
		s = "all pads"
	}
	if t.Percent > 0 {
		s = fmt.Sprintf("%d%% of %s", t.Percent, s)
	}
	return s
}

// Rollout is a rollout as stored, with its pads in the order they are
// sent and the count of pads in each state.
type Rollout struct {
	ID          string            `json:"id"`
	Version     string            `json:"version"`
	Arch        string            `json:"arch"`
	Kind        string            `json:"kind"`
	SHA256      string            `json:"sha256"`
	Size        int64             `json:"size"`
	Target      Target            `json:"target"`
	Canary      int               `json:"canary"`
	Batch       int               `json:"batch"`
	MaxFailures float64           `json:"max_failures"`
	Timeout     protocol.Duration `json:"timeout"`
	State       string            `json:"state"`
	Reason      string            `json:"reason,omitempty"` // why it halted
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	Counts      map[string]int    `json:"counts"`
	Pads        []RolloutPad      `json:"pads"`
	// Skipped are the pads of the target left out, with why (another
	// arch); only in the answer to the rollout's creation.
	Skipped []string `json:"skipped,omitempty"`
}

// RolloutPad is one pad in a rollout.
type RolloutPad struct {
	DeviceID  string     `json:"device_id"`
	Pos       int        `json:"pos"`
	Canary    bool       `json:"canary,omitempty"`
	State     string     `json:"state"`
	CmdID     string     `json:"cmd_id,omitempty"`
	Bytes     int64      `json:"bytes,omitempty"`
	Total     int64      `json:"total,omitempty"`
	Error     string     `json:"error,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func (r *Rollout) count() {
	r.Counts = map[string]int{}
	for _, p := range r.Pads {
		r.Counts[p.State]++
	}
}

// Rollout errors.
var (
	ErrNoFirmware  = errors.New("central: firmware not published")
	ErrNoRollout   = errors.New("central: rollout unknown")
	ErrRollout     = errors.New("central: bad rollout") // the spec cannot be rolled out; the error says why
	ErrRolloutOver = errors.New("central: rollout not running")
)

// RolloutStore is what Rollouts needs of the store (SQLStore).
type RolloutStore interface {
	Devices(ctx context.Context) ([]Registered, error)
	LatestHall(ctx context.Context, device string) (string, error)
	Firmwares(ctx context.Context, version string) ([]Firmware, error)
	AddRollout(ctx context.Context, r Rollout) error
	Rollout(ctx context.Context, id string) (Rollout, error)
	RolloutState(ctx context.Context, id string) (string, error)
	Rollouts(ctx context.Context, state string, limit int) ([]Rollout, error)
	ClaimRolloutPad(ctx context.Context, rollout, device, cmdID string, now time.Time) (bool, error)
	UnclaimRolloutPad(ctx context.Context, rollout, device, cmdID string, now time.Time) error
	UpdateRolloutPad(ctx context.Context, device, cmdID string, p RolloutPad, now time.Time) (string, error)
	TimeOutRolloutPads(ctx context.Context, now time.Time) (int, error)
	SetRolloutState(ctx context.Context, rollout, from, to, reason string, now time.Time) (bool, error)
}

var _ RolloutStore = (*SQLStore)(nil)

// Rollouts makes rollouts and moves them on.
type Rollouts struct {
	Store RolloutStore
	// Send signs and publishes the update command c (its ID set) to
	// device (Downlinks.SendCmd); nil: Create works, Step sends nothing.
	Send func(ctx context.Context, device string, c protocol.Cmd, ttl time.Duration) error
	// URL is where pads download the artifact whose file has sha256
	// (the central's base for pads + /firmware/<sha256>).
	URL    func(sha256 string) string
	Now    func() time.Time // default time.Now
	Logger *slog.Logger

	kick chan struct{}
}

func (rs *Rollouts) now() time.Time {
	if rs.Now != nil {
		return rs.Now()
	}
	return time.Now()
}

func (rs *Rollouts) log() *slog.Logger {
	if rs.Logger != nil {
		return rs.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Create checks spec, picks its pads and its artifact, and stores the
// rollout (running; Step sends). Errors wrap ErrRollout, ErrNoFirmware
// or ErrNoDevice, or are the store's.
func (rs *Rollouts) Create(ctx context.Context, spec RolloutSpec) (Rollout, error) {
	bad := func(format string, args ...any) (Rollout, error) {
		return Rollout{}, fmt.Errorf("%w: "+format, append([]any{ErrRollout}, args...)...)
	}
	mf := DefaultMaxFailures
	if spec.MaxFailures != nil {
		mf = *spec.MaxFailures
	}
	timeout := cmp.Or(spec.Timeout.Duration, DefaultRolloutTimeout)
	switch {
	case spec.Version == "":
		return bad("version: required")
	case !plainText(spec.Version, 64) || !plainText(spec.Arch, 64) || !plainText(spec.Kind, 64) || !plainText(spec.Hall, 200):
		return bad("version, arch, kind, hall: at most 64 (a hall 200) bytes of text without control characters")
	case len(spec.Devices) > 100000:
		return bad("devices: %d, at most 100000", len(spec.Devices))
	case spec.Hall == "" && len(spec.Devices) == 0 && spec.Percent == 0:
		return bad("a hall, devices or a percent is required (percent 100 for every pad)")
	case len(spec.Devices) > 0 && spec.Hall != "":
		return bad("a hall or devices, not both")
	case len(spec.Devices) > 0 && spec.Percent != 0:
		return bad("percent: of a hall or of all pads, not of a list of devices")
	case spec.Percent < 0 || spec.Percent > 100:
		return bad("percent: %d is not 1 to 100", spec.Percent)
	case spec.Canary < 0:
		return bad("canary: %d is negative", spec.Canary)
	case mf < 0 || mf > 1 || mf != mf:
		return bad("max_failures: %v is not a fraction 0 to 1", mf)
	case spec.Batch < 0:
		return bad("batch: %d is negative", spec.Batch)
	case timeout < time.Minute || timeout > trust.MaxLifetime:
		return bad("timeout: %v is not 1m to %v", timeout, trust.MaxLifetime)
	}
	fw, err := rs.artifact(ctx, spec)
	if err != nil {
		return Rollout{}, err
	}
	now := rs.now().UTC()
	r := Rollout{ID: NewID(), Version: fw.Version, Arch: fw.Arch, Kind: fw.Kind, SHA256: fw.SHA256, Size: fw.Size,
		Target: Target{Hall: spec.Hall, Devices: spec.Devices, Percent: spec.Percent}, Canary: spec.Canary,
		Batch: cmp.Or(spec.Batch, DefaultBatch), MaxFailures: mf, Timeout: protocol.Duration{Duration: timeout},
		State: RolloutRunning, CreatedAt: now, UpdatedAt: now}
	devs, skipped, err := rs.targets(ctx, spec, fw.Arch)
	if err != nil {
		return Rollout{}, err
	}
	// The order of sending, and a percentage's pick: by a hash of the
	// rollout's id and the device id, so the pads are spread over halls
	// and windows and the same rollout always picks the same pads.
	slices.SortFunc(devs, func(a, b string) int { return cmp.Compare(PickHash(r.ID, a), PickHash(r.ID, b)) })
	if spec.Percent > 0 {
		devs = devs[:(len(devs)*spec.Percent+99)/100]
	}
	if len(devs) == 0 {
		return bad("no active pad of arch %s in %s", fw.Arch, r.Target)
	}
	r.Canary = min(r.Canary, len(devs))
	for i, d := range devs {
		r.Pads = append(r.Pads, RolloutPad{DeviceID: d, Pos: i, Canary: i < r.Canary, State: PadPending, UpdatedAt: now})
	}
	r.count()
	if err := rs.Store.AddRollout(ctx, r); err != nil {
		return Rollout{}, err
	}
	r.Skipped = skipped
	rs.log().Info("evalhub: rollout created", "rollout", r.ID, "version", r.Version, "arch", r.Arch, "target", r.Target.String(), "pads", len(r.Pads), "canary", r.Canary)
	rs.Kick()
	return r, nil
}

// PickHash is where device comes in rollout's order.
func PickHash(rollout, device string) uint64 {
	h := sha256.Sum256([]byte(rollout + "\n" + device))
	return binary.BigEndian.Uint64(h[:8])
}

// artifact is the published artifact spec asks for.
func (rs *Rollouts) artifact(ctx context.Context, spec RolloutSpec) (Firmware, error) {
	all, err := rs.Store.Firmwares(ctx, spec.Version)
	if err != nil {
		return Firmware{}, err
	}
	var match []Firmware
	for _, f := range all {
		if (spec.Arch == "" || f.Arch == spec.Arch) && (spec.Kind == "" || f.Kind == spec.Kind) {
			match = append(match, f)
		}
	}
	switch {
	case len(match) == 0:
		what := spec.Version
		if spec.Arch != "" {
			what += " for " + spec.Arch
		}
		if spec.Kind != "" {
			what += " (" + spec.Kind + ")"
		}
		return Firmware{}, fmt.Errorf("%w: version %s (evalhub firmware publish FILE)", ErrNoFirmware, what)
	case len(match) > 1:
		var names []string
		for _, f := range match {
			names = append(names, f.Arch+"/"+f.Kind)
		}
		return Firmware{}, fmt.Errorf("%w: version %s is published as %s: say which arch and kind", ErrRollout, spec.Version, strings.Join(names, ", "))
	}
	return match[0], nil
}

// targets are the active pads spec names that can run arch, and those
// left out with why.
func (rs *Rollouts) targets(ctx context.Context, spec RolloutSpec, arch string) (devs, skipped []string, err error) {
	all, err := rs.Store.Devices(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]Registered{}
	for _, d := range all {
		byID[d.DeviceID] = d
	}
	archOK := func(d Registered) bool { a := d.Hardware["arch"]; return a == "" || a == arch }
	if len(spec.Devices) > 0 {
		for _, id := range spec.Devices {
			d, ok := byID[id]
			switch {
			case !ok:
				return nil, nil, fmt.Errorf("%w: %s", ErrNoDevice, id)
			case d.Status != DeviceActive:
				return nil, nil, fmt.Errorf("%w: device %s is %s", ErrRollout, id, d.Status)
			case !archOK(d):
				return nil, nil, fmt.Errorf("%w: device %s is %s, the artifact %s", ErrRollout, id, d.Hardware["arch"], arch)
			case slices.Contains(devs, id):
				return nil, nil, fmt.Errorf("%w: device %s named twice", ErrRollout, id)
			}
			devs = append(devs, id)
		}
		return devs, nil, nil
	}
	for _, d := range all {
		if d.Status != DeviceActive {
			continue
		}
		if spec.Hall != "" {
			// The hall the central set on the pad, else the hall of its
			// newest record.
			hall := ""
			if d.Config != nil && d.Config.Hall != nil {
				hall = *d.Config.Hall
			} else if hall, err = rs.Store.LatestHall(ctx, d.DeviceID); err != nil {
				return nil, nil, err
			}
			if hall != spec.Hall {
				continue
			}
		}
		if !archOK(d) {
			skipped = append(skipped, d.DeviceID+" (arch "+d.Hardware["arch"]+")")
			continue
		}
		devs = append(devs, d.DeviceID)
	}
	return devs, skipped, nil
}

// cleanText is s as valid UTF-8 without control or format characters, at
// most n runes: a pad's error text goes to the page and the API.
func cleanText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// plainText: valid UTF-8 of at most n bytes without control or format
// characters.
func plainText(s string, n int) bool {
	return len(s) <= n && utf8.ValidString(s) && cleanText(s, n) == s
}
