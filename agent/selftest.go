package agent

import (
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"evalpad/agent/config"
	"evalpad/agent/hardware"
	"evalpad/agent/voice"
	"evalpad/pad"
	"evalpad/sync/protocol"
	"evalpad/trust"
)

// Part is one line of the selftest report.
type Part struct {
	Part   string `json:"part"`
	Result string `json:"result"` // pass, fail, skip
	Detail string `json:"detail"`
}

// Report is the selftest's result.
type Report struct {
	DeviceID string   `json:"device_id"`
	Version  string   `json:"version"`
	At       string   `json:"at"`
	Pass     bool     `json:"pass"`
	Failed   []string `json:"failed"`
	Parts    []Part   `json:"parts"`
}

func (r *Report) add(part string, err error, detail string) {
	p := Part{Part: part, Result: "pass", Detail: detail}
	if err != nil {
		p.Result, p.Detail = "fail", err.Error()
		r.Failed = append(r.Failed, part)
	}
	r.Parts = append(r.Parts, p)
}

func (r *Report) skip(part, why string) {
	r.Parts = append(r.Parts, Part{Part: part, Result: "skip", Detail: why})
}

func (r *Report) done() *Report {
	r.Pass = len(r.Failed) == 0
	if r.Failed == nil {
		r.Failed = []string{}
	}
	return r
}

// SelftestOptions are the technician's side of a selftest.
type SelftestOptions struct {
	// ConfigPath is the config file's, for the report.
	ConfigPath string
	// Timeout is how long each interactive step waits (default 30s).
	Timeout time.Duration
	// Say tells the technician what to do next.
	Say func(format string, args ...any)
	// Confirm asks the technician a yes/no question about what the panel
	// shows; nil takes yes.
	Confirm func(question string) error
}

// Selftest walks a technician through every part of the pad cfg names —
// the font and texts, the store, the panel's test pattern, each star
// button, the four corners of the touch panel, a test receipt — and
// reports each as pass, fail or skip. The pad is built with New from
// parts, as `evalpad run` builds it; the drivers are then driven directly
// (a press is not a rating). With no parts.Hardware it opens the drivers
// cfg names. Stop a running evalpad first: the store is checked too.
// Selftest closes the drivers.
func Selftest(ctx context.Context, cfg config.Config, parts Parts, o SelftestOptions) *Report {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Say == nil {
		o.Say = func(string, ...any) {}
	}
	clock := parts.Clock
	if clock == nil {
		clock = pad.SystemClock{}
	}
	rep := &Report{DeviceID: cfg.DeviceID, Version: parts.Version, At: clock.Now().Format(time.RFC3339)}
	rep.add("config", nil, o.ConfigPath)
	hw := parts.Hardware
	if hw == nil {
		var err error
		if hw, err = hardware.Open(cfg, parts.Logger); err != nil {
			rep.add("drivers", err, "")
			return rep.done()
		}
	}
	parts.Hardware = hw
	defer hw.Close() // after the agent's Close (which closes them too), or alone when New failed

	a, err := New(cfg, parts)
	var pe *PartError
	switch {
	case err == nil:
		defer a.Close()
		rep.add("font", nil, fontDetail(a))
		rep.add("store", a.checkStore(), filepath.Join(cfg.DataDir, StoreFile))
		detail, err := a.identityDetail()
		rep.add("identity", err, detail)
		if a.link == nil {
			rep.skip("sync", "no sync.broker: records stay in the outbox")
		} else {
			o.Say("sync: connecting to %s", cfg.Sync.Broker)
			pctx, cancel := context.WithTimeout(ctx, o.Timeout)
			err := a.link.Probe(pctx)
			cancel()
			rep.add("sync", err, fmt.Sprintf("%s took the pad's credentials and its subscription to %s",
				cfg.Sync.Broker, protocol.DownFilter(cfg.DeviceID)))
		}
	case errors.As(err, &pe) && pe.Part == "font":
		rep.add("font", err, "")
		rep.skip("store", "not checked: the pad did not start")
	case errors.As(err, &pe):
		rep.add(pe.Part, err, "")
	default:
		rep.add("agent", err, "")
	}

	w, h, _ := cfg.Display.Dimensions()
	if hw.Panel == nil {
		rep.skip("panel", "no [panel] driver configured")
	} else {
		o.Say("panel %s, %dx%d: showing the test pattern — bars W R G B K, grey ramp, white frame and corners", hw.PanelName, w, h)
		o.Say("panel: W white, R red, G green, B blue, K black, the ramp dark to light, else: W black = flip panel.invert; R blue = flip panel.bgr")
		err := hw.Panel.Show(TestPattern(w, h))
		if err == nil && o.Confirm != nil {
			err = o.Confirm("彩条从左到右是否为 白 红 绿 蓝 黑（W R G B K），灰阶由黑到白，白色边框和四角完整？" +
				"Are the bars W R G B K white, red, green, blue, black, the ramp dark to light, the frame whole? [y/N] ")
		}
		rep.add("panel", err, fmt.Sprintf("%s, %dx%d: test pattern shown (bars W R G B K, grey ramp, frame)", hw.PanelName, w, h))
	}
	if hw.Buttons == nil {
		rep.skip("buttons", "no [buttons] driver configured")
	} else {
		o.Say("buttons: 请依次按下 1★ 到 5★ 每个按键 — press each star button once (%s)", o.Timeout)
		seen, err := collect(ctx, o.Timeout, 5, func(ctx context.Context, got func(int)) error {
			return hw.Buttons.Run(ctx, func(star int) {
				o.Say("buttons: %d★ pressed", star)
				got(star)
			})
		})
		var missing []string
		for s := 1; s <= 5; s++ {
			if !slices.Contains(seen, s) {
				missing = append(missing, fmt.Sprintf("%d★", s))
			}
		}
		if err == nil && len(missing) > 0 {
			err = fmt.Errorf("%s: not pressed within %s: %s", hw.ButtonsName, o.Timeout, strings.Join(missing, " "))
		}
		rep.add("buttons", err, hw.ButtonsName+": all five pressed")
	}
	if hw.Touch == nil {
		rep.skip("touch", "no [touch] path configured")
	} else {
		rep.add("touch", touchCorners(ctx, hw, w, h, o), hw.TouchName+": four corners")
	}
	switch {
	case hw.Printer == nil:
		rep.skip("printer", "no printer.uri configured")
	case a == nil:
		rep.skip("printer", "not tested: the pad did not start")
	default:
		o.Say("printer: printing a test receipt")
		rep.add("printer", a.testPrint(ctx, o.Timeout), hw.PrinterName+": test receipt printed, status fine"+statusNote(cfg.Printer))
	}
	switch { // only a pad with voice.enabled has a voice line
	case !cfg.Voice.Enabled:
	case a == nil:
		rep.skip("voice", "not tested: the pad did not start")
	default:
		dev := firstNonEmpty(cfg.Voice.Device, "ALSA's default")
		o.Say("voice: playing 请您对本次服务进行评价 on %s at %d%%", dev, cfg.Voice.Volume)
		pctx, cancel := context.WithTimeout(ctx, o.Timeout)
		err := a.voice.PlayNow(pctx, voice.KeyPrompt)
		cancel()
		if err == nil && o.Confirm != nil {
			err = o.Confirm("是否听到“请您对本次服务进行评价”？Did you hear the prompt? [y/N] ")
		}
		rep.add("voice", err, fmt.Sprintf("%s: the prompt played at %d%%", dev, cfg.Voice.Volume))
	}
	return rep.done()
}

