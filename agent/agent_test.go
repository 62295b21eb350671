package agent

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/agent/hardware"
	"evalpad/agent/hardware/hardwaretest"
	"evalpad/device/printer"
	"evalpad/display/receipt"
	"evalpad/pad"
	"evalpad/pad/localapi"
	"evalpad/sync/protocol"
)

// The whole pad on fake drivers, run in-process: a session from the LAN, a
// press on the buttons, the thank-you on the panel, a receipt on the
// printer, the state with the printer's status; Run stops on ctx and Close
// closes the drivers.
func TestRunsTheWholePad(t *testing.T) {
	f := newFakes()
	r := start(t, testConfig(t), Parts{Hardware: f.set(), Font: testFont(t), Version: "test"})
	first := f.panel.Next()
	within(t, "the first frame", first)

	if code := r.call(t, "POST", "/api/v1/sessions", session("S-1"), nil); code != 201 {
		t.Fatalf("open session: %d", code)
	}
	next := f.panel.Next()
	if err := f.buttons.Press(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	within(t, "a frame after the press", next)
	var st localapi.State
	r.call(t, "GET", "/api/v1/state", nil, &st)
	if st.Screen != pad.ScreenThanks || st.Last == nil || st.Last.Stars != 4 || st.Outbox.Pending != 1 || st.Version != "test" {
		t.Fatalf("state after the press: %+v", st)
	}
	if st.Printer == nil || len(st.Faults) != 0 {
		t.Errorf("printer %v, faults %v", st.Printer, st.Faults)
	}
	if recs := records(t, r.store); len(recs) != 1 || recs[0].SessionID != "S-1" || recs[0].Stars != 4 {
		t.Fatalf("records %+v", recs)
	}
	frames := f.panel.Frames()
	if last := frames[len(frames)-1]; bytes.Equal(last.Pix, frames[0].Pix) {
		t.Error("the panel still shows the first frame")
	}
	var job struct{ Job int }
	if code := r.call(t, "POST", "/api/v1/receipts", map[string]string{"project_no": "P-S-1", "task_name": "企业设立登记"}, &job); code != 200 || job.Job != 1 {
		t.Fatalf("receipt: %d %+v", code, job)
	}
	if len(f.printer.Jobs()) != 1 {
		t.Fatalf("printer got %d jobs", len(f.printer.Jobs()))
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !f.panel.Closed() {
		t.Error("Close did not close the panel")
	}
}

// A session from the central (down/session) opens exactly as one from the
// LAN does: the staff photo it carries is on the screen.
func TestSessionFromCentralShowsPhoto(t *testing.T) {
	var b bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 60, 80))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(30, 40, color.RGBA{200, 0, 0, 255})
	png.Encode(&b, img)
	photo := "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
	withPhoto := session("S-1")
	withPhoto["staff"] = map[string]string{"id": "TA0123", "name": "李四", "photo": photo}

	screenOf := func(open func(a *Agent)) []byte {
		a := build(t, testConfig(t), Parts{Font: testFont(t), Clock: newClock()})
		open(a)
		p, _, err := a.Screen().PNG()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	viaLAN := screenOf(func(a *Agent) {
		srv := httpServer(t, a)
		if code := call(t, srv, "POST", "/api/v1/sessions", withPhoto, nil); code != 201 {
			t.Fatalf("LAN session: %d", code)
		}
	})
	viaCentral := screenOf(func(a *Agent) {
		raw, _ := jsonMarshal(withPhoto)
		s, err := protocol.ParseSession(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := (downlink{a}).OpenSession(s); err != nil {
			t.Fatal(err)
		}
	})
	noPhoto := screenOf(func(a *Agent) {
		if err := (downlink{a}).OpenSession(ratingSession("S-1")); err != nil {
			t.Fatal(err)
		}
	})
	if !bytes.Equal(viaLAN, viaCentral) {
		t.Error("the screen of a session from the central differs from the same session from the LAN")
	}
	if bytes.Equal(viaLAN, noPhoto) {
		t.Error("the staff photo does not show")
	}
}

// One key policy for every receipt: a real printer needs receipt.key (New
// and selftest both refuse it without one); the simulator signs with the
// public development key; a pad with a key signs with it.
func TestReceiptKeyPolicy(t *testing.T) {
	noKey := testConfig(t)
	noKey.Receipt.Key = ""

	t.Run("real printer, no key", func(t *testing.T) {
		f := newFakes()
		_, err := New(noKey, Parts{Hardware: f.set(), Font: testFont(t)})
		var pe *PartError
		if !errors.Is(err, ErrNoReceiptKey) || !errors.As(err, &pe) || pe.Part != "receipt" {
			t.Fatalf("New: %v", err)
		}
		pr := hardwaretest.NewPrinter()
		rep := Selftest(context.Background(), noKey, Parts{Hardware: &hardware.Set{Printer: pr, PrinterName: "fake printer"},
			Font: testFont(t)}, SelftestOptions{})
		if !slices.Contains(rep.Failed, "receipt") || rep.Pass {
			t.Fatalf("selftest without a key: %+v", rep)
		}
		if len(f.printer.Jobs())+len(pr.Jobs()) != 0 {
			t.Fatal("printed without a key")
		}
	})
	for _, tc := range []struct {
		name          string
		cfgKey, cfgID string
		simulated     bool
		verifyKey     string
		verifyID      string
	}{
		{"simulator, no key", "", "", true, DevReceiptKey, DevReceiptKeyID},
		{"real printer, key", "0123456789abcdef-test", "", false, "0123456789abcdef-test", receipt.DefaultKeyID},
		{"real printer, key and id", "0123456789abcdef-test", "k7", false, "0123456789abcdef-test", "k7"},
		{"simulator, key", "0123456789abcdef-test", "", true, "0123456789abcdef-test", receipt.DefaultKeyID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Receipt.Key, cfg.Receipt.KeyID = tc.cfgKey, tc.cfgID
			f := newFakes()
			clock := newClock()
			a := build(t, cfg, Parts{Hardware: f.set(), Font: testFont(t), Simulated: tc.simulated, Clock: clock})
			if _, err := a.PrintTestReceipt(); err != nil {
				t.Fatal(err)
			}
			if _, err := a.receipts.PrintReceipt(localapi.ReceiptRequest{ProjectNo: "P1", TaskName: "企业设立登记"}); err != nil {
				t.Fatal(err)
			}
			for i, job := range f.printer.Jobs() {
				u := qrOf(t, job)
				keys := receipt.Keys{ByID: map[string][]byte{tc.verifyID: []byte(tc.verifyKey)}}
				s, err := receipt.VerifyURL(keys, "hcp.example.gov.cn", t0, u)
				if err != nil || s.DeviceID != cfg.DeviceID || s.ProjectNo != []string{SelftestProjectNo, "P1"}[i] {
					t.Errorf("job %d: %s: %+v %v", i, u, s, err)
				}
				if !s.Expires.Equal(t0.Add(ReceiptTokenLifetime)) {
					t.Errorf("job %d: the token expires at %v, want %v", i, s.Expires, t0.Add(ReceiptTokenLifetime))
				}
				if _, err := receipt.VerifyURL(keys, "hcp.example.gov.cn", t0.Add(ReceiptTokenLifetime), u); !errors.Is(err, receipt.ErrExpired) {
					t.Errorf("job %d: after its lifetime: %v", i, err)
				}
				if tc.verifyKey != DevReceiptKey {
					dev := receipt.Keys{ByID: map[string][]byte{tc.verifyID: []byte(DevReceiptKey)}}
					if _, err := receipt.VerifyURL(dev, "hcp.example.gov.cn", t0, u); err == nil {
						t.Errorf("job %d verifies with the public key", i)
					}
				}
			}
		})
	}
}

// The local state and the MQTT status report the same faults, from one
// place: a printer out of paper and a failing panel show in both.
func TestFaultsOnePlace(t *testing.T) {
	f := newFakes()
	f.panel.Fail = errors.New("SPI write: input/output error")
	clock := newClock()
	first := f.panel.Next()
	r := start(t, testConfig(t), Parts{Hardware: f.set(), Font: testFont(t), Clock: clock})
	within(t, "the first frame", first)
	// The next minute's frame is tried after the first failure was noted.
	second := f.panel.Next()
	clock.Advance(time.Minute)
	within(t, "the frame of the next minute", second)
	f.printer.SetStatus(printer.Status{Online: true, PaperOut: true})
	st := r.State()
	want := []string{"printer: paper out", "panel: SPI write: input/output error"}
	if !slices.Equal(st.Faults, want) {
		t.Fatalf("state faults %q, want %q", st.Faults, want)
	}
	h := downlink{r.Agent}.Health()
	if !slices.Equal(h.Faults, st.Faults) || h.Printer != "printer: paper out" || h.Screen != string(st.Screen) {
		t.Fatalf("status health %+v, state faults %q", h, st.Faults)
	}
	var got localapi.State
	r.call(t, "GET", "/api/v1/state", nil, &got)
	if !slices.Equal(got.Faults, want) {
		t.Fatalf("GET /api/v1/state faults %q", got.Faults)
	}
}

// A store whose unacked records belong to another device id refuses to
// start, and says how many and how to drain them; acked, it starts.
func TestOtherDeviceIDRefused(t *testing.T) {
	cfg := testConfig(t)
	appendRecords(t, cfg.DataDir, "TA-OLD-1", 3)
	cfg.DeviceID = "TA-NEW-1"
	_, err := New(cfg, Parts{})
	if !errors.Is(err, ErrOtherDevice) {
		t.Fatalf("New: %v", err)
	}
	for _, want := range []string{`3 of device_id "TA-OLD-1"`, `device_id back to "TA-OLD-1"`, "outbox.pending 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	old := cfg
	old.DeviceID = "TA-OLD-1"
	a := build(t, old, Parts{}) // the old id drains them
	var ids []string
	for _, r := range records(t, a.store) {
		ids = append(ids, r.ID)
	}
	if n, err := a.store.Ack(ids, t0); err != nil || n != 3 {
		t.Fatalf("ack: %d %v", n, err)
	}
	a.Close()
	build(t, cfg, Parts{}) // nothing of the old id waits: the new id starts
}

// Views reach the screen in the order the pad made them: however inputs
// race, the screen ends on the pad's latest state.
func TestScreenEndsOnLatestView(t *testing.T) {
	a := build(t, testConfig(t), Parts{Font: testFont(t)})
	a.pad.Start()
	for round := range 50 {
		var wg sync.WaitGroup
		wg.Go(func() { a.OpenSession(ratingSession(fmt.Sprintf("S-%d", round))) })
		wg.Go(func() { a.pad.Press(5) })
		wg.Go(func() { a.pad.ShowMessage(fmt.Sprintf("通知 %d", round), time.Minute) })
		wg.Wait()
		_, shown := a.Screen().Version()
		if now := a.pad.View(); shown.Version != now.Version || shown.Screen != now.Screen {
			t.Fatalf("round %d: the screen shows view %d (%s), the pad is at %d (%s)", round, shown.Version, shown.Screen, now.Version, now.Screen)
		}
	}
}

// The selftest builds the pad as run does and drives the drivers directly:
// every part passes on working fakes, and a press is not a rating.
func TestSelftestInProcess(t *testing.T) {
	f := newFakes()
	cfg := testConfig(t)
	ctx := context.Background()
	var mu sync.Mutex
	var said []string
	o := SelftestOptions{ConfigPath: "pad.toml", Timeout: 10 * time.Second,
		Say: func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			mu.Lock()
			said = append(said, msg)
			mu.Unlock()
			switch {
			case strings.HasPrefix(msg, "buttons: 请"):
				go func() {
					for s := 1; s <= 5; s++ {
						f.buttons.Press(ctx, s)
					}
				}()
			case strings.HasPrefix(msg, "touch: 请"):
				go func() {
					for _, p := range []image.Point{{5, 5}, {1020, 5}, {5, 595}, {1020, 595}} {
						f.touch.Tap(ctx, p.X, p.Y)
					}
				}()
			}
		}}
	rep := Selftest(ctx, cfg, Parts{Hardware: f.set(), Font: testFont(t), Version: "test"}, o)
	var parts []string
	for _, p := range rep.Parts {
		parts = append(parts, p.Part+":"+p.Result)
	}
	want := []string{"config:pass", "font:pass", "store:pass", "identity:pass", "sync:skip", "panel:pass", "buttons:pass", "touch:pass", "printer:pass"}
	if !rep.Pass || !slices.Equal(parts, want) {
		t.Fatalf("report %v, want %v: %+v", parts, want, rep)
	}
	if fr := f.panel.Frames(); len(fr) != 1 || fr[0].Pix[0] != 255 {
		t.Errorf("panel frames %d: the test pattern was not shown", len(fr))
	}
	if len(f.printer.Jobs()) != 1 {
		t.Errorf("printer jobs %d", len(f.printer.Jobs()))
	}
	a := build(t, cfg, Parts{})
	if recs := records(t, a.store); len(recs) != 0 {
		t.Errorf("the selftest's presses made records: %+v", recs)
	}
}
