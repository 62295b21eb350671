package central

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Pusher sends the records the central stores to the platform's HTTP
// endpoint, in the export's fields (ExportMap.Rows), in the order they were
// stored:
//
//	POST URL  {"records":[ExportRow…]}
//	          Content-Type: application/json; Idempotency-Key: <hash of the batch's assessNumbers>
//	→ 2xx: taken; 409: the platform has them already (a resend): taken
//	  other 4xx: refused (ErrPushRefused; the batch is kept and sent again
//	  next time); 5xx, no answer: sent again next time
//
// Where it stands is a cursor (the last record taken, arrival order) kept
// in the database, moved only after the platform took a batch: a restart
// goes on from there, and a batch taken but not recorded (a crash between
// the two) is sent again with the same assessNumbers, which the platform
// refuses as duplicates. Safe for one pusher per platform.
type Pusher struct {
	Store  Store
	Cursor interface {
		Setting(ctx context.Context, name string, make func() string) (string, error)
		SetSetting(ctx context.Context, name, value string) error
	}
	Map    ExportMap
	URL    string
	Client *http.Client // nil: http.DefaultClient with a 30 s timeout per request
	Batch  int          // records read per batch; default 200
	Logger *slog.Logger
}

// ErrPushRefused: the platform refused a batch as invalid.
var ErrPushRefused = errors.New("central: push: the platform refused the batch")

// cursorName is the setting holding the pusher's cursor for its URL.
func (p *Pusher) cursorName() string { return "push_cursor " + p.URL }

// Push sends every record stored after the cursor, batch by batch, and
// says how many rows the platform took; it stops at the first batch not
// taken (the error says why).
func (p *Pusher) Push(ctx context.Context) (int, error) {
	after, err := p.Cursor.Setting(ctx, p.cursorName(), func() string { return "" })
	if err != nil {
		return 0, err
	}
	batch := p.Batch
	if batch <= 0 {
		batch = 200
	}
	sent := 0
	for {
		rows, err := p.Store.Records(ctx, Filter{After: after, Limit: batch})
		if err != nil || len(rows) == 0 {
			return sent, err
		}
		var out []ExportRow
		for i := range rows {
			r, err := p.Map.Rows(&rows[i].Record)
			if err != nil {
				return sent, err
			}
			out = append(out, r...)
		}
		if len(out) > 0 {
			if err := p.post(ctx, out); err != nil {
				return sent, err
			}
		}
		after = rows[len(rows)-1].ID
		if err := p.Cursor.SetSetting(ctx, p.cursorName(), after); err != nil {
			return sent, err
		}
		sent += len(out)
	}
}

func (p *Pusher) post(ctx context.Context, rows []ExportRow) error {
	body, err := json.Marshal(map[string][]ExportRow{"records": rows})
	if err != nil {
		return err
	}
	h := sha256.New()
	for _, r := range rows {
		h.Write([]byte(r.AssessNumber + "\n"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("central: push: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", hex.EncodeToString(h.Sum(nil))[:32])
	cl := p.Client
	if cl == nil {
		cl = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("central: push: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	switch {
	case resp.StatusCode/100 == 2, resp.StatusCode == http.StatusConflict:
		return nil
	case resp.StatusCode/100 == 4:
		return fmt.Errorf("%w: %s: %s", ErrPushRefused, resp.Status, strings.TrimSpace(string(msg)))
	}
	return fmt.Errorf("central: push: the platform answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
}

// Run pushes every interval until ctx ends, logging what fails.
func (p *Pusher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := p.Push(ctx); err != nil && ctx.Err() == nil && p.Logger != nil {
			p.Logger.Error("evalhub: push to the platform", "url", p.URL, "sent", n, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
