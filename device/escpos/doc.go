// Package escpos reads the ESC/POS that the pad sends its receipt printer
// and draws the paper the printer would print: the simulated printer of
// `evalpad sim` (SimPrinter), and the tests' way of checking a receipt by
// looking at it. It imports no business logic; display/receipt makes the
// bytes.
//
// Three steps, each usable on its own:
//
//	job bytes ──Decode──▶ []Op ──Renderer.Render──▶ *image.Paletted ──▶ PNG
//	          ◀──Append──
//
// Decode accounts for every byte: Append(nil, ops...) is the job again.
//
// # Commands
//
// Drawn (an Op code of their own):
//
//	LF                     0A              print the line, feed one line
//	HT, CR                 09, 0D          tab to the next 8 columns; ignored
//	ESC @                  1B 40           initialize: modes back to default, line cleared
//	ESC a n                1B 61 n         justify 0/48 left, 1/49 center, 2/50 right
//	ESC E n                1B 45 n         bold on (n&1) / off
//	ESC - n                1B 2D n         underline 0, 1 or 2 dots
//	ESC ! n                1B 21 n         bold (8), double height (16), double width (32), underline (128)
//	GS ! n                 1D 21 n         width (n>>4)+1, height (n&7)+1, 1..8
//	ESC 3 n / ESC 2        1B 33 n / 1B 32 line spacing n dots / 30 dots
//	ESC d n / ESC J n      1B 64 n / 1B 4A n  print, feed n lines / n dots
//	FS & / FS .            1C 26 / 1C 2E   Chinese (GB18030) character mode on (default) / off
//	GS ( k … cn=49         1D 28 6B pL pH 31 fn …   QR code:
//	    fn 65  (165)       … 04 00 31 41 n1 00     model n1: 49 model 1, 50 model 2, 51 micro
//	    fn 67  (167)       … 03 00 31 43 n         module size 1..16 dots
//	    fn 69  (169)       … 03 00 31 45 n         error correction 48 L, 49 M, 50 Q, 51 H
//	    fn 80  (180)       … pL pH 31 50 30 d…     store k = pL+256·pH−3 bytes
//	    fn 81  (181)       … 03 00 31 51 30        print the stored symbol
//	GS v 0 m xL xH yL yH d…  1D 76 30 …    raster image: x bytes × y rows, MSB = leftmost
//	                                       dot, 1 = black; m 0/48 normal, 1/49 double
//	                                       width, 2/50 double height, 3/51 both
//	GS V m [n]             1D 56 m [n]     cut: 0/48 full, 1/49 partial; 65/66, 97/98,
//	                                       103/104 feed n dots first
//
// Skipped, their length known (a Skip op): ESC SP $ % & * = ? D G L M R S
// T U V W \ c e i m p r t { <, GS $ / : B E H I L P W \ ^ a b f h r w,
// GS ( (other functions and symbols), GS 8 L, GS *, GS k, FS ! - W C S p 2,
// DLE EOT, DLE ENQ, DLE DC4, NUL, FF, CAN. Anything else is ErrUnknown.
//
// Text is every run of bytes from 0x20 up, 0x7F excepted. In Chinese mode
// (the default of the Chinese printers the pad drives, and what FS & sets)
// it is GB18030: one byte 0x20–0x7E, two bytes 81–FE 40–7E|80–FE, four
// bytes 81–FE 30–39 81–FE 30–39; anything else, or a sequence that maps to
// no character, is ErrText. With FS . a byte from 0x80 up is drawn as "?".
//
// # Paper
//
// At 8 dots/mm: 384 dots for 58 mm paper, 576 for 80 mm (DotsFor). A
// character cell is 12×24 dots for ASCII and 24×24 for anything else, as
// in the printers' own fonts, so a line holds 32 or 48 columns; a line
// that overflows wraps as on the printer. A line feeds the line spacing
// (30 dots) or its tallest character, whichever is more. Raster images
// and QR codes are placed at the current justification; they must fit the
// paper (ErrPaper). A QR code is drawn with go-qrcode from the stored data
// at level and module size as set, its 4-module quiet zone included.
//
//	┌──────────── 384 / 576 dots ────────────┐
//	│ TopMargin (24 dots)                    │
//	│ line 1 (24 dots high, 30 dots spacing) │
//	│ …                                      │
//	│ - - - - - - - - - - - - - - - - - - -  │ a cut with more after it
//	│ TopMargin                              │
//	│ …                                      │
//	└────────────────────────────────────────┘ the last cut ends the paper
//
// The image is 2-bit paletted: PaperColor, InkColor and CutColor.
package escpos
