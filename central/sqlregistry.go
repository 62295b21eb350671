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
	"evalpad/trust"
)

// The registry's tables, created by migrate beside the records:
//
//	devices        device_id PK, public_key (base64), key_fingerprint, mqtt_username,
//	               mqtt_hash ($7$…), hardware (JSON), version, enrolled_ms (the key's
//	               registration), updated_ms (last enrollment), status, config (JSON or "")
//	enroll_codes   code_hash PK (SHA-256 of the code), device_id, created_ms, expires_ms,
//	               used_ms (0: unused), new_key, config (JSON or "")
//	api_tokens     token_hash PK (SHA-256), role, note, created_ms
//	receipt_keys   key_id PK, key, created_ms: the newest is the one handed out
//	downlinks      id PK, device_id, kind, body, sent_ms, exp_ms, result (JSON or ""), result_ms
//	settings       name PK, value: what instances of one central share (the shared group's name)
var registrySchema = []string{
	`CREATE TABLE IF NOT EXISTS devices (
		device_id TEXT PRIMARY KEY,
		public_key TEXT NOT NULL,
		key_fingerprint TEXT NOT NULL,
		mqtt_username TEXT NOT NULL,
		mqtt_hash TEXT NOT NULL,
		hardware TEXT NOT NULL,
		version TEXT NOT NULL,
		enrolled_ms BIGINT NOT NULL,
		updated_ms BIGINT NOT NULL,
		status TEXT NOT NULL,
		config TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS enroll_codes (
		code_hash TEXT PRIMARY KEY,
		device_id TEXT NOT NULL,
		created_ms BIGINT NOT NULL,
		expires_ms BIGINT NOT NULL,
		used_ms BIGINT NOT NULL,
		new_key BOOLEAN NOT NULL,
		config TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS enroll_codes_device ON enroll_codes (device_id)`,
	`CREATE TABLE IF NOT EXISTS api_tokens (
		token_hash TEXT PRIMARY KEY,
		role TEXT NOT NULL,
		note TEXT NOT NULL,
		created_ms BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS receipt_keys (
		key_id TEXT PRIMARY KEY,
		key TEXT NOT NULL,
		created_ms BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS downlinks (
		id TEXT PRIMARY KEY,
		device_id TEXT NOT NULL,
		kind TEXT NOT NULL,
		body TEXT NOT NULL,
		sent_ms BIGINT NOT NULL,
		exp_ms BIGINT NOT NULL,
		result TEXT NOT NULL,
		result_ms BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS downlinks_device ON downlinks (device_id, sent_ms)`,
	`CREATE TABLE IF NOT EXISTS settings (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL)`,
}

