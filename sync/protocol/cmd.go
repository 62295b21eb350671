package protocol

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"evalpad/rating"
)

// Commands the central may send on down/cmd.
const (
	CmdPause        = "pause"         // show 暂停服务 (refused while a session waits)
	CmdResume       = "resume"        // leave 暂停服务
	CmdMessage      = "message"       // show Text on the screen
	CmdPrintReceipt = "print_receipt" // print the case receipt of ProjectNo and TaskName
	CmdUpdate       = "update"        // install the firmware artifact at URL (firmware/)
)

// MaxMessageRunes bounds a message command's text.
const MaxMessageRunes = 200

// Cmd is down/cmd.
type Cmd struct {
	ID      string `json:"id"`
	Cmd     string `json:"cmd"`
	Text    string `json:"text,omitempty"`    // message
	Seconds int    `json:"seconds,omitempty"` // message: how long to show it, 0 = the pad's default
	// print_receipt: the case whose receipt (办件回执) to print, as
	// POST /api/v1/receipts takes it.
	ProjectNo string `json:"project_no,omitempty"`
	TaskName  string `json:"task_name,omitempty"`
	StaffID   string `json:"staff_id,omitempty"`
	// update: the artifact to fetch (http or https; the pad resumes a cut
	// download with Range), the sha256 (hex) and size of the whole artifact
	// file, and the version its signed manifest must name. The pad verifies
	// the artifact's own signature whatever the command says.
	URL     string `json:"url,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	Size    int64  `json:"size,omitempty"`
	Version string `json:"version,omitempty"`
}

// MaxArtifactSize bounds an update command's size: 2 GiB (a root
// filesystem image).
const MaxArtifactSize = 2 << 30

// ParseCmd decodes and validates a down/cmd payload. When the payload
// carries a usable id, the returned Cmd has it even on error, so the pad can
// answer the rejection on up/cmdresult; an unknown command wraps ErrUnknownCmd.
func ParseCmd(data []byte) (Cmd, error) {
	var c Cmd
	if err := decode("cmd", data, &c); err != nil {
		// Try to salvage the id for the answer.
		var head struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &head) == nil && checkCode("cmd", "id", head.ID) == nil {
			return Cmd{ID: head.ID}, err
		}
		return Cmd{}, err
	}
	if err := checkCode("cmd", "id", c.ID); err != nil {
		return Cmd{}, err
	}
	bad := func(format string, args ...any) (Cmd, error) {
		return Cmd{ID: c.ID, Cmd: c.Cmd}, invalid("cmd", format, args...)
	}
	switch c.Cmd {
	case CmdPause, CmdResume:
	case CmdMessage:
		if c.Text == "" {
			return bad("text: required for message")
		}
		if err := rating.CheckTextLines(c.Text); err != nil {
			return bad("text: %v", err)
		}
		if n := utf8.RuneCountInString(c.Text); n > MaxMessageRunes {
			return bad("text: %d characters, at most %d", n, MaxMessageRunes)
		}
		if c.Seconds < 0 || c.Seconds > 3600 {
			return bad("seconds: %d, must be 0 to 3600", c.Seconds)
		}
	case CmdPrintReceipt:
		if err := (rating.Case{ProjectNo: c.ProjectNo, TaskName: c.TaskName}).Validate("project_no", "task_name"); err != nil {
			return bad("%v", strings.TrimPrefix(err.Error(), rating.ErrInvalidSession.Error()+": "))
		}
		if c.StaffID != "" {
			if err := rating.CheckID("staff_id", c.StaffID); err != nil {
				return bad("%v", strings.TrimPrefix(err.Error(), rating.ErrInvalidSession.Error()+": "))
			}
		}
	case CmdUpdate:
		u, err := url.Parse(c.URL)
		switch {
		case c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return bad("url: %q is not an http(s) URL", c.URL)
		case u.User != nil:
			return bad("url: credentials in the URL are not allowed")
		case !isHex(c.SHA256, 64):
			return bad("sha256: %q is not 64 lower-case hex digits", c.SHA256)
		case c.Size <= 0 || c.Size > MaxArtifactSize:
			return bad("size: %d, must be 1 to %d", c.Size, int64(MaxArtifactSize))
		case c.Version == "" || len(c.Version) > 64 || !isVersionText(c.Version):
			return bad("version: %q is not a version", c.Version)
		}
	case "":
		return bad("cmd: required")
	default:
		return Cmd{ID: c.ID, Cmd: c.Cmd}, fmt.Errorf("%w: cmd: %q (known: pause, resume, message, print_receipt, update)", ErrUnknownCmd, c.Cmd)
	}
	return c, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// isVersionText: digits, letters, '.', '-', '+' (semantic versions).
func isVersionText(s string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '.' || r == '-' || r == '+') {
			return false
		}
	}
	return true
}

// Marshal encodes c.
func (c Cmd) Marshal() []byte {
	b, _ := json.Marshal(c)
	return b
}

// CmdResult is up/cmdresult: the answer to a down/cmd, down/session or
// down/config that carried an id. Type says which ("cmd", "session", "config").
type CmdResult struct {
	ID    string `json:"id"`
	Type  string `json:"type,omitempty"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Marshal encodes r.
func (r CmdResult) Marshal() []byte {
	b, _ := json.Marshal(r)
	return b
}

// ParseCmdResult decodes an up/cmdresult (the central's side).
func ParseCmdResult(data []byte) (CmdResult, error) {
	var r CmdResult
	if err := decode("cmdresult", data, &r); err != nil {
		return CmdResult{}, err
	}
	if !r.OK && r.Error == "" {
		return CmdResult{}, invalid("cmdresult", "error: required when ok is false")
	}
	return r, nil
}
