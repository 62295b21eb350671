package central

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"evalpad/rating"
)

type fakeSMS struct {
	mu    sync.Mutex
	texts []string
}

func (f *fakeSMS) Send(_ context.Context, to, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.texts = append(f.texts, to+": "+text)
	return nil
}

// TestAlerter, on SQLite and PostgreSQL, with a fake receiver that fails
// its first request: two 差评 at one window reach the webhook signed
// (the failed one retried), a threshold alert (2 within 30 minutes)
// follows, the duty manager gets the texts, and the page's endpoint lists
// them after a cursor.
func TestAlerter(t *testing.T) {
	secret := []byte("s3cret")
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st := openStore(t, be.open(t))
			got := make(chan Alert, 10)
			var mu sync.Mutex
			calls := 0
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				calls++
				first := calls == 1
				mu.Unlock()
				if first {
					http.Error(w, "down", http.StatusServiceUnavailable)
					return
				}
				if r.Header.Get("X-Evalhub-Signature") != Sign(secret, body) {
					t.Errorf("signature %q", r.Header.Get("X-Evalhub-Signature"))
				}
				var a Alert
				if err := json.Unmarshal(body, &a); err != nil {
					t.Errorf("payload %s: %v", body, err)
				}
				got <- a
			}))
			defer recv.Close()
			sms := &fakeSMS{}
			b1 := rec(2, func(r *rating.Record) { r.Stars = 2 })
			b2 := rec(7, func(r *rating.Record) { r.Stars = 1 })
			// A 差评 received two hours before (a backfill of old records) is claimed without an alert.
			old := row(rec(9, func(r *rating.Record) { r.Stars = 2 }))
			old.ReceivedAt = t0.Add(-2 * time.Hour)
			if _, err := st.Insert(ctx, append(rowsOf(rec(1, nil), b1, b2), old), nil); err != nil {
				t.Fatal(err)
			}
			al := &Alerter{Store: st, WebhookURL: recv.URL, Secret: secret, SMS: sms, Duty: map[string]string{b1.Hall: "13800000000"},
				Threshold: 2, Within: 30 * time.Minute, Now: func() time.Time { return t0.Add(time.Minute) }}
			done := make(chan struct{})
			go func() { al.Run(ctx); close(done) }()
			seen := map[string]Alert{}
			for len(seen) < 3 {
				a := <-got
				seen[a.Kind+":"+a.ComplaintID] = a
			}
			cancel()
			<-done
			a := seen[AlertBad+":"+b1.ID]
			if a.Stars != 2 || a.Hall != b1.Hall || a.Window != "1" || a.StaffName != "李四" || a.Channel != "pad" || a.RatedAt != b1.At {
				t.Errorf("差评 alert %+v", a)
			}
			if th := seen[AlertThreshold+":"]; th.Count != 2 || th.WithinMinutes != 30 || th.Window != "1" {
				t.Errorf("threshold alert %+v", th)
			}
			sms.mu.Lock()
			if len(sms.texts) != 3 || !strings.HasPrefix(sms.texts[0], "13800000000: 【好差评】") {
				t.Errorf("texts %q", sms.texts)
			}
			sms.mu.Unlock()

			page := httptest.NewServer(serveAlerts(st))
			defer page.Close()
			read := func(after string) (list []Alert, next string) {
				resp, err := http.Get(page.URL + "?after=" + after)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out struct {
					Alerts []Alert
					Next   string
				}
				json.NewDecoder(resp.Body).Decode(&out)
				return out.Alerts, out.Next
			}
			all, next := read("")
			if len(all) != 3 || all[0].ComplaintID != b1.ID {
				t.Fatalf("alerts %+v", all)
			}
			if cs, err := st.Unalerted(context.Background(), 10); err != nil || len(cs) != 0 {
				t.Errorf("cases left unclaimed: %d %v", len(cs), err)
			}
			if more, n := read(next); len(more) != 0 || n != next {
				t.Errorf("after the last: %+v %q", more, n)
			}
			if resp, _ := http.Get(page.URL + "?after=junk"); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("a bad cursor: %d", resp.StatusCode)
			}
		})
	}
}
