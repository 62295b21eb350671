package main

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium; CI installs it. Outside CI a machine
// without it skips the browser test, saying so.
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (Debian package chromium); .ci/run installs it")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// artifacts is where the browser test saves its screenshots:
// $EVALPAD_ARTIFACTS, else a temporary folder named in the log.
func artifacts(t *testing.T) string {
	dir := os.Getenv("EVALPAD_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type region struct {
	Kind       string `json:"kind"`
	Stars      int    `json:"stars"`
	Code       string `json:"code"`
	ProjectNo  string `json:"project_no"`
	X, Y, W, H int
}

// TestSimulatorPage drives the simulator page in headless Chromium as a
// person would: the counter panel opens a theme session (the page plays the
// voice prompt), the 2★ button is
// pressed, two reasons and 确认提交 are tapped on the screen image, the
// thank-you shows, and the receipt printed from the counter panel appears.
func TestSimulatorPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	exe := chromium(t)
	out := artifacts(t)
	c := startSim(t, "--data", t.TempDir())

	// Chromium may still write its profile as it exits: remove it, best effort.
	profile, err := os.MkdirTemp("", "evalpad-chromium")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1400, 1000),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("mute-audio", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil {
				return err
			}
			p := filepath.Join(out, name+".png")
			t.Logf("screenshot %s", p)
			return os.WriteFile(p, buf, 0o644)
		})
	}
	screenIs := func(s string) chromedp.Action {
		return chromedp.WaitVisible(`body[data-screen="`+s+`"]`, chromedp.ByQuery)
	}
	// tap clicks the screen image at panel pixel (x, y), scaled to how the
	// page shows the image.
	tap := func(x, y int) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			// A state event may be reloading the image: read its box in one
			// go once it has a picture.
			var box struct{ Left, Top, Width, Height, NW, NH float64 }
			for end := time.Now().Add(10 * time.Second); ; {
				if err := chromedp.Evaluate(`(() => { const i = document.getElementById("screen"), r = i.getBoundingClientRect();
					return {left: r.left, top: r.top, width: r.width, height: r.height,
						nw: i.complete ? i.naturalWidth : 0, nh: i.complete ? i.naturalHeight : 0}; })()`, &box).Do(ctx); err != nil {
					return err
				}
				if box.NW > 0 {
					break
				}
				if time.Now().After(end) {
					return fmt.Errorf("the screen image has not loaded")
				}
				time.Sleep(50 * time.Millisecond)
			}
			return chromedp.MouseClickXY(box.Left+(float64(x)+0.5)*box.Width/box.NW, box.Top+(float64(y)+0.5)*box.Height/box.NH).Do(ctx)
		})
	}
	targets := func() []region {
		var rs struct {
			Targets []region `json:"targets"`
		}
		if code, err := c.call("GET", "/sim/targets", nil, &rs); err != nil || code != 200 {
			t.Fatalf("GET /sim/targets: %d %v", code, err)
		}
		return rs.Targets
	}

	err = chromedp.Run(ctx,
		chromedp.Navigate(c.base+"/"),
		chromedp.WaitVisible(`#star-5`, chromedp.ByID),
		chromedp.WaitVisible(`#conn:not(.off)`, chromedp.ByQuery),
		screenIs("idle"),
		shot("page-idle"),
		chromedp.Click(`#open-theme`, chromedp.ByID),
		screenIs("rate"),
		// The page plays the pad's prompt: its clip started in the browser.
		chromedp.WaitVisible(`body[data-voice~="prompt"]`, chromedp.ByQuery),
		shot("page-theme-rate"),
		chromedp.Click(`#star-2`, chromedp.ByID),
		screenIs("reasons"),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, c.stderr())
	}
	var reasons []region
	var confirm *region
	for _, r := range targets() {
		switch r.Kind {
		case "reason":
			reasons = append(reasons, r)
		case "confirm":
			confirm = &r
		}
	}
	if len(reasons) < 2 || confirm == nil {
		t.Fatalf("reasons screen targets: %+v", targets())
	}
	picked := []region{reasons[0], reasons[len(reasons)-1]}
	center := func(r region) (int, int) { return r.X + r.W/2, r.Y + r.H/2 }
	x1, y1 := center(picked[0])
	x2, y2 := center(picked[1])
	cx, cy := center(*confirm)
	// Tap each reason and wait until the pad has it selected. A click can
	// be lost while a loaded machine reloads the image under it: then (and
	// only then, so nothing toggles twice) it is tapped again.
	selected := func() []string {
		var st struct {
			Selected []string `json:"reasons_selected"`
		}
		c.call("GET", "/api/v1/state", nil, &st)
		return st.Selected
	}
	for i, p := range [][2]int{{x1, y1}, {x2, y2}} {
		code := picked[i].Code
		for try := 0; ; try++ {
			if err := chromedp.Run(ctx, tap(p[0], p[1])); err != nil {
				t.Fatalf("browser: %v", err)
			}
			ok := false
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && !ok; time.Sleep(20 * time.Millisecond) {
				ok = slices.Contains(selected(), code)
			}
			if ok {
				break
			}
			if try == 2 {
				var targets []region
				targets = append(targets, reasons...)
				t.Fatalf("reason %s not selected after 3 taps at (%d,%d); selected %v; targets %+v\n%s", code, p[0], p[1], selected(), targets, c.stderr())
			}
			t.Logf("tap at (%d,%d) for %s did not register; tapping again", p[0], p[1], code)
		}
	}
	if got := selected(); len(got) != 2 {
		t.Fatalf("selected %v after two taps", got)
	}
	err = chromedp.Run(ctx,
		shot("page-reasons"),
		tap(cx, cy),
		screenIs("thanks"),
		shot("page-thanks"),
		chromedp.Click(`#print`, chromedp.ByID),
		chromedp.WaitVisible(`#receipt[data-job]`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("receipt").complete && document.getElementById("receipt").naturalWidth > 0`, nil),
		chromedp.Sleep(time.Second), // the paper's feed animation
		shot("page-receipt"),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, c.stderr())
	}

	var played []struct{ Key, At string }
	if code, err := c.call("GET", "/sim/voice", nil, &played); err != nil || code != 200 || len(played) < 2 ||
		played[0].Key != "prompt" || played[len(played)-1].Key != "thanks" || played[0].At == "" {
		t.Errorf("GET /sim/voice: %d %v %+v, want the prompt first and the thanks last", code, err, played)
	}
	var recs struct {
		Records []struct {
			Record struct {
				Mode    string   `json:"mode"`
				Stars   int      `json:"stars"`
				Target  string   `json:"target"`
				Reasons []string `json:"reasons"`
				Cases   []any    `json:"cases"`
			} `json:"record"`
		} `json:"records"`
	}
	c.call("GET", "/sim/records", nil, &recs)
	if len(recs.Records) != 1 {
		t.Fatalf("records after the page's rating: %+v", recs)
	}
	r := recs.Records[0].Record
	want := []string{picked[0].Code, picked[1].Code}
	if r.Mode != "theme" || r.Stars != 2 || r.Target != "" || len(r.Cases) != 3 || strings.Join(r.Reasons, ",") != strings.Join(want, ",") {
		t.Errorf("record %+v, want a theme 2★ covering 3 items with reasons %v", r, want)
	}
	resp, err := client.Get(c.base + "/sim/receipts/latest.png")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := png.Decode(resp.Body); err != nil {
		t.Errorf("latest receipt is not a PNG: %v", err)
	}
}

// waitFor polls cond (20 ms apart, 10 s at most).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