// SelftestConfigFailed is the report of a selftest whose config did not load.
func SelftestConfigFailed(path, version string, err error) *Report {
	rep := &Report{Version: version, At: time.Now().Format(time.RFC3339)}
	rep.add("config", err, path)
	return rep.done()
}

// statusNote says when the printer's status was not read: a one-way
// printer, by config.
func statusNote(p config.Printer) string {
	if !p.Status {
		return " (one-way: printer.status = false, status not read)"
	}
	return ""
}

func fontDetail(a *Agent) string {
	if a.screen == nil {
		return "no screen"
	}
	return "every configured text has glyphs"
}

// identityDetail is the selftest's line on the keys: the device key's
// fingerprint and the central's, for the technician to compare with the
// central's page. A pad that syncs with no central key fails: it would
// refuse every message from the central.
func (a *Agent) identityDetail() (string, error) {
	cfg := a.Config()
	dev := "device key " + trust.Fingerprint(a.PublicKey())
	switch {
	case cfg.Sync.CentralKey != "":
		k, err := trust.ParsePublicKey(cfg.Sync.CentralKey) // validated by New
		if err != nil {
			return "", err
		}
		return dev + ", central key " + trust.Fingerprint(k), nil
	case cfg.Sync.Broker != "":
		return "", errors.New(dev + "; " + FaultNotProvisioned)
	}
	return dev + "; not provisioned (no sync.broker, no central key)", nil
}

// checkStore checks the store's file and reports what opening it found.
func (a *Agent) checkStore() error {
	if err := a.store.Check(); err != nil {
		return err
	}
	if f := damageFaults(a.store.Damage()); len(f) > 0 {
		return errors.New(strings.Join(f, "; "))
	}
	return nil
}

