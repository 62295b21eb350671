package agent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/agent/voice"
	"evalpad/display"
	"evalpad/pad"
)

// fakePlayer hands each clip to the test; with hold set it keeps playing
// until the test releases it (a slow sound device).
type fakePlayer struct {
	played chan heard
	hold   chan struct{}
	// records counts the store's records as each clip starts: the thanks
	// must come after the commit.
	records func() int
}

// heard is a clip played, and the records in the store as it started.
type heard struct {
	Key     string
	records int
}

func (p *fakePlayer) Play(ctx context.Context, c voice.Clip) error {
	h := heard{Key: c.Key}
	if p.records != nil {
		h.records = p.records()
	}
	p.played <- h
	if p.hold != nil {
		select {
		case <-p.hold:
		case <-ctx.Done():
		}
	}
	return nil
}

func newFakePlayer() *fakePlayer {
	return &fakePlayer{played: make(chan heard, 64)}
}

// The voice says the prompt when a session opens, the reasons' title and
// every reason when the 4 key asks on a buttons-only pad, and 感谢您的评价
// once the record is in the store.
func TestVoiceCues(t *testing.T) {
	f := newFakes()
	pl := newFakePlayer()
	cfg := testConfig(t)
	cfg.Voice.Enabled = true
	cfg.Display.ButtonsOnly = true
	r := start(t, cfg, Parts{Hardware: f.set(), Font: testFont(t), Voice: pl, Clock: newClock()})
	pl.records = func() int { return len(records(t, r.store)) }
	var last heard
	next := func(what string) string {
		t.Helper()
		last = within(t, what, pl.played)
		return last.Key
	}
	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	if k := next("the prompt"); k != voice.KeyPrompt {
		t.Fatalf("on opening a session the voice said %q, want %q", k, voice.KeyPrompt)
	}
	ctx := context.Background()
	if err := f.buttons.Press(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// Entering the reasons screen on a buttons-only pad: the title, then
	// the focused (first) reason.
	offered := r.Pad().View().Offered
	for _, want := range []string{voice.KeyReasons, voice.ReasonKey(offered[0].Code)} {
		if k := next(want); k != want {
			t.Fatalf("on the reasons screen the voice said %q, want %q", k, want)
		}
	}
	if err := f.buttons.Press(ctx, 4); err != nil { // 朗读: the whole list
		t.Fatal(err)
	}
	want := []string{voice.KeyReasons}
	for _, o := range offered {
		want = append(want, voice.ReasonKey(o.Code))
	}
	for _, w := range want {
		if k := next(w); k != w {
			t.Fatalf("reading out said %q, want %q", k, w)
		}
	}
	if err := f.buttons.Press(ctx, 1); err != nil { // next reason: read out as it gets the focus
		t.Fatal(err)
	}
	if k, w := next("the focused reason"), voice.ReasonKey(offered[1].Code); k != w {
		t.Fatalf("moving the focus said %q, want %q", k, w)
	}
	for _, n := range []int{3, 5} { // select it, confirm
		if err := f.buttons.Press(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if k := next("the thanks"); k != voice.KeyThanks {
		t.Fatalf("after the rating the voice said %q, want %q", k, voice.KeyThanks)
	}
	if last.records != 1 {
		t.Fatalf("the thanks played with %d records in the store, want 1", last.records)
	}
	if st := r.State(); len(st.Faults) != 0 {
		t.Errorf("faults %q", st.Faults)
	}
}

// A sound device that hangs does not hold the pad up: the rating lands
// while the prompt is still playing.
func TestVoiceNeverDelaysTheRating(t *testing.T) {
	f := newFakes()
	pl := newFakePlayer()
	pl.hold = make(chan struct{})
	defer close(pl.hold)
	cfg := testConfig(t)
	cfg.Voice.Enabled = true
	r := start(t, cfg, Parts{Hardware: f.set(), Font: testFont(t), Voice: pl})
	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	within(t, "the prompt", pl.played)
	out, err := r.Pad().Press(5)
	if err != nil || out.Result != pad.ResultRecorded {
		t.Fatalf("press while the prompt plays: %+v, %v", out, err)
	}
	if recs := records(t, r.store); len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
}

// notify wraps a player and tells the test when each play returned.
type notify struct {
	voice.Player
	done chan error
}

func (n notify) Play(ctx context.Context, c voice.Clip) error {
	err := n.Player.Play(ctx, c)
	n.done <- err
	return err
}

// A sound device that is not there (real aplay, a device ALSA does not
// know) is a fault in the state; the rating still lands. A clip that plays
// again clears it.
func TestVoiceBrokenDeviceIsAFault(t *testing.T) {
	f := newFakes()
	pl := notify{voice.Aplay{Device: "evalpad_no_such_device"}, make(chan error, 8)}
	cfg := testConfig(t)
	cfg.Voice.Enabled = true
	r := start(t, cfg, Parts{Hardware: f.set(), Font: testFont(t), Voice: pl})
	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	if err := within(t, "aplay to fail", pl.done); err == nil {
		t.Fatal("aplay on a device that does not exist succeeded")
	}
	if err := f.buttons.Press(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
	within(t, "the thanks to fail too", pl.done)
	if recs := records(t, r.store); len(recs) != 1 || recs[0].Stars != 5 {
		t.Fatalf("records %+v", recs)
	}
	st := r.State()
	i := slices.IndexFunc(st.Faults, func(s string) bool { return strings.HasPrefix(s, "voice: clip thanks: aplay") })
	if i < 0 || !strings.Contains(st.Faults[i], "evalpad_no_such_device") {
		t.Fatalf("faults %q: want the voice's, naming the device", st.Faults)
	}
	if st.Screen != pad.ScreenThanks {
		t.Errorf("screen %s", st.Screen)
	}
}

// ReadOut is refused with no voice and off the reasons screen.
func TestReadOutRefused(t *testing.T) {
	a := build(t, testConfig(t), Parts{Font: testFont(t)})
	if err := a.ReadOut(); err == nil || !strings.Contains(err.Error(), "voice.enabled") {
		t.Errorf("ReadOut with no voice: %v", err)
	}
	cfg := testConfig(t)
	cfg.Voice.Enabled = true
	a = build(t, cfg, Parts{Font: testFont(t), Voice: newFakePlayer()})
	if err := a.ReadOut(); err == nil || !strings.Contains(err.Error(), "reasons screen") {
		t.Errorf("ReadOut on idle: %v", err)
	}
	cfg = testConfig(t)
	cfg.Voice.Enabled = true
	cfg.Voice.Clips = map[string]string{"prompt": "/nonexistent/prompt.wav"}
	if _, err := New(cfg, Parts{Font: testFont(t), Voice: newFakePlayer()}); err == nil || !strings.Contains(err.Error(), "voice.clips.prompt") {
		t.Errorf("New with a missing clip: %v", err)
	} else if pe := (*PartError)(nil); !errors.As(err, &pe) || pe.Part != "voice" {
		t.Errorf("New with a missing clip: %v is not the voice part's", err)
	}
}

// On a touch pad the reasons screen has 朗读: a touch on it reads the
// reasons out.
func TestVoiceReadOnTouch(t *testing.T) {
	pl := newFakePlayer()
	cfg := testConfig(t)
	cfg.Voice.Enabled = true
	// No panel: its driver reads the frame that Targets and Touch draw.
	r := start(t, cfg, Parts{Font: testFont(t), Voice: pl})
	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	within(t, "the prompt", pl.played)
	if _, err := r.Pad().Press(1); err != nil {
		t.Fatal(err)
	}
	var read *display.TargetRect
	for _, tg := range r.Screen().Targets() {
		if tg.Kind == display.TargetRead {
			read = &tg
		}
	}
	if read == nil {
		t.Fatal("no 朗读 on the reasons screen")
	}
	c := read.Rect.Min.Add(read.Rect.Size().Div(2))
	if _, _, err := r.Screen().Touch(r.Pad(), c.X, c.Y); err != nil {
		t.Fatal(err)
	}
	if k := within(t, "the reading", pl.played).Key; k != voice.KeyReasons {
		t.Fatalf("a touch on 朗读 said %q", k)
	}
	for _, o := range r.Pad().View().Offered {
		if k := within(t, "a reason", pl.played).Key; k != voice.ReasonKey(o.Code) {
			t.Fatalf("reading out said %q, want %q", k, voice.ReasonKey(o.Code))
		}
	}
}

// Selftest plays the prompt on a pad with a voice: a sound device that
// works passes (ALSA's null device through real aplay), one ALSA does not
// know fails naming it; a pad without voice.enabled has no voice line.
func TestSelftestVoice(t *testing.T) {
	for _, tc := range []struct {
		device string
		pass   bool
	}{{"null", true}, {"evalpad_no_such_device", false}} {
		cfg := testConfig(t)
		cfg.Voice.Enabled, cfg.Voice.Device = true, tc.device
		rep := Selftest(context.Background(), cfg, Parts{Font: testFont(t)}, SelftestOptions{Timeout: 10 * time.Second})
		i := slices.IndexFunc(rep.Parts, func(p Part) bool { return p.Part == "voice" })
		if i < 0 {
			t.Fatalf("%s: no voice line in %+v", tc.device, rep.Parts)
		}
		p := rep.Parts[i]
		if (p.Result == "pass") != tc.pass || !strings.Contains(p.Detail, tc.device) {
			t.Errorf("%s: voice %+v", tc.device, p)
		}
	}
	rep := Selftest(context.Background(), testConfig(t), Parts{Font: testFont(t)}, SelftestOptions{})
	if slices.ContainsFunc(rep.Parts, func(p Part) bool { return p.Part == "voice" }) {
		t.Errorf("a voice line with voice.enabled false: %+v", rep.Parts)
	}
}
