package display

import (
	"image"
	"slices"
	"unicode/utf8"

	"evalpad/rating"
)

// levelTiles draws the five level tiles along the bottom edge, one per
// physical button: the panel's width in five equal columns, in the
// buttons' order. It returns the top of the tiles.
func (r *Renderer) levelTiles(m *Model) int {
	W, H := r.size.W, r.size.H
	gap := r.gap()
	colW := W / 5
	// One size for the five words: the largest at which the longest fits.
	fkw := faceKey{r.fs(30), true}
	for fkw.size > 12 && r.measure(fkw, rating.Stars(1).Word()) > colW-gap-4 {
		fkw.size -= 2
	}
	twoLines := r.measure(fkw, rating.Stars(1).Word()) > colW-gap-4 // only below 480 wide
	st := max(min(r.px(24), colW/7), 8)
	tileH := max(r.px(128), fkw.size+st+3*gap)
	y0 := H - tileH - gap/2
	for i, lv := range m.starOrder() {
		col := image.Rect(i*W/5, y0-gap/2, (i+1)*W/5, H)
		rc := image.Rect(col.Min.X+gap/2, y0, col.Max.X-gap/2, H-gap/2)
		r.round(rc, r.rad(), levelColor[lv])
		cx := (rc.Min.X + rc.Max.X) / 2
		inner := rc.Dy() - st - lineHeight(fkw.size)
		sy := rc.Min.Y + inner*45/100 + st/2
		r.stars(lv, st, cx, sy, cWhite)
		wy := sy + st/2 + inner*10/100
		w := rating.Stars(lv).Word()
		if twoLines && runeCount(w) > 3 { // 非常 / 不满意: split in the middle, first half shorter
			lh := lineHeight(fkw.size)
			y := sy + st/2 + (rc.Max.Y-sy-st/2-2*lh)/2
			i := 0
			for k := 0; k < runeCount(w)/2; k++ {
				_, n := utf8.DecodeRuneInString(w[i:])
				i += n
			}
			r.label(w[:i], image.Rect(rc.Min.X+2, y, rc.Max.X-2, y+lh), fkw, cWhite, center)
			r.label(w[i:], image.Rect(rc.Min.X+2, y+lh, rc.Max.X-2, y+2*lh), fkw, cWhite, center)
		} else {
			r.label(w, image.Rect(rc.Min.X+2, wy, rc.Max.X-2, wy+lineHeight(fkw.size)), fkw, cWhite, center)
		}
		r.target(col, Target{Kind: TargetStar, Stars: lv})
	}
	return y0 - gap/2
}

// titleRow draws a screen's title at the top of body with an optional
// pill on the right; it returns the row.
func (r *Renderer) titleRow(m *Model, body image.Rectangle, title, badge string) image.Rectangle {
	pad, gap := r.pad(), r.gap()
	fkt := faceKey{r.fs(36), true}
	row := image.Rect(pad, body.Min.Y+gap, r.size.W-pad, body.Min.Y+gap+lineHeight(fkt.size)+gap/2)
	x1 := r.elderToggle(m, row, faceKey{r.fs(24), true}, gap)
	if badge != "" {
		fkb := faceKey{r.fs(24), true}
		h := fkb.size * 17 / 10
		pr := r.pill(badge, 0, x1, (row.Min.Y+row.Max.Y)/2, h, fkb, cBlueTint, cBlue, row.Dx()/2)
		x1 = pr.Min.X - gap
	}
	for fkt.size > 14 && r.measure(fkt, title) > x1-row.Min.X {
		fkt.size -= 2
	}
	r.label(title, image.Rect(row.Min.X, row.Min.Y, x1, row.Max.Y), fkt, cText, left)
	return row
}

