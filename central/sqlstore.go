package central

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// ph returns the nth (1-based) placeholder.
	ph func(n int) string
}

var (
	sqliteDialect   = dialect{name: "sqlite", ph: func(int) string { return "?" }}
	postgresDialect = dialect{name: "postgres", ph: func(n int) string { return "$" + strconv.Itoa(n) }}
)

// SQLStore is the Store on SQLite (modernc.org/sqlite, pure Go) or
// PostgreSQL (jackc/pgx). Both run the same statements but for placeholders.
type SQLStore struct {
	db *sql.DB
	d  dialect
}

var _ Store = (*SQLStore)(nil)

// Open opens the store named by dsn and creates its tables:
//
//	postgres://user@host:5432/db?search_path=…   PostgreSQL
//	sqlite:PATH or a file path                    SQLite (WAL, synchronous=FULL)
func Open(ctx context.Context, dsn string) (*SQLStore, error) {
	var s *SQLStore
	switch {
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("central: open postgres: %w", err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		s = &SQLStore{db: db, d: postgresDialect}
	default:
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("central: open sqlite: no path")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("central: open sqlite: %w", err)
		}
		if err := privateFile(path); err != nil {
			return nil, fmt.Errorf("central: open sqlite: %w", err)
		}
		q := url.Values{}
		for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"} {
			q.Add("_pragma", p)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("central: open sqlite %s: %w", path, err)
		}
		db.SetMaxOpenConns(1) // one writer; readers wait their turn
		s = &SQLStore{db: db, d: sqliteDialect}
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// privateFile creates the database file at path 0600, or makes an existing
// one 0600: SQLite gives its -wal and -shm files the database file's mode.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	err = f.Chmod(0o600)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// safeText is s as any database stores text: invalid UTF-8 and NUL (which
// PostgreSQL refuses in TEXT) become U+FFFD. Rejected bodies are whatever a
// client sent.
func safeText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS records (
		id TEXT PRIMARY KEY,
		device_id TEXT NOT NULL,
		seq BIGINT NOT NULL,
		kind TEXT NOT NULL,
		area_code TEXT NOT NULL,
		hall TEXT NOT NULL,
		win TEXT NOT NULL,
		staff_id TEXT NOT NULL,
		staff_name TEXT NOT NULL,
		session_id TEXT NOT NULL,
		mode TEXT NOT NULL,
		stars INTEGER NOT NULL,
		good BOOLEAN NOT NULL,
		reasons TEXT NOT NULL,
		flags TEXT NOT NULL,
		day TEXT NOT NULL,
		at TEXT NOT NULL,
		at_ms BIGINT NOT NULL,
		received_ms BIGINT NOT NULL,
		items TEXT NOT NULL,
		body TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS records_at ON records (at_ms, id)`,
	`CREATE INDEX IF NOT EXISTS records_day ON records (day, hall, win)`,
	`CREATE TABLE IF NOT EXISTS rejected (
		id TEXT PRIMARY KEY,
		device_id TEXT NOT NULL,
		reason TEXT NOT NULL,
		body TEXT NOT NULL,
		received_ms BIGINT NOT NULL)`,
}

func (s *SQLStore) migrate(ctx context.Context) error {
	for _, q := range slices.Concat(schema, registrySchema, firmwareSchema, seqSchema, scopeSchema, statusSchema, complaintSchema, s.appendOnly(), alertSchema) {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("central: create tables (%s): %w", s.d.name, err)
		}
	}
	if err := s.migrateArrival(ctx); err != nil {
		return err
	}
	return s.migrateRollup(ctx)
}

// Close closes the database.
func (s *SQLStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("central: close: %w", err)
	}
	return nil
}

const recordCols = "id, device_id, seq, kind, area_code, hall, win, staff_id, staff_name, session_id, mode, stars, good, reasons, flags, day, at, at_ms, received_ms, items, body"
const nRecordCols = 21

// items is the record's items for the item filter: "|code|name|code|name|".
func items(r *Row) string {
	var b strings.Builder
	b.WriteByte('|')
	for _, c := range r.Cases {
		for _, v := range []string{c.TaskCode, c.TaskName} {
			if v != "" {
				b.WriteString(strings.ReplaceAll(v, "|", "¦"))
				b.WriteByte('|')
			}
		}
	}
	return b.String()
}

// likeEscape escapes LIKE's wildcards in v (escape character \).
func likeEscape(v string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(v)
}

// rowsPerStatement keeps a statement's parameters under SQLite's limit.
const rowsPerStatement = 400

// Insert implements Store.
func (s *SQLStore) Insert(ctx context.Context, rows []Row, rejects []Reject) (Inserted, error) {
	var res Inserted
	// One row per id: a resend inside one message counts as a duplicate.
	seen := make(map[string]string, len(rows)) // id → device
	uniq := rows[:0:0]
	for _, r := range rows {
		if dev, ok := seen[r.ID]; ok {
			if dev != r.DeviceID {
				res.Refused = append(res.Refused, foreign(r, dev))
			} else {
				res.Duplicate++
			}
			continue
		}
		seen[r.ID] = r.DeviceID
		uniq = append(uniq, r)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Inserted{}, fmt.Errorf("central: insert: begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.lockArrival(ctx, tx); err != nil {
		return Inserted{}, err
	}
	var fresh, stored []Row
	for i := 0; i < len(uniq); i += rowsPerStatement {
		chunk := uniq[i:min(i+rowsPerStatement, len(uniq))]
		ids, err := s.insertRecords(ctx, tx, chunk)
		if err != nil {
			return Inserted{}, err
		}
		for _, r := range chunk {
			if ids[r.ID] {
				fresh = append(fresh, r)
			} else {
				stored = append(stored, r)
			}
		}
	}
	// Stored before: a resend, unless the stored record is another device's.
	owners, err := s.owners(ctx, tx, stored)
	if err != nil {
		return Inserted{}, err
	}
	for _, r := range stored {
		if dev := owners[r.ID]; dev != "" && dev != r.DeviceID {
			res.Refused = append(res.Refused, foreign(r, dev))
		} else {
			res.Duplicate++
		}
	}
	res.New = len(fresh)
	if err := s.rollup(ctx, tx, fresh); err != nil {
		return Inserted{}, err
	}
	rejects = append(rejects[:len(rejects):len(rejects)], res.Refused...)
	done := make(map[string]bool, len(rejects))
	for _, rj := range rejects {
		if done[rj.ID] {
			continue
		}
		done[rj.ID] = true
		q := "INSERT INTO rejected (id, device_id, reason, body, received_ms) VALUES (" + s.phs(1, 5) + ") ON CONFLICT (id) DO NOTHING"
		r, err := tx.ExecContext(ctx, q, rj.ID, rj.DeviceID, safeText(rj.Reason), safeText(string(rj.Body)), rj.ReceivedAt.UnixMilli())
		if err != nil {
			return Inserted{}, fmt.Errorf("central: insert reject %s: %w", rj.ID, err)
		}
		if n, _ := r.RowsAffected(); n > 0 && !slices.ContainsFunc(res.Refused, func(f Reject) bool { return f.ID == rj.ID }) {
			res.Rejected++
		}
	}
	if err := tx.Commit(); err != nil {
		return Inserted{}, fmt.Errorf("central: insert: commit: %w", err)
	}
	return res, nil
}

// foreign is the reject of r, whose id is stored for device dev.
func foreign(r Row, dev string) Reject {
	return Reject{ID: r.ID, DeviceID: r.DeviceID, Reason: fmt.Sprintf("id: already stored for device %s", dev), Body: r.Body, ReceivedAt: r.ReceivedAt}
}

// owners maps the ids of rows (stored already) to their stored device.
func (s *SQLStore) owners(ctx context.Context, tx *sql.Tx, rows []Row) (map[string]string, error) {
	out := map[string]string{}
	for i := 0; i < len(rows); i += rowsPerStatement {
		chunk := rows[i:min(i+rowsPerStatement, len(rows))]
		args := make([]any, len(chunk))
		for j, r := range chunk {
			args[j] = r.ID
		}
		rs, err := tx.QueryContext(ctx, "SELECT id, device_id FROM records WHERE id IN ("+s.phs(1, len(chunk))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("central: insert: owners: %w", err)
		}
		for rs.Next() {
			var id, dev string
			if err := rs.Scan(&id, &dev); err != nil {
				rs.Close()
				return nil, fmt.Errorf("central: insert: owners: %w", err)
			}
			out[id] = dev
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return nil, fmt.Errorf("central: insert: owners: %w", err)
		}
	}
	return out, nil
}

// phs is the placeholders from..from+n-1, comma-separated.
func (s *SQLStore) phs(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.d.ph(from + i))
	}
	return b.String()
}

func (s *SQLStore) insertRecords(ctx context.Context, tx *sql.Tx, rows []Row) (map[string]bool, error) {
	if s.d.name == "postgres" {
		return s.insertRecordsPG(ctx, tx, rows)
	}
	var q strings.Builder
	q.WriteString("INSERT INTO records (" + recordCols + ") VALUES ")
	args := make([]any, 0, len(rows)*nRecordCols)
	for i, r := range rows {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(" + s.phs(len(args)+1, nRecordCols) + ")")
		reasons, _ := json.Marshal(nonNil(r.Reasons))
		flags, _ := json.Marshal(nonNil(r.Flags))
		args = append(args, r.ID, r.DeviceID, int64(r.Seq), string(r.Kind), r.AreaCode, r.Hall, r.Window,
			r.Staff.ID, r.Staff.Name, r.SessionID, string(r.Mode), int(r.Stars), r.Good, string(reasons), string(flags),
			r.Day, r.At, r.AtUTC.UnixMilli(), r.ReceivedAt.UnixMilli(), items(&r), string(r.Body))
	}
	// A record stored as a reject earlier stays there; a record stored
	// already is skipped: ON CONFLICT on the primary key.
	q.WriteString(" ON CONFLICT (id) DO NOTHING RETURNING id")
	res, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("central: insert records: %w", err)
	}
	defer res.Close()
	ids := make(map[string]bool, len(rows))
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			return nil, fmt.Errorf("central: insert records: %w", err)
		}
		ids[id] = true
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("central: insert records: %w", err)
	}
	return ids, nil
}

// insertRecordsPG sends each column as one array (unnest): a few large
// parameters instead of 20 per row, several times faster on PostgreSQL.
func (s *SQLStore) insertRecordsPG(ctx context.Context, tx *sql.Tx, rows []Row) (map[string]bool, error) {
	n := len(rows)
	var (
		id, dev, kind, area, hall, win, sid, sname, sess, mode, reasons, flags, day, at, its, body = mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n), mk(n)
		seq, atMS, recvMS                                                                          = make([]int64, n), make([]int64, n), make([]int64, n)
		stars                                                                                      = make([]int32, n)
		good                                                                                       = make([]bool, n)
	)
	for i, r := range rows {
		rs, _ := json.Marshal(nonNil(r.Reasons))
		fl, _ := json.Marshal(nonNil(r.Flags))
		id[i], dev[i], seq[i], kind[i], area[i], hall[i], win[i] = r.ID, r.DeviceID, int64(r.Seq), string(r.Kind), r.AreaCode, r.Hall, r.Window
		sid[i], sname[i], sess[i], mode[i], stars[i], good[i] = r.Staff.ID, r.Staff.Name, r.SessionID, string(r.Mode), int32(r.Stars), r.Good
		reasons[i], flags[i], day[i], at[i], atMS[i], recvMS[i], body[i] = string(rs), string(fl), r.Day, r.At, r.AtUTC.UnixMilli(), r.ReceivedAt.UnixMilli(), string(r.Body)
		its[i] = items(&rows[i])
	}
	q := "INSERT INTO records (" + recordCols + ") SELECT * FROM unnest(" +
		"$1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], " +
		"$11::text[], $12::int[], $13::bool[], $14::text[], $15::text[], $16::text[], $17::text[], $18::bigint[], $19::bigint[], $20::text[], $21::text[]) " +
		"ON CONFLICT (id) DO NOTHING RETURNING id"
	res, err := tx.QueryContext(ctx, q, id, dev, seq, kind, area, hall, win, sid, sname, sess, mode, stars, good, reasons, flags, day, at, atMS, recvMS, its, body)
	if err != nil {
		return nil, fmt.Errorf("central: insert records: %w", err)
	}
	defer res.Close()
	ids := make(map[string]bool, n)
	for res.Next() {
		var v string
		if err := res.Scan(&v); err != nil {
			return nil, fmt.Errorf("central: insert records: %w", err)
		}
		ids[v] = true
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("central: insert records: %w", err)
	}
	return ids, nil
}

func mk(n int) []string { return make([]string, n) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Records implements Store.
func (s *SQLStore) Records(ctx context.Context, f Filter) ([]Row, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", s.d.ph(len(args))))
	}
	if f.DeviceID != "" {
		add("device_id = ?", f.DeviceID)
	}
	if f.Hall != "" {
		add("hall = ?", f.Hall)
	}
	if f.Window != "" {
		add("win = ?", f.Window)
	}
	if f.StaffID != "" {
		add("staff_id = ?", f.StaffID)
	}
	if len(f.Windows) > 0 {
		cond, wargs := windowsCond(f.Windows, func() string { args = append(args, nil); return s.d.ph(len(args)) })
		copy(args[len(args)-len(wargs):], wargs)
		where = append(where, cond)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.Stars != 0 {
		add("stars = ?", f.Stars)
	}
	if f.Good != nil {
		add("good = ?", *f.Good)
	}
	if f.From != "" {
		add("day >= ?", f.From)
	}
	if f.To != "" {
		add("day <= ?", f.To)
	}
	if f.Item != "" {
		args = append(args, "%|"+likeEscape(strings.ReplaceAll(f.Item, "|", "¦"))+"|%")
		where = append(where, "items LIKE "+s.d.ph(len(args))+` ESCAPE '\'`)
	}
	if f.Flag != "" {
		b, _ := json.Marshal(f.Flag)
		add("flags LIKE ?", "%"+string(b)+"%")
	}
	if f.After != "" {
		args = append(args, f.After)
		p := s.d.ph(len(args))
		where = append(where, "arrival > (SELECT arrival FROM records WHERE id = "+p+")")
	}
	q := "SELECT body, day, at_ms, received_ms FROM records"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Newest {
		q += " ORDER BY at_ms DESC, id DESC"
	} else {
		q += " ORDER BY arrival" // arrival.go
	}
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rs, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("central: records: %w", err)
	}
	return scanRows(rs)
}

