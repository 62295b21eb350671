// Package receipt makes the case receipt (办件回执) the pad prints when a
// case is handled: the ESC/POS bytes for a 58 mm or 80 mm thermal printer,
// and the 扫码评价 URL whose token lets the central check that the receipt
// came from this device for this case. It is pure: no I/O, no clock reads.
//
// # Layout (58 mm, 32 columns; 80 mm has 48)
//
//	            办件回执              ESC a 1, ESC E 1, GS ! 0x11 (2×2)
//	      泰安市政务服务中心          hall, centered, wrapped
//	--------------------------------  ESC a 0
//	窗口：12
//	工号：TA0123
//	办件编号：37090020261125000123
//	事项：企业设立登记（有限责任公
//	      司）变更登记                task name, hanging indent
//	时间：2026-11-25 10:03            At in its own Location
//	--------------------------------
//	            扫码评价              ESC a 1, ESC E 1
//	          ▛▀▀▀▀▀▀▀▜
//	          ▌ QR code ▐             GS ( k or GS v 0, see below
//	          ▙▄▄▄▄▄▄▄▟
//	    请扫码对本次服务进行评价
//	                                  ESC d 4
//	~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~  GS V 1 (partial cut)
//
// The job starts with ESC @ (initialize) and FS & (Chinese character mode).
// Text is GB18030. An ASCII character takes one column (12 dots), any other
// character two (a 24×24 Chinese glyph), whatever Unicode's East Asian
// Width says: that is how GB18030 printers print. An empty hall, window,
// staff id or task name leaves its line out; project_no, the time and the
// URL are required. Control characters in a field are an error, since they
// would reach the printer as commands.
//
// # QR code
//
// The URL is encoded at error correction level M, with the largest module
// size up to Profile.Module (6 dots on 58 mm, 8 on 80 mm) at which the code
// and its 4-module quiet zone fit the paper, and no less than MinModule.
//
// Native (the printer draws it), GS ( k with cn = 49:
//
//	1D 28 6B 04 00 31 41 32 00      fn 165: model 2
//	1D 28 6B 03 00 31 43 nn         fn 167: module size nn dots
//	1D 28 6B 03 00 31 45 31         fn 169: error correction M
//	1D 28 6B pL pH 31 50 30 d…      fn 180: store the k = pL+256·pH−3 URL bytes
//	1D 28 6B 03 00 31 51 30         fn 181: print
//
// Raster (the pad draws it with github.com/skip2/go-qrcode):
//
//	1D 76 30 00 xL xH yL yH d…      GS v 0, normal size; x = bytes per row,
//	                                y = rows; k = x·y bytes, MSB = leftmost
//	                                dot, 1 = black
//
// The raster image holds the quiet zone too, centered in its whole bytes,
// so a simulated printer draws both modes on the same dots.
//
// # Scan URL and token (v2)
//
//	https://hcp.example.gov.cn/rate?p=<project_no>&d=<device_id>&t=<kid>.<exp>.<mac>
//
//	kid = the key's id, 1..16 of A-Z a-z 0-9 _ - ("0" for a key configured
//	      without one)
//	exp = the token's expiry, Unix seconds in lowercase base 36 (6 digits
//	      until 2059), only the canonical form
//	mac = base64url(HMAC-SHA256(key, msg)[:16]), no padding (22 chars)
//	msg = "evalpad/receipt-token/v2" 0x00
//	      uint32be(len(host)) host            the scan URL's host, lowercase
//	      uint32be(len(project_no)) project_no
//	      uint32be(len(device_id))  device_id
//	      uint32be(len(kid)) kid
//	      uint64be(exp)
//
// e.g. t=k1.tqkwdc.OUhG713W3fDRr9ZmGKmCyw — 32 characters for a two-letter
// key id, 10 more than v1. The central verifies with VerifyURL, giving the
// keys it knows by id, the host it serves and the time: a URL on another
// host, a key id it does not know, a token altered in any part, or one
// past its expiry (or more than MaxLifetime ahead, from a pad with a wrong
// clock) fails. The key id lets the central rotate keys: old receipts name
// the old key. The host in the MAC binds a token to the central the pad
// printed it for. Length prefixes keep the framing unambiguous (no
// separator that a field could contain); the domain string keeps these
// MACs apart from anything else the key might sign and versions the
// format. The token is compared as a string in constant time, so only the
// one canonical encoding verifies.
//
// 16 bytes (128 bits) of the MAC are kept. Forging a receipt means guessing
// a token online against the central, one guess per request: at 128 bits
// that is hopeless even for a botnet, and well above the 96-bit floor. A
// typical URL is 103 bytes (a 20-digit project_no, key id "k1"): QR version
// 6, 49 modules with the quiet zone, 294 dots at module 6, inside 384.
//
// # Tokens v1
//
// Pads before v2 printed t = base64url(HMAC-SHA256(key, "evalpad/receipt-
// token/v1" 0x00 ‖ uint32be-prefixed project_no ‖ device_id)[:16]): no key
// id, no expiry, no host. VerifyURL still takes one, with Keys.V1 and on
// the expected host, until V1Cutoff (2027-03-01 00:00 CST); a v1 token is
// told from a v2 one by having no ".".
package receipt