// rateScreen: the title, the session's cases, the five level tiles.
//
//	 请对本次服务进行评价                          (批量办理 共3件)
//	┌──────────────────────────────────────────────────────────┐
//	│ 办理事项                                                   │
//	│ 企业设立登记                                               │  single, batch
//	│ 办件编号 37090020261125000123                              │
//	└──────────────────────────────────────────────────────────┘
//	┌─────────┐┌─────────┐┌─────────┐┌─────────┐┌─────────┐
//	│ ★★★★★   ││  ★★★★   ││  ★★★    ││   ★★    ││    ★    │  one per button,
//	│ 非常满意 ││  满意   ││ 基本满意 ││  不满意  ││非常不满意│  in StarOrder
//	└─────────┘└─────────┘└─────────┘└─────────┘└─────────┘
//	   [5]        [4]        [3]        [2]        [1]     physical buttons
func (r *Renderer) rateScreen(m *Model, body image.Rectangle) {
	pad, gap := r.pad(), r.gap()
	tilesTop := r.levelTiles(m)
	badge := ""
	switch {
	case m.Mode == rating.ModeBatch:
		badge = count(&r.memo.batch, len(m.Cases), "批量办理 共", "件")
	case m.Mode == rating.ModeTheme:
		badge = count(&r.memo.theme, len(m.Cases), "主题式办理 共", "项")
	}
	row := r.titleRow(m, body, m.text(txtRateTitle), badge)
	area := image.Rect(pad, row.Max.Y+gap/2, r.size.W-pad, tilesTop-gap)
	if m.Mode == rating.ModeTheme && len(m.Cases) > 0 {
		r.themeItems(m, area)
		return
	}
	// Single, batch (or no case): the case card at the top, then who
	// served, then a hint above the tiles, each if there is room.
	y := area.Min.Y
	if len(m.Cases) > 0 {
		y = r.caseCard(m, area) + gap
	}
	fkh := faceKey{r.fs(22), false}
	hint := txtRateHint
	if m.ButtonsOnly {
		hint = txtRateHintKeys
	}
	hh := lineHeight(fkh.size)
	if sh := r.staffStripHeight(); area.Max.Y-y >= sh+hh || len(m.Cases) == 0 {
		r.staffStrip(m, image.Rect(area.Min.X, y, area.Max.X, min(y+sh, area.Max.Y)))
		y += sh + gap
	}
	if area.Max.Y-y >= hh {
		r.label(hint, image.Rect(area.Min.X, area.Max.Y-hh, area.Max.X, area.Max.Y), fkh, cMuted, center)
	}
}

// caseCard shows the one item of a single or batch session at the top of
// area; it returns the card's bottom.
func (r *Renderer) caseCard(m *Model, area image.Rectangle) int {
	c := m.Cases[0]
	ip := max(r.px(22), 7)
	fkl := faceKey{r.fs(22), false}
	fkn := faceKey{r.fs(20), false}
	lhl, lhn := lineHeight(fkl.size), lineHeight(fkn.size)
	in := area.Inset(ip)
	in.Min.X += max(r.px(6), 3)
	fk, nl := r.fitText(c.TaskName, in.Dx(), in.Dy()-lhl-lhn, r.fs(40), r.fs(26), 2, true)
	lh := lineHeight(fk.size)
	h := lhl + nl*lh + lhn + 2*ip
	card := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+min(h, area.Dy()))
	r.box(card, r.rad(), cCard, cLine, 1)
	r.fill(image.Rect(card.Min.X+1, card.Min.Y+ip, card.Min.X+1+max(r.px(6), 3), card.Max.Y-ip), cHeader)
	y := card.Min.Y + ip
	r.label(txtItem, image.Rect(in.Min.X, y, in.Max.X, y+lhl), fkl, cMuted, left)
	y += lhl
	r.para(c.TaskName, image.Rect(in.Min.X, y, in.Max.X, y+nl*lh), fk, cText, left, nl)
	y += nl * lh
	if m.Mode == rating.ModeBatch {
		r.label(count(&r.memo.batchAll, len(m.Cases), "本次评价适用于全部 ", " 件办件"), image.Rect(in.Min.X, y, in.Max.X, y+lhn), fkn, cMuted, left)
		return card.Max.Y
	}
	w := r.label(txtProjectNo, image.Rect(in.Min.X, y, in.Max.X, y+lhn), fkn, cMuted, left)
	x := in.Min.X + w + fkn.size/2
	r.label(c.ProjectNo, image.Rect(x, y, in.Max.X, y+lhn), fkn, cMuted, left)
	return card.Max.Y
}

func (r *Renderer) staffStripHeight() int {
	return max(r.px(70), lineHeight(r.fs(30))+2*max(r.px(10), 4))
}

