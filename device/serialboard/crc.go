package serialboard

// CRC16 returns the CRC-16/CCITT-FALSE of b: polynomial 0x1021, initial
// value 0xFFFF, not reflected, no final XOR. CRC16([]byte("123456789")) is
// 0x29B1. Bitwise, without a table: frames are at most 38 bytes.
func CRC16(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c ^= uint16(x) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}
