package central

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"evalpad/rating"
)

// The rollups: the figures kept as counters, written in the transaction
// that stores the records they count, so that no request has to read the
// records themselves (sqlstats.go reads them).
//
// rollup has rows at four periods (column per): "d" one row per day ×
// hall × window × device × staff at lvl 0 (the records) and one per day ×
// hall × window × device × staff × item at lvl 1 (each record once per
// item among its rated cases); "m" the same per month (day holds
// YYYY-MM), so that a year is read from twelve rows where it would be from
// some 250; "dh" and "mh" the same per day and month of a hall (window,
// device and staff ""), for the figures by day, by item and the reasons
// when no window, pad or staff is asked for.
// Its counters:
//
//	s0..s5  records per stars (s0: unrated records, defaulted or not)
//	un      unrated records whose default 4★ is not stored
//	dflt    default 4★ records (flag "default")
//	c1..c5  rated 办件 per stars: a record's cases (those of its target
//	        when it rates one item of a theme); a record without cases
//	        (a walk-in press) counts as one
//	cun     办件 of the unrated records counted in un
//	cdflt   办件 of the default records
//
// rollup_reason counts the 差评 reasons per the same key and stars.
// unrated_sessions lists the unrated records, with whether their default
// 4★ is stored (the time rule and GET /api/v1/unrated read it).
//
// Only records newly stored count (Insert's RETURNING set): a resend skipped
// by ON CONFLICT changes nothing. An unrated record counts in un until its
// default is stored: then, in that same transaction, its contribution moves
// from un to the defaulted side, so the session counts once, as the default
// 4★ rating.
var rollupSchema = []string{
	`CREATE TABLE IF NOT EXISTS rollup (
		per TEXT NOT NULL,
		day TEXT NOT NULL,
		hall TEXT NOT NULL,
		win TEXT NOT NULL,
		device_id TEXT NOT NULL,
		staff_id TEXT NOT NULL,
		lvl SMALLINT NOT NULL,
		item TEXT NOT NULL,
		staff_name TEXT NOT NULL,
		item_name TEXT NOT NULL,
		s0 BIGINT NOT NULL, s1 BIGINT NOT NULL, s2 BIGINT NOT NULL, s3 BIGINT NOT NULL, s4 BIGINT NOT NULL, s5 BIGINT NOT NULL,
		un BIGINT NOT NULL, dflt BIGINT NOT NULL,
		c1 BIGINT NOT NULL, c2 BIGINT NOT NULL, c3 BIGINT NOT NULL, c4 BIGINT NOT NULL, c5 BIGINT NOT NULL,
		cun BIGINT NOT NULL, cdflt BIGINT NOT NULL,
		PRIMARY KEY (per, lvl, day, hall, win, device_id, staff_id, item))`,
	`CREATE TABLE IF NOT EXISTS rollup_reason (
		per TEXT NOT NULL,
		day TEXT NOT NULL,
		hall TEXT NOT NULL,
		win TEXT NOT NULL,
		device_id TEXT NOT NULL,
		staff_id TEXT NOT NULL,
		lvl SMALLINT NOT NULL,
		item TEXT NOT NULL,
		stars INTEGER NOT NULL,
		code TEXT NOT NULL,
		item_name TEXT NOT NULL,
		n BIGINT NOT NULL,
		PRIMARY KEY (per, lvl, day, hall, win, device_id, staff_id, item, stars, code))`,
	`CREATE TABLE IF NOT EXISTS unrated_sessions (
		id TEXT PRIMARY KEY,
		device_id TEXT NOT NULL,
		session_id TEXT NOT NULL,
		hall TEXT NOT NULL,
		win TEXT NOT NULL,
		staff_id TEXT NOT NULL,
		staff_name TEXT NOT NULL,
		day TEXT NOT NULL,
		items TEXT NOT NULL,
		served TEXT NOT NULL,
		served_ms BIGINT NOT NULL,
		defaulted SMALLINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS unrated_pending ON unrated_sessions (defaulted, served_ms, id)`,
	`CREATE INDEX IF NOT EXISTS unrated_served ON unrated_sessions (served_ms, id)`,
	`CREATE INDEX IF NOT EXISTS unrated_session ON unrated_sessions (device_id, session_id)`,
	`CREATE TABLE IF NOT EXISTS rollup_meta (name TEXT PRIMARY KEY, done_ms BIGINT NOT NULL)`,
}

