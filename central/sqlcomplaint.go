package central

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// complaintSchema: complaints holds one case per 差评 (complaint.go);
// complaint_log its steps, append-only: rows are only ever inserted (the
// code has no UPDATE or DELETE of it). alerted: 0 until an alerter claims
// the case (alert.go), 1 after.
var complaintSchema = []string{
	`CREATE TABLE IF NOT EXISTS complaints (
		id TEXT PRIMARY KEY,
		stars INTEGER NOT NULL,
		channel TEXT NOT NULL,
		reasons TEXT NOT NULL,
		hall TEXT NOT NULL,
		win TEXT NOT NULL,
		staff_id TEXT NOT NULL,
		staff_name TEXT NOT NULL,
		day TEXT NOT NULL,
		at TEXT NOT NULL,
		at_ms BIGINT NOT NULL,
		opened_ms BIGINT NOT NULL,
		state TEXT NOT NULL,
		unit TEXT NOT NULL,
		person TEXT NOT NULL,
		appeal TEXT NOT NULL,
		mark TEXT NOT NULL,
		rectified_ms BIGINT NOT NULL,
		appealed_ms BIGINT NOT NULL,
		closed_ms BIGINT NOT NULL,
		alerted SMALLINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS complaints_alerted ON complaints (alerted, opened_ms, id)`,
	`CREATE TABLE IF NOT EXISTS complaint_log (
		complaint_id TEXT NOT NULL,
		n INTEGER NOT NULL,
		at_ms BIGINT NOT NULL,
		action TEXT NOT NULL,
		by_who TEXT NOT NULL,
		from_state TEXT NOT NULL,
		to_state TEXT NOT NULL,
		note TEXT NOT NULL,
		PRIMARY KEY (complaint_id, n))`,
}

// appendOnly makes the database itself refuse an UPDATE or DELETE of
// complaint_log rows, whoever runs it.
func (s *SQLStore) appendOnly() []string {
	if s.d.name == "postgres" {
		return []string{
			`CREATE OR REPLACE FUNCTION complaint_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'complaint_log is append-only'; END $$`,
			`CREATE OR REPLACE TRIGGER complaint_log_append_only BEFORE UPDATE OR DELETE ON complaint_log
			FOR EACH ROW EXECUTE FUNCTION complaint_log_append_only()`,
		}
	}
	return []string{
		`CREATE TRIGGER IF NOT EXISTS complaint_log_no_update BEFORE UPDATE ON complaint_log
		BEGIN SELECT RAISE(ABORT, 'complaint_log is append-only'); END`,
		`CREATE TRIGGER IF NOT EXISTS complaint_log_no_delete BEFORE DELETE ON complaint_log
		BEGIN SELECT RAISE(ABORT, 'complaint_log is append-only'); END`,
	}
}

const complaintCols = "id, stars, channel, reasons, hall, win, staff_id, staff_name, day, at, at_ms, opened_ms, state, unit, person, appeal, mark, rectified_ms, appealed_ms, closed_ms"

// openComplaints opens a case for each 差评 among fresh (newly stored),
// inside Insert's transaction: a 差评 is never stored without its case.
func (s *SQLStore) openComplaints(ctx context.Context, tx *sql.Tx, fresh []Row) error {
	for i := range fresh {
		r := &fresh[i]
		if !isBad(&r.Record) {
			continue
		}
		reasons, _ := json.Marshal(nonNil(r.Reasons))
		opened := r.ReceivedAt.UnixMilli()
		res, err := tx.ExecContext(ctx, "INSERT INTO complaints ("+complaintCols+", alerted) VALUES ("+s.phs(1, 21)+") ON CONFLICT (id) DO NOTHING",
			r.ID, int(r.Stars), channelOf(&r.Record), string(reasons), r.Hall, r.Window, r.Staff.ID, r.Staff.Name, r.Day, r.At, r.AtUTC.UnixMilli(), opened,
			StateVerify, r.Hall, r.Staff.ID, "", "", 0, 0, 0, 0)
		if err != nil {
			return fmt.Errorf("central: open complaint %s: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if err := s.logStep(ctx, tx, r.ID, 1, opened, "open", "central", "", StateVerify, fmt.Sprintf("%d★ via %s", r.Stars, channelOf(&r.Record))); err != nil {
			return err
		}
	}
	return nil
}

func (s *SQLStore) logStep(ctx context.Context, tx *sql.Tx, id string, n int, ms int64, action, by, from, to, note string) error {
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO complaint_log (complaint_id, n, at_ms, action, by_who, from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
		id, n, ms, action, safeText(by), from, to, safeText(note))
	if err != nil {
		return fmt.Errorf("central: complaint %s log: %w", id, err)
	}
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanComplaint(rs rowScanner) (Complaint, error) {
	var c Complaint
	var reasons string
	var closed int64
	err := rs.Scan(&c.ID, &c.Stars, &c.Channel, &reasons, &c.Hall, &c.Window, &c.StaffID, &c.StaffName, &c.Day, &c.At, &c.atMS, &c.openedMS,
		&c.State, &c.Unit, &c.Person, &c.Appeal, &c.Mark, &c.rectifiedMS, &c.appealedMS, &closed)
	if err != nil {
		return c, err
	}
	c.RecordID = c.ID
	json.Unmarshal([]byte(reasons), &c.Reasons)
	c.Opened = msTime(c.openedMS)
	c.Rectified, c.Appealed, c.Closed = msTime(c.rectifiedMS), msTime(c.appealedMS), msTime(closed)
	return c, nil
}

func msTime(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

// Complaints implements ComplaintStore: cases in the order they were
// opened (opened, id), after q.After. Overdue is left to the caller
// (deadlines need the calendar): see API.complaints.
func (s *SQLStore) Complaints(ctx context.Context, q ComplaintQuery) ([]Complaint, error) {
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"hall", q.Hall}, {"win", q.Window}, {"staff_id", q.StaffID}, {"state", q.State}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if q.Open || q.Overdue {
		where = append(where, "state NOT IN (?, ?)")
		args = append(args, StateClosed, StateUpheld)
	}
	if q.After != "" {
		where = append(where, "(opened_ms, id) > (SELECT opened_ms, id FROM complaints WHERE id = ?)")
		args = append(args, q.After)
	}
	query := "SELECT " + complaintCols + " FROM complaints"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY opened_ms, id"
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rs, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("central: complaints: %w", err)
	}
	defer rs.Close()
	out := []Complaint{}
	for rs.Next() {
		c, err := scanComplaint(rs)
		if err != nil {
			return nil, fmt.Errorf("central: complaints: %w", err)
		}
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("central: complaints: %w", err)
	}
	return out, nil
}

// Complaint implements ComplaintStore: the case with its log.
func (s *SQLStore) Complaint(ctx context.Context, id string) (Complaint, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Complaint{}, fmt.Errorf("central: complaint: %w", err)
	}
	defer tx.Rollback()
	return s.complaintIn(ctx, tx, id)
}

