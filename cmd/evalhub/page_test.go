package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFiguresPage opens the figures page in headless Chromium: it asks for
// a token and shows no figures before one; a wrong one is refused and asked
// for again; with a supervisor's token (kept in sessionStorage) the
// figures and the records of an enrolled pad show. Screenshots go to
// $EVALPAD_ARTIFACTS, else a temporary folder named in the log.
func TestFiguresPage(t *testing.T) {
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

	profile, err := os.MkdirTemp("", "evalhub-chromium")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1300, 1600))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
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
