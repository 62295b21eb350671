package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	bOutbox     = []byte("outbox")
	bSent       = []byte("sent")
	bState      = []byte("state")
	bQuarantine = []byte("quarantine")
	bPhotos     = []byte("photos") // no longer used; dropped when found

	kSession  = []byte("session")
	kDamage   = []byte("damage")
	kSeqLease = []byte("seq_lease")
)

// Options tune a store. Zero values take the defaults.
type Options struct {
	// OutboxMax is how many unacked records the outbox holds before Append
	// fails with ErrOutboxFull. Default 500000.
	OutboxMax int
	// Retention is how long acked records are kept before Prune drops them.
	// Default 30 days.
	Retention time.Duration
	// LockTimeout is how long Open waits for another process to let go of
	// the file. Default 2 s.
	LockTimeout time.Duration
	// Sign, when set, signs every record as it is written: it gets the
	// record's JSON as stored, seq included and "sig" empty, inside the
	// transaction that assigns the seq, and returns the value of "sig". An
	// error fails the append: nothing is written. Open also signs the
	// unacked records an older version wrote without a sig.
	Sign func(recordJSON []byte) (sig string, err error)
	// Logger, nil for none.
	Logger *slog.Logger

	// format and migrations replace Format and the package's migrations
	// (tests of a migration); zero: those.
	format     int
	migrations []func(tx *bolt.Tx) error
}

// Store is the pad's bbolt file. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	opts Options
	log  *slog.Logger

	mu          sync.Mutex
	pending     map[[16]byte]uint64 // unacked record id → seq
	sentN       int
	sessions    map[string]struct{} // session ids with a record (closed sessions)
	lease       uint64              // the seq mark: seqs up to it may have been issued
	leaseInDB   uint64              // the lease the file records
	damage      []Damage
	quarantined int
	format      int // the file's format: Format, once open
	decoded     int // records Open decoded (index.go: none when the index agrees)
}

