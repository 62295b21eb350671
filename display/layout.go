package display

import (
	"image"
	"image/color"
	"strconv"
	"strings"
	"time"
)

// The layout is a list of ops computed from a model: Render paints them,
// Hit searches their targets, Texts lists their texts. One function per
// screen writes the list; nothing else decides where anything goes.

type opKind uint8

const (
	opFill   opKind = iota // r in c
	opRound                // r with corners of rad, in c
	opText                 // s (then … if ell) at baseline r.Min, face fk, in c
	opShape                // the mask of shape stretched to r, in c
	opQR                   // the QR code of the model's ScanURL filling r (quiet zone included)
	opPhoto                // the model's photo (or the placeholder) covering r
	opTarget               // a touch target: not drawn
)

type op struct {
	kind   opKind
	r      image.Rectangle
	c      color.RGBA
	rad    int
	fk     faceKey
	s      string
	full   string // the whole text s was cut from (Texts)
	ell    bool
	shape  shapeKind
	target Target
}

// The palette: a red and gold header as on the hall's signs, a light page,
// white cards, near-black text; a colour per level, white text on each.
// Every text is at least 4.5:1 against what it is drawn on
// (TestContrastAndTargets).
var (
	cHeader     = rgb(0xB0, 0x17, 0x1C)
	cHeaderDark = rgb(0x86, 0x0E, 0x12)
	cGold       = rgb(0xF2, 0xC1, 0x4E)
	cGoldText   = rgb(0x6E, 0x0B, 0x0E)
	cAmber      = rgb(0xFF, 0xCF, 0x6B)
	cPage       = rgb(0xF1, 0xF2, 0xF4)
	cCard       = rgb(0xFF, 0xFF, 0xFF)
	cLine       = rgb(0xD5, 0xD9, 0xDF)
	cText       = rgb(0x1A, 0x1E, 0x26)
	cMuted      = rgb(0x55, 0x5D, 0x6A)
	cFaint      = rgb(0x8E, 0x95, 0xA1)
	cDisabled   = rgb(0xE6, 0xE8, 0xEC)
	cBlue       = rgb(0x17, 0x5C, 0xD3)
	cBlueTint   = rgb(0xE6, 0xEF, 0xFD)
	cRed        = rgb(0xC3, 0x22, 0x22)
	cRedTint    = rgb(0xFD, 0xEC, 0xEC)
	cGreen      = rgb(0x1B, 0x84, 0x3C)
	cGreenText  = rgb(0x15, 0x69, 0x2F) // green text on grey: 4.5:1 needs darker
	cWhite      = rgb(0xFF, 0xFF, 0xFF)
	cStar       = rgb(0xF0, 0x9E, 0x1A)

	levelColor = [6]color.RGBA{
		cFaint,
		rgb(0xC0, 0x1F, 0x1F), // 1 非常不满意
		rgb(0xB2, 0x4C, 0x09), // 2 不满意
		rgb(0x1F, 0x62, 0xB8), // 3 基本满意
		rgb(0x27, 0x7A, 0x35), // 4 满意
		rgb(0x14, 0x6E, 0x31), // 5 非常满意
	}
)

// The texts the screens draw (besides the model's).
const (
	txtOffline      = "未联网"
	txtScan         = "扫码评价"
	txtWelcome      = "欢迎对我的服务进行评价"
	txtStaff        = "服务人员"
	txtRateTitle    = "请对本次服务进行评价"
	txtRateHint     = "请按屏幕下方对应按键，或直接点击进行评价"
	txtRateHintKeys = "请按屏幕下方对应按键进行评价"
	txtItem         = "办理事项"
	txtProjectNo    = "办件编号"
	txtBatchAll     = "本次评价适用于以上全部办件"
	txtOverall      = "整体评价"
	txtOverallSub   = "评价全部事项"
	txtOverallOff   = "已逐项评价"
	txtRated        = "已评"
	txtReasonTitle  = "请选择不满意的原因（可多选）"
	txtConfirm      = "确认提交"
	txtKeyHint      = "1/2 键移动 · 3 键选择 · 5 键确认"
	txtKeyHintRead  = "1/2 键移动 · 3 键选择 · 4 键朗读 · 5 键确认"
	txtPickOne      = "请至少选择一项"
	txtThanks       = "感谢您的评价！"
	txtYourRating   = "您的评价"
	txtPaused       = "暂停服务"
	txtFault        = "设备故障 暂停使用"
	txtFaultCode    = "故障代码"
	txtCallStaff    = "请联系工作人员处理"
)

