package display

import (
	"image"
	"image/color"
	"slices"
	"strconv"
	"strings"

	"evalpad/rating"
)

// The compact layout: panels narrower than 320 pixels, the small SPI
// modules (240×320, 240×240, 170×320, 135×240). The 1024×600 design
// scaled down would leave text under 12 pixels and five level tiles
// 27 pixels wide, so these panels get their own arrangement, drawn in
// doc.go's "Small panels": everything stacked, type at fixed sizes, the
// level tiles in rows below 240 pixels, and the reasons and theme items
// paged where they do not fit.

// compactWidth is the width under which the compact layout is used.
const compactWidth = 320

func (r *Renderer) compact() bool { return r.size.W < compactWidth || r.elder }

// csz are the compact layout's type sizes and spacing.
type csz struct {
	small, body, title, big, huge int
	pad, gap                      int
	head                          int  // the header's hall
	tgt                           int  // elder mode: the least side of a touch target (60 dp), else 0
	tight                         bool // elder mode in the rule's dp (elder.go): room is short
}

func (r *Renderer) cs() csz {
	if r.elder {
		return r.elderSizes()
	}
	if r.size.W >= 200 {
		return csz{small: 12, body: 14, title: 16, big: 20, huge: 26, pad: 8, gap: 5, head: 16}
	}
	return csz{small: 12, body: 12, title: 14, big: 16, huge: 20, pad: 5, gap: 4, head: 14}
}

// fitSize is the largest size from max down to min (even steps) at which
// s fits width on one line; min if none.
func (r *Renderer) fitSize(s string, width, maxSz, minSz int, bold bool) faceKey {
	fk := faceKey{maxSz, bold}
	for fk.size > minSz && r.measure(fk, s) > width {
		fk.size -= 2
	}
	return fk
}

// headerCompact is the header on a small panel: the hall, cut to what is
// left, and the window as a pill; offline is an amber dot (with 未联网 from
// 200 pixels wide).
func (r *Renderer) headerCompact(m *Model) int {
	c := r.cs()
	W := r.size.W
	hh := lineHeight(c.head) + 8
	gs := 2
	r.fill(image.Rect(0, 0, W, hh-gs), cHeader)
	r.fill(image.Rect(0, hh-gs, W, hh), cGold)
	cy := (hh - gs) / 2
	ph := hh - gs - 8
	x1 := W - c.pad
	if m.Window != "" {
		fk := faceKey{c.body, true}
		s := r.memo.window(m.Window)
		wmax := W * 55 / 100
		if c.tight { // elder mode on a small panel: the window before the hall, room left for the offline dot
			wmax = W - 2*c.pad - btoi(m.Offline)*(8+ph/2+c.gap)
		}
		w := min(r.measure(fk, s)+ph/2, wmax)
		pr := image.Rect(x1-w, cy-ph/2, x1, cy-ph/2+ph)
		r.round(pr, ph/2, cGold)
		r.label(s, pr.Inset(ph/4), fk, cGoldText, center)
		x1 = pr.Min.X - c.gap
	}
	if m.Offline {
		dot := 8
		w := dot + ph/2
		text := W >= 200
		if tw := r.measure(faceKey{c.small, false}, txtOffline) + dot/2; text && (!c.tight || x1-c.pad >= w+tw) {
			w += tw
		} else {
			text = false // elder mode on a small panel: the dot where 未联网 has no room
		}
		pr := image.Rect(x1-w, cy-ph/2, x1, cy-ph/2+ph)
		r.round(pr, ph/2, cHeaderDark)
		dx := pr.Min.X + ph/4
		r.round(image.Rect(dx, cy-dot/2, dx+dot, cy-dot/2+dot), dot/2, cAmber)
		if text {
			r.label(txtOffline, image.Rect(dx+dot+dot/2, pr.Min.Y, pr.Max.X, pr.Max.Y), faceKey{c.small, false}, cAmber, left)
		}
		x1 = pr.Min.X - c.gap
	}
	if c.tight && r.measure(faceKey{c.head, true}, m.Hall) > x1-c.pad {
		return hh // elder mode on a small panel: the window, not the hall cut to a word
	}
	r.label(m.Hall, image.Rect(c.pad, 0, x1, hh-gs), faceKey{c.head, true}, cWhite, left)
	return hh
}

