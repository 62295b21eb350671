package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// seenPrefix keys the replay memory in the state bucket: "seen:" + key →
// 8 bytes, the expiry in unix milliseconds, big-endian. The state bucket
// is carried over by a salvage, so a repaired store still remembers.
const seenPrefix = "seen:"

// Seen reports whether key was remembered (Remember) with an expiry after
// now: a downlink message the pad handled, which it must not handle again.
func (s *Store) Seen(key string, now time.Time) (bool, error) {
	var seen bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bState).Get([]byte(seenPrefix + key))
		seen = len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now.UnixMilli()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: seen %s: %w", key, err)
	}
	return seen, nil
}

// Remember keeps key until exp, and forgets every key that expired by now,
// in one transaction committed with fsync: the replay memory survives a
// restart, and holds no more than what has not expired.
func (s *Store) Remember(key string, exp, now time.Time) error {
	if key == "" {
		return fmt.Errorf("store: remember: empty key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		st := tx.Bucket(bState)
		c := st.Cursor()
		prefix := []byte(seenPrefix)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now.UnixMilli() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, uint64(exp.UnixMilli()))
		return st.Put([]byte(seenPrefix+key), v)
	})
	if err != nil {
		return fmt.Errorf("store: remember %s: %w", key, err)
	}
	return nil
}

// reservedState reports whether key is the store's own in the state bucket.
func reservedState(key string) bool {
	return key == string(kSession) || key == string(kDamage) || key == string(kSeqLease) || strings.HasPrefix(key, seenPrefix)
}
