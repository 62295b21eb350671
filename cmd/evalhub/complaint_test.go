package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"evalpad/central"
	"evalpad/central/centraltest"
	"evalpad/rating"
)

// TestComplaintEndToEnd: a pad presses 2★ (and 1★, after a 5★); each
// reaches the central over MQTT, opens a complaint case and fires the
// signed webhook at a fake receiver (the latency is logged, not asserted);
// the 2★ case walks every state; the 1★ is appealed, the appeal upheld as
// 误评, and 满意率 goes from 1/3 to 1/2 while the record stays; each case's
// audit log shows every step.
func TestComplaintEndToEnd(t *testing.T) {
	const secret = "webhook-secret"
	t.Setenv("EVALHUB_ALERT_SECRET", secret)
	arrived := make(chan central.Alert, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Evalhub-Signature") != central.Sign([]byte(secret), body) {
			t.Errorf("webhook signature %q", r.Header.Get("X-Evalhub-Signature"))
		}
		var a central.Alert
		if err := json.Unmarshal(body, &a); err != nil {
			t.Errorf("webhook payload %s: %v", body, err)
		}
		arrived <- a
	}))
	defer recv.Close()
	data := t.TempDir()
	base, _ := hub(t, "--data", data, "--alert-url", recv.URL, "--alert-threshold", "2/30m")
	code, _ := command(t, "enroll", "--device", "TA-1", "--data", data)
	op, _ := command(t, "token", "--role", "operator", "--data", data)
	sup, _ := command(t, "token", "--role", "supervisor", "--data", data)
	p := centraltest.NewPad("TA-1")
	p.Enroll(t, base, code)
	cl := p.Connect(t, p.Enrolled.Broker, nil)

	now := time.Now()
	bad := p.Record(2, now, func(r *rating.Record) { r.Stars, r.Good, r.Reasons = 2, false, []string{"201"} })
	wrong := p.Record(3, now, func(r *rating.Record) { r.Stars, r.Good = 1, false })
	pressed := time.Now()
	p.Send(t, cl, p.Sign(t, p.Record(1, now, nil)), p.Sign(t, bad), p.Sign(t, wrong))
	got := map[string]central.Alert{}
	for len(got) < 3 { // two 差评 and the threshold (2 within 30 minutes)
		a := <-arrived
		got[a.Kind+a.ComplaintID] = a
		t.Logf("webhook %s %s arrived %v after the press", a.Kind, a.ComplaintID, time.Since(pressed))
	}
	if a := got[central.AlertBad+bad.ID]; a.Stars != 2 || a.Window != "12" || a.Channel != "pad" || a.StaffID != "TA0123" {
		t.Errorf("the 2★ alert %+v", a)
	}
	if a := got[central.AlertThreshold]; a.Count != 2 || a.Window != "12" {
		t.Errorf("the threshold alert %+v", a)
	}
	var live struct{ Alerts []central.Alert }
	if code := getJSON(t, sup, base+"/api/v1/alerts", &live); code != 200 || len(live.Alerts) != 3 {
		t.Errorf("the page's alerts: %d %+v", code, live)
	}

	post := func(id, action string, body map[string]any) central.Complaint {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+"/api/v1/complaints/"+id+"/"+action, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+op)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c central.Complaint
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(raw, &c) != nil {
			t.Fatalf("%s %s: %d %s", action, id, resp.StatusCode, raw)
		}
		return c
	}
	for _, s := range []struct{ action, state string }{{"verify", central.StateRectify}, {"rectify", central.StateCallback}, {"callback", central.StateClosed}} {
		if c := post(bad.ID, s.action, map[string]any{"by": "张主任", "note": s.action + " done"}); c.State != s.state {
			t.Errorf("%s: state %s, want %s", s.action, c.State, s.state)
		}
	}
	satisfaction := func() float64 {
		var st struct {
			Total struct{ Satisfaction float64 }
		}
		getJSON(t, sup, base+"/api/v1/stats", &st)
		return st.Total.Satisfaction
	}
	if s := satisfaction(); s != 1.0/3 {
		t.Errorf("满意率 before the appeal %v, want 1/3", s)
	}
	post(wrong.ID, "appeal", map[string]any{"by": "李四", "note": "群众误按"})
	if c := post(wrong.ID, "review", map[string]any{"by": "督查科", "upheld": true, "mark": central.MarkMistaken, "note": "监控核实"}); c.Mark != central.MarkMistaken || c.State != central.StateUpheld {
		t.Errorf("upheld: %+v", c)
	}
	if s := satisfaction(); s != 0.5 {
		t.Errorf("满意率 after the upheld appeal %v, want 1/2", s)
	}
	var recs struct{ Records []json.RawMessage }
	if getJSON(t, sup, base+"/api/v1/records", &recs); len(recs.Records) != 3 {
		t.Errorf("%d records kept, want 3", len(recs.Records))
	}
	for id, want := range map[string]string{bad.ID: "open verify rectify callback", wrong.ID: "open appeal review"} {
		var c central.Complaint
		getJSON(t, sup, base+"/api/v1/complaints/"+id, &c)
		var acts []string
		for _, l := range c.Log {
			if l.By == "" || l.At == "" {
				t.Errorf("log step without who or when: %+v", l)
			}
			acts = append(acts, l.Action)
		}
		if strings.Join(acts, " ") != want {
			t.Errorf("%s log %q, want %q", id, acts, want)
		}
	}
}

// TestComplaintPage: the figures page shows an open 差评 case with its
// state, deadline and audit log, and the live alert, in headless Chromium.
func TestComplaintPage(t *testing.T) {
	ctx, shot := browser(t)
	data := t.TempDir()
	base, _ := hub(t, "--data", data)
	code, _ := command(t, "enroll", "--device", "TA-1", "--data", data)
	op, _ := command(t, "token", "--role", "operator", "--data", data)
	p := centraltest.NewPad("TA-1")
	p.Enroll(t, base, code)
	cl := p.Connect(t, p.Enrolled.Broker, nil)
	bad := p.Record(1, time.Now(), func(r *rating.Record) { r.Stars, r.Good = 2, false })
	p.Send(t, cl, p.Sign(t, bad))
	centraltest.Eventually(t, "the ack", func() bool { return len(p.Acked()) == 1 })
	req, _ := http.NewRequest("POST", base+"/api/v1/complaints/"+bad.ID+"/verify", strings.NewReader(`{"by":"张主任","note":"核实属实"}`))
	req.Header.Set("Authorization", "Bearer "+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("verify: %v %v", resp, err)
	}
	resp.Body.Close()
	var cases, log, alerts string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#login`, chromedp.ByQuery),
		chromedp.SendKeys(`#login input[name=token]`, op, chromedp.ByQuery),
		chromedp.Click(`#login button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#main`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("#complaints tbody").textContent.includes("整改中") && document.querySelector("#alerts").textContent !== ""`, nil),
		chromedp.Click(`#complaints details summary`, chromedp.ByQuery),
		chromedp.Text(`#complaints > tbody`, &cases, chromedp.ByQuery),
		chromedp.Text(`#complaints table.log`, &log, chromedp.ByQuery),
		chromedp.Text(`#alerts`, &alerts, chromedp.ByQuery),
		shot("hub-complaints"),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cases, "李四") || !strings.Contains(cases, "申诉截止") {
		t.Errorf("cases %q", cases)
	}
	if !strings.Contains(log, "open") || !strings.Contains(log, "张主任") || !strings.Contains(log, "核实属实") {
		t.Errorf("log %q", log)
	}
	if !strings.Contains(alerts, "2★ 差评") {
		t.Errorf("alerts %q", alerts)
	}
}
