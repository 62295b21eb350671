package central

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Live alerts. An Alerter polls the complaints table for cases no alerter
// has claimed (ingest never waits on it), claims each (alerted 0 → 1, so
// two hubs on one database alert once), records an Alert (GET
// /api/v1/alerts?after= serves them to the page) and delivers it:
//
//   - a webhook: POST of the Alert as JSON to WebhookURL with
//     "X-Evalhub-Signature: sha256=<hex HMAC-SHA256 of the body with Secret>";
//     a non-2xx answer or a network error is retried with backoff (0.5 s
//     doubling, Retries times), then logged and dropped (the alert stays
//     on the page);
//   - an SMS gateway (SMSSender) to the hall's duty manager (Duty: hall →
//     number), the text AlertText;
//
// and, per window, a threshold alert (kind "threshold") when Threshold
// 差评 fall within Within, counted by the ratings' times (the count is
// the alerter's memory: a restart starts it again).
//
// Payload (kind "差评" or "threshold"):
//
//	{"id":"c:<record id>", "kind":"差评", "at":"<RFC 3339, when made>", "hall":…, "window":…,
//	 "staff_id":…, "staff_name":…, "complaint_id":…, "stars":2, "channel":"pad",
//	 "reasons":[…], "rated_at":"<the rating's at>"}
//	{"id":"t:<hall>/<window>/<ms>", "kind":"threshold", "at":…, "hall":…, "window":…,
//	 "count":3, "within_minutes":30}
//
// No evaluator identity: records hold none.
type Alert struct {
	ID            string   `json:"id"`
	Kind          string   `json:"kind"`
	At            string   `json:"at"`
	Hall          string   `json:"hall"`
	Window        string   `json:"window"`
	StaffID       string   `json:"staff_id,omitempty"`
	StaffName     string   `json:"staff_name,omitempty"`
	ComplaintID   string   `json:"complaint_id,omitempty"`
	Stars         int      `json:"stars,omitempty"`
	Channel       string   `json:"channel,omitempty"`
	Reasons       []string `json:"reasons,omitempty"`
	RatedAt       string   `json:"rated_at,omitempty"`
	Count         int      `json:"count,omitempty"`
	WithinMinutes int      `json:"within_minutes,omitempty"`

	madeMS int64
}

// Alert kinds.
const (
	AlertBad       = "差评"
	AlertThreshold = "threshold"
)

// AlertText is an alert as an SMS text.
func AlertText(a Alert) string {
	if a.Kind == AlertThreshold {
		return fmt.Sprintf("【好差评】%s %s号窗口 %d分钟内%d个差评，请值班负责人关注。", a.Hall, a.Window, a.WithinMinutes, a.Count)
	}
	return fmt.Sprintf("【好差评】%s %s号窗口 %s 收到%d星差评（%s），案件%s待核实。", a.Hall, a.Window, a.StaffName, a.Stars, a.Channel, a.ComplaintID)
}

// SMSSender sends a text to a number: the SMS gateway's interface.
type SMSSender interface {
	Send(ctx context.Context, to, text string) error
}

// AlertStore is what the store offers the alerter (sqlcomplaint.go's tables).
type AlertStore interface {
	Unalerted(ctx context.Context, limit int) ([]Complaint, error)
	ClaimAlert(ctx context.Context, id string) (bool, error)
	AddAlert(ctx context.Context, a Alert) error
	Alerts(ctx context.Context, after string, limit int) ([]Alert, error)
}

// Alerter delivers the alerts; see Alert.
type Alerter struct {
	Store      AlertStore
	WebhookURL string // "": no webhook
	Secret     []byte // HMAC key of the webhook's signature
	SMS        SMSSender
	Duty       map[string]string // hall → the duty manager's number
	Threshold  int               // 0: no threshold alerts
	Within     time.Duration
	Retries    int           // default 5
	MaxAge     time.Duration // cases received longer ago are claimed without an alert (a backfill of old 差评); default 1 h
	Poll       time.Duration // default 200 ms
	Client     *http.Client
	Logger     *slog.Logger
	Now        func() time.Time

	recent map[string][]int64 // hall/window → the 差评 times (ms) within Within
	wg     sync.WaitGroup
}

