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
