package screen

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"sync"
	"time"

	"evalpad/display"
	"evalpad/pad"
)

// Static is what a frame shows besides the pad's state.
type Static struct {
	Hall, Window string
	ScanURL      string // the window's 扫码评价 QR code
	StarOrder    []int
	Location     *time.Location
	Texts        map[string]string // screen texts replaced by key (display.TextKeys)
	Elder        bool              // display.elder: elder mode always; else the citizen may choose it (大字)
	DPI          float64           // display.dpi: the panel's real density, 0 its usual (display.PanelDPI)
}

// Inputs is what a touch drives (package pad's *Pad implements it).
type Inputs interface {
	Press(stars int) (pad.Outcome, error)
	ToggleReason(code string) (pad.Outcome, error)
	Confirm() (pad.Outcome, error)
	SelectTarget(projectNo string) (pad.Outcome, error)
	SetElder(on bool)
}

// Screen renders the pad's views. Safe for concurrent use.
type Screen struct {
	font   *display.Font
	r      *display.Renderer
	static Static
	clock  pad.Clock

	mu      sync.Mutex
	view    pad.View
	photos  map[string]image.Image // staff id → decoded photo
	offline bool
	page    int         // the page of reasons or theme items a small panel shows (display.Model.Page)
	readOut func()      // a touch on 朗读 (OnReadOut); nil: no voice, no 朗读
	frame   *image.RGBA // drawn under mu, by whichever call finds the state changed
	out     *image.RGBA // the copy Frame hands the panel: only Frame writes it
	outOld  bool        // frame was drawn again since out was copied
	model   display.Model
	minute  int64 // the clock minute the frame shows
	dirty   bool
	version uint64
	png     []byte
	pngVer  uint64
	watch   map[int]func(version uint64, v pad.View)
	nextW   int
}

// New makes a screen of the given size drawing with font. clock gives the
// time shown on the idle screen.
func New(font *display.Font, size display.Size, static Static, clock pad.Clock) (*Screen, error) {
	r, err := display.NewRenderer(font, size)
	if err != nil {
		return nil, err
	}
	if static.Location == nil {
		static.Location = time.Local
	}
	r.SetDPI(static.DPI)
	return &Screen{font: font, r: r, static: static, clock: clock, photos: map[string]image.Image{}, dirty: true,
		frame: r.NewImage(), watch: map[int]func(uint64, pad.View){}}, nil
}

// Font is the font the screen draws with.
func (s *Screen) Font() *display.Font { return s.font }

// Check reports a text the screen would draw for v that the font cannot:
// run it at start over what the config names, so no tofu box reaches a counter.
func (s *Screen) Check(v pad.View) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Check(s.modelFor(v, time.Time{}))
}

// Targets returns the touch targets of the frame last drawn.
func (s *Screen) Targets() []display.TargetRect {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.render()
	return s.r.Targets(s.model)
}

// SetPhoto sets the photo shown for a staff member (nil removes it).
func (s *Screen) SetPhoto(staffID string, img image.Image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if img == nil {
		delete(s.photos, staffID)
	} else {
		s.photos[staffID] = img
	}
	s.changed()
}

// SetStatic replaces what frames show besides the pad's state (a config
// from the central changed the hall, window or texts).
func (s *Screen) SetStatic(st Static) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Location == nil {
		st.Location = time.Local
	}
	s.static = st
	s.r.SetDPI(st.DPI)
	s.changed()
}

// OnReadOut puts 朗读 on the reasons screen of a touch pad: a touch on it
// calls fn (the pad's voice reads the reasons out). Set it before the
// screen is shown.
func (s *Screen) OnReadOut(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOut = fn
	s.changed()
}

// SetOffline sets the offline mark.
func (s *Screen) SetOffline(off bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offline != off {
		s.offline = off
		s.changed()
	}
}

// Show takes a new view of the pad (subscribe it to the pad). A view older
// than the one shown (a lower pad.View.Version: the pad's listeners may be
// told two changes out of order) is dropped, so the screen always ends on
// the pad's latest state.
func (s *Screen) Show(v pad.View) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.Version < s.view.Version {
		return
	}
	if v.Screen != s.view.Screen || v.Stars != s.view.Stars {
		s.page = 0 // a new list starts on its first page
	}
	s.view = v
	s.changed()
}

// changed marks the frame stale and tells the watchers. Under mu.
func (s *Screen) changed() {
	s.dirty = true
	s.version++
	for _, fn := range s.watch {
		fn(s.version, s.view)
	}
}

