package display

import (
	"image"
	"math"
)

// Elder mode (适老化): the national rules for services to the elderly ask
// for body text of at least 18 pt, titles of at least 30 pt, text contrast
// of at least 4.5:1 and touch targets of at least 60 × 60 dp. Points and
// dp are physical, so the sizes come from the panel's DPI: 18 pt is
// DPI/4 pixels, 30 pt 5·DPI/12, 60 dp (1/160 inch each) 3·DPI/8. The
// compact layout's stacked screens take them: one reason or item a row,
// paged.

// Elder mode's minimums.
const (
	ElderBodyPt   = 18
	ElderTitlePt  = 30
	ElderTargetDP = 60
)

// ptPx is n points in whole pixels at dpi, rounded up to even.
func ptPx(n, dpi float64) int {
	px := int(math.Ceil(n * dpi / 72))
	return px + px&1
}

// elderSizes are the compact layout's sizes in elder mode.
func (r *Renderer) elderSizes() csz {
	body, title := ptPx(ElderBodyPt, r.dpi), ptPx(ElderTitlePt, r.dpi)
	return csz{small: body, body: body, title: title, big: title, huge: title, pad: body / 2, gap: body / 4}
}

// ElderFits says whether elder mode fits the panel: its titles of 30 pt,
// six characters a line, across the width, and its level tiles of 60 dp
// and a title and a body line in the height. Smaller panels (the SPI
// modules, 480×320 at 3.5") show the normal screens.
func (r *Renderer) ElderFits() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.elderFits()
}

func (r *Renderer) elderFits() bool {
	t := float64(ptPx(ElderTitlePt, r.dpi))
	return float64(r.size.W) >= 6*t+t && float64(r.size.H) >= 5*t
}

// The elder toggle's words: into elder mode, and back.
const (
	txtElderOn  = "大字"
	txtElderOff = "标准字"
	txtRead     = "朗读"
)

// elderToggle draws, with Model.OfferElder on a touch pad elder mode fits,
// the 大字 (in elder mode 标准字) pill at the right end of the rate
// screen's title row, and its TargetElder. It returns where the row's
// other contents must end.
func (r *Renderer) elderToggle(m *Model, row image.Rectangle, fk faceKey, gap int) int {
	if !m.OfferElder || m.ButtonsOnly || !r.elderFits() {
		return row.Max.X
	}
	s := txtElderOn
	if r.elder {
		s = txtElderOff
	}
	return r.cornerPill(s, Target{Kind: TargetElder, Elder: !r.elder}, row, fk, gap)
}

// readPill draws, with Model.OfferRead on a touch pad, 朗读 at the right
// end of the reasons screen's row, a TargetRead. It returns where the
// row's other contents must end.
func (r *Renderer) readPill(m *Model, row image.Rectangle, fk faceKey, gap int) int {
	if !m.OfferRead || m.ButtonsOnly || row.Dx() < 3*(r.measure(fk, txtRead)+fk.size) {
		return row.Max.X // no room for it beside what the row holds
	}
	return r.cornerPill(txtRead, Target{Kind: TargetRead}, row, fk, gap)
}

// cornerPill draws s as a blue pill at the right end of row with target t
// around it, at least 60 dp each way in elder mode (as large as the row
// allows otherwise); it returns the target's left edge less gap.
func (r *Renderer) cornerPill(s string, t Target, row image.Rectangle, fk faceKey, gap int) int {
	h := min(fk.size*17/10, row.Dy())
	cy := (row.Min.Y + row.Max.Y) / 2
	pr := r.pill(s, 0, row.Max.X, cy, h, fk, cBlueTint, cBlue, row.Dx()/2)
	side := 0
	if r.elder || r.elderFits() {
		side = int(math.Ceil(ElderTargetDP * r.dpi / 160))
	}
	rc := image.Rect(min(pr.Min.X, pr.Max.X-side), min(pr.Min.Y, cy-side/2), pr.Max.X, max(pr.Max.Y, cy-side/2+side))
	r.target(rc, t)
	return rc.Min.X - gap
}