// postgresTimeSchema: records are appended roughly in time order, so a BRIN
// index on at_ms (a few pages for millions of rows) serves range scans and
// retention deletes; see README "Figures" for retention.
var postgresTimeSchema = []string{
	`CREATE INDEX IF NOT EXISTS records_at_brin ON records USING brin (at_ms)`,
}

// rollKey is one rollup row's key.
type rollKey struct {
	per                           string // d, m, h: see rollupSchema
	day, hall, win, device, staff string
	lvl                           int
	item                          string
}

func (k rollKey) compare(o rollKey) int {
	return cmp.Or(strings.Compare(k.per, o.per), cmp.Compare(k.lvl, o.lvl), strings.Compare(k.day, o.day), strings.Compare(k.hall, o.hall), strings.Compare(k.win, o.win),
		strings.Compare(k.device, o.device), strings.Compare(k.staff, o.staff), strings.Compare(k.item, o.item))
}

// counters are a rollup row's counters (see rollupSchema).
type counters struct {
	s          [6]int64
	un, dflt   int64
	c          [6]int64 // c[0] unused
	cun, cdflt int64
}

func (c *counters) vals() []any {
	return []any{c.s[0], c.s[1], c.s[2], c.s[3], c.s[4], c.s[5], c.un, c.dflt, c.c[1], c.c[2], c.c[3], c.c[4], c.c[5], c.cun, c.cdflt}
}

const counterCols = "s0, s1, s2, s3, s4, s5, un, dflt, c1, c2, c3, c4, c5, cun, cdflt"

type rollRow struct {
	staffName, itemName string
	counters
}

type reasonKey struct {
	rollKey
	stars int
	code  string
}

// deltas are the changes one transaction makes to the rollups.
type deltas struct {
	rows    map[rollKey]*rollRow
	reasons map[reasonKey]*reasonVal
}

type reasonVal struct {
	itemName string
	n        int64
}

func newDeltas() *deltas {
	return &deltas{rows: map[rollKey]*rollRow{}, reasons: map[reasonKey]*reasonVal{}}
}

// RatedCases are the cases a record rates: its target's when it rates one
// item of a theme, else all of them.
func RatedCases(r *rating.Record) []rating.Case {
	if r.Target == "" {
		return r.Cases
	}
	var out []rating.Case
	for _, c := range r.Cases {
		if c.ProjectNo == r.Target {
			out = append(out, c)
		}
	}
	return out
}

// CaseCount is how many 办件 a record counts for: its rated cases, and one
// for a record without any (a walk-in press).
func CaseCount(r *rating.Record) int {
	return max(1, len(RatedCases(r)))
}

// ItemKey is the key of a case's item in the figures: task_code, else task_name.
func ItemKey(c rating.Case) string { return cmp.Or(c.TaskCode, c.TaskName) }

// add adds sign × row's contribution, defaulted saying whether (for an
// unrated record) its default 4★ is stored: at the day and the month, of
// the pad and of the hall, per record and per item.
func (d *deltas) add(row *Row, defaulted bool, sign int64) {
	r := &row.Record
	if r.Stars < 0 || r.Stars > 5 {
		return // protocol.ParseRecord refuses these
	}
	cases := RatedCases(r)
	day := rollKey{per: "d", day: row.Day, hall: r.Hall, win: r.Window, device: r.DeviceID, staff: r.Staff.ID}
	month := day
	month.per, month.day = "m", row.Day[:min(7, len(row.Day))]
	keys := []rollKey{day, month, {per: "dh", day: day.day, hall: r.Hall}, {per: "mh", day: month.day, hall: r.Hall}}
	n := int64(max(1, len(cases)))
	for _, k := range keys {
		d.count(k, r, "", n, defaulted, sign)
	}
	perItem := map[string]int64{}
	var order []string
	names := map[string]string{}
	for _, c := range cases {
		k := ItemKey(c)
		if perItem[k] == 0 {
			order = append(order, k)
			names[k] = c.TaskName
		}
		perItem[k]++
	}
	for _, it := range order {
		for _, k := range keys {
			k.lvl, k.item = 1, it
			d.count(k, r, names[it], perItem[it], defaulted, sign)
		}
	}
}