// --- op emitters ---

func (r *Renderer) fill(rc image.Rectangle, c color.RGBA) {
	r.ops = append(r.ops, op{kind: opFill, r: rc, c: c})
}

func (r *Renderer) round(rc image.Rectangle, rad int, c color.RGBA) {
	r.ops = append(r.ops, op{kind: opRound, r: rc, rad: rad, c: c})
}

// box is a rounded rectangle in fill with a border bw wide.
func (r *Renderer) box(rc image.Rectangle, rad int, fill, border color.RGBA, bw int) {
	if bw > 0 {
		r.round(rc, rad, border)
		rc = rc.Inset(bw)
		rad = max(rad-bw, 0)
	}
	r.round(rc, rad, fill)
}

func (r *Renderer) shapeOp(k shapeKind, rc image.Rectangle, c color.RGBA) {
	r.ops = append(r.ops, op{kind: opShape, r: rc, shape: k, c: c})
}

func (r *Renderer) target(rc image.Rectangle, t Target) {
	r.ops = append(r.ops, op{kind: opTarget, r: rc, target: t})
}

// textOp draws l with its baseline's left end at (x, y).
func (r *Renderer) textOp(fk faceKey, x, y int, l line, full string, c color.RGBA) {
	r.ops = append(r.ops, op{kind: opText, r: image.Rectangle{Min: image.Pt(x, y)}, fk: fk, s: l.s, ell: l.ell, full: full, c: c})
}

type align uint8

const (
	left align = iota
	center
	right
)

// baseline is where text of size sz sits to look centred on cy: the
// ideographs' ink spans about 0.88 em above the baseline to 0.12 below.
func baseline(cy, sz int) int { return cy + (sz*37+50)/100 }

// lineHeight is the distance between the baselines of wrapped lines.
func lineHeight(sz int) int { return (sz*135 + 50) / 100 }

// label draws s on one line centred vertically in rc, cut with … to its
// width; it returns the width drawn.
func (r *Renderer) label(s string, rc image.Rectangle, fk faceKey, c color.RGBA, a align) int {
	if s == "" || rc.Dx() <= 0 {
		return 0
	}
	l := r.cut(fk, s, rc.Dx())
	x := rc.Min.X
	switch a {
	case center:
		x += (rc.Dx() - l.w) / 2
	case right:
		x = rc.Max.X - l.w
	}
	r.textOp(fk, x, baseline((rc.Min.Y+rc.Max.Y)/2, fk.size), l, s, c)
	return l.w
}

// para draws s wrapped to at most maxLines lines of rc's width, the block
// centred vertically in rc; it returns the height of the block.
func (r *Renderer) para(s string, rc image.Rectangle, fk faceKey, c color.RGBA, a align, maxLines int) int {
	if s == "" {
		return 0
	}
	lines, _ := r.wrap(fk, s, rc.Dx(), maxLines, r.tmp[:0])
	r.tmp = lines[:0]
	lh := lineHeight(fk.size)
	h := lh * len(lines)
	cy := (rc.Min.Y+rc.Max.Y)/2 - h/2 + lh/2
	for _, l := range lines {
		x := rc.Min.X
		switch a {
		case center:
			x += (rc.Dx() - l.w) / 2
		case right:
			x = rc.Max.X - l.w
		}
		r.textOp(fk, x, baseline(cy, fk.size), l, s, c)
		cy += lh
	}
	return h
}

// lines counts the lines s wraps to at width (at most max+1).
func (r *Renderer) lines(fk faceKey, s string, width, max int) (n int, fits bool) {
	lines, fits := r.wrap(fk, s, width, max, r.tmp[:0])
	r.tmp = lines[:0]
	return len(lines), fits
}

// stars draws n stars of size sz side by side, centred on (cx, cy).
func (r *Renderer) stars(n, sz, cx, cy int, c color.RGBA) {
	gap := max(sz/6, 1)
	w := starsWidth(n, sz)
	x := cx - w/2
	for i := 0; i < n; i++ {
		r.shapeOp(shapeStar, image.Rect(x, cy-sz/2, x+sz, cy-sz/2+sz), c)
		x += sz + gap
	}
}