// idleCompact: who serves (photo, 服务人员, name, 工号), the window's QR
// code with 扫码评价 in the room left, a notice, the time and date.
//
//	┌──────────────────┐
//	│ ┌──┐ 服务人员      │
//	│ │  │ 张晓明        │
//	│ └──┘ (工号 TA0123)│
//	│     ▛▀▀▀▀▜       │
//	│     ▌ QR ▐       │
//	│     ▙▄▄▄▄▟       │
//	│     扫码评价       │
//	│ (notice)         │
//	│ 10:03 11月25日 星期三│
//	└──────────────────┘
func (r *Renderer) idleCompact(m *Model, body image.Rectangle) {
	c := r.cs()
	W, H := r.size.W, r.size.H
	// The bottom bar: the time, large, and the date beside it, or above
	// it where the two do not fit one line.
	fkt := faceKey{c.big, true}
	fkd := faceKey{c.small, false}
	bb := lineHeight(fkt.size) + 6
	var hm, date string
	if !m.Clock.IsZero() {
		full := r.memo.clock(m.Clock) // 2026年11月25日 星期三 10:03
		hm, date = full[len(full)-5:], full[:len(full)-6]
		if i := len("2026年"); len(date) > i && date[4:i] == "年" {
			date = date[i:] // 11月25日 星期三: the year is not news
		}
	}
	fits := func() bool { return r.measure(fkt, hm)+c.gap+r.measure(fkd, date) <= W-2*c.pad }
	if hm != "" && !fits() {
		if i := strings.IndexByte(date, ' '); i > 0 {
			date = date[:i] // 11月25日
		}
	}
	twoLines := hm != "" && !fits()
	if twoLines {
		bb += lineHeight(fkd.size)
	}
	short := r.elder && r.shortModule() // 240×240: who serves takes the room, not the clock
	if short {
		hm, bb = "", 0
	}
	bar := image.Rect(0, H-bb, W, H)
	if bb > 0 {
		r.fill(bar, cCard)
		r.fill(image.Rect(0, bar.Min.Y, W, bar.Min.Y+1), cLine)
	}
	if hm != "" {
		in := image.Rect(c.pad, bar.Min.Y+3, W-c.pad, H-3)
		if twoLines {
			r.label(date, image.Rect(in.Min.X, in.Min.Y, in.Max.X, in.Min.Y+lineHeight(fkd.size)), fkd, cMuted, left)
			in.Min.Y += lineHeight(fkd.size)
			r.label(hm, in, fkt, cText, left)
		} else {
			r.label(hm, in, fkt, cText, left)
			r.label(date, in, fkd, cMuted, right)
		}
	}
	y1 := bar.Min.Y - c.gap
	message := func(room int) { // a notice from the central, on up to 2 lines (elder mode: 3, as many as room holds)
		fkm := faceKey{c.body, true}
		nm := 2
		if r.elder {
			nm = max(min(3, room/lineHeight(fkm.size)), 1)
		}
		n, _ := r.lines(fkm, m.Message, W-2*c.pad, nm)
		n = min(n, nm)
		h := n * lineHeight(fkm.size)
		r.para(m.Message, image.Rect(c.pad, y1-h, W-c.pad, y1), fkm, cRed, center, n)
		y1 -= h + c.gap
	}
	if m.Message != "" && !r.elder {
		message(0)
	}
	if m.Message != "" && short { // the central's notice in the card's place, whole
		fkm := faceKey{c.body, true}
		room := image.Rect(c.pad, body.Min.Y+c.gap, W-c.pad, H-c.gap)
		n, _ := r.lines(fkm, m.Message, room.Dx(), room.Dy()/lineHeight(fkm.size))
		r.para(m.Message, room, fkm, cRed, center, n)
		return
	}

	// Who serves: a card across the top, the photo beside 服务人员 and the
	// name, the 工号 under them across the card; on a square panel, the
	// name and the 工号 on one line, for the QR code's sake.
	var card image.Rectangle
	if c.tight && (W < 200 || short) {
		card = r.staffStack(m, image.Rect(c.pad, body.Min.Y+c.pad, W-c.pad, y1))
	} else if H < 300 && W >= 200 {
		card = r.staffSlim(m, image.Rect(c.pad, body.Min.Y+c.pad, W-c.pad, H))
	} else {
		card = r.staffCard(m, image.Rect(c.pad, body.Min.Y+c.pad, W-c.pad, H))
	}
	if m.Message != "" && r.elder { // under the card, in the room it leaves
		message(y1 - card.Max.Y - c.gap)
	}

	// The QR code with 扫码评价 under it, as large as the room left allows.
	if m.ScanURL == "" || r.qr.get(m.ScanURL) == nil {
		return
	}
	area := image.Rect(c.pad, card.Max.Y+c.gap, W-c.pad, y1)
	fks := faceKey{c.title, true}
	lh := lineHeight(fks.size)
	qs := min(area.Dx(), area.Dy()-lh)
	if qs < 2*(len(r.qr.get(m.ScanURL))+4) { // modules under 2 pixels do not scan: leave it out
		return
	}
	y0 := area.Min.Y + (area.Dy()-qs-lh)/2
	q := image.Rect(W/2-qs/2, y0, W/2-qs/2+qs, y0+qs)
	r.ops = append(r.ops, op{kind: opQR, r: q, s: m.ScanURL})
	r.label(m.text(txtScan), image.Rect(c.pad, q.Max.Y, W-c.pad, q.Max.Y+lh), fks, cText, center)
}

// staffCard draws who serves at the top of area: the photo beside
// 服务人员 and the name (up to two lines), the 工号 under them. It
// returns the card.
func (r *Renderer) staffCard(m *Model, area image.Rectangle) image.Rectangle {
	c := r.cs()
	fkl := faceKey{c.small, false}
	ip := c.gap + 2
	lhl, lhid := lineHeight(fkl.size), c.small*16/10
	ph := lhl + lineHeight(c.big)
	pw := ph * 3 / 4
	fkn, nl := r.fitName(m.StaffName, area.Dx()-3*ip-pw, 2*lineHeight(c.title), c.big, c.title)
	nl = min(nl, 2)
	ph = max(ph, lhl+nl*lineHeight(fkn.size))
	idH := 0
	if m.StaffID != "" {
		idH = lhid + c.gap
	}
	card := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+ph+idH+2*ip)
	r.box(card, r.rad(), cCard, cLine, 1)
	photo := image.Rect(card.Min.X+ip, card.Min.Y+ip, card.Min.X+ip+pw, card.Min.Y+ip+ph)
	r.fill(photo.Inset(-1), cLine)
	r.ops = append(r.ops, op{kind: opPhoto, r: photo})
	tx0, tx1 := photo.Max.X+ip, card.Max.X-ip
	y := card.Min.Y + ip + (ph-lhl-nl*lineHeight(fkn.size))/2
	r.label(m.text(txtStaff), image.Rect(tx0, y, tx1, y+lhl), fkl, cMuted, left)
	y += lhl
	r.para(m.StaffName, image.Rect(tx0, y, tx1, y+nl*lineHeight(fkn.size)), fkn, cText, left, nl)
	if m.StaffID != "" {
		y = photo.Max.Y + c.gap
		r.pill(r.memo.workNo(m.StaffID), card.Min.X+ip, 0, y+lhid/2, lhid, fkl, cBlueTint, cBlue, card.Dx()-2*ip)
	}
	return card
}

// staffStack draws who serves at the top of area, a line each and no
// photo, for elder mode's type on a narrow panel: 服务人员, the name (two
// lines at most), the 工号. It returns the card.
func (r *Renderer) staffStack(m *Model, area image.Rectangle) image.Rectangle {
	c := r.cs()
	fkl := faceKey{c.small, false}
	ip := c.gap
	in := area.Inset(ip)
	lhl, lhid := lineHeight(fkl.size), c.small*16/10
	room := in.Dy() - lhl - btoi(m.StaffID != "")*(lhid+c.gap)                                             // for the name
	fkn, nl := r.fitText(m.StaffName, in.Dx(), min(2*lineHeight(c.title), room), c.title, c.body, 2, true) // never under the body size
	lhn := lineHeight(fkn.size)
	h := lhl + nl*lhn
	if m.StaffID != "" {
		h += lhid + c.gap
	}
	card := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+h+2*ip)
	r.box(card, r.rad(), cCard, cLine, 1)
	y := card.Min.Y + ip
	r.label(m.text(txtStaff), image.Rect(in.Min.X, y, in.Max.X, y+lhl), fkl, cMuted, left)
	y += lhl
	r.para(m.StaffName, image.Rect(in.Min.X, y, in.Max.X, y+nl*lhn), fkn, cText, left, nl)
	if y += nl*lhn + c.gap; m.StaffID != "" {
		if id := r.memo.workNo(m.StaffID); r.measure(fkl, id)+lhid <= in.Dx() {
			r.pill(id, in.Min.X, 0, y+lhid/2, lhid, fkl, cBlueTint, cBlue, in.Dx())
		} else { // 工号 and the number without the pill's ends
			row := image.Rect(in.Min.X, y, in.Max.X, y+lhid)
			row.Min.X += r.label(id[:len("工号")], row, fkl, cMuted, left) + c.gap
			r.label(m.StaffID, row, fkl, cText, left)
		}
	}
	return card
}

