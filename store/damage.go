package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Damage is one thing Open found wrong with the store and what it did about
// it. The list is kept in the store until a technician clears it.
type Damage struct {
	// Problem says what was wrong, e.g. "zero-length file", "meta page 0: bad
	// checksum", "page 7: out of bounds (high water mark 6)", "outbox seq 42:
	// undecodable record: …".
	Problem string `json:"problem"`
	// KeptAs is the damaged file kept aside, "" when the file was not moved.
	KeptAs string `json:"kept_as"`
	// Salvaged is how many records the rebuilt file carries over.
	Salvaged int `json:"salvaged"`
	// Quarantined is how many values went to quarantine.
	Quarantined int `json:"quarantined"`
	// NextSeq is the seq the next record gets after the repair: seqs between
	// the last one found and NextSeq may have been issued and lost.
	NextSeq uint64 `json:"next_seq"`
}

// Quarantined is a value found in the outbox or sent that is not a readable
// record, moved aside for a technician.
type Quarantined struct {
	Bucket string // the bucket it was in: "outbox", "sent" or "state"
	Key    []byte // its key there
	Seq    uint64 // Key as a seq when it is 8 bytes long, else 0
	Raw    []byte // the value as found; nil for a nested bucket
}

// A quarantine value is
//
//	len(bucket) u8 ‖ bucket ‖ len(key) u16 ‖ key ‖ raw
//
// under a key from the quarantine bucket's own sequence.
func (q Quarantined) encode() []byte {
	b := make([]byte, 0, 3+len(q.Bucket)+len(q.Key)+len(q.Raw))
	b = append(b, byte(len(q.Bucket)))
	b = append(b, q.Bucket...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(q.Key)))
	b = append(b, q.Key...)
	return append(b, q.Raw...)
}

// decodeQuarantined reads what encode wrote; what it cannot read it returns
// whole as Raw, from an unnamed bucket.
func decodeQuarantined(v []byte) Quarantined {
	if len(v) >= 1 {
		bn := int(v[0])
		if len(v) >= 1+bn+2 {
			kn := int(binary.BigEndian.Uint16(v[1+bn:]))
			if len(v) >= 3+bn+kn {
				q := Quarantined{Bucket: string(v[1 : 1+bn]), Key: v[3+bn : 3+bn+kn], Raw: v[3+bn+kn:]}
				if len(q.Key) == 8 {
					q.Seq = binary.BigEndian.Uint64(q.Key)
				}
				return q
			}
		}
	}
	return Quarantined{Raw: v}
}

// quarantine moves the value under k in bucket from to the quarantine bucket.
func quarantine(tx *bolt.Tx, from, k, v []byte) error {
	qb := tx.Bucket(bQuarantine)
	n, err := qb.NextSequence()
	if err != nil {
		return err
	}
	q := Quarantined{Bucket: string(from), Key: k, Raw: v}
	if err := qb.Put(seqKey(n), q.encode()); err != nil {
		return err
	}
	if v == nil {
		return tx.Bucket(from).DeleteBucket(k)
	}
	return tx.Bucket(from).Delete(k)
}

// badValue is a stored value that is not a readable record.
type badValue struct {
	bucket, key, val []byte
	why              string
}

func (b badValue) problem() string {
	if len(b.key) == 8 {
		return fmt.Sprintf("%s seq %d: %s", b.bucket, binary.BigEndian.Uint64(b.key), b.why)
	}
	return fmt.Sprintf("%s key %q: %s", b.bucket, b.key, b.why)
}

// joinProblems makes one Problem of many.
func joinProblems(p []string) string { return strings.Join(p, "; ") }

// readDamage reads the kept damage list; ok is false when it is not readable.
func readDamage(v []byte) (list []Damage, ok bool) {
	if v == nil {
		return nil, true
	}
	return list, json.Unmarshal(v, &list) == nil
}

func putDamage(tx *bolt.Tx, list []Damage) error {
	if len(list) == 0 {
		return tx.Bucket(bState).Delete(kDamage)
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return tx.Bucket(bState).Put(kDamage, b)
}
