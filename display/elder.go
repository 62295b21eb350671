package display

import (
	"image"
	"math"
)

// Elder mode (适老化) follows 工信部《移动互联网应用(APP)适老化通用设计规范》:
// 1.1 "主要功能及主要界面的文字信息…最大字体不小于30 dp/pt，适老版界面…中的
// 主要文字信息不小于18 dp/pt" and 2.1 "适老版界面中的主要组件可点击焦点区域
// 尺寸不小于60 × 60dp/pt". Its unit, dp/pt, is the platforms' density-
// independent one (Android's dp is 1/160 inch, iOS's pt about 1/163), the
// same for type and for targets: 18 dp is 18/160 inch, not 18 typographic
// points (18/72 inch, more than twice as large).
//
// So the floor at every size is the rule's: body text of 18 dp, titles of
// 30 dp, touch targets of 60 × 60 dp, a dp being DPI/160 pixels at the
// panel's DPI. Above the floor elder type is as large as the panel allows,
// up to 18 and 30 typographic points: the unit is the point (DPI/72 px)
// where a 30 pt title of six characters and a margin goes across and five
// of its lines fit down (1024×600 and 800×480 at their usual DPI), else the
// rule's dp. The screens are the compact layout's, stacked: one reason or
// item a row, paged.
//
// Elder mode is drawn where its five level words fit beside their stars
// (or the count as 5★) at the body size (ElderSupport); on a touch pad only where five level
// targets of 60 dp go across and four rows of them down (the tallest
// screens: the title with 大字, a reason or item, the bar or page row,
// the levels). The smaller ST7789 modules, which ship without touch,
// take elder mode with buttons only or not at all (README "Elder mode").

// Elder mode's minimums, in the rule's dp/pt.
const (
	ElderBodyPt   = 18
	ElderTitlePt  = 30
	ElderTargetDP = 60
)

// evenUp is x pixels rounded up to a whole even number.
func evenUp(x float64) int {
	px := int(math.Ceil(x - 1e-9))
	return px + px&1
}

// ptPx is n typographic points in whole pixels at dpi, rounded up to even.
func ptPx(n, dpi float64) int { return evenUp(n * dpi / 72) }

// dpPx is n dp in whole pixels at dpi, rounded up (targets; type is evenUp).
func dpPx(n, dpi float64) int { return int(math.Ceil(n*dpi/160 - 1e-9)) }

// elderUnit is the pixels of elder mode's unit on a panel of size s at
// dpi: the typographic point where a 30 pt title of six characters (and a
// margin) goes across and five of its lines down, else the rule's dp.
func elderUnit(s Size, dpi float64) (px float64, points bool) {
	t := float64(ptPx(ElderTitlePt, dpi))
	if float64(s.W) >= 7*t && float64(s.H) >= 5*t {
		return dpi / 72, true
	}
	return dpi / 160, false
}

// ElderSupport says whether elder mode can be drawn on a panel of size s
// at dpi (0: PanelDPI), and whether with touch. fits: the five level
// words (非常不满意 the longest) go beside their stars at elder mode's body
// size, in five columns of two characters a line or in five rows (five
// stars, or the count as 5★) that go down with the title (levelRowsDown:
// at 240×240 without the header). touch: besides, five level targets of 60 dp
// go across and four rows of 60 dp down. A buttons-only pad takes elder
// mode wherever it fits; a touch pad only where touch is true too.
func ElderSupport(s Size, dpi float64) (fits, touch bool) {
	if dpi <= 0 {
		dpi = PanelDPI(s)
	}
	c := elderCsz(s, dpi)
	if levelCols(s.W, c) {
		fits = true
	} else {
		fits = (levelRowsFit(s.W, c) || levelNumFit(s.W, c)) && levelRowsDown(s.H, c)
	}
	T := dpPx(ElderTargetDP, dpi)
	return fits, fits && s.W >= 5*T && s.H >= 4*T
}

// levelCols says whether five level columns hold two characters a line
// at the body size; else the levels go in rows.
func levelCols(w int, c csz) bool { return w/5-4 >= 2*c.small }

// levelRowsFit says whether a level row (levelRows) holds five stars
// and 非常不满意 at the body size on one line.
func levelRowsFit(w int, c csz) bool {
	return w-2*c.pad-10-c.gap >= rowStars(c)+5*c.body+2
}

// levelNumFit says whether a level row holds the count as a numeral and
// one star (5★) and 非常不满意 at the body size, across the panel less 4
// pixels each side: where five stars do not go beside the word.
func levelNumFit(w int, c csz) bool {
	return w-8 >= 4+2*(c.body*6/10)+4+5*c.body+2
}

// levelRowsDown says whether the rate screen's title and five level rows
// go down a panel h tall at their tightest: without the header, each the
// ink of its line and 2 pixels each side, 2 between (240×240).
func levelRowsDown(h int, c csz) bool {
	return 2+c.title+6+2+5*(c.body+4)+4*2+2 <= h
}

