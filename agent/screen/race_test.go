package screen

import (
	"bytes"
	"testing"

	"evalpad/agent/config"
	"evalpad/pad"
	"evalpad/rating"
)

// Touches, the simulator's target list and its PNG, while the views
// change and the panel goroutine draws and sends each frame, as
// agent.drivePanel does: the frame a panel is given stays its own until
// its next Frame call. Run under -race; it ends after a fixed number of
// touches, not after a time.
func TestTouchWhileThePanelDraws(t *testing.T) {
	s, _ := newScreen(t, config.Default())
	reasons := rating.DefaultReasons().Two
	views := []func(v uint64) pad.View{
		rateView,
		func(v uint64) pad.View {
			return pad.View{Version: v, Screen: pad.ScreenReasons, Stars: 2, Offered: reasons, Focus: -1}
		},
		func(v uint64) pad.View { return pad.View{Version: v, Screen: pad.ScreenIdle} },
		func(v uint64) pad.View { w := rateView(v); w.Elder = true; return w },
	}
	in := &inputs{}
	// The frame handed out is not drawn over by what the other goroutines call.
	s.Show(views[0](1))
	f, _ := s.Frame()
	given := bytes.Clone(f.Pix)
	s.Show(views[1](2))
	if ts := s.Targets(); len(ts) > 0 {
		c := ts[0].Rect.Min.Add(ts[0].Rect.Size().Div(2))
		s.Touch(in, c.X, c.Y)
	}
	if _, _, err := s.PNG(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Pix, given) {
		t.Fatal("the frame the panel was given was drawn over before its next Frame call")
	}

	const touches = 400
	done := make(chan struct{})
	panelDone := make(chan int)
	go func() { // the panel goroutine
		frames := 0
		var sent []byte
		for {
			f, _ := s.Frame()
			sent = append(sent[:0], f.Pix...) // what a panel's Show reads, outside the screen's lock
			frames++
			select {
			case <-done:
				panelDone <- frames
				return
			default:
			}
		}
	}()
	for i := range touches {
		s.Show(views[i%len(views)](uint64(i + 3)))
		ts := s.Targets()
		if len(ts) == 0 {
			continue // the idle screen has none
		}
		tg := ts[i%len(ts)]
		c := tg.Rect.Min.Add(tg.Rect.Size().Div(2))
		if _, _, err := s.Touch(in, c.X, c.Y); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			if _, _, err := s.PNG(); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	if frames := <-panelDone; frames == 0 {
		t.Fatal("the panel drew no frame")
	}
	if len(in.calls) == 0 {
		t.Fatal("no touch made an input")
	}
}