// Open opens or creates the store at path. A damaged file is repaired, not
// refused: see the package doc and Damage. Open fails only for what it cannot
// handle: the file in use by another process, a directory it cannot write, a
// full disk or an I/O error while repairing.
func Open(path string, o Options) (*Store, error) {
	if o.OutboxMax <= 0 {
		o.OutboxMax = 500000
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 2 * time.Second
	}
	if o.format == 0 {
		o.format, o.migrations = Format, migrations
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, created, err := lockStore(path, o.LockTimeout)
	if err != nil {
		return nil, err
	}
	mk := readMark(markPath(path))
	var walked *openScan
	if f, walked, mk, err = prepare(path, f, mk, ""); err != nil {
		return nil, err
	}
	db, err := openBolt(f)
	if p := (boltPanic{}); errors.As(err, &p) {
		// The check missed something bbolt trips on: salvage it all the same.
		if f, walked, mk, err = prepare(path, f, mk, p.Error()); err == nil {
			db, err = openBolt(f)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: o, log: log, pending: map[[16]byte]uint64{}, sessions: map[string]struct{}{}}
	if err := s.load(created, mk, walked); err != nil {
		db.Close()
		return nil, err
	}
	if err := writeFormatFile(path, s.format); err != nil {
		db.Close()
		return nil, err
	}
	for _, d := range s.damage {
		log.Error("store damage", "problem", d.Problem, "kept_as", d.KeptAs, "salvaged", d.Salvaged,
			"quarantined", d.Quarantined, "next_seq", d.NextSeq)
	}
	return s, nil
}

// readRecord reads the record stored under key k: it is readable when its
// JSON decodes into a rating.Record, its id is a UUID and its seq is k.
func readRecord(k, v []byte) (rating.Record, [16]byte, error) {
	var r rating.Record
	if len(k) != 8 {
		return r, [16]byte{}, errors.New("key is not a seq")
	}
	if v == nil {
		return r, [16]byte{}, errors.New("a nested bucket, not a record")
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, [16]byte{}, fmt.Errorf("undecodable record: %v", err)
	}
	id, err := parseID(r.ID)
	if err != nil {
		return r, id, fmt.Errorf("undecodable record: %v", err)
	}
	if seq := binary.BigEndian.Uint64(k); r.Seq != seq {
		return r, id, fmt.Errorf("undecodable record: it says seq %d", r.Seq)
	}
	return r, id, nil
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bOutbox, bSent, bState, bQuarantine} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// load creates the buckets, builds the in-memory indexes, moves values that
// are not readable records to quarantine, settles the seq lease and keeps
// what it found in the damage list: one transaction. walked is what the
// page check read of the records (nil: not checked, a salvaged file): when
// its digest agrees with the file's index, the records are not decoded
// (index.go).
func (s *Store) load(created bool, mk mark, walked *openScan) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bPhotos); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return fmt.Errorf("store: drop bucket %s: %w", bPhotos, err)
		}
		if err := createBuckets(tx); err != nil {
			return err
		}
		// A newer file fails here, and the transaction rolls back: nothing
		// written before this (the check, the lock) changed the file.
		from, err := migrate(tx, s.opts.format, s.opts.migrations)
		if err != nil {
			return err
		}
		if err := putFormat(tx, s.opts.format); err != nil {
			return err
		}
		if from != s.opts.format {
			s.log.Info("store migrated", "from_format", from, "to_format", s.opts.format)
		}
		s.format = s.opts.format
		st := tx.Bucket(bState)
		list, ok := readDamage(st.Get(kDamage))
		var bad []badValue
		if !ok {
			bad = append(bad, badValue{bucket: bState, key: kDamage, val: bytes.Clone(st.Get(kDamage)), why: "unreadable damage list"})
		}
		var unsigned []rating.Record
		fast := walked != nil && !walked.bad && walked.d.equal(readDigest(tx))
		if fast {
			s.pending, s.sessions, s.sentN = walked.pending, walked.sessions, walked.sent
			if unsigned, fast = s.unsignedOf(tx, walked.unsigned); !fast {
				s.log.Warn("store: an unsigned record in the index is unreadable: reading every record")
			}
		}
		if !fast {
			if walked != nil && !created {
				s.log.Info("store: no index or a stale one (a file from before, or written by another version): reading every record")
			}
			s.pending, s.sessions, s.sentN = map[[16]byte]uint64{}, map[string]struct{}{}, 0
			if unsigned, bad, err = s.readRecords(tx, bad); err != nil {
				return err
			}
		}
		if err := s.signUnsigned(tx, unsigned); err != nil {
			return err
		}
		var found []Damage
		for i, b := range bad {
			if err := quarantine(tx, b.bucket, b.key, b.val); err != nil {
				return fmt.Errorf("store: quarantine %s: %w", b.problem(), err)
			}
			switch {
			case i < 8:
				found = append(found, Damage{Problem: b.problem(), Quarantined: 1})
			case i == 8:
				found = append(found, Damage{Problem: fmt.Sprintf("and %d more unreadable values", len(bad)-i), Quarantined: len(bad) - i})
			}
		}
		if !fast || len(unsigned) > 0 {
			d, err := digestOf(tx)
			if err == nil {
				err = putDigest(tx, d)
			}
			if err != nil {
				return fmt.Errorf("store: write the index: %w", err)
			}
		}
		d, err := s.settleSeq(tx, created, mk)
		if err != nil {
			return err
		}
		if d != "" {
			found = append(found, Damage{Problem: d})
		}
		for i := range found {
			found[i].NextSeq = tx.Bucket(bOutbox).Sequence() + 1
		}
		if len(found) > 0 {
			list = append(list, found...)
			if err := putDamage(tx, list); err != nil {
				return fmt.Errorf("store: keep the damage list: %w", err)
			}
		}
		s.damage = list
		return tx.Bucket(bQuarantine).ForEach(func(k, v []byte) error {
			s.quarantined++
			return nil
		})
	})
}

// unsignedOf reads the unacked records at seqs when the store signs: the
// ones without a sig. ok is false when one is unreadable after all.
func (s *Store) unsignedOf(tx *bolt.Tx, seqs []uint64) (recs []rating.Record, ok bool) {
	if s.opts.Sign == nil {
		return nil, true
	}
	ob := tx.Bucket(bOutbox)
	for _, seq := range seqs {
		s.decoded++
		r, _, err := readRecord(seqKey(seq), ob.Get(seqKey(seq)))
		if err != nil {
			return nil, false
		}
		recs = append(recs, r)
	}
	return recs, true
}