// rowStars is the width of five stars in a level row.
func rowStars(c csz) int {
	st := c.body / 2
	return starsWidth(5, st)
}

// elderCsz are the compact layout's sizes in elder mode at size s and dpi.
func elderCsz(s Size, dpi float64) csz {
	u, points := elderUnit(s, dpi)
	body, title := evenUp(ElderBodyPt*u), evenUp(ElderTitlePt*u)
	c := csz{small: body, body: body, title: title, big: title, huge: title, pad: body / 2, gap: body / 4,
		head: title, tgt: dpPx(ElderTargetDP, dpi), tight: !points}
	if !points { // the hall in the header is not a title: the body size leaves room below
		c.head = body
	}
	return c
}

// elderSizes are the compact layout's sizes in elder mode; a buttons-only
// pad has no targets to size.
func (r *Renderer) elderSizes() csz {
	c := elderCsz(r.size, r.dpi)
	if r.keys {
		c.tgt = 0
	}
	return c
}

// ElderFits says whether elder mode is drawn on the panel (ElderSupport),
// with buttons; ElderTouchFits whether also on a touch pad.
func (r *Renderer) ElderFits() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.elderFits()
}

// ElderTouchFits says whether elder mode is drawn on a touch pad of the
// panel: only there is the 大字 toggle offered.
func (r *Renderer) ElderTouchFits() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.elderTouchFits()
}

func (r *Renderer) elderFits() bool      { f, _ := ElderSupport(r.size, r.dpi); return f }
func (r *Renderer) elderTouchFits() bool { _, t := ElderSupport(r.size, r.dpi); return t }

// elderOn says whether m is drawn in elder mode: asked for, and possible
// on this panel the way the pad is used.
func (r *Renderer) elderOn(m *Model) bool {
	fits, touch := ElderSupport(r.size, r.dpi)
	return m.Elder && fits && (m.ButtonsOnly || touch)
}

// The elder toggle's words: into elder mode, and back; 朗读; and the
// shorter titles elder mode draws where the configured defaults do not go
// across at its title size (TestContrastAndTargets' elderTitles).
const (
	txtElderOn          = "大字"
	txtElderOff         = "标准字"
	txtRead             = "朗读"
	txtRateTitleElder   = "请您评价"
	txtReasonTitleMid   = "请选择原因（可多选）"
	txtReasonTitleElder = "请选择原因"
	txtThanksElder      = "感谢评价！"
	txtThanksMin        = "感谢评价"
	txtReasonTitleMin   = "选择原因"
	txtPickOneElder     = "至少选一项" // 请至少选择一项 where it does not go beside 朗读 and 确认提交
	txtFaultElder       = "设备故障"  // at 240×240, where 设备故障 暂停使用 takes two lines
)

// elderTitle is the title to draw in elder mode: m's text for def, or,
// when that is the default and does not go across width at fk, the first
// of the shorter ones that does (the last if none).
func (r *Renderer) elderTitle(m *Model, def string, width int, fk faceKey, shorter ...string) string {
	s := m.text(def)
	if s != def || r.measure(fk, s) <= width {
		return s
	}
	for _, t := range shorter {
		if s = t; r.measure(fk, t) <= width {
			break
		}
	}
	return s
}

// elderToggle draws, with Model.OfferElder on a touch pad where elder mode
// fits with touch, the 大字 (in elder mode 标准字) pill at the right end of
// the rate screen's title row, and its TargetElder. It returns where the
// row's other contents must end.
func (r *Renderer) elderToggle(m *Model, row image.Rectangle, fk faceKey, gap int) int {
	if !m.OfferElder || m.ButtonsOnly || !r.elderTouchFits() {
		return row.Max.X
	}
	s := txtElderOn
	if r.elder {
		s = txtElderOff
	}
	return r.cornerPill(s, Target{Kind: TargetElder, Elder: !r.elder}, row, fk, gap)
}

// readPill draws, with Model.OfferRead on a touch pad, 朗读 at the right
// end of the reasons screen's row, a TargetRead, where the row has room
// for it beside what it holds. It returns where the row's other contents
// must end (row.Max.X if it drew nothing).
func (r *Renderer) readPill(m *Model, row image.Rectangle, fk faceKey, gap int) int {
	if !m.OfferRead || m.ButtonsOnly || row.Dx() < 3*(r.measure(fk, txtRead)+fk.size) {
		return row.Max.X // no room for it beside what the row holds
	}
	return r.cornerPill(txtRead, Target{Kind: TargetRead}, row, fk, gap)
}

