package central

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
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
// reported (rated or not) in the quarter's days, each once, ordered by
// device and project_no, shuffled by a generator seeded with seed and the
// quarter, the first size kept. The same store, quarter, size and seed
// give the same list. quarter is "2026Q4".
func Sample(ctx context.Context, st Store, quarter string, size int, seed uint64) ([]SampleRow, error) {
	from, to, err := quarterDays(quarter)
	if err != nil {
		return nil, err
	}
	rows, err := st.Records(ctx, Filter{From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("central: sample: %w", err)
	}
	seen := map[[2]string]bool{}
	var all []SampleRow
	for _, r := range rows {
		if slices.Contains(r.Flags, FlagDefault) || slices.Contains(r.Flags, FlagChannel) {
			continue
		}
		for _, c := range r.Cases {
			k := [2]string{r.DeviceID, c.ProjectNo}
			if seen[k] {
				continue
			}
			seen[k] = true
			all = append(all, SampleRow{Ref: quarter + ":" + r.DeviceID + ":" + c.ProjectNo, DeviceID: r.DeviceID, Hall: r.Hall,
				Window: r.Window, StaffID: r.Staff.ID, StaffName: r.Staff.Name, SessionID: r.SessionID, ProjectNo: c.ProjectNo,
				TaskCode: c.TaskCode, TaskName: c.TaskName, Served: cmp.Or(r.OpenedAt, r.At)})
		}
	}
	slices.SortFunc(all, func(a, b SampleRow) int {
		return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.ProjectNo, b.ProjectNo))
	})
	h := fnv.New64a()
	h.Write([]byte(quarter))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	size = min(size, len(all))
	for i := range size { // partial Fisher–Yates
		j := i + rng.IntN(len(all)-i)
		all[i], all[j] = all[j], all[i]
	}
	return all[:size], nil
}

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
