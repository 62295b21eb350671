package central

import (
	"context"
	"database/sql"
	"fmt"
)

// Arrival order. Every record gets, when it is stored, its arrival: a
// number larger than that of every record committed before it. Paging
// (Filter.After, GET /api/v1/records?after=) follows arrival, so a reader
// that pages sees every record once, also one that a pad offline for a
// week sends with last week's "at".
//
// On SQLite, writers are one at a time: a trigger gives each new row the
// largest arrival + 1.
//
// On PostgreSQL, a sequence gives the numbers, but a sequence value is
// taken before its transaction commits: hub A takes 10, hub B takes 11 and
// commits first, a reader sees 11 and pages past 10, which commits after.
// So each insert transaction takes a transaction-scoped advisory lock
// (lockArrival) before it takes any number, and holds it until it commits:
// transactions commit in the order of their numbers, and what a reader
// sees is always every record up to some arrival, nothing missing below.
// The price: inserts into one database are one at a time (each a batch of
// up to MaxBatch records; see README for the figures).
//
// Tables made before arrival existed are given it when the store opens,
// in (at, id) order: the order their readers paged in.

// arrivalLockKey is the advisory lock of a schema's arrival numbers (one
// per schema: two centrals in two schemas of one database do not wait on
// each other).
const arrivalLockKey = "hashtext('evalhub records arrival ' || current_schema())"

// lockArrival serializes the transactions that number records (PostgreSQL;
// SQLite writers are serialized already).
func (s *SQLStore) lockArrival(ctx context.Context, tx *sql.Tx) error {
	if s.d.name != "postgres" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+arrivalLockKey+")"); err != nil {
		return fmt.Errorf("central: insert: arrival lock: %w", err)
	}
	return nil
}

// migrateArrival adds the arrival column to a records table that lacks
// it, numbers the records without one in (at, id) order, and makes new
// rows get theirs.
func (s *SQLStore) migrateArrival(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("central: migrate arrival: %w", err)
	}
	defer tx.Rollback()
	// Only when the column is added are the records numbered: once it is
	// there, every insert numbers its rows (the default, the trigger), and
	// opening a large store reads none of them.
	var stmts []string
	if s.d.name == "postgres" {
		if err := s.lockArrival(ctx, tx); err != nil { // two hubs starting at once
			return err
		}
		has, err := s.hasArrival(ctx, tx, `SELECT COUNT(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'records' AND column_name = 'arrival'`)
		if err != nil {
			return err
		}
		if !has {
			stmts = []string{
				`CREATE SEQUENCE IF NOT EXISTS records_arrival_seq`,
				`ALTER TABLE records ADD COLUMN arrival BIGINT`,
				backfillArrival,
				`SELECT setval('records_arrival_seq', GREATEST((SELECT MAX(arrival) FROM records), 1))`,
				`ALTER TABLE records ALTER COLUMN arrival SET DEFAULT nextval('records_arrival_seq')`,
			}
		}
		stmts = append(stmts, `CREATE INDEX IF NOT EXISTS records_arrival ON records (arrival)`)
	} else {
		has, err := s.hasArrival(ctx, tx, `SELECT COUNT(*) FROM pragma_table_info('records') WHERE name = 'arrival'`)
		if err != nil {
			return err
		}
		if !has {
			stmts = []string{`ALTER TABLE records ADD COLUMN arrival INTEGER`, backfillArrival}
		}
		stmts = append(stmts, `CREATE INDEX IF NOT EXISTS records_arrival ON records (arrival)`,
			`CREATE TRIGGER IF NOT EXISTS records_arrival AFTER INSERT ON records WHEN NEW.arrival IS NULL BEGIN
				UPDATE records SET arrival = (SELECT COALESCE(MAX(arrival), 0) + 1 FROM records) WHERE rowid = NEW.rowid;
			END`)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("central: migrate arrival (%s): %w", s.d.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("central: migrate arrival: %w", err)
	}
	return nil
}

// hasArrival runs q, a count of the records table's arrival columns.
func (s *SQLStore) hasArrival(ctx context.Context, tx *sql.Tx, q string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("central: migrate arrival: %w", err)
	}
	return n > 0, nil
}

// backfillArrival numbers the records without an arrival after the
// largest one, in (at, id) order. Both databases run it as it is.
const backfillArrival = `UPDATE records SET arrival = x.n
	FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY at_ms, id) + (SELECT COALESCE(MAX(arrival), 0) FROM records) AS n
		FROM records WHERE arrival IS NULL) AS x
	WHERE records.id = x.id`
