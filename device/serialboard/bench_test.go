package serialboard_test

import (
	"testing"

	sb "evalpad/device/serialboard"
)

// BenchmarkParser parses a stream of KEY frames with noise between them.
func BenchmarkParser(b *testing.B) {
	var stream []byte
	for i := range 100 {
		stream = sb.Append(stream, sb.Key(uint8(i), 1+i%5))
		stream = append(stream, 0x00, sb.SOF, 0x05)
	}
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		var p sb.Parser
		p.Feed(stream, func(sb.Frame) {})
	}
}
