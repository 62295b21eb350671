package central

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// ChannelPhone is 办件随机抽评: a phone follow-up (回访) of served cases.
const ChannelPhone = "phone"

// Limits of a phone sample.
const (
	DefaultSampleSize = 100
	MaxSampleSize     = 10000
)

// SampleRow is one case of a phone call list.
type SampleRow struct {
	Ref       string // the ref to enter its result with (CompositeRating.Ref)
	DeviceID  string
	Hall      string
	Window    string
	StaffID   string
	StaffName string
	SessionID string
	ProjectNo string
	TaskCode  string
	TaskName  string
	Served    string // the session's opened_at (else at), as the pad wrote it
}

// Sample is a quarter's random sample of served cases: every case a pad
// reported (rated or not) in the quarter's days, each once; each case gets
// a key hashed from seed, the quarter, its device and its project_no, and
// the size cases with the smallest keys are kept, in key order. The same
// store, quarter, size and seed give the same list, and a larger size the
// same list and more. The quarter's records are read a page at a time and
// only the sample is held (a city's quarter is millions of records).
// quarter is "2026Q4".
func Sample(ctx context.Context, st Store, quarter string, size int, seed uint64) ([]SampleRow, error) {
	from, to, err := quarterDays(quarter)
	if err != nil {
		return nil, err
	}
	var prefix [8]byte
	binary.BigEndian.PutUint64(prefix[:], seed)
	key := func(dev, projectNo string) uint64 {
		h := fnv.New64a()
		h.Write(prefix[:])
		for _, v := range []string{quarter, dev, projectNo} {
			h.Write([]byte(v))
			h.Write([]byte{0})
		}
		return h.Sum64()
	}
	type keyed struct {
		k uint64
		r SampleRow
	}
	var kept []keyed // sorted by key, at most size
	in := map[[2]string]bool{}
	f := Filter{From: from, To: to, Limit: samplePage}
	for {
		rows, err := st.Records(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("central: sample: %w", err)
		}
		for _, r := range rows {
			if slices.Contains(r.Flags, FlagDefault) || slices.Contains(r.Flags, FlagChannel) {
				continue
			}
			for _, c := range r.Cases {
				id := [2]string{r.DeviceID, c.ProjectNo}
				k := key(r.DeviceID, c.ProjectNo)
				if in[id] || (len(kept) == size && k >= kept[size-1].k) {
					continue
				}
				i, _ := slices.BinarySearchFunc(kept, k, func(e keyed, k uint64) int { return cmp.Compare(e.k, k) })
				kept = slices.Insert(kept, i, keyed{k, SampleRow{Ref: quarter + ":" + r.DeviceID + ":" + c.ProjectNo, DeviceID: r.DeviceID, Hall: r.Hall,
					Window: r.Window, StaffID: r.Staff.ID, StaffName: r.Staff.Name, SessionID: r.SessionID, ProjectNo: c.ProjectNo,
					TaskCode: c.TaskCode, TaskName: c.TaskName, Served: cmp.Or(r.OpenedAt, r.At)}})
				in[id] = true
				if len(kept) > size {
					last := kept[size].r
					delete(in, [2]string{last.DeviceID, last.ProjectNo})
					kept = kept[:size]
				}
			}
		}
		if len(rows) < f.Limit {
			break
		}
		f.After = rows[len(rows)-1].ID
	}
	out := make([]SampleRow, len(kept))
	for i, e := range kept {
		out[i] = e.r
	}
	return out, nil
}

// samplePage is how many records Sample reads at a time.
const samplePage = 1000

// quarterDays are the first and last day of quarter "YYYYQn".
func quarterDays(q string) (from, to string, err error) {
	var y, n int
	if _, err := fmt.Sscanf(q, "%4dQ%1d", &y, &n); err != nil || n < 1 || n > 4 || fmt.Sprintf("%04dQ%d", y, n) != q {
		return "", "", fmt.Errorf("%w: quarter: %q is not like 2026Q4", ErrBadFilter, q)
	}
	start := time.Date(y, time.Month(3*n-2), 1, 0, 0, 0, 0, time.UTC)
	return start.Format(time.DateOnly), start.AddDate(0, 3, -1).Format(time.DateOnly), nil
}

// servePhoneSample: GET /api/v1/channels/phone/sample?quarter=&size=&seed=
// → the call list as CSV (UTF-8 with a BOM, for spreadsheets).
func servePhoneSample(st Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		size, seed := DefaultSampleSize, uint64(0)
		if v := q.Get("size"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxSampleSize {
				writeError(w, http.StatusBadRequest, fmt.Errorf("%w: size: %q is not 1 to %d", ErrBadFilter, v, MaxSampleSize))
				return
			}
			size = n
		}
		if v := q.Get("seed"); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Errorf("%w: seed: %q is not an unsigned integer", ErrBadFilter, v))
				return
			}
			seed = n
		}
		list, err := Sample(r.Context(), st, q.Get("quarter"), size, seed)
		if err != nil {
			code := http.StatusInternalServerError
			if errors.Is(err, ErrBadFilter) {
				code = http.StatusBadRequest
			}
			writeError(w, code, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"phone-sample-%s-seed%d.csv\"", q.Get("quarter"), seed))
		w.Write([]byte("\ufeff"))
		cw := csv.NewWriter(w)
		cw.Write([]string{"ref", "device_id", "hall", "window", "staff_id", "staff_name", "session_id", "project_no", "task_code", "task_name", "served"})
		for _, s := range list {
			cw.Write([]string{s.Ref, s.DeviceID, s.Hall, s.Window, s.StaffID, s.StaffName, s.SessionID, s.ProjectNo, s.TaskCode, s.TaskName, s.Served})
		}
		cw.Flush()
	}
}
