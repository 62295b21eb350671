package central

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"evalpad/sync/protocol"
)

// The firmware tables, created by migrate beside the records:
//
//	firmware       sha256 PK (of the whole artifact file), version, arch, kind, size,
//	               min_version, store_format, key_id, published_ms
//	rollouts       id PK, version, arch, kind, sha256, size, target (JSON: hall, devices,
//	               percent), canary, batch, max_failures, timeout_ms, state, reason,
//	               created_ms, updated_ms
//	rollout_pads   (rollout_id, device_id) PK, pos (order of sending), canary, state,
//	               cmd_id (the update command's id), bytes, total, error, sent_ms, updated_ms
var firmwareSchema = []string{
	`CREATE TABLE IF NOT EXISTS firmware (
		sha256 TEXT PRIMARY KEY,
		version TEXT NOT NULL,
		arch TEXT NOT NULL,
		kind TEXT NOT NULL,
		size BIGINT NOT NULL,
		min_version TEXT NOT NULL,
		store_format INTEGER NOT NULL,
		key_id TEXT NOT NULL,
		published_ms BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS firmware_version ON firmware (version, arch)`,
	`CREATE TABLE IF NOT EXISTS rollouts (
		id TEXT PRIMARY KEY,
		version TEXT NOT NULL,
		arch TEXT NOT NULL,
		kind TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		size BIGINT NOT NULL,
		target TEXT NOT NULL,
		canary INTEGER NOT NULL,
		batch INTEGER NOT NULL,
		max_failures DOUBLE PRECISION NOT NULL,
		timeout_ms BIGINT NOT NULL,
		state TEXT NOT NULL,
		reason TEXT NOT NULL,
		created_ms BIGINT NOT NULL,
		updated_ms BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS rollout_pads (
		rollout_id TEXT NOT NULL,
		device_id TEXT NOT NULL,
		pos INTEGER NOT NULL,
		canary BOOLEAN NOT NULL,
		state TEXT NOT NULL,
		cmd_id TEXT NOT NULL,
		bytes BIGINT NOT NULL,
		total BIGINT NOT NULL,
		error TEXT NOT NULL,
		sent_ms BIGINT NOT NULL,
		updated_ms BIGINT NOT NULL,
		PRIMARY KEY (rollout_id, device_id))`,
	`CREATE INDEX IF NOT EXISTS rollout_pads_cmd ON rollout_pads (cmd_id)`,
}

const firmwareCols = "sha256, version, arch, kind, size, min_version, store_format, key_id, published_ms"

func scanFirmware(sc scanner) (Firmware, error) {
	var f Firmware
	var ms int64
	if err := sc.Scan(&f.SHA256, &f.Version, &f.Arch, &f.Kind, &f.Size, &f.MinVersion, &f.StoreFormat, &f.KeyID, &ms); err != nil {
		return Firmware{}, err
	}
	f.PublishedAt = time.UnixMilli(ms).UTC()
	return f, nil
}