// scanRows reads the rows of a query of "body, day, at_ms, received_ms"
// from records, and closes rs.
func scanRows(rs *sql.Rows) ([]Row, error) {
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var body string
		var r Row
		var at, recv int64
		if err := rs.Scan(&body, &r.Day, &at, &recv); err != nil {
			return nil, fmt.Errorf("central: records: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &r.Record); err != nil {
			return nil, fmt.Errorf("central: records: stored body: %w", err)
		}
		r.Body = json.RawMessage(body)
		r.AtUTC, r.ReceivedAt = time.UnixMilli(at).UTC(), time.UnixMilli(recv).UTC()
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("central: records: %w", err)
	}
	return out, nil
}

// Count is how many records are stored.
func (s *SQLStore) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM records").Scan(&n); err != nil {
		return 0, fmt.Errorf("central: count: %w", err)
	}
	return n, nil
}

// Rejected lists the rejected records (newest last).
func (s *SQLStore) Rejected(ctx context.Context) ([]Reject, error) {
	rs, err := s.db.QueryContext(ctx, "SELECT id, device_id, reason, body, received_ms FROM rejected ORDER BY received_ms, id")
	if err != nil {
		return nil, fmt.Errorf("central: rejected: %w", err)
	}
	defer rs.Close()
	var out []Reject
	for rs.Next() {
		var r Reject
		var body string
		var ms int64
		if err := rs.Scan(&r.ID, &r.DeviceID, &r.Reason, &body, &ms); err != nil {
			return nil, fmt.Errorf("central: rejected: %w", err)
		}
		r.Body, r.ReceivedAt = []byte(body), time.UnixMilli(ms).UTC()
		out = append(out, r)
	}
	return out, rs.Err()
}
