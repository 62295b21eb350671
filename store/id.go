package store

import (
	"encoding/hex"
	"fmt"
)

// parseID reads a canonical UUID string (8-4-4-4-12 hex) into 16 bytes.
func parseID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, fmt.Errorf("record id %q is not a UUID", s)
	}
	hexs := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(id[:], []byte(hexs)); err != nil {
		return id, fmt.Errorf("record id %q is not a UUID: %v", s, err)
	}
	return id, nil
}