// readRecords builds the in-memory indexes by decoding every record, and
// adds the values that are not readable records to bad. It returns the
// unacked records without a sig when the store signs.
func (s *Store) readRecords(tx *bolt.Tx, bad []badValue) ([]rating.Record, []badValue, error) {
	var unsigned []rating.Record
	err := tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		s.decoded++
		r, id, err := readRecord(k, v)
		if err != nil {
			bad = append(bad, badValue{bucket: bOutbox, key: bytes.Clone(k), val: bytes.Clone(v), why: err.Error()})
			return nil
		}
		s.pending[id] = r.Seq
		s.noteSession(r.SessionID)
		if r.Sig == "" && s.opts.Sign != nil {
			unsigned = append(unsigned, r)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = tx.Bucket(bSent).ForEach(func(k, v []byte) error {
		s.decoded++
		var r rating.Record
		err := errors.New("acked value shorter than its 8-byte stamp")
		if len(v) >= 8 {
			r, _, err = readRecord(k, v[8:])
		}
		if err != nil {
			bad = append(bad, badValue{bucket: bSent, key: bytes.Clone(k), val: bytes.Clone(v), why: err.Error()})
			return nil
		}
		s.sentN++
		s.noteSession(r.SessionID)
		return nil
	})
	return unsigned, bad, err
}

// signUnsigned signs the unacked records an older version wrote without a
// sig, in place: the central counts no unsigned record, and these are the
// pad's own. Their content, seq included, stays as it was.
func (s *Store) signUnsigned(tx *bolt.Tx, recs []rating.Record) error {
	ob := tx.Bucket(bOutbox)
	for i := range recs {
		data, err := s.marshalSigned(&recs[i])
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		// load writes the digest again after this.
		if err := ob.Put(seqKey(recs[i].Seq), data); err != nil {
			return fmt.Errorf("store: sign record %s: %w", recs[i].ID, err)
		}
	}
	if len(recs) > 0 {
		s.log.Info("signed the unacked records written before records were signed", "records", len(recs))
	}
	return nil
}

// settleSeq makes the seq mark, the lease the file records and the outbox
// sequence agree at open, and says what was wrong, "" for nothing.
//
// On a sound open the mark equals the file's lease and nothing is written.
// A mark ahead of the file's lease means the file is older than the one
// that last issued seqs (or missing, or the pad stopped between writing the
// mark and committing): seq continues above the mark. An unreadable mark
// means nothing is known past the file: seq continues a lease beyond it. A
// missing mark, or one behind the file, is made again from the file.
func (s *Store) settleSeq(tx *bolt.Tx, created bool, mk mark) (string, error) {
	ob, st := tx.Bucket(bOutbox), tx.Bucket(bState)
	dbSeq, dbLease := ob.Sequence(), uint64(0)
	if v := st.Get(kSeqLease); len(v) == 8 {
		dbLease = binary.BigEndian.Uint64(v)
	}
	last, problem := dbSeq, ""
	switch known := max(dbSeq, dbLease); {
	case mk.bad != "":
		last = known + leaseBlock
		problem = fmt.Sprintf("seq mark %s: %s", markPath(s.path), mk.bad)
	case mk.found && mk.n > known && created:
		last = mk.n
		problem = fmt.Sprintf("store file was missing; the seq mark says seqs up to %d may have been issued", mk.n)
	case mk.found && mk.n > known:
		last = mk.n
		problem = fmt.Sprintf("the seq mark (%d) is ahead of the store's own (%d): the store file is older than the last one used, "+
			"or the pad stopped while extending the mark", mk.n, dbLease)
	}
	if last != dbSeq {
		if err := ob.SetSequence(last); err != nil {
			return "", fmt.Errorf("store: set seq: %w", err)
		}
	}
	if mk.usable() && mk.n >= last && mk.n == dbLease {
		s.lease, s.leaseInDB = mk.n, dbLease
		return problem, nil
	}
	lease := max(last+leaseBlock, dbLease)
	if mk.usable() {
		lease = max(lease, mk.n)
	}
	if err := writeMark(markPath(s.path), lease); err != nil {
		return "", err
	}
	if err := st.Put(kSeqLease, seqKey(lease)); err != nil {
		return "", fmt.Errorf("store: keep the seq lease: %w", err)
	}
	s.lease, s.leaseInDB = lease, lease
	return problem, nil
}

// extendLease makes sure the seq mark covers seqs up to need before they are
// committed in tx: past the mark it moves the mark a block ahead first, with
// fsync. The file records the lease too, in the same transaction.
func (s *Store) extendLease(tx *bolt.Tx, need uint64) error {
	if need > s.lease {
		lease := need + leaseBlock
		if err := writeMark(markPath(s.path), lease); err != nil {
			return err
		}
		s.lease = lease
	}
	if s.leaseInDB == s.lease {
		return nil
	}
	return tx.Bucket(bState).Put(kSeqLease, seqKey(s.lease))
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
func (s *Store) Path() string { return s.path }

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// Append writes r to the outbox and sets the open-session snapshot to
// session (nil clears it), in one transaction committed with fsync. It
// assigns r.Seq, and r.Sig with Options.Sign. On any error nothing was
// written and r.Seq and r.Sig are unchanged.
func (s *Store) Append(r *rating.Record, session []byte) error {
	return s.AppendAll([]*rating.Record{r}, session)
}

// AppendAll writes recs in order and sets the session snapshot, all in one
// transaction: they land together or not at all. It assigns each Seq (and
// Sig).
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
	seqs, sigs := make([]uint64, len(recs)), make([]string, len(recs))
	err := s.db.Update(func(tx *bolt.Tx) error {
		ob, ch := tx.Bucket(bOutbox), newChange(tx)
		ob.FillPercent = 1 // keys only ever grow: pack leaves full
		if err := s.extendLease(tx, ob.Sequence()+uint64(len(recs))); err != nil {
			return err
		}
		for i, r := range recs {
			seq, err := ob.NextSequence()
			if err != nil {
				return err
			}
			rec := *r
			rec.Seq = seq
			data, err := s.marshalSigned(&rec)
			if err != nil {
				return err
			}
			if err := ch.put(ob, bOutbox, seqKey(seq), data); err != nil {
				return err
			}
			seqs[i], sigs[i] = seq, rec.Sig
		}
		if err := ch.commit(); err != nil {
			return err
		}
		return putSession(tx, session)
	})
	if err != nil {
		if len(recs) == 1 {
			return fmt.Errorf("store: append record %s: %w", recs[0].ID, err)
		}
		return fmt.Errorf("store: append %d records: %w", len(recs), err)
	}
	s.leaseInDB = s.lease
	for i, r := range recs {
		r.Seq, r.Sig = seqs[i], sigs[i]
		s.pending[ids[i]] = seqs[i]
		s.noteSession(r.SessionID)
	}
	return nil
}

// marshalSigned encodes r as the outbox stores it: with Options.Sign, r.Sig
// is set to the signature of r's JSON with an empty sig first.
func (s *Store) marshalSigned(r *rating.Record) ([]byte, error) {
	r.Sig = ""
	data, err := json.Marshal(r)
	if err != nil || s.opts.Sign == nil {
		return data, err
	}
	sig, err := s.opts.Sign(data)
	if err != nil {
		return nil, fmt.Errorf("sign record %s: %w", r.ID, err)
	}
	r.Sig = sig
	return json.Marshal(r)
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
// small snapshots such as the configuration the central sent. The keys
// "session" (SaveSession's), "damage", "seq_lease" and those starting
// "seen:" (Remember's) are the store's.
func (s *Store) SetState(key string, b []byte) error {
	if reservedState(key) {
		return fmt.Errorf("store: state key %q is reserved", key)
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
		ob, sb, ch := tx.Bucket(bOutbox), tx.Bucket(bSent), newChange(tx)
		for _, seq := range keys {
			k := seqKey(seq)
			v := ob.Get(k)
			if v == nil {
				continue
			}
			val := append(append(make([]byte, 0, 8+len(v)), stamp...), v...)
			if err := ch.del(ob, bOutbox, k, v); err != nil {
				return err
			}
			if err := ch.put(sb, bSent, k, val); err != nil {
				return err
			}
		}
		return ch.commit()
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
		sb, ch := tx.Bucket(bSent), newChange(tx)
		c := sb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) >= 8 && binary.BigEndian.Uint64(v) >= limit {
				continue
			}
			if ch.d != nil && v != nil {
				ch.d.del(slot(string(bSent)), k, v)
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return ch.commit()
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
	Quarantined   int    `json:"quarantined"`    // values that were not readable records, kept aside
}

// Stats reads the counters and the oldest unacked record's time.
func (s *Store) Stats() (Stats, error) {
	s.mu.Lock()
	st := Stats{Pending: len(s.pending), Sent: s.sentN, Max: s.opts.OutboxMax, Quarantined: s.quarantined}
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

// Damage lists what Open found wrong with the store and did about it, this
// time and at earlier opens, oldest first, until ClearDamage.
func (s *Store) Damage() []Damage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.damage)
}

// ClearDamage empties the damage list: a technician has seen it. The files
// kept aside and the quarantine stay.
func (s *Store) ClearDamage() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Update(func(tx *bolt.Tx) error { return putDamage(tx, nil) }); err != nil {
		return fmt.Errorf("store: clear damage: %w", err)
	}
	s.damage = nil
	return nil
}

// Quarantined calls fn for each value kept in quarantine, oldest first.
func (s *Store) Quarantined(fn func(q Quarantined) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bQuarantine).ForEach(func(_, v []byte) error {
			q := decodeQuarantined(bytes.Clone(v))
			return fn(q)
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
