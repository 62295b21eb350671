package protocol

import "encoding/json"

// MaxAckIDs bounds the ids of one ack.
const MaxAckIDs = 10000

// Ack is down/ack: the central stored these records durably.
type Ack struct {
	IDs []string `json:"ids"`
}

// ParseAck decodes and validates a down/ack payload: 1..MaxAckIDs record
// ids, each a UUID in its canonical form.
func ParseAck(data []byte) (Ack, error) {
	var a Ack
	if err := decode("ack", data, &a); err != nil {
		return Ack{}, err
	}
	switch {
	case a.IDs == nil:
		return Ack{}, invalid("ack", "ids: required")
	case len(a.IDs) == 0:
		return Ack{}, invalid("ack", "ids: empty")
	case len(a.IDs) > MaxAckIDs:
		return Ack{}, invalid("ack", "ids: %d ids, at most %d", len(a.IDs), MaxAckIDs)
	}
	for i, id := range a.IDs {
		if !IsUUID(id) {
			return Ack{}, invalid("ack", "ids[%d]: %q is not a UUID", i, id)
		}
	}
	return a, nil
}

// Marshal encodes a.
func (a Ack) Marshal() []byte {
	b, _ := json.Marshal(a) // cannot fail: strings only
	return b
}

// IsUUID reports whether s is a UUID in canonical 8-4-4-4-12 lowercase or
// uppercase hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
