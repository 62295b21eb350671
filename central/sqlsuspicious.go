package central

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"evalpad/rating"
	"evalpad/sync/protocol"
)

// statusSchema keeps when each pad said it paused or resumed: only the
// changes (a status repeating the state adds nothing), so a few rows a pad
// a day. at_ms is the pad's own time of the status (its clock dates its
// records too), else when the central received it.
var statusSchema = []string{
	`CREATE TABLE IF NOT EXISTS pad_paused (
		device_id TEXT NOT NULL,
		at_ms BIGINT NOT NULL,
		paused BOOLEAN NOT NULL,
		PRIMARY KEY (device_id, at_ms))`,
}

// RecordStatus notes a pad's up/status in the pause history when it
// changes whether the pad is paused (its screen "paused").
func (s *SQLStore) RecordStatus(ctx context.Context, device string, st protocol.Status, received time.Time) error {
	paused := st.Screen == "paused"
	at := received
	if t, err := time.Parse(rating.TimeLayout, st.At); err == nil {
		at = t
	} else if t, err := time.Parse(time.RFC3339Nano, st.At); err == nil {
		at = t
	}
	var last bool
	err := s.db.QueryRowContext(ctx, s.q(`SELECT paused FROM pad_paused WHERE device_id = ? AND at_ms <= ?
		ORDER BY at_ms DESC LIMIT 1`), device, at.UnixMilli()).Scan(&last)
	switch {
	case err == sql.ErrNoRows:
		if !paused {
			return nil // never paused: nothing to note
		}
	case err != nil:
		return fmt.Errorf("central: pause history %s: %w", device, err)
	case last == paused:
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO pad_paused (device_id, at_ms, paused) VALUES (?, ?, ?)
		ON CONFLICT (device_id, at_ms) DO NOTHING`), device, at.UnixMilli(), paused); err != nil {
		return fmt.Errorf("central: pause history %s: %w", device, err)
	}
	return nil
}

// suspectRow is what the detectors read of a record.
type suspectRow struct {
	id, device, hall, win, staff, day string
	stars                             int
	reasons, flags                    string
	at, received                      int64
	openedAt                          string
}

// Suspicious looks for fakes among the ratings dated in [q.From, q.To)
// (of q.Hall, or all). It reads the window's records in pages of 1,000 in
// the order of the (at_ms, id) index, keeping per pad, staff member and
// pattern only counters and the last few times; seq gaps, repeats and
// clock faults come from SeqReport (SQL over the (device_id, seq) index)
// of each pad seen in the window.
func (s *SQLStore) Suspicious(ctx context.Context, q SuspectQuery) ([]Suspicion, error) {
	t := q.T
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("central: suspicious: %w", err)
	}
	bursts := newRuns(t.BurstCount, time.Duration(t.BurstWindow))
	repeats := newRuns(t.RepeatCount, time.Duration(t.RepeatWindow))
	type quickKey struct{ hall, staff, day string }
	quick := map[quickKey][]string{}
	quickN := map[quickKey]int{}
	staff := map[[2]string]*shareUnit{} // hall, staff → 5★ of rated
	pads := map[[2]string]*shareUnit{}  // hall, device → walk-ins of rated
	devHall := map[string]string{}
	pausedAt := map[string][]string{} // device → records while paused
	pauses, err := s.pauses(ctx, q)
	if err != nil {
		return nil, err
	}
	unit := func(m map[[2]string]*shareUnit, hall, id string) *shareUnit {
		u := m[[2]string{hall, id}]
		if u == nil {
			u = &shareUnit{hall: hall, id: id}
			m[[2]string{hall, id}] = u
		}
		return u
	}
	err = s.suspectScan(ctx, q, func(r suspectRow) {
		devHall[r.device] = r.hall
		bursts.add(r.device, r.at, r.id, [3]string{r.hall, r.device, r.win})
		if opened, err := time.Parse(rating.TimeLayout, r.openedAt); err == nil && r.openedAt != "" {
			if d := r.at - opened.UnixMilli(); d >= 0 && d < time.Duration(t.QuickPress).Milliseconds() {
				k := quickKey{r.hall, r.staff, r.day}
				quick[k], quickN[k] = append(quick[k], r.id), quickN[k]+1
			}
		}
		su := unit(staff, r.hall, r.staff)
		su.n++
		if r.stars == 5 {
			su.k++
			su.ids = append(su.ids[:min(len(su.ids), maxSuspectEvidence-1)], r.id)
		}
		pu := unit(pads, r.hall, r.device)
		pu.n++
		if strings.Contains(r.flags, `"`+rating.FlagWalkin+`"`) {
			pu.k++
			pu.ids = append(pu.ids[:min(len(pu.ids), maxSuspectEvidence-1)], r.id)
		}
		if r.stars > 0 && !rating.Stars(r.stars).Good() {
			key := fmt.Sprintf("%s\x00%s\x00%d\x00%s", r.hall, r.staff, r.stars, sortedReasons(r.reasons))
			repeats.add(key, r.at, r.id, [3]string{r.hall, r.staff, fmt.Sprintf("%d★ %s", r.stars, sortedReasons(r.reasons))})
		}
		if pausedWhen(pauses[r.device], r.at) {
			pausedAt[r.device] = append(pausedAt[r.device], r.id)
		}
	})
	if err != nil {
		return nil, err
	}
	var out []Suspicion
	for _, b := range bursts.all() {
		out = append(out, Suspicion{Kind: SuspectBurst, Hall: b.attribute[0], DeviceID: b.attribute[1], Window: b.attribute[2],
			Records: b.ids, Count: b.n,
			Figures:   map[string]float64{"ratings": float64(b.n), "seconds": float64(b.to-b.from) / 1000},
			Threshold: map[string]float64{"burst_count": float64(t.BurstCount), "burst_window_s": time.Duration(t.BurstWindow).Seconds()},
			Detail: fmt.Sprintf("%d ratings from pad %s in %s (%s to %s); %d within %s is a burst", b.n, b.attribute[1],
				time.Duration(b.to-b.from)*time.Millisecond, time.UnixMilli(b.from).UTC().Format(time.RFC3339),
				time.UnixMilli(b.to).UTC().Format(time.RFC3339), t.BurstCount, time.Duration(t.BurstWindow))})
	}
	for k, ids := range quick {
		if quickN[k] < t.QuickPressMin {
			continue
		}
		out = append(out, Suspicion{Kind: SuspectQuickPress, Hall: k.hall, StaffID: k.staff, Records: evidence(ids), Count: quickN[k],
			Figures:   map[string]float64{"quick_presses": float64(quickN[k])},
			Threshold: map[string]float64{"quick_press_s": time.Duration(t.QuickPress).Seconds(), "quick_press_min": float64(t.QuickPressMin)},
			Detail: fmt.Sprintf("%d ratings of staff %s on %s pressed less than %s after the session opened (at least %d flag)",
				quickN[k], k.staff, k.day, time.Duration(t.QuickPress), t.QuickPressMin)})
	}
	for _, us := range byHall(staff) {
		out = append(out, shareTest(SuspectStaffShare, us, t, "5★")...)
	}
	for _, us := range byHall(pads) {
		out = append(out, shareTest(SuspectWalkinShare, us, t, "walk-ins")...)
	}
	for _, r := range repeats.all() {
		out = append(out, Suspicion{Kind: SuspectRepeatedBad, Hall: r.attribute[0], StaffID: r.attribute[1], Records: r.ids, Count: r.n,
			Figures:   map[string]float64{"ratings": float64(r.n), "seconds": float64(r.to-r.from) / 1000},
			Threshold: map[string]float64{"repeat_count": float64(t.RepeatCount), "repeat_window_s": time.Duration(t.RepeatWindow).Seconds()},
			Detail: fmt.Sprintf("%d identical 差评 (%s) against staff %s within %s; %d within %s is flagged",
				r.n, r.attribute[2], r.attribute[1], time.Duration(r.to-r.from)*time.Millisecond, t.RepeatCount, time.Duration(t.RepeatWindow))})
	}
	for dev, ids := range pausedAt {
		out = append(out, Suspicion{Kind: SuspectWhilePaused, Hall: devHall[dev], DeviceID: dev, Records: evidence(ids), Count: len(ids),
			Figures: map[string]float64{"ratings": float64(len(ids))}, Threshold: map[string]float64{"ratings": 1},
			Detail: fmt.Sprintf("%d ratings dated while pad %s had reported itself paused (暂停服务)", len(ids), dev)})
	}
	seq, err := s.seqSuspicions(ctx, devHall)
	if err != nil {
		return nil, err
	}
	out = append(out, seq...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && (a.Hall+a.DeviceID+a.StaffID < b.Hall+b.DeviceID+b.StaffID)
	})
	if out == nil {
		out = []Suspicion{}
	}
	return out, nil
}

// suspectScan calls fn for each rating of the window, in (at_ms, id) order.
func (s *SQLStore) suspectScan(ctx context.Context, q SuspectQuery, fn func(suspectRow)) error {
	from, to := q.From.UnixMilli(), q.To.UnixMilli()
	afterAt, afterID := from-1, ""
	for {
		args := []any{from, to, afterAt, afterAt, afterID}
		hall := ""
		if q.Hall != "" {
			hall, args = " AND hall = ?", append(args, q.Hall)
		}
		rs, err := s.db.QueryContext(ctx, s.q(`SELECT id, device_id, hall, win, staff_id, day, stars, reasons, flags, at_ms, received_ms, body
			FROM records WHERE at_ms >= ? AND at_ms < ? AND (at_ms > ? OR (at_ms = ? AND id > ?))
			AND kind = 'rating' AND `+notCentral+hall+` ORDER BY at_ms, id LIMIT `+fmt.Sprint(suspiciousPageLimit)), args...)
		if err != nil {
			return fmt.Errorf("central: suspicious: %w", err)
		}
		n := 0
		for rs.Next() {
			var r suspectRow
			var body string
			if err := rs.Scan(&r.id, &r.device, &r.hall, &r.win, &r.staff, &r.day, &r.stars, &r.reasons, &r.flags, &r.at, &r.received, &body); err != nil {
				rs.Close()
				return fmt.Errorf("central: suspicious: %w", err)
			}
			var b struct {
				OpenedAt string `json:"opened_at"`
			}
			_ = json.Unmarshal([]byte(body), &b) // stored records are valid JSON; a missing opened_at just isn't a quick press
			r.openedAt = b.OpenedAt
			fn(r)
			afterAt, afterID, n = r.at, r.id, n+1
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return fmt.Errorf("central: suspicious: %w", err)
		}
		if n < suspiciousPageLimit {
			return nil
		}
	}
}

// pause is one change of a pad's paused state.
type pause struct {
	at     int64
	paused bool
}

// pauses reads the pause history of the window (and the last change
// before it) per pad.
func (s *SQLStore) pauses(ctx context.Context, q SuspectQuery) (map[string][]pause, error) {
	rs, err := s.db.QueryContext(ctx, s.q(`SELECT p.device_id, p.at_ms, p.paused FROM pad_paused p
		WHERE p.at_ms < ? AND p.at_ms >= COALESCE((SELECT MAX(b.at_ms) FROM pad_paused b
			WHERE b.device_id = p.device_id AND b.at_ms < ?), ?) ORDER BY p.device_id, p.at_ms`),
		q.To.UnixMilli(), q.From.UnixMilli(), q.From.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("central: suspicious: pause history: %w", err)
	}
	defer rs.Close()
	out := map[string][]pause{}
	for rs.Next() {
		var dev string
		var p pause
		if err := rs.Scan(&dev, &p.at, &p.paused); err != nil {
			return nil, fmt.Errorf("central: suspicious: pause history: %w", err)
		}
		out[dev] = append(out[dev], p)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("central: suspicious: pause history: %w", err)
	}
	return out, nil
}

// pausedWhen: whether the last change at or before at paused the pad.
func pausedWhen(ps []pause, at int64) bool {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].at > at })
	return i > 0 && ps[i-1].paused
}

// seqSuspicions flags the pads of the window whose seq report shows gaps,
// repeats or clock faults.
func (s *SQLStore) seqSuspicions(ctx context.Context, devHall map[string]string) ([]Suspicion, error) {
	devs := make([]string, 0, len(devHall))
	for d := range devHall {
		devs = append(devs, d)
	}
	slices.Sort(devs)
	var out []Suspicion
	for _, d := range devs {
		rep, err := s.SeqReport(ctx, d)
		if err != nil {
			continue // a pad not (or no longer) registered: no seq report to give
		}
		add := func(kind string, count int, figs map[string]float64, detail string) {
			out = append(out, Suspicion{Kind: kind, Hall: devHall[d], DeviceID: d, Records: []string{}, Count: count,
				Figures: figs, Threshold: map[string]float64{"count": 1}, Detail: detail})
		}
		if n := rangeCount(rep.Missing); n > 0 {
			add(SuspectSeqGap, n, map[string]float64{"missing": float64(n), "last_seq": float64(rep.LastSeq)},
				fmt.Sprintf("pad %s: seq %s never stored (of 1..%d); see GET /api/v1/devices/%s/seq", d, rangesText(rep.Missing), rep.LastSeq, d))
		}
		if n := rangeCount(rep.Repeated); n > 0 {
			add(SuspectSeqRepeat, n, map[string]float64{"repeated": float64(n)},
				fmt.Sprintf("pad %s: seq %s stored under more than one id (a store reset or cloned)", d, rangesText(rep.Repeated)))
		}
		if rep.Future > 0 {
			add(SuspectFuture, rep.Future, map[string]float64{"records": float64(rep.Future), "slack_s": FutureSlack.Seconds()},
				fmt.Sprintf("pad %s: %d records dated more than %s after the central received them (stored or refused)", d, rep.Future, FutureSlack))
		}
		if rep.BeforeProvisioning > 0 {
			add(SuspectBeforeKey, rep.BeforeProvisioning, map[string]float64{"records": float64(rep.BeforeProvisioning)},
				fmt.Sprintf("pad %s: %d records dated before its key was registered (stored or refused)", d, rep.BeforeProvisioning))
		}
	}
	return out, nil
}

func rangeCount(rs [][2]uint64) int {
	n := 0
	for _, r := range rs {
		n += int(r[1] - r[0] + 1)
	}
	return n
}

func rangesText(rs [][2]uint64) string {
	var b []string
	for i, r := range rs {
		if i == 10 {
			b = append(b, "…")
			break
		}
		if r[0] == r[1] {
			b = append(b, fmt.Sprint(r[0]))
		} else {
			b = append(b, fmt.Sprintf("%d-%d", r[0], r[1]))
		}
	}
	return strings.Join(b, ",")
}

// sortedReasons is a stored reasons array with its codes sorted.
func sortedReasons(stored string) string {
	var rs []string
	if json.Unmarshal([]byte(stored), &rs) != nil {
		return stored
	}
	slices.Sort(rs)
	return strings.Join(rs, ",")
}

// byHall groups share units by hall, each hall's in id order.
func byHall(m map[[2]string]*shareUnit) [][]*shareUnit {
	halls := map[string][]*shareUnit{}
	for _, u := range m {
		halls[u.hall] = append(halls[u.hall], u)
	}
	keys := make([]string, 0, len(halls))
	for h := range halls {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	out := make([][]*shareUnit, 0, len(keys))
	for _, h := range keys {
		us := halls[h]
		sort.Slice(us, func(i, j int) bool { return us[i].id < us[j].id })
		out = append(out, us)
	}
	return out
}