// q rewrites the ? placeholders of query for the dialect.
func (s *SQLStore) q(query string) string {
	if s.d.name != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString(s.d.ph(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

const deviceCols = "device_id, public_key, key_fingerprint, mqtt_username, mqtt_hash, hardware, version, enrolled_ms, updated_ms, status, config"

type scanner interface{ Scan(dest ...any) error }

func scanDevice(sc scanner) (Registered, error) {
	var d Registered
	var pub, hw, cfg string
	var enrolled, updated int64
	if err := sc.Scan(&d.DeviceID, &pub, &d.Fingerprint, &d.MQTTUser, &d.MQTTHash, &hw, &d.Version, &enrolled, &updated, &d.Status, &cfg); err != nil {
		return Registered{}, err
	}
	k, err := trust.ParsePublicKey(pub)
	if err != nil {
		return Registered{}, fmt.Errorf("central: device %s: stored key: %w", d.DeviceID, err)
	}
	d.PublicKey = k
	if err := json.Unmarshal([]byte(hw), &d.Hardware); err != nil {
		return Registered{}, fmt.Errorf("central: device %s: stored hardware: %w", d.DeviceID, err)
	}
	if d.Config, err = decodeConfig(cfg); err != nil {
		return Registered{}, fmt.Errorf("central: device %s: %w", d.DeviceID, err)
	}
	d.EnrolledAt, d.UpdatedAt = time.UnixMilli(enrolled).UTC(), time.UnixMilli(updated).UTC()
	return d, nil
}

func encodeConfig(c *protocol.Config) string {
	if c == nil {
		return ""
	}
	return string(c.Marshal())
}

func decodeConfig(s string) (*protocol.Config, error) {
	if s == "" {
		return nil, nil
	}
	c, err := protocol.ParseConfig([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("stored config: %w", err)
	}
	return &c, nil
}

// Device implements Registry.
func (s *SQLStore) Device(ctx context.Context, id string) (Registered, error) {
	d, err := scanDevice(s.db.QueryRowContext(ctx, s.q("SELECT "+deviceCols+" FROM devices WHERE device_id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Registered{}, fmt.Errorf("%w: %s", ErrNoDevice, id)
	}
	if err != nil {
		return Registered{}, fmt.Errorf("central: device %s: %w", id, err)
	}
	return d, nil
}

// DevicesByID implements Registry: the registered ones of ids.
func (s *SQLStore) DevicesByID(ctx context.Context, ids []string) (map[string]Registered, error) {
	out := make(map[string]Registered, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rs, err := s.db.QueryContext(ctx, "SELECT "+deviceCols+" FROM devices WHERE device_id IN ("+s.phs(1, len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("central: devices: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		d, err := scanDevice(rs)
		if err != nil {
			return nil, fmt.Errorf("central: devices: %w", err)
		}
		out[d.DeviceID] = d
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("central: devices: %w", err)
	}
	return out, nil
}

// Devices implements Registry: every registered device by id.
func (s *SQLStore) Devices(ctx context.Context) ([]Registered, error) {
	rs, err := s.db.QueryContext(ctx, "SELECT "+deviceCols+" FROM devices ORDER BY device_id")
	if err != nil {
		return nil, fmt.Errorf("central: devices: %w", err)
	}
	defer rs.Close()
	var out []Registered
	for rs.Next() {
		d, err := scanDevice(rs)
		if err != nil {
			return nil, fmt.Errorf("central: devices: %w", err)
		}
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("central: devices: %w", err)
	}
	return out, nil
}

// AddCode implements Registry. The device's earlier unused codes are
// dropped: the newest code is the only one that works.
func (s *SQLStore) AddCode(ctx context.Context, c Code) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("central: add code: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM enroll_codes WHERE device_id = ? AND used_ms = 0"), c.DeviceID); err != nil {
		return fmt.Errorf("central: add code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO enroll_codes (code_hash, device_id, created_ms, expires_ms, used_ms, new_key, config) VALUES (?, ?, ?, ?, 0, ?, ?)"),
		c.Hash, c.DeviceID, c.CreatedAt.UnixMilli(), c.ExpiresAt.UnixMilli(), c.NewKey, encodeConfig(c.Config)); err != nil {
		return fmt.Errorf("central: add code: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("central: add code: %w", err)
	}
	return nil
}

// Enroll implements Registry.
func (s *SQLStore) Enroll(ctx context.Context, codeHash string, now time.Time, decide func(cur *Registered, c Code) (Registered, error)) (Registered, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Registered{}, fmt.Errorf("central: enroll: %w", err)
	}
	defer tx.Rollback()
	// Taking the code first locks its row (PostgreSQL) or the database
	// (SQLite): two requests with one code cannot both pass.
	res, err := tx.ExecContext(ctx, s.q("UPDATE enroll_codes SET used_ms = ? WHERE code_hash = ? AND used_ms = 0 AND expires_ms > ?"),
		now.UnixMilli(), codeHash, now.UnixMilli())
	if err != nil {
		return Registered{}, fmt.Errorf("central: enroll: %w", err)
	}
	var c Code
	var created, expires, used int64
	var cfg string
	err = tx.QueryRowContext(ctx, s.q("SELECT device_id, created_ms, expires_ms, used_ms, new_key, config FROM enroll_codes WHERE code_hash = ?"), codeHash).
		Scan(&c.DeviceID, &created, &expires, &used, &c.NewKey, &cfg)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Registered{}, ErrCodeUnknown
	case err != nil:
		return Registered{}, fmt.Errorf("central: enroll: %w", err)
	}
	c.Hash, c.CreatedAt, c.ExpiresAt = codeHash, time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	if n, _ := res.RowsAffected(); n != 1 {
		if used != 0 {
			return Registered{}, fmt.Errorf("%w (at %s)", ErrCodeUsed, time.UnixMilli(used).UTC().Format(time.RFC3339))
		}
		return Registered{}, fmt.Errorf("%w (at %s)", ErrCodeExpired, c.ExpiresAt.Format(time.RFC3339))
	}
	c.UsedAt = now.UTC()
	if c.Config, err = decodeConfig(cfg); err != nil {
		return Registered{}, fmt.Errorf("central: enroll: code: %w", err)
	}
	var cur *Registered
	d, err := scanDevice(tx.QueryRowContext(ctx, s.q("SELECT "+deviceCols+" FROM devices WHERE device_id = ?"), c.DeviceID))
	switch {
	case err == nil:
		cur = &d
	case !errors.Is(err, sql.ErrNoRows):
		return Registered{}, fmt.Errorf("central: enroll: %w", err)
	}
	nd, err := decide(cur, c)
	if err != nil {
		return Registered{}, err
	}
	hw, _ := json.Marshal(nd.Hardware)
	args := []any{trust.EncodePublicKey(nd.PublicKey), nd.Fingerprint, nd.MQTTUser, nd.MQTTHash, string(hw), nd.Version,
		nd.EnrolledAt.UnixMilli(), nd.UpdatedAt.UnixMilli(), nd.Status, encodeConfig(nd.Config), nd.DeviceID}
	q := "UPDATE devices SET public_key = ?, key_fingerprint = ?, mqtt_username = ?, mqtt_hash = ?, hardware = ?, version = ?, enrolled_ms = ?, updated_ms = ?, status = ?, config = ? WHERE device_id = ?"
	if cur == nil {
		q = "INSERT INTO devices (public_key, key_fingerprint, mqtt_username, mqtt_hash, hardware, version, enrolled_ms, updated_ms, status, config, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	}
	if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
		return Registered{}, fmt.Errorf("central: enroll: store device: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Registered{}, fmt.Errorf("central: enroll: commit: %w", err)
	}
	return nd, nil
}

// SetConfig implements Registry.
func (s *SQLStore) SetConfig(ctx context.Context, id string, c *protocol.Config) error {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE devices SET config = ? WHERE device_id = ?"), encodeConfig(c), id)
	if err != nil {
		return fmt.Errorf("central: set config: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNoDevice, id)
	}
	return nil
}

// SetStatus sets a device's status (DeviceActive, DeviceRevoked). A
// revoked device's records are refused and it may not log in to the
// embedded broker or appear in broker-users' files; a new enrollment code
// makes it active again.
func (s *SQLStore) SetStatus(ctx context.Context, id, status string) error {
	if status != DeviceActive && status != DeviceRevoked {
		return fmt.Errorf("central: set status: %q is not a device status", status)
	}
	res, err := s.db.ExecContext(ctx, s.q("UPDATE devices SET status = ? WHERE device_id = ?"), status, id)
	if err != nil {
		return fmt.Errorf("central: set status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNoDevice, id)
	}
	return nil
}

// AddToken stores the hash of an API token with its role.
func (s *SQLStore) AddToken(ctx context.Context, hash, role, note string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO api_tokens (token_hash, role, note, created_ms) VALUES (?, ?, ?, ?)"),
		hash, role, note, now.UnixMilli()); err != nil {
		return fmt.Errorf("central: add token: %w", err)
	}
	return nil
}

// TokenRole is the role of the token whose hash is hash (ErrNoToken).
func (s *SQLStore) TokenRole(ctx context.Context, hash string) (string, error) {
	var role string
	err := s.db.QueryRowContext(ctx, s.q("SELECT role FROM api_tokens WHERE token_hash = ?"), hash).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoToken
	}
	if err != nil {
		return "", fmt.Errorf("central: token: %w", err)
	}
	return role, nil
}

// ReceiptKey is the current receipt key (the newest); when there is none,
// it stores the one make gives.
func (s *SQLStore) ReceiptKey(ctx context.Context, now time.Time, make func() (id, key string)) (id, key string, err error) {
	get := func() error {
		return s.db.QueryRowContext(ctx, "SELECT key_id, key FROM receipt_keys ORDER BY created_ms DESC, key_id DESC LIMIT 1").Scan(&id, &key)
	}
	err = get()
	if errors.Is(err, sql.ErrNoRows) {
		nid, nkey := make()
		// Two instances may race: each inserts its own, the newest wins for both.
		if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO receipt_keys (key_id, key, created_ms) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING"),
			nid, nkey, now.UnixMilli()); err != nil {
			return "", "", fmt.Errorf("central: receipt key: %w", err)
		}
		err = get()
	}
	if err != nil {
		return "", "", fmt.Errorf("central: receipt key: %w", err)
	}
	return id, key, nil
}

// AddReceiptKey stores a new receipt key, which becomes the current one
// (rotation: pads get it when they enroll next; the older ones still verify).
func (s *SQLStore) AddReceiptKey(ctx context.Context, id, key string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO receipt_keys (key_id, key, created_ms) VALUES (?, ?, ?)"), id, key, now.UnixMilli()); err != nil {
		return fmt.Errorf("central: add receipt key: %w", err)
	}
	return nil
}

// ReceiptKeys maps every receipt key id to its key (for verifying tokens).
func (s *SQLStore) ReceiptKeys(ctx context.Context) (map[string]string, error) {
	rs, err := s.db.QueryContext(ctx, "SELECT key_id, key FROM receipt_keys")
	if err != nil {
		return nil, fmt.Errorf("central: receipt keys: %w", err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var id, k string
		if err := rs.Scan(&id, &k); err != nil {
			return nil, fmt.Errorf("central: receipt keys: %w", err)
		}
		out[id] = k
	}
	return out, rs.Err()
}

// Downlink is a message the central sent on a pad's down/ topic, and the
// pad's answer on up/cmdresult once it came.
type Downlink struct {
	ID       string          `json:"id"`
	DeviceID string          `json:"device_id"`
	Kind     string          `json:"kind"` // cmd, session, config
	Body     json.RawMessage `json:"message"`
	SentAt   time.Time       `json:"sent_at"`
	Exp      time.Time       `json:"exp"`
	Result   json.RawMessage `json:"result,omitempty"` // protocol.CmdResult
	ResultAt *time.Time      `json:"result_at,omitempty"`
}

// AddDownlink records a message sent.
func (s *SQLStore) AddDownlink(ctx context.Context, d Downlink) error {
	if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO downlinks (id, device_id, kind, body, sent_ms, exp_ms, result, result_ms) VALUES (?, ?, ?, ?, ?, ?, '', 0)"),
		d.ID, d.DeviceID, d.Kind, string(d.Body), d.SentAt.UnixMilli(), d.Exp.UnixMilli()); err != nil {
		return fmt.Errorf("central: add downlink: %w", err)
	}
	return nil
}

// SetDownlinkResult keeps a pad's first answer to the message id it was
// sent (ErrNoDownlink when device was sent no such message). A later
// answer is to a redelivery — the retained config comes again at every
// connection of the pad, which answers it as a replay (or expired) — and
// would hide whether the message was applied: it is not kept.
func (s *SQLStore) SetDownlinkResult(ctx context.Context, device, id string, result []byte, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE downlinks SET result = ?, result_ms = ? WHERE id = ? AND device_id = ? AND result = ''"), string(result), at.UnixMilli(), id, device)
	if err != nil {
		return fmt.Errorf("central: downlink result: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var one int
	switch err := s.db.QueryRowContext(ctx, s.q("SELECT 1 FROM downlinks WHERE id = ? AND device_id = ?"), id, device).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s of %s", ErrNoDownlink, id, device)
	case err != nil:
		return fmt.Errorf("central: downlink result: %w", err)
	}
	return nil // answered before
}

// Downlinks lists the last limit messages sent to device, newest first.
func (s *SQLStore) Downlinks(ctx context.Context, device string, limit int) ([]Downlink, error) {
	rs, err := s.db.QueryContext(ctx, s.q("SELECT id, device_id, kind, body, sent_ms, exp_ms, result, result_ms FROM downlinks WHERE device_id = ? ORDER BY sent_ms DESC, id DESC LIMIT ?"), device, limit)
	if err != nil {
		return nil, fmt.Errorf("central: downlinks: %w", err)
	}
	defer rs.Close()
	out := []Downlink{}
	for rs.Next() {
		var d Downlink
		var body, result string
		var sent, exp, rms int64
		if err := rs.Scan(&d.ID, &d.DeviceID, &d.Kind, &body, &sent, &exp, &result, &rms); err != nil {
			return nil, fmt.Errorf("central: downlinks: %w", err)
		}
		d.Body, d.SentAt, d.Exp = json.RawMessage(body), time.UnixMilli(sent).UTC(), time.UnixMilli(exp).UTC()
		if result != "" {
			d.Result = json.RawMessage(result)
			t := time.UnixMilli(rms).UTC()
			d.ResultAt = &t
		}
		out = append(out, d)
	}
	return out, rs.Err()
}

// Setting is the value of the central-wide setting name; when there is
// none, it stores the one make gives (the first instance to ask wins).
func (s *SQLStore) Setting(ctx context.Context, name string, make func() string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q("SELECT value FROM settings WHERE name = ?"), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"), name, make()); err != nil {
			return "", fmt.Errorf("central: setting %s: %w", name, err)
		}
		err = s.db.QueryRowContext(ctx, s.q("SELECT value FROM settings WHERE name = ?"), name).Scan(&v)
	}
	if err != nil {
		return "", fmt.Errorf("central: setting %s: %w", name, err)
	}
	return v, nil
}
