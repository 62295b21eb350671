package escpos

import (
	"fmt"
	"hash/crc32"
	"strings"
)

// Code says what an Op is.
type Code uint8

// The ops Decode produces. N, M, W, H and Data are described per code;
// parameters are kept as sent, so Append gives back the exact bytes.
const (
	Text             Code = iota + 1 // printable bytes: Data as sent, Text decoded
	LF                               // print the line and feed one line
	CR                               // carriage return (ignored)
	HT                               // horizontal tab (every 8 columns)
	Init                             // ESC @: reset modes, clear the line
	Align                            // ESC a N: 0/48 left, 1/49 center, 2/50 right
	Bold                             // ESC E N: bold when N's bit 0 is set
	Underline                        // ESC - N: 0/48 off, 1/49 one dot, 2/50 two dots
	PrintMode                        // ESC ! N: bit 3 bold, 4 double height, 5 double width, 7 underline
	CharSize                         // GS ! N: width (N>>4)+1, height (N&7)+1
	LineSpacing                      // ESC 3 N: line spacing N dots
	ResetLineSpacing                 // ESC 2: line spacing 30 dots
	FeedLines                        // ESC d N: print the line, feed N lines
	FeedDots                         // ESC J N: print the line, feed N dots
	ChineseOn                        // FS &: bytes ≥ 0x80 are GB18030
	ChineseOff                       // FS .: bytes ≥ 0x80 are single-byte characters
	QRModel                          // GS ( k fn 165: N model (49, 50, 51 micro), M = 0
	QRModule                         // GS ( k fn 167: N module size in dots, 1..16
	QRLevel                          // GS ( k fn 169: N error correction 48 L, 49 M, 50 Q, 51 H
	QRStore                          // GS ( k fn 180: Data is the symbol data
	QRPrint                          // GS ( k fn 181: print the stored symbol
	Raster                           // GS v 0: N mode (0-3, 48-51), W bytes a row, H rows, Data W·H bytes
	Cut                              // GS V: N mode; M feed for modes 65, 66, 97, 98, 103, 104
	Skip                             // a known command the simulator does not draw; Data is all its bytes
)

var codeNames = [...]string{
	Text: "text", LF: "LF", CR: "CR", HT: "HT", Init: "ESC @", Align: "ESC a",
	Bold: "ESC E", Underline: "ESC -", PrintMode: "ESC !", CharSize: "GS !",
	LineSpacing: "ESC 3", ResetLineSpacing: "ESC 2", FeedLines: "ESC d",
	FeedDots: "ESC J", ChineseOn: "FS &", ChineseOff: "FS .",
	QRModel: "GS ( k 165", QRModule: "GS ( k 167", QRLevel: "GS ( k 169",
	QRStore: "GS ( k 180", QRPrint: "GS ( k 181", Raster: "GS v 0", Cut: "GS V",
	Skip: "skip",
}

func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", c)
}

// Op is one command of a job, or one run of text. Data may share memory
// with the job it was decoded from.
type Op struct {
	Code Code
	Off  int // offset of the op's first byte in the job
	N, M int
	W, H int
	Data []byte
	Text string
}

// String is a one-line description for dumps and test failures: the
// command's mnemonic and parameters, text quoted, raster data as its size
// and CRC-32.
func (o Op) String() string {
	switch o.Code {
	case Text:
		return fmt.Sprintf("text %q", o.Text)
	case LF, CR, HT, Init, ResetLineSpacing, ChineseOn, ChineseOff, QRPrint:
		return o.Code.String()
	case QRModel:
		return fmt.Sprintf("%s model %d %d", o.Code, o.N, o.M)
	case QRModule:
		return fmt.Sprintf("%s module %d", o.Code, o.N)
	case QRLevel:
		return fmt.Sprintf("%s level %d", o.Code, o.N)
	case QRStore:
		return fmt.Sprintf("%s store %q", o.Code, o.Data)
	case Raster:
		return fmt.Sprintf("%s mode %d, %d×%d dots, crc32 %08x", o.Code, o.N, o.W*8, o.H, crc32.ChecksumIEEE(o.Data))
	case Cut:
		if cutHasFeed(o.N) {
			return fmt.Sprintf("%s %d %d", o.Code, o.N, o.M)
		}
		return fmt.Sprintf("%s %d", o.Code, o.N)
	case Skip:
		return fmt.Sprintf("skip %s (%d bytes)", commandName(o.Data), len(o.Data))
	}
	return fmt.Sprintf("%s %d", o.Code, o.N)
}

// Dump lists ops one per line, with their offsets.
func Dump(ops []Op) string {
	var b strings.Builder
	for _, o := range ops {
		fmt.Fprintf(&b, "%6d  %s\n", o.Off, o)
	}
	return b.String()
}

// cutHasFeed: GS V modes that take a feed amount.
func cutHasFeed(m int) bool {
	switch m {
	case 65, 66, 97, 98, 103, 104:
		return true
	}
	return false
}

// Command introducers.
const (
	nul = 0x00
	ht  = 0x09
	lf  = 0x0a
	ff  = 0x0c
	cr  = 0x0d
	dle = 0x10
	can = 0x18
	esc = 0x1b
	fs  = 0x1c
	gs  = 0x1d
)

// Append appends the bytes of ops to b: the exact bytes they were decoded
// from, built from their fields (Skip ops from Data). Fields out of a
// byte's range are truncated to it; Decode never produces such ops.
func Append(b []byte, ops ...Op) []byte {
	for _, o := range ops {
		n, m := byte(o.N), byte(o.M)
		switch o.Code {
		case Text, Skip:
			b = append(b, o.Data...)
		case LF:
			b = append(b, lf)
		case CR:
			b = append(b, cr)
		case HT:
			b = append(b, ht)
		case Init:
			b = append(b, esc, '@')
		case Align:
			b = append(b, esc, 'a', n)
		case Bold:
			b = append(b, esc, 'E', n)
		case Underline:
			b = append(b, esc, '-', n)
		case PrintMode:
			b = append(b, esc, '!', n)
		case CharSize:
			b = append(b, gs, '!', n)
		case LineSpacing:
			b = append(b, esc, '3', n)
		case ResetLineSpacing:
			b = append(b, esc, '2')
		case FeedLines:
			b = append(b, esc, 'd', n)
		case FeedDots:
			b = append(b, esc, 'J', n)
		case ChineseOn:
			b = append(b, fs, '&')
		case ChineseOff:
			b = append(b, fs, '.')
		case QRModel:
			b = append(b, gs, '(', 'k', 4, 0, 49, 65, n, m)
		case QRModule:
			b = append(b, gs, '(', 'k', 3, 0, 49, 67, n)
		case QRLevel:
			b = append(b, gs, '(', 'k', 3, 0, 49, 69, n)
		case QRStore:
			p := len(o.Data) + 3
			b = append(b, gs, '(', 'k', byte(p), byte(p>>8), 49, 80, 48)
			b = append(b, o.Data...)
		case QRPrint:
			b = append(b, gs, '(', 'k', 3, 0, 49, 81, 48)
		case Raster:
			b = append(b, gs, 'v', '0', n, byte(o.W), byte(o.W>>8), byte(o.H), byte(o.H>>8))
			b = append(b, o.Data...)
		case Cut:
			b = append(b, gs, 'V', n)
			if cutHasFeed(o.N) {
				b = append(b, m)
			}
		}
	}
	return b
}
