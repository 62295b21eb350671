package serialboard_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	sb "evalpad/device/serialboard"
)

// FuzzParser: the parser never panics; every frame it delivers is valid
// (CRC, type, length, fields) and its encoding appears in the input, in
// order and without overlap; every input byte is accounted for; and how
// the input is cut into Feed calls changes neither frames nor counts.
// Seeds: the vectors, split frames, noise, broken frames.
func FuzzParser(f *testing.F) {
	var all []byte
	for _, v := range vectors {
		f.Add(h(v.wire), uint64(1))
		all = append(all, h(v.wire)...)
	}
	f.Add(all, uint64(7))
	f.Add(cat(h("00 ff a5 a5 05 10"), h("a5 01 10 01 05 d2 83"), h("a5 01 10 01 05 d2 84 a5")), uint64(3))
	f.Add(h("a5 01 10 01"), uint64(0))
	f.Add(cat(sb.Encode(sb.Key(1, 6)), sb.Encode(sb.Hello(0xA5, sb.Info{Proto: 1, FWMajor: 0xA5}))), uint64(99))
	f.Add(bytes.Repeat([]byte{sb.SOF}, 50), uint64(5))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		whole, st, buf := parse(false, in)
		checkFrames(t, in, whole)
		var n uint64
		for _, fr := range whole {
			n += uint64(len(sb.Encode(fr)))
		}
		if n+st.Noise+uint64(buf) != uint64(len(in)) {
			t.Fatalf("frames %d + noise %d + buffered %d bytes != input %d", n, st.Noise, buf, len(in))
		}
		if buf >= sb.MaxFrame {
			t.Fatalf("buffered %d", buf)
		}
		if st.Frames != uint64(len(whole)) {
			t.Fatalf("Frames %d, delivered %d", st.Frames, len(whole))
		}

		// The same input cut at random places.
		rng := rand.New(rand.NewPCG(seed, 0))
		var chunks [][]byte
		for rest := in; len(rest) > 0; {
			k := 1 + rng.IntN(min(len(rest), 9))
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		cut, st2, buf2 := parse(false, chunks...)
		if !equalFrames(whole, cut) || st != st2 || buf != buf2 {
			t.Fatalf("chunked: %v %+v %d; whole: %v %+v %d", cut, st2, buf2, whole, st, buf)
		}

		// Flushed: nothing left, everything still accounted for.
		flushed, st3, buf3 := parse(true, chunks...)
		checkFrames(t, in, flushed)
		if buf3 != 0 || len(flushed) < len(whole) || !equalFrames(flushed[:len(whole)], whole) {
			t.Fatalf("flushed: %v buffered %d; unflushed %v", flushed, buf3, whole)
		}
		n = 0
		for _, fr := range flushed {
			n += uint64(len(sb.Encode(fr)))
		}
		if n+st3.Noise != uint64(len(in)) {
			t.Fatalf("flushed: frames %d + noise %d bytes != input %d", n, st3.Noise, len(in))
		}
	})
}

// checkFrames: each frame valid, its bytes found in the input after the
// previous frame's.
func checkFrames(t *testing.T, in []byte, frames []sb.Frame) {
	t.Helper()
	off := 0
	for _, fr := range frames {
		if err := fr.Validate(); err != nil {
			t.Fatalf("delivered %v: %v", fr, err)
		}
		if fr.Type == sb.TypeKey && (fr.Star() < 1 || fr.Star() > sb.Stars) {
			t.Fatalf("delivered star %d", fr.Star())
		}
		enc := sb.Encode(fr)
		i := bytes.Index(in[off:], enc)
		if i < 0 {
			t.Fatalf("delivered %v (% x) not in input after offset %d: % x", fr, enc, off, in)
		}
		off += i + len(enc)
	}
}