// starsWidth is the width of a row of n stars of size sz, as stars draws it.
func starsWidth(n, sz int) int { return n*sz + (n-1)*max(sz/6, 1) }

// pill draws text on a rounded pill of height h ending at x1 (align
// right) or starting at x0; it returns the pill.
func (r *Renderer) pill(s string, x0, x1, cy, h int, fk faceKey, fill, ink color.RGBA, maxW int) image.Rectangle {
	padX := h / 2
	w := min(r.measure(fk, s)+2*padX, maxW)
	var rc image.Rectangle
	if x1 > 0 {
		rc = image.Rect(x1-w, cy-h/2, x1, cy-h/2+h)
	} else {
		rc = image.Rect(x0, cy-h/2, x0+w, cy-h/2+h)
	}
	r.round(rc, h/2, fill)
	r.label(s, image.Rect(rc.Min.X+padX, rc.Min.Y, rc.Max.X-padX, rc.Max.Y), fk, ink, center)
	return rc
}

// --- the layout ---

// layout computes the ops of m's screen into r.ops.
func (r *Renderer) layout(m *Model) {
	r.ops = r.ops[:0]
	r.elder, r.keys = r.elderOn(m), m.ButtonsOnly
	W, H := r.size.W, r.size.H
	r.fill(image.Rect(0, 0, W, H), cPage)
	if r.compact() {
		top := 0
		if !r.bare(m) {
			top = r.headerCompact(m)
		}
		body := image.Rect(0, top, W, H)
		switch m.Screen {
		case ScreenRate:
			r.rateCompact(m, body)
		case ScreenReasons:
			r.reasonsCompact(m, body)
		case ScreenThanks:
			r.thanksCompact(m, body)
		case ScreenPaused:
			r.pausedCompact(m, body)
		case ScreenFault:
			r.faultCompact(m, body)
		default:
			r.idleCompact(m, body)
		}
		return
	}
	top := r.header(m)
	body := image.Rect(0, top, W, H)
	switch m.Screen {
	case ScreenRate:
		r.rateScreen(m, body)
	case ScreenReasons:
		r.reasonsScreen(m, body)
	case ScreenThanks:
		r.thanksScreen(m, body)
	case ScreenPaused:
		r.pausedScreen(m, body)
	case ScreenFault:
		r.faultScreen(m, body)
	default:
		r.idleScreen(m, body)
	}
}

// pad is the page margin; gap the space between cards.
func (r *Renderer) pad() int { return max(r.px(24), 8) }
func (r *Renderer) gap() int { return max(r.px(16), 6) }
func (r *Renderer) rad() int { return max(r.px(14), 5) }

// header draws the red band with the hall, the window and the offline
// mark; it returns where the body starts.
//
//	┌──────────────────────────────────────────────────────────┐
//	│ 泰安市政务服务中心                    (未联网) (12号窗口)  │ red
//	╞══════════════════════════════════════════════════════════╡ gold
func (r *Renderer) header(m *Model) int {
	W := r.size.W
	fh := r.fs(28)
	hh := max(r.px(68), fh+2*max(r.px(14), 7))
	gs := max(r.px(4), 2)
	r.fill(image.Rect(0, 0, W, hh-gs), cHeader)
	r.fill(image.Rect(0, hh-gs, W, hh), cGold)
	pad, gap := r.pad(), r.gap()
	cy := (hh - gs) / 2
	ph := (hh - gs) * 64 / 100
	x1 := W - pad
	if m.Window != "" {
		fk := faceKey{r.fs(24), true}
		pr := r.pill(r.memo.window(m.Window), 0, x1, cy, ph, fk, cGold, cGoldText, W/3)
		x1 = pr.Min.X - gap
	}
	if m.Offline {
		fk := faceKey{r.fs(20), false}
		dot := max(fk.size/2, 6)
		w := r.measure(fk, txtOffline) + dot + ph/2*2 + dot/2
		pr := image.Rect(x1-w, cy-ph/2, x1, cy-ph/2+ph)
		r.round(pr, ph/2, cHeaderDark)
		dx := pr.Min.X + ph/2
		r.round(image.Rect(dx, cy-dot/2, dx+dot, cy-dot/2+dot), dot/2, cAmber)
		r.label(txtOffline, image.Rect(dx+dot+dot/2, pr.Min.Y, pr.Max.X, pr.Max.Y), fk, cAmber, left)
		x1 = pr.Min.X - gap
	}
	r.label(m.Hall, image.Rect(pad, 0, x1, hh-gs), faceKey{fh, true}, cWhite, left)
	return hh
}

