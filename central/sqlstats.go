package central

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"evalpad/rating"
)

// starLevels are the star levels a filter's kind, stars and good keep.
func starLevels(f Filter) [6]bool {
	var in [6]bool
	for l := range in {
		ok := true
		switch f.Kind {
		case string(rating.KindRating):
			ok = l >= 1
		case string(rating.KindUnrated):
			ok = l == 0
		}
		if f.Stars != 0 && l != f.Stars {
			ok = false
		}
		if f.Good != nil && *f.Good != (l >= 3) {
			ok = false
		}
		in[l] = ok
	}
	return in
}

// sums are the counters summed over some rollup rows (counterCols order).
type sums [15]int64

// figures are the sums as Figures, keeping the star levels in.
func (v *sums) figures(key, name string, in [6]bool) Figures {
	f := Figures{Key: key, Name: name}
	for l := 0; l <= 5; l++ {
		if !in[l] {
			continue
		}
		n := int(v[l])
		f.Records += n
		if l == 0 {
			f.Unrated, f.UnratedCases = int(v[6]), int(v[13])
			continue
		}
		c := int(v[7+l])
		f.Rated += n
		f.Cases += c
		if l >= 3 {
			f.Good, f.GoodCases = f.Good+n, f.GoodCases+c
		} else {
			f.Bad, f.BadCases = f.Bad+n, f.BadCases+c
		}
	}
	if in[4] { // default records are 4★
		f.Default, f.DefaultCases = int(v[7]), int(v[14])
	}
	f.finish()
	return f
}

// periods is the condition on (per, day) that reads the days from..to
// ("" = unbounded) from the fewest rollup rows: the whole months in it from
// the month rows, the days before and after them from the day rows.
func periods(from, to, dayPer, monthPer string) (string, []any) {
	lo, hi := cmp.Or(from, "0001-01-01"), cmp.Or(to, "9999-12-31")
	l, err1 := time.Parse(time.DateOnly, lo)
	h, err2 := time.Parse(time.DateOnly, hi)
	if err1 != nil || err2 != nil {
		return "(per = ? AND day >= ? AND day <= ?)", []any{dayPer, lo, hi}
	}
	first := l // first day of the first whole month
	if l.Day() != 1 {
		first = time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	end := h // last day of the last whole month
	if h.AddDate(0, 0, 1).Day() != 1 {
		end = time.Date(h.Year(), h.Month(), 0, 0, 0, 0, 0, time.UTC)
	}
	if end.Before(first) {
		return "(per = ? AND day >= ? AND day <= ?)", []any{dayPer, lo, hi}
	}
	cond := "(per = ? AND day >= ? AND day <= ?)"
	args := []any{monthPer, first.Format("2006-01"), end.Format("2006-01")}
	if l.Before(first) {
		cond += " OR (per = ? AND day >= ? AND day < ?)"
		args = append(args, dayPer, lo, first.Format(time.DateOnly))
	}
	if h.After(end) {
		cond += " OR (per = ? AND day > ? AND day <= ?)"
		args = append(args, dayPer, end.Format(time.DateOnly), hi)
	}
	return "(" + cond + ")", args
}

// Which rollup rows a query reads (rollupWhere).
const (
	readPad  = iota // the pad's rows (per d and m): by window, pad and staff
	readHall        // the hall's (dh and mh) when f asks nothing finer
	readDays        // the hall's days (dh), else the pad's (d): by day
)

// rollupWhere is the WHERE clause of f over the rollup tables: item rows
// (lvl 1) when f names an item or items is set, else record rows (lvl 0);
// the days by periods at the pad's or the hall's rows (read), or the day
// rows for by_day.
func (s *SQLStore) rollupWhere(f Filter, items bool, read int) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	lvl := 0
	if f.Item != "" || items {
		lvl = 1
	}
	hall := f.Window == "" && f.DeviceID == "" && f.StaffID == "" && len(f.Windows) == 0
	switch {
	case read == readDays:
		add("per = ?", map[bool]string{true: "dh", false: "d"}[hall])
		if f.From != "" {
			add("day >= ?", f.From)
		}
		if f.To != "" {
			add("day <= ?", f.To)
		}
	case read == readHall && hall:
		p, pargs := periods(f.From, f.To, "dh", "mh")
		add(p, pargs...)
	default:
		p, pargs := periods(f.From, f.To, "d", "m")
		add(p, pargs...)
	}
	add("lvl = " + strconv.Itoa(lvl))
	if f.Item != "" {
		add("(item = ? OR item_name = ?)", f.Item, f.Item)
	}
	for _, c := range []struct{ col, v string }{{"device_id", f.DeviceID}, {"hall", f.Hall}, {"win", f.Window}, {"staff_id", f.StaffID}} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if len(f.Windows) > 0 {
		cond, wargs := windowsCond(f.Windows, func() string { return "?" })
		add(cond, wargs...)
	}
	return s.q(" WHERE " + strings.Join(where, " AND ")), args
}

