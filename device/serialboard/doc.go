// Package serialboard is the pad's side of the serial evaluator board: a
// small MCU that owns the five star buttons and their LEDs and talks to the
// pad over a UART (115200 8N1 by default, no flow control). The MCU reports
// presses; the pad acknowledges them, lights LEDs and asks for health.
//
//	MCU ──KEY──▶ Parser ──▶ Board.Run ──press(star)──▶ pad core
//	    ◀──ACK──            Board.SetLEDs ──LED──▶ MCU
//
// The package holds the wire format (Frame, Encode, Parser) and the driver
// (Board: Open for a real port via go.bug.st/serial, NewBoard for any
// io.ReadWriter). It imports no business logic.
//
// # Frame
//
//	 0      1      2      3      4 … 4+N-1      4+N    5+N
//	┌──────┬──────┬──────┬──────┬─────────────┬──────┬──────┐
//	│ SOF  │ LEN  │ TYPE │ SEQ  │ PAYLOAD     │ CRC  │ CRC  │
//	│ 0xA5 │  N   │      │      │ N bytes     │ hi   │ lo   │
//	└──────┴──────┴──────┴──────┴─────────────┴──────┴──────┘
//	       └────────── covered by the CRC ────┘
//
// Fields:
//
//   - SOF is 0xA5. LEN is the payload length N, 0..MaxPayload (32); a frame
//     is N+6 bytes, at most 38.
//   - CRC is CRC-16/CCITT-FALSE over LEN, TYPE, SEQ and PAYLOAD (not SOF):
//     polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
//     Test vector: the ASCII bytes "123456789" give 0x29B1.
//   - Byte order: big-endian, for the CRC and for every multi-byte field.
//   - SEQ is the sender's sequence number: each side counts its own, adds 1
//     (mod 256) for every new frame it sends and keeps it when it resends a
//     frame. Replies (ACK, PONG) carry the SEQ of the frame they answer.
//
// Example, KEY star 5 with SEQ 1:
//
//	A5 01 10 01 05 D2 83
//
// # Types
//
//	type  name   dir        N  payload
//	0x01  HELLO  both       4  proto, fw major, fw minor, status    must be ACKed
//	0x02  PING   pad→MCU    0  -
//	0x03  PONG   MCU→pad    4  proto, fw major, fw minor, status    SEQ = the PING's
//	0x10  KEY    MCU→pad    1  star 1..5 (one press)                must be ACKed
//	0x11  ACK    both       1  type acknowledged (HELLO or KEY)     SEQ = the acked frame's
//	0x20  LED    pad→MCU    3  mask, duration ms (uint16 BE)
//	0x7F  ERROR  both       2  code (≠ 0), detail
//
// proto is the protocol version, 1 here, never 0. status bits (Status):
// 0 a key is stuck down, 1 an LED is faulty, 2 presses were lost (queue
// full), 3 the MCU was reset by brown-out or watchdog; others are 0 in
// version 1 and ignored by readers. The pad sends zero firmware versions.
//
// LED mask bit i lights star i+1 (bits 5..7 are 0). The LEDs in the mask are
// on, the others off, for the duration; then all are off. Duration 0 means
// until the next LED frame. LED frames are not acknowledged: each carries the
// whole LED state, so the next one repairs a lost one.
//
// ERROR codes (ErrCode): 1 bad CRC seen, 2 unexpected or unknown type
// (detail: the type), 3 bad length (detail: the type), 4 field out of range
// (detail: the type), 5 presses lost (detail: how many), 6 hardware fault
// (detail: status bits). The pad sends code 2 for a valid frame of a type it
// does not take from the MCU (PING, LED, …; a stray ACK is only counted).
//
// A frame whose type is unknown, whose LEN is not the one its type has, or
// whose fields are out of range (star 0 or 6, mask bit 5, proto 0, ACK of a
// type that is not acknowledged, error code 0) is invalid and dropped like
// a frame with a bad CRC.
//
// # Exchanges
//
//	pad                       MCU
//	 │──HELLO s=0────────────▶│   pad starts: MCU ACKs, drops queued presses
//	 │◀─ACK(HELLO) s=0────────│   (made while nobody listened), LEDs off
//	 │◀─HELLO s=40────────────│   MCU boots: resends every 500 ms until ACKed;
//	 │──ACK(HELLO) s=40──────▶│   sends no KEY before; the pad forgets its last SEQ
//	 │◀─KEY 4 s=41────────────│
//	 │──ACK(KEY) s=41────────▶│   pad: acks, then delivers the press
//	 │◀─KEY 2 s=42────────────│
//	 │──ACK(KEY) s=42──╳      │   ack lost
//	 │◀─KEY 2 s=42────────────│   MCU resends after 100 ms, same SEQ
//	 │──ACK(KEY) s=42────────▶│   pad: same SEQ as the last KEY: ack again, no press
//
// The MCU sends KEYs stop-and-wait: one in flight, resent with the same
// SEQ every 100 ms until its ACK comes; the next press gets the next SEQ.
// Presses wait in a queue of at least 8; one that is still unacknowledged
// after 2 s, or that finds the queue full, is dropped and reported with
// ERROR 5. A SEQ that was sent in a KEY is never reused for another press,
// even if that KEY was dropped (the MCU still counts it), so the pad can
// de-duplicate with one number: a KEY whose SEQ equals the last KEY's is a
// resend. Across a pad restart or an MCU reboot, the HELLO resets both
// sides. The pad ACKs a KEY before it hands the press on and hands it on
// only once the ACK is written: a failure between costs one press, which
// the citizen makes again on a screen that did not change, never a press
// counted twice.
//
// # Resynchronisation
//
// There is no byte stuffing: 0xA5 may appear inside a frame. A receiver
// looks for SOF; a LEN above MaxPayload, a bad CRC or an invalid frame makes
// it drop that one SOF byte and look again from the next byte, so a real
// frame behind noise or behind a broken frame is never lost; only a frame
// the receiver accepts is consumed whole. A false SOF with a plausible LEN
// passes the CRC with odds of 1 in 65536, and must then also name a known
// type with its exact length and in-range fields. Stuffing (SLIP, COBS)
// would make frame boundaries certain, but costs a variable frame length
// and an encoder in the MCU (with SLIP, a worst case of double size), and
// buys little for frames this short that carry a CRC. Its one advantage, not waiting on a
// false SOF whose LEN reaches past the bytes that came, is covered by the
// idle rule: when the line has been quiet for the idle gap (Board.IdleGap,
// 50 ms; a frame takes 3.3 ms at 115200 baud) the receiver gives up on the
// frame it is in (Parser.Flush) and rescans what follows its SOF.
//
// Every byte the Parser takes ends up in exactly one of: a frame it
// delivered, the noise count, or its buffer (at most 37 bytes).
package serialboard