// idleScreen: the staff card (photo, name, 工号), the QR card, the clock.
//
//	┌────────────────────────────────────────┐ ┌─────────────┐
//	│ ┌───────┐  服务人员                     │ │ ▛▀▀▀▀▀▀▀▀▜  │
//	│ │ photo │  张三                         │ │ ▌  QR   ▐  │
//	│ │  3:4  │  (工号 TA0123)                │ │ ▙▄▄▄▄▄▄▄▄▟  │
//	│ └───────┘                               │ │   扫码评价   │
//	└────────────────────────────────────────┘ └─────────────┘
//	 2026年11月25日 星期三 10:03                 欢迎对我的服务进行评价
func (r *Renderer) idleScreen(m *Model, body image.Rectangle) {
	pad, gap := r.pad(), r.gap()
	W, H := r.size.W, r.size.H
	// The bottom bar: the clock and a welcome.
	fkc := faceKey{r.fs(26), false}
	bb := max(r.px(60), fkc.size*2)
	bar := image.Rect(0, H-bb, W, H)
	r.fill(bar, cCard)
	r.fill(image.Rect(0, bar.Min.Y, W, bar.Min.Y+1), cLine)
	inBar := image.Rect(pad, bar.Min.Y, W-pad, H)
	cw := 0
	if !m.Clock.IsZero() {
		cw = r.label(r.memo.clock(m.Clock), inBar, fkc, cText, left)
	}
	fkw := faceKey{r.fs(22), false}
	rest := image.Rect(inBar.Min.X+cw+2*gap, inBar.Min.Y, inBar.Max.X, inBar.Max.Y)
	switch {
	case m.Message != "": // a notice from the central, in place of the welcome
		r.label(m.Message, rest, faceKey{r.fs(22), true}, cRed, right)
	case r.measure(fkw, m.text(txtWelcome)) <= rest.Dx():
		r.label(m.text(txtWelcome), rest, fkw, cMuted, right)
	}

	area := image.Rect(pad, body.Min.Y+pad, W-pad, bar.Min.Y-pad)
	staff := area
	if m.ScanURL != "" && r.qr.get(m.ScanURL) != nil {
		fkl := faceKey{r.fs(30), true}
		lh := lineHeight(fkl.size) + max(r.px(8), 3)
		ip := max(r.px(20), 6)
		qs := min(area.Dy()-2*ip-lh, area.Dx()*30/100)
		cardW := qs + 2*ip
		card := image.Rect(area.Max.X-cardW, area.Min.Y, area.Max.X, area.Max.Y)
		r.box(card, r.rad(), cCard, cLine, 1)
		y0 := card.Min.Y + (card.Dy()-qs-lh)/2
		q := image.Rect(card.Min.X+ip, y0, card.Min.X+ip+qs, y0+qs)
		r.ops = append(r.ops, op{kind: opQR, r: q, s: m.ScanURL})
		r.label(m.text(txtScan), image.Rect(card.Min.X, q.Max.Y, card.Max.X, q.Max.Y+lh), fkl, cText, center)
		staff.Max.X = card.Min.X - gap
	}
	r.box(staff, r.rad(), cCard, cLine, 1)
	ip := max(r.px(28), 8)
	ph := staff.Dy() - 2*ip
	pw := ph * 3 / 4
	share := 36 // per cent of the card's width the photo may take
	if staff.Dx() < 400 {
		share = 30
	}
	if lim := staff.Dx() * share / 100; pw > lim {
		pw, ph = lim, lim*4/3
	}
	py := staff.Min.Y + (staff.Dy()-ph)/2
	photo := image.Rect(staff.Min.X+ip, py, staff.Min.X+ip+pw, py+ph)
	r.fill(photo.Inset(-1), cLine)
	r.ops = append(r.ops, op{kind: opPhoto, r: photo})

	// The name, as large as fits on one line, else on two.
	tx := image.Rect(photo.Max.X+ip, staff.Min.Y+ip, staff.Max.X-ip, staff.Max.Y-ip)
	fks := faceKey{r.fs(24), false}
	name := m.StaffName
	idH := 0
	fkid := faceKey{r.fs(26), false}
	if m.StaffID != "" {
		for id := r.memo.workNo(m.StaffID); fkid.size > 12 && r.measure(fkid, id)+fkid.size*16/10 > tx.Dx(); {
			fkid.size -= 2
		}
		idH = fkid.size*16/10 + r.gap()
	}
	lhS := lineHeight(fks.size)
	fkn, nl := r.fitName(name, tx.Dx(), tx.Dy()-lhS-idH-r.gap(), r.fs(60), r.fs(32))
	lhN := lineHeight(fkn.size)
	blockH := lhS + nl*lhN + r.gap() + idH
	y := tx.Min.Y + (tx.Dy()-blockH)/2
	r.label(m.text(txtStaff), image.Rect(tx.Min.X, y, tx.Max.X, y+lhS), fks, cMuted, left)
	y += lhS
	r.para(name, image.Rect(tx.Min.X, y, tx.Max.X, y+nl*lhN), fkn, cText, left, nl)
	y += nl*lhN + r.gap()
	if m.StaffID != "" {
		h := fkid.size * 16 / 10
		r.pill(r.memo.workNo(m.StaffID), tx.Min.X, 0, y+h/2, h, fkid, cBlueTint, cBlue, tx.Dx())
	}
}

