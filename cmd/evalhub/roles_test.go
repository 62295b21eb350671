package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFiguresPageRoles: the figures page with a hall manager's token shows
// the hall's figures and its scope, and no pad, rollout or rejected list;
// with another staff member's token it shows none of the hall's ratings;
// the token command refuses a hall token without its hall. The hall's
// monthly report renders in the browser (a screenshot, hub-report.png).
func TestFiguresPageRoles(t *testing.T) {
	ctx, shot := browser(t)
	data := t.TempDir()
	base, _ := hub(t, "--data", data)
	enrollAndSend(t, base, "", []string{"--data", data}, 7)
	hall, _ := command(t, "token", "--role", "hall", "--hall", "泰安市政务服务中心", "--data", data)
	staff, _ := command(t, "token", "--role", "staff", "--staff", "TA0999", "--data", data)
	dept, _ := command(t, "token", "--role", "department", "--window", "泰安市政务服务中心/12", "--window", "岱岳区政务服务中心/3", "--data", data)
	var out, errs strings.Builder
	if code := run([]string{"token", "--role", "hall", "--data", data}, &out, &errs); code == 0 || !strings.Contains(errs.String(), "needs --hall") {
		t.Errorf("a hall token without --hall: %d %q", code, errs.String())
	}
	for _, c := range []struct {
		name, tok, rated, scope string
	}{
		{"hall", hall, "7", "大厅负责人：泰安市政务服务中心"},
		{"department", dept, "7", "部门窗口：泰安市政务服务中心/12、岱岳区政务服务中心/3"},
		{"staff", staff, "0", "工作人员：TA0999"},
	} {
		var rated, scope string
		var adminShown bool
		if err := chromedp.Run(ctx,
			chromedp.Navigate(base+"/"),
			chromedp.Evaluate(`sessionStorage.clear()`, nil),
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(`#login`, chromedp.ByQuery),
			chromedp.SendKeys(`#login input[name=token]`, c.tok, chromedp.ByQuery),
			chromedp.Click(`#login button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#main`, chromedp.ByQuery),
			chromedp.Poll(`document.getElementById("scope").textContent !== ""`, nil),
			chromedp.Text(`#rated`, &rated, chromedp.ByQuery),
			chromedp.Text(`#scope`, &scope, chromedp.ByQuery),
			chromedp.Evaluate(`[...document.querySelectorAll("section.admin")].some((s) => !s.hidden)`, &adminShown),
			shot("hub-"+c.name),
		); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rated != c.rated || scope != c.scope || adminShown {
			t.Errorf("%s: rated %q scope %q, pad and system lists shown %v", c.name, rated, scope, adminShown)
		}
		if strings.Contains(scope, "undefined") {
			t.Errorf("%s: %q", c.name, scope)
		}
	}
	reportShot(t, ctx, shot, base, hall)
}

func reportShot(t *testing.T, ctx context.Context, shot func(string) chromedp.Action, base, tok string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/report/泰安市政务服务中心/"+time.Now().Format("2006-01"), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: %d %s", resp.StatusCode, b)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	os.WriteFile(file, b, 0o644)
	var text string
	if err := chromedp.Run(ctx, chromedp.Navigate("file://"+file), chromedp.Text(`body`, &text, chromedp.ByQuery), shot("hub-report")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"好差评月报", "TA0123", "李四", "差评处置"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q: %s", want, text)
		}
	}
}
