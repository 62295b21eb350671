package screen

import (
	"fmt"
	"net/url"
	"time"

	"evalpad/agent/config"
	"evalpad/display"
	"evalpad/pad"
	"evalpad/rating"
)

// StaticOf is what a frame shows of cfg besides the pad's state.
func StaticOf(cfg config.Config) (Static, error) {
	loc, err := cfg.Location()
	if err != nil {
		return Static{}, err
	}
	return Static{Hall: cfg.Hall, Window: cfg.Window, ScanURL: WindowScanURL(cfg),
		StarOrder: cfg.Display.StarOrder, Location: loc, Texts: cfg.Texts, Elder: cfg.Display.Elder, DPI: cfg.Display.DPI}, nil
}

// WindowScanURL is the window's static 扫码评价 QR code: base?d=DEVICE&w=WINDOW.
func WindowScanURL(cfg config.Config) string {
	return cfg.Display.ScanURL + "?" + url.Values{"d": {cfg.DeviceID}, "w": {cfg.Window}}.Encode()
}

// FromConfig makes the screen cfg describes, drawing with font, after
// checking that the font draws every text cfg names (CheckTexts): a missing
// glyph is an error at start, never a tofu box at a counter.
func FromConfig(cfg config.Config, font *display.Font, clock pad.Clock) (*Screen, error) {
	w, h, err := cfg.Display.Dimensions()
	if err != nil {
		return nil, err
	}
	st, err := StaticOf(cfg)
	if err != nil {
		return nil, err
	}
	s, err := New(font, display.Size{W: w, H: h}, st, clock)
	if err != nil {
		return nil, err
	}
	if err := s.CheckTexts(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// CheckTexts reports a text of cfg the screen's font cannot draw: the hall,
// window and staff on duty as the idle screen shows them, every reason, and
// every replaced screen text. Run it on every config before it applies.
func (s *Screen) CheckTexts(cfg config.Config) error {
	st, err := StaticOf(cfg)
	if err != nil {
		return err
	}
	s.mu.Lock() // the renderer's faces are the frame's: one goroutine at a time
	defer s.mu.Unlock()
	for _, f := range []struct{ name, text string }{{"hall", cfg.Hall}, {"window", cfg.Window}, {"staff.name", cfg.Staff.Name}} {
		if err := s.font.Check(f.text); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	idle := s.modelFor(pad.View{Screen: pad.ScreenIdle, OnDuty: rating.RecordStaff{ID: cfg.Staff.ID, Name: cfg.Staff.Name}}, time.Time{})
	idle.Hall, idle.Window, idle.ScanURL, idle.Texts = st.Hall, st.Window, st.ScanURL, st.Texts
	if err := s.r.Check(idle); err != nil {
		return err
	}
	for level, list := range map[int][]rating.Reason{1: cfg.Reasons.One, 2: cfg.Reasons.Two} {
		for _, r := range list {
			if err := s.font.Check(r.Text); err != nil {
				return fmt.Errorf("reasons.%d: %w", level, err)
			}
		}
	}
	for k, t := range cfg.Texts {
		if err := s.font.Check(t); err != nil {
			return fmt.Errorf("texts.%s: %w", k, err)
		}
	}
	return nil
}