// cornerPill draws s as a blue pill at the right end of row with target t
// around it, at least 60 dp each way in elder mode and, for 大字, on every
// screen where elder mode fits with touch (as large as the row allows
// otherwise); it returns the target's left edge less gap.
func (r *Renderer) cornerPill(s string, t Target, row image.Rectangle, fk faceKey, gap int) int {
	h := min(fk.size*17/10, row.Dy())
	cy := (row.Min.Y + row.Max.Y) / 2
	pr := r.pill(s, 0, row.Max.X, cy, h, fk, cBlueTint, cBlue, row.Dx()/2)
	side := 0
	if r.elder || t.Kind == TargetElder && r.elderTouchFits() { // 大字 is for those who need it
		side = dpPx(ElderTargetDP, r.dpi)
	}
	rc := image.Rect(min(pr.Min.X, pr.Max.X-side), min(pr.Min.Y, cy-side/2), pr.Max.X, max(pr.Max.Y, cy-side/2+side))
	r.target(rc, t)
	return rc.Min.X - gap
}

// elderTitleRow draws the rate screen's title in elder mode at the title
// size, on up to two lines (the shorter elder wording where the default
// does not go across), with the 大字 / 标准字 toggle at its right end; it
// returns the row.
func (r *Renderer) elderTitleRow(m *Model, body image.Rectangle, c csz) image.Rectangle {
	W := r.size.W
	y := body.Min.Y + c.gap
	fkt := faceKey{c.title, true}
	lt := lineHeight(fkt.size)
	if r.shortModule() { // 240×240: the title's ink and a little, under the panel's edge
		y, lt = body.Min.Y+2, fkt.size+6
	}
	x1 := r.elderToggle(m, image.Rect(c.pad, y, W-c.pad, y+max(lt, c.tgt)), faceKey{c.body, true}, c.gap)
	h := lt
	if x1 < W-c.pad {
		h = max(lt, c.tgt)
	}
	title := r.elderTitle(m, txtRateTitle, x1-c.pad, fkt, txtRateTitleElder)
	if r.measure(fkt, title) <= x1-c.pad {
		row := image.Rect(c.pad, y, x1, y+h)
		r.label(title, row, fkt, cText, left)
		return row
	}
	n, _ := r.lines(fkt, title, x1-c.pad, 2)
	n = min(n, 2)
	row := image.Rect(c.pad, y, x1, y+max(h, n*lt))
	r.para(title, row, fkt, cText, left, n)
	return row
}

// sidePager draws, in elder mode on a small touch panel, the list's page
// targets beside it, 60 dp wide and as tall as area: 上页 with p+1/n on
// the left (p+1/n alone on the first page), 下页 on the right (none on the
// last). It returns the room left for the list between them.
func (r *Renderer) sidePager(area image.Rectangle, p, n int) image.Rectangle {
	c := r.cs()
	fk := faceKey{c.small, true}
	lh := lineHeight(fk.size)
	label := r.pageLabel(p, n)
	w := c.tgt
	lb := image.Rect(area.Min.X, area.Min.Y, area.Min.X+w, area.Max.Y)
	rb := image.Rect(area.Max.X-w, area.Min.Y, area.Max.X, area.Max.Y)
	cy := (lb.Min.Y + lb.Max.Y) / 2
	if p > 0 {
		r.box(lb, min(r.rad(), 8), cCard, cBlue, 2)
		r.label("上页", image.Rect(lb.Min.X, cy-lh, lb.Max.X, cy), fk, cBlue, center)
		r.label(label, image.Rect(lb.Min.X, cy, lb.Max.X, cy+lh), fk, cMuted, center)
		r.target(lb, Target{Kind: TargetPage, Page: p - 1})
	} else {
		r.label(label, lb, fk, cMuted, center)
	}
	if p+1 < n {
		r.box(rb, min(r.rad(), 8), cCard, cBlue, 2)
		r.label("下页", rb, fk, cBlue, center)
		r.target(rb, Target{Kind: TargetPage, Page: p + 1})
	}
	return image.Rect(lb.Max.X+c.gap, area.Min.Y, rb.Min.X-c.gap, area.Max.Y)
}

// titleLines is the lines (1 or 2) a title s takes at fk across the
// panel in elder mode.
func (r *Renderer) titleLines(fk faceKey, s string) int {
	c := r.cs()
	n, _ := r.lines(fk, s, r.size.W-2*c.pad, 2)
	return max(min(n, 2), 1)
}

// squeeze fits a centred elder screen whose texts take text pixels into
// height: the sign (d) shrinks, then goes; then the stars (st) shrink to
// the body size and the gaps (g) halve.
func (r *Renderer) squeeze(height, d, st, g, text int) (int, int, int) {
	c := r.cs()
	over := func() int { return d + 3*g + text + st + 2*g - height }
	if o := over(); o > 0 {
		if d -= o; d < 24 {
			d = 0
		}
	}
	if o := over(); o > 0 && st > c.body {
		st = max(st-o, c.body)
	}
	if over() > 0 {
		g /= 2
	}
	return d, st, g
}