var sumCols = func() string {
	var b []string
	for c := range strings.SplitSeq(counterCols, ", ") {
		b = append(b, "COALESCE(SUM("+c+"), 0)")
	}
	return strings.Join(b, ", ")
}()

// scanSums scans the leading columns into head and the sums after them.
func scanSums(rs *sql.Rows, v *sums, head ...any) error {
	for i := range v {
		head = append(head, &v[i])
	}
	return rs.Scan(head...)
}

// Stats computes the figures of the records f selects (Limit, After, Newest
// and Flag ignored) by SQL over the rollups: GROUP BY over at most one row
// per month (or day at the range's ends) × window × device × staff for the
// total and by hall, window and staff, and per month × hall for by_item and
// the reasons, per day × hall for by_day, unless a window, pad or staff is
// asked for; never over the records.
//
// With an item filter every figure counts the records rating that item
// (code or name), and by_item holds that item only.
func (s *SQLStore) Stats(ctx context.Context, f Filter) (Stats, error) {
	in := starLevels(f)
	st := Stats{Reasons: []ReasonCount{}}
	where, args := s.rollupWhere(f, false, readPad)
	// One statement for the total and three groupings: GROUPING SETS on
	// PostgreSQL (one scan), UNION ALL on SQLite.
	q, qargs := "", args
	if s.d.name == "postgres" {
		q = `SELECT CASE GROUPING(hall, win, staff_id) WHEN 7 THEN 0 WHEN 3 THEN 1 WHEN 1 THEN 2 ELSE 3 END,
			COALESCE(hall, ''), COALESCE(win, ''), COALESCE(staff_id, ''), COALESCE(MAX(staff_name), ''), ` + sumCols +
			` FROM rollup` + where + ` GROUP BY GROUPING SETS ((), (hall), (hall, win), (staff_id))`
	} else {
		var parts []string
		qargs = nil
		for g, set := range []struct{ cols, group string }{
			{"'', '', '', ''", ""},
			{"hall, '', '', ''", " GROUP BY hall"},
			{"hall, win, '', ''", " GROUP BY hall, win"},
			{"'', '', staff_id, MAX(staff_name)", " GROUP BY staff_id"},
		} {
			parts = append(parts, "SELECT "+strconv.Itoa(g)+", "+set.cols+", "+sumCols+" FROM rollup"+where+set.group)
			qargs = append(qargs, args...)
		}
		q = strings.Join(parts, " UNION ALL ")
	}
	groups := [5][]Figures{}
	err := s.eachRow(ctx, q, qargs, func(rs *sql.Rows) error {
		var g int
		var hall, win, staff, name string
		var v sums
		if err := scanSums(rs, &v, &g, &hall, &win, &staff, &name); err != nil {
			return err
		}
		switch g {
		case 0:
			st.Total = v.figures("", "", in)
			for l := range 6 {
				if in[l] {
					st.Stars[l] = int(v[l])
				}
			}
		case 1:
			groups[1] = append(groups[1], v.figures(hall, "", in))
		case 2:
			groups[2] = append(groups[2], v.figures(hall+"/"+win, win, in))
		case 3:
			groups[3] = append(groups[3], v.figures(staff, name, in))
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	dwhere, dargs := s.rollupWhere(f, false, readDays)
	err = s.eachRow(ctx, "SELECT day, "+sumCols+" FROM rollup"+dwhere+" GROUP BY day", dargs, func(rs *sql.Rows) error {
		var day string
		var v sums
		if err := scanSums(rs, &v, &day); err != nil {
			return err
		}
		groups[4] = append(groups[4], v.figures(day, "", in))
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	iwhere, iargs := s.rollupWhere(f, true, readHall)
	err = s.eachRow(ctx, "SELECT item, MAX(item_name), "+sumCols+" FROM rollup"+iwhere+" GROUP BY item", iargs, func(rs *sql.Rows) error {
		var item, name string
		var v sums
		if err := scanSums(rs, &v, &item, &name); err != nil {
			return err
		}
		groups[0] = append(groups[0], v.figures(item, name, in))
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	var lv []string
	for l := 1; l <= 5; l++ {
		if in[l] {
			lv = append(lv, strconv.Itoa(l))
		}
	}
	if len(lv) > 0 {
		texts := reasonTexts()
		rwhere, rargs := s.rollupWhere(f, false, readHall)
		q := "SELECT code, SUM(n) FROM rollup_reason" + rwhere + " AND stars IN (" + strings.Join(lv, ",") + ") GROUP BY code HAVING SUM(n) > 0"
		err = s.eachRow(ctx, q, rargs, func(rs *sql.Rows) error {
			var rc ReasonCount
			if err := rs.Scan(&rc.Code, &rc.Count); err != nil {
				return err
			}
			rc.Text = texts[rc.Code]
			st.Reasons = append(st.Reasons, rc)
			return nil
		})
		if err != nil {
			return Stats{}, err
		}
	}
	slices.SortFunc(st.Reasons, func(a, b ReasonCount) int { return cmp.Or(b.Count-a.Count, cmp.Compare(a.Code, b.Code)) })
	out := make([][]Figures, 5)
	for g := range groups {
		out[g] = []Figures{}
		for _, fg := range groups[g] {
			if fg.Records != 0 {
				out[g] = append(out[g], fg)
			}
		}
		slices.SortFunc(out[g], func(a, b Figures) int { return cmp.Compare(a.Key, b.Key) })
	}
	st.ByItem, st.ByHall, st.ByWin, st.ByStaff, st.ByDay = out[0], out[1], out[2], out[3], out[4]
	return st, nil
}

// reasonTexts maps the default 差评 reason codes to their text.
func reasonTexts() map[string]string {
	texts := map[string]string{}
	for _, lv := range []rating.Stars{1, 2} {
		for _, r := range rating.DefaultReasons().For(lv) {
			texts[r.Code] = r.Text
		}
	}
	return texts
}

// eachRow runs q and calls fn for each row.
func (s *SQLStore) eachRow(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("central: stats: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := fn(rs); err != nil {
			return fmt.Errorf("central: stats: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("central: stats: %w", err)
	}
	return nil
}

// UnratedRow is one unrated record as unrated_sessions keeps it.
type UnratedRow struct {
	ID, DeviceID, SessionID, Hall, Window, StaffName string
	Served                                           string // opened_at, else at, as the pad wrote it
	Defaulted                                        bool   // closed: its default 4★ record is stored, or (Rated) its closing record
	Rated                                            bool   // closed by a rating through another channel (ClosingID), not a default
}

// UnratedQuery selects unrated sessions: f's hall, window, staff, device,
// item and days; Limit (0: all) and After (an unrated record's id) page
// them in served order. A filter on kind rating, stars or good=true
// selects none.
type UnratedQuery struct {
	Filter
	All   bool  // include the defaulted ones
	DueMS int64 // > 0: only those not defaulted served before this instant (ms)
}

// Unrated lists unrated sessions by an index on unrated_sessions, oldest
// served first.
func (s *SQLStore) Unrated(ctx context.Context, q UnratedQuery) ([]UnratedRow, error) {
	f := q.Filter
	if f.Kind == string(rating.KindRating) || f.Stars != 0 || (f.Good != nil && *f.Good) {
		return nil, nil
	}
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if !q.All || q.DueMS > 0 {
		add("defaulted = 0")
	}
	if q.DueMS > 0 {
		add("served_ms < ?", q.DueMS)
	}
	for _, c := range []struct{ col, v string }{{"device_id", f.DeviceID}, {"hall", f.Hall}, {"win", f.Window}, {"staff_id", f.StaffID}} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if len(f.Windows) > 0 {
		cond, wargs := windowsCond(f.Windows, func() string { return "?" })
		add(cond, wargs...)
	}
	if f.From != "" {
		add("day >= ?", f.From)
	}
	if f.To != "" {
		add("day <= ?", f.To)
	}
	if f.Item != "" {
		add(`items LIKE ? ESCAPE '\'`, "%|"+likeEscape(strings.ReplaceAll(f.Item, "|", "¦"))+"|%")
	}
	if f.After != "" {
		add("(served_ms, id) > (SELECT served_ms, id FROM unrated_sessions WHERE id = ?)", f.After)
	}
	sq := "SELECT id, device_id, session_id, hall, win, staff_name, served, defaulted FROM unrated_sessions"
	if len(where) > 0 {
		sq += " WHERE " + strings.Join(where, " AND ")
	}
	sq += " ORDER BY served_ms, id"
	if f.Limit > 0 {
		sq += " LIMIT " + strconv.Itoa(f.Limit)
	}
	var out []UnratedRow
	err := s.eachRow(ctx, s.q(sq), args, func(rs *sql.Rows) error {
		var u UnratedRow
		var d int
		if err := rs.Scan(&u.ID, &u.DeviceID, &u.SessionID, &u.Hall, &u.Window, &u.StaffName, &u.Served, &d); err != nil {
			return err
		}
		u.Defaulted, u.Rated = d != 0, d == closedByChannel
		out = append(out, u)
		return nil
	})
	return out, err
}

// Record reads one stored record by id.
func (s *SQLStore) Record(ctx context.Context, id string) (Row, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Row{}, fmt.Errorf("central: record %s: %w", id, err)
	}
	defer tx.Rollback()
	r, err := s.storedRow(ctx, tx, id)
	if err != nil {
		return Row{}, err
	}
	return *r, nil
}