// fitName picks the largest size (max down to min) at which the name fits
// on one line, else min on as many lines as height holds (up to 3, cut
// with … beyond).
func (r *Renderer) fitName(s string, width, height, maxSz, minSz int) (faceKey, int) {
	for sz := maxSz; sz >= minSz; sz -= 2 {
		fk := faceKey{sz, true}
		if r.measure(fk, s) <= width {
			return fk, 1
		}
	}
	return r.fitText(s, width, height, minSz, max(minSz*3/4, 12), 3, true)
}

// memo keeps the strings a frame makes from the model while the model's
// values stay the same, so a steady screen allocates nothing.
type memo struct {
	win, winLabel  string
	id, idLabel    string
	clockKey       [5]int
	clockLabel     string
	nums           map[int]string
	batch, theme   map[int]string
	overall        map[int]string // elder mode's theme on a small buttons-only pad
	batchAll       map[int]string
	selected       map[int]string
	clockFormatted bool
}

func (c *memo) window(w string) string {
	if w != c.win || c.winLabel == "" {
		c.win = w
		if strings.Contains(w, "窗口") {
			c.winLabel = w
		} else {
			c.winLabel = w + "号窗口"
		}
	}
	return c.winLabel
}

func (c *memo) workNo(id string) string {
	if id != c.id || c.idLabel == "" {
		c.id, c.idLabel = id, "工号 "+id
	}
	return c.idLabel
}

var weekdays = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// clock formats t in its own Location: 2026年11月25日 星期三 10:03.
func (c *memo) clock(t time.Time) string {
	y, mo, d := t.Date()
	k := [5]int{y, int(mo), d, t.Hour(), t.Minute()}
	if !c.clockFormatted || k != c.clockKey {
		b := make([]byte, 0, 48)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, "年"...)
		b = strconv.AppendInt(b, int64(mo), 10)
		b = append(b, "月"...)
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, "日 "...)
		b = append(b, weekdays[t.Weekday()]...)
		b = append(b, ' ')
		b = append(b, byte('0'+k[3]/10), byte('0'+k[3]%10), ':', byte('0'+k[4]/10), byte('0'+k[4]%10))
		c.clockKey, c.clockLabel, c.clockFormatted = k, string(b), true
	}
	return c.clockLabel
}

// count returns prefix+n+suffix, made once per n.
func count(cache *map[int]string, n int, prefix, suffix string) string {
	if *cache == nil {
		*cache = map[int]string{}
	}
	s, ok := (*cache)[n]
	if !ok {
		s = prefix + strconv.Itoa(n) + suffix
		(*cache)[n] = s
	}
	return s
}

// keyHint is the reasons screen's key hint on a buttons-only pad: with a
// voice (OfferRead) the 4 key reads the reasons out.
func keyHint(m *Model) string {
	if m.OfferRead {
		return txtKeyHintRead
	}
	return txtKeyHint
}
