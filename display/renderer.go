package display

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"sync"
)

// Renderer draws models at one panel size. Its methods are safe for
// concurrent use (they take turns): it holds faces, which are not, and
// caches of glyphs, shapes, the QR code and the scaled photo.
type Renderer struct {
	mu   sync.Mutex
	font *Font
	size Size

	dpi   float64 // the panel's pixels per inch (SetDPI; PanelDPI by default)
	elder bool    // the model being laid out is in elder mode (Model.Elder)
	keys  bool    // the model being laid out is a buttons-only pad's (Model.ButtonsOnly)

	geo  float64 // layout scale: 1 at 1024×600
	text float64 // text scale: shrinks slower than the layout

	faces  map[faceKey]*mixedFace
	glyphs map[glyphKey]*glyph
	shapes map[shapeKey]*alphaMask

	ops  []op   // the layout of the last model, reused frame to frame
	tmp  []line // scratch for wrapping
	memo memo   // strings made from the model, kept while they don't change
	fits fitCache
	pg   pageScratch // the compact layout's paging
	qr   qrCache
	pho  photoCache
}

// NewRenderer returns a renderer for panels of size s. The error says if
// s is smaller than MinSize, or f is nil.
func NewRenderer(f *Font, s Size) (*Renderer, error) {
	if f == nil {
		return nil, errors.New("display: NewRenderer: nil font")
	}
	if s.W < MinSize.W || s.H < MinSize.H || s.W > 8192 || s.H > 8192 {
		return nil, fmt.Errorf("display: panel size %d×%d is not supported: %d×%d at least", s.W, s.H, MinSize.W, MinSize.H)
	}
	geo := min(float64(s.W)/float64(DefaultSize.W), float64(s.H)/float64(DefaultSize.H))
	r := &Renderer{
		font: f, size: s, geo: geo, dpi: PanelDPI(s), text: math.Pow(geo, 0.55),
		faces:  map[faceKey]*mixedFace{},
		glyphs: map[glyphKey]*glyph{},
		shapes: map[shapeKey]*alphaMask{},
	}
	return r, nil
}

// SetDPI sets the panel's real pixel density, which elder mode's sizes are
// in dp (and points) of (display.dpi); 0 or less keeps PanelDPI.
func (r *Renderer) SetDPI(dpi float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if dpi > 0 {
		r.dpi = dpi
	} else {
		r.dpi = PanelDPI(r.size)
	}
}

// DPI is the pixel density elder mode sizes its type for.
func (r *Renderer) DPI() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dpi
}

// Size is the panel size the renderer draws.
func (r *Renderer) Size() Size { return r.size }

// NewImage returns an image of the panel's size to Render into.
func (r *Renderer) NewImage() *image.RGBA {
	return image.NewRGBA(image.Rect(0, 0, r.size.W, r.size.H))
}

// Render draws m into dst, which must be the panel's size (its Rect may
// start anywhere; see NewImage). Every pixel is painted. After the first
// frames have filled the caches it allocates nothing.
func (r *Renderer) Render(dst *image.RGBA, m Model) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(&m)
	p := painter{r: r, dst: dst}
	off := dst.Rect.Min
	for i := range r.ops {
		p.paint(&r.ops[i], off, &m)
	}
}

// Hit maps a touch at (x, y) to what it means on the screen m shows. It
// uses the very layout Render draws, so a target and its drawing cannot
// drift apart. ok is false where a touch means nothing.
func (r *Renderer) Hit(m Model, x, y int) (t Target, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(&m)
	pt := image.Pt(x, y)
	for i := len(r.ops) - 1; i >= 0; i-- {
		o := &r.ops[i]
		if o.kind == opTarget && pt.In(o.r) {
			return o.target, true
		}
	}
	return Target{}, false
}

// Texts returns every text the model's screen draws, in full (before any
// cut with …), once each: what the font must have glyphs for.
func (r *Renderer) Texts(m Model) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(&m)
	var out []string
	for i := range r.ops {
		o := &r.ops[i]
		if o.kind == opText && o.full != "" && !slices.Contains(out, o.full) {
			out = append(out, o.full)
		}
	}
	return out
}

// Check reports a text of m that the font cannot draw: an error wrapping
// ErrMissingGlyph that names the character and the text. Run it at start
// and in selftest over the configured hall, window, staff and reasons, so
// a counter never shows a tofu box.
func (r *Renderer) Check(m Model) error {
	return r.font.Check(r.Texts(m)...)
}

// Targets returns the touch targets of m's screen with their rectangles,
// front to back as Hit searches them (for a simulator to outline them and
// for tests).
func (r *Renderer) Targets(m Model) []TargetRect {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layout(&m)
	var out []TargetRect
	for i := len(r.ops) - 1; i >= 0; i-- {
		if o := &r.ops[i]; o.kind == opTarget {
			out = append(out, TargetRect{o.target, o.r})
		}
	}
	return out
}

// TargetRect is a touch target and where it is.
type TargetRect struct {
	Target
	Rect image.Rectangle
}

// px scales a length of the 1024×600 design to the panel.
func (r *Renderer) px(v float64) int { return int(math.Round(v * r.geo)) }

// fs scales a font size of the 1024×600 design to the panel, in even
// pixels (fewer faces to cache), never below 12.
func (r *Renderer) fs(v float64) int {
	n := int(math.Round(v*r.text/2)) * 2
	return max(n, 12)
}
