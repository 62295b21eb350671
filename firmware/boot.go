package firmware

import (
	"errors"
	"io"
	"time"
)

// Slot names: a pad has two, and runs one of them.
const (
	SlotA = "a"
	SlotB = "b"
)

// Other is the slot that is not s.
func Other(s string) string {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// DefaultBootLimit is how many boots a version on trial gets: the boot after
// the limit runs the last good slot again.
const DefaultBootLimit = 3

// Boot control errors (see also the artifact's in errors.go).
var (
	// ErrTrial: a version is on trial; Install and Switch wait until it is
	// marked good or rolled back (the inactive slot holds the good version).
	ErrTrial = errors.New("firmware: a version is on trial")
	// ErrNoTrial: MarkGood with no version on trial.
	ErrNoTrial = errors.New("firmware: no version on trial")
	// ErrSlot: a slot name that is not the inactive slot, or a slot layout
	// that is not there.
	ErrSlot = errors.New("firmware: slot")
	// ErrKind: the artifact's kind is not the one this boot control installs
	// ("agent" for agent slots, "rootfs" for U-Boot slots).
	ErrKind = errors.New("firmware: wrong payload kind for this pad")
)

// Boot control: a pad has two slots and runs one. An update goes into the
// other, and runs on trial until it proves healthy:
//
//	          Install(payload)        Switch(slot)             boot (counted)
//	good a ─────────────────▶ b written ──────────▶ b on trial ───────────────┐
//	  ▲                                               │    ▲                   │
//	  │ Rollback, boots > limit, deadline passed      │    └── crash, restart ─┘
//	  └───────────────────────────────────────────────┤
//	                                                  │ MarkGood (healthy in time)
//	                                                  ▼
//	                                               good b
//
// Two backends: AgentSlots (the agent binary in ROOT/a and ROOT/b, the
// good binary acting as the bootloader: Boot, Supervise) and UBoot (root
// filesystem images, U-Boot's bootcount/bootlimit/altbootcmd). The pad's
// data (store, keys) is in neither slot.

// BootControl switches a pad between its two slots. Install writes only
// the slot that is not running and syncs it before it returns; Switch
// makes that slot the next boot, on trial; the version on trial (or the
// bootloader, counting its boots) calls MarkGood or Rollback. Every call
// is crash-safe: a kill at any point leaves the pad booting either the
// old good slot or, after Switch returned, the slot on trial.
type BootControl interface {
	// Active is the slot the pad runs now.
	Active() (string, error)
	// Install writes size bytes of payload, the payload of m, into the
	// inactive slot and returns that slot. Fewer or more bytes than size
	// fail it, and the slot is left unbootable-as-new (Switch refuses it).
	Install(payload io.Reader, size int64, m Manifest) (string, error)
	// Switch makes slot (the one Install returned) the next boot, on trial.
	Switch(slot string) error
	// MarkGood ends the trial of the running slot: it is the good slot now.
	MarkGood() error
	// Rollback ends the trial as failed (reason says why): the good slot
	// is the next boot, and State reports the failed version.
	Rollback(reason string) error
	// State is the slots as they are now.
	State() (State, error)
}

// State is the boot control's state.
type State struct {
	Active    string            `json:"active"`               // the slot running (agent slots: "current")
	Good      string            `json:"good"`                 // the last slot marked good
	Versions  map[string]string `json:"versions"`             // slot → version installed ("" unknown)
	Trial     *Trial            `json:"trial,omitempty"`      // the version on trial, nil for none
	Failed    *Failed           `json:"failed,omitempty"`     // the last trial that failed, until the next good one
	BootLimit int               `json:"boot_limit,omitempty"` // boots a trial gets
}

// Trial is a version on trial.
type Trial struct {
	Slot     string    `json:"slot"`
	Version  string    `json:"version"`
	From     string    `json:"from,omitempty"`    // the good version it replaces
	Boots    int       `json:"boots"`             // boots of the trial slot so far
	Deadline time.Time `json:"deadline,omitzero"` // set at its first boot: mark good before it
	// The limits Switch was given (the pad's config): boots, and seconds
	// from the first boot to the deadline. 0: the boot step's own.
	BootLimit    int `json:"boot_limit,omitempty"`
	TrialSeconds int `json:"trial_seconds,omitempty"`
}

// Failed is a trial that failed and was rolled back.
type Failed struct {
	Version string    `json:"version"`
	From    string    `json:"from,omitempty"` // the version running again
	Reason  string    `json:"reason"`
	At      time.Time `json:"at,omitzero"`
}
