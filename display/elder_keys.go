package display

import (
	"image"
	"image/color"
	"strings"
)

// Elder mode on the small buttons-only modules (240×320, 170×320,
// 240×240): 18 dp type leaves a few characters a line, so the screens
// give their room to what a citizen reads. The reasons screen has no
// header (the window's identity is on the idle screen; a citizen choosing
// reasons needs the room), its level above the title where the panel is
// tall enough, one reason or more a page, each whole on as many lines as
// it needs (its text under its check box where that takes fewer), and the
// keys' hint a whole instruction a line, less of it on a page whose reason
// needs the room. At 240×240 the rate screen has no header either: the
// title and the five level rows take the panel's height.

// bare says whether m's screen is drawn without the header: in elder
// mode in the rule's dp (the panels under 800×480), the reasons screen,
// whose reason may need every line of the panel; at 240×240 every screen
// but the idle one (which shows the window).
func (r *Renderer) bare(m *Model) bool {
	if !r.elder || !r.cs().tight {
		return false
	}
	switch m.Screen {
	case ScreenReasons:
		return true
	case ScreenRate, ScreenThanks, ScreenPaused, ScreenFault:
		return m.ButtonsOnly && r.shortModule()
	}
	return false
}

// shortModule says whether the panel is a module (under 320 wide) under
// 300 tall: 240×240 (135×240 draws no elder mode).
func (r *Renderer) shortModule() bool { return r.size.W < compactWidth && r.size.H < 300 }

// reasonsKeys: the reasons screen in elder mode on a small buttons-only
// pad (no confirm bar: the keys confirm).
//
//	┌──────────────┐
//	│(★ 非常不满意) 2/8│ (from 300 px tall)
//	│ 选择原因       │
//	│┏━━━━━━━━━━━━┓│
//	│┃☐ 承诺在线收 ┃│
//	│┃取申报材料实际┃│
//	│┃无法收取     ┃│
//	│┗━━━━━━━━━━━━┛│
//	│  1/2 键移动   │
//	│  3 键选择     │
//	│  5 键确认     │
//	└──────────────┘
func (r *Renderer) reasonsKeys(m *Model, body image.Rectangle) {
	c := r.cs()
	W, H := r.size.W, r.size.H
	edge := c.gap // the margins above, below and after the title
	if W < compactWidth {
		edge = 2 // the modules: a reason of 40 characters goes under the title (four lines at 240×240)
	}
	y := body.Min.Y + edge
	var pageRow image.Rectangle
	fkt := faceKey{c.title, true}
	var title string
	if lv := m.Stars; lv >= 1 && lv <= 5 && !r.shortModule() { // the level as a chip, the title beside it where it goes across, p/n after them
		fkc := faceKey{c.small, true}
		h := lineHeight(fkc.size) + 4
		w := r.chipWidth(lv, fkc, h, W-2*c.pad)
		room := W - 2*c.pad - w - c.gap
		rowH, tw := h, 0
		if title = r.elderTitle(m, txtReasonTitle, room, fkt, txtReasonTitleMid, txtReasonTitleElder); r.measure(fkt, title) <= room {
			rowH = max(h, lineHeight(fkt.size))
			tw = r.label(title, image.Rect(c.pad+w+c.gap, y, W-c.pad, y+rowH), fkt, cText, left) + c.gap
		} else {
			title = ""
		}
		cy := y + rowH/2
		chip := r.levelChip(lv, fkc, image.Rect(c.pad, cy-h/2, c.pad+w, cy-h/2+h))
		pageRow = image.Rect(chip.Max.X+c.gap+tw, chip.Min.Y, W-c.pad, chip.Max.Y)
		y += rowH + c.gap
	}
	if title == "" {
		title = r.elderTitle(m, txtReasonTitle, W-2*c.pad, fkt, txtReasonTitleMid, txtReasonTitleElder, txtReasonTitleMin)
		nt := r.titleLines(fkt, title)
		th := nt * lineHeight(fkt.size)
		if nt == 1 && r.shortModule() { // 240×240: the line's ink and a little
			th = fkt.size + 4
		}
		r.para(title, image.Rect(c.pad, y, W-c.pad, y+th), fkt, cText, left, nt)
		y += th + edge
	}

	fkh := faceKey{c.small, false}
	hw := W - 2*c.pad
	bottom := H - edge
	n := len(m.Offered)
	if n == 0 {
		r.hintPara(keyHint(m), image.Rect(c.pad, y, W-c.pad, bottom), fkh, cMuted, center)
		return
	}
	fk := faceKey{c.body, false}
	lh := lineHeight(fk.size)
	const ring, sp = 2, 1
	gap := 2*(ring+sp) + 4
	inner := W - 2*c.pad - 2*(ring+sp) - 2*reasonPad // the text across a card
	room := bottom - y                               // for the reasons and the hint
	maxLines := max((room-2*reasonPad-2*(ring+sp))/lh, 1)
	sc := &r.pg
	sc.heights, sc.lines, sc.float = ints(sc.heights, n), ints(sc.lines, n), ints(sc.float, n)
	for i, rs := range m.Offered {
		nl, float := r.reasonFit(fk, rs.Text, inner, maxLines, true)
		sc.lines[i], sc.float[i] = min(nl, maxLines), btoi(float)
		sc.heights[i] = sc.lines[i]*lh + 2*reasonPad
	}
	full := r.hintLines(fkh, keyHint(m), hw)*r.hintLH(fkh) + c.gap
	starts := pages(sc.starts, sc.heights, room-full-2*(ring+sp), gap)
	sc.starts = starts
	p := min(max(m.Page, 0), len(starts)-1)
	if m.Focus >= 0 && m.Focus < n {
		p = pageOf(starts, m.Focus)
	}
	end := n
	if p+1 < len(starts) {
		end = starts[p+1]
	}
	need := 2*(ring+sp) - gap
	for i := starts[p]; i < end; i++ {
		need += sc.heights[i] + gap
	}
	if hint := r.hintFor(m, fkh, hw, room, need, c.gap); hint != "" {
		r.hintPara(hint, image.Rect(c.pad, y, W-c.pad, bottom), fkh, cMuted, center)
	}
	if len(starts) > 1 && r.measure(faceKey{c.small, true}, r.pageLabel(p, len(starts))) <= pageRow.Dx() {
		r.pager(pageRow, p, len(starts), false) // (the keys reach every page; p/n where it fits)
	}
	yy := y + ring + sp
	for i := starts[p]; i < end; i++ {
		rc := image.Rect(c.pad+ring+sp, yy, W-c.pad-ring-sp, yy+sc.heights[i])
		yy += sc.heights[i] + gap
		r.reasonRow(m, i, rc, fk, sc.lines[i], sc.float[i] == 1)
	}
}

