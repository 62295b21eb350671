package central

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

func TestParseReply(t *testing.T) {
	for text, want := range map[string]int{
		"5": 5, "1": 1, "５": 5, "１": 1, "4星": 4, "３星": 3, " ２ 分 ": 2, "\t5\n": 5,
		"": 0, "0": 0, "6": 0, "６": 0, "55": 0, "５５": 0, "好": 0, "5星星": 0, "五": 0, "★★★★★": 0, "5 stars": 0, "-1": 0,
	} {
		got, ok := ParseReply(text)
		if ok != (want > 0) || got != want {
			t.Errorf("ParseReply(%q) = %d, %v; want %d", text, got, ok, want)
		}
	}
}

// fakeGateway is an SMS gateway as the central sees it: it asks for the
// reminders due, "sends" them (keeps them) and posts the citizens' replies
// with its operator token.
type fakeGateway struct {
	t    *testing.T
	base string
	tok  string
	sent []Reminder
}

func (g *fakeGateway) do(method, path string, body any, out any) int {
	g.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, g.base+path, rd)
	if g.tok != "" {
		req.Header.Set("Authorization", "Bearer "+g.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (g *fakeGateway) poll() []Reminder {
	var out struct{ Due []Reminder }
	if code := g.do("GET", "/api/v1/channels/sms/due", nil, &out); code != 200 {
		g.t.Fatalf("due: %d", code)
	}
	g.sent = append(g.sent, out.Due...)
	return out.Due
}

func (g *fakeGateway) reply(token, text string) (int, map[string]string) {
	var out map[string]string
	code := g.do("POST", "/api/v1/channels/sms", map[string]string{"token": token, "text": text}, &out)
	return code, out
}

// TestSMSGateway: on SQLite and PostgreSQL, a fake gateway takes the
// reminders due a working day after two unrated sessions (not the one
// rated at the pad), each with its token and link; a garbage reply and a
// forged token store nothing; "５星" stores a 5★ of channel 6 closing the
// session, and its replay is 409; "2" stores nothing but answers with the
// reasons link, whose page stores the 差评 with its reasons; after that
// nothing is due, a later reply is 409 and the time rule lists both
// sessions rated.
func TestSMSGateway(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := channelStore(t, be.open(t))
			u3 := rec(3, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 })
			if _, err := st.Insert(ctx, rowsOf(u3), nil); err != nil {
				t.Fatal(err)
			}
			now := t0.Add(26 * time.Hour) // Thu 2026-11-26 12:00: the reminder day
			op, _ := IssueToken(ctx, st, RoleOperator, "sms gateway", t0)
			rule := &TimeRule{Cal: &Calendar{}, Store: st}
			sms := &SMS{Store: st, Rule: rule, Key: []byte("a test key of thirty-two bytes!!"), Now: func() time.Time { return now }}
			mux := http.NewServeMux()
			(&API{Auth: &Auth{Tokens: st}, Store: st, SMS: sms}).Register(mux)
			(&Rater{Store: st, Host: "hub.example", Keys: st.ReceiptKeys, Device: st.Device, SMS: sms, Now: sms.Now}).Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			sms.Base = srv.URL
			g := &fakeGateway{t: t, base: srv.URL, tok: op}

			due := g.poll()
			if len(due) != 2 || due[0].ID != recID(1) || due[1].ID != recID(3) || due[0].Cases[0].ProjectNo != "P1" {
				t.Fatalf("due: %+v", due)
			}
			if !strings.HasPrefix(due[0].Link, srv.URL+"/rate?s=") || due[0].Status != "remind" {
				t.Errorf("a reminder's link %q, status %q", due[0].Link, due[0].Status)
			}
			tok1, tok3 := due[0].Token, due[1].Token
			count := func() int { n, _ := st.Count(ctx); return n }
			if code, out := g.reply(tok1, "好的"); code != 400 || out["reply"] != smsGarbage {
				t.Errorf("garbage: %d %v", code, out)
			}
			if code, _ := g.reply(tok1[:len(tok1)-1]+"x", "5"); code != 403 {
				t.Errorf("a forged token: %d", code)
			}
			if code, _ := g.reply(strings.Replace(tok1, recID(1), recID(2), 1), "5"); code != 403 {
				t.Errorf("a token moved to another record: %d", code)
			}
			if n := count(); n != 3 {
				t.Fatalf("%d records after refused replies, want 3", n)
			}
			code, out := g.reply(tok1, "５星")
			if code != 201 || out["reply"] != smsThanks || out["id"] != ClosingID(recID(1)) {
				t.Errorf("５星: %d %v", code, out)
			}
			rows, _ := st.Records(ctx, Filter{Flag: FlagVia + ChannelSMS})
			if len(rows) != 1 || rows[0].Channel != "6" || rows[0].Stars != 5 || rows[0].Target != "P1" || rows[0].SessionID != "S-1" {
				t.Errorf("the SMS record: %+v", rows)
			}
			if code, out := g.reply(tok1, "5"); code != 409 || out["reply"] != smsRated {
				t.Errorf("replay: %d %v", code, out)
			}
			// A 差评: the reasons link; its page stores it with reasons.
			code, out = g.reply(tok3, "2")
			if code != 202 || !strings.Contains(out["reply"], "stars=2") {
				t.Fatalf("2: %d %v", code, out)
			}
			if n := count(); n != 4 {
				t.Errorf("%d records after a 差评 digit, want 4 (stored only with its reasons)", n)
			}
			link := out["reply"][strings.Index(out["reply"], "http"):]
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			var page bytes.Buffer
			page.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(page.String(), `data-stars="2"`) || !strings.Contains(page.String(), "服务态度生硬") {
				t.Errorf("the reasons link %s: %d", link, resp.StatusCode)
			}
			s := (&url.URL{RawQuery: link[strings.Index(link, "?")+1:]}).Query().Get("s")
			pg := &fakeGateway{t: t, base: srv.URL}
			if code := pg.do("POST", RatePath, map[string]any{"s": s, "stars": 2, "reasons": []string{"214"}}, nil); code != 201 {
				t.Errorf("the reasons page's POST: %d", code)
			}
			rows, _ = st.Records(ctx, Filter{Flag: FlagVia + ChannelSMS})
			if len(rows) != 2 || rows[1].Stars != 2 || rows[1].Reasons[0] != "214" || rows[1].ID != ClosingID(recID(3)) {
				t.Errorf("the SMS 差评: %+v", rows)
			}
			if code, _ := g.reply(tok3, "1"); code != 409 {
				t.Errorf("a reply after the 差评: %d", code)
			}
			if due := g.poll(); len(due) != 0 {
				t.Errorf("still due: %+v", due)
			}
			list, n, _ := rule.Check(ctx, Filter{}, t0.Add(30*24*time.Hour))
			if n != 0 || len(list) != 2 || list[0].Status != StatusRated || list[1].Status != StatusRated {
				t.Errorf("time rule: %d defaults, %+v", n, list)
			}
		})
	}
}

// recID is the id of rec(n).
func recID(n int) string { return rec(n, nil).ID }
