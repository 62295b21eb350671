package protocol

import (
	"encoding/json"
	"fmt"

	"evalpad/rating"
)

// ParseSession decodes and validates a down/session payload: the same JSON
// and rules as the local API's POST /api/v1/sessions (rating.ParseSession).
// On error the session id is returned when the payload had a usable one, so
// the rejection can be answered on up/cmdresult.
func ParseSession(data []byte) (rating.Session, error) {
	s, err := rating.ParseSession(data)
	if err == nil {
		return s, nil
	}
	err = fmt.Errorf("%w: session: %w", ErrInvalid, err)
	var head struct {
		ID string `json:"session_id"`
	}
	if len(data) <= MaxPayload && json.Unmarshal(data, &head) == nil && checkCode("session", "session_id", head.ID) == nil {
		return rating.Session{ID: head.ID}, err
	}
	return rating.Session{}, err
}
