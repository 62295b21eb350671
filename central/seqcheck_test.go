package central

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"evalpad/central/centraltest"
	"evalpad/rating"
	"evalpad/sync/protocol"
)

// TestSeqReport: a pad's records with a gap, the gap filled late, a
// repeat (same seq, another id), a clock in the future and one before the
// pad's key was registered — stored or refused — are reported with their
// ranges and counts, in the API too; the central's own default records
// (which repeat their unrated record's seq) are not repeats.
func TestSeqReport(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := openStore(t, be.open(t))
			ctx := context.Background()
			enrolled := time.Now().Add(-24 * time.Hour).Truncate(time.Millisecond)
			pad := centraltest.NewPad("TA-1")
			enrollPad(t, st, pad, testKey(t), enrolled)
			at := enrolled.Add(time.Hour)
			// received: when the central got it; the pad dated it at at.
			store := func(received time.Time, recs ...rating.Record) {
				t.Helper()
				var raws [][]byte
				for _, r := range recs {
					raws = append(raws, pad.Sign(t, r))
				}
				p, err := Parse("hcp/v1/TA-1/up/records", protocol.AppendRecords(nil, "TA-1", raws), received)
				if err != nil {
					t.Fatal(err)
				}
				devs, err := st.DevicesByID(ctx, []string{"TA-1"})
				if err != nil {
					t.Fatal(err)
				}
				Check{Devices: devs, Now: received, Skew: MaxClockSkew}.Apply(&p)
				if _, err := st.Insert(ctx, p.Rows, p.Rejects); err != nil {
					t.Fatal(err)
				}
			}
			report := func() SeqReport {
				t.Helper()
				rep, err := st.SeqReport(ctx, "TA-1")
				if err != nil {
					t.Fatal(err)
				}
				return rep
			}
			r := func(seq int, at time.Time) rating.Record { return pad.Record(seq, at, nil) }
			store(at, r(1, at), r(2, at), r(5, at), r(6, at), r(9, at))
			if rep := report(); !reflect.DeepEqual(rep.Missing, [][2]uint64{{3, 4}, {7, 8}}) || len(rep.Repeated) != 0 || rep.LastSeq != 9 || rep.Records != 5 {
				t.Fatalf("with gaps: %+v", rep)
			}
			// The gap fills late; 8 after 9.
			store(at.Add(time.Hour), r(3, at), r(4, at), r(8, at))
			if rep := report(); !reflect.DeepEqual(rep.Missing, [][2]uint64{{7, 7}}) {
				t.Fatalf("filled: %+v", rep)
			}
			// A repeat: seq 5 and 6 again, other ids (a store put back).
			again := func(seq, n int) rating.Record {
				x := r(n, at)
				x.Seq = uint64(seq)
				return x
			}
			store(at.Add(2*time.Hour), again(5, 105), again(6, 106), again(9, 109))
			// A clock 10 minutes ahead (stored, within the skew) and a day
			// ahead (refused); one dated before the key (refused).
			store(at.Add(3*time.Hour), r(10, at.Add(3*time.Hour+10*time.Minute)), r(11, at.Add(27*time.Hour)), r(12, enrolled.Add(-time.Hour)))
			// The central's default 4★ of an unrated record: the same seq.
			un := pad.Record(13, at, func(x *rating.Record) { x.Kind, x.Stars, x.Good = rating.KindUnrated, 0, false })
			store(at.Add(3*time.Hour), un)
			def := DefaultRecord(un)
			if _, err := st.Insert(ctx, []Row{NewRow(def, mustJSON(def), at.Add(4*time.Hour))}, nil); err != nil {
				t.Fatal(err)
			}
			want := SeqReport{DeviceID: "TA-1", Records: 13, FirstSeq: 1, LastSeq: 13,
				Missing: [][2]uint64{{7, 7}, {11, 12}}, Repeated: [][2]uint64{{5, 6}, {9, 9}}, BeforeProvisioning: 1, Future: 2}
			if rep := report(); !reflect.DeepEqual(rep, want) {
				t.Fatalf("report\n got %+v\nwant %+v", rep, want)
			}

			sup, err := IssueToken(ctx, st, RoleSupervisor, "test", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			(&API{Store: st, Registry: st, Auth: &Auth{Tokens: st}}).Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			for path, code := range map[string]int{"/api/v1/devices/TA-1/seq": 200, "/api/v1/devices/TA-9/seq": 404} {
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+sup)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var got SeqReport
				json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if resp.StatusCode != code || code == 200 && !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %d %+v", path, resp.StatusCode, got)
				}
			}
		})
	}
}