// Watch calls fn (under the screen's lock: it must not block or call back)
// with the new version after every change. It returns a cancel func.
func (s *Screen) Watch(fn func(version uint64, v pad.View)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextW
	s.nextW++
	s.watch[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.watch, id)
	}
}

// Version is the number of the latest change.
func (s *Screen) Version() (uint64, pad.View) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, s.view
}

func (s *Screen) modelFor(v pad.View, now time.Time) display.Model {
	m := display.Model{
		Screen: string(v.Screen), Hall: s.static.Hall, Window: s.static.Window,
		StaffID: v.OnDuty.ID, StaffName: v.OnDuty.Name, ScanURL: s.static.ScanURL,
		Offline: s.offline, StarOrder: s.static.StarOrder,
		Stars: v.Stars, Offered: v.Offered, Selected: v.Selected, Focus: v.Focus, ButtonsOnly: v.ButtonsOnly,
		Message: v.Message, Texts: s.static.Texts, Page: s.page,
		Elder: s.static.Elder || v.Elder, OfferElder: !s.static.Elder, OfferRead: s.readOut != nil,
	}
	if !now.IsZero() {
		m.Clock = now.In(s.static.Location)
	}
	if v.Session != nil {
		m.StaffID, m.StaffName = v.Session.Staff.ID, v.Session.Staff.Name
		m.Mode, m.Cases, m.Rated, m.Target = v.Session.Mode, v.Session.Cases, v.Session.Rated, v.Session.Target
	}
	m.Photo = s.photos[m.StaffID]
	if v.Fault != nil {
		m.FaultCode = v.Fault.Code
	}
	if v.Last != nil {
		m.LastStars = int(v.Last.Stars)
	}
	return m
}

// Frame renders the current state if it changed (or the minute on the
// clock did) and returns the frame with its version. The frame is a copy
// that Touch, Targets and PNG (which draw under the lock) never write, so
// the panel may send it after the lock is released; it is reused: one
// goroutine (the panel's) calls Frame and uses the frame before its next call.
func (s *Screen) Frame() (*image.RGBA, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.render()
	if s.out == nil || s.outOld {
		if s.out == nil {
			s.out = s.r.NewImage()
		}
		copy(s.out.Pix, s.frame.Pix)
		s.outOld = false
	}
	return s.out, s.version
}

func (s *Screen) render() {
	now := s.clock.Now()
	minute := now.Unix() / 60
	if !s.dirty && (s.view.Screen != pad.ScreenIdle || minute == s.minute) {
		return
	}
	s.model = s.modelFor(s.view, now)
	s.r.Render(s.frame, s.model)
	s.minute, s.dirty = minute, false
	s.png, s.outOld = nil, true
}

// PNG returns the current frame as PNG.
func (s *Screen) PNG() ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.render()
	if s.png == nil {
		var b bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&b, s.frame); err != nil {
			return nil, 0, fmt.Errorf("screen: png: %w", err)
		}
		s.png = b.Bytes()
	}
	return s.png, s.version, nil
}

// Touch maps a touch at (x, y) on the frame last drawn to the pad input it
// means, and makes it. A touch on nothing returns Target{} and no error.
func (s *Screen) Touch(in Inputs, x, y int) (display.Target, pad.Outcome, error) {
	s.mu.Lock()
	s.render()
	t, ok := s.r.Hit(s.model, x, y)
	s.mu.Unlock()
	if !ok {
		return display.Target{}, pad.Outcome{}, nil
	}
	if t.Kind == display.TargetPage { // the screen's own: another page of the list
		s.mu.Lock()
		s.page = t.Page
		s.changed()
		s.mu.Unlock()
		return t, pad.Outcome{}, nil
	}
	if t.Kind == display.TargetRead {
		s.mu.Lock()
		fn := s.readOut
		s.mu.Unlock()
		if fn != nil {
			fn()
		}
		return t, pad.Outcome{}, nil
	}
	if t.Kind == display.TargetElder { // the citizen's choice, for this session
		in.SetElder(t.Elder)
		return t, pad.Outcome{}, nil
	}
	var out pad.Outcome
	var err error
	switch t.Kind {
	case display.TargetStar:
		out, err = in.Press(t.Stars)
	case display.TargetReason:
		out, err = in.ToggleReason(t.Code)
	case display.TargetConfirm:
		out, err = in.Confirm()
	case display.TargetItem:
		out, err = in.SelectTarget(t.ProjectNo)
	case display.TargetOverall:
		out, err = in.SelectTarget("")
	}
	return t, out, err
}