// Run polls until ctx ends, then waits for the deliveries under way.
func (al *Alerter) Run(ctx context.Context) {
	defer al.wg.Wait()
	poll := cmpDur(al.Poll, 200*time.Millisecond)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := al.Once(ctx); err != nil && ctx.Err() == nil && al.Logger != nil {
			al.Logger.Error("evalhub: alerts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once records the alerts of the cases no alerter has claimed, claims
// them and starts delivering the alerts it claimed. The alert is recorded
// (under an id made from the case) before the claim, so a crash between the
// two loses nothing: the next poll records it again (no change) and claims.
func (al *Alerter) Once(ctx context.Context) error {
	cs, err := al.Store.Unalerted(ctx, 100)
	if err != nil {
		return err
	}
	now := time.Now
	if al.Now != nil {
		now = al.Now
	}
	for _, c := range cs {
		made := now()
		if made.Sub(time.UnixMilli(c.openedMS)) > cmpDur(al.MaxAge, time.Hour) {
			if _, err := al.Store.ClaimAlert(ctx, c.ID); err != nil {
				return err
			}
			continue
		}
		a := Alert{ID: "c:" + c.ID, Kind: AlertBad, At: made.UTC().Format(time.RFC3339Nano), Hall: c.Hall, Window: c.Window,
			StaffID: c.StaffID, StaffName: c.StaffName, ComplaintID: c.ID, Stars: c.Stars, Channel: c.Channel, Reasons: c.Reasons, RatedAt: c.At, madeMS: made.UnixMilli()}
		if err := al.Store.AddAlert(ctx, a); err != nil {
			return err
		}
		mine, err := al.Store.ClaimAlert(ctx, c.ID)
		if err != nil || !mine {
			return err
		}
		al.send(ctx, a)
		if t, ok := al.threshold(c, made); ok {
			if err := al.Store.AddAlert(ctx, t); err != nil {
				return err
			}
			al.send(ctx, t)
		}
	}
	return nil
}

// threshold counts c in its window and returns the threshold alert when
// it completes Threshold within Within (the count starts again after it).
func (al *Alerter) threshold(c Complaint, made time.Time) (Alert, bool) {
	if al.Threshold <= 0 || al.Within <= 0 {
		return Alert{}, false
	}
	if al.recent == nil {
		al.recent = map[string][]int64{}
	}
	k := c.Hall + "/" + c.Window
	at := c.atMS
	kept := al.recent[k][:0]
	for _, t := range al.recent[k] {
		if at-t < al.Within.Milliseconds() && t-at < al.Within.Milliseconds() {
			kept = append(kept, t)
		}
	}
	kept = append(kept, at)
	if len(kept) < al.Threshold {
		al.recent[k] = kept
		return Alert{}, false
	}
	delete(al.recent, k)
	return Alert{ID: "t:" + k + "/" + strconv.FormatInt(made.UnixMilli(), 10), Kind: AlertThreshold, At: made.UTC().Format(time.RFC3339Nano),
		Hall: c.Hall, Window: c.Window, Count: len(kept), WithinMinutes: int(al.Within.Minutes()), madeMS: made.UnixMilli()}, true
}

// send delivers a in the background (Run waits for it when it ends).
func (al *Alerter) send(ctx context.Context, a Alert) {
	al.wg.Add(1)
	go func() {
		defer al.wg.Done()
		al.deliver(ctx, a)
	}()
}

// deliver sends a to the webhook and the SMS gateway, retrying each with backoff.
func (al *Alerter) deliver(ctx context.Context, a Alert) {
	body, _ := json.Marshal(a)
	if al.WebhookURL != "" {
		al.retry(ctx, "webhook", a.ID, func() error { return al.post(ctx, body) })
	}
	if to := al.Duty[a.Hall]; al.SMS != nil && to != "" {
		al.retry(ctx, "sms", a.ID, func() error { return al.SMS.Send(ctx, to, AlertText(a)) })
	}
}

func (al *Alerter) retry(ctx context.Context, what, id string, f func() error) {
	tries := cmp.Or(al.Retries, 5)
	wait := 500 * time.Millisecond
	for i := 1; ; i++ {
		err := f()
		if err == nil {
			return
		}
		if i >= tries || ctx.Err() != nil {
			if al.Logger != nil {
				al.Logger.Error("evalhub: alert not delivered", "via", what, "alert", id, "tries", i, "err", err)
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// Sign is the webhook's signature header value of body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (al *Alerter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, al.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Evalhub-Signature", Sign(al.Secret, body))
	client := al.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// serveAlerts: GET /api/v1/alerts?after=<cursor>&limit= → {"alerts":[Alert…], "next":"<cursor>"}:
// the alerts made after the cursor, oldest first; poll with after=next.
func serveAlerts(as AlertStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		after := r.URL.Query().Get("after")
		if after != "" {
			if _, _, ok := parseAlertCursor(after); !ok {
				writeError(w, http.StatusBadRequest, fmt.Errorf("after: %q is not a cursor this endpoint gave (next)", after))
				return
			}
		}
		out, err := as.Alerts(r.Context(), after, MaxLimit)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		next := after
		if len(out) > 0 {
			l := out[len(out)-1]
			next = strconv.FormatInt(l.madeMS, 10) + "," + l.ID
		}
		writeJSON(w, http.StatusOK, map[string]any{"alerts": out, "next": next})
	}
}

func parseAlertCursor(c string) (int64, string, bool) {
	ms, id, ok := strings.Cut(c, ",")
	n, err := strconv.ParseInt(ms, 10, 64)
	return n, id, ok && err == nil
}

var alertSchema = []string{
	`CREATE TABLE IF NOT EXISTS alerts (
		id TEXT PRIMARY KEY,
		made_ms BIGINT NOT NULL,
		body TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS alerts_made ON alerts (made_ms, id)`,
}

// Unalerted implements AlertStore: the cases no alerter has claimed, oldest first.
func (s *SQLStore) Unalerted(ctx context.Context, limit int) ([]Complaint, error) {
	rs, err := s.db.QueryContext(ctx, s.q("SELECT "+complaintCols+" FROM complaints WHERE alerted = 0 ORDER BY opened_ms, id LIMIT ?"), limit)
	if err != nil {
		return nil, fmt.Errorf("central: alerts: %w", err)
	}
	defer rs.Close()
	var cs []Complaint
	for rs.Next() {
		c, err := scanComplaint(rs)
		if err != nil {
			return nil, fmt.Errorf("central: alerts: %w", err)
		}
		cs = append(cs, c)
	}
	return cs, rs.Err()
}

// ClaimAlert implements AlertStore: whether this call claimed case id
// (false: another alerter did first).
func (s *SQLStore) ClaimAlert(ctx context.Context, id string) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE complaints SET alerted = 1 WHERE id = ? AND alerted = 0"), id)
	if err != nil {
		return false, fmt.Errorf("central: alerts: claim %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// AddAlert implements AlertStore.
func (s *SQLStore) AddAlert(ctx context.Context, a Alert) error {
	body, _ := json.Marshal(a)
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO alerts (id, made_ms, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING"), a.ID, a.madeMS, safeText(string(body)))
	if err != nil {
		return fmt.Errorf("central: alert %s: %w", a.ID, err)
	}
	return nil
}

// Alerts implements AlertStore: after a cursor "ms,id" (or "" for all).
func (s *SQLStore) Alerts(ctx context.Context, after string, limit int) ([]Alert, error) {
	ms, id, _ := parseAlertCursor(after)
	var rs *sql.Rows
	var err error
	if after == "" {
		rs, err = s.db.QueryContext(ctx, s.q("SELECT made_ms, body FROM alerts ORDER BY made_ms, id LIMIT ?"), limit)
	} else {
		rs, err = s.db.QueryContext(ctx, s.q("SELECT made_ms, body FROM alerts WHERE made_ms > ? OR (made_ms = ? AND id > ?) ORDER BY made_ms, id LIMIT ?"), ms, ms, id, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("central: alerts: %w", err)
	}
	defer rs.Close()
	out := []Alert{}
	for rs.Next() {
		var a Alert
		var body string
		if err := rs.Scan(&a.madeMS, &body); err != nil {
			return nil, fmt.Errorf("central: alerts: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, fmt.Errorf("central: alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rs.Err()
}