// staffStrip shows who served: a small photo, the name and the 工号.
func (r *Renderer) staffStrip(m *Model, rc image.Rectangle) {
	r.box(rc, r.rad(), cCard, cLine, 1)
	ip := max(r.px(10), 4)
	ph := rc.Dy() - 2*ip
	pw := ph * 3 / 4
	photo := image.Rect(rc.Min.X+ip+max(r.px(6), 3), rc.Min.Y+ip, rc.Min.X+ip+max(r.px(6), 3)+pw, rc.Min.Y+ip+ph)
	r.fill(photo.Inset(-1), cLine)
	r.ops = append(r.ops, op{kind: opPhoto, r: photo})
	fkl := faceKey{r.fs(22), false}
	fkn := faceKey{r.fs(30), true}
	fki := faceKey{r.fs(24), false}
	x := photo.Max.X + 2*ip
	tx := image.Rect(x, rc.Min.Y, rc.Max.X-ip, rc.Max.Y)
	w := r.label(m.text(txtStaff), tx, fkl, cMuted, left)
	tx.Min.X += w + ip
	idW := 0
	if m.StaffID != "" {
		idW = min(r.measure(fki, r.memo.workNo(m.StaffID)), tx.Dx()/2)
	}
	w = r.label(m.StaffName, image.Rect(tx.Min.X, tx.Min.Y, tx.Max.X-idW-ip, tx.Max.Y), fkn, cText, left)
	if m.StaffID != "" {
		r.label(r.memo.workNo(m.StaffID), image.Rect(tx.Min.X+w+ip, tx.Min.Y, tx.Max.X, tx.Max.Y), fki, cMuted, left)
	}
}

// fitText picks the largest size from maxSz down to minSz (even steps)
// at which s wraps into at most maxLines lines of width and height;
// failing that, minSz with the text cut at maxLines.
func (r *Renderer) fitText(s string, width, height, maxSz, minSz, maxLines int, bold bool) (faceKey, int) {
	for sz := maxSz; sz >= minSz; sz -= 2 {
		fk := faceKey{sz, bold}
		n, fits := r.lines(fk, s, width, maxLines)
		if fits && n*lineHeight(sz) <= height {
			return fk, max(n, 1)
		}
	}
	fk := faceKey{minSz, bold}
	n, _ := r.lines(fk, s, width, maxLines)
	for n > 1 && n*lineHeight(minSz) > height {
		n--
	}
	return fk, max(n, 1)
}

// gridFit is how a list of cells is laid out.
type gridFit struct {
	cols, rows int
	size       int // font size
	lines      int // lines per cell
}