// count adds sign × record r (n 办件) to the counters of key k.
func (d *deltas) count(k rollKey, r *rating.Record, itemName string, n int64, defaulted bool, sign int64) {
	v := d.rows[k]
	if v == nil {
		v = &rollRow{itemName: itemName}
		if k.staff != "" {
			v.staffName = r.Staff.Name
		}
		d.rows[k] = v
	}
	v.s[r.Stars] += sign
	switch {
	case r.Kind == rating.KindUnrated:
		if !defaulted {
			v.un += sign
			v.cun += sign * n
		}
	case r.Stars >= 1:
		v.c[r.Stars] += sign * n
		if slices.Contains(r.Flags, FlagDefault) {
			v.dflt += sign
			v.cdflt += sign * n
		}
	}
	for _, code := range r.Reasons {
		rk := reasonKey{k, int(r.Stars), code}
		rv := d.reasons[rk]
		if rv == nil {
			rv = &reasonVal{itemName: itemName}
			d.reasons[rk] = rv
		}
		rv.n += sign
	}
}

// rollup counts the rows Insert stored now (fresh) into the rollups and
// unrated_sessions, inside Insert's transaction tx.
func (s *SQLStore) rollup(ctx context.Context, tx *sql.Tx, fresh []Row) error {
	d := newDeltas()
	var unrated, defaults []*Row
	for i := range fresh {
		r := &fresh[i]
		switch {
		case r.Kind == rating.KindUnrated:
			unrated = append(unrated, r)
		case closes(r):
			defaults = append(defaults, r)
		}
	}
	if err := s.lockSessions(ctx, tx, unrated, defaults); err != nil {
		return err
	}
	// An unrated record whose default (or closing rating) is stored
	// already, the same transaction included, counts as closed from the start.
	defaulted, err := s.defaultsStored(ctx, tx, unrated)
	if err != nil {
		return err
	}
	if err := s.addUnrated(ctx, tx, unrated, defaulted); err != nil {
		return err
	}
	if err := s.openComplaints(ctx, tx, fresh); err != nil {
		return err
	}
	for i := range fresh {
		r := &fresh[i]
		d.add(r, r.Kind == rating.KindUnrated && defaulted[r.ID] != 0, 1)
	}
	// A default stored now moves its unrated record to the defaulted side.
	for i := 0; i < len(defaults); i += rowsPerStatement / 2 {
		us, err := s.defaultsOf(ctx, tx, defaults[i:min(i+rowsPerStatement/2, len(defaults))])
		if err != nil {
			return err
		}
		for j := range us {
			d.add(&us[j], false, -1)
			d.add(&us[j], true, 1)
		}
	}
	return s.writeDeltas(ctx, tx, d)
}

// lockSessions serializes, on PostgreSQL, the transactions storing an
// unrated record and its default: each locks the default's id (until it
// commits) before looking for the other, so whichever comes second sees the
// first. SQLite has one writer at a time.
func (s *SQLStore) lockSessions(ctx context.Context, tx *sql.Tx, unrated, defaults []*Row) error {
	if s.d.name != "postgres" || len(unrated)+len(defaults) == 0 {
		return nil
	}
	keys := make([]string, 0, len(unrated)+len(defaults))
	for _, r := range unrated {
		keys = append(keys, DefaultID(r.ID))
	}
	for _, r := range defaults {
		keys = append(keys, r.ID)
	}
	slices.Sort(keys) // one order for all: no deadlock between two batches
	keys = slices.Compact(keys)
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS o", keys)
	if err != nil {
		return fmt.Errorf("central: rollup: lock sessions: %w", err)
	}
	return nil
}

// defaultsStored says which of the unrated rows have their closing record
// stored: closedByDefault or closedByChannel.
func (s *SQLStore) defaultsStored(ctx context.Context, tx *sql.Tx, rows []*Row) (map[string]int, error) {
	out := map[string]int{}
	for i := 0; i < len(rows); i += rowsPerStatement {
		chunk := rows[i:min(i+rowsPerStatement, len(rows))]
		args := make([]any, len(chunk))
		of := map[string]string{}
		for j, r := range chunk {
			args[j] = DefaultID(r.ID)
			of[DefaultID(r.ID)] = r.ID
		}
		rs, err := tx.QueryContext(ctx, "SELECT id, flags FROM records WHERE id IN ("+s.phs(1, len(chunk))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("central: rollup: defaults: %w", err)
		}
		for rs.Next() {
			var id, flags string
			if err := rs.Scan(&id, &flags); err != nil {
				rs.Close()
				return nil, fmt.Errorf("central: rollup: defaults: %w", err)
			}
			out[of[id]] = closedBy(flags)
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return nil, fmt.Errorf("central: rollup: defaults: %w", err)
		}
	}
	return out, nil
}

