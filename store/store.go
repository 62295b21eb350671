package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"evalpad/rating"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors. Everything else the store returns wraps an I/O error.
var (
	// ErrOutboxFull: the outbox holds Options.OutboxMax unacked records; a
	// new record is refused (and nothing written) until acks drain it.
	ErrOutboxFull = errors.New("store: outbox full")
	// ErrCorrupt: a stored record could not be decoded.
	ErrCorrupt = errors.New("store: corrupt record")
)

// IsDiskFull reports whether err came from a full disk. It is transient: the
// pad prunes acked records and tries again.
func IsDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }

var (
	bOutbox = []byte("outbox")
	bSent   = []byte("sent")
	bState  = []byte("state")
	bPhotos = []byte("photos") // no longer used; dropped when found

	kSession = []byte("session")
)

// Options tune a store. Zero values take the defaults.
type Options struct {
	// OutboxMax is how many unacked records the outbox holds before Append
	// fails with ErrOutboxFull. Default 500000.
	OutboxMax int
	// Retention is how long acked records are kept before Prune drops them.
	// Default 30 days.
	Retention time.Duration
	// Logger, nil for none.
	Logger *slog.Logger
}

// Store is the pad's bbolt file. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	pending  map[[16]byte]uint64 // unacked record id → seq
	sentN    int
	sessions map[string]struct{} // session ids with a record (closed sessions)
}

// Open opens or creates the store at path.
func Open(path string, o Options) (*Store, error) {
	if o.OutboxMax <= 0 {
		o.OutboxMax = 500000
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bo := &bolt.Options{
		Timeout:        2 * time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// Create it first, then reopen it below without the large page-cache
		// folios that bbolt's initial multi-page write leaves behind.
		db, err := bolt.Open(path, 0o600, bo)
		if err != nil {
			return nil, fmt.Errorf("store: create %s: %w", path, err)
		}
		if err := db.Close(); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", path, err)
		}
	}
	bo.OpenFile = openNoReadahead
	db, err := bolt.Open(path, 0o600, bo)
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("store: %s is in use by another process: %w", path, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, opts: o, log: log, pending: map[[16]byte]uint64{}, sessions: map[string]struct{}{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// load creates the buckets, drops the photos bucket of older files, and
// builds the in-memory indexes.
func (s *Store) load() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bPhotos); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return fmt.Errorf("store: drop bucket %s: %w", bPhotos, err)
		}
		for _, name := range [][]byte{bOutbox, bSent, bState} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", name, err)
			}
		}
		var head struct {
			ID        string `json:"id"`
			SessionID string `json:"session_id"`
		}
		err := tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
			head.ID, head.SessionID = "", ""
			if err := json.Unmarshal(v, &head); err != nil {
				return fmt.Errorf("%w: outbox seq %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
			}
			id, err := parseID(head.ID)
			if err != nil {
				return fmt.Errorf("%w: outbox seq %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
			}
			s.pending[id] = binary.BigEndian.Uint64(k)
			s.noteSession(head.SessionID)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bSent).ForEach(func(k, v []byte) error {
			s.sentN++
			head.SessionID = ""
			if len(v) > 8 {
				if err := json.Unmarshal(v[8:], &head); err == nil {
					s.noteSession(head.SessionID)
				}
			}
			return nil
		})
	})
}

func (s *Store) noteSession(id string) {
	if id != "" {
		s.sessions[id] = struct{}{}
	}
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path is the file's path.
func (s *Store) Path() string { return s.db.Path() }

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// Append writes r to the outbox and sets the open-session snapshot to
// session (nil clears it), in one transaction committed with fsync. It
// assigns r.Seq. On any error nothing was written and r.Seq is unchanged.
func (s *Store) Append(r *rating.Record, session []byte) error {
	return s.AppendAll([]*rating.Record{r}, session)
}

// AppendAll writes recs in order and sets the session snapshot, all in one
// transaction: they land together or not at all. It assigns each Seq.
func (s *Store) AppendAll(recs []*rating.Record, session []byte) error {
	ids := make([][16]byte, len(recs))
	for i, r := range recs {
		id, err := parseID(r.ID)
		if err != nil {
			return fmt.Errorf("store: append: %w", err)
		}
		ids[i] = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending)+len(recs) > s.opts.OutboxMax {
		return fmt.Errorf("%w: %d unacked records", ErrOutboxFull, len(s.pending))
	}
	for i, id := range ids {
		if _, dup := s.pending[id]; dup || slices.Contains(ids[:i], id) {
			return fmt.Errorf("store: append: record %s already stored", recs[i].ID)
		}
	}
	seqs := make([]uint64, len(recs))
	err := s.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bOutbox)
		ob.FillPercent = 1 // keys only ever grow: pack leaves full
		for i, r := range recs {
			seq, err := ob.NextSequence()
			if err != nil {
				return err
			}
			rec := *r
			rec.Seq = seq
			data, err := json.Marshal(&rec)
			if err != nil {
				return err
			}
			if err := ob.Put(seqKey(seq), data); err != nil {
				return err
			}
			seqs[i] = seq
		}
		return putSession(tx, session)
	})
	if err != nil {
		if len(recs) == 1 {
			return fmt.Errorf("store: append record %s: %w", recs[0].ID, err)
		}
		return fmt.Errorf("store: append %d records: %w", len(recs), err)
	}
	for i, r := range recs {
		r.Seq = seqs[i]
		s.pending[ids[i]] = seqs[i]
		s.noteSession(r.SessionID)
	}
	return nil
}

func putSession(tx *bolt.Tx, session []byte) error {
	b := tx.Bucket(bState)
	if session == nil {
		return b.Delete(kSession)
	}
	return b.Put(kSession, session)
}