// AddFirmware records a published artifact. Publishing one file again
// changes nothing (the first publication is kept); it reports whether the
// row is new.
func (s *SQLStore) AddFirmware(ctx context.Context, f Firmware) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q("INSERT INTO firmware ("+firmwareCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING"),
		f.SHA256, f.Version, f.Arch, f.Kind, f.Size, f.MinVersion, f.StoreFormat, f.KeyID, f.PublishedAt.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("central: add firmware: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Firmware is the published artifact whose file has sha (ErrNoFirmware).
func (s *SQLStore) Firmware(ctx context.Context, sha string) (Firmware, error) {
	f, err := scanFirmware(s.db.QueryRowContext(ctx, s.q("SELECT "+firmwareCols+" FROM firmware WHERE sha256 = ?"), sha))
	if errors.Is(err, sql.ErrNoRows) {
		return Firmware{}, fmt.Errorf("%w: %s", ErrNoFirmware, sha)
	}
	if err != nil {
		return Firmware{}, fmt.Errorf("central: firmware: %w", err)
	}
	return f, nil
}

// Firmwares lists the published artifacts, newest first; a non-empty
// version keeps that version's only.
func (s *SQLStore) Firmwares(ctx context.Context, version string) ([]Firmware, error) {
	q, args := "SELECT "+firmwareCols+" FROM firmware", []any{}
	if version != "" {
		q, args = q+" WHERE version = ?", append(args, version)
	}
	rs, err := s.db.QueryContext(ctx, s.q(q+" ORDER BY published_ms DESC, sha256"), args...)
	if err != nil {
		return nil, fmt.Errorf("central: firmware: %w", err)
	}
	defer rs.Close()
	out := []Firmware{}
	for rs.Next() {
		f, err := scanFirmware(rs)
		if err != nil {
			return nil, fmt.Errorf("central: firmware: %w", err)
		}
		out = append(out, f)
	}
	return out, rs.Err()
}

// LatestHall is the hall of device's newest record, "" when it has none.
func (s *SQLStore) LatestHall(ctx context.Context, device string) (string, error) {
	var hall string
	err := s.db.QueryRowContext(ctx, s.q("SELECT hall FROM records WHERE device_id = ? ORDER BY at_ms DESC, id DESC LIMIT 1"), device).Scan(&hall)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("central: latest hall of %s: %w", device, err)
	}
	return hall, nil
}

// AddRollout stores a new rollout and its pads in one transaction.
func (s *SQLStore) AddRollout(ctx context.Context, r Rollout) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("central: add rollout: %w", err)
	}
	defer tx.Rollback()
	target, _ := json.Marshal(r.Target)
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollouts (id, version, arch, kind, sha256, size, target, canary, batch,
		max_failures, timeout_ms, state, reason, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.Version, r.Arch, r.Kind, r.SHA256, r.Size, string(target), r.Canary, r.Batch, r.MaxFailures,
		r.Timeout.Milliseconds(), r.State, r.Reason, r.CreatedAt.UnixMilli(), r.UpdatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("central: add rollout: %w", err)
	}
	for i := 0; i < len(r.Pads); i += rowsPerStatement / 8 {
		chunk := r.Pads[i:min(i+rowsPerStatement/8, len(r.Pads))]
		var q strings.Builder
		q.WriteString("INSERT INTO rollout_pads (rollout_id, device_id, pos, canary, state, cmd_id, bytes, total, error, sent_ms, updated_ms) VALUES ")
		args := make([]any, 0, len(chunk)*11)
		for j, p := range chunk {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(" + s.phs(len(args)+1, 11) + ")")
			args = append(args, r.ID, p.DeviceID, p.Pos, p.Canary, p.State, "", 0, 0, "", 0, r.CreatedAt.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("central: add rollout pads: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("central: add rollout: %w", err)
	}
	return nil
}

const rolloutCols = "id, version, arch, kind, sha256, size, target, canary, batch, max_failures, timeout_ms, state, reason, created_ms, updated_ms"

func scanRollout(sc scanner) (Rollout, error) {
	var r Rollout
	var target string
	var timeout, created, updated int64
	if err := sc.Scan(&r.ID, &r.Version, &r.Arch, &r.Kind, &r.SHA256, &r.Size, &target, &r.Canary, &r.Batch, &r.MaxFailures,
		&timeout, &r.State, &r.Reason, &created, &updated); err != nil {
		return Rollout{}, err
	}
	if err := json.Unmarshal([]byte(target), &r.Target); err != nil {
		return Rollout{}, fmt.Errorf("rollout %s: stored target: %w", r.ID, err)
	}
	r.Timeout = protocol.Duration{Duration: time.Duration(timeout) * time.Millisecond}
	r.CreatedAt, r.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, nil
}

// Rollout is the rollout id with its pads in order (ErrNoRollout).
func (s *SQLStore) Rollout(ctx context.Context, id string) (Rollout, error) {
	r, err := scanRollout(s.db.QueryRowContext(ctx, s.q("SELECT "+rolloutCols+" FROM rollouts WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Rollout{}, fmt.Errorf("%w: %s", ErrNoRollout, id)
	}
	if err != nil {
		return Rollout{}, fmt.Errorf("central: rollout: %w", err)
	}
	if r.Pads, err = s.rolloutPads(ctx, id); err != nil {
		return Rollout{}, err
	}
	r.count()
	return r, nil
}

// RolloutState is the state of rollout id (ErrNoRollout).
func (s *SQLStore) RolloutState(ctx context.Context, id string) (string, error) {
	var state string
	err := s.db.QueryRowContext(ctx, s.q("SELECT state FROM rollouts WHERE id = ?"), id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: %s", ErrNoRollout, id)
	}
	if err != nil {
		return "", fmt.Errorf("central: rollout: %w", err)
	}
	return state, nil
}

// Rollouts lists the last limit rollouts, newest first, each with its
// pads; a non-empty state keeps those in that state only.
func (s *SQLStore) Rollouts(ctx context.Context, state string, limit int) ([]Rollout, error) {
	q, args := "SELECT "+rolloutCols+" FROM rollouts", []any{}
	if state != "" {
		q, args = q+" WHERE state = ?", append(args, state)
	}
	rs, err := s.db.QueryContext(ctx, s.q(q+" ORDER BY created_ms DESC, id DESC LIMIT ?"), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("central: rollouts: %w", err)
	}
	out := []Rollout{}
	for rs.Next() {
		r, err := scanRollout(rs)
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("central: rollouts: %w", err)
		}
		out = append(out, r)
	}
	err = rs.Err()
	rs.Close() // before the next queries: SQLite has one connection
	if err != nil {
		return nil, fmt.Errorf("central: rollouts: %w", err)
	}
	for i := range out {
		if out[i].Pads, err = s.rolloutPads(ctx, out[i].ID); err != nil {
			return nil, err
		}
		out[i].count()
	}
	return out, nil
}

func (s *SQLStore) rolloutPads(ctx context.Context, id string) ([]RolloutPad, error) {
	rs, err := s.db.QueryContext(ctx, s.q("SELECT device_id, pos, canary, state, cmd_id, bytes, total, error, sent_ms, updated_ms FROM rollout_pads WHERE rollout_id = ? ORDER BY pos"), id)
	if err != nil {
		return nil, fmt.Errorf("central: rollout pads: %w", err)
	}
	defer rs.Close()
	out := []RolloutPad{}
	for rs.Next() {
		var p RolloutPad
		var sent, updated int64
		if err := rs.Scan(&p.DeviceID, &p.Pos, &p.Canary, &p.State, &p.CmdID, &p.Bytes, &p.Total, &p.Error, &sent, &updated); err != nil {
			return nil, fmt.Errorf("central: rollout pads: %w", err)
		}
		if sent != 0 {
			t := time.UnixMilli(sent).UTC()
			p.SentAt = &t
		}
		p.UpdatedAt = time.UnixMilli(updated).UTC()
		out = append(out, p)
	}
	return out, rs.Err()
}

// ClaimRolloutPad moves a pending pad to sent with the command id cmdID,
// and reports whether it did: of two instances stepping one rollout, one
// sends.
func (s *SQLStore) ClaimRolloutPad(ctx context.Context, rollout, device, cmdID string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE rollout_pads SET state = ?, cmd_id = ?, sent_ms = ?, updated_ms = ? WHERE rollout_id = ? AND device_id = ? AND state = ?"),
		PadSent, cmdID, now.UnixMilli(), now.UnixMilli(), rollout, device, PadPending)
	if err != nil {
		return false, fmt.Errorf("central: claim rollout pad: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UnclaimRolloutPad puts a pad whose command could not be sent back to
// pending.
func (s *SQLStore) UnclaimRolloutPad(ctx context.Context, rollout, device, cmdID string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q("UPDATE rollout_pads SET state = ?, cmd_id = '', sent_ms = 0, updated_ms = ? WHERE rollout_id = ? AND device_id = ? AND cmd_id = ? AND state = ?"),
		PadPending, now.UnixMilli(), rollout, device, cmdID, PadSent); err != nil {
		return fmt.Errorf("central: unclaim rollout pad: %w", err)
	}
	return nil
}

// UpdateRolloutPad sets the state of the pad device that was sent the
// command cmdID, when from allows it (see padRank): an update only moves
// forward. It returns the rollout's id, "" when nothing changed.
func (s *SQLStore) UpdateRolloutPad(ctx context.Context, device, cmdID string, p RolloutPad, now time.Time) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("central: update rollout pad: %w", err)
	}
	defer tx.Rollback()
	var rollout, cur string
	err = tx.QueryRowContext(ctx, s.q("SELECT rollout_id, state FROM rollout_pads WHERE cmd_id = ? AND device_id = ?"), cmdID, device).Scan(&rollout, &cur)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("central: update rollout pad: %w", err)
	}
	if !padMoves(cur, p.State) {
		return "", nil
	}
	// The state in the WHERE clause: a concurrent update of the same pad
	// (another instance) changes nothing twice.
	// A report without a download's progress keeps the last one.
	q, args := "UPDATE rollout_pads SET state = ?, error = ?, updated_ms = ?", []any{p.State, p.Error, now.UnixMilli()}
	if p.Total > 0 {
		q, args = q+", bytes = ?, total = ?", append(args, p.Bytes, p.Total)
	}
	res, err := tx.ExecContext(ctx, s.q(q+" WHERE rollout_id = ? AND device_id = ? AND state = ?"), append(args, rollout, device, cur)...)
	if err != nil {
		return "", fmt.Errorf("central: update rollout pad: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", nil
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("central: update rollout pad: %w", err)
	}
	return rollout, nil
}

// TimeOutRolloutPads marks timed_out every pad, of any rollout, that was
// sent its command longer ago than its rollout's timeout and has no
// outcome yet, and returns how many.
func (s *SQLStore) TimeOutRolloutPads(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE rollout_pads SET state = ?, error = ?, updated_ms = ?
		WHERE state IN (?, ?, ?, ?, ?) AND sent_ms > 0
		AND sent_ms + (SELECT timeout_ms FROM rollouts WHERE rollouts.id = rollout_pads.rollout_id) < ?`),
		PadTimedOut, "no outcome in time", now.UnixMilli(), PadSent, PadDownloading, PadVerifying, PadInstalling, PadTrial, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("central: rollout timeouts: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SetRolloutState moves rollout from state from to state to with reason,
// and reports whether it did.
func (s *SQLStore) SetRolloutState(ctx context.Context, rollout, from, to, reason string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE rollouts SET state = ?, reason = ?, updated_ms = ? WHERE id = ? AND state = ?"),
		to, reason, now.UnixMilli(), rollout, from)
	if err != nil {
		return false, fmt.Errorf("central: rollout state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