// addUnrated lists the unrated rows in unrated_sessions.
func (s *SQLStore) addUnrated(ctx context.Context, tx *sql.Tx, rows []*Row, defaulted map[string]int) error {
	return s.insertMany(ctx, tx, "INSERT INTO unrated_sessions (id, device_id, session_id, hall, win, staff_id, staff_name, day, items, served, served_ms, defaulted) VALUES ",
		" ON CONFLICT (id) DO NOTHING", 12, len(rows), func(i int) ([]any, error) {
			r := rows[i]
			served, err := Served(&r.Record)
			if err != nil {
				return nil, err
			}
			return []any{r.ID, r.DeviceID, r.SessionID, r.Hall, r.Window, r.Staff.ID, r.Staff.Name, r.Day, items(r),
				cmp.Or(r.OpenedAt, r.At), served.UnixMilli(), defaulted[r.ID]}, nil
		}, "unrated sessions")
}

// defaultsOf finds the unrated records whose defaults are defs, those
// stored and not yet marked defaulted; it marks them and returns them.
func (s *SQLStore) defaultsOf(ctx context.Context, tx *sql.Tx, defs []*Row) ([]Row, error) {
	want := map[string]int{} // closing id → how it closes
	var pairs []string
	var args []any
	for _, d := range defs {
		want[d.ID] = closedBy(strings.Join(d.Flags, ","))
		pairs = append(pairs, "("+s.phs(len(args)+1, 2)+")")
		args = append(args, d.DeviceID, d.SessionID)
	}
	rs, err := tx.QueryContext(ctx, "SELECT id FROM unrated_sessions WHERE defaulted = 0 AND (device_id, session_id) IN ("+strings.Join(pairs, ",")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("central: rollup: unrated of defaults: %w", err)
	}
	var found []any
	mark := map[int][]any{}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return nil, fmt.Errorf("central: rollup: unrated of defaults: %w", err)
		}
		if by := want[DefaultID(id)]; by != 0 {
			found = append(found, id)
			mark[by] = append(mark[by], id)
		}
	}
	err = rs.Err()
	rs.Close()
	if err != nil || len(found) == 0 {
		return nil, err
	}
	in := "(" + s.phs(1, len(found)) + ")"
	us, err := s.storedRows(ctx, tx, "WHERE id IN "+in, found...)
	if err != nil {
		return nil, err
	}
	for by, ids := range mark {
		q := "UPDATE unrated_sessions SET defaulted = " + strconv.Itoa(by) + " WHERE id IN (" + s.phs(1, len(ids)) + ")"
		if _, err := tx.ExecContext(ctx, q, ids...); err != nil {
			return nil, fmt.Errorf("central: rollup: mark defaulted: %w", err)
		}
	}
	return us, nil
}

// How an unrated session was closed (unrated_sessions.defaulted): not
// (0), by its default 4★ (1), or by a rating through another channel
// under the same id (ClosingID), such as a scanned receipt (2).
const (
	closedByDefault = 1
	closedByChannel = 2
)

// closes says whether r is a record that closes an unrated session: the
// central's default 4★, or a rating through another channel.
func closes(r *Row) bool {
	return slices.Contains(r.Flags, FlagDefault) || slices.Contains(r.Flags, FlagChannel)
}

// closedBy is how a closing record with these flags (as stored: JSON, or
// joined) closes its session.
func closedBy(flags string) int {
	if strings.Contains(flags, FlagChannel) && !strings.Contains(flags, FlagDefault) {
		return closedByChannel
	}
	return closedByDefault
}

// ErrNotStored: no record has that id.
var ErrNotStored = errors.New("not stored")

// storedRow reads one stored record by id.
func (s *SQLStore) storedRow(ctx context.Context, tx *sql.Tx, id string) (*Row, error) {
	rows, err := s.storedRows(ctx, tx, "WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, fmt.Errorf("central: record %s: %w", id, ErrNotStored)
	}
	return &rows[0], nil
}

// storedRows reads the stored records the clause (WHERE …) selects.
func (s *SQLStore) storedRows(ctx context.Context, tx *sql.Tx, clause string, args ...any) ([]Row, error) {
	rs, err := tx.QueryContext(ctx, s.q("SELECT body, day, at_ms, received_ms FROM records "+clause), args...)
	if err != nil {
		return nil, fmt.Errorf("central: records: %w", err)
	}
	return scanRows(rs)
}