// themeItems lists a theme session's items after 整体评价, column by
// column, each a touch target; items rated are ticked and not touchable.
// All items always show: the grid takes as many columns (up to 4) as
// gives the largest type, and names are cut with … to their cell.
//
//	┌──────────────┐┌──────────────┐┌──────────────┐
//	│ ★ 整体评价    ││ ③ 税务登记    ││ ⑥ …          │  the target: blue
//	│ ① 企业设立登记 ││ ✓ 刻制印章 已评││              │  rated: grey, ticked
//	└──────────────┘└──────────────┘└──────────────┘
func (r *Renderer) themeItems(m *Model, area image.Rectangle) {
	gap := max(r.gap()*3/4, 5)
	n := len(m.Cases) + 1
	g := r.themeFit(n, area, gap)
	cellW := (area.Dx() - gap*(g.cols-1)) / g.cols
	cellH := min((area.Dy()-gap*(g.rows-1))/g.rows, g.size*26/10)
	gridH := g.rows*cellH + (g.rows-1)*gap
	y0 := area.Min.Y + (area.Dy()-gridH)/2
	anyRated := len(m.Rated) > 0
	fk := faceKey{g.size, false}
	fkb := faceKey{g.size, true}
	fkn := faceKey{max(g.size*8/10, 12), true}
	// The badge holds the widest number whole.
	for d := min(cellH-2*max(cellH/5, 4), g.size*14/10); fkn.size > 9 && r.measure(fkn, r.num(len(m.Cases))) > d-2; {
		fkn.size--
	}
	fks := faceKey{max(g.size*8/10, 12), false}
	rad := min(r.rad(), cellH/4)
	for i := 0; i < n; i++ {
		col, row := i/g.rows, i%g.rows
		x := area.Min.X + col*(cellW+gap)
		y := y0 + row*(cellH+gap)
		rc := image.Rect(x, y, x+cellW, y+cellH)
		ip := max(cellH/5, 4)
		d := min(cellH-2*ip, g.size*14/10)
		badge := image.Rect(rc.Min.X+ip, rc.Min.Y+(cellH-d)/2, rc.Min.X+ip+d, rc.Min.Y+(cellH-d)/2+d)
		text := image.Rect(badge.Max.X+ip, rc.Min.Y, rc.Max.X-ip, rc.Max.Y)
		if i == 0 {
			on := m.Target == "" && !anyRated
			switch {
			case anyRated:
				r.box(rc, rad, cDisabled, cDisabled, 0)
				r.round(badge, d/2, cFaint)
				r.shapeOp(shapeStar, badge.Inset(d/5), cDisabled)
				w := r.label(txtOverall, text, fkb, cMuted, left)
				if sub := image.Rect(text.Min.X+w+ip, text.Min.Y, text.Max.X, text.Max.Y); r.measure(fks, txtOverallOff) <= sub.Dx() {
					r.label(txtOverallOff, sub, fks, cMuted, left)
				}
				continue
			case on:
				r.box(rc, rad, cBlueTint, cBlue, max(r.px(3), 2))
				r.round(badge, d/2, cBlue)
			default:
				r.box(rc, rad, cCard, cLine, 1)
				r.round(badge, d/2, cStar)
			}
			r.shapeOp(shapeStar, badge.Inset(d/5), cWhite)
			w := r.label(txtOverall, text, fkb, cText, left)
			if sub := image.Rect(text.Min.X+w+ip, text.Min.Y, text.Max.X, text.Max.Y); r.measure(fks, txtOverallSub) <= sub.Dx() {
				r.label(txtOverallSub, sub, fks, cMuted, left)
			}
			r.target(rc, Target{Kind: TargetOverall})
			continue
		}
		c := m.Cases[i-1]
		switch {
		case slices.Contains(m.Rated, c.ProjectNo):
			r.box(rc, rad, cDisabled, cDisabled, 0)
			r.round(badge, d/2, cGreen)
			r.shapeOp(shapeCheck, badge.Inset(d/6), cWhite)
			fkr := fks
			rw := r.measure(fkr, txtRated)
			r.label(txtRated, text, fkr, cGreenText, right)
			r.label(c.TaskName, image.Rect(text.Min.X, text.Min.Y, text.Max.X-rw-ip/2, text.Max.Y), fk, cMuted, left)
			continue
		case c.ProjectNo == m.Target:
			r.box(rc, rad, cBlueTint, cBlue, max(r.px(3), 2))
			r.round(badge, d/2, cBlue)
			r.label(r.num(i), badge.Inset(-ip/2), fkn, cWhite, center)
			r.label(c.TaskName, text, fkb, cText, left)
		default:
			r.box(rc, rad, cCard, cLine, 1)
			r.round(badge, d/2, cDisabled)
			r.label(r.num(i), badge.Inset(-ip/2), fkn, cText, center)
			r.label(c.TaskName, text, fk, cText, left)
		}
		r.target(rc, Target{Kind: TargetItem, ProjectNo: c.ProjectNo})
	}
}

func (r *Renderer) num(i int) string { return count(&r.memo.nums, i, "", "") }

// themeFit chooses the columns for n cells in area: the largest type, and
// fewer columns on a tie. A cell holds one line and wants at least six
// characters beside its badge.
func (r *Renderer) themeFit(n int, area image.Rectangle, gap int) gridFit {
	maxSz, minSz := r.fs(28), 12
	best := gridFit{cols: 1, rows: n, size: 0, lines: 1}
	for cols := 1; cols <= 4; cols++ {
		rows := (n + cols - 1) / cols
		if cols > 1 && (n+cols-2)/(cols-1) == rows {
			continue // no fewer rows than with one column less
		}
		cellH := (area.Dy() - gap*(rows-1)) / rows
		cellW := (area.Dx() - gap*(cols-1)) / cols
		sz := min(maxSz, cellH*55/100, cellW*10/(10*6+14+8))
		sz &^= 1
		if sz > best.size {
			best = gridFit{cols: cols, rows: rows, size: sz, lines: 1}
		}
	}
	best.size = max(best.size, minSz)
	return best
}