func touchCorners(ctx context.Context, hw *hardware.Set, w, h int, o SelftestOptions) error {
	o.Say("touch: 请依次触摸屏幕四角 — touch the four corners of the screen (%s)", o.Timeout)
	corner := func(x, y int) int { // 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right, -1 not near one
		col, row := -1, -1
		switch {
		case x < w/4:
			col = 0
		case x >= w-w/4:
			col = 1
		}
		switch {
		case y < h/4:
			row = 0
		case y >= h-h/4:
			row = 1
		}
		if col < 0 || row < 0 {
			return -1
		}
		return row*2 + col
	}
	seen, err := collect(ctx, o.Timeout, 4, func(ctx context.Context, got func(int)) error {
		return hw.Touch.Run(ctx, func(x, y int) {
			c := corner(x, y)
			if c < 0 {
				o.Say("touch: (%d, %d) — not near a corner", x, y)
				return
			}
			o.Say("touch: (%d, %d)", x, y)
			got(c)
		})
	})
	var missing []string
	for c, n := range []string{"top-left", "top-right", "bottom-left", "bottom-right"} {
		if !slices.Contains(seen, c) {
			missing = append(missing, n)
		}
	}
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("touch %s: corners not touched within %s: %s", hw.TouchName, o.Timeout, strings.Join(missing, ", "))
	}
	return err
}

// collect runs a driver until want distinct values came, or timeout.
func collect(ctx context.Context, timeout time.Duration, want int, run func(ctx context.Context, got func(int)) error) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	vals := make(chan int, 16)
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, func(v int) { vals <- v }) }()
	var seen []int
	for len(seen) < want {
		select {
		case v := <-vals:
			if !slices.Contains(seen, v) {
				seen = append(seen, v)
			}
		case err := <-errc:
			if ctx.Err() == nil && err != nil {
				return seen, err
			}
			return seen, nil
		}
	}
	cancel()
	<-errc
	return seen, nil
}

// testPrint prints a test receipt and waits until the printer took it and
// reports no fault.
func (a *Agent) testPrint(ctx context.Context, timeout time.Duration) error {
	name := a.hw.PrinterName
	if _, err := a.PrintTestReceipt(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		st := a.hw.Printer.Status()
		faults := hardware.PrinterFaults(st)
		switch {
		case st.Failed > 0:
			return fmt.Errorf("%s: the test receipt failed: %s", name, st.LastError)
		case st.Jobs > 0 && len(faults) == 0:
			return nil
		case ctx.Err() != nil:
			if len(faults) > 0 {
				return fmt.Errorf("%s: %s", name, strings.Join(faults, "; "))
			}
			return fmt.Errorf("%s: the test receipt was not taken within %s", name, timeout)
		}
		wait := time.NewTimer(100 * time.Millisecond) // the printer driver reports no events: look again
		select {
		case <-ctx.Done():
		case <-wait.C:
		}
		wait.Stop()
	}
}

// TestPattern is the panel's test picture (README "Selftest colour bars"):
// five bars, left to right white, red, green, blue and black, each with
// its letter W R G B K (black on the light bars, white on the dark ones);
// under them a grey ramp, black on the left to white on the right; and a
// white frame with a mark at each corner, so a cut-off edge shows. A
// technician reads the panel's settings off it: a bar not the colour of
// its letter, with W black and K white and the ramp running light to
// dark, is inversion (flip panel.invert); R blue and B red is the colour
// order (flip panel.bgr); a frame or corner missing or wrapped around is
// the offsets or the size.
func TestPattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	set := func(x, y int, c [3]uint8) {
		i := img.PixOffset(x, y)
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c[0], c[1], c[2], 255
	}
	white, black := [3]uint8{255, 255, 255}, [3]uint8{0, 0, 0}
	bars := []struct {
		c, ink [3]uint8
		letter [7]string
	}{
		{white, black, letterW}, {[3]uint8{255, 0, 0}, black, letterR}, {[3]uint8{0, 255, 0}, black, letterG},
		{[3]uint8{0, 0, 255}, white, letterB}, {black, white, letterK},
	}
	barsH := h * 60 / 100
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bars[x*len(bars)/w].c
			if y >= barsH { // the ramp: 8 steps of grey
				v := uint8(255 * (x * 8 / w) / 7)
				c = [3]uint8{v, v, v}
			}
			set(x, y, c)
		}
	}
	// The letters, from a 5×7 dot font, as large as half a bar allows.
	barW := w / len(bars)
	dot := max(1, min(barW/2/5, barsH/2/7))
	for i, b := range bars {
		x0 := i*w/len(bars) + (barW-5*dot)/2
		y0 := (barsH - 7*dot) / 2
		for r, row := range b.letter {
			for col, ch := range row {
				if ch != '#' {
					continue
				}
				for dy := range dot {
					for dx := range dot {
						set(x0+col*dot+dx, y0+r*dot+dy, b.ink)
					}
				}
			}
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			edge := x < 4 || y < 4 || x >= w-4 || y >= h-4
			corner := (x < w/10 || x >= w-w/10) && (y < h/10 || y >= h-h/10)
			if edge || corner {
				set(x, y, white)
			}
		}
	}
	return img
}

// The test pattern's letters, 5×7 dots.
var (
	letterW = [7]string{"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "##.##", "#...#"}
	letterR = [7]string{"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"}
	letterG = [7]string{".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"}
	letterB = [7]string{"####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."}
	letterK = [7]string{"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"}
)
