package link

import "time"

// Byte budget of an up/records message (Options.MaxMessageBytes).
const (
	// DefaultMaxMessageBytes is the default budget: 60 KiB of payload keeps
	// the whole MQTT packet (fixed header ≤ 5 bytes, topic ≤ 2+100, packet
	// id 2) under 64 KiB, the smallest limit brokers are commonly set to
	// (Mosquitto's max_packet_size in hardened setups; cloud IoT brokers
	// allow 128–256 KiB, EMQX 1 MiB by default).
	DefaultMaxMessageBytes = 60 << 10
	// MinMessageBytes is the smallest budget: the link never shrinks below it.
	MinMessageBytes = 1 << 10
	// MaxMessageBytesLimit is the largest budget: what the central's
	// protocol.ParseRecords accepts.
	MaxMessageBytesLimit = 64 << 20
	// DefaultStableAfter: a connection up this long resets the reconnect
	// backoff to its first delay.
	DefaultStableAfter = time.Minute
)

// setAsideAfter is how many connections a record sent alone may drop
// before its PUBACK before the link sets it aside.
const setAsideAfter = 3

// growEvery is how many acked messages relax the ceiling by an eighth.
const growEvery = 64

// sizer keeps the byte budget of up/records messages across connections.
// Only Run's goroutine uses it.
//
// A connection that drops while a records message waits for its PUBACK
// is taken as the broker refusing that message (a broker over its packet
// limit just closes the connection): the budget halves, and the message's
// size becomes a ceiling the budget stays an eighth under. Each message
// the central acks grows the budget back by an eighth, up to that; every
// growEvery acked messages the ceiling rises by an eighth, until it passes
// the configured maximum and is dropped. A record larger than the budget
// goes alone; one sent alone that drops the connection setAsideAfter
// times is set aside (kept in the outbox, not sent) until the link is
// started again, so the records behind it still go.
type sizer struct {
	max     int
	budget  int
	ceiling int // size of the smallest message a drop followed; 0: none
	acked   int // acked messages since the ceiling last moved
	strikes map[string]int
	aside   map[string]asideRecord
}

type asideRecord struct {
	seq  uint64
	size int
}

func newSizer(max int) *sizer {
	return &sizer{max: max, budget: max, strikes: map[string]int{}, aside: map[string]asideRecord{}}
}

// dropped notes a connection that dropped while a message of size bytes
// waited for its PUBACK; lone is its record's id when it carried one
// record, seq its seq. It reports whether that record is now set aside.
func (z *sizer) dropped(size int, lone string, seq uint64) bool {
	if z.ceiling == 0 || size < z.ceiling {
		z.ceiling = size
	}
	z.acked = 0
	z.budget = max(min(z.budget, size)/2, MinMessageBytes)
	if lone == "" {
		return false
	}
	z.strikes[lone]++
	if z.strikes[lone] < setAsideAfter {
		return false
	}
	delete(z.strikes, lone)
	z.aside[lone] = asideRecord{seq: seq, size: size}
	return true
}

// ackedMessage grows the budget after a message the central acked.
func (z *sizer) ackedMessage() {
	limit := z.max
	if z.ceiling > 0 {
		limit = max(min(limit, z.ceiling-z.ceiling/8), MinMessageBytes)
		if z.acked++; z.acked >= growEvery {
			z.acked = 0
			if z.ceiling += z.ceiling / 8; z.ceiling > z.max {
				z.ceiling = 0
			}
		}
	}
	z.budget = max(min(z.budget+z.budget/8, limit), z.budget)
}