// reasonsScreen: the level chosen and the title, the reasons as tiles,
// the count and 确认提交.
//
//	 (★★ 不满意) 请选择不满意的原因（可多选）
//	┌────────────────────────────┐┌────────────────────────────┐
//	│ ■ 没有提供材料样本           ││ □ 没有提供材料清单           │  ■ selected: red
//	└────────────────────────────┘└────────────────────────────┘
//	╔════════════════════════════╗                                 focus ring (buttons only)
//	║ □ 未在承诺时间内办结          ║┌────────────────────────────┐
//	╚════════════════════════════╝└────────────────────────────┘
//	 已选 2 项   1/2 键移动 · 3 键选择 · 5 键确认        [ 确认提交 ]
func (r *Renderer) reasonsScreen(m *Model, body image.Rectangle) {
	W, H := r.size.W, r.size.H
	pad, gap := r.pad(), r.gap()
	lv := m.Stars
	if lv < 1 || lv > 5 {
		lv = 0
	}
	// Title row: the level as a chip, then the title.
	fkt := faceKey{r.fs(34), true}
	row := image.Rect(pad, body.Min.Y+gap, W-pad, body.Min.Y+gap+lineHeight(fkt.size)+gap/2)
	x := row.Min.X
	if lv > 0 {
		fkc := faceKey{r.fs(24), true}
		h := fkc.size * 17 / 10
		st := fkc.size * 8 / 10
		word := rating.Stars(lv).Word()
		w := starsWidth(lv, st) + fkc.size/2 + r.measure(fkc, word) + h
		cy := (row.Min.Y + row.Max.Y) / 2
		chip := image.Rect(x, cy-h/2, x+w, cy-h/2+h)
		r.round(chip, h/2, levelColor[lv])
		sw := starsWidth(lv, st)
		r.stars(lv, st, chip.Min.X+h/2+sw/2, cy, cWhite)
		r.label(word, image.Rect(chip.Min.X+h/2+sw+fkc.size/2, chip.Min.Y, chip.Max.X, chip.Max.Y), fkc, cWhite, left)
		x = chip.Max.X + gap
	}
	row.Max.X = r.readPill(m, row, faceKey{r.fs(24), true}, gap)
	for fkt.size > 14 && r.measure(fkt, m.text(txtReasonTitle)) > row.Max.X-x {
		fkt.size -= 2
	}
	r.label(m.text(txtReasonTitle), image.Rect(x, row.Min.Y, row.Max.X, row.Max.Y), fkt, cText, left)

	// The bottom bar: what is selected, the key hint, 确认提交.
	fkb := faceKey{r.fs(32), true}
	bb := max(r.px(96), fkb.size*2+gap)
	bar := image.Rect(0, H-bb, W, H)
	r.fill(bar, cCard)
	r.fill(image.Rect(0, bar.Min.Y, W, bar.Min.Y+1), cLine)
	bh := bb - 2*max(r.px(14), 5)
	bw := max(r.px(260), r.measure(fkb, m.text(txtConfirm))+2*bh/2)
	btn := image.Rect(W-pad-bw, bar.Min.Y+(bb-bh)/2, W-pad, bar.Min.Y+(bb-bh)/2+bh)
	btnColor, ink := confirmColors(m)
	r.round(btn, r.rad(), btnColor)
	r.label(m.text(txtConfirm), btn, fkb, ink, center)
	r.target(image.Rect(btn.Min.X-gap, bar.Min.Y, W, H), Target{Kind: TargetConfirm})
	info := image.Rect(pad, bar.Min.Y, btn.Min.X-gap, H)
	fki := faceKey{r.fs(26), true}
	fkh := faceKey{r.fs(22), false}
	var first string
	if len(m.Selected) == 0 {
		first = txtPickOne
	} else {
		first = count(&r.memo.selected, len(m.Selected), "已选 ", " 项")
	}
	if m.ButtonsOnly { // the count over the hint, or beside it; the hint alone (on its lines, broken at its separators) where they do not go together
		hint := keyHint(m)
		lh1, lh2 := lineHeight(fki.size), lineHeight(fkh.size)
		nh := r.hintLines(fkh, hint, info.Dx())
		switch w := r.measure(fki, first); {
		case lh1+nh*lh2 <= info.Dy():
			y := info.Min.Y + (info.Dy()-lh1-nh*lh2)/2
			r.label(first, image.Rect(info.Min.X, y, info.Max.X, y+lh1), fki, cText, left)
			r.hintPara(hint, image.Rect(info.Min.X, y+lh1, info.Max.X, y+lh1+nh*lh2), fkh, cMuted, left)
		case w+gap+r.measure(fkh, hint) <= info.Dx():
			r.label(first, info, fki, cText, left)
			r.label(hint, image.Rect(info.Min.X+w+gap, info.Min.Y, info.Max.X, info.Max.Y), fkh, cMuted, left)
		default: // (what is chosen shows in the list)
			y := info.Min.Y + (info.Dy()-nh*lh2)/2
			r.hintPara(hint, image.Rect(info.Min.X, y, info.Max.X, y+nh*lh2), fkh, cMuted, left)
		}
	} else {
		r.label(first, info, fki, cText, left)
	}

	// The reasons.
	ring := max(r.px(4), 2) // focus ring width
	sp := max(r.px(3), 1)   // between the ring and its tile
	ggap := max(gap, 2*(ring+sp)+2)
	area := image.Rect(pad, row.Max.Y+gap/2, W-pad, bar.Min.Y-ggap)
	n := len(m.Offered)
	if n == 0 {
		return
	}
	g := r.reasonsFit(m.Offered, area, ggap)
	cellW := (area.Dx() - ggap*(g.cols-1)) / g.cols
	cellH := min((area.Dy()-ggap*(g.rows-1))/g.rows, lineHeight(g.size)*g.lines+g.size*3/2)
	gridH := g.rows*cellH + (g.rows-1)*ggap
	y0 := area.Min.Y + (area.Dy()-gridH)/2
	fk := faceKey{g.size, false}
	rad := min(r.rad(), cellH/4)
	for i, rs := range m.Offered {
		col, row := i%g.cols, i/g.cols
		x := area.Min.X + col*(cellW+ggap)
		y := y0 + row*(cellH+ggap)
		rc := image.Rect(x, y, x+cellW, y+cellH)
		sel := slices.Contains(m.Selected, rs.Code)
		if m.ButtonsOnly && m.Focus == i {
			o := rc.Inset(-(ring + sp))
			r.round(o, rad+ring+sp, cBlue)
			r.round(o.Inset(ring), rad+sp, cPage)
		}
		ip := max(g.size*6/10, 5)
		cb := g.size * 12 / 10
		box := image.Rect(rc.Min.X+ip, rc.Min.Y+(cellH-cb)/2, rc.Min.X+ip+cb, rc.Min.Y+(cellH-cb)/2+cb)
		ink := cText
		if sel {
			r.box(rc, rad, cRedTint, cRed, max(r.px(3), 2))
			r.round(box, max(cb/5, 2), cRed)
			r.shapeOp(shapeCheck, box.Inset(cb/10), cWhite)
			ink = rgb(0x8E, 0x16, 0x16)
		} else {
			r.box(rc, rad, cCard, cLine, 1)
			r.box(box, max(cb/5, 2), cCard, cFaint, max(cb/12, 2))
		}
		r.para(rs.Text, image.Rect(box.Max.X+ip, rc.Min.Y, rc.Max.X-ip, rc.Max.Y), fk, ink, left, g.lines)
		r.target(rc, Target{Kind: TargetReason, Code: rs.Code})
	}
}