// SaveSession sets the open-session snapshot (nil clears it), with fsync.
func (s *Store) SaveSession(session []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Update(func(tx *bolt.Tx) error { return putSession(tx, session) }); err != nil {
		return fmt.Errorf("store: save session: %w", err)
	}
	return nil
}

// Session returns the open-session snapshot, nil if none.
func (s *Store) Session() ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bState).Get(kSession))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read session: %w", err)
	}
	return out, nil
}

// SetState durably keeps b under key in the state bucket (nil deletes it):
// small snapshots such as the configuration the central sent. The key
// "session" belongs to SaveSession.
func (s *Store) SetState(key string, b []byte) error {
	if key == string(kSession) {
		return fmt.Errorf("store: state key %q is the session's", key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if b == nil {
			return tx.Bucket(bState).Delete([]byte(key))
		}
		return tx.Bucket(bState).Put([]byte(key), b)
	})
	if err != nil {
		return fmt.Errorf("store: save %s: %w", key, err)
	}
	return nil
}

// State returns what SetState kept under key, nil if nothing.
func (s *Store) State(key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bState).Get([]byte(key)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", key, err)
	}
	return out, nil
}

// SessionClosed reports whether a record already names session id: the
// session was rated or expired, and may not be opened again (一次一评).
func (s *Store) SessionClosed(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[id]
	return ok
}

// Entry is one stored record.
type Entry struct {
	Seq     uint64
	ID      string
	JSON    []byte    // the record as protocol v1 sends it
	AckedAt time.Time // zero while unacked
}

// Pending returns up to max unacked records with seq > after, oldest first.
func (s *Store) Pending(after uint64, max int) ([]Entry, error) {
	var out []Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			e, err := entry(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending: %w", err)
	}
	return out, nil
}

func entry(k, v []byte) (Entry, error) {
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(v, &head); err != nil {
		return Entry{}, fmt.Errorf("%w: seq %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
	}
	return Entry{Seq: binary.BigEndian.Uint64(k), ID: head.ID, JSON: bytes.Clone(v)}, nil
}

// Ack moves the named records from the outbox to sent, stamped with now, in
// one transaction. Ids that are not pending (already acked, unknown) are
// skipped: a repeated ack is harmless. It returns how many were moved.
func (s *Store) Ack(ids []string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []uint64
	var moved [][16]byte
	seen := make(map[[16]byte]bool, len(ids))
	for _, id := range ids {
		k, err := parseID(id)
		if err != nil {
			continue
		}
		if seq, ok := s.pending[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, seq)
			moved = append(moved, k)
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	stamp := make([]byte, 8)
	binary.BigEndian.PutUint64(stamp, uint64(now.UnixMilli()))
	err := s.db.Update(func(tx *bolt.Tx) error {
		ob, sb := tx.Bucket(bOutbox), tx.Bucket(bSent)
		for _, seq := range keys {
			k := seqKey(seq)
			v := ob.Get(k)
			if v == nil {
				continue
			}
			val := append(append(make([]byte, 0, 8+len(v)), stamp...), v...)
			if err := sb.Put(k, val); err != nil {
				return err
			}
			if err := ob.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: ack: %w", err)
	}
	for _, k := range moved {
		delete(s.pending, k)
	}
	s.sentN += len(keys)
	return len(keys), nil
}

// Prune drops acked records older than the retention period. It never
// touches unacked records.
func (s *Store) Prune(now time.Time) (int, error) {
	return s.pruneBefore(now.Add(-s.opts.Retention))
}

// PruneAll drops every acked record, whatever its age: the way out of a full
// disk before a rating is refused.
func (s *Store) PruneAll() (int, error) { return s.pruneBefore(time.UnixMilli(1<<62 - 1)) }

func (s *Store) pruneBefore(cut time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := uint64(cut.UnixMilli())
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSent).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) >= 8 && binary.BigEndian.Uint64(v) >= limit {
				continue
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	s.sentN -= n
	return n, nil
}

// Stats is what the pad reports about its store.
type Stats struct {
	Pending       int    `json:"pending"`        // unacked records
	Sent          int    `json:"sent"`           // acked records kept for the retention period
	Max           int    `json:"max"`            // OutboxMax
	LastSeq       uint64 `json:"last_seq"`       // last seq issued
	OldestPending string `json:"oldest_pending"` // "at" of the oldest unacked record, "" if none
}

// Stats reads the counters and the oldest unacked record's time.
func (s *Store) Stats() (Stats, error) {
	s.mu.Lock()
	st := Stats{Pending: len(s.pending), Sent: s.sentN, Max: s.opts.OutboxMax}
	s.mu.Unlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bOutbox)
		st.LastSeq = ob.Sequence()
		if k, v := ob.Cursor().First(); k != nil {
			var head struct {
				At string `json:"at"`
			}
			if err := json.Unmarshal(v, &head); err != nil {
				return fmt.Errorf("%w: seq %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
			}
			st.OldestPending = head.At
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("store: stats: %w", err)
	}
	return st, nil
}

// Records calls fn for every stored record, acked ones first, each part in
// seq order. fn must not keep e.JSON.
func (s *Store) Records(fn func(e Entry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bSent).ForEach(func(k, v []byte) error {
			if len(v) < 8 {
				return fmt.Errorf("%w: sent seq %d: short value", ErrCorrupt, binary.BigEndian.Uint64(k))
			}
			e, err := entry(k, v[8:])
			if err != nil {
				return err
			}
			e.AckedAt = time.UnixMilli(int64(binary.BigEndian.Uint64(v)))
			return fn(e)
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
			e, err := entry(k, v)
			if err != nil {
				return err
			}
			return fn(e)
		})
	})
}

// Check walks the whole file and reports the first inconsistency bbolt finds.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("store: check: %w", err)
		}
		return nil
	})
}
