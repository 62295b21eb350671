package screen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/agent/config"
	"evalpad/display"
	"evalpad/pad"
	"evalpad/pad/padtest"
	"evalpad/rating"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 30, 0, time.FixedZone("CST", 8*3600))

func newScreen(t *testing.T, cfg config.Config) (*Screen, *padtest.Clock) {
	t.Helper()
	font, err := display.LoadFont(nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := padtest.NewClock(t0)
	s, err := FromConfig(cfg, font, clock)
	if err != nil {
		t.Fatal(err)
	}
	return s, clock
}

func rateView(version uint64) pad.View {
	return pad.View{Version: version, Screen: pad.ScreenRate, Session: &pad.SessionView{ID: "S-1", Mode: rating.ModeSingle,
		Staff: rating.RecordStaff{ID: "TA0123", Name: "李四"}, Cases: []rating.Case{{ProjectNo: "P1", TaskName: "企业设立登记"}}}}
}

func frame(s *Screen) []byte {
	f, _ := s.Frame()
	return bytes.Clone(f.Pix)
}

// A view older than the one shown is dropped: the pad tells its listeners
// outside its lock, so two changes can arrive out of order.
func TestShowDropsStaleViews(t *testing.T) {
	s, _ := newScreen(t, config.Default())
	s.Show(rateView(5))
	s.Show(pad.View{Version: 4, Screen: pad.ScreenIdle})
	if _, v := s.Version(); v.Version != 5 || v.Screen != pad.ScreenRate {
		t.Fatalf("the screen shows view %d (%s), want 5 (rate)", v.Version, v.Screen)
	}
	s.Show(pad.View{Version: 6, Screen: pad.ScreenIdle})
	if _, v := s.Version(); v.Version != 6 {
		t.Fatalf("a newer view was dropped: %d", v.Version)
	}
}

// Every text a config names is checked against the font, by field name,
// before it reaches a counter as a tofu box.
func TestFromConfigChecksEveryText(t *testing.T) {
	font, err := display.LoadFont(nil)
	if err != nil {
		t.Fatal(err)
	}
	const missing = "\ue000" // private use: no font has it
	for _, tc := range []struct {
		field string
		set   func(c *config.Config)
	}{
		{"hall", func(c *config.Config) { c.Hall = "泰安" + missing }},
		{"window", func(c *config.Config) { c.Window = "1" + missing }},
		{"staff.name", func(c *config.Config) { c.Staff.ID, c.Staff.Name = "TA1", "李"+missing }},
		{"reasons.1", func(c *config.Config) { c.Reasons.One[0].Text = "慢" + missing }},
		{"reasons.2", func(c *config.Config) { c.Reasons.Two[3].Text = "慢" + missing }},
		{"texts.thanks", func(c *config.Config) { c.Texts = map[string]string{"thanks": "谢" + missing} }},
	} {
		cfg := config.Default()
		tc.set(&cfg)
		_, err := FromConfig(cfg, font, padtest.NewClock(t0))
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+": ") {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	if _, err := FromConfig(config.Default(), font, padtest.NewClock(t0)); err != nil {
		t.Fatalf("the default config: %v", err)
	}
}

type inputs struct {
	mu    sync.Mutex
	calls []string
}

func (in *inputs) note(s string) (pad.Outcome, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls = append(in.calls, s)
	return pad.Outcome{Result: pad.ResultChanged}, nil
}
func (in *inputs) Press(stars int) (pad.Outcome, error) {
	return in.note("press " + string(rune('0'+stars)))
}
func (in *inputs) ToggleReason(code string) (pad.Outcome, error) {
	return in.note("toggle " + code)
}
func (in *inputs) Confirm() (pad.Outcome, error)              { return in.note("confirm") }
func (in *inputs) SelectTarget(p string) (pad.Outcome, error) { return in.note("target " + p) }
func (in *inputs) SetElder(on bool)                           { in.note(fmt.Sprint("elder ", on)) }

// A touch on a target of the frame shown makes the input it means; a touch
// on nothing makes none.
func TestTouchMakesTheInputShown(t *testing.T) {
	s, _ := newScreen(t, config.Default())
	s.Show(rateView(1))
	in := &inputs{}
	var want []string
	for _, tg := range s.Targets() {
		c := tg.Rect.Min.Add(tg.Rect.Size().Div(2))
		got, _, err := s.Touch(in, c.X, c.Y)
		if err != nil || got != tg.Target {
			t.Fatalf("touch at %v: %+v %v, want %+v", c, got, err, tg.Target)
		}
		if tg.Kind == display.TargetElder {
			want = append(want, "elder true")
			continue
		}
		want = append(want, "press "+string(rune('0'+tg.Stars)))
	}
	if len(want) != 6 || strings.Join(in.calls, ",") != strings.Join(want, ",") {
		t.Fatalf("inputs %v, want %v", in.calls, want)
	}
	if got, _, _ := s.Touch(in, 2, 2); got != (display.Target{}) || len(in.calls) != 6 {
		t.Errorf("a touch on nothing: %+v, inputs %v", got, in.calls)
	}
}

// The idle screen's clock is redrawn when the minute turns, not before.
func TestIdleClockTurnsWithTheMinute(t *testing.T) {
	s, clock := newScreen(t, config.Default())
	s.Show(pad.View{Version: 1, Screen: pad.ScreenIdle})
	a := frame(s)
	clock.Advance(20 * time.Second) // 10:00:50
	if !bytes.Equal(a, frame(s)) {
		t.Error("the frame changed within the minute")
	}
	clock.Advance(10 * time.Second) // 10:01:00
	if bytes.Equal(a, frame(s)) {
		t.Error("the clock did not turn with the minute")
	}
}

// What the central changes (hall, window → the window's QR code) shows.
func TestSetStatic(t *testing.T) {
	cfg := config.Default()
	s, _ := newScreen(t, cfg)
	s.Show(pad.View{Version: 1, Screen: pad.ScreenIdle})
	before := frame(s)
	cfg.Window = "8"
	st, err := StaticOf(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.ScanURL, "w=8") || !strings.Contains(st.ScanURL, "d=EVALPAD-SIM") {
		t.Fatalf("window QR %s", st.ScanURL)
	}
	s.SetStatic(st)
	if bytes.Equal(before, frame(s)) {
		t.Error("the new window does not show")
	}
}

func pngDataURI(t *testing.T, w, h int) string {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// Staff photos: a data URI or a file decodes; a URL is not fetched, and a
// picture too large to decode safely is refused before it is decoded.
func TestDecodePhoto(t *testing.T) {
	for _, tc := range []struct {
		name, src, err string
	}{
		{"data URI", pngDataURI(t, 60, 80), ""},
		{"URL", "https://example.com/p.png", "not fetched"},
		{"not base64", "data:image/png;base64,@@@", "illegal base64"},
		{"not an image", "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("hello")), "unknown format"},
		{"no such file", "/nonexistent/photo.png", "no such file"},
		{"too large", pngDataURI(t, 5000, 5000), "too large"},
		{"not data:image", "data:text/plain;base64,aGk=", "want data:image"},
	} {
		img, err := DecodePhoto(tc.src)
		switch {
		case tc.err == "" && (err != nil || img == nil):
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.err)
		}
	}
}

// A staff photo shows on the screen of that staff's session.
func TestPhotoShows(t *testing.T) {
	s, _ := newScreen(t, config.Default())
	s.Show(rateView(1))
	before := frame(s)
	img, err := DecodePhoto(pngDataURI(t, 60, 80))
	if err != nil {
		t.Fatal(err)
	}
	s.SetPhoto("TA0999", img) // someone else's
	if !bytes.Equal(before, frame(s)) {
		t.Error("another staff member's photo shows")
	}
	s.SetPhoto("TA0123", img)
	if bytes.Equal(before, frame(s)) {
		t.Error("the session's staff photo does not show")
	}
}

// On a small panel a touch on 下一页 shows the next page of reasons and
// makes no pad input; every reason is reachable by paging; a new screen
// starts on its first page again.
func TestTouchPagesReasons(t *testing.T) {
	cfg := config.Default()
	cfg.Display.Size = "135x240"
	s, _ := newScreen(t, cfg)
	reasons := rating.DefaultReasons().Two
	s.Show(pad.View{Version: 1, Screen: pad.ScreenReasons, Stars: 2, Offered: reasons, Focus: -1})
	in := &inputs{}
	seen := map[string]bool{}
	pages := 0
	for {
		pages++
		var next *display.TargetRect
		for _, tg := range s.Targets() {
			switch tg.Kind {
			case display.TargetReason:
				seen[tg.Code] = true
			case display.TargetPage:
				if tg.Page == pages {
					next = &tg
				}
			}
		}
		if next == nil || pages > len(reasons) {
			break
		}
		c := next.Rect.Min.Add(next.Rect.Size().Div(2))
		if got, _, err := s.Touch(in, c.X, c.Y); err != nil || got != next.Target {
			t.Fatalf("touch on %v: %+v, %v", next.Target, got, err)
		}
	}
	if len(seen) != len(reasons) || pages < 2 || len(in.calls) != 0 {
		t.Errorf("%d pages showed %d of %d reasons; inputs %v (want none)", pages, len(seen), len(reasons), in.calls)
	}
	s.Show(rateView(2))
	s.Show(pad.View{Version: 3, Screen: pad.ScreenReasons, Stars: 2, Offered: reasons, Focus: -1})
	for _, tg := range s.Targets() {
		if tg.Kind == display.TargetPage && tg.Page != 1 {
			t.Errorf("after the screen changed: a page target to %d, want the first page's (to 1)", tg.Page)
		}
	}
}

// Elder mode: the citizen's 大字 shows on the rate screen and asks the pad
// for it; a view in elder mode draws it (the toggle then says 标准字, and
// asks to leave it). display.elder draws it always, with no toggle.
func TestElderMode(t *testing.T) {
	s, _ := newScreen(t, config.Default())
	v := rateView(1)
	s.Show(v)
	plain := frame(s)
	toggle := func() (display.TargetRect, bool) {
		for _, tg := range s.Targets() {
			if tg.Kind == display.TargetElder {
				return tg, true
			}
		}
		return display.TargetRect{}, false
	}
	in := &inputs{}
	tg, ok := toggle()
	if !ok {
		t.Fatal("no 大字 toggle on the rate screen")
	}
	c := tg.Rect.Min.Add(tg.Rect.Size().Div(2))
	s.Touch(in, c.X, c.Y)
	v.Version, v.Elder = 2, true // what the pad answers SetElder(true) with
	s.Show(v)
	if bytes.Equal(plain, frame(s)) {
		t.Error("elder mode draws the same frame")
	}
	if tg, ok = toggle(); !ok || tg.Elder {
		t.Fatalf("in elder mode the toggle is %+v, want one that leaves it", tg)
	}
	c = tg.Rect.Min.Add(tg.Rect.Size().Div(2))
	s.Touch(in, c.X, c.Y)
	if strings.Join(in.calls, ",") != "elder true,elder false" {
		t.Errorf("inputs %v", in.calls)
	}

	cfg := config.Default()
	cfg.Display.Elder = true
	s, _ = newScreen(t, cfg)
	s.Show(rateView(1))
	if _, ok := toggle(); ok {
		t.Error("a toggle with display.elder")
	}
	elder := frame(s)
	if bytes.Equal(plain, elder) {
		t.Error("display.elder draws the standard screen")
	}
}
