package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"evalpad/central"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// TestFiguresPage opens the figures page in headless Chromium: it asks for
// a token and shows no figures before one; a wrong one is refused and asked
// for again; with a supervisor's token (kept in sessionStorage) the
// figures and the records of an enrolled pad show. Screenshots go to
// $EVALPAD_ARTIFACTS, else a temporary folder named in the log.
func TestFiguresPage(t *testing.T) {
	ctx, shot := browser(t)
	data := t.TempDir()
	base, _ := hub(t, "--data", data)
	enrollAndSend(t, base, "", []string{"--data", data}, 7)
	tok, _ := command(t, "token", "--role", "supervisor", "--data", data)
	// Two rollouts to TA-1: one halted, one running.
	good, _ := artifact(t, "1.3.0")
	command(t, "firmware", "publish", good, "--vendor-key", testVendorPub, "--data", data)
	halted, _ := command(t, "firmware", "rollout", "--version", "1.3.0", "--devices", "TA-1", "--data", data)
	command(t, "firmware", "halt", halted, "--reason", "测试", "--data", data)
	command(t, "firmware", "rollout", "--version", "1.3.0", "--devices", "TA-1", "--data", data)

	var mainHidden bool
	var loginErr, rated, latest, rollouts, pads, caseSat, coverage string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#login`, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("main").hidden`, &mainHidden),
		chromedp.SendKeys(`#login input[name=token]`, "evh_wrong", chromedp.ByQuery),
		chromedp.Click(`#login button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#login-error`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("login-error").textContent !== ""`, nil),
		chromedp.Text(`#login-error`, &loginErr, chromedp.ByQuery),
		shot("hub-login"),
		chromedp.SendKeys(`#login input[name=token]`, tok, chromedp.ByQuery),
		chromedp.Click(`#login button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#main`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("rated").textContent === "7"`, nil),
		chromedp.Text(`#rated`, &rated, chromedp.ByQuery),
		chromedp.Text(`#case-satisfaction`, &caseSat, chromedp.ByQuery),
		chromedp.Text(`#coverage`, &coverage, chromedp.ByQuery),
		chromedp.Text(`#latest tbody`, &latest, chromedp.ByQuery),
		chromedp.Poll(`document.querySelectorAll("#rollouts details").length === 2`, nil),
		chromedp.Click(`#rollouts details summary`, chromedp.ByQuery),
		chromedp.Text(`#rollouts > tbody`, &rollouts, chromedp.ByQuery),
		chromedp.Text(`#rollouts details table.pads tbody`, &pads, chromedp.ByQuery),
		shot("hub"),
	); err != nil {
		t.Fatal(err)
	}
	if !mainHidden {
		t.Error("the figures were shown before a token was given")
	}
	if !strings.Contains(loginErr, "not valid") {
		t.Errorf("a wrong token: %q", loginErr)
	}
	if rated != "7" || !strings.Contains(latest, "企业设立登记") {
		t.Errorf("rated %q, latest %q", rated, latest)
	}
	if caseSat != "100.0%" || coverage != "100.0%" { // seven 5★ single sessions
		t.Errorf("服务满意率 %q, 评价覆盖率 %q", caseSat, coverage)
	}
	for _, want := range []string{"1.3.0", "设备 TA-1", "进行中", "已停止", "halted by an operator: 测试"} {
		if !strings.Contains(rollouts, want) {
			t.Errorf("rollouts panel lacks %q: %q", want, rollouts)
		}
	}
	if !strings.Contains(pads, "TA-1") {
		t.Errorf("a rollout's pads: %q", pads)
	}
}

// browser starts headless Chromium for a test (skipped when it is not
// installed, but not in CI) and returns its context and a screenshot
// action writing to $EVALPAD_ARTIFACTS, else a temporary folder.
func browser(t *testing.T) (context.Context, func(name string) chromedp.Action) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	exe := ""
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (Debian package chromium)")
		}
		t.Skip("chromium is not installed")
	}
	out := os.Getenv("EVALPAD_ARTIFACTS")
	if out == "" {
		out = t.TempDir()
	}
	profile, err := os.MkdirTemp("", "evalhub-chromium")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1300, 1600))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelC()
		cancelB()
		cancelA()
		os.RemoveAll(profile)
	})
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
	return ctx, shot
}

// TestFiguresPageSurvivesStoredValues: a record stored before the central
// refused such shapes — staff, cases, reasons and flags null, a stars
// value out of range, a 200 KB hall — is in the database; the page still
// shows the figures and the latest records (main stopped with 出错：Cannot
// read properties of null), and warns that next year's holidays are
// unknown (lunar-go has no 2027); the pad's missing seq show when asked.
func TestFiguresPageSurvivesStoredValues(t *testing.T) {
	ctx, shot := browser(t)
	data := t.TempDir()
	base, _ := hub(t, "--data", data)
	pad := enrollAndSend(t, base, "", []string{"--data", data}, 2)
	tok, _ := command(t, "token", "--role", "supervisor", "--data", data)
	cl := pad.Connect(t, pad.Enrolled.Broker, nil)
	if tk := cl.Publish(protocol.Topic("TA-1", protocol.UpStatus), 1, true, protocol.Status{Online: true, Firmware: "v1"}.Marshal()); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
		t.Fatal("status", tk.Error())
	}
	st, err := central.Open(context.Background(), filepath.Join(data, "evalhub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	odd := rating.Record{V: 1, ID: "019abcde-0000-7000-8000-0000000000ee", Seq: 99, Kind: rating.KindRating, DeviceID: "TA-1",
		Hall: strings.Repeat("厅", 70000), Window: "12", Mode: rating.ModeSingle, Stars: 9, At: time.Now().Format(time.RFC3339)}
	body := []byte(`{"v":1,"id":"` + odd.ID + `","seq":99,"kind":"rating","device_id":"TA-1","hall":"` + odd.Hall +
		`","window":"12","mode":"single","staff":null,"cases":null,"reasons":null,"flags":null,"stars":9,"at":"` + odd.At + `","good":null}`)
	if _, err := st.Insert(context.Background(), []central.Row{central.NewRow(odd, body, time.Now())}, nil); err != nil {
		t.Fatal(err)
	}
	var updated, latest, calendar, seq string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#login`, chromedp.ByQuery),
		chromedp.SendKeys(`#login input[name=token]`, tok, chromedp.ByQuery),
		chromedp.Click(`#login button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#main`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("updated").textContent !== ""`, nil),
		chromedp.Text(`#updated`, &updated, chromedp.ByQuery),
		chromedp.Text(`#latest tbody`, &latest, chromedp.ByQuery),
		chromedp.Text(`#calendar`, &calendar, chromedp.ByQuery),
		// The pad's seq report, asked for: 1, 2 and the odd 99 stored.
		chromedp.WaitVisible(`#devices button.seq-check`, chromedp.ByQuery),
		chromedp.Click(`#devices button.seq-check`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("#devices tbody").textContent.includes("缺")`, nil),
		chromedp.Text(`#devices tbody`, &seq, chromedp.ByQuery),
		shot("hub-odd-values"),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(updated, "出错") || !strings.Contains(latest, "企业设立登记") || !strings.Contains(latest, "9") {
		t.Errorf("updated %q, latest %.300q", updated, latest)
	}
	if !strings.Contains(seq, "缺 3–98") {
		t.Errorf("the pad's seq report: %q", seq)
	}
	if time.Now().Year() == 2026 && !strings.Contains(calendar, "2027") {
		t.Errorf("no warning that 2027's holidays are unknown: %q", calendar)
	}
}
