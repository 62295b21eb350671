package serialboard

import "bytes"

// ParserStats counts what a Parser did with the bytes it was fed. Every
// byte fed is in exactly one of: a delivered frame, Noise, or the buffer
// (Parser.Buffered).
type ParserStats struct {
	Frames    uint64 // valid frames delivered
	Noise     uint64 // bytes dropped: outside frames, and each rejected candidate's SOF and what follows it up to the next frame
	BadCRC    uint64 // complete candidates whose CRC did not match
	Oversize  uint64 // candidates with LEN above MaxPayload
	Invalid   uint64 // candidates with a good CRC that fail Frame.Validate
	Truncated uint64 // candidates given up by Flush before they were complete
}

// Parser finds frames in a byte stream that arrives in pieces of any size,
// with noise between frames and broken frames. It delivers only frames
// whose CRC matches and that pass Frame.Validate; whatever it rejects it
// counts. How a chunk of input is split into Feed calls does not change
// what it delivers or counts. The zero value is ready to use. A Parser is
// not safe for concurrent use.
type Parser struct {
	buf   []byte // bytes not yet decided on; buf[0] is SOF when not empty
	stats ParserStats
}

// Feed parses b, calling fn for each frame completed, in order. fn must not
// call Feed or Flush; the frame's Payload is its own copy.
func (p *Parser) Feed(b []byte, fn func(Frame)) {
	p.buf = append(p.buf, b...)
	p.scan(fn, false)
}

// Flush tells the parser that the line has gone idle: a frame still
// incomplete in the buffer will not be completed. It gives the incomplete
// candidate up (Truncated) and rescans the bytes after its SOF, delivering
// any complete frame among them; the buffer is empty afterwards.
func (p *Parser) Flush(fn func(Frame)) { p.scan(fn, true) }

// Buffered is the number of bytes waiting for more input, at most
// MaxFrame-1.
func (p *Parser) Buffered() int { return len(p.buf) }

// Stats returns the counters.
func (p *Parser) Stats() ParserStats { return p.stats }

// scan consumes p.buf up to an incomplete candidate (all of it when flush).
func (p *Parser) scan(fn func(Frame), flush bool) {
	i := 0
	// reject drops the SOF at i; the bytes after it are scanned again.
	reject := func(counter *uint64) {
		*counter++
		p.stats.Noise++
		i++
	}
	for i < len(p.buf) {
		j := bytes.IndexByte(p.buf[i:], SOF)
		if j < 0 {
			p.stats.Noise += uint64(len(p.buf) - i)
			i = len(p.buf)
			break
		}
		p.stats.Noise += uint64(j)
		i += j
		c := p.buf[i:]
		if len(c) >= 2 && c[1] > MaxPayload {
			reject(&p.stats.Oversize)
			continue
		}
		if len(c) < 2 || len(c) < int(c[1])+Overhead {
			if !flush {
				break
			}
			reject(&p.stats.Truncated)
			continue
		}
		n := int(c[1])
		c = c[:n+Overhead]
		if CRC16(c[1:4+n]) != uint16(c[4+n])<<8|uint16(c[5+n]) {
			reject(&p.stats.BadCRC)
			continue
		}
		f := Frame{Type: Type(c[2]), Seq: c[3]}
		if n > 0 {
			f.Payload = bytes.Clone(c[4 : 4+n])
		}
		if f.Validate() != nil {
			reject(&p.stats.Invalid)
			continue
		}
		i += len(c)
		p.stats.Frames++
		fn(f)
	}
	p.buf = p.buf[:copy(p.buf, p.buf[i:])]
	if cap(p.buf) > 4*MaxFrame { // after one large Feed
		p.buf = append(make([]byte, 0, 2*MaxFrame), p.buf...)
	}
}