// staffSlim draws who serves on one line at the top of area: 服务人员,
// the name, and the 工号 if it fits. It returns the card.
func (r *Renderer) staffSlim(m *Model, area image.Rectangle) image.Rectangle {
	c := r.cs()
	fks := faceKey{c.small, false}
	fkn := faceKey{c.title, true}
	card := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+lineHeight(fkn.size)+6)
	r.box(card, r.rad(), cCard, cLine, 1)
	in := card.Inset(c.gap)
	in.Min.Y, in.Max.Y = card.Min.Y, card.Max.Y
	w := r.label(m.text(txtStaff), in, fks, cMuted, left)
	in.Min.X += w + c.gap
	idW := 0
	if m.StaffID != "" {
		idW = min(r.measure(fks, r.memo.workNo(m.StaffID)), in.Dx()/2)
	}
	w = r.label(m.StaffName, image.Rect(in.Min.X, in.Min.Y, in.Max.X-idW-c.gap, in.Max.Y), fkn, cText, left)
	if m.StaffID != "" {
		r.label(r.memo.workNo(m.StaffID), image.Rect(in.Min.X+w+c.gap, in.Min.Y, in.Max.X, in.Max.Y), fks, cMuted, left)
	}
	return card
}

// levelRows draws the five levels as rows across the panel, for panels
// under 240 pixels wide where five columns cannot hold the words: top to
// bottom in StarOrder, each row its level's touch target. It returns the
// top of the rows.
func (r *Renderer) levelRows(m *Model, body image.Rectangle) int {
	c := r.cs()
	W, H := r.size.W, r.size.H
	fk := faceKey{c.body, true}
	rowH := lineHeight(fk.size) + 2
	gap, bpad := 2, c.pad/2
	if r.elder && r.shortModule() { // 240×240: the title and five rows take the panel's height (levelRowsDown)
		bpad = 2
		rowH = max(min(rowH, (H-body.Min.Y-bpad-4*gap-(2+c.title+6+2))/5), fk.size+4)
	}
	y0 := H - 5*rowH - 4*gap - bpad
	st := fk.size * 6 / 10
	if r.elder {
		st = fk.size / 2 // rowStars: room for 非常不满意 at the body size
	}
	numeral := r.elder && !levelRowsFit(W, c) // the count as 5★: five stars do not go beside the word
	for i, lv := range m.starOrder() {
		y := y0 + i*(rowH+gap)
		rc := image.Rect(c.pad, y, W-c.pad, y+rowH)
		if numeral {
			rc = image.Rect(4, y, W-4, y+rowH)
		}
		r.round(rc, min(r.rad(), rowH/3), levelColor[lv])
		x := rc.Min.X + 6
		if numeral {
			x = rc.Min.X + 4
			x += r.label(r.num(lv), image.Rect(x, y, rc.Max.X, y+rowH), fk, cWhite, left)
			st := fk.size * 6 / 10
			r.stars(1, st, x+st/2, y+rowH/2, cWhite)
			x += st + 4
		} else {
			sw := starsWidth(5, st)
			r.stars(lv, st, x+sw/2, y+rowH/2, cWhite)
			x += sw + c.gap
		}
		r.label(rating.Stars(lv).Word(), image.Rect(x, y, rc.Max.X-2, y+rowH), fk, cWhite, left)
		r.target(image.Rect(0, y-gap/2, W, y+rowH+gap-gap/2), Target{Kind: TargetStar, Stars: lv})
	}
	return y0 - c.gap
}

// levelColumnsCompact draws the five level tiles as columns, one per
// physical button, on compact panels 240 or more wide: stars above the
// word, the four-character words on two lines.
func (r *Renderer) levelColumnsCompact(m *Model) int {
	c := r.cs()
	W, H := r.size.W, r.size.H
	gap := 4
	fk := faceKey{c.small, true}
	lh := lineHeight(fk.size)
	colW := W / 5
	st := min(colW/6, max(9, c.small*6/10)) // elder mode: larger stars
	tileH := st + 2*lh + 10
	y0 := H - tileH - gap/2
	for i, lv := range m.starOrder() {
		col := image.Rect(i*W/5, y0-gap/2, (i+1)*W/5, H)
		rc := image.Rect(col.Min.X+gap/2, y0, col.Max.X-gap/2, H-gap/2)
		r.round(rc, min(r.rad(), 6), levelColor[lv])
		cx := (rc.Min.X + rc.Max.X) / 2
		r.stars(lv, st, cx, rc.Min.Y+4+st/2, cWhite)
		w := rating.Stars(lv).Word()
		y := rc.Min.Y + 6 + st
		if r.measure(fk, w) <= rc.Dx()-2 {
			r.label(w, image.Rect(rc.Min.X+1, y, rc.Max.X-1, y+2*lh), fk, cWhite, center)
		} else { // 非常 / 满意, 基本 / 满意, 非常 / 不满意
			i := len(w) - len("满意")
			if runeCount(w) == 5 {
				i = len("非常")
			}
			r.label(w[:i], image.Rect(rc.Min.X+1, y, rc.Max.X-1, y+lh), fk, cWhite, center)
			r.label(w[i:], image.Rect(rc.Min.X+1, y+lh, rc.Max.X-1, y+2*lh), fk, cWhite, center)
		}
		r.target(col, Target{Kind: TargetStar, Stars: lv})
	}
	return y0 - gap/2
}