// fitCache keeps the last reasons grid chosen: choosing measures every
// text at several sizes.
type fitCache struct {
	texts []string
	area  image.Rectangle
	gap   int
	fit   gridFit
}

// reasonsFit chooses columns (1 to 3), font size and lines per tile so
// that every reason shows in full at the largest size; fewer columns on a
// tie. If none fits at the smallest size, texts are cut with ….
func (r *Renderer) reasonsFit(rs []rating.Reason, area image.Rectangle, gap int) gridFit {
	c := &r.fits
	if c.area == area && c.gap == gap && len(c.texts) == len(rs) && c.fit.cols > 0 {
		same := true
		for i := range rs {
			if c.texts[i] != rs[i].Text {
				same = false
				break
			}
		}
		if same {
			return c.fit
		}
	}
	// A: every text whole. B: every text of a usual length (the national
	// list's longest is 18) whole, longer ones cut. A unless that makes the
	// type smaller than the floor; then the larger of the two.
	best := r.gridSearch(rs, area, gap, 0)
	if best.size < r.fs(22) {
		if b := r.gridSearch(rs, area, gap, 20); b.size > best.size {
			best = b
		}
	}
	if best.cols == 0 { // nothing fits whole: the smallest size, cut, in tiles as tall as can be
		n, minSz := len(rs), 12
		best = gridFit{cols: min(n, 2), size: minSz}
		if n > 8 {
			best.cols = 3
		}
		best.rows = (n + best.cols - 1) / best.cols
		cellH := (area.Dy() - gap*(best.rows-1)) / best.rows
		best.lines = max(1, min(3, (cellH-minSz/2)/lineHeight(minSz)))
	}
	c.texts = c.texts[:0]
	for _, x := range rs {
		c.texts = append(c.texts, x.Text)
	}
	c.area, c.gap, c.fit = area, gap, best
	return best
}

