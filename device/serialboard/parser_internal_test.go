package serialboard

import (
	"bytes"
	"testing"
)

// TestParserBufferShrinks: one large Feed does not leave a large buffer.
func TestParserBufferShrinks(t *testing.T) {
	var p Parser
	p.Feed(bytes.Repeat([]byte{0, SOF, 0x30}, 10000), func(Frame) {})
	if cap(p.buf) > 4*MaxFrame {
		t.Errorf("buffer capacity %d after a large feed", cap(p.buf))
	}
}
