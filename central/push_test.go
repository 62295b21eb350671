package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"evalpad/rating"
)

// fakePlatform is the provincial platform's intake as the pusher sees it:
// it checks the format of every field of every row, refuses a batch with
// a malformed one (400), keeps each assessNumber once (a batch of rows it
// has is 409) and can be told to fail (503).
type fakePlatform struct {
	mu    sync.Mutex
	rows  map[string]ExportRow
	dups  int
	fail  int // the next fail batches answer 503
	batch int
}

var platformFormats = map[string]*regexp.Regexp{
	"projectNo":    regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`),
	"areaCode":     regexp.MustCompile(`^\d{6}$`),
	"pf":           regexp.MustCompile(`^[1-7]$`),
	"satisfaction": regexp.MustCompile(`^[1-5]$`),
	"evalDetail":   regexp.MustCompile(`^(\d{3}(,\d{3})*)?$`),
	"assessTime":   regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`),
	"assessNumber": regexp.MustCompile(`^[0-9a-f-]{36}(-\d+)?$`),
}

func (f *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batch++
	if f.fail > 0 {
		f.fail--
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	var in struct{ Records []map[string]string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("Idempotency-Key") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, row := range in.Records {
		for field, re := range platformFormats {
			if !re.MatchString(row[field]) {
				http.Error(w, fmt.Sprintf("%s: %q", field, row[field]), http.StatusBadRequest)
				return
			}
		}
	}
	fresh := 0
	for _, row := range in.Records {
		if _, ok := f.rows[row["assessNumber"]]; ok {
			f.dups++
			continue
		}
		f.rows[row["assessNumber"]] = ExportRow{ProjectNo: row["projectNo"], PF: row["pf"], Satisfaction: row["satisfaction"]}
		fresh++
	}
	if fresh == 0 {
		http.Error(w, "duplicate", http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// TestPusher, on SQLite and PostgreSQL: 250 ratings, an unrated session
// and a default 4★ go to a fake platform in batches; the platform fails
// once mid-way and the pusher is restarted (a new one on the same
// database): every rated case arrives once, none twice; records stored
// later go next time, alone; a lost cursor makes a resend the platform
// refuses as duplicates, and nothing is stored twice; a malformed row
// stops the push with ErrPushRefused and the cursor stays.
func TestPusher(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, be.open(t))
			var recs []rating.Record
			for n := 1; n <= 250; n++ {
				recs = append(recs, rec(n, nil))
			}
			unrated := rec(251, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 })
			recs = append(recs, unrated, DefaultRecord(unrated))
			if _, err := st.Insert(ctx, rowsOf(recs...), nil); err != nil {
				t.Fatal(err)
			}
			fp := &fakePlatform{rows: map[string]ExportRow{}, fail: 1}
			srv := httptest.NewServer(fp)
			defer srv.Close()
			pusher := func() *Pusher { return &Pusher{Store: st, Cursor: st, URL: srv.URL, Batch: 100} }

			// The first batch is refused by the platform's maintenance.
			if n, err := pusher().Push(ctx); err == nil || n != 0 {
				t.Fatalf("through maintenance: %d, %v", n, err)
			}
			// A restart: a new pusher from the stored cursor.
			if n, err := pusher().Push(ctx); err != nil || n != 251 {
				t.Fatalf("after the restart: %d, %v", n, err)
			}
			if len(fp.rows) != 251 || fp.dups != 0 || fp.rows[DefaultID(unrated.ID)].PF != "7" {
				t.Errorf("the platform holds %d rows, %d duplicates, default %+v", len(fp.rows), fp.dups, fp.rows[DefaultID(unrated.ID)])
			}
			// Later records go alone.
			if _, err := st.Insert(ctx, rowsOf(rec(300, func(r *rating.Record) { r.Stars, r.Reasons = 1, []string{"115"} })), nil); err != nil {
				t.Fatal(err)
			}
			batches := fp.batch
			if n, err := pusher().Push(ctx); err != nil || n != 1 || fp.batch != batches+1 || len(fp.rows) != 252 {
				t.Errorf("one more: %d, %v, %d batches", n, err, fp.batch-batches)
			}
			// The cursor lost: a resend, refused as duplicates, taken.
			if err := st.SetSetting(ctx, "push_cursor "+srv.URL, ""); err != nil {
				t.Fatal(err)
			}
			if n, err := pusher().Push(ctx); err != nil || n != 252 || len(fp.rows) != 252 || fp.dups != 252 {
				t.Errorf("a resend: %d, %v; %d rows, %d duplicates", n, err, len(fp.rows), fp.dups)
			}
			// A malformed row (a 7-digit area code) stops the push.
			if _, err := st.Insert(ctx, rowsOf(rec(301, func(r *rating.Record) { r.AreaCode = "3709001" })), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := pusher().Push(ctx); !errors.Is(err, ErrPushRefused) {
				t.Errorf("a malformed row: %v", err)
			}
			cur, _ := st.Setting(ctx, "push_cursor "+srv.URL, func() string { return "?" })
			if cur != rec(300, nil).ID {
				t.Errorf("the cursor moved past a refused batch: %q", cur)
			}
		})
	}
}