// gridSearch finds the columns (1 to 3), size and lines per tile that
// show every reason (of at most maxRunes runes, 0 = all) whole at the
// largest size; fewer columns on a tie. cols is 0 if none does.
func (r *Renderer) gridSearch(rs []rating.Reason, area image.Rectangle, gap, maxRunes int) gridFit {
	n := len(rs)
	maxSz, minSz := r.fs(30), 12
	best := gridFit{}
	for cols := 1; cols <= 3; cols++ {
		rows := (n + cols - 1) / cols
		cellH := (area.Dy() - gap*(rows-1)) / rows
		cellW := (area.Dx() - gap*(cols-1)) / cols
		for sz := maxSz; sz >= minSz && sz > best.size; sz -= 2 {
			lines := min(3, (cellH-sz/2)/lineHeight(sz))
			if lines < 1 {
				continue
			}
			tw := reasonTextWidth(cellW, sz)
			ok := true
			for _, x := range rs {
				if maxRunes > 0 && runeCount(x.Text) > maxRunes {
					continue
				}
				if _, fits := r.lines(faceKey{sz, false}, x.Text, tw, lines); !fits {
					ok = false
					break
				}
			}
			if ok {
				best = gridFit{cols: cols, rows: rows, size: sz, lines: lines}
				break
			}
		}
	}
	return best
}

// reasonTextWidth is the width left for text in a reason tile: the tile
// less the check box and three paddings.
func reasonTextWidth(cellW, sz int) int { return cellW - sz*12/10 - 3*max(sz*6/10, 5) }

// centred stacks blocks of the given heights centred in body, returning
// the top of the first.
func centred(body image.Rectangle, heights ...int) int {
	h := 0
	for _, x := range heights {
		h += x
	}
	return body.Min.Y + (body.Dy()-h)/2
}

// thanksScreen: a green tick, 感谢您的评价！, the level given, a message.
//
//	        ( ✓ )
//	   感谢您的评价！
//	您的评价 ★★★★★ 非常满意
//	      (message)
func (r *Renderer) thanksScreen(m *Model, body image.Rectangle) {
	W := r.size.W
	pad, gap := r.pad(), r.gap()
	d := max(r.px(128), 40)
	fkt := faceKey{r.fs(54), true}
	fkl := faceKey{r.fs(30), false}
	fkm := faceKey{r.fs(26), false}
	lt, ll, lm := lineHeight(fkt.size), lineHeight(fkl.size), lineHeight(fkm.size)
	lv := m.LastStars
	if lv < 1 || lv > 5 {
		lv, ll = 0, 0
	}
	ml := r.messageHeight(m.Message, fkm, lm)
	y := centred(body, d, 2*gap, lt, gap, ll, gap, ml)
	r.round(image.Rect(W/2-d/2, y, W/2-d/2+d, y+d), d/2, cGreen)
	r.shapeOp(shapeCheck, image.Rect(W/2-d/2, y, W/2-d/2+d, y+d).Inset(d/5), cWhite)
	y += d + 2*gap
	r.label(m.text(txtThanks), image.Rect(pad, y, W-pad, y+lt), fkt, cText, center)
	y += lt + gap
	if lv > 0 {
		st := fkl.size
		word := rating.Stars(lv).Word()
		fkw := faceKey{fkl.size, true}
		w1 := r.measure(fkl, txtYourRating)
		sw := starsWidth(lv, st)
		w3 := r.measure(fkw, word)
		total := w1 + gap + sw + gap + w3
		x := W/2 - total/2
		r.label(txtYourRating, image.Rect(x, y, x+w1, y+ll), fkl, cMuted, left)
		x += w1 + gap
		r.stars(lv, st, x+sw/2, y+ll/2, cStar)
		x += sw + gap
		r.label(word, image.Rect(x, y, min(x+w3, W-pad), y+ll), fkw, levelColor[lv], left)
		y += ll + gap
	}
	r.para(m.Message, image.Rect(pad, y, W-pad, y+ml), fkm, cMuted, center, 2)
}

// messageHeight is the height of a screen's optional message: up to two
// lines across the panel, 0 when there is none.
func (r *Renderer) messageHeight(msg string, fk faceKey, lineH int) int {
	if msg == "" {
		return 0
	}
	n, _ := r.lines(fk, msg, r.size.W-2*r.pad(), 2)
	return n * lineH
}