// rateCompact: the title, the case (or the theme's items, paged), the five
// levels.
func (r *Renderer) rateCompact(m *Model, body image.Rectangle) {
	c := r.cs()
	W := r.size.W
	var top int
	if r.elder && levelCols(W, c) || !r.elder && W >= 240 {
		top = r.levelColumnsCompact(m)
	} else {
		top = r.levelRows(m, body)
	}
	var row image.Rectangle
	if r.elder {
		row = r.elderTitleRow(m, body, c)
	} else {
		title := m.text(txtRateTitle)
		x1 := r.elderToggle(m, image.Rect(c.pad, body.Min.Y+c.gap, W-c.pad, body.Min.Y+c.gap+lineHeight(c.title)), faceKey{c.body, true}, c.gap)
		fkt := r.fitSize(title, x1-c.pad, c.title, c.small, true)
		if r.measure(fkt, title) > x1-c.pad {
			fkt.bold = false
		}
		row = image.Rect(c.pad, body.Min.Y+c.gap, x1, body.Min.Y+c.gap+lineHeight(fkt.size))
		r.label(title, row, fkt, cText, left)
	}
	area := image.Rect(c.pad, row.Max.Y+c.gap, W-c.pad, top-c.gap)
	if m.Mode == rating.ModeTheme && len(m.Cases) > 0 {
		r.themeCompact(m, area)
		return
	}
	if len(m.Cases) == 0 {
		return
	}
	// The case card: 办理事项, the task name on up to two lines, then the
	// project number (or, for a batch, how many cases); the labels go
	// when there is no room for them, 办理事项 first.
	cs := m.Cases[0]
	fkl := faceKey{c.small, false}
	ip := 4
	if area.Dy() < lineHeight(c.body)+2*ip { // elder mode's type on a small panel: no room for the card
		return
	}
	in := area.Inset(ip)
	in.Min.X += 3
	lhl := lineHeight(fkl.size)
	fk, nl := r.fitText(cs.TaskName, in.Dx(), in.Dy()-lhl, c.big, c.body, 2, !c.tight || W >= 200) // (bold is a pixel wider a character)
	lh := lineHeight(fk.size)
	label, sub := lhl, lhl
	for _, drop := range []*int{&label, &sub} {
		if label+sub+nl*lh+2*ip <= area.Dy() {
			break
		}
		*drop = 0
	}
	h := min(label+sub+nl*lh+2*ip, area.Dy())
	card := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+h)
	r.box(card, min(r.rad(), 6), cCard, cLine, 1)
	r.fill(image.Rect(card.Min.X+1, card.Min.Y+ip, card.Min.X+4, card.Max.Y-ip), cHeader)
	y := card.Min.Y + ip
	if label > 0 {
		r.label(txtItem, image.Rect(in.Min.X, y, in.Max.X, y+lhl), fkl, cMuted, left)
		y += lhl
	}
	r.para(cs.TaskName, image.Rect(in.Min.X, y, in.Max.X, y+nl*lh), fk, cText, left, nl)
	y += nl * lh
	if sub > 0 {
		if m.Mode == rating.ModeBatch {
			r.label(count(&r.memo.batchAll, len(m.Cases), "适用于全部 ", " 件办件"), image.Rect(in.Min.X, y, in.Max.X, y+lhl), fkl, cMuted, left)
		} else {
			r.label(cs.ProjectNo, image.Rect(in.Min.X, y, in.Max.X, y+lhl), fkl, cMuted, left)
		}
	}
	// Who served, and the hint, where there is room.
	y = card.Max.Y + c.gap
	fks := faceKey{c.small, false}
	lhs := lineHeight(fks.size)
	if m.StaffName != "" && area.Max.Y-y >= lhs+4 {
		rc := image.Rect(area.Min.X, y, area.Max.X, y+lhs+4)
		r.box(rc, min(r.rad(), 6), cCard, cLine, 1)
		in := rc.Inset(4)
		in.Min.Y, in.Max.Y = rc.Min.Y, rc.Max.Y
		w := r.label(m.text(txtStaff), in, fks, cMuted, left)
		in.Min.X += w + c.gap
		w = r.label(m.StaffName, in, faceKey{c.small, true}, cText, left)
		if in.Min.X += w + c.gap; m.StaffID != "" && r.measure(fks, r.memo.workNo(m.StaffID)) <= in.Dx() {
			r.label(r.memo.workNo(m.StaffID), in, fks, cMuted, left)
		}
		y = rc.Max.Y + c.gap
	}
	hint := txtRateHint
	if m.ButtonsOnly {
		hint = txtRateHintKeys
	}
	if n, fits := r.lines(fks, hint, area.Dx(), 2); fits && area.Max.Y-y >= n*lhs {
		r.para(hint, image.Rect(area.Min.X, area.Max.Y-n*lhs, area.Max.X, area.Max.Y), fks, cMuted, center, n)
	}
}

// pageScratch is the compact layout's reused slices, so a steady screen
// allocates nothing.
type pageScratch struct {
	heights, lines, starts []int
	float                  []int          // reasonsKeys: 1 where a reason's text flows under its check box
	labels                 map[int]string // "p/n" by p*1000+n
}

