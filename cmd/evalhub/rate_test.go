package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"evalpad/agent/sim"
	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/display/receipt"
	"evalpad/rating"
)

// TestScanToRate is 扫码评价 end to end at a phone's viewport (360 px): a
// pad reports a session unrated and one rated; a receipt of the unrated
// case is printed on the simulated printer and its QR code read back with
// zbarimg; the URL opens the central's page, which shows the case, and a
// 2★ with a reason thanks the citizen; the central then holds one record
// of channel 3 for that case that closes the session (the figures count it
// rated, nothing unrated; the time rule lists it rated: no reminder, no
// default), and a second try is refused (page and POST 409). The case
// rated at the pad, a forged token, an expired one and one printed for
// another central get a clear page (403) and store nothing; the window's
// static QR rates the window.
func TestScanToRate(t *testing.T) {
	ctx, shot := browser(t)
	if _, err := exec.LookPath("zbarimg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is not installed (Debian package zbar-tools, scripts/deps test)")
		}
		t.Skip("zbarimg is not installed (Debian package zbar-tools)")
	}
	data := t.TempDir()
	base, _ := hub(t, "--data", data)
	code, _ := command(t, "enroll", "--device", "TA-1", "--data", data)
	tok, _ := command(t, "token", "--role", "supervisor", "--data", data)
	p := centraltest.NewPad("TA-1")
	p.Enroll(t, base, code)
	cl := p.Connect(t, p.Enrolled.Broker, nil)
	now := time.Now()
	unrated := p.Record(1, now, func(r *rating.Record) {
		r.Kind, r.Stars, r.Good, r.Flags = rating.KindUnrated, 0, false, []string{rating.FlagSessionTimeout}
	})
	p.Send(t, cl, p.Sign(t, unrated), p.Sign(t, p.Record(2, now, nil)))
	centraltest.Eventually(t, "acks", func() bool { return len(p.Acked()) == 2 })
	caseNo, ratedNo := unrated.Cases[0].ProjectNo, p.Record(2, now, nil).Cases[0].ProjectNo

	key := receipt.Key{ID: p.Enrolled.ReceiptKeyID, Secret: []byte(p.Enrolled.ReceiptKey)}
	scanURL := func(projectNo string, exp time.Time) string {
		u, err := receipt.ScanURL(base+central.RatePath, key, projectNo, "TA-1", exp)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	// The receipt as the pad prints it, read back off the paper.
	job, err := receipt.Encode(receipt.Receipt{Hall: "泰安市政务服务中心", Window: "12", StaffID: "TA0123", ProjectNo: caseNo,
		TaskName: "企业设立登记", At: now, URL: scanURL(caseNo, now.Add(30*24*time.Hour))}, receipt.Profile{Paper: 58, QR: receipt.QRRaster})
	if err != nil {
		t.Fatal(err)
	}
	printer := sim.NewPrinter(t.TempDir(), 58, nil, nil, nil)
	if _, err := printer.Print(job); err != nil {
		t.Fatal(err)
	}
	png, _, _ := printer.Latest()
	paper := filepath.Join(t.TempDir(), "receipt.png")
	if err := os.WriteFile(paper, png, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zbarimg", "--raw", "-q", paper).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	scanned := strings.TrimSpace(string(out))
	if !strings.HasPrefix(scanned, base+"/rate?p=") {
		t.Fatalf("the receipt's QR code reads %q", scanned)
	}

	forged := scanned[:len(scanned)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(scanned, "A")]
	var task, served, thanks, again, atPad, forgedErr, expiredErr string
	if err := chromedp.Run(ctx,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(scanned),
		chromedp.WaitVisible(`#rate`, chromedp.ByQuery),
		chromedp.Text(`#task`, &task, chromedp.ByQuery),
		chromedp.Text(`#served`, &served, chromedp.ByQuery),
		chromedp.Click(`button.level[data-stars="2"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`fieldset.reasons[data-stars="2"]`, chromedp.ByQuery),
		chromedp.Click(`fieldset.reasons[data-stars="2"] input[value="214"]`, chromedp.ByQuery),
		shot("rate-phone"),
		chromedp.Click(`button.submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#thanks`, chromedp.ByQuery),
		chromedp.Text(`#thanks`, &thanks, chromedp.ByQuery),
		shot("rate-phone-thanks"),
		chromedp.Navigate(scanned),
		chromedp.WaitVisible(`#blocked`, chromedp.ByQuery),
		chromedp.Text(`#blocked`, &again, chromedp.ByQuery),
		chromedp.Navigate(scanURL(ratedNo, now.Add(time.Hour))),
		chromedp.WaitVisible(`#blocked`, chromedp.ByQuery),
		chromedp.Text(`#blocked`, &atPad, chromedp.ByQuery),
		shot("rate-phone-rated-at-pad"),
		chromedp.Navigate(forged),
		chromedp.WaitVisible(`#error`, chromedp.ByQuery),
		chromedp.Text(`#error`, &forgedErr, chromedp.ByQuery),
		shot("rate-phone-forged"),
		chromedp.Navigate(scanURL(caseNo, now.Add(-time.Minute))),
		chromedp.WaitVisible(`#error`, chromedp.ByQuery),
		chromedp.Text(`#error`, &expiredErr, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if task != "企业设立登记" || served == "" || !strings.Contains(thanks, "感谢") {
		t.Errorf("task %q, served %q, thanks %q", task, served, thanks)
	}
	if !strings.Contains(again, "已评价") || !strings.Contains(atPad, "窗口评价器上评价过") {
		t.Errorf("second scan %q; the case rated at the pad %q", again, atPad)
	}
	if !strings.Contains(forgedErr, "无效") || !strings.Contains(expiredErr, "过期") {
		t.Errorf("forged %q, expired %q", forgedErr, expiredErr)
	}

	// What the central holds: the pad's two records and the scan rating.
	recs := records(t, base, tok)
	if len(recs) != 3 {
		t.Fatalf("%d records at the central, want 3", len(recs))
	}
	r := recs[2]
	if r.Kind != rating.KindRating || r.Channel != "3" || r.Target != caseNo || r.Stars != 2 || !slices.Equal(r.Reasons, []string{"214"}) ||
		r.SessionID != unrated.SessionID || r.ID != central.ClosingID(unrated.ID) || !slices.Contains(r.Flags, central.FlagChannel) {
		t.Errorf("the scan's record: %+v", r)
	}
	var st central.Stats
	getJSON(t, tok, base+"/api/v1/stats", &st)
	if st.Total.Rated != 2 || st.Total.Unrated != 0 || st.Total.Bad != 1 {
		t.Errorf("figures: %+v", st.Total)
	}
	var un struct{ Unrated []central.Unrated }
	getJSON(t, tok, base+"/api/v1/unrated", &un) // pending: the scan closed it
	if len(un.Unrated) != 0 {
		t.Errorf("pending unrated sessions after the scan: %+v, want none", un.Unrated)
	}
	getJSON(t, tok, base+"/api/v1/unrated?status=all", &un)
	if len(un.Unrated) != 1 || un.Unrated[0].Status != central.StatusRated {
		t.Errorf("the unrated session after its scan: %+v (want status rated: no reminder, no default)", un.Unrated)
	}
	if n := len(records(t, base, tok)); n != 3 {
		t.Errorf("after the time rule: %d records, want 3 (no default besides the scan)", n)
	}

	// POSTs straight: a second rating 409, forged, expired and foreign-host
	// (a genuine token printed for another central) 403, a rating at the
	// pad 409; the window's QR rates the window.
	foreign, err := receipt.ScanURL("https://hcp.example.gov.cn/rate", key, caseNo, "TA-1", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	q := func(u string) (string, string, string) {
		v, _ := http.NewRequest("GET", u, nil)
		return v.URL.Query().Get("p"), v.URL.Query().Get("d"), v.URL.Query().Get("t")
	}
	for _, c := range []struct {
		url  string
		want int
	}{
		{scanned, http.StatusConflict},
		{forged, http.StatusForbidden},
		{scanURL(caseNo, now.Add(-time.Minute)), http.StatusForbidden},
		{scanURL(ratedNo, now.Add(time.Hour)), http.StatusConflict},
		{foreign, http.StatusForbidden},
	} {
		pn, d, tk := q(c.url)
		if code := postRate(t, base, map[string]any{"p": pn, "d": d, "t": tk, "stars": 1, "reasons": []string{"115"}}); code != c.want {
			t.Errorf("POST %s: %d, want %d", c.url, code, c.want)
		}
	}
	if code := postRate(t, base, map[string]any{"d": "TA-1", "w": "12", "stars": 5, "reasons": []string{}}); code != http.StatusCreated {
		t.Errorf("the window's QR: %d", code)
	}
	if code := postRate(t, base, map[string]any{"d": "TA-1", "w": "13", "stars": 5}); code != http.StatusNotFound {
		t.Errorf("another window: %d", code)
	}
	recs = records(t, base, tok)
	if len(recs) != 4 || !slices.Contains(recs[3].Flags, central.FlagWindow) || recs[3].Window != "12" || len(recs[3].Cases) != 0 {
		t.Errorf("after the POSTs: %d records, last %+v", len(recs), recs[len(recs)-1])
	}
}

func records(t *testing.T, base, tok string) []rating.Record {
	t.Helper()
	var page struct{ Records []rating.Record }
	if code := getJSON(t, tok, base+"/api/v1/records?limit=1000", &page); code != 200 {
		t.Fatalf("records: %d", code)
	}
	return page.Records
}

func postRate(t *testing.T, base string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+central.RatePath, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
