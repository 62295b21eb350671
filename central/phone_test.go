package central

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"evalpad/rating"
)

// TestPhoneSample: the quarter's call list is reproducible (same seed, same
// list, also over HTTP byte for byte), another seed draws another, every
// case once (a case in two sessions, the cases of a batch), nothing of
// another quarter nor the central's own records; bad parameters are 400;
// a call's result entered with its ref is stored once, channel phone.
func TestPhoneSample(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, backends[0].open(t))
	var recs []rating.Record
	for n := 1; n <= 30; n++ {
		recs = append(recs, rec(n, nil))
	}
	recs = append(recs,
		rec(31, func(r *rating.Record) {
			r.Cases = append(r.Cases, rating.Case{ProjectNo: "P31b", TaskName: "变更登记"})
		}),
		rec(32, func(r *rating.Record) { r.Cases[0].ProjectNo = "P1" }), // P1 again
		rec(33, func(r *rating.Record) { r.At, r.OpenedAt = "2026-09-30T10:00:00.000+08:00", "" }),
		rec(34, func(r *rating.Record) { r.ID, r.Flags = derivedID("x"), []string{FlagChannel} }),
	)
	if _, err := st.Insert(ctx, rowsOf(recs...), nil); err != nil {
		t.Fatal(err)
	}
	a, err := Sample(ctx, st, "2026Q4", 10, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Sample(ctx, st, "2026Q4", 10, 7)
	c, _ := Sample(ctx, st, "2026Q4", 10, 8)
	if len(a) != 10 || !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Errorf("seed 7 twice: %v / %v; seed 8: %v", a, b, c)
	}
	all, _ := Sample(ctx, st, "2026Q4", 1000, 1)
	var cases []string
	for _, r := range all {
		cases = append(cases, r.ProjectNo)
	}
	slices.Sort(cases)
	if len(all) != 32 || slices.Contains(cases, "P33") || slices.Contains(cases, "P34") || !slices.Contains(cases, "P31b") ||
		len(slices.Compact(slices.Clone(cases))) != 32 {
		t.Errorf("the whole quarter: %d cases %v", len(all), cases)
	}
	if q3, _ := Sample(ctx, st, "2026Q3", 10, 7); len(q3) != 1 || q3[0].ProjectNo != "P33" {
		t.Errorf("2026Q3: %v", q3)
	}
	if _, err := Sample(ctx, st, "2026Q5", 10, 7); !errors.Is(err, ErrBadFilter) {
		t.Errorf("2026Q5: %v", err)
	}

	sup, _ := IssueToken(ctx, st, RoleSupervisor, "", t0)
	mux := http.NewServeMux()
	(&API{Auth: &Auth{Tokens: st}, Store: st, Composite: &Composite{Store: st, Device: func(context.Context, string) (Registered, error) {
		return Registered{DeviceID: "TA-1", Status: DeviceActive}, nil
	}, Now: func() time.Time { return t0.Add(48 * time.Hour) }}}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(query string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/channels/phone/sample?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+sup)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, one := get("quarter=2026Q4&size=10&seed=7")
	_, two := get("quarter=2026Q4&size=10&seed=7")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(one, "\ufeff"))).ReadAll()
	if code != 200 || one != two || !strings.HasPrefix(one, "\ufeffref,device_id,") || err != nil || len(rows) != 11 || rows[1][7] != a[0].ProjectNo {
		t.Errorf("CSV: %d %v %q", code, err, one)
	}
	for _, q := range []string{"quarter=2026Q4&size=0", "quarter=2026Q4&seed=-1", "quarter=Q4", "size=5"} {
		if code, _ := get(q); code != 400 {
			t.Errorf("%s: %d", q, code)
		}
	}
	// The call's result, entered with the list's ref.
	cm := &Composite{Store: st, Device: func(context.Context, string) (Registered, error) { return Registered{DeviceID: "TA-1"}, nil }}
	in := CompositeRating{Channel: ChannelPhone, Ref: rows[1][0], DeviceID: rows[1][1], ProjectNo: rows[1][7], Stars: 4}
	r, err := cm.Add(ctx, in)
	if err != nil || r.Channel != "5" || !slices.Contains(r.Flags, FlagVia+ChannelPhone) || r.Target != rows[1][7] {
		t.Errorf("the call's result: %v %+v", err, r)
	}
	if _, err := cm.Add(ctx, in); !errors.Is(err, ErrRated) {
		t.Errorf("the same call entered twice: %v", err)
	}
}