// ints returns s resized to n, zeroed, reusing its array.
func ints(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// pages splits items of the given heights into pages of at most height
// (gap between items); it returns the index each page starts at, in
// starts' array.
func pages(starts, heights []int, height, gap int) []int {
	starts = append(starts[:0], 0)
	used := 0
	for i, h := range heights {
		if used > 0 && used+gap+h > height {
			starts = append(starts, i)
			used = 0
		}
		if used > 0 {
			used += gap
		}
		used += h
	}
	return starts
}

// pageOf is the page (of starts) item i is on.
func pageOf(starts []int, i int) int {
	p := 0
	for p+1 < len(starts) && starts[p+1] <= i {
		p++
	}
	return p
}

// pager draws the page row: 上一页 and 下一页 as touch targets (touch pads)
// around p+1/n.
func (r *Renderer) pager(rc image.Rectangle, p, n int, touch bool) {
	c := r.cs()
	fk := faceKey{c.small, true}
	r.label(r.pageLabel(p, n), rc, fk, cMuted, center)
	if !touch {
		return
	}
	bw := rc.Dx() * 40 / 100
	if p > 0 {
		b := image.Rect(rc.Min.X, rc.Min.Y, rc.Min.X+bw, rc.Max.Y)
		r.box(b, rc.Dy()/2, cCard, cBlue, 1)
		r.label("上一页", b, fk, cBlue, center)
		r.target(b, Target{Kind: TargetPage, Page: p - 1})
	}
	if p+1 < n {
		b := image.Rect(rc.Max.X-bw, rc.Min.Y, rc.Max.X, rc.Max.Y)
		r.box(b, rc.Dy()/2, cCard, cBlue, 1)
		r.label("下一页", b, fk, cBlue, center)
		r.target(b, Target{Kind: TargetPage, Page: p + 1})
	}
}

// pageLabel is "p+1/n", made once.
func (r *Renderer) pageLabel(p, n int) string {
	sc := &r.pg
	if sc.labels == nil {
		sc.labels = map[int]string{}
	}
	k := p*1000 + n
	if _, ok := sc.labels[k]; !ok {
		sc.labels[k] = strconv.Itoa(p+1) + "/" + strconv.Itoa(n)
	}
	return sc.labels[k]
}

// pagerHeight is the height of the page row: with touch in elder mode,
// its targets' 60 dp at least.
func (r *Renderer) pagerHeight(touch bool) int {
	c := r.cs()
	if touch {
		return max(lineHeight(c.small)+8, c.tgt)
	}
	return lineHeight(c.small) + 8
}

// themeCompact lists 整体评价 and the theme's items one a row, paged when
// they do not all fit; rated items are ticked and not targets.
func (r *Renderer) themeCompact(m *Model, area image.Rectangle) {
	c := r.cs()
	fk := faceKey{c.body, false}
	fkb := faceKey{c.body, true}
	rowH := max(lineHeight(fk.size)+4, c.tgt)
	gap := 3
	n := len(m.Cases) + 1
	if c.tight && m.ButtonsOnly { // elder mode, buttons only: the items cannot be chosen; the whole theme is rated
		s := count(&r.memo.overall, len(m.Cases), txtOverall+" 共", "项")
		if r.measure(fk, s) > area.Dx() {
			s = s[len(txtOverall+" "):] // 共20项
		}
		if area.Dy() >= rowH && r.measure(fk, s) <= area.Dx() {
			r.label(s, area, fk, cText, left)
		}
		return
	}
	sc := &r.pg
	sc.heights = ints(sc.heights, n)
	heights := sc.heights
	for i := range heights {
		heights[i] = rowH
	}
	starts := pages(sc.starts, heights, area.Dy(), gap)
	touch := !m.ButtonsOnly || !r.elder         // (the normal screens draw the page targets either way)
	side := len(starts) > 1 && c.tight && touch // 上页/下页 beside the list
	if len(starts) > 1 && !side {
		starts = pages(starts, heights, area.Dy()-r.pagerHeight(touch)-gap, gap)
	}
	sc.starts = starts
	p := min(max(m.Page, 0), len(starts)-1)
	end := n
	if p+1 < len(starts) {
		end = starts[p+1]
	}
	if side {
		area = r.sidePager(area, p, len(starts))
	}
	anyRated := len(m.Rated) > 0
	y := area.Min.Y
	d := min(rowH-4, lineHeight(fk.size))
	for i := starts[p]; i < end; i++ {
		rc := image.Rect(area.Min.X, y, area.Max.X, y+rowH)
		y += rowH + gap
		badge := image.Rect(rc.Min.X+2, rc.Min.Y+2, rc.Min.X+2+d, rc.Min.Y+2+d)
		text := image.Rect(badge.Max.X+4, rc.Min.Y, rc.Max.X-3, rc.Max.Y)
		rad := min(r.rad(), rowH/3)
		if i == 0 {
			switch {
			case anyRated:
				r.box(rc, rad, cDisabled, cDisabled, 0)
				r.round(badge, d/2, cFaint)
				r.shapeOp(shapeStar, badge.Inset(d/5), cDisabled)
				r.label(txtOverall, text, fkb, cMuted, left)
				continue
			case m.Target == "":
				r.box(rc, rad, cBlueTint, cBlue, 2)
				r.round(badge, d/2, cBlue)
			default:
				r.box(rc, rad, cCard, cLine, 1)
				r.round(badge, d/2, cStar)
			}
			r.shapeOp(shapeStar, badge.Inset(d/5), cWhite)
			r.label(txtOverall, text, fkb, cText, left)
			r.target(rc, Target{Kind: TargetOverall})
			continue
		}
		cs := m.Cases[i-1]
		fkn := faceKey{max(12, d*8/10), true}
		switch {
		case slices.Contains(m.Rated, cs.ProjectNo):
			r.box(rc, rad, cDisabled, cDisabled, 0)
			r.round(badge, d/2, cGreen)
			r.shapeOp(shapeCheck, badge.Inset(d/6), cWhite)
			rw := r.measure(faceKey{c.small, false}, txtRated)
			r.label(txtRated, text, faceKey{c.small, false}, cGreenText, right)
			r.label(cs.TaskName, image.Rect(text.Min.X, text.Min.Y, text.Max.X-rw-3, text.Max.Y), fk, cMuted, left)
			continue
		case cs.ProjectNo == m.Target:
			r.box(rc, rad, cBlueTint, cBlue, 2)
			r.round(badge, d/2, cBlue)
			r.label(r.num(i), badge.Inset(-3), fkn, cWhite, center)
			r.label(cs.TaskName, text, fkb, cText, left)
		default:
			r.box(rc, rad, cCard, cLine, 1)
			r.round(badge, d/2, cDisabled)
			r.label(r.num(i), badge.Inset(-3), fkn, cText, center)
			r.label(cs.TaskName, text, fk, cText, left)
		}
		r.target(rc, Target{Kind: TargetItem, ProjectNo: cs.ProjectNo})
	}
	if len(starts) > 1 && !side {
		r.pager(image.Rect(area.Min.X, area.Max.Y-r.pagerHeight(touch), area.Max.X, area.Max.Y), p, len(starts), touch)
	}
}

// reasonsCompact: the level and the title, the reasons one a row (each on
// up to three lines, in elder mode on as many as it needs; paged when they
// do not all fit), the count and 确认提交. With ButtonsOnly the page is the
// focused reason's. In elder mode the title is at the title size beside
// the level (or under it), and 朗读 is in the bottom bar; on a narrow touch
// panel, with no room beside the level, 朗读 has its own row. In elder
// mode on a small buttons-only pad it is reasonsKeys'.
func (r *Renderer) reasonsCompact(m *Model, body image.Rectangle) {
	c := r.cs()
	if c.tight && m.ButtonsOnly {
		r.reasonsKeys(m, body)
		return
	}
	W := r.size.W
	lv := m.Stars
	if lv < 1 || lv > 5 {
		lv = 0
	}
	y := body.Min.Y + c.gap
	titleBeside := false
	var fkt faceKey
	var title string
	if lv > 0 { // the level as a chip, the title beside it if it fits, else under it
		fkc := faceKey{c.small, true}
		h := lineHeight(fkc.size) + 4
		w := r.chipWidth(lv, fkc, h, W-2*c.pad)
		rowH := h
		if r.elder { // the title beside the chip where it goes across
			fkt = faceKey{c.title, true}
			room := W - c.pad - (c.pad + w + c.gap)
			title = r.elderTitle(m, txtReasonTitle, room, fkt, txtReasonTitleMid, txtReasonTitleElder)
			if titleBeside = r.measure(fkt, title) <= room; titleBeside {
				rowH = max(h, lineHeight(fkt.size))
				r.label(title, image.Rect(c.pad+w+c.gap, y, W-c.pad, y+rowH), fkt, cText, left)
			}
		}
		cy := y + rowH/2
		chip := r.levelChip(lv, fkc, image.Rect(c.pad, cy-h/2, c.pad+w, cy-h/2+h))
		if !r.elder {
			row := image.Rect(chip.Max.X+c.gap, y, W-c.pad, y+h)
			if r.readPill(m, row, fkc, c.gap) == row.Max.X && m.OfferRead && !m.ButtonsOnly { // no room beside the chip: a row of its own
				y += h + c.gap
				r.cornerPill(txtRead, Target{Kind: TargetRead}, image.Rect(c.pad, y, W-c.pad, y+h), fkc, c.gap)
			}
		}
		y += rowH + c.gap
	}
	if !titleBeside {
		if r.elder {
			fkt = faceKey{c.title, true}
			title = r.elderTitle(m, txtReasonTitle, W-2*c.pad, fkt, txtReasonTitleMid, txtReasonTitleElder, txtReasonTitleMin)
		} else {
			fkt, title = faceKey{c.body, W >= 200}, m.text(txtReasonTitle)
		}
		nt, _ := r.lines(fkt, title, W-2*c.pad, 2)
		nt = min(nt, 2)
		r.para(title, image.Rect(c.pad, y, W-c.pad, y+nt*lineHeight(fkt.size)), fkt, cText, left, nt)
		y += nt*lineHeight(fkt.size) + c.gap
	}

	// The bottom bar: what is selected, 朗读 in elder mode, 确认提交; the
	// keys' hint above it.
	listBottom := r.confirmBar(m, c) - c.gap
	if m.ButtonsOnly { // broken at its separators
		listBottom -= r.hintPara(keyHint(m), image.Rect(c.pad, body.Min.Y, W-c.pad, listBottom), faceKey{c.small, false}, cMuted, center) + c.gap
	}

	// The reasons.
	area := image.Rect(c.pad, y, W-c.pad, listBottom)
	n := len(m.Offered)
	if n == 0 || area.Dy() <= 0 {
		return
	}
	fk := faceKey{c.body, false}
	lh := lineHeight(fk.size)
	ring, sp := 0, 0 // the focus ring, with ButtonsOnly
	if m.ButtonsOnly {
		ring, sp = 2, 1
	}
	gap := 2*(ring+sp) + 4
	maxLines := min(3, (area.Dy()-2*reasonPad-2*(ring+sp))/lh)
	if r.elder { // a reason whole, on as many lines as a page holds
		maxLines = (area.Dy() - 2*reasonPad - 2*(ring+sp)) / lh
	}
	maxLines = max(maxLines, 1)
	sc := &r.pg
	sc.heights, sc.lines, sc.float = ints(sc.heights, n), ints(sc.lines, n), ints(sc.float, n)
	heights, lines := sc.heights, sc.lines
	measure := func(width int) []int {
		for i, rs := range m.Offered { // in elder mode flowing under the check box where that takes fewer lines
			nl, float := r.reasonFit(fk, rs.Text, width-2*(ring+sp)-2*reasonPad, maxLines, r.elder)
			lines[i], sc.float[i] = min(nl, maxLines), btoi(float)
			heights[i] = max(lines[i]*lh+2*reasonPad, c.tgt)
		}
		return pages(sc.starts, heights, area.Dy(), gap)
	}
	starts := measure(area.Dx())
	side := len(starts) > 1 && c.tight && !m.ButtonsOnly // 上页/下页 beside the list
	if side {
		starts = measure(area.Dx() - 2*(c.tgt+c.gap))
	} else if len(starts) > 1 {
		starts = pages(starts, heights, area.Dy()-r.pagerHeight(!m.ButtonsOnly)-gap, gap)
	}
	sc.starts = starts
	p := min(max(m.Page, 0), len(starts)-1)
	if m.ButtonsOnly && m.Focus >= 0 && m.Focus < n {
		p = pageOf(starts, m.Focus)
	}
	end := n
	if p+1 < len(starts) {
		end = starts[p+1]
	}
	list := area
	switch {
	case side:
		list = r.sidePager(area, p, len(starts))
	case len(starts) > 1:
		r.pager(image.Rect(area.Min.X, area.Max.Y-r.pagerHeight(!m.ButtonsOnly), area.Max.X, area.Max.Y), p, len(starts), !m.ButtonsOnly)
	}
	yy := list.Min.Y + ring + sp
	for i := starts[p]; i < end; i++ {
		rc := image.Rect(list.Min.X+ring+sp, yy, list.Max.X-ring-sp, yy+heights[i])
		yy += heights[i] + gap
		r.reasonRow(m, i, rc, fk, lines[i], sc.float[i] == 1)
	}
}

// reasonPad is the inner margin of a reason's row.
const reasonPad = 4

// chipWidth is the width of the level chip of lv (its stars and word at
// fk, h high) in a row of width room: its ends narrower where it is short.
func (r *Renderer) chipWidth(lv int, fk faceKey, h, room int) int {
	st := fk.size * 8 / 10
	sw := starsWidth(lv, st)
	w := sw + 4 + r.measure(fk, rating.Stars(lv).Word())
	if r.cs().tight && w+h > room {
		return w + 2*(h/4)
	}
	return w + h
}

// levelChip draws the level lv as a chip filling rc: its stars and its
// word at fk, white on the level's colour. It returns rc.
func (r *Renderer) levelChip(lv int, fk faceKey, rc image.Rectangle) image.Rectangle {
	st := fk.size * 8 / 10
	sw := starsWidth(lv, st)
	pd := (rc.Dx() - sw - 4 - r.measure(fk, rating.Stars(lv).Word())) / 2 // the chip's ends
	cy := (rc.Min.Y + rc.Max.Y) / 2
	r.round(rc, rc.Dy()/2, levelColor[lv])
	r.stars(lv, st, rc.Min.X+pd+sw/2, cy, cWhite)
	r.label(rating.Stars(lv).Word(), image.Rect(rc.Min.X+pd+sw+4, rc.Min.Y, rc.Max.X, rc.Max.Y), fk, cWhite, left)
	return rc
}

// reasonRow draws reason i of m in rc, its target: a card (red when
// chosen) with the check box and the text on nl lines beside it, or with
// float the text's first line beside the box and the rest across the
// card under it. With ButtonsOnly the focused one has a blue ring.
func (r *Renderer) reasonRow(m *Model, i int, rc image.Rectangle, fk faceKey, nl int, float bool) {
	rs := m.Offered[i]
	ip, cb := reasonPad, fk.size
	rad := min(r.rad(), 6)
	if m.ButtonsOnly && m.Focus == i {
		const ring, sp = 2, 1
		o := rc.Inset(-(ring + sp))
		r.round(o, rad+ring+sp, cBlue)
		r.round(o.Inset(ring), rad+sp, cPage)
	}
	lh := lineHeight(fk.size)
	by := rc.Min.Y + (rc.Dy()-cb)/2
	if float {
		by = rc.Min.Y + ip + (lh-cb)/2
	}
	box := image.Rect(rc.Min.X+ip, by, rc.Min.X+ip+cb, by+cb)
	ink := cText
	if slices.Contains(m.Selected, rs.Code) {
		r.box(rc, rad, cRedTint, cRed, 2)
		r.round(box, max(cb/5, 2), cRed)
		r.shapeOp(shapeCheck, box.Inset(cb/10), cWhite)
		ink = rgb(0x8E, 0x16, 0x16)
	} else {
		r.box(rc, rad, cCard, cLine, 1)
		r.box(box, max(cb/5, 2), cCard, cFaint, 2)
	}
	if float {
		r.floatPara(rs.Text, rc.Inset(ip), box.Max.X+ip, fk, ink, nl)
	} else {
		r.para(rs.Text, image.Rect(box.Max.X+ip, rc.Min.Y, rc.Max.X-ip, rc.Max.Y), fk, ink, left, nl)
	}
	r.target(rc, Target{Kind: TargetReason, Code: rs.Code})
}

// confirmBar draws the reasons screen's bottom bar: what is selected (or
// 请至少选择一项), 朗读 in elder mode on a touch pad, 确认提交. It returns
// the bar's top.
func (r *Renderer) confirmBar(m *Model, c csz) int {
	W, H := r.size.W, r.size.H
	fkb := faceKey{c.title, true}
	if W < 200 || c.tight {
		fkb.size = c.body
	}
	bh := lineHeight(fkb.size) + 4
	bb := bh + 2*c.gap
	if c.tgt > 0 {
		bh = max(bh, c.tgt-2*c.gap)
		bb = max(bb, c.tgt)
	}
	bar := image.Rect(0, H-bb, W, H)
	r.fill(bar, cCard)
	r.fill(image.Rect(0, bar.Min.Y, W, bar.Min.Y+1), cLine)
	bw := r.measure(fkb, m.text(txtConfirm)) + bh*2/3
	by := bar.Min.Y + (bb-bh)/2
	btn := image.Rect(W-c.pad-bw, by, W-c.pad, by+bh)
	btnColor, ink := confirmColors(m)
	r.round(btn, min(r.rad(), 6), btnColor)
	r.label(m.text(txtConfirm), btn, fkb, ink, center)
	r.target(image.Rect(btn.Min.X-c.gap, bar.Min.Y, W, H), Target{Kind: TargetConfirm})
	x1 := btn.Min.X - c.gap
	if r.elder && m.OfferRead && !m.ButtonsOnly {
		x1 = r.cornerPill(txtRead, Target{Kind: TargetRead}, image.Rect(c.pad, bar.Min.Y, x1-c.gap, H), faceKey{c.body, true}, c.gap)
	}
	first := txtPickOne
	if len(m.Selected) > 0 {
		first = count(&r.memo.selected, len(m.Selected), "已选 ", " 项")
	}
	fkf := faceKey{c.small, W >= 200}
	if r.elder && r.measure(fkf, first) > x1-c.pad {
		first = txtPickOneElder
	}
	r.label(first, image.Rect(c.pad, bar.Min.Y, x1, H), fkf, cText, left)
	return bar.Min.Y
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// thanksCompact: the tick, 感谢您的评价！, the level's stars and word, a
// message, each fitted to the width.
func (r *Renderer) thanksCompact(m *Model, body image.Rectangle) {
	c := r.cs()
	W := r.size.W
	d := min(W/3, 64)
	fkt := r.fitSize(m.text(txtThanks), W-2*c.pad, c.huge, c.title, true)
	fkw := faceKey{c.title, true}
	fkm := faceKey{c.body, false}
	lt, lw, lm := lineHeight(fkt.size), lineHeight(fkw.size), lineHeight(fkm.size)
	lv := m.LastStars
	st := 0
	if lv >= 1 && lv <= 5 {
		st = fkw.size
	} else {
		lv, lw = 0, 0
	}
	ml, nm := 0, 3
	if r.elder {
		nm = 4                         // the message's larger type on a small panel
		st = min(st, (W-2*c.pad)*6/34) // five stars across
	}
	if m.Message != "" {
		n, _ := r.lines(fkm, m.Message, W-2*c.pad, nm)
		ml = min(n, nm) * lm
	}
	inline := r.elder && r.shortModule() && lv > 0 // 240×240: the level as 5★ and its word, a line at the body size
	if inline {
		fkw = faceKey{c.body, true}
		lw, st = lineHeight(fkw.size), 0
	}
	nt, g := 1, c.gap
	thanks := m.text(txtThanks)
	if r.elder { // the shorter title, or two lines, where it does not go across; the tick as large as the room left
		thanks = r.elderTitle(m, txtThanks, W-2*c.pad, fkt, txtThanksElder, txtThanksMin)
		nt = r.titleLines(fkt, thanks)
		d, st, g = r.squeeze(body.Dy(), d, st, g, nt*lt+lw+ml)
	}
	y := centred(body, d, g*2, nt*lt, g, st, lw, g, ml)
	if d > 0 {
		disc := image.Rect(W/2-d/2, y, W/2-d/2+d, y+d)
		r.round(disc, d/2, cGreen)
		r.shapeOp(shapeCheck, disc.Inset(d/5), cWhite)
	}
	y += d + 2*g
	r.para(thanks, image.Rect(c.pad, y, W-c.pad, y+nt*lt), fkt, cText, center, nt)
	y += nt*lt + g
	switch {
	case inline:
		num, word := r.num(lv), rating.Stars(lv).Word()
		sz := fkw.size * 8 / 10
		x := W/2 - (r.measure(fkw, num)+sz+c.gap+r.measure(fkw, word))/2
		x += r.label(num, image.Rect(x, y, W-c.pad, y+lw), fkw, levelColor[lv], left)
		r.stars(1, sz, x+sz/2, y+lw/2, cStar)
		r.label(word, image.Rect(x+sz+c.gap, y, W-c.pad, y+lw), fkw, levelColor[lv], left)
		y += lw + g
	case lv > 0:
		r.stars(lv, st, W/2, y+st/2, cStar)
		y += st
		r.label(rating.Stars(lv).Word(), image.Rect(c.pad, y, W-c.pad, y+lw), fkw, levelColor[lv], center)
		y += lw + g
	}
	r.para(m.Message, image.Rect(c.pad, y, W-c.pad, y+ml), fkm, cMuted, center, nm)
}

// pausedCompact: the pause sign, 暂停服务, a message.
func (r *Renderer) pausedCompact(m *Model, body image.Rectangle) {
	c := r.cs()
	W := r.size.W
	d := min(W/3, 64)
	fkt := r.fitSize(m.text(txtPaused), W-2*c.pad, c.huge+4, c.title, true)
	fkm := faceKey{c.body, false}
	lt, lm := lineHeight(fkt.size), lineHeight(fkm.size)
	ml := 0
	if m.Message != "" {
		n, _ := r.lines(fkm, m.Message, W-2*c.pad, 3)
		ml = min(n, 3) * lm
	}
	nt, g, st := 1, c.gap, 0
	if r.elder {
		nt = r.titleLines(fkt, m.text(txtPaused))
		d, st, g = r.squeeze(body.Dy(), d, st, g, nt*lt+ml)
	}
	y := centred(body, d, 2*g, nt*lt, g, ml)
	disc := image.Rect(W/2-d/2, y, W/2-d/2+d, y+d)
	r.round(disc, d/2, cFaint)
	bw, bh := d*12/100, d*40/100
	r.round(image.Rect(W/2-bw*3/2, disc.Min.Y+(d-bh)/2, W/2-bw/2, disc.Min.Y+(d-bh)/2+bh), bw/4, cWhite)
	r.round(image.Rect(W/2+bw/2, disc.Min.Y+(d-bh)/2, W/2+bw*3/2, disc.Min.Y+(d-bh)/2+bh), bw/4, cWhite)
	y += d + 2*g
	r.para(m.text(txtPaused), image.Rect(c.pad, y, W-c.pad, y+nt*lt), fkt, cText, center, nt)
	y += nt*lt + g
	r.para(m.Message, image.Rect(c.pad, y, W-c.pad, y+ml), fkm, cMuted, center, 3)
}

// faultCompact: the warning sign, 设备故障 暂停使用 (on two lines when it
// does not fit one), the code, 请联系工作人员处理, a message.
func (r *Renderer) faultCompact(m *Model, body image.Rectangle) {
	c := r.cs()
	W := r.size.W
	d := min(W/3, 60)
	title := m.text(txtFault)
	short := r.elder && r.shortModule() // 240×240: 设备故障 on one line, the code as text at the body size
	if short {
		title = r.elderTitle(m, txtFault, W-2*c.pad, faceKey{c.huge, true}, txtFaultElder)
	}
	fkt, nt := r.fitSize(title, W-2*c.pad, c.huge, c.title, true), 1
	if r.measure(fkt, title) > W-2*c.pad {
		fkt, nt = r.fitText(title, W-2*c.pad, 2*lineHeight(c.huge), c.huge, c.title, 2, true)
	}
	fkc := faceKey{c.title, true}
	fkl := faceKey{c.small, false}
	fkm := faceKey{c.small, false}
	lt, lm := lineHeight(fkt.size), lineHeight(fkm.size)
	ch := lineHeight(fkc.size) + 4
	codeH := 0
	if short {
		fkc.size, ch = c.body, lineHeight(c.body)
	}
	w1, cw := r.measure(fkl, txtFaultCode), min(r.measure(fkc, m.FaultCode)+ch, W/2)
	if short {
		cw = min(r.measure(fkc, m.FaultCode), W-2*c.pad)
	}
	stacked := r.elder && w1+c.gap+cw > W-2*c.pad // 故障代码 over the code where they do not go side by side
	if stacked {
		cw = min(r.measure(fkc, m.FaultCode)+ch, W-2*c.pad)
	}
	if m.FaultCode != "" {
		codeH = ch + c.gap
		if stacked {
			codeH += lineHeight(fkl.size)
		}
	}
	nc, _ := r.lines(fkm, m.text(txtCallStaff), W-2*c.pad, 2)
	nc = min(nc, 2)
	ml := 0
	if m.Message != "" {
		n, _ := r.lines(fkm, m.Message, W-2*c.pad, 2)
		ml = min(n, 2) * lm
	}
	g := c.gap
	if r.elder {
		d, _, g = r.squeeze(body.Dy(), d, 0, g, nt*lt+codeH+nc*lm+ml)
	}
	y := centred(body, d, 2*g, nt*lt, g, codeH, nc*lm, ml)
	if d > 0 { // (elder mode on a small panel may leave no room for the sign)
		r.warningSign(W/2, y, d)
	}
	y += d + 2*g
	if a, b, ok := strings.Cut(title, " "); ok && r.elder && nt == 2 { // 设备故障 / 暂停使用: a line each, not broken mid-word
		r.label(a, image.Rect(c.pad, y, W-c.pad, y+lt), fkt, cRed, center)
		r.label(b, image.Rect(c.pad, y+lt, W-c.pad, y+2*lt), fkt, cRed, center)
	} else {
		r.para(title, image.Rect(c.pad, y, W-c.pad, y+nt*lt), fkt, cRed, center, nt)
	}
	y += nt*lt + g
	if m.FaultCode != "" {
		x := W/2 - (w1+c.gap+cw)/2
		if stacked {
			r.label(txtFaultCode, image.Rect(c.pad, y, W-c.pad, y+lineHeight(fkl.size)), fkl, cMuted, center)
			x, y = W/2-cw/2, y+lineHeight(fkl.size)
		} else {
			r.label(txtFaultCode, image.Rect(x, y, x+w1, y+ch), fkl, cMuted, left)
			x += w1 + c.gap
		}
		code := image.Rect(x, y, x+cw, y+ch)
		if short {
			r.label(m.FaultCode, code, fkc, cText, center)
		} else {
			r.box(code, min(r.rad(), 6), cCard, cText, 1)
			r.label(m.FaultCode, code.Inset(ch/4), fkc, cText, center)
		}
		y += ch + c.gap
	}
	r.para(m.text(txtCallStaff), image.Rect(c.pad, y, W-c.pad, y+nc*lm), fkm, cMuted, center, nc)
	y += nc * lm
	r.para(m.Message, image.Rect(c.pad, y, W-c.pad, y+ml), fkm, cMuted, center, 2)
}

// confirmColors are 确认提交's fill and text: blue, or grey with nothing
// selected yet (a touch then says 请至少选择一项); both 4.5:1 or more.
func confirmColors(m *Model) (fill, ink color.RGBA) {
	if len(m.Selected) == 0 {
		return cDisabled, cMuted
	}
	return cBlue, cWhite
}