// writeDeltas adds d to the rollup tables, in key order (two hubs updating
// the same rows lock them in the same order).
func (s *SQLStore) writeDeltas(ctx context.Context, tx *sql.Tx, d *deltas) error {
	keys := make([]rollKey, 0, len(d.rows))
	for k := range d.rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, rollKey.compare)
	set := " ON CONFLICT (per, lvl, day, hall, win, device_id, staff_id, item) DO UPDATE SET staff_name = excluded.staff_name, item_name = excluded.item_name"
	for c := range strings.SplitSeq(counterCols, ", ") {
		set += ", " + c + " = rollup." + c + " + excluded." + c
	}
	err := s.insertMany(ctx, tx, "INSERT INTO rollup (per, day, hall, win, device_id, staff_id, lvl, item, staff_name, item_name, "+counterCols+") VALUES ",
		set, 10+15, len(keys), func(i int) ([]any, error) {
			k, v := keys[i], d.rows[keys[i]]
			return append([]any{k.per, k.day, k.hall, k.win, k.device, k.staff, k.lvl, k.item, v.staffName, v.itemName}, v.vals()...), nil
		}, "rollup")
	if err != nil {
		return err
	}
	rkeys := make([]reasonKey, 0, len(d.reasons))
	for k := range d.reasons {
		rkeys = append(rkeys, k)
	}
	slices.SortFunc(rkeys, func(a, b reasonKey) int {
		return cmp.Or(a.rollKey.compare(b.rollKey), cmp.Compare(a.stars, b.stars), strings.Compare(a.code, b.code))
	})
	return s.insertMany(ctx, tx, "INSERT INTO rollup_reason (per, day, hall, win, device_id, staff_id, lvl, item, stars, code, item_name, n) VALUES ",
		" ON CONFLICT (per, lvl, day, hall, win, device_id, staff_id, item, stars, code) DO UPDATE SET item_name = excluded.item_name, n = rollup_reason.n + excluded.n",
		12, len(rkeys), func(i int) ([]any, error) {
			k, v := rkeys[i], d.reasons[rkeys[i]]
			return []any{k.per, k.day, k.hall, k.win, k.device, k.staff, k.lvl, k.item, k.stars, k.code, v.itemName, v.n}, nil
		}, "rollup reasons")
}

// insertMany inserts n rows of cols values each (row(i) gives the i-th), in
// statements of at most rowsPerStatement rows: head "INSERT INTO t (…)
// VALUES ", then the rows' placeholders, then tail (an ON CONFLICT clause).
// what names the table in errors.
func (s *SQLStore) insertMany(ctx context.Context, tx *sql.Tx, head, tail string, cols, n int, row func(i int) ([]any, error), what string) error {
	for i := 0; i < n; i += rowsPerStatement {
		end := min(i+rowsPerStatement, n)
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, (end-i)*cols)
		for j := i; j < end; j++ {
			if j > i {
				q.WriteByte(',')
			}
			q.WriteString("(" + s.phs(len(args)+1, cols) + ")")
			vals, err := row(j)
			if err != nil {
				return err
			}
			args = append(args, vals...)
		}
		q.WriteString(tail)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("central: rollup: %s: %w", what, err)
		}
	}
	return nil
}

// migrateRollup creates the rollup tables and, once, counts the records
// stored before they existed (a database from an earlier evalhub). The
// count runs in one transaction that holds off writers (PostgreSQL: a lock
// on records; SQLite: its single writer), reading the records in pages
// through the same code as ingest, so both count alike.
func (s *SQLStore) migrateRollup(ctx context.Context) error {
	stmts := rollupSchema
	if s.d.name == "postgres" {
		stmts = slices.Concat(stmts, postgresTimeSchema)
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("central: create rollup tables (%s): %w", s.d.name, err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("central: rollup backfill: %w", err)
	}
	defer tx.Rollback()
	if s.d.name == "postgres" {
		// Conflicts with itself and with inserts: one backfill, no record added meanwhile.
		if _, err := tx.ExecContext(ctx, "LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("central: rollup backfill: lock: %w", err)
		}
	}
	var done int64
	switch err := tx.QueryRowContext(ctx, "SELECT done_ms FROM rollup_meta WHERE name = 'backfill'").Scan(&done); err {
	case nil:
		return nil
	case sql.ErrNoRows:
	default:
		return fmt.Errorf("central: rollup backfill: %w", err)
	}
	after := ""
	for {
		page, err := s.backfillPage(ctx, tx, after)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if err := s.rollup(ctx, tx, page); err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO rollup_meta (name, done_ms) VALUES ('backfill', ?)"), time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("central: rollup backfill: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("central: rollup backfill: commit: %w", err)
	}
	return nil
}

func (s *SQLStore) backfillPage(ctx context.Context, tx *sql.Tx, after string) ([]Row, error) {
	return s.storedRows(ctx, tx, "WHERE id > ? ORDER BY id LIMIT 2000", after)
}
