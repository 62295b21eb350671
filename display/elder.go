package display

import "math"

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
