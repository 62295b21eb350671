package protocol

import "encoding/json"

// Status is up/status (retained). The Last Will is OfflineStatus.
type Status struct {
	Online         bool     `json:"online"`
	Firmware       string   `json:"firmware,omitempty"`
	At             string   `json:"at,omitempty"` // when the pad wrote it
	Outbox         int      `json:"outbox"`       // unacked records
	OutboxMax      int      `json:"outbox_max,omitempty"`
	OldestUnackedS int64    `json:"oldest_unacked_s"` // age in seconds of the oldest unacked record, 0 if none
	LastSeq        uint64   `json:"last_seq"`
	Screen         string   `json:"screen,omitempty"`
	Printer        string   `json:"printer,omitempty"` // "ok", "paper_out", "none", …
	Faults         []string `json:"faults"`
	// Update is the last firmware update's progress and outcome, nil when
	// the pad has none to report.
	Update *UpdateStatus `json:"update,omitempty"`
}

// Firmware update states, as up/status reports them. An update command is
// answered on up/cmdresult when it is refused (ok false, nothing changed)
// or installed and the pad restarts into it (ok true); its outcome comes
// later on up/status: UpdateGood once the new version marked itself good,
// UpdateRolledBack when its trial failed and the pad runs From again.
const (
	UpdateDownloading = "downloading"
	UpdateVerifying   = "verifying"
	UpdateInstalling  = "installing"
	UpdateTrial       = "trial"       // running the new version, not marked good yet
	UpdateGood        = "good"        // the new version passed its trial
	UpdateRolledBack  = "rolled_back" // the trial failed; back on From
	UpdateFailed      = "failed"      // refused or failed before switching; still on From
)

// UpdateStatus is a firmware update as up/status reports it.
type UpdateStatus struct {
	ID      string `json:"id,omitempty"` // the update command's id; empty for a local update
	State   string `json:"state"`
	Version string `json:"version"`        // the version being installed
	From    string `json:"from,omitempty"` // the version it replaces
	Bytes   int64  `json:"bytes,omitempty"`
	Total   int64  `json:"total,omitempty"`
	Error   string `json:"error,omitempty"`
	At      string `json:"at,omitempty"` // when it reached State
}

// OfflineStatus is the Last Will: the broker publishes it when the pad is
// gone without saying goodbye.
var OfflineStatus = []byte(`{"online":false}`)

// Marshal encodes s.
func (s Status) Marshal() []byte {
	if s.Faults == nil {
		s.Faults = []string{}
	}
	b, _ := json.Marshal(s)
	return b
}

// ParseStatus decodes an up/status (the central's side).
func ParseStatus(data []byte) (Status, error) {
	var s Status
	err := decode("status", data, &s)
	return s, err
}