func (s *SQLStore) complaintIn(ctx context.Context, tx *sql.Tx, id string) (Complaint, error) {
	c, err := scanComplaint(tx.QueryRowContext(ctx, s.q("SELECT "+complaintCols+" FROM complaints WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("central: complaint %s: %w", id, ErrNoComplaint)
	}
	if err != nil {
		return c, fmt.Errorf("central: complaint %s: %w", id, err)
	}
	rs, err := tx.QueryContext(ctx, s.q("SELECT n, at_ms, action, by_who, from_state, to_state, note FROM complaint_log WHERE complaint_id = ? ORDER BY n"), id)
	if err != nil {
		return c, fmt.Errorf("central: complaint %s log: %w", id, err)
	}
	defer rs.Close()
	for rs.Next() {
		var st ComplaintStep
		var ms int64
		if err := rs.Scan(&st.N, &ms, &st.Action, &st.By, &st.From, &st.To, &st.Note); err != nil {
			return c, fmt.Errorf("central: complaint %s log: %w", id, err)
		}
		st.At = msTime(ms)
		c.Log = append(c.Log, st)
	}
	return c, rs.Err()
}

// ActOn implements ComplaintStore: applies a to the case in one
// transaction with its log step; an upheld appeal also takes the rating
// out of the figures (the rollup deltas) in that transaction.
func (s *SQLStore) ActOn(ctx context.Context, id string, a Action, now time.Time, rules ComplaintRules) (Complaint, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Complaint{}, fmt.Errorf("central: complaint: begin: %w", err)
	}
	defer tx.Rollback()
	old, err := s.complaintIn(ctx, tx, id)
	if err != nil {
		return old, err
	}
	c, err := rules.next(old, a, now)
	if err != nil {
		return old, err
	}
	closed := int64(0)
	if closedState(c.State) {
		closed = now.UnixMilli()
	}
	// Conditional on the state read: a concurrent action (another hub)
	// makes this one a conflict rather than a lost step. On PostgreSQL the
	// UPDATE also locks the row until commit, so the log's n is ours.
	res, err := tx.ExecContext(ctx, s.q(`UPDATE complaints SET state = ?, unit = ?, person = ?, appeal = ?, mark = ?, rectified_ms = ?, appealed_ms = ?, closed_ms = ?
		WHERE id = ? AND state = ? AND appeal = ?`),
		c.State, safeText(c.Unit), safeText(c.Person), c.Appeal, c.Mark, c.rectifiedMS, c.appealedMS, closed, id, old.State, old.Appeal)
	if err != nil {
		return old, fmt.Errorf("central: complaint %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return old, fmt.Errorf("%w: the case changed meanwhile; read it again", ErrConflict)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT COALESCE(MAX(n), 0) + 1 FROM complaint_log WHERE complaint_id = ?"), id).Scan(&n); err != nil {
		return old, fmt.Errorf("central: complaint %s log: %w", id, err)
	}
	from, to := old.State, c.State
	if a.Name == "appeal" || a.Name == "review" {
		from, to = old.State+"/"+old.Appeal, c.State+"/"+c.Appeal
	}
	note := a.Note
	if c.Mark != "" && old.Mark == "" {
		note = strings.TrimSpace("标记 " + c.Mark + "; " + note)
	}
	if err := s.logStep(ctx, tx, id, n, now.UnixMilli(), a.Name, a.By, from, to, note); err != nil {
		return old, err
	}
	if c.Mark != "" && old.Mark == "" {
		row, err := s.storedRow(ctx, tx, id)
		if err != nil {
			return old, err
		}
		d := newDeltas()
		d.add(row, false, -1)
		if err := s.writeDeltas(ctx, tx, d); err != nil {
			return old, err
		}
	}
	out, err := s.complaintIn(ctx, tx, id)
	if err != nil {
		return old, err
	}
	if err := tx.Commit(); err != nil {
		return old, fmt.Errorf("central: complaint %s: commit: %w", id, err)
	}
	return out, nil
}
