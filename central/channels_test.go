package central

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/rating"
)

// channelStore is a store with pad TA-1 enrolled and two of its records:
// P1's session unrated, P2's rated 5★ at the pad (window "1").
func channelStore(t *testing.T, dsn string) *SQLStore {
	t.Helper()
	st := openStore(t, dsn)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	enrollPad(t, st, centraltest.NewPad("TA-1"), key, t0.Add(-time.Hour))
	unrated := rec(1, func(r *rating.Record) { r.Kind, r.Stars = rating.KindUnrated, 0 })
	if _, err := st.Insert(context.Background(), rowsOf(unrated, rec(2, nil)), nil); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestComposite: 综合点评 through the API, on SQLite and PostgreSQL. An
// operator adds a 12345 差评 of a case and a letter's rating of a window;
// each is stored once with its channel's code and flags, bound to the
// case's session and staff (or the window); entering the same ref again is
// 409; bad input is 400/404 and stores nothing; a supervisor may not add.
func TestComposite(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := channelStore(t, be.open(t))
			op, _ := IssueToken(ctx, st, RoleOperator, "", t0)
			sup, _ := IssueToken(ctx, st, RoleSupervisor, "", t0)
			mux := http.NewServeMux()
			(&API{Auth: &Auth{Tokens: st}, Store: st, Composite: &Composite{Store: st, Device: st.Device,
				Now: func() time.Time { return t0.Add(24 * time.Hour) }}}).Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			post := func(tok string, body map[string]any) (int, map[string]json.RawMessage) {
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest("POST", srv.URL+CompositePath, bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out map[string]json.RawMessage
				json.NewDecoder(resp.Body).Decode(&out)
				return resp.StatusCode, out
			}
			complaint := map[string]any{"channel": "12345", "ref": "GD-2026-0001", "device_id": "TA-1", "project_no": "P1",
				"stars": 2, "reasons": []string{"214"}, "at": "2026-11-25T16:00:00+08:00"}
			code, out := post(op, complaint)
			if code != http.StatusCreated {
				t.Fatalf("12345: %d %s", code, out["error"])
			}
			var r rating.Record
			json.Unmarshal(out["record"], &r)
			if r.Kind != rating.KindRating || r.Channel != "5" || r.Target != "P1" || r.SessionID != "S-1" || r.Staff.ID != "TA0123" || r.Stars != 2 || r.Good ||
				!slices.Equal(r.Flags, []string{FlagChannel, FlagVia + "12345"}) || r.At != "2026-11-25T16:00:00.000+08:00" || r.ID[14] != '8' {
				t.Errorf("the 12345 record: %+v", r)
			}
			if code, out := post(op, complaint); code != http.StatusConflict || string(out["id"]) != `"`+r.ID+`"` {
				t.Errorf("the same ref again: %d %v", code, out)
			}
			code, out = post(op, map[string]any{"channel": "letter", "ref": "XF-7", "device_id": "TA-1", "window": "1", "stars": 4})
			json.Unmarshal(out["record"], &r)
			if code != http.StatusCreated || r.Channel != "5" || !slices.Contains(r.Flags, FlagWindow) || len(r.Cases) != 0 || r.Window != "1" {
				t.Errorf("a letter on window 1: %d %+v", code, r)
			}
			for _, c := range []struct {
				name string
				edit map[string]any
				tok  string
				want int
			}{
				{"unknown channel", map[string]any{"channel": "sms"}, op, 400},
				{"no ref", map[string]any{"ref": ""}, op, 400},
				{"差评 without reasons", map[string]any{"reasons": []string{}}, op, 400},
				{"a reason of another level", map[string]any{"reasons": []string{"115"}}, op, 400},
				{"reasons on a 好评", map[string]any{"stars": 5}, op, 400},
				{"stars 6", map[string]any{"stars": 6}, op, 400},
				{"case and window", map[string]any{"window": "1"}, op, 400},
				{"in the future", map[string]any{"at": "2027-01-01T00:00:00+08:00"}, op, 400},
				{"unknown case", map[string]any{"project_no": "P9"}, op, 404},
				{"unknown device", map[string]any{"device_id": "TA-9"}, op, 404},
				{"unknown window", map[string]any{"project_no": "", "window": "7"}, op, 404},
				{"a supervisor", nil, sup, 403},
			} {
				body := map[string]any{}
				for k, v := range complaint {
					body[k] = v
				}
				body["ref"] = "GD-new"
				for k, v := range c.edit {
					body[k] = v
				}
				if code, out := post(c.tok, body); code != c.want {
					t.Errorf("%s: %d %s, want %d", c.name, code, out["error"], c.want)
				}
			}
			rows, _ := st.Records(ctx, Filter{})
			if len(rows) != 4 {
				t.Errorf("%d records, want 4 (2 of the pad, 2 added)", len(rows))
			}
			s := Compute(rows)
			if s.Total.Rated != 3 || s.Total.Unrated != 1 || s.Total.Bad != 1 {
				t.Errorf("figures: %+v (综合点评 does not close the pad's unrated session)", s.Total)
			}
		})
	}
}

// TestTimeRuleScanned: a session the pad reported unrated and a citizen
// then rated by the receipt's QR is listed rated and gets no default, also
// past its default day; the figures count it once, rated.
func TestTimeRuleScanned(t *testing.T) {
	ctx := context.Background()
	st := channelStore(t, backends[0].open(t))
	cs, ok, err := FindCase(ctx, st, "TA-1", "P1", "")
	if err != nil || !ok || cs.Rated || cs.Closed {
		t.Fatalf("P1: %+v %v %v", cs, ok, err)
	}
	rt := &Rater{}
	scan := rt.record(target{Case: &cs, Device: Registered{DeviceID: "TA-1"}, Hall: cs.Record.Hall, Window: "1", Zone: chinaTime}, 3, nil, t0.Add(time.Hour))
	if err := storeMade(ctx, st, scan, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := storeMade(ctx, st, scan, t0.Add(time.Hour)); err != ErrRated {
		t.Errorf("the scan stored twice: %v", err)
	}
	tr := &TimeRule{Cal: &Calendar{}, Store: st}
	list, n, err := tr.Check(ctx, Filter{}, t0.Add(10*24*time.Hour))
	if err != nil || n != 0 || len(list) != 1 || list[0].Status != StatusRated {
		t.Fatalf("time rule: %v %d %+v", err, n, list)
	}
	if cs, _, _ := FindCase(ctx, st, "TA-1", "P1", ""); !cs.Closed {
		t.Error("P1 is not closed after its scan")
	}
	if cs, _, _ := FindCase(ctx, st, "TA-1", "P2", ""); !cs.Rated {
		t.Error("P2, rated at the pad, is not Rated")
	}
	rows, _ := st.Records(ctx, Filter{})
	if s := Compute(rows); len(rows) != 3 || s.Total.Rated != 2 || s.Total.Unrated != 0 || s.Total.Default != 0 {
		t.Errorf("%d records, figures %+v", len(rows), s.Total)
	}
}