// pausedScreen: a pause sign and 暂停服务, with the optional message.
//
//	   ( ‖ )
//	 暂停服务
//	(message)
func (r *Renderer) pausedScreen(m *Model, body image.Rectangle) {
	W := r.size.W
	pad, gap := r.pad(), r.gap()
	d := max(r.px(128), 40)
	fkt := faceKey{r.fs(64), true}
	fkm := faceKey{r.fs(30), false}
	lt, lm := lineHeight(fkt.size), lineHeight(fkm.size)
	ml := r.messageHeight(m.Message, fkm, lm)
	y := centred(body, d, 2*gap, lt, gap, ml)
	disc := image.Rect(W/2-d/2, y, W/2-d/2+d, y+d)
	r.round(disc, d/2, cFaint)
	bw, bh := d*12/100, d*40/100
	r.round(image.Rect(W/2-bw*3/2, disc.Min.Y+(d-bh)/2, W/2-bw/2, disc.Min.Y+(d-bh)/2+bh), bw/4, cWhite)
	r.round(image.Rect(W/2+bw/2, disc.Min.Y+(d-bh)/2, W/2+bw*3/2, disc.Min.Y+(d-bh)/2+bh), bw/4, cWhite)
	y += d + 2*gap
	r.label(m.text(txtPaused), image.Rect(pad, y, W-pad, y+lt), fkt, cText, center)
	y += lt + gap
	r.para(m.Message, image.Rect(pad, y, W-pad, y+ml), fkm, cMuted, center, 2)
}

// faultScreen: a warning sign, 设备故障 暂停使用, the code to look up.
//
//	       /!\
//	设备故障 暂停使用
//	 故障代码 [ E10 ]
//	请联系工作人员处理
func (r *Renderer) faultScreen(m *Model, body image.Rectangle) {
	W := r.size.W
	pad, gap := r.pad(), r.gap()
	d := max(r.px(120), 40)
	fkt := faceKey{r.fs(52), true}
	fkc := faceKey{r.fs(32), true}
	fkl := faceKey{r.fs(28), false}
	fkm := faceKey{r.fs(24), false}
	lt, lm := lineHeight(fkt.size), lineHeight(fkm.size)
	ch := fkc.size * 18 / 10
	ml := r.messageHeight(m.Message, fkm, lm)
	codeH := 0
	if m.FaultCode != "" {
		codeH = ch + gap
	}
	y := centred(body, d, 2*gap, lt, gap, codeH, lm, ml)
	r.warningSign(W/2, y, d)
	y += d + 2*gap
	r.label(m.text(txtFault), image.Rect(pad, y, W-pad, y+lt), fkt, cRed, center)
	y += lt + gap
	if m.FaultCode != "" {
		w1 := r.measure(fkl, txtFaultCode)
		cw := min(r.measure(fkc, m.FaultCode)+ch, W/2)
		total := w1 + gap + cw
		x := W/2 - total/2
		r.label(txtFaultCode, image.Rect(x, y, x+w1, y+ch), fkl, cMuted, left)
		x += w1 + gap
		code := image.Rect(x, y, x+cw, y+ch)
		r.box(code, r.rad(), cCard, cText, max(r.px(2), 1))
		r.label(m.FaultCode, code.Inset(ch/4), fkc, cText, center)
		y += ch + gap
	}
	r.label(m.text(txtCallStaff), image.Rect(pad, y, W-pad, y+lm), fkm, cMuted, center)
	y += lm
	r.para(m.Message, image.Rect(pad, y, W-pad, y+ml), fkm, cMuted, center, 2)
}

// warningSign draws the fault screen's sign, d high, centred on cx from y
// down: an amber triangle with a white exclamation mark.
func (r *Renderer) warningSign(cx, y, d int) {
	r.shapeOp(shapeTriangle, image.Rect(cx-d*58/100, y, cx+d*58/100, y+d), rgb(0xE0, 0x8A, 0x00))
	bw := max(d/11, 3)
	r.round(image.Rect(cx-bw/2, y+d*32/100, cx-bw/2+bw, y+d*72/100), bw/2, cWhite)
	r.round(image.Rect(cx-bw/2, y+d*79/100, cx-bw/2+bw, y+d*79/100+bw), bw/2, cWhite)
}
