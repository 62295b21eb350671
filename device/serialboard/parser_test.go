package serialboard_test

import (
	"bytes"
	"fmt"
	"testing"

	sb "evalpad/device/serialboard"
)

// parse feeds chunks to a new Parser, then flushes it if flush is set.
func parse(flush bool, chunks ...[]byte) ([]sb.Frame, sb.ParserStats, int) {
	var p sb.Parser
	var got []sb.Frame
	add := func(f sb.Frame) { got = append(got, f) }
	for _, c := range chunks {
		p.Feed(c, add)
	}
	if flush {
		p.Flush(add)
	}
	return got, p.Stats(), p.Buffered()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParserVectors(t *testing.T) {
	for _, v := range vectors {
		got, st, buf := parse(false, h(v.wire))
		if !equalFrames(got, []sb.Frame{v.frame}) || st != (sb.ParserStats{Frames: 1}) || buf != 0 {
			t.Errorf("%s: got %v %+v buffered %d", v.name, got, st, buf)
		}
	}
}

func TestParserTable(t *testing.T) {
	key1 := h("a5 01 10 01 05 d2 83") // KEY 5 seq 1
	key2 := h("a5 01 10 02 03 e7 16") // KEY 3 seq 2
	badCRC := h("a5 01 10 01 05 d2 84")
	// HELLO with 0xA5 inside its payload, so a rescan meets false SOFs.
	helloA5 := sb.Encode(sb.Hello(0xA5, sb.Info{Proto: 1, FWMajor: 0xA5, FWMinor: 0xA5}))
	k1, k2 := sb.Key(1, 5), sb.Key(2, 3)
	tests := []struct {
		name   string
		chunks [][]byte
		flush  bool
		want   []sb.Frame
		stats  sb.ParserStats
		buf    int
	}{
		{name: "empty", chunks: [][]byte{{}}},
		{name: "two frames in one read", chunks: [][]byte{cat(key1, key2)},
			want: []sb.Frame{k1, k2}, stats: sb.ParserStats{Frames: 2}},
		{name: "split in three", chunks: [][]byte{key1[:1], key1[1:4], key1[4:]},
			want: []sb.Frame{k1}, stats: sb.ParserStats{Frames: 1}},
		{name: "partial waits", chunks: [][]byte{key1[:6]}, buf: 6},
		{name: "partial flushed", chunks: [][]byte{key1[:6]}, flush: true,
			stats: sb.ParserStats{Noise: 6, Truncated: 1}},
		{name: "lone SOF flushed", chunks: [][]byte{{sb.SOF}}, flush: true,
			stats: sb.ParserStats{Noise: 1, Truncated: 1}},
		{name: "noise around", chunks: [][]byte{h("00 ff 13"), key1, h("5a 00"), key2, h("77")},
			want: []sb.Frame{k1, k2}, stats: sb.ParserStats{Frames: 2, Noise: 6}},
		{name: "SOF SOF frame", chunks: [][]byte{cat(h("a5 a5"), key1)},
			want: []sb.Frame{k1}, stats: sb.ParserStats{Frames: 1, Noise: 2, Oversize: 2}},
		{name: "bad CRC dropped, next frame kept", chunks: [][]byte{cat(badCRC, key2)},
			want: []sb.Frame{k2}, stats: sb.ParserStats{Frames: 1, Noise: 7, BadCRC: 1}},
		{name: "oversize LEN", chunks: [][]byte{cat(h("a5 21 10 01"), key1)},
			want: []sb.Frame{k1}, stats: sb.ParserStats{Frames: 1, Noise: 4, Oversize: 1}},
		// A false SOF whose LEN reaches past the real frame behind it: the
		// real frame waits until more bytes prove the candidate wrong…
		{name: "false SOF hides frame", chunks: [][]byte{cat(h("a5 05 10"), key1)}, buf: 10},
		// …or until the line goes idle.
		{name: "false SOF flushed", chunks: [][]byte{cat(h("a5 05 10"), key1)}, flush: true,
			want: []sb.Frame{k1}, stats: sb.ParserStats{Frames: 1, Noise: 3, Truncated: 1}},
		{name: "false SOF completed by next frame", chunks: [][]byte{cat(h("a5 05 10"), key1), key2},
			want: []sb.Frame{k1, k2}, stats: sb.ParserStats{Frames: 2, Noise: 3, BadCRC: 1}},
		{name: "SOF inside payload", chunks: [][]byte{cat(helloA5, key1)},
			want:  []sb.Frame{sb.Hello(0xA5, sb.Info{Proto: 1, FWMajor: 0xA5, FWMinor: 0xA5}), k1},
			stats: sb.ParserStats{Frames: 2}},
		{name: "broken frame with SOF inside", chunks: [][]byte{cat(helloA5[:len(helloA5)-1], []byte{^helloA5[len(helloA5)-1]}, key1)},
			want: []sb.Frame{k1}, stats: sb.ParserStats{Frames: 1, Noise: uint64(len(helloA5)), BadCRC: 3, Oversize: 1}},
		{name: "star 6 with good CRC", chunks: [][]byte{cat(sb.Encode(sb.Key(1, 6)), key2)},
			want: []sb.Frame{k2}, stats: sb.ParserStats{Frames: 1, Noise: 7, Invalid: 1}},
		{name: "unknown type with good CRC", chunks: [][]byte{sb.Encode(sb.Frame{Type: 0x42, Payload: make([]byte, sb.MaxPayload)})},
			stats: sb.ParserStats{Noise: sb.MaxFrame, Invalid: 1}},
		{name: "KEY with LEN 2", chunks: [][]byte{sb.Encode(sb.Frame{Type: sb.TypeKey, Seq: 1, Payload: []byte{5, 0}})},
			stats: sb.ParserStats{Noise: 8, Invalid: 1}},
		{name: "LED mask 0x20", chunks: [][]byte{sb.Encode(sb.LED(0, 0x20, 0))},
			stats: sb.ParserStats{Noise: 9, Invalid: 1}},
		{name: "resent KEY is two frames", chunks: [][]byte{key1, key1},
			want: []sb.Frame{k1, k1}, stats: sb.ParserStats{Frames: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st, buf := parse(tc.flush, tc.chunks...)
			if !equalFrames(got, tc.want) {
				t.Errorf("frames %v, want %v", got, tc.want)
			}
			if st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
			if buf != tc.buf {
				t.Errorf("buffered %d, want %d", buf, tc.buf)
			}
		})
	}
}

// TestParserEveryByteMisread changes each byte of each vector to every
// other value: the parser must never deliver a frame from it, and must
// account for every byte as noise.
func TestParserEveryByteMisread(t *testing.T) {
	for _, v := range vectors {
		wire := h(v.wire)
		for i := range wire {
			for x := 0; x < 256; x++ {
				if byte(x) == wire[i] {
					continue
				}
				in := bytes.Clone(wire)
				in[i] = byte(x)
				got, st, buf := parse(true, in)
				if len(got) != 0 || st.Noise != uint64(len(in)) || buf != 0 {
					t.Fatalf("%s byte %d = %#02x: frames %v stats %+v", v.name, i, x, got, st)
				}
			}
		}
	}
}

// TestParserByteByByte feeds a stream one byte at a time and all at once.
func TestParserByteByByte(t *testing.T) {
	var stream []byte
	var want []sb.Frame
	for i, v := range vectors {
		stream = append(stream, h(v.wire)...)
		stream = append(stream, []byte(fmt.Sprint(i))...) // noise
		want = append(want, v.frame)
	}
	var chunks [][]byte
	for i := range stream {
		chunks = append(chunks, stream[i:i+1])
	}
	got1, st1, _ := parse(false, chunks...)
	got2, st2, _ := parse(false, stream)
	if !equalFrames(got1, want) || !equalFrames(got2, want) || st1 != st2 {
		t.Errorf("byte by byte %v %+v; at once %v %+v", got1, st1, got2, st2)
	}
	if st1.Noise != uint64(len(vectors)) {
		t.Errorf("noise %d", st1.Noise)
	}
}

func TestParserLargeFeed(t *testing.T) {
	var p sb.Parser
	in := bytes.Repeat([]byte{0, sb.SOF, 0x30}, 10000)
	in = append(in, h("a5 01 10 01 05 d2")...)
	n := 0
	p.Feed(in, func(sb.Frame) { n++ })
	if n != 0 || p.Buffered() != 6 {
		t.Errorf("frames %d buffered %d", n, p.Buffered())
	}
	p.Feed([]byte{0x83}, func(sb.Frame) { n++ })
	if n != 1 {
		t.Errorf("frames %d", n)
	}
}