// reasonFit is how many lines a reason's text s takes in a card whose
// text goes width across (at most max+1): beside the check box, or, with
// flow where that takes fewer, its first line beside the box and the rest
// under it (float).
func (r *Renderer) reasonFit(fk faceKey, s string, width, max int, flow bool) (n int, float bool) {
	beside := width - fk.size - reasonPad
	n, fits := r.lines(fk, s, beside, max)
	if !fits {
		n = max + 1
	}
	if nf := r.floatLines(fk, s, beside, width, max); flow && nf < n {
		return nf, true
	}
	return n, false
}

// floatLines is how many lines s takes with its first line beside a check
// box (first wide) and the rest across the card (width); max+1 where that
// is more than max.
func (r *Renderer) floatLines(fk faceKey, s string, first, width, max int) int {
	n, _ := r.breakLine(fk, s, first)
	rest := strings.TrimLeft(s[n:], " ")
	if rest == "" {
		return 1
	}
	if max <= 1 {
		return 2
	}
	nl, fits := r.lines(fk, rest, width, max-1)
	if !fits {
		return max + 1
	}
	return 1 + nl
}

// floatPara draws s in rc on at most nl lines: the first from x (beside
// the check box), the rest across rc, cut with … on the last if it goes
// on. Every line's op has s as its whole text.
func (r *Renderer) floatPara(s string, rc image.Rectangle, x int, fk faceKey, c color.RGBA, nl int) {
	lh := lineHeight(fk.size)
	n, w := r.breakLine(fk, s, rc.Max.X-x)
	first := line{s: strings.TrimRight(s[:n], " "), w: w}
	rest := strings.TrimLeft(s[n:], " ")
	if nl <= 1 && rest != "" {
		first = r.cut(fk, s, rc.Max.X-x)
	}
	cy := rc.Min.Y + lh/2
	r.textOp(fk, x, baseline(cy, fk.size), first, s, c)
	if nl <= 1 || rest == "" {
		return
	}
	lines, _ := r.wrap(fk, rest, rc.Dx(), nl-1, r.tmp[:0])
	r.tmp = lines[:0]
	for _, l := range lines {
		cy += lh
		r.textOp(fk, rc.Min.X, baseline(cy, fk.size), l, s, c)
	}
}
