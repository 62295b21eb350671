package display

import (
	"image"
	"image/color"
	"strings"
)

// The keys' hint on a buttons-only pad's reasons screen is a list of
// instructions, "1/2 键移动 · 3 键选择 · 5 键确认". Where it wraps it breaks
// only at its " · " separators, as many instructions a line as go across,
// so no instruction is split ("5 键确" / "认").

const hintSep = " · "

// The hint less what a page with a long reason cannot hold (elder mode on
// a small buttons-only pad, hintFor): first 4 键朗读 (with a voice the
// focused reason is read out as the focus moves), then 1/2 键移动, then
// 5 键确认.
const (
	txtKeyHintSelConfirm = "3 键选择 · 5 键确认"
	txtKeyHintSel        = "3 键选择"
)

// hintWrap breaks the hint s into lines of at most width at its
// separators, appending to out; an instruction wider than width alone
// wraps as text does. The lines are substrings of s.
func (r *Renderer) hintWrap(fk faceKey, s string, width int, out []line) []line {
	start, end := 0, -1 // the line being filled: s[start:end]
	flush := func() {
		if end < 0 {
			return
		}
		if w := r.measure(fk, s[start:end]); w <= width {
			out = append(out, line{s: s[start:end], w: w})
		} else { // one instruction wider than the panel
			out, _ = r.wrap(fk, s[start:end], width, 99, out)
		}
	}
	for i := 0; ; {
		j := strings.Index(s[i:], hintSep)
		pe := len(s)
		if j >= 0 {
			pe = i + j
		}
		if end >= 0 && r.measure(fk, s[start:pe]) <= width {
			end = pe
		} else {
			flush()
			start, end = i, pe
		}
		if j < 0 {
			break
		}
		i = pe + len(hintSep)
	}
	flush()
	return out
}

// hintLines is how many lines the hint s takes at width.
func (r *Renderer) hintLines(fk faceKey, s string, width int) int {
	lines := r.hintWrap(fk, s, width, r.tmp[:0])
	r.tmp = lines[:0]
	return len(lines)
}

// hintLH is the distance between the hint's lines: at 240×240 in elder
// mode the ink and 6 pixels, so two instructions go under a two-line
// reason and one under three lines; else lineHeight.
func (r *Renderer) hintLH(fk faceKey) int {
	if r.elder && r.shortModule() {
		return fk.size + 6
	}
	return lineHeight(fk.size)
}

// hintPara draws the hint s at the bottom of rc, broken at its
// separators, each line aligned by a; it returns the height drawn.
func (r *Renderer) hintPara(s string, rc image.Rectangle, fk faceKey, c color.RGBA, a align) int {
	lines := r.hintWrap(fk, s, rc.Dx(), r.tmp[:0])
	r.tmp = lines[:0]
	lh := r.hintLH(fk)
	y := rc.Max.Y - len(lines)*lh
	for _, l := range lines {
		x := rc.Min.X
		if a == center {
			x += (rc.Dx() - l.w) / 2
		}
		r.textOp(fk, x, baseline(y+lh/2, fk.size), l, s, c)
		y += lh
	}
	return len(lines) * lh
}

// hintFor is the hint that leaves room for a page whose reasons need
// need pixels of room above the hint's lines, in a column of height
// room: the whole hint where it can, else less of it (none at last).
func (r *Renderer) hintFor(m *Model, fk faceKey, width, room, need, gap int) string {
	for _, s := range [...]string{keyHint(m), txtKeyHint, txtKeyHintSelConfirm, txtKeyHintSel} {
		if need+gap+r.hintLines(fk, s, width)*r.hintLH(fk) <= room {
			return s
		}
	}
	return ""
}
